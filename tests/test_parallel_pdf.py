"""Speed without a different book: start-up costs, page numbers known in advance, and their equivalence."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

# Each test lays out whole books (some twice, some in a process pool): the slow layer.
pytestmark = pytest.mark.slow

PYTHON = sys.executable


def _python(code: str, env: dict | None = None) -> str:
    result = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, check=True, cwd=REPO,
                            env={**os.environ, **(env or {})})
    return result.stdout.strip()


# -- cheap wins ------------------------------------------------------------------------


FC_MATCH_COUNT = r"""
import json, subprocess
runs = []
real = subprocess.run
def counting(argv, *a, **k):
    runs.append(argv[0])
    return real(argv, *a, **k)
subprocess.run = counting
from bookmaker.writers.fonts import find_font
faces = [str(find_font(f, s)) for f, s in (("Linux Libertine O", "Regular"), ("Linux Libertine O", "Italic"),
                                            ("Linux Biolinum O", "Regular"), ("Amiri", "Regular"),
                                            ("No Such Family Anywhere", "Regular"))]
print(json.dumps([runs.count("fc-match"), faces]))
"""


def test_font_paths_come_from_the_cache_in_a_second_process(tmp_path: Path) -> None:
    """Each EPUB build ran fc-match four times just to key the cover cache."""
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    first_runs, first = json.loads(_python(FC_MATCH_COUNT, env))
    second_runs, second = json.loads(_python(FC_MATCH_COUNT, env))
    assert first_runs == 5
    assert second_runs == 0
    assert second == first


def test_a_changed_font_setup_asks_fontconfig_again(tmp_path: Path) -> None:
    """A font installed since (fontconfig's cache rebuilt) must be seen: the stamp changes, the cache misses."""
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    _python(FC_MATCH_COUNT, env)
    fc_cache = tmp_path / "cache" / "fontconfig"  # where fc-cache writes for this user
    fc_cache.mkdir()
    runs, _ = json.loads(_python(FC_MATCH_COUNT, env))
    assert runs == 5


FIND_LIBRARY_COUNT = r"""
import ctypes.util, sys
calls = []
real = ctypes.util.find_library
ctypes.util.find_library = lambda name: calls.append(name) or real(name)
from bookmaker.writers.pdf.weasy import import_weasyprint
weasyprint = import_weasyprint()
weasyprint.HTML(string="<p>x</p>").render()
print(len(calls))
"""


def test_weasyprint_loads_its_libraries_without_find_library() -> None:
    """WeasyPrint's cffi loader asks ctypes.util.find_library, which runs ldconfig and gcc, ~50 processes."""
    assert _python(FIND_LIBRARY_COUNT) == "0"


# -- page numbers known in advance -----------------------------------------------------


def test_fill_page_refs_writes_known_numbers_and_leaves_the_rest() -> None:
    from bookmaker.writers.pdf.pagemap import fill_page_refs, referenced_ids

    html = ('<a href="#a" data-pageref="a">A</a> <a href="#b" data-pageref="b">B</a>'
            ' <span class="pageref" data-pageref="a&amp;1"></span>')
    assert referenced_ids(html) == {"a", "b", "a&1"}
    filled = fill_page_refs(html, {"a": 7, "a&1": 12})
    assert '<a href="#a" data-pageref="a" data-page="7">A</a>' in filled
    assert '<a href="#b" data-pageref="b">B</a>' in filled  # not in the map: target-counter() decides
    assert '<span class="pageref" data-pageref="a&amp;1" data-page="12">12</span>' in filled
    assert fill_page_refs(html, {}) == html


def test_a_book_that_renumbers_its_pages_keeps_target_counter() -> None:
    from bookmaker.writers.pdf.pagemap import can_use_page_map

    assert can_use_page_map("<style>.chapter { break-before: page; }</style>")
    assert not can_use_page_map("<style>@page :first { counter-reset: page 3 }</style>")
    assert not can_use_page_map('<p style="counter-increment: page 2">')


def _pdf_text(path: Path) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() for page in PdfReader(path).pages]


@pytest.fixture
def layouts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[int]:
    """Pages laid out by WeasyPrint in each build (a page laid out twice counts twice); a fresh user cache."""
    import weasyprint.layout.page as page_layout

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("BOOKMAKER_NO_CACHE", raising=False)
    from bookmaker.core.cache import cache_dir

    cache_dir.cache_clear()
    counts: list[int] = []
    real = page_layout.make_page

    def counting(*args, **kwargs):
        counts[-1] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(page_layout, "make_page", counting)
    yield counts
    cache_dir.cache_clear()


def _build_pdf(book: Path, out: Path, counts: list[int], *extra: str) -> Path:
    from conftest import run_cli

    counts.append(0)
    result = run_cli("pdf", str(book), "-o", str(out), *extra)
    assert result.exit_code == 0, result.stderr
    return out


def test_the_second_build_lays_out_each_page_once_and_says_the_same(tmp_path: Path, layouts: list[int]) -> None:
    """target-counter() (TOC numbers, the notes' "p. N") made WeasyPrint lay the TOC and notes out again."""
    from conftest import copy_fixture

    book = copy_fixture("five-chapters", tmp_path)
    first = _build_pdf(book, tmp_path / "first.pdf", layouts, "--jobs", "1")
    second = _build_pdf(book, tmp_path / "second.pdf", layouts, "--jobs", "1")
    pages = len(_pdf_text(first))
    assert layouts[0] > pages  # the TOC and notes laid out again for their numbers
    # Each pass lays every page out once (main's notes design lays out a second pass for its same-page marks).
    assert layouts[1] % pages == 0 and layouts[1] < layouts[0]
    assert _pdf_text(second) == _pdf_text(first)


def test_numbers_that_moved_since_the_last_build_are_corrected(tmp_path: Path, layouts: list[int]) -> None:
    """A page map that lies (as after an edit that added pages) never reaches the PDF."""
    from conftest import copy_fixture

    book = copy_fixture("five-chapters", tmp_path)
    first = _build_pdf(book, tmp_path / "first.pdf", layouts, "--jobs", "1")
    # The page map, not the EPUB's record of the print pages (print_pages.py), kept beside it.
    [map_file] = [p for p in (tmp_path / "cache").rglob("pagemaps/*") if "starts" not in _record(p)]
    wrong = {k: v + 1 for k, v in _record(map_file).items()}
    _rewrite(map_file, wrong)  # a record that lies, with a digest that matches
    second = _build_pdf(book, tmp_path / "second.pdf", layouts, "--jobs", "1")
    assert _pdf_text(second) == _pdf_text(first)
    assert _record(map_file) == {k: v - 1 for k, v in wrong.items()}


def _record(path: Path):
    """A JSON entry of the user cache (core/cache.py)."""
    from bookmaker.core.cache import read_entry

    return json.loads(read_entry(path))


def _rewrite(path: Path, value) -> None:
    from bookmaker.core.cache import write_entry

    write_entry(path, json.dumps(value).encode())


# -- parts laid out in parallel ----------------------------------------------------------


def _summary(path: Path) -> dict:
    """What a reader gets from a PDF: pages, their text, where each link leads, the outline, the metadata."""
    from pypdf import PdfReader

    reader = PdfReader(path)
    index = {page.indirect_reference.idnum: i for i, page in enumerate(reader.pages)}
    destinations = {name: index.get(dest.page.idnum) for name, dest in reader.named_destinations.items()}
    links = []
    for number, page in enumerate(reader.pages):
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            if annotation.get("/Subtype") != "/Link":
                continue
            rect = [round(float(x)) for x in annotation["/Rect"]]
            if "/Dest" in annotation:
                links.append((number, rect, destinations[str(annotation["/Dest"])]))
            else:
                links.append((number, rect, str(annotation["/A"].get("/URI"))))
    outline = []

    def walk(items, depth):
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                outline.append((depth, item.title, reader.get_destination_page_number(item)))

    walk(reader.outline, 0)
    metadata = {k: v for k, v in (reader.metadata or {}).items() if k not in ("/CreationDate", "/ModDate")}
    return {
        "pages": len(reader.pages),
        "text": [page.extract_text() for page in reader.pages],
        "links": links,
        "outline": outline,
        "metadata": metadata,
        "lang": reader.trailer["/Root"].get("/Lang"),
        "boxes": [(list(map(float, p.mediabox)), list(map(float, p.trimbox)), list(map(float, p.bleedbox)))
                  for p in reader.pages],
    }


def _assert_same_book(one: Path, parts: Path) -> None:
    # poppler reads the merged PDF without a complaint (it warned on every page whose font had a joined
    # Unicode map of more than 100 glyphs, which pypdf reads without a word).
    said = subprocess.run(["pdftotext", str(parts), "-"], capture_output=True, text=True).stderr
    assert "Syntax" not in said, said[:300]
    a, b = _summary(one), _summary(parts)
    assert b["pages"] == a["pages"]
    for number, (x, y) in enumerate(zip(a["text"], b["text"])):
        assert y == x, f"page {number + 1} differs"
    for key in ("links", "outline", "metadata", "lang", "boxes"):
        assert b[key] == a[key], key
    assert a["links"] and a["outline"]


def _faces(path: Path) -> dict[str, int]:
    """How many font programs the PDF embeds for each face."""
    import pikepdf

    counts: dict[str, set] = {}
    with pikepdf.open(path) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/FontDescriptor":
                program = obj.get("/FontFile2") or obj.get("/FontFile3")
                name = str(obj.FontName).split("+", 1)[-1]
                counts.setdefault(name, set()).add(program.objgen if program is not None else None)
    return {name: len(programs) for name, programs in counts.items()}


@pytest.mark.parametrize("options", [(), ("--duplex", "--bleed", "3mm", "--marks", "crop"), ("--notes", "chapter")],
                         ids=["simplex", "duplex-bleed-marks", "notes-by-chapter"])
def test_jobs_2_makes_the_same_book_as_jobs_1(tmp_path: Path, layouts: list[int], options: tuple[str, ...]) -> None:
    from conftest import copy_fixture

    book = copy_fixture("five-chapters", tmp_path)
    one = _build_pdf(book, tmp_path / "one.pdf", layouts, "--jobs", "1", *options)
    parts = _build_pdf(book, tmp_path / "parts.pdf", layouts, "--jobs", "2", *options)
    again = _build_pdf(book, tmp_path / "again.pdf", layouts, "--jobs", "2", *options)  # with the page map
    _assert_same_book(one, parts)
    _assert_same_book(one, again)
    assert parts.stat().st_size <= 1.1 * one.stat().st_size
    assert set(_faces(parts).values()) == {1}, _faces(parts)  # each face subset once, for all parts
    assert _faces(parts).keys() == _faces(one).keys()


def test_the_status_line_counts_the_parts_laid_out(tmp_path: Path, layouts: list[int]) -> None:
    import io

    from conftest import copy_fixture

    from bookmaker.build.pipeline import Builder
    from bookmaker.build.request import BuildRequest
    from bookmaker.build.progress import Reporter

    book = copy_fixture("five-chapters", tmp_path)
    stream = io.StringIO()
    builder = Builder(book, Reporter(stream=stream, live=True))
    builder.load_config()
    layouts.append(0)
    builder.build(BuildRequest(formats=("pdf",), force=True, jobs=2))
    shown = stream.getvalue()
    assert "laying out: 1/7 parts" in shown
    assert "laying out: 7/7 parts" in shown


def test_pdf_ua_is_laid_out_in_parts_and_pdf_a_as_one_document(tmp_path: Path, layouts: list[int]) -> None:
    """PDF/UA's structure trees are merged from the parts (structure.py); PDF/A's metadata is made for one
    document: that book is laid out whole."""
    import pikepdf
    from conftest import copy_fixture

    book = copy_fixture("five-chapters", tmp_path)
    parts = _build_pdf(book, tmp_path / "ua.pdf", layouts, "--jobs", "2", "--pdf-variant", "pdf/ua-1")
    with pikepdf.open(parts) as pdf:
        assert "/StructTreeRoot" in pdf.Root and b"pdfuaid:part" in pdf.Root.Metadata.read_bytes()
    assert layouts[-1] == 0  # nothing laid out in this process: the parts were
    archive = _build_pdf(book, tmp_path / "a.pdf", layouts, "--jobs", "2", "--pdf-variant", "pdf/a-3b")
    with pikepdf.open(archive) as pdf:
        assert "/StructTreeRoot" in pdf.Root  # tagged too
    assert layouts[-1] >= _summary(archive)["pages"]  # laid out here, in this process, as one document


def test_a_book_that_runs_chapters_on_is_laid_out_as_one_document(tmp_path: Path, layouts: list[int]) -> None:
    """A split is only exact where each part starts a page: a book's CSS may run chapters on."""
    from conftest import copy_fixture

    book = copy_fixture("five-chapters", tmp_path)
    (book / "styles").mkdir(exist_ok=True)
    (book / "styles" / "runon-print.css").write_text(".chapter { break-before: auto; }\n", encoding="utf-8")
    one = _build_pdf(book, tmp_path / "one.pdf", layouts, "--jobs", "1")
    parts = _build_pdf(book, tmp_path / "parts.pdf", layouts, "--jobs", "2")
    _assert_same_book(one, parts)


def test_an_edit_of_one_chapter_lays_out_that_chapter_only(tmp_path: Path, layouts: list[int],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Unchanged parts come from the per-user cache (keyed by their whole HTML), never from the book folder;
    this process merged the book before, so the edited chapter alone is taken into it again (merge.py),
    and the book is the one a merge from scratch makes, to its structure tree and fonts."""
    from conftest import copy_fixture
    from merged_form import merged_form

    from bookmaker.writers.pdf import merge

    book = copy_fixture("five-chapters", tmp_path)
    merge._last.clear()
    _build_pdf(book, tmp_path / "first.pdf", layouts, "--jobs", "2")
    parts = tmp_path / "cache"
    cached = set(parts.rglob("pdf-parts/*"))
    chapter = book / "manuscript" / "03-movable-type.md"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace("slowly", "gradually", 1), encoding="utf-8")
    taken: list[int] = []
    real_take = merge._take
    monkeypatch.setattr(merge, "_take", lambda book, segment, index, at: taken.append(index)
                        or real_take(book, segment, index, at))
    edited = _build_pdf(book, tmp_path / "edited.pdf", layouts, "--jobs", "2")
    assert len(set(parts.rglob("pdf-parts/*")) - cached) == 1
    assert len(taken) == 1 and taken[0] > 0, taken  # the edited chapter's segment, into the last book
    merge._last.clear()
    scratch = _build_pdf(book, tmp_path / "scratch.pdf", layouts, "--jobs", "2", "--force")
    assert len(taken) > 3  # every segment: a merge from scratch
    assert merged_form(edited) == merged_form(scratch)
    one = _build_pdf(book, tmp_path / "one.pdf", layouts, "--jobs", "1")
    _assert_same_book(one, edited)
    assert "gradually" in "".join(_summary(edited)["text"])
    assert not list(book.rglob("*.json")) and not (book / "build").exists()


def test_a_new_process_merges_the_cached_parts_while_the_edited_one_is_laid_out(
        tmp_path: Path, layouts: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    """`pdf` after an edit (a process with no book merged before) took every part into the book once the
    edited chapter was laid out, its core idle meanwhile: the parts from the cache are now taken while it
    is (merge.Beginning), the merge proper takes the edited chapter alone, and the book is the one a
    merge from scratch makes."""
    from conftest import copy_fixture
    from merged_form import merged_form

    import bookmaker.writers.pdf.parts.run as run
    from bookmaker.writers.pdf import merge

    book = copy_fixture("five-chapters", tmp_path)
    _build_pdf(book, tmp_path / "first.pdf", layouts, "--jobs", "2")
    chapter = book / "manuscript" / "03-movable-type.md"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace("slowly", "gradually", 1), encoding="utf-8")
    taken: list[tuple[int, bool]] = []  # (segment, whether the edited chapter was back yet)
    back, at_merge = [False], []
    real_take, real_wave, real_merge = merge._take, run.lay_out_wave, run.merge

    def waving(*args, **kwargs):
        for result in real_wave(*args, **kwargs):
            back[0] = True
            yield result

    monkeypatch.setattr(merge, "_take", lambda book, segment, index, at: taken.append((index, back[0]))
                        or real_take(book, segment, index, at))
    monkeypatch.setattr(run, "lay_out_wave", waving)
    monkeypatch.setattr(run, "merge", lambda *args: at_merge.append(len(taken)) or real_merge(*args))
    merge._last.clear()  # as in a new process
    edited = _build_pdf(book, tmp_path / "edited.pdf", layouts, "--jobs", "2")
    before, after = taken[: at_merge[0]], taken[at_merge[0]:]
    assert len(after) == 1 and after[0][0] > 0, after  # the edited chapter's segment, taken by the merge
    assert sorted(index for index, _ in before) == [i for i in range(len(taken)) if i != after[0][0]]
    assert any(not was_back for _, was_back in before), before  # taken while the chapter was laid out
    monkeypatch.setattr(run, "begin_merge", lambda *args: None)
    merge._last.clear()
    scratch = _build_pdf(book, tmp_path / "scratch.pdf", layouts, "--jobs", "2", "--force")
    assert len(taken) > 2 * len(before)  # every segment again: a merge from scratch
    assert merged_form(edited) == merged_form(scratch)


def test_a_first_build_lays_out_each_chapter_once(tmp_path: Path, layouts: list[int]) -> None:
    """Without a page map a first wave laid every part out to learn the page counts and a second laid
    them out again at their real starts; page numbers are now fixed after layout (margin boxes only),
    and the notes wait until the chapters' pages are known. Each laid-out part goes into the cache
    once: front matter twice (its contents' numbers), every other part once."""
    from conftest import copy_fixture

    book = copy_fixture("five-chapters", tmp_path)
    cold = _build_pdf(book, tmp_path / "cold.pdf", layouts, "--jobs", "2")
    laid = list((tmp_path / "cache").rglob("pdf-parts/*"))
    parts = 7  # front matter, five chapters, notes
    assert len(laid) <= parts + 1, len(laid)
    one = _build_pdf(book, tmp_path / "one.pdf", layouts, "--jobs", "1")
    _assert_same_book(one, cold)


def test_another_weasyprint_lays_out_again_instead_of_renumbering(tmp_path: Path, layouts: list[int],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Renumbering after layout reaches into WeasyPrint's internals: a version it was not checked against
    takes the slower way (a part whose start was a guess is laid out again), and the book is the same."""
    from conftest import copy_fixture

    import bookmaker.writers.pdf.patches.fence as pdf_parts

    monkeypatch.setattr(pdf_parts, "RENUMBERING_CHECKED", ("0.0.",))
    assert not pdf_parts.renumbering_supported()
    book = copy_fixture("five-chapters", tmp_path)
    cold = _build_pdf(book, tmp_path / "cold.pdf", layouts, "--jobs", "2")
    assert len(list((tmp_path / "cache").rglob("pdf-parts/*"))) > 7 + 1  # parts laid out again at their real starts
    one = _build_pdf(book, tmp_path / "one.pdf", layouts, "--jobs", "1")
    _assert_same_book(one, cold)


def _indexed_book(tmp_path: Path) -> Path:
    from conftest import copy_fixture

    book = copy_fixture("five-chapters", tmp_path)
    for name, words in (("01-clay-and-papyrus.md", ("papyrus", "tablets")), ("03-movable-type.md", ("slowly", "title page")),
                        ("05-the-digital-page.md", ("PDF", "page"))):
        chapter = book / "manuscript" / name
        text = chapter.read_text(encoding="utf-8")
        for word in words:
            text = text.replace(f" {word} ", f" [{word}]{{.index}} ", 1)
        chapter.write_text(text, encoding="utf-8")
    return book


def test_a_book_with_an_index_is_laid_out_in_parts(tmp_path: Path, layouts: list[int]) -> None:
    """The index (numbers of marks in every chapter) was a reason to lay the whole book out as one
    document; it is now a part laid out once the marks' pages are known, cold and with a page map."""
    book = _indexed_book(tmp_path)
    one = _build_pdf(book, tmp_path / "one.pdf", layouts, "--jobs", "1")
    assert "Index" in _summary(one)["text"][-1]
    cold = _build_pdf(book, tmp_path / "cold.pdf", layouts, "--jobs", "2")
    assert list((tmp_path / "cache").rglob("pdf-parts/*")), "laid out as one document"
    for parts in (tmp_path / "cache").rglob("pdf-parts"):
        import shutil

        shutil.rmtree(parts)
    again = _build_pdf(book, tmp_path / "again.pdf", layouts, "--jobs", "2")
    _assert_same_book(one, cold)
    _assert_same_book(one, again)


def test_the_second_build_of_a_book_with_an_index_lays_out_once(tmp_path: Path, layouts: list[int]) -> None:
    """--jobs 1 laid a book with an index out twice on every build (placeholders, then the marks'
    pages); with the marks' pages of the last build written in and checked, once."""
    book = _indexed_book(tmp_path)
    first = _build_pdf(book, tmp_path / "first.pdf", layouts, "--jobs", "1")
    second = _build_pdf(book, tmp_path / "second.pdf", layouts, "--jobs", "1")
    pages = len(_pdf_text(first))
    assert layouts[0] >= 2 * pages
    assert layouts[1] == pages
    _assert_same_book(first, second)


def _long_book(folder: Path, chapters: int) -> Path:
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        from run import make_book
    finally:
        sys.path.pop(0)
    return make_book(folder, chapters)


@pytest.mark.slow
def test_a_long_book_is_the_same_in_parts(tmp_path: Path, layouts: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    """A first build in parts lays its notes and its index out in the chapters' wave (issue 26: they waited
    for every chapter, and the notes' chain then ran on one core): the chain asks each piece's numbers as
    the chapters are laid out, the index its document once every number it shows is known.

    8 chapters (about 90 pages, eight chapters' parts and 400 notes in three pieces of the chain, with
    the real sizes of the parts): the benchmark lays out the 50-chapter book; here that book alone took ten
    of the suite's minutes on two cores, and 20 chapters five."""
    import bookmaker.writers.pdf.parts.desk as desk
    import bookmaker.writers.pdf.parts.run as run

    waves: list[set[str]] = []
    real_wave, real_ask, asked = run.lay_out_wave, desk.Desk.ask, []

    def recording(pool, fresh, parts, *args):
        waves.append({parts[job.index].kind for job in fresh})
        yield from real_wave(pool, fresh, parts, *args)

    monkeypatch.setattr(run, "lay_out_wave", recording)
    monkeypatch.setattr(desk.Desk, "ask", lambda self, kind, *rest: asked.append(kind) or real_ask(self, kind, *rest))
    book = _long_book(tmp_path / "book", 8)
    parts = _build_pdf(book, tmp_path / "parts.pdf", layouts, "--jobs", "2")  # first: no page map yet
    assert {"chapter", "notes", "index"} <= waves[0] and waves[1:] == [{"front"}], waves
    assert asked.count(desk.NEED) >= 3 and asked.count(desk.NEED_PART) == 1, asked
    chained = [laid for laid in _cached_parts(tmp_path / "cache") if laid.more]
    assert chained and len(chained[0].more) >= 2, "the notes were not laid out in pieces"
    one = _build_pdf(book, tmp_path / "one.pdf", layouts, "--jobs", "1")
    _assert_same_book(one, parts)
    assert parts.stat().st_size <= 1.1 * one.stat().st_size
    assert set(_faces(parts).values()) == {1}


# -- the notes cut at page tops (pdf_note_parts.py) --------------------------------------------------

# The notes' tests lay a book out three or four times each: three chapters of the article (34 pages, 150
# notes on ten pages) cut into parts of two pages exercise the cuts, the chain and the probes as a longer
# book does, at half the time of six chapters (these tests were a third of the suite's time).
NOTES_BOOK = 3


@pytest.fixture
def small_note_parts(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Parts of the notes two pages long, so that a three-chapter book's notes (ten pages) are cut into
    several; the names of the notes' parts of each split of the book."""
    import bookmaker.writers.pdf.notes.chain as chain
    import bookmaker.writers.pdf.notes.cuts as note_parts
    import bookmaker.writers.pdf.parts.run as run
    import bookmaker.writers.pdf.parts.waves as waves

    for module in (note_parts, chain, waves):
        monkeypatch.setattr(module, "PAGES_PER_PART", 2)
    monkeypatch.setattr(chain, "CHAIN_FIRST", 10)
    # The sizes are patched in this process: its workers must be forked from it. A test process with a
    # thread (Playwright's, an earlier test's) would start them from a fork server, which has the real ones.
    monkeypatch.setattr(run, "start_method", lambda: "fork")
    seen: list[list[str]] = []
    real = run.split

    def split(html, cuts=()):
        found = real(html, cuts)
        if found is not None:
            seen.append([p.name for p in found[2] if p.kind == "notes"])
        return found

    monkeypatch.setattr(run, "split", split)
    return seen


@pytest.fixture
def apart_writes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """How many pieces of a chain a child process was asked to write (parts/apart.py), counted through a
    file: the workers that fork them are forked from this process (small_note_parts)."""
    import bookmaker.writers.pdf.parts.worker as worker

    counted = tmp_path / "apart-writes"
    counted.write_text("")
    real = worker.write_apart

    def write_apart(*args, **kwargs):
        with counted.open("a") as out:
            out.write("x")
        return real(*args, **kwargs)

    monkeypatch.setattr(worker, "write_apart", write_apart)
    return lambda: len(counted.read_text())


@pytest.fixture(scope="module")
def notes_book_as_one(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The note-heavy book laid out as one document (--jobs 1): what the tests of its notes' parts compare
    their builds with, laid out once for them all."""
    from conftest import run_cli

    folder = tmp_path_factory.mktemp("notes-book")
    book = _long_book(folder / "book", NOTES_BOOK)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(folder / "cache"))
        result = run_cli("pdf", str(book), "-o", str(folder / "one.pdf"), "--jobs", "1")
    assert result.exit_code == 0, result.stderr
    return folder / "one.pdf"


def _cached_parts(cache: Path) -> list:
    from bookmaker.core.cache import read_entry
    from bookmaker.writers.pdf.parts.cache import decode

    return [decode(read_entry(path)) for path in cache.rglob("pdf-parts/*")]


def _drop_cached_parts(cache: Path) -> None:
    import shutil

    for parts in cache.rglob("pdf-parts"):
        shutil.rmtree(parts)


@pytest.mark.parametrize("options", [(), ("--duplex",)], ids=["simplex", "duplex"])
def test_the_notes_are_laid_out_in_pieces_then_in_parallel_and_the_book_is_the_same(
        tmp_path: Path, layouts: list[int], small_note_parts: list[list[str]], options: tuple[str, ...],
        apart_writes, notes_book_as_one: Path) -> None:
    """Laid out whole, the notes of a note-heavy book were the largest process and the longest job.
    A first build lays them out in pieces one after another, each ending before the last note that
    began a page in it, each written by a child process while the next is laid out; the next build
    cuts them at the page tops it found, into parts laid out in parallel. The book is the same as
    --jobs 1's: every page's text, link, outline entry."""
    book = _long_book(tmp_path / "book", NOTES_BOOK)
    one = _build_pdf(book, tmp_path / "one.pdf", layouts, "--jobs", "1", *options) if options else notes_book_as_one
    assert apart_writes() == 0
    cold = _build_pdf(book, tmp_path / "cold.pdf", layouts, "--jobs", "2", *options)
    assert apart_writes() >= 3  # each piece of the chain (with the pieces tried longer)
    # Laid out in parts: nothing laid out by this process (a duplex first build needs five waves of
    # layout, and gave up for one document after four).
    assert layouts[-1] == 0
    assert small_note_parts[-1] == ["notes"]  # no cut known yet
    chained = [laid for laid in _cached_parts(tmp_path / "cache") if laid.more]
    assert chained and len(chained[0].more) >= 3, "the notes were not laid out in pieces"
    _drop_cached_parts(tmp_path / "cache")  # as after a change of style: the page map and the cuts stay
    again = _build_pdf(book, tmp_path / "again.pdf", layouts, "--jobs", "2", *options)
    assert len(small_note_parts[-1]) >= 4, small_note_parts[-1]
    assert layouts[-1] == 0
    assert not [laid for laid in _cached_parts(tmp_path / "cache") if laid.more]
    _assert_same_book(one, cold)
    _assert_same_book(one, again)
    assert again.stat().st_size <= 1.1 * one.stat().st_size
    assert set(_faces(again).values()) == {1}


def test_a_piece_its_child_could_not_write_leaves_the_notes_laid_out_whole(
        tmp_path: Path, layouts: list[int], small_note_parts: list[list[str]], apart_writes,
        monkeypatch: pytest.MonkeyPatch, notes_book_as_one: Path) -> None:
    """A child process that fails to write its piece (parts/apart.py) must not cost the book: the chain
    gives up, its other children end, the notes are laid out whole, and the book is the same. Not the
    book's doing: its notes are not recorded as notes the chain cannot follow (laid out whole for good)."""
    import bookmaker.writers.pdf.parts.apart as apart

    def broken(laid):
        raise ValueError("no room left on the device")

    monkeypatch.setattr(apart, "encode", broken)
    book = _long_book(tmp_path / "book", NOTES_BOOK)
    cold = _build_pdf(book, tmp_path / "cold.pdf", layouts, "--jobs", "2")
    assert apart_writes() >= 1
    assert not [laid for laid in _cached_parts(tmp_path / "cache") if laid.more]  # no chain: laid out whole
    _assert_same_book(notes_book_as_one, cold)
    [record] = [p for p in (tmp_path / "cache").rglob("pagemaps/*") if "tops" in _record(p)]
    assert _record(record)["uncut"] is None


def test_a_cut_no_longer_at_a_page_top_lays_the_notes_out_whole(tmp_path: Path, layouts: list[int],
                                                                 small_note_parts: list[list[str]],
                                                                 notes_book_as_one: Path) -> None:
    """The cuts come from the last build; a cut that this layout does not confirm (its probe does not
    begin a page) must never reach the PDF."""
    book = _long_book(tmp_path / "book", NOTES_BOOK)
    one = notes_book_as_one
    _build_pdf(book, tmp_path / "cold.pdf", layouts, "--jobs", "2")
    [record] = [p for p in (tmp_path / "cache").rglob("pagemaps/*") if "tops" in _record(p)]
    data = _record(record)
    good = dict(data["tops"])
    # Each top moved to the note after it, which follows another note on its page.
    notes = sorted({int(t.split("-")[-1]) for t in good if t.startswith("note-")})
    data["tops"] = {f"note-{n + 1}": v for n, v in ((int(t.split("-")[-1]), v) for t, v in good.items()
                                                   if t.startswith("note-")) if n + 1 not in notes}
    # The cuts the cold build kept (where its chain's pieces began) moved the same way.
    data["cuts"] = [f"note-{int(t.split('-')[-1]) + 1}" for t in data.get("cuts", [])]
    _rewrite(record, data)
    _drop_cached_parts(tmp_path / "cache")
    tried = len(small_note_parts)
    moved = _build_pdf(book, tmp_path / "moved.pdf", layouts, "--jobs", "2")
    assert max(len(names) for names in small_note_parts[tried:]) > 1  # cut as the record said
    assert small_note_parts[-1] == ["notes"]  # then laid out whole
    _assert_same_book(one, moved)
    assert _record(record)["tops"] == good  # the record is right again


def test_an_edit_of_one_note_lays_out_its_part_of_the_notes_only(tmp_path: Path, layouts: list[int],
                                                                   small_note_parts: list[list[str]]) -> None:
    """`watch` after an edit of one note laid all the notes out again (17 s on the 50-chapter book)."""
    book = _long_book(tmp_path / "book", NOTES_BOOK)
    _build_pdf(book, tmp_path / "cold.pdf", layouts, "--jobs", "2")
    _build_pdf(book, tmp_path / "cut.pdf", layouts, "--jobs", "2")
    cached = set((tmp_path / "cache").rglob("pdf-parts/*"))
    chapter = book / "manuscript" / "03-chapter.md"
    lines = chapter.read_text(encoding="utf-8").split("\n")
    [n] = [n for n, line in enumerate(lines) if line.startswith("[^") and " the " in line][8:9]
    lines[n] = lines[n].replace(" the ", " thy ", 1)  # as long: the page count stays
    chapter.write_text("\n".join(lines), encoding="utf-8")
    edited = _build_pdf(book, tmp_path / "edited.pdf", layouts, "--jobs", "2")
    assert len(small_note_parts[-1]) >= 4
    assert 1 <= len(set((tmp_path / "cache").rglob("pdf-parts/*")) - cached) <= 2
    one = _build_pdf(book, tmp_path / "one.pdf", layouts, "--jobs", "1")
    _assert_same_book(one, edited)


def test_a_page_number_of_the_book_own_css_keeps_the_book_whole(tmp_path: Path, layouts: list[int]) -> None:
    """A book's own `target-counter()` into another chapter, laid out in a part of its own, counted
    that part's pages: "see p. 2" for a heading on page 14. Such a book is laid out as one document."""
    from conftest import copy_fixture

    book = copy_fixture("five-chapters", tmp_path)
    chapter = book / "manuscript" / "01-clay-and-papyrus.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nSee [the last chapter](#the-digital-page){.see}.\n",
                       encoding="utf-8")
    (book / "styles").mkdir()
    (book / "styles" / "see.css").write_text(
        'a.see::after { content: " (p.\\a0" target-counter(attr(href), page) ")"; }\n', encoding="utf-8")
    one = _build_pdf(book, tmp_path / "one.pdf", layouts, "--jobs", "1")
    parts = _build_pdf(book, tmp_path / "parts.pdf", layouts, "--jobs", "2")
    _assert_same_book(one, parts)
    text = _summary(one)["text"]
    page = next(n for n, t in enumerate(text) if t.lstrip().startswith("The digital page")) + 1
    assert f"the last chapter (p.\xa0{page})" in " ".join(text).replace("\n", " ")


def test_a_note_that_grows_keeps_the_cuts_before_it(tmp_path: Path, layouts: list[int],
                                                      small_note_parts: list[list[str]]) -> None:
    """A note made longer moves the page tops after it: the cuts before it stand (their parts come from
    the cache), the notes after it are laid out in pieces, and the book is --jobs 1's."""
    book = _long_book(tmp_path / "book", NOTES_BOOK)
    _build_pdf(book, tmp_path / "cold.pdf", layouts, "--jobs", "2")
    _build_pdf(book, tmp_path / "cut.pdf", layouts, "--jobs", "2")
    cuts = len(small_note_parts[-1])
    chapter = book / "manuscript" / "02-chapter.md"
    lines = chapter.read_text(encoding="utf-8").split("\n")
    [n] = [n for n, line in enumerate(lines) if line.startswith("[^")][10:11]
    lines[n] += " This sentence, added to the note, is long enough to take a line of its own and more. " * 3
    chapter.write_text("\n".join(lines), encoding="utf-8")
    grown = _build_pdf(book, tmp_path / "grown.pdf", layouts, "--jobs", "2")
    assert 1 < len(small_note_parts[-1]) < cuts, small_note_parts[-3:]
    one = _build_pdf(book, tmp_path / "one.pdf", layouts, "--jobs", "1")
    _assert_same_book(one, grown)


_ODD_NOTES = """{% if notes %}
<section class="notes" id="notes">
<h2>Notes</h2>
<ol>
{% for note in notes %}<li id="{{ note.id }}"><div class="note" id="x-{{ note.id }}">{{ note.first_html|safe }}</div>
{% for ref in note.refs %}<a href="#{{ ref.id }}">back</a>{% endfor %}</li>
{% endfor %}
</ol>
<div class="note" id="stray"></div>
</section>
{% endif %}
"""


# Known defect: a book's own notes template that sets no running head of its own. Laid out whole, the notes'
# first page carries the last chapter's title in its head; the notes' part, laid out on its own, starts with
# no named strings. (Its stray <div> was unclosed until templates had to give well-formed XHTML; the splitter
# then refused the notes and the test passed for that reason.) Strict: it fails loudly once fixed.
_OWN_NOTES_HEAD = pytest.mark.xfail(strict=True, reason="a part does not inherit the running heads in effect "
                                    "before it unless it continues the notes (parts/run.py strings_for)")


@pytest.mark.parametrize("kind", [pytest.param("template", marks=_OWN_NOTES_HEAD), "columns"])
def test_notes_the_cutting_cannot_follow_are_laid_out_whole(tmp_path: Path, layouts: list[int],
                                                            small_note_parts: list[list[str]], kind: str) -> None:
    """A book's own notes template with markup of its own (a list, a stray div), or its notes set in two
    columns: never an error, and the same book as --jobs 1, in the first build and the next."""
    book = _long_book(tmp_path / "book", NOTES_BOOK)
    if kind == "template":
        (book / "templates").mkdir()
        (book / "templates" / "notes.html").write_text(_ODD_NOTES, encoding="utf-8")
    else:
        (book / "styles").mkdir()
        (book / "styles" / "notes-print.css").write_text(
            "section.notes { column-count: 2; column-gap: 2em; } .notes-chapter { column-span: all; }\n",
            encoding="utf-8")
    cold = _build_pdf(book, tmp_path / "cold.pdf", layouts, "--jobs", "2")  # first: no page map
    # Laid out whole once: their chain, beside the chapters, gave up, and the whole waited for its numbers
    # (laid out with the plan's guesses, the next wave laid the whole notes out again).
    notes = NOTES_BOOK + 1
    assert len([laid for laid in _cached_parts(tmp_path / "cache") if laid.index == notes]) == 1
    one = _build_pdf(book, tmp_path / "one.pdf", layouts, "--jobs", "1")
    again = _build_pdf(book, tmp_path / "again.pdf", layouts, "--jobs", "2")
    _assert_same_book(one, cold)
    _assert_same_book(one, again)
