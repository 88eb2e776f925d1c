"""The EPUB's stylesheets as reading systems apply them.

Dark and night themes: reading systems set the text colour (light on dark) and
keep the publisher's backgrounds, so a background without a text colour becomes
light text on a light box (WCAG failure F24). The EPUB paints no background on text at all, as
Standard Ebooks does: rules and borders instead.

Pages and columns: a heading is never left at the foot of one (Foliate lays
a chapter out in CSS columns), and never hyphenated.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
import tinycss2
import readers
from conftest import FIXTURES, NS, REPO, build
from lxml import etree

from bookmaker.read import read_book
from bookmaker.theme import stylesheet_texts, theme_stylesheets
from bookmaker.writers.epub.kepub import KOBO_STYLE

CHROMIUM = Path("/usr/bin/chromium")
AXE = REPO / "node_modules" / "@daisy" / "axe-core-for-ace" / "axe.min.js"
NOT_PAINTED = {"transparent", "none", "inherit", "initial", "unset", "revert", "currentcolor"}


def backgrounds_without_colour(css: str) -> list[str]:
    """Each rule that paints a background (colour or image) and sets no text colour of its own."""
    found = []

    def visit(rules) -> None:
        for rule in rules:
            if rule.type == "at-rule" and rule.content is not None and rule.lower_at_keyword in (
                    "media", "supports", "layer", "container", "document"):
                visit(tinycss2.parse_blocks_contents(rule.content, skip_comments=True, skip_whitespace=True))
            if rule.type != "qualified-rule":
                continue
            declarations = [d for d in tinycss2.parse_blocks_contents(rule.content, skip_comments=True,
                                                                      skip_whitespace=True)
                            if d.type == "declaration"]
            painted = [d for d in declarations if d.lower_name in ("background", "background-color", "background-image")
                       and {t.lower_value if t.type == "ident" else t.type
                            for t in d.value if t.type not in ("whitespace", "comment")} - NOT_PAINTED]
            if painted and not any(d.lower_name == "color" for d in declarations):
                found.append(f"{tinycss2.serialize(rule.prelude).strip()} {{ {painted[0].name}: "
                             f"{tinycss2.serialize(painted[0].value).strip()} }}")

    visit(tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True))
    return found


def test_the_check_sees_a_background_without_a_colour():
    assert backgrounds_without_colour(".box { background: #f8f9fa; border: 1px solid }") == [
        ".box { background: #f8f9fa }"]
    assert backgrounds_without_colour("@media screen { td { background-color: rgb(1 2 3) } }") == [
        "td { background-color: rgb(1 2 3) }"]
    assert backgrounds_without_colour(".a { background: #eee; color: #111 } .b { background: none }") == []


EPUB_BOOKS = [REPO, *(FIXTURES / name for name in ("every-syntax", "chapters", "configured", "infobox", "sidebar",
                                                   "tables", "rtl"))]


@pytest.mark.parametrize("folder", EPUB_BOOKS, ids=lambda p: "sample" if p == REPO else p.name)
def test_no_epub_stylesheet_paints_a_background_without_a_text_colour(folder):
    book, _ = read_book(folder)
    css = "\n".join(stylesheet_texts(book, "epub"))
    assert backgrounds_without_colour(css) == []


def test_neither_the_theme_nor_the_kepub_style_paints_a_background_without_a_text_colour():
    theme = "\n".join(p.read_text(encoding="utf-8") for p in theme_stylesheets("epub"))
    assert backgrounds_without_colour(theme) == []
    assert backgrounds_without_colour(KOBO_STYLE) == []


# -- in a browser, with the reading systems' own styles ------------------------------

# Each is what the reading system adds to a content document, copied from its source.
READER_THEMES = {
    # A user stylesheet that forces light text, as night modes of many reading apps do.
    "forced light on black": {
        "css": "* { color: #eee !important; background-color: transparent }"
               " html, body { background: #000 !important }",
    },
    # calibre's viewer, "Black" colour scheme (read_book/settings.pyj, apply_colors): the
    # scheme's colour on <html> and <body>, the page transparent over the viewer's black.
    "calibre Black": {
        "script": "for (const el of [document.documentElement, document.body]) {"
                  " el.style.color = '#ffffff'; el.style.backgroundColor = 'transparent'; }"
                  " document.documentElement.style.colorScheme = 'dark';"
                  " document.documentElement.style.backgroundColor = '#000000';",
        "css": "html > body :link, html > body :link * { color: #4f81bd !important }"
               " html > body :visited, html > body :visited * { color: #4f81bd !important }",
    },
    # Foliate 2.6, "Dark" theme (epub-viewer.js, setStyle): a class on <body>.
    "Foliate Dark": {
        "script": "document.body.classList.add('__foliate_publisher-font');",
        "css": ".__foliate_publisher-font { color: #ddd; background: #292929 }"
               " .__foliate_publisher-font a:link { color: cornflowerblue }",
    },
    # calibre's "Sepia light" scheme: no link colour of its own, so the book's (or the browser's) stays.
    "calibre Sepia light": {
        "script": "for (const el of [document.documentElement, document.body]) {"
                  " el.style.color = '#39322B'; el.style.backgroundColor = 'transparent'; }"
                  " document.documentElement.style.backgroundColor = '#F6F3E9';",
        "css": "",
    },
}


@pytest.fixture(scope="module")
def unpacked_sample(tmp_path_factory) -> list[Path]:
    """The sample book's EPUB unpacked, and its content documents in reading order."""
    out = tmp_path_factory.mktemp("colours")
    epub = build(REPO, "epub", "-o", str(out / "sample.epub"))
    folder = out / "unpacked"
    with zipfile.ZipFile(epub) as z:
        z.extractall(folder)
    opf = etree.parse(str(folder / "EPUB" / "content.opf"))
    hrefs = {i.get("id"): i.get("href") for i in opf.xpath("//opf:manifest/opf:item", namespaces=NS)}
    return [folder / "EPUB" / hrefs[r.get("idref")] for r in opf.xpath("//opf:itemref", namespaces=NS)]


@pytest.fixture(scope="module")
def playwright():
    """One Playwright for the module: its sync API runs one at a time."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="module")
def browser(tmp_path_factory, playwright):
    """Debian's Chromium, headless, with a new empty profile."""
    assert CHROMIUM.exists(), "install Debian's chromium: scripts/system-packages.sh test"
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path_factory.mktemp("profile")), executable_path=str(CHROMIUM), headless=True,
        args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
              "--disable-component-update", "--disable-sync"],
    )
    try:
        yield context
    finally:
        context.close()


@pytest.mark.slow
def test_every_text_keeps_its_contrast_in_dark_and_night_themes(unpacked_sample, browser):
    assert AXE.exists(), "DAISY Ace (and the axe-core it ships) is missing: run `make test`"
    failures = []
    checked = 0
    page = browser.new_page()
    for document in unpacked_sample:
        for name, theme in READER_THEMES.items():
            page.goto(document.as_uri())
            if "script" in theme:
                page.evaluate(theme["script"])
            page.evaluate("css => { const s = document.createElementNS('http://www.w3.org/1999/xhtml',"
                          " 'style'); s.textContent = css; document.head.appendChild(s); }", theme["css"])
            page.add_script_tag(path=str(AXE))
            result = page.evaluate("""async () => {
                const r = await axe.run(document, {runOnly: ['color-contrast']});
                return {checked: r.passes.concat(r.violations).reduce((n, v) => n + v.nodes.length, 0),
                        failed: r.violations.flatMap(v => v.nodes.map(
                            n => n.target.join(' ') + ': ' + n.any.map(c => c.message).join(' ')))};
            }""")
            checked += result["checked"]
            failures += [f"{document.name}, {name}: {line}" for line in result["failed"]]
    page.close()
    assert checked > 100, "axe found almost no text to check"
    assert not failures, json.dumps(failures, indent=1, ensure_ascii=False)


# Each heading's box, and the first line box of what follows it, in a chapter laid out
# in columns as Foliate (epub.js) lays it out; the heading ends where its column ends
# when what follows starts further right.
HEADINGS_LEFT_BEHIND = """height => {
    const html = document.documentElement;
    Object.assign(html.style, {height: height + 'px', columnWidth: '320px', columnGap: '40px',
                               columnFill: 'auto', margin: '0', padding: '0'});
    const found = [];
    for (const h of document.querySelectorAll('h1, h2, h3, h4, h5, h6, .box-title')) {
        const next = h.nextElementSibling || (h.tagName === 'CAPTION' ? h.parentElement.tBodies[0] : null);
        if (!next) continue;
        const heading = h.getClientRects(), following = next.getClientRects();
        if (!heading.length || !following.length) continue;
        if (following[0].left > heading[heading.length - 1].left + 1 || heading.length > 1)
            found.push(h.textContent.trim() + ' at ' + height + ' px');
    }
    return found;
}"""


# WebKit (Foliate, Apple Books) and the Chromium 102 of calibre's viewer lay out columns
# without honouring `break-after: avoid` (measured with both); they do keep a block whole.
IGNORING_BREAK_AFTER = ("h1, h2, h3, h4, h5, h6, .box-title"
                        " { break-after: auto !important; page-break-after: auto !important }")


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["current Chromium", "an engine without break-after: avoid"])
def test_no_heading_is_left_at_the_foot_of_a_column(unpacked_sample, browser, engine):
    page = browser.new_page()
    page.set_viewport_size({"width": 1200, "height": 1000})
    left_behind = []
    chapters = [d for d in unpacked_sample if d.name not in ("cover.xhtml", "titlepage.xhtml", "nav.xhtml")]
    for document in chapters:
        page.goto(document.as_uri())
        styles = page.evaluate("""() => [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')].map(h => {
            const s = getComputedStyle(h); return [s.breakAfter, s.hyphens]; })""")
        assert styles and all(s == ["avoid", "manual"] for s in styles), styles
        if engine != "current Chromium":
            page.evaluate("css => { const s = document.createElementNS('http://www.w3.org/1999/xhtml',"
                          " 'style'); s.textContent = css; document.head.appendChild(s); }", IGNORING_BREAK_AFTER)
        # Column heights a few pixels apart: some of them end right after a heading.
        for height in range(300, 900, 7):
            left_behind += page.evaluate(HEADINGS_LEFT_BEHIND, height)
    page.close()
    assert not left_behind, left_behind


def in_calibres_engine(script: Path, chapters: list[str], tmp_path: Path, size: tuple[int, int] | None = None,
                       timeout: int = 300) -> dict:
    """The report of `script` run on each chapter in calibre's Qt WebEngine (tests/qt_engine.py)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QTWEBENGINE_CHROMIUM_FLAGS": "--no-sandbox",
           "XDG_RUNTIME_DIR": str(tmp_path)}
    if size is not None:
        env["QT_ENGINE_SIZE"] = f"{size[0]}x{size[1]}"
    run = subprocess.run(["/usr/bin/python3", str(Path(__file__).parent / "qt_engine.py"), str(script), *chapters],
                         capture_output=True, text=True, timeout=timeout, env=env)
    lines = [line for line in run.stdout.splitlines() if line.startswith("{")]
    assert run.returncode == 0 and lines, run.stdout[-2000:] + run.stderr[-2000:]
    report = json.loads(lines[-1])
    assert "QtWebEngine" in report["engine"], report
    return report


@pytest.mark.slow
def test_no_heading_is_left_at_the_foot_of_a_column_in_calibres_engine(unpacked_sample, tmp_path):
    # The engine itself: calibre's viewer lays a book out in columns with Qt WebEngine.
    assert shutil.which("ebook-viewer"), "install calibre: scripts/system-packages.sh test"
    chapters = [str(d) for d in unpacked_sample if d.name not in ("cover.xhtml", "titlepage.xhtml", "nav.xhtml")]
    script = tmp_path / "columns.js"
    script.write_text(f"(() => {{ const f = {HEADINGS_LEFT_BEHIND}; let found = [];"
                      " for (let h = 300; h < 900; h += 7) found = found.concat(f(h));"
                      " return JSON.stringify(found); })()", encoding="utf-8")
    report = in_calibres_engine(script, chapters, tmp_path)
    assert set(report["results"]) == set(chapters)
    left_behind = [f"{Path(page).name}: {where}" for page, found in report["results"].items() for where in found]
    assert not left_behind, left_behind


def test_epub_headings_are_kept_with_what_follows_and_never_hyphenated():
    # What reading systems without `break-after` (older WebKit, Adobe's RMSDK) read instead.
    book, _ = read_book(REPO)
    rules = [r for r in tinycss2.parse_stylesheet("\n".join(stylesheet_texts(book, "epub")),
                                                  skip_comments=True, skip_whitespace=True)
             if r.type == "qualified-rule"]
    for tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
        declared = {}
        for rule in rules:
            if tag in [s.strip() for s in tinycss2.serialize(rule.prelude).split(",")]:
                for d in tinycss2.parse_blocks_contents(rule.content, skip_comments=True, skip_whitespace=True):
                    if d.type == "declaration":
                        declared[d.lower_name] = tinycss2.serialize(d.value).strip()
        for name, value in {"break-after": "avoid", "page-break-after": "avoid", "hyphens": "manual",
                            "-webkit-hyphens": "manual", "-epub-hyphens": "manual"}.items():
            assert declared.get(name) == value, (tag, name, declared)


# Foliate 2.6's "justify" option (epub-viewer.js) forces justified paragraphs; calibre's viewer has
# its own justify setting the same way. The title page's paragraphs must stay centred.
FORCED_JUSTIFY = "p { text-align: justify !important; text-align-last: auto !important }"


@pytest.mark.slow
def test_the_title_page_stays_centred_when_a_reader_forces_justified_paragraphs(unpacked_sample, browser):
    """Issue 23: Foliate's forced `p { text-align: justify }` left-aligned the subtitle, authors and rights."""
    title_page = next(d for d in unpacked_sample if d.name == "titlepage.xhtml")
    page = browser.new_page()
    page.set_viewport_size({"width": 450, "height": 800})
    page.goto(title_page.as_uri())
    page.evaluate("css => { const s = document.createElementNS('http://www.w3.org/1999/xhtml',"
                  " 'style'); s.textContent = css; document.head.appendChild(s); }", FORCED_JUSTIFY)
    aligned = page.evaluate("""() => [...document.querySelectorAll('.titlepage p')].map(p =>
        [p.className, getComputedStyle(p).textAlign])""")
    page.close()
    assert len(aligned) >= 2, aligned  # the sample book has a subtitle, authors and rights
    assert all(align == "center" for _, align in aligned), aligned


# -- at phone width, as Foliate and calibre's viewer lay a chapter out (readers.py) ---------------

PHONE_BOOKS = ("technical", "scholarly")
NOT_CHAPTERS = ("cover.xhtml", "titlepage.xhtml", "nav.xhtml")


@pytest.fixture(scope="module")
def phone_chapters(tmp_path_factory) -> dict[str, Path]:
    """The technical and scholarly fixtures' EPUBs unpacked: each chapter's file by its name."""
    out = tmp_path_factory.mktemp("phone")
    chapters = {}
    for name in PHONE_BOOKS:
        with zipfile.ZipFile(build(FIXTURES / name, "epub", "-o", str(out / f"{name}.epub"))) as z:
            z.extractall(out / name)
        chapters |= {doc.name: doc for doc in (out / name / "EPUB").glob("*.xhtml") if doc.name not in NOT_CHAPTERS}
    return chapters


@pytest.fixture(scope="module")
def phone(playwright):
    """A page for each reader: Foliate's in a mobile context, whose overlay scrollbars take no room and
    show only while scrolling, as WebKitGTK's do; calibre's with the classic ones of its Qt WebEngine."""
    assert CHROMIUM.exists(), "install Debian's chromium: scripts/system-packages.sh test"
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                          args=["--no-sandbox", "--disable-gpu", "--no-first-run"],
                                          ignore_default_args=["--hide-scrollbars"])
    try:
        yield {reader: chromium.new_context(is_mobile=reader == "Foliate").new_page() for reader in readers.READERS}
    finally:
        chromium.close()


@pytest.mark.slow
@pytest.mark.parametrize("reader", list(readers.READERS))
def test_every_table_can_be_read_whole_at_phone_width(phone_chapters, phone, reader):
    """Issue 23: at 450 px the wide table squeezed its code cells to five characters a line ("fixtu / re.")
    and Foliate cut its last columns off with no scrollbar to show they were there."""
    page = phone[reader]
    columns = readers.open_as(page, phone_chapters["tables.xhtml"], reader)
    reached = [tuple(r) for r in page.evaluate(readers.TABLES_REACHED, columns)]
    code_lines = page.evaluate(readers.CODE_LINES_IN_TABLES)
    assert len(reached) == 3 and all(how in ("visible", "scrolls into view") for _, how in reached), reached
    assert ("Name", "scrolls into view") in reached  # the wide one is wider than a phone: it must scroll
    # Code in a cell breaks only where it may (after / . - _), never inside a word.
    inside_words = [(a, b) for lines in code_lines for a, b in zip(lines, lines[1:]) if a[-1].isalnum() and b[0].isalnum()]
    assert code_lines and not inside_words, inside_words


@pytest.mark.slow
@pytest.mark.parametrize("reader", list(readers.READERS))
def test_nothing_is_parted_from_what_it_heads_at_phone_width(phone_chapters, phone, reader):
    """Issue 23: a heading above a figure, a caption above its code, a table's head row, a picture and its
    caption: each ended a column, what belongs with it in the next (engines ignoring `break-after: avoid`)."""
    page = phone[reader]
    left_behind = []
    for name, document in sorted(phone_chapters.items()):
        for height in range(300, 800, 9):  # column heights a few pixels apart, so that some end right after each
            columns = readers.open_as(page, document, reader, height, readers.IGNORING_BREAK_AFTER)
            left_behind += [f"{name} at {height} px: {what}" for what in page.evaluate(readers.LEFT_BEHIND, columns)]
    assert not left_behind, left_behind


@pytest.mark.slow
def test_justified_lines_keep_their_spaces_before_an_address_and_in_code(phone_chapters, phone):
    """Issue 23: in Foliate (justified; a WebKit without `overflow-wrap: anywhere`) a long web address went
    whole to the next line and spread the line before it with gaps of four ems; inline code's spaces widened
    with the line's (`git  add`)."""
    page = phone["Foliate"]
    gaps, code_spaces = [], []
    for name in ("markdown-people-write.xhtml", "harbours.xhtml", "code.xhtml"):
        readers.open_as(page, phone_chapters[name], "Foliate", extra_css=readers.WITHOUT_ANYWHERE)
        gaps += page.evaluate(readers.ADDRESS_LINE_GAPS)
        code_spaces += page.evaluate(readers.CODE_SPACES)
    assert len(gaps) >= 2 and all(widest < 1.5 for _, widest in gaps), gaps  # ems; a space is a quarter of one
    assert len(code_spaces) >= 2 and all(ratio < 1.05 for _, ratio in code_spaces), code_spaces


@pytest.mark.slow
def test_tables_and_headings_at_phone_width_in_calibres_engine(phone_chapters, tmp_path):
    # The same measures in the engine of calibre's viewer, in the frame it has in a 450 x 800 window.
    assert shutil.which("ebook-viewer"), "install calibre: scripts/system-packages.sh test"
    frame = readers.READERS["calibre"]["viewport"]
    script = tmp_path / "phone.js"
    script.write_text(f"""(() => {{
        const layOut = {readers.CALIBRE_COLUMNS}, left = {readers.LEFT_BEHIND};
        let found = [];
        const columns = layOut([{frame['width']}, {frame['height']}]);
        const tables = ({readers.TABLES_REACHED})(columns), code = ({readers.CODE_LINES_IN_TABLES})();
        for (let h = 300; h < 800; h += 9) found = found.concat(left(layOut([{frame['width']}, h])).map(w => h + ' px: ' + w));
        return JSON.stringify({{tables, code, found}});
    }})()""", encoding="utf-8")
    chapters = [str(doc) for _, doc in sorted(phone_chapters.items())]
    report = in_calibres_engine(script, chapters, tmp_path, size=(frame["width"], frame["height"]), timeout=600)
    results = {Path(page).name: found for page, found in report["results"].items()}
    assert set(results) == set(phone_chapters) and all(results.values()), results
    tables = [tuple(r) for r in results["tables.xhtml"]["tables"]]
    assert len(tables) == 3 and all(how in ("visible", "scrolls into view") for _, how in tables), tables
    code = results["tables.xhtml"]["code"]
    assert not [(a, b) for lines in code for a, b in zip(lines, lines[1:]) if a[-1].isalnum() and b[0].isalnum()], code
    left_behind = [f"{name} at {where}" for name, result in results.items() for where in result["found"]]
    # This engine (Chromium 102) breaks a table's rows as its legacy layout did: a reserve in a head cell
    # moves no row, and `break-after: avoid` on the head is ignored. At 3 of the 56 column heights the
    # long table's head row still ends a column (before, the table was one unbreakable box and lost its
    # rows past the first column at every height); no other engine measured here does this.
    heads = [where for where in left_behind if where.startswith("tables.xhtml") and ': th "Setting" / td' in where]
    assert len(heads) <= 3 and not set(left_behind) - set(heads), left_behind
