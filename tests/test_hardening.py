"""Hostile books that must not hang, exhaust memory or end in an internal error (issue 10, part B):
each case the fast way, on the function that has to hold; the books themselves are fixtures in
fixtures/hostile/ and run through every command in test_hostile_commands.py."""

from __future__ import annotations

import socket
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import run_cli
from books import write_book


# -- a slow server: the time limit is for the whole fetch ----------------------------------


@pytest.fixture
def dripping_server():
    """An HTTP server that sends its body 12 bytes at a time, every 0.3 s, for at most 8 s."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)
    stop = threading.Event()

    def serve() -> None:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        with conn:
            conn.recv(4096)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 100000\r\n\r\n")
            ends = time.monotonic() + 8
            while not stop.is_set() and time.monotonic() < ends:
                try:
                    conn.sendall(b"\x89PNG-drip..")
                except OSError:
                    return
                time.sleep(0.3)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/slow.png"
    stop.set()
    listener.close()
    thread.join(10)


def test_a_remote_fetch_stops_at_its_time_limit_even_when_bytes_keep_coming(tmp_path, dripping_server):
    from bookmaker.safety.policy import Refused, ResourcePolicy

    policy = ResourcePolicy(tmp_path, allow_remote=True, timeout=1.0)
    started = time.monotonic()
    with pytest.raises(Refused, match="within the time limit of 1 s"):
        policy.fetch_remote(dripping_server)
    assert time.monotonic() - started < 3, "one limit for the whole fetch, not for each read"


# -- the skip check opens nothing -----------------------------------------------------------


def _book(folder: Path, chapter: str = "# T\n\nx\n", toml: str | None = None) -> Path:
    return write_book(folder, chapter, toml)


@pytest.fixture
def reads(monkeypatch):
    """Every file bookmaker reads with Path.read_bytes; reading one named in `forbidden` fails the build."""
    read: list[Path] = []
    forbidden: dict[str, BaseException] = {}
    real = Path.read_bytes

    def recording(self: Path) -> bytes:
        read.append(self)
        for name, error in forbidden.items():
            if self.name == name or str(self.resolve()) == name:
                raise error
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", recording)
    return read, forbidden


def test_an_unused_huge_file_in_the_manuscript_folder_is_never_read(tmp_path, reads):
    read, forbidden = reads
    book = _book(tmp_path / "book")
    with open(book / "manuscript" / "video.mp4", "wb") as video:
        video.truncate(3_000_000_000)  # sparse: 3 GB on paper, nothing on the disk
    forbidden["video.mp4"] = AssertionError("the skip check read an unused 3 GB file")
    assert run_cli("build", "-f", "epub", str(book)).exit_code == 0
    again = run_cli("build", "-f", "epub", str(book))
    assert again.exit_code == 0 and "up to date" in again.stderr, again.stderr
    assert not [p for p in read if p.name == "video.mp4"]


def test_a_cover_that_is_dev_zero_is_refused_without_being_read(tmp_path, reads):
    _, forbidden = reads
    book = _book(tmp_path / "book", toml='[book]\ncover = "../../../../../../../../dev/zero"\n')
    forbidden["/dev/zero"] = AssertionError("/dev/zero was read: it never ends")
    result = run_cli("epub", str(book))
    assert result.exit_code == 1, result.stderr
    assert "bookmaker.toml:2: error: cover '../../../../../../../../dev/zero' is outside the book folder" in result.stderr


@pytest.mark.parametrize("name, reference", [
    ("locked.md", None),
    ("locked.css", None),
    ("locked.png", "![a picture](../images/locked.png)"),
])
def test_an_unreadable_chapter_stylesheet_or_image_is_a_diagnostic_in_check_and_every_build(
        tmp_path, reads, name, reference):
    # The tests run as root, who may read any file whatever its mode: the refusal is simulated.
    _, forbidden = reads
    book = _book(tmp_path / "book", f"# T\n\n{reference or 'x'}\n")
    folder = {"md": "manuscript", "css": "styles", "png": "images"}[name.rsplit(".", 1)[1]]
    (book / folder).mkdir(exist_ok=True)
    from PIL import Image

    Image.new("RGB", (4, 4)).save(book / folder / name, "PNG") if name.endswith(".png") \
        else (book / folder / name).write_text("# Locked\n" if name.endswith(".md") else "p { color: red }\n")
    forbidden[name] = PermissionError(13, "Permission denied")
    for command in ("check", "epub", "html"):
        result = run_cli(command, str(book))
        assert result.exit_code == 1, (command, result.stderr)
        assert "Permission denied" in result.stderr and "internal error" not in result.stderr, result.stderr


def test_a_chapter_that_is_a_link_into_proc_is_refused(tmp_path):
    book = _book(tmp_path / "book")
    (book / "manuscript" / "02-mem.md").symlink_to("/proc/self/mem")
    (book / "images").mkdir()
    (book / "images" / "unused.png").symlink_to("/proc/self/mem")
    for command in ("check", "epub"):
        result = run_cli(command, str(book))
        assert result.exit_code == 1, result.stderr
        assert "02-mem.md: error: the manuscript file is a link to a file outside the book folder" in result.stderr


# -- reading is linear ----------------------------------------------------------------------


def _python_calls(work) -> int:
    """How many Python functions `work()` calls: a count that does not depend on the machine's load."""
    calls = 0

    def count(frame, event, arg) -> None:
        nonlocal calls
        if event == "call":
            calls += 1

    sys.setprofile(count)
    try:
        work()
    finally:
        sys.setprofile(None)
    return calls


def _notes_book(folder: Path, notes: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / f"notes-{notes}.md"
    body = "\n\n".join(f"Paragraph {i}.[^n{i}]" for i in range(notes))
    source.write_text(f"# Notes\n\n{body}\n\n" + "\n".join(f"[^n{i}]: Note {i}." for i in range(notes)) + "\n")
    return source


def test_reading_ten_times_the_notes_costs_about_ten_times_the_work(tmp_path):
    """20,000 notes took over a minute: each reference looked its note up in the list of all notes."""
    from bookmaker.read import read_book

    small, large = (_python_calls(lambda: read_book(_notes_book(tmp_path, n))) for n in (300, 3000))
    assert large < 15 * small, f"{large / small:.1f} times the work for ten times the notes"


def test_ten_thousand_equal_headings_get_their_ids_without_trying_each_taken_one():
    from bookmaker.core.ids import IdRegistry

    class CountingSet(set):
        lookups = 0

        def __contains__(self, item) -> bool:
            CountingSet.lookups += 1
            return super().__contains__(item)

    registry = IdRegistry()
    registry._used = CountingSet()
    given = [registry.claim("same") for _ in range(10_000)]
    assert given[:3] == ["same", "same-1", "same-2"] and given[-1] == "same-9999"
    assert len(set(given)) == 10_000
    assert CountingSet.lookups < 5 * 10_000


def test_a_temporary_file_left_by_a_build_killed_between_link_and_rename_is_swept(tmp_path):
    import subprocess

    book = _book(tmp_path / "book")
    (book / "build").mkdir()
    finished = subprocess.Popen(["true"])
    finished.wait()  # its process id is one that no longer runs
    stale = book / "build" / f".t.epub.{finished.pid}.part"
    stale.write_bytes(b"PK half an epub")
    assert run_cli("epub", str(book)).exit_code == 0
    assert not stale.exists()
    assert sorted(p.name for p in (book / "build").iterdir() if not p.name.startswith(".bookmaker")) == ["t.epub"]


def test_a_build_whose_pdf_fails_says_which_outputs_it_wrote(tmp_path, monkeypatch):
    from bookmaker.core.diagnostics import BookError, Diagnostics
    from bookmaker.writers.pdf import writer as pdf
    def failing(book, target, diagnostics, *args, **kwargs):
        diagnostics.error(target, None, "WeasyPrint could not lay out the book")
        raise BookError(diagnostics)

    monkeypatch.setattr(pdf, "write_pdf", failing)
    book = _book(tmp_path / "book")
    result = run_cli("build", str(book))
    assert result.exit_code == 1
    shown = result.stderr.replace(str(book) + "/", "")
    assert "build/t.pdf: error: WeasyPrint could not lay out the book" in shown
    assert "build/t.pdf: error: the PDF was not written because of the errors above; written all the same: " in shown
    assert "t.html" in shown.split("written all the same: ")[1] and "t.epub" in shown.split("written all the same: ")[1]
    assert {p.name for p in (book / "build").glob("t.*")} == {"t.html", "t.epub"}


def test_control_characters_in_a_diagnostic_are_shown_escaped_never_sent_to_the_terminal(tmp_path):
    book = _book(tmp_path / "book")
    (book / "manuscript" / "\x1b[2J\x1b]0;owned\x07.md").write_text("# Two\n\nA note[^missing].\n")
    result = run_cli("check", str(book))
    assert result.exit_code == 1
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "\\x1b[2J\\x1b]0;owned\\x07.md:3: error: note [^missing] is referenced but never defined" in result.stderr


def test_raw_html_repaired_inside_a_list_leaves_only_items_in_it():
    """The HTML5 parser opens an unclosed <i> again between list items, where XHTML allows none."""
    from bookmaker.safety.sanitize import sanitize

    import xml.etree.ElementTree as ET

    repaired = sanitize("<ol>\n<li><i>unclosed</li>\n<li>two</li>\n</ol><ul><li>a</li><b>stray</b></ul>",
                        lambda src, alt: src).html
    root = ET.fromstring(f"<div>{repaired}</div>")
    lists = root.findall(".//ol") + root.findall(".//ul")
    assert len(lists) == 2 and all(child.tag == "li" for found in lists for child in found), repaired
    assert all(not (found.text or "").strip() and not (child.tail or "").strip() for found in lists for child in found)
    assert " ".join(root.itertext()).split() == ["unclosed", "two", "a", "stray"]


def test_an_inline_element_left_open_before_a_paragraph_does_not_end_up_around_it():
    from bookmaker.safety.sanitize import sanitize

    repaired = sanitize("<p>Unclosed <b>bold <i>italic</p>\n<p>next</p>", lambda src, alt: src).html
    assert repaired == "<p>Unclosed <b>bold <i>italic</i></b></p>\n<p>next</p>"
