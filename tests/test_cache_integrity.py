"""Never a stale or wrong book (issue 27): whatever happened to the user cache or the sources since the last
build, a build gives the book a from-scratch `--jobs 1` build of the same sources gives. Resources replaced
under the same name, an edited bibliography, damaged or replaced cache entries, killed workers."""

from __future__ import annotations

import os
import signal
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest

from conftest import copy_fixture, run_cli
from test_live import Running
from test_parallel_pdf import _assert_same_book

WAIT = 60  # seconds: a bound for what should happen, never a measure of speed
FONTS = Path("/usr/share/fonts/truetype")


def _png(rgb: tuple[int, int, int], size: int = 24) -> bytes:
    raw = b"".join(b"\x00" + bytes(rgb) * size for _ in range(size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


@pytest.fixture
def user_cache(monkeypatch, tmp_path):
    from bookmaker.core import cache

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("BOOKMAKER_NO_CACHE", raising=False)
    cache.cache_dir.cache_clear()
    cache._noted.clear()
    yield tmp_path / "cache"
    cache.cache_dir.cache_clear()


def _scratch(book: Path, out: Path, monkeypatch) -> Path:
    """The reference: the same sources, --jobs 1, no user cache at all."""
    from bookmaker.core import cache

    with monkeypatch.context() as m:
        m.setenv("BOOKMAKER_NO_CACHE", "1")
        cache.cache_dir.cache_clear()
        result = run_cli("pdf", str(book), "-o", str(out), "--jobs", "1")
    cache.cache_dir.cache_clear()
    assert result.exit_code == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def five_chapters_scratch(tmp_path_factory) -> Path:
    """The five-chapters fixture built once from scratch (--jobs 1, no user cache), the reference for each test."""
    folder = tmp_path_factory.mktemp("scratch")
    book = copy_fixture("five-chapters", folder)
    env = {**os.environ, "BOOKMAKER_NO_CACHE": "1"}
    subprocess.run([sys.executable, "-m", "bookmaker", "pdf", str(book), "-o", str(folder / "scratch.pdf"),
                    "--jobs", "1"], env=env, check=True, capture_output=True, timeout=600)
    return folder / "scratch.pdf"


def _parts(book: Path, out: Path) -> tuple[Path, str]:
    result = run_cli("pdf", str(book), "-o", str(out), "--jobs", "2")
    assert result.exit_code == 0, result.stderr
    return out, result.stderr


def _book_with_resources(tmp_path: Path, font: Path) -> Path:
    book = copy_fixture("five-chapters", tmp_path)
    (book / "fonts").mkdir()
    (book / "fonts" / "book.ttf").write_bytes(font.read_bytes())
    (book / "styles").mkdir(exist_ok=True)
    (book / "styles" / "faces.css").write_text(
        '@font-face { font-family: "Book Face"; src: url("../fonts/book.ttf"); }\nh1, h2 { font-family: "Book Face"; }\n')
    chapter = sorted((book / "manuscript").glob("*.md"))[1]
    (chapter.parent / "plate.png").write_bytes(_png((200, 30, 30)))
    chapter.write_text(chapter.read_text() + "\n![A plate](plate.png)\n")
    return book


def _image_colours(pdf: Path) -> set[tuple[int, ...]]:
    import pikepdf
    from pikepdf import PdfImage

    colours = set()
    with pikepdf.open(pdf) as document:
        for obj in document.objects:
            if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == "/Image":
                colours.add(PdfImage(obj).as_pil_image().convert("RGB").getpixel((1, 1)))
    return colours


def _face_boxes(pdf: Path) -> dict[str, list[float]]:
    """Each embedded face's vertical metrics (from its own tables, whatever glyphs a subset keeps): another
    font has others."""
    import pikepdf

    boxes = {}
    with pikepdf.open(pdf) as document:
        for obj in document.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/FontDescriptor":
                boxes[str(obj.FontName).split("+", 1)[-1]] = [round(float(obj.get(key, 0))) for key in
                                                              ("/Ascent", "/Descent", "/CapHeight")]
    return boxes


@pytest.mark.slow
def test_an_image_and_a_font_replaced_under_the_same_name_reach_the_parallel_pdf(tmp_path, user_cache, monkeypatch):
    serif, other = FONTS / "dejavu" / "DejaVuSerif.ttf", FONTS / "liberation2" / "LiberationSerif-Regular.ttf"
    if not (serif.is_file() and other.is_file()):
        pytest.skip("needs DejaVu and Liberation fonts (scripts/system-packages.sh)")
    book = _book_with_resources(tmp_path, serif)
    _parts(book, tmp_path / "warm.pdf")  # the user cache now holds every part, with the red plate and DejaVu
    (book / "fonts" / "book.ttf").write_bytes(other.read_bytes())
    (book / "manuscript" / "plate.png").write_bytes(_png((30, 30, 200)))
    after, _ = _parts(book, tmp_path / "after.pdf")
    scratch = _scratch(book, tmp_path / "scratch.pdf", monkeypatch)
    assert (30, 30, 200) in _image_colours(scratch) and (200, 30, 30) not in _image_colours(scratch)
    assert _image_colours(after) == _image_colours(scratch)
    assert _face_boxes(after) == _face_boxes(scratch) != _face_boxes(tmp_path / "warm.pdf")
    _assert_same_book(scratch, after)


@pytest.mark.slow
def test_damaged_or_replaced_cache_entries_give_the_same_book(tmp_path, user_cache, five_chapters_scratch):
    book = copy_fixture("five-chapters", tmp_path)
    _parts(book, tmp_path / "warm.pdf")
    entries = [p for p in user_cache.rglob("*") if p.is_file()]
    assert any("pdf-parts" in p.parts for p in entries) and any("pdf-faces" in p.parts for p in entries)
    for path in entries:  # one bit in the middle of each: a faulty disk, a truncated copy
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0x10
        path.write_bytes(bytes(data))
    damaged, said = _parts(book, tmp_path / "damaged.pdf")
    assert "note: a damaged entry in the user cache" in said
    scratch = five_chapters_scratch
    _assert_same_book(scratch, damaged)


@pytest.mark.slow
def test_a_full_disk_under_the_cache_leaves_the_build_going(tmp_path, user_cache, monkeypatch, five_chapters_scratch):
    """No space under the cache (ENOSPC) for an entry or a face: the book is built without it, as from scratch."""
    import pathlib
    import tempfile

    book = copy_fixture("five-chapters", tmp_path)
    real_mkstemp, real_write = tempfile.mkstemp, pathlib.Path.write_bytes

    def no_space(*args, **kwargs):
        if str(user_cache) in str(kwargs.get("dir", "")):
            raise OSError(28, "No space left on device")
        return real_mkstemp(*args, **kwargs)

    def no_space_for(path, data):
        if str(path).startswith(str(user_cache)):
            raise OSError(28, "No space left on device")
        return real_write(path, data)

    # Patched before the layout workers are forked, so they meet the full disk too.
    monkeypatch.setattr(tempfile, "mkstemp", no_space)
    monkeypatch.setattr(pathlib.Path, "write_bytes", no_space_for)
    full, _ = _parts(book, tmp_path / "full.pdf")
    monkeypatch.undo()
    assert not [p for p in user_cache.rglob("*") if p.is_file() and "pdf-parts" in p.parts]
    _assert_same_book(five_chapters_scratch, full)


def _scholarly(tmp_path: Path) -> tuple[Path, Path, Path]:
    """The scholarly fixture with its bibliography and a .csl style of its own beside bookmaker.toml,
    outside the folders the book's chapters, styles and templates are in."""
    from bookmaker.theme import THEME_DIR

    book = copy_fixture("scholarly", tmp_path)
    refs, style = book / "references.json", book / "house.csl"
    (book / "manuscript" / "references.json").rename(refs)
    style.write_bytes((THEME_DIR / "csl" / "chicago-notes-bibliography.csl").read_bytes())
    config = book / "bookmaker.toml"
    config.write_text(config.read_text().replace('"manuscript/references.json"', '"references.json"')
                      .replace('"chicago-notes-bibliography"', '"house.csl"'))
    return book, refs, style


@pytest.mark.slow
def test_an_edited_bibliography_or_style_is_never_up_to_date(tmp_path):
    book, refs, style = _scholarly(tmp_path)
    assert run_cli("build", str(book), "-f", "html").exit_code == 0
    unchanged = run_cli("build", str(book), "-f", "html")
    assert "up to date" in unchanged.stdout + unchanged.stderr  # the skip check works, so the edits below test it
    [html] = (book / "build").glob("*.html")
    refs.write_text(refs.read_text().replace("The Imaginary Harbours of Nowhere", "The Invented Quays of Nowhere"))
    again = run_cli("build", str(book), "-f", "html")
    assert again.exit_code == 0 and str(html) in again.stdout, again.stdout + again.stderr
    assert "The Invented Quays of Nowhere" in html.read_text()
    style.write_text(style.read_text().replace("<title>", "<title>House: ", 1))
    third = run_cli("build", str(book), "-f", "html")
    assert third.exit_code == 0 and str(html) in third.stdout, third.stdout + third.stderr


@pytest.mark.slow
def test_a_killed_build_takes_its_layout_workers_with_it(tmp_path):
    book = copy_fixture("five-chapters", tmp_path)
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    build = subprocess.Popen([sys.executable, "-m", "bookmaker", "pdf", str(book), "--jobs", "2"], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: set[int] = set()
    deadline = time.monotonic() + WAIT
    while len(workers) < 2 and time.monotonic() < deadline and build.poll() is None:
        workers = _descendants(build.pid)
        time.sleep(0.05)
    if build.poll() is not None:
        pytest.skip("the build ended before its workers were seen")
    assert len(workers) >= 2, "no layout workers were started"
    build.send_signal(signal.SIGKILL)
    build.wait()
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
        time.sleep(0.1)
    left = [pid for pid in workers if _alive(pid)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, "workers outlived their build"


def _descendants(pid: int) -> set[int]:
    found, todo = set(), [pid]
    while todo:
        parent = todo.pop()
        try:
            children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            found.add(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@pytest.mark.slow
def test_watch_follows_no_link_out_and_rebuilds_for_the_bibliography(tmp_path):
    book, refs, _ = _scholarly(tmp_path)
    (book / "manuscript" / "everything").symlink_to("/")
    watch = Running("watch", "-f", "html", cwd=book)
    try:
        watch.next_line(r"^Watching ")
        watch.next_line(r"rebuilt .*\.html in ")
        refs.write_text(refs.read_text() + "\n")
        watch.next_line(rf"rebuilt .*\.html in .*\({refs.name} changed\)")
    finally:
        watch.stop()
    assert not [line for line in watch.stderr if "Traceback" in line or "PermissionError" in line], watch.stderr


def test_a_leftover_part_file_with_a_number_no_process_can_have_is_swept(tmp_path):
    book = copy_fixture("five-chapters", tmp_path)
    first = run_cli("epub", str(book))
    assert first.exit_code == 0, first.stderr
    [epub] = (book / "build").glob("*.epub")
    leftover = epub.parent / f".{epub.name}.12345678901234567890.part"
    leftover.write_bytes(b"half an EPUB")
    result = run_cli("epub", str(book))
    assert result.exit_code == 0, result.stderr
    assert not leftover.exists()


@pytest.mark.slow
@pytest.mark.parametrize("case", ["caption-notes-and-comments", "css-selector-combinators", "css-bad-url",
                                  "figure-caption-links"])
def test_the_hostile_books_of_issue_27_lay_out_in_parts(case, tmp_path):
    """The fixtures that build, through `pdf --jobs 2` (the parts, their cache and the merge)."""
    import shutil

    from conftest import FIXTURES

    book = tmp_path / case
    shutil.copytree(FIXTURES / "hostile" / case, book)
    result = run_cli("pdf", str(book), "--jobs", "2")
    assert result.exit_code == 0, result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
