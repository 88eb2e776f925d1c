"""Broken and hostile manuscripts: precise diagnostics, nothing loaded from outside the book, nothing lost."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import zipfile
from functools import partial
from http.server import HTTPServer, SimpleHTTPRequestHandler
from pathlib import Path

import pytest

from conftest import FIXTURES, Epub, assert_epubcheck_clean, copy_fixture, run_cli, short_highlight_budget

HOSTILE = FIXTURES / "hostile"
CASES = sorted(p.name for p in HOSTILE.iterdir() if (p / "expected.txt").is_file())


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.lstat().st_size, p.lstat().st_mtime_ns) for p in folder.rglob("*")}


@pytest.mark.parametrize("case", CASES)
def test_hostile_manuscript_gets_exactly_its_expected_diagnostics(case, monkeypatch):
    """Each folder in fixtures/hostile/ holds a book and expected.txt: every diagnostic
    `bookmaker check` must print, in order (file:line[:column]: severity: message)."""
    short_highlight_budget(monkeypatch, case)
    book = HOSTILE / case
    expected = (book / "expected.txt").read_text(encoding="utf-8").splitlines()
    before = _snapshot(book)
    result = run_cli("check", ".", cwd=book)
    lines = result.stderr.strip().splitlines()
    if not expected:  # a hostile book that is fine: nothing to say
        assert result.exit_code == 0 and result.stderr == "", result.stderr
        return
    assert lines[:-1] == expected, "\n".join(lines)
    errors = sum(": error: " in line for line in expected)
    warnings = len(expected) - errors
    assert lines[-1] == (f"bookmaker: {errors} error{'s' if errors != 1 else ''}, "
                         f"{warnings} warning{'s' if warnings != 1 else ''}")
    assert result.exit_code == (1 if errors else 0)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert _snapshot(book) == before, "check writes nothing"


def test_strict_makes_warnings_errors_and_writes_nothing(tmp_path):
    book = tmp_path / "book"
    shutil.copytree(HOSTILE / "headings", book)
    assert run_cli("epub", str(book)).exit_code == 0
    previous = (book / "build" / "one.epub").read_bytes()
    result = run_cli("epub", "--strict", str(book))
    assert result.exit_code == 1
    assert "manuscript/01-one.md:3: error: heading level skips from 1 to 4" in result.stderr.replace(str(book) + "/", "")
    assert result.stderr.strip().endswith("bookmaker: 4 errors, 0 warnings")
    assert (book / "build" / "one.epub").read_bytes() == previous


# -- nothing from outside the book ---------------------------------------------------

HOSTILE_REFERENCES = ["/etc/hostname", "file:///etc/passwd", "../../outside.png", "http://127.0.0.1:9/x.png"]
OUTSIDE_MARKER = b"OUTSIDE-THE-BOOK-7f3a9c"


def _secrets() -> list[bytes]:
    secrets = [OUTSIDE_MARKER, b"root:x:0:0", Path("/etc/passwd").read_bytes()[:40]]
    hostname = Path("/etc/hostname").read_bytes().strip()
    if len(hostname) >= 8:  # a short name such as 'debian' could occur by chance
        secrets.append(hostname)
    return secrets


def _all_bytes(folder: Path) -> bytes:
    """Every byte under `folder`, EPUB and zip members decompressed, PDF text extracted."""
    chunks = []
    for path in folder.rglob("*"):
        if not path.is_file() or path.suffix == ".json":  # EPUBCheck's reports
            continue
        data = path.read_bytes()
        chunks.append(data)
        if data[:2] == b"PK":
            with zipfile.ZipFile(path) as archive:
                chunks.extend(archive.read(name) for name in archive.namelist())
        if data[:5] == b"%PDF-":
            from pypdf import PdfReader

            reader = PdfReader(path)
            chunks.append("".join(page.extract_text() for page in reader.pages).encode())
            for page in reader.pages:
                for image in getattr(page, "images", []):
                    chunks.append(image.data)
    return b"\n".join(chunks)


def _hostile_book(tmp_path: Path) -> Path:
    (tmp_path / "outside.png").write_bytes(b"\x89PNG\r\n\x1a\n" + OUTSIDE_MARKER)
    book = tmp_path / "shelf" / "book"
    (book / "manuscript").mkdir(parents=True)
    (book / "images").mkdir()
    (book / "styles").mkdir()
    os.symlink("/etc/hostname", book / "images" / "link.png")
    os.symlink("/etc/passwd", book / "styles" / "linked.css")
    os.symlink("/etc/passwd", book / "manuscript" / "02-linked.md")
    markdown = ["# Hostile\n"]
    for ref in HOSTILE_REFERENCES:
        markdown.append(f"![md]({ref})\n")
        markdown.append(f'<p><img src="{ref}" alt="raw"></p>\n')
    markdown.append("![through a link](../images/link.png)\n")
    (book / "manuscript" / "01-hostile.md").write_text("\n".join(markdown), encoding="utf-8")
    css = "".join(f'p {{ background: url("{ref}"); }}\n' for ref in HOSTILE_REFERENCES)
    (book / "styles" / "book.css").write_text(css, encoding="utf-8")
    return book


def test_hostile_references_are_refused_with_diagnostics_and_none_of_their_bytes_is_written(tmp_path):
    book = _hostile_book(tmp_path)
    out = tmp_path / "out"
    result = run_cli("build", str(book), "-o", str(out))
    assert result.exit_code == 1, result.stderr
    shown = result.stderr.replace(str(book) + "/", "")
    for ref in HOSTILE_REFERENCES:
        assert shown.count(f"'{ref}'") == 3, (ref, shown)  # Markdown image, raw <img>, stylesheet url()
    assert "manuscript/01-hostile.md:19: error: image '../images/link.png' is a link to a file outside the book" in shown
    assert "styles/linked.css: error: stylesheet is a link to a file outside the book folder" in shown
    assert "manuscript/02-linked.md: error: the manuscript file is a link to a file outside the book folder" in shown
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    written = _all_bytes(out) if out.exists() else b""
    for secret in _secrets():
        assert secret not in written


def test_with_allow_remote_an_unreachable_host_is_a_diagnostic(tmp_path):
    source = tmp_path / "remote.md"
    source.write_text("# Remote\n\n![x](http://127.0.0.1:9/x.png)\n", encoding="utf-8")
    result = run_cli("epub", "--allow-remote", str(source))
    assert result.exit_code == 1
    assert f"{source}:3: error: image 'http://127.0.0.1:9/x.png' could not be fetched" in result.stderr


@pytest.mark.slow
def test_writers_refuse_on_their_own_what_the_reader_would_have_refused(tmp_path):
    """Defence in depth: a model that names a file outside the book (as if a check
    were missed) still cannot get its bytes into the PDF, the EPUB or the HTML."""
    from bookmaker.core.diagnostics import BookError, Diagnostics
    from bookmaker.formats import FORMATS, WriteContext
    from bookmaker.model import Image
    from bookmaker.read import read_book

    book_dir = copy_fixture("notes", tmp_path)
    (tmp_path / "outside.png").write_bytes(b"\x89PNG\r\n\x1a\n" + OUTSIDE_MARKER)
    book, _ = read_book(book_dir)
    book.images.append(Image(src="../outside.png", alt=""))
    book.chapters[0].blocks[0].html += '<img src="bookmaker-resource:../outside.png" alt="" />'
    book.styles.append(Path("/etc/passwd"))
    out = tmp_path / "out"
    for fmt in FORMATS.values():
        with pytest.raises(BookError):
            try:
                fmt.write_function()(book, out / f"b.{fmt.extension}", WriteContext(Diagnostics()))
            except BookError as exc:
                assert any("outside the book" in d.message for d in exc.diagnostics)
                raise
    assert not out.exists() or not any(out.iterdir())


def test_the_pdf_fetcher_refuses_what_the_policy_refuses(tmp_path):
    from weasyprint.urls import FatalURLFetchingError

    from bookmaker.safety.policy import ResourcePolicy
    from bookmaker.writers.pdf.weasy import _book_fetcher

    (tmp_path / "in.png").write_bytes(b"inside")
    fetcher = _book_fetcher(ResourcePolicy(tmp_path))
    assert fetcher.fetch((tmp_path / "in.png").as_uri()).read() == b"inside"
    for url in ("file:///etc/passwd", "http://127.0.0.1:9/x.png", "ftp://example.com/x.png",
                (tmp_path / ".." / "x.png").as_uri()):
        with pytest.raises(FatalURLFetchingError):
            fetcher.fetch(url)


class _Images(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "file:///etc/passwd")
            self.end_headers()
            return
        super().do_GET()


@pytest.fixture
def image_server(tmp_path):
    from PIL import Image

    served = tmp_path / "served"
    served.mkdir()
    Image.new("RGB", (6, 6), (20, 160, 90)).save(served / "dot.png")
    (served / "big.png").write_bytes(b"\x89PNG" + b"\0" * 5000)
    server = HTTPServer(("127.0.0.1", 0), partial(_Images, directory=str(served)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.mark.slow
def test_allow_remote_fetches_http_images_into_every_output(tmp_path, image_server):
    source = tmp_path / "remote.md"
    source.write_text(f"# Remote\n\n![a dot]({image_server}/dot.png)\n", encoding="utf-8")
    assert run_cli("epub", str(source)).exit_code == 1, "remote images need --allow-remote"
    result = run_cli("build", "--allow-remote", str(source), "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.stderr
    epub = Epub(tmp_path / "out" / "remote.epub")
    images = [n for n in epub.names() if n.startswith("EPUB/remote/")]
    assert len(images) == 1 and images[0].endswith(".png")
    assert_epubcheck_clean(epub.path)
    html = (tmp_path / "out" / "remote.html").read_text()
    assert 'src="data:image/png;base64,' in html and image_server not in html


def test_remote_fetches_are_capped_and_stay_on_http(image_server, tmp_path):
    from bookmaker.safety.policy import Refused, ResourcePolicy

    policy = ResourcePolicy(tmp_path, allow_remote=True, max_bytes=1000)
    assert policy.fetch_remote(f"{image_server}/dot.png").startswith(b"\x89PNG")
    with pytest.raises(Refused, match="larger than"):
        policy.fetch_remote(f"{image_server}/big.png")
    with pytest.raises(Refused, match="could not be fetched"):
        policy.fetch_remote(f"{image_server}/redirect")
    with pytest.raises(Refused, match="not an http"):
        policy.fetch_remote("file:///etc/passwd")


@pytest.mark.slow
def test_sanitized_raw_html_reaches_no_output(tmp_path):
    """Scripts, event attributes, javascript: URLs and entity bombs are gone from the
    EPUB (which passes EPUBCheck) and the HTML; the DOCTYPE's entities are never expanded."""
    out = tmp_path / "out"
    for case in ("scripts", "xml-entities"):
        result = run_cli("build", str(HOSTILE / case), "-o", str(out / case))
        assert result.exit_code == 0, result.stderr
        assert_epubcheck_clean(next((out / case).glob("*.epub")))
    written = _all_bytes(out).lower()
    for forbidden in (b"<script", b"pwned", b"onclick", b"onmouseover", b"<iframe", b"<object",
                      b"<embed", b"lollollol", b"<!entity"):
        assert forbidden not in written, forbidden
    # The Markdown link markdown-it refused stays as text; no attribute holds a script URL.
    assert not re.search(rb"""(href|src)\s*=\s*["']?\s*javascript""", written)
    assert b"raw link" in written and b"with <b>bold</b> in it" in written


# -- nothing lost --------------------------------------------------------------------

KILL_HALFWAY = """
import os, signal, sys
import weasyprint.document
from bookmaker.writers.epub import package as epub_package
def write_half_then_die(stream, *args, **kwargs):
    stream.write(b"%PDF-1.7 half a book")
    stream.flush()
    os.kill(os.getpid(), signal.SIGKILL)

real_repack = epub_package._repack

def repack_half_then_die(source, target, *args):
    target.write(b"PK half an epub")
    target.flush()
    os.kill(os.getpid(), signal.SIGKILL)

weasyprint.document.Document.write_pdf = lambda self, target=None, **kw: write_half_then_die(target)
epub_package._repack = repack_half_then_die
from bookmaker.cli import main
sys.argv = ["bookmaker", sys.argv[1], sys.argv[2]]
main()
"""


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["pdf", "epub"])
def test_a_build_killed_halfway_leaves_the_previous_output_and_no_temporary_file(tmp_path, fmt):
    book = copy_fixture("notes", tmp_path)
    assert run_cli("build", str(book)).exit_code == 0
    build = book / "build"
    before = {p.name: p.read_bytes() for p in build.iterdir()}
    edited = book / "manuscript" / "notes.md"
    edited.write_text(edited.read_text() + "\nA new paragraph.\n")
    manuscript = edited.read_bytes()
    killed = subprocess.run([sys.executable, "-c", KILL_HALFWAY, fmt, str(book)], capture_output=True)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert {p.name: p.read_bytes() for p in build.iterdir()} == before
    assert edited.read_bytes() == manuscript


@pytest.mark.slow
def test_an_interrupted_build_leaves_the_previous_output(tmp_path, monkeypatch):
    import weasyprint.document

    book = copy_fixture("notes", tmp_path)
    assert run_cli("pdf", str(book)).exit_code == 0
    before = {p.name: p.read_bytes() for p in (book / "build").iterdir()}

    def interrupted(self, target=None, **kwargs):
        target.write(b"%PDF-1.7 half")
        raise KeyboardInterrupt

    monkeypatch.setattr(weasyprint.document.Document, "write_pdf", interrupted)
    result = run_cli("pdf", str(book), "--force")  # nothing changed: laid out again all the same
    assert result.exit_code == 130 and "interrupted" in result.stderr
    assert {p.name: p.read_bytes() for p in (book / "build").iterdir()} == before


def test_limits_give_clear_errors(tmp_path, monkeypatch):
    from bookmaker.core import limits
    source = tmp_path / "big.md"
    source.write_text("# Big\n\n" + "word " * 2000, encoding="utf-8")
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", 1000)
    result = run_cli("check", str(source))
    assert result.exit_code == 1
    assert f"{source}: error: the manuscript is too large (10,007 bytes" in result.stderr
