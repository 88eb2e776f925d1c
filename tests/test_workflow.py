"""The author's workflow: init, bookmaker.toml, themes, links between chapters, skipping, progress."""

from __future__ import annotations

import io
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from pypdf import PdfReader

from bookmaker.config.bookmaker_toml import load_config
from bookmaker.core.diagnostics import Diagnostics
from bookmaker.build.pipeline import Builder
from bookmaker.build.progress import Reporter
from bookmaker.build.request import BuildRequest
from conftest import NS, Epub, assert_epubcheck_clean, copy_fixture, run_cli

CONSOLE = Path(sys.executable).parent / "bookmaker"


@pytest.mark.slow
def test_init_then_build_gives_a_pdf_and_an_epub(tmp_path):
    # The newcomer's first minute, with the installed command in a real shell.
    subprocess.run(f"{CONSOLE} init mybook && cd mybook && {CONSOLE} build", shell=True, cwd=tmp_path,
                   check=True, capture_output=True, text=True, timeout=300)
    book = tmp_path / "mybook"
    assert (book / ".gitignore").read_text() == "build/\n"
    assert sorted(p.name for p in (book / "styles").iterdir()) == ["book-epub.css", "book-print.css", "book.css"]
    pdf, epub = book / "build" / "mybook.pdf", book / "build" / "mybook.epub"
    reader = PdfReader(pdf)
    text = "".join(page.extract_text() for page in reader.pages)
    for shown in ("Mybook", "Welcome", "Ada Lovelace", "Where things are", "Notes"):
        assert shown in text
    assert round(float(reader.pages[0].mediabox.width)) == 420  # [pdf] paper = "A5" of the starter toml
    subprocess.run(["qpdf", "--check", str(pdf)], check=True, capture_output=True)
    assert_epubcheck_clean(epub)
    chapter = Epub(epub).xml("EPUB/welcome.xhtml")
    assert chapter.xpath("//x:div[@role='doc-footnote']", namespaces=NS), "the starter shows notes"
    assert chapter.xpath("//x:a[@href='next-steps.xhtml#boxes-and-notes']", namespaces=NS)


def test_init_refuses_to_overwrite_and_writes_nothing(tmp_path):
    (tmp_path / "manuscript").mkdir()
    (tmp_path / "manuscript" / "01-welcome.md").write_text("# Mine\n")
    result = run_cli("init", str(tmp_path))
    assert result.exit_code == 1
    assert "01-welcome.md: error: already exists" in result.stderr
    assert (tmp_path / "manuscript" / "01-welcome.md").read_text() == "# Mine\n"
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["01-welcome.md", "manuscript"]


def test_init_takes_the_title_from_the_folder_or_the_option(tmp_path):
    assert run_cli("init", str(tmp_path / "the-long-road")).exit_code == 0
    assert 'title = "The Long Road"' in (tmp_path / "the-long-road" / "bookmaker.toml").read_text()
    assert run_cli("init", str(tmp_path / "x"), "--title", 'A "quoted" title').exit_code == 0
    assert run_cli("build", str(tmp_path / "x"), "-f", "html").exit_code == 0
    assert tomllib.loads((tmp_path / "x" / "bookmaker.toml").read_text())["book"]["title"] == 'A "quoted" title'
    assert "<title>A &#34;quoted&#34; title:" in (tmp_path / "x" / "build" / "a-quoted-title.html").read_text()


# -- bookmaker.toml ------------------------------------------------------------------------


def _book_with_config(tmp_path: Path, toml: str) -> Path:
    book = copy_fixture("notes", tmp_path)
    (book / "bookmaker.toml").write_text(toml)
    return book


def test_every_config_error_is_reported_at_once_with_its_line(tmp_path):
    book = _book_with_config(tmp_path, """\
[book]
title = "T"
titel = "typo"
author = 3

[output]
formats = ["pdf", "docx"]
name = "sub/dir"

[pdf]
paper = "B7"
bleed = "3 millimetres"
papr = "A4"

[colours]
text = "red"
""")
    result = run_cli("build", cwd=book)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "bookmaker.toml:3: error: unknown key 'titel' in [book]; did you mean 'title'? [config-key-unknown]",
        "bookmaker.toml:4: error: [book] author must be a text or a list of texts [front-matter-value-invalid]",
        "bookmaker.toml:7: error: [output] formats: unknown format 'docx'; choose from pdf, epub, html, kepub [config-value-invalid]",
        "bookmaker.toml:8: error: [output] name must be a plain file name without extension, such as \"my-book\" [config-value-invalid]",
        "bookmaker.toml:11: error: [pdf] paper: unknown paper 'B7': use A4, A5, Letter, Legal, "
        "or a size such as 6x9in or 170x240mm [config-value-invalid]",
        "bookmaker.toml:12: error: [pdf] bleed: unknown length '3 millimetres': use a number with mm, cm, in or pt, such as 3mm [config-value-invalid]",
        "bookmaker.toml:13: error: unknown key 'papr' in [pdf]; did you mean 'paper'? [config-key-unknown]",
        "bookmaker.toml:15: error: unknown table [colours]; known: book, terms, manuscript, output, pdf, epub, notes, cover, theme, diagnostics [config-table-unknown]",
        "bookmaker: 8 errors, 0 warnings",
    ], result.stderr
    assert not (book / "build").exists()


def test_toml_syntax_error_has_line_and_column(tmp_path):
    book = _book_with_config(tmp_path, '[book]\ntitle = "T"\nauthor = [unquoted]\n')
    result = run_cli("build", cwd=book)
    assert result.exit_code == 1
    assert result.stderr.startswith("bookmaker.toml:3:11: error: not valid TOML: Invalid value"), result.stderr


def test_missing_chapter_in_the_list_is_an_error_at_its_line(tmp_path):
    book = _book_with_config(tmp_path, '[manuscript]\nchapters = ["notes.md", "nowhere.md", "*.txt"]\n')
    result = run_cli("build", str(book))
    assert result.exit_code == 1
    assert "bookmaker.toml:2: error: [manuscript] chapters: no file 'nowhere.md' in manuscript/" in result.stderr
    assert "no file '*.txt'" in result.stderr


@pytest.mark.slow
def test_a_book_without_config_builds_on_the_defaults(tmp_path):
    book = copy_fixture("notes", tmp_path)
    result = run_cli("build", str(book))
    assert result.exit_code == 0, result.stderr
    assert sorted(p.suffix for p in (book / "build").glob("*.*") if not p.name.startswith(".")) == [
        ".epub", ".html", ".pdf"]


@pytest.mark.slow
def test_configured_book(tmp_path):
    book = copy_fixture("configured", tmp_path)
    result = run_cli("build", str(book))
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    # [output] formats and name
    assert [Path(line).name for line in result.stdout.split()] == ["configured.pdf", "configured.epub"]
    pdf = PdfReader(book / "build" / "configured.pdf")
    assert round(float(pdf.pages[0].mediabox.width)) == 420  # [pdf] paper = "A5"
    text = "".join(page.extract_text() for page in pdf.pages)
    # [manuscript] chapters: the listed order, globs in name order, unlisted files left out
    assert text.index("Opening") < text.index("First part") < text.index("Second part")
    assert "Unlisted" not in text
    # [book] metadata, with front matter overriding a key
    assert pdf.metadata.title == "A Configured Book: Overridden by front matter"
    assert pdf.metadata.author == "Ada Writer, Second Author"
    # the book's templates: one replaced, one extending the theme's
    assert "By Ada Writer and Second Author" in text
    html = run_cli("html", str(book), "-o", str(tmp_path / "book.html"))
    assert html.exit_code == 0
    assert '<meta name="x-book-template" content="configured" />' in (tmp_path / "book.html").read_text()
    epub = book / "build" / "configured.epub"
    assert_epubcheck_clean(epub)
    titlepage = Epub(epub).xml("EPUB/titlepage.xhtml")
    assert titlepage.xpath("string(//x:p[@class='authors'])", namespaces=NS) == "By Ada Writer and Second Author"


@pytest.mark.slow
def test_links_between_chapters_in_the_pdf_and_the_epub(tmp_path):
    book = copy_fixture("configured", tmp_path)
    assert run_cli("build", str(book)).exit_code == 0
    pdf = PdfReader(book / "build" / "configured.pdf")
    destinations = set(pdf.named_destinations)
    links = [a.get_object()["/Dest"] for page in pdf.pages for a in page.get("/Annots", []) or []
             if "/Dest" in a.get_object()]
    # `parts/b-second.md#a-deep-section`, `parts/a-first.md`, `#a-local-section`, `../opening.md#opening`
    for wanted in ("a-deep-section", "a-first", "a-local-section", "opening-1"):
        assert wanted in links and wanted in destinations, (wanted, links)
    docs = Epub(book / "build" / "configured.epub")
    hrefs = {name: [a.get("href") for a in doc.iter("{http://www.w3.org/1999/xhtml}a")]
             for name, doc in docs.content_documents().items()}
    assert hrefs["EPUB/opening.xhtml"][:3] == ["b-second.xhtml#a-deep-section", "a-first.xhtml#a-first",
                                               "#a-local-section"]
    assert hrefs["EPUB/a-first.xhtml"][0] == "opening.xhtml#opening-1"
    assert hrefs["EPUB/b-second.xhtml"] == ["opening.xhtml#a-local-section"]


def test_unknown_link_targets_are_reported_with_their_line(tmp_path):
    book = copy_fixture("configured", tmp_path)
    chapter = book / "manuscript" / "parts" / "a-first.md"
    chapter.write_text(chapter.read_text() + "\nSee [gone](gone.md#x) and\n[nothing](#no-such-id).\n")
    result = run_cli("build", cwd=book)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert any(line.startswith("manuscript/parts/a-first.md:7: error: link to 'gone.md', which is not a chapter")
               for line in lines), lines
    assert any(line.startswith("manuscript/parts/a-first.md:8: warning: link target '#no-such-id' is not")
               for line in lines), lines


# -- themes ------------------------------------------------------------------------------


def test_theme_export_copies_the_default_then_refuses_to_overwrite(tmp_path):
    book = copy_fixture("notes", tmp_path)
    result = run_cli("theme", "export", str(book))
    assert result.exit_code == 0, result.stderr
    assert (book / "templates" / "document.html").is_file() and (book / "templates" / "epub" / "nav.xhtml").is_file()
    assert (book / "styles" / "print.css").is_file()
    # The copies replace the defaults: a change in the book's print.css reaches the HTML.
    print_css = book / "styles" / "print.css"
    print_css.write_text(print_css.read_text().replace("@page", "/* exported */ @page", 1))
    assert run_cli("html", str(book), "-o", str(tmp_path / "out.html")).exit_code == 0
    html = (tmp_path / "out.html").read_text()
    assert html.count("/* exported */") == 1 and html.count("@page :first") <= 1
    again = run_cli("theme", "export", str(book))
    assert again.exit_code == 1 and "templates/document.html: error: already exists" in again.stderr


def test_a_book_stylesheet_named_like_the_themes_replaces_it_others_add(tmp_path):
    book = copy_fixture("notes", tmp_path)
    (book / "styles").mkdir()
    (book / "styles" / "epub.css").write_text("/* my epub */\n")
    (book / "styles" / "extra.css").write_text("/* added */\n")
    assert run_cli("epub", str(book), "-o", str(tmp_path / "b.epub")).exit_code == 0
    css = Epub(tmp_path / "b.epub").zip.read("EPUB/css/book.css").decode()
    theme_epub = (Path(__file__).parent.parent / "src/bookmaker/theme/styles/epub.css").read_text()
    assert "/* my epub */" in css and "/* added */" in css
    assert theme_epub.strip().splitlines()[-1] not in css
    assert css.index("/* my epub */") < css.index("/* added */")


# -- skipping, progress ------------------------------------------------------------------


@pytest.mark.slow
def test_unchanged_outputs_are_skipped_until_a_source_changes_or_force(tmp_path):
    book = copy_fixture("chapters", tmp_path)
    first = run_cli("build", str(book), "-f", "html", "-f", "epub")
    assert first.exit_code == 0 and len(first.stdout.split()) == 2
    html = next((book / "build").glob("*.html"))
    stamp = html.stat().st_mtime_ns
    again = run_cli("build", str(book), "-f", "html", "-f", "epub")
    assert again.exit_code == 0 and again.stdout == ""
    assert again.stderr.count("up to date, nothing it is made from changed (--force rebuilds it)") == 2
    assert html.stat().st_mtime_ns == stamp
    (book / "styles" / "book.css").write_text("p { color: #222; }\n")
    changed = run_cli("build", str(book), "-f", "html", "-f", "epub")
    assert len(changed.stdout.split()) == 2, changed.stderr
    forced = run_cli("build", str(book), "-f", "html", "--force")
    assert forced.stdout.split() == [str(html.relative_to(Path.cwd())) if html.is_relative_to(Path.cwd())
                                     else str(html)]


@pytest.mark.slow
def test_quiet_prints_nothing_and_verbose_prints_stage_times(tmp_path):
    book = copy_fixture("chapters", tmp_path)
    quiet = run_cli("build", str(book), "-q", "-f", "html")
    assert quiet.exit_code == 0 and quiet.stdout == "" and quiet.stderr == ""
    verbose = run_cli("build", str(book), "-v", "--force", "-f", "html", "-f", "epub")
    stages = [line.split(":")[0] for line in verbose.stderr.splitlines() if "page numbers" not in line]
    assert stages == ["reading", "writing HTML", "writing the EPUB"], verbose.stderr
    # Built without its PDF, the EPUB says in one line why it has no page list.
    assert [line for line in verbose.stderr.splitlines() if "page numbers" in line] == [
        "the EPUB has no print page numbers: no PDF of this book was made yet: build the PDF first (bookmaker build)"]


def test_progress_on_a_terminal_shows_stage_and_chapter(tmp_path):
    stream = io.StringIO()
    builder = Builder(Path(__file__).parent / "fixtures" / "chapters", Reporter(stream=stream, live=True))
    builder.build(BuildRequest(formats=("html",), output_dir=tmp_path))
    shown = stream.getvalue()
    assert "\rreading chapter 1/3: 01-first.md" in shown and "\rreading chapter 3/3: 03-third.md" in shown
    assert "\rwriting HTML…" in shown
    assert shown.endswith("\r"), "the status line is cleared at the end"


def test_the_manuals_example_config_is_valid(tmp_path):
    chapter = (Path(__file__).parent.parent / "docs" / "manual" / "manuscript" / "10-configuration.md").read_text()
    example = chapter.split("Every table and key:\n\n```toml\n", 1)[1].split("```", 1)[0]
    book = tmp_path / "book"
    for name in ("preface.md", "part-1/one.md", "part-2/two.md", "afterword.md"):
        (book / "manuscript" / name).parent.mkdir(parents=True, exist_ok=True)
        (book / "manuscript" / name).write_text(f"# {name}\n")
    (book / "images").mkdir()
    from PIL import Image

    Image.new("RGB", (16, 25), (20, 60, 120)).save(book / "images" / "cover.jpg", "JPEG")  # a cover is checked like any image
    (book / "bookmaker.toml").write_text(example)
    diagnostics = Diagnostics()
    config = load_config(book, diagnostics)
    assert not len(diagnostics), [d.format() for d in diagnostics]
    assert config.book["date"] == "2026-01-01" and config.pdf.paper == "A5"
    result = run_cli("build", "-f", "html", cwd=book)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    html = (book / "build" / "soleimani.html").read_text()
    order = [html.index(f">{name}</h1>") for name in ("preface.md", "part-1/one.md", "part-2/two.md", "afterword.md")]
    assert order == sorted(order)


@pytest.mark.slow
def test_config_keys_reach_the_pdf_the_epub_and_the_reader(tmp_path):
    """[pdf], [epub], [notes], [output] formats and [book] cover fill the writers' options."""
    from pypdf import PdfReader
    from PIL import Image

    book = copy_fixture("chapters", tmp_path)
    (book / "images").mkdir()
    Image.new("RGB", (1575, 2520), (20, 60, 120)).save(book / "images" / "cover.png")  # within the stores' rules
    (book / "bookmaker.toml").write_text("""\
[book]
cover = "images/cover.png"

[output]
formats = ["pdf", "kepub"]

[pdf]
paper = "A5"
bleed = "3mm"
marks = "crop"
notes = "chapter"

[epub]
embed-fonts = false

[notes]
numbering = "chapter"
""")
    result = run_cli("build", cwd=book)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert sorted(p.name for p in (book / "build").iterdir() if not p.name.startswith(".")) == [
        "three-chapters.kepub.epub", "three-chapters.pdf"]
    pdf = PdfReader(book / "build" / "three-chapters.pdf")
    page = pdf.pages[0]
    trim, bleed = page.trimbox, page.bleedbox
    assert round(float(trim.width)) == 420  # A5, 148mm
    assert float(bleed.width) - float(trim.width) == pytest.approx(2 * 8.504, abs=0.05)
    epub = Epub(book / "build" / "three-chapters.kepub.epub")
    assert "EPUB/images/cover.png" in epub.names()
    assert not any(n.endswith((".ttf", ".otf")) for n in epub.names()), "[epub] embed-fonts = false"
    second = epub.xml("EPUB/second.xhtml")
    refs = second.xpath("//x:a[@role='doc-noteref']", namespaces=NS)
    assert ["".join(r.itertext()) for r in refs] == ["1", "2"], "[notes] numbering = chapter starts each chapter at 1"
    # The command line overrides the file.
    result = run_cli("pdf", "--paper", "A4", "-o", str(tmp_path / "a4.pdf"), cwd=book)
    assert result.exit_code == 0, result.stderr
    assert round(float(PdfReader(tmp_path / "a4.pdf").pages[0].trimbox.width)) == 595
