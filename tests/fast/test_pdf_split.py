"""Which books the PDF may lay out in parts (writers/pdf_parts.split): a split must not change the book."""

from bookmaker.writers.pdf.parts.split import split

# Top-level elements start their lines, as the theme's templates write them.
_BODY = """<body>
<nav class="toc" id="contents"><a href="#a">A</a></nav>
<section class="chapter" id="a"><h1>A</h1><p>One.</p></section>
<section class="chapter" id="b"><h1>B</h1><p>Two.</p></section>
</body></html>"""


def _html(css: str) -> str:
    return f"<html><head><style>.chapter {{ break-before: page }} {css}</style></head>{_BODY}"


def test_a_book_of_chapters_is_split() -> None:
    assert split(_html("")) is not None


def test_a_chapter_that_continues_the_one_before_stays_in_its_part() -> None:
    """Issue 23: a file that opens with a section goes on where the chapter before it ends; a part of
    its own would start it on a new page."""
    html = _html("").replace('<section class="chapter" id="b">', '<section class="chapter continued" id="b">')
    _, _, parts = split(html + "") or (None, None, [])
    assert [p.name for p in parts] == ["front", "a"] and "Two." in parts[1].body
    assert [p.name for p in split(_html(""))[2]] == ["front", "a", "b"]


def test_a_total_page_count_keeps_the_book_whole() -> None:
    """counter(pages) in a part is the part's own total: "page 3 of 4" in a 500-page book."""
    assert split(_html('@page { @bottom-center { content: counter(page) " of " counter(pages) } }')) is None


def test_page_counters_of_the_book_own_keep_it_whole() -> None:
    assert split(_html("@page :first { counter-reset: page 3 }")) is None
    assert split(_html("h1 { counter-increment: page 2 }")) is None


def test_counters_the_book_steps_keep_it_whole() -> None:
    """A figure or chapter number counted by the book's CSS would restart in each part ("Figure 1" in every chapter)."""
    assert split(_html("figure { counter-increment: figure } figcaption::before { content: counter(figure) }")) is None
    assert split(_html("h1 { counter-set: chapter 4 }")) is None
    # The theme's numbered listings reset their line counter in each listing.
    assert split(_html("pre.numbered .line { counter-increment: line; } pre.numbered { counter-reset: line; }"))
    assert split(_html("h1 { counter-increment: none }"))


# -- the notes cut at page tops (pdf_note_parts.py) -----------------------------------------------------

from bookmaker.writers.pdf.notes.cuts import NoteCut, NotesRecord, choose_cuts  # noqa: E402


def _note(n: int) -> str:
    return (f'<div class="note" id="note-{n}" role="doc-footnote">\n'
            f'<p><span class="note-number">{n}. </span>Note {n}. <a class="backlink" href="#ref-{n}">↩</a></p>\n</div>\n')


_NOTES = ('<section class="notes" id="notes" role="doc-endnotes" aria-labelledby="notes-title">\n'
          '<h2 class="notes-title" id="notes-title">Notes</h2>\n'
          '<h3 class="notes-chapter">A</h3>\n' + "".join(_note(n) for n in range(1, 6))
          + '<h3 class="notes-chapter">B</h3>\n' + "".join(_note(n) for n in range(6, 11)) + "</section>\n")


def _noted(cuts) -> list:
    html = _html("").replace("</body>", _NOTES + "</body>")
    found = split(html, cuts)
    assert found is not None
    return found[2]


def test_the_notes_are_cut_before_the_notes_that_began_a_page() -> None:
    whole = _noted([])
    assert [p.kind for p in whole] == ["front", "chapter", "chapter", "notes"]
    parts = _noted([NoteCut("note-4"), NoteCut("note-6", heading=True)])
    notes = parts[3:]
    assert [p.name for p in notes] == ["notes", "note-4", "note-6"]
    assert [sorted(p.owned) for p in notes] == [
        ["note-1", "note-2", "note-3", "notes", "notes-title"], ["note-4", "note-5"],
        ["note-10", "note-6", "note-7", "note-8", "note-9"]]
    # The part before a cut lays out the next notes (its probe) after its own, and holds none of their ids.
    assert 'id="note-4"' in notes[0].body and 'id="note-6"' not in notes[0].body
    assert notes[0].notes.probe_cut == NoteCut("note-4") and notes[0].body.endswith("</section>\n")
    # A part that begins inside the notes opens their section again, without its id, and a filler for its pad page.
    assert notes[1].body.startswith('<section class="bookmaker-part-continued notes" role="doc-endnotes">\n'
                                    '<div class="bookmaker-part-filler"></div>\n<div class="note" id="note-4"')
    assert notes[2].body.split("\n")[2] == '<h3 class="notes-chapter">B</h3>'
    assert notes[2].notes.probe_cut is None and notes[2].notes.continued == NoteCut("note-6", heading=True)
    # Each part shows the "p. N" of what it links to; links into its probe need no empty anchors.
    assert {"ref-4", "ref-5"} <= notes[1].wanted


def test_a_cut_the_notes_do_not_have_leaves_the_book_to_be_split_again() -> None:
    html = _html("").replace("</body>", _NOTES + "</body>")
    assert split(html, [NoteCut("note-99")]) is None
    assert split(html, [NoteCut("note-5", heading=True)]) is None  # no chapter heading before note 5
    assert split(html, [NoteCut("note-6"), NoteCut("note-4")]) is None  # out of order


def test_cuts_are_chosen_about_a_part_apart_and_leave_no_scrap() -> None:
    tops = {f"note-{n}": [100 + n, {}] for n in range(1, 60)}
    cuts = choose_cuts(NotesRecord(100, 160, tops), jobs=2)
    pages = [tops[c.token][0] for c in cuts]
    assert pages == [116, 132, 148]
    assert all(b - a >= 16 for a, b in zip([100, *pages], pages))
    assert choose_cuts(NotesRecord(100, 120, tops), jobs=2) == []  # short notes stay one part


def test_a_joined_unicode_map_keeps_each_block_apart() -> None:
    """A face with over 100 glyphs in the parts' fonts got its ToUnicode blocks run together
    ("endbfchar3 beginbfchar"): poppler warned once for each page that used it (1,197 times on
    "500 Lines or Less")."""
    from bookmaker.writers.pdf.merge_fonts import joined_cmap

    part = (b"/CIDInit /ProcSet findresource begin\n1 begincodespacerange\n<0000> <ffff>\nendcodespacerange\n"
            b"1 beginbfchar\n<0001> <0020>\nendbfchar\nendcmap\nend")
    unicode = {b"%04x" % gid: b"%04x" % (gid + 0x40) for gid in range(1, 151)}
    tokens = joined_cmap(part, unicode).split()
    assert tokens[tokens.index(b"endcodespacerange") + 1:][:2] == [b"100", b"beginbfchar"]
    blocks, at = [], tokens.index(b"beginbfchar")
    while at >= 0:
        end = tokens.index(b"endbfchar", at)
        entries = tokens[at + 1:end]
        assert int(tokens[at - 1]) * 2 == len(entries)
        assert all(t.startswith(b"<") and t.endswith(b">") for t in entries)
        blocks.append(len(entries) // 2)
        at = tokens.index(b"beginbfchar", end) if b"beginbfchar" in tokens[end:] else -1
    assert blocks == [100, 50]
    assert tokens[-2:] == [b"endcmap", b"end"]


def _index_part(locators: str):
    body = _BODY.replace("</body>", f'<section class="index" id="index"><div class="index-body"><ul>'
                                    f'<li class="index-entry">Term, {locators}</li></ul></div></section>\n</body>')
    head, body_open, parts = split(f"<html><head><style>.chapter, .index {{ break-before: page }}</style></head>{body}")
    return head, body_open, parts[-1]


def test_the_pad_page_holds_only_the_ids_a_page_number_may_be_counted_from() -> None:
    """An index of thousands of locators put as many empty elements on its pad page, a third of its layout:
    a link needs only the name (worker.name_links_elsewhere); an id whose number target-counter() may
    show (a locator not numbered yet, a backlink, the contents) still stands there."""
    from bookmaker.writers.pdf.parts.split import part_html

    head, body_open, index = _index_part('<a class="pageref" href="#a">1</a>, <a class="pageref pending" '
                                         'href="#b"><span class="locator-number">2</span></a>')
    assert index.kind == "index"
    html = part_html(head, body_open, index, 3, True, {}, None, False)
    assert 'id="b"' in html and 'id="a"' not in html
    front_html = part_html(head, body_open, split(_html(""))[2][0], 1, False, {}, None, False)
    assert '<span id="a"></span>' in front_html  # the contents' numbers


def test_every_target_counter_rule_of_the_theme_is_for_links_the_pad_page_holds() -> None:
    """The pad page's elements follow the theme's target-counter() rules: a rule for links of another
    class would count from an element no longer there."""
    import re

    from bookmaker.theme import THEME_DIR
    from bookmaker.writers.pdf.parts.split import COUNTED_CLASSES, COUNTED_WITHIN
    from bookmaker.writers.pdf.terms_css import terms_css

    css = "\n".join(p.read_text(encoding="utf-8") for p in (THEME_DIR / "styles").glob("*.css"))
    css += terms_css({"page": "p. %s", "pages": "pp. %s", "on-page": "on p. %s", "comma": ", "}, "persian")
    css = re.sub(r"(?s)/\*.*?\*/", "", css)
    rules = re.findall(r"([^{}]*)\{[^{}]*target-counters?\(", css)
    assert len(rules) >= 8
    for selectors in rules:
        for selector in selectors.split(","):
            words = set(re.findall(r"[.]([\w-]+)", selector))
            assert words & set(COUNTED_CLASSES) or words & set(COUNTED_WITHIN), selector


def test_a_link_to_an_id_in_another_part_is_kept_as_a_link_to_its_name() -> None:
    """WeasyPrint drops a link whose anchor is not in the document; in a part, the merge points it at the
    part that holds the id (merge.py)."""
    import io

    import pikepdf

    from bookmaker.writers.pdf.parts.worker import name_links_elsewhere
    from bookmaker.writers.pdf.weasy import import_weasyprint

    weasyprint = import_weasyprint()
    document = weasyprint.HTML(string='<p id="here">A <a href="#elsewhere">link</a>, <a href="#here">one</a>.</p>'
                                      '<p style="break-before: page"><a href="#elsewhere">again</a></p>').render()
    name_links_elsewhere(document)
    out = io.BytesIO()
    document.write_pdf(out)
    with pikepdf.open(io.BytesIO(out.getvalue())) as pdf:
        dests = [str(a.Dest) for page in pdf.pages for a in page.obj.get("/Annots", []) if "/Dest" in a]
        names = dict(pikepdf.NameTree(pdf.Root.Names.Dests).items())
    assert dests == ["elsewhere", "here", "elsewhere"]
    assert "elsewhere" in names and "here" in names


def test_a_killed_build_answers_folder_is_removed_by_the_next_build(tmp_path) -> None:
    """`kill -9` of a first build left its empty `bookmaker-desk-*` folder in the system's temporary
    folder for ever (a TemporaryDirectory cannot clean up after a kill): the next build removes those of
    builds no longer running, and keeps a running build's and anything not named as bookmaker names them."""
    import os
    import subprocess

    from bookmaker.writers.pdf.parts.desk import DESK_PREFIX, _sweep

    ended = subprocess.Popen(["true"])
    ended.wait()
    stale = tmp_path / f"{DESK_PREFIX}{ended.pid}-abc"
    (stale / "answer-0-1-0").parent.mkdir()
    (stale / "answer-0-1-0").write_text("[]", encoding="utf-8")
    running = tmp_path / f"{DESK_PREFIX}{os.getpid()}-def"
    running.mkdir()
    other = tmp_path / f"{DESK_PREFIX}older"
    other.mkdir()
    recent = tmp_path / f"{DESK_PREFIX}{ended.pid}-ghi"  # not seen running, but written to a minute ago
    recent.mkdir()
    for path in (stale, running, other):
        os.utime(path, (0, 0))
    _sweep(tmp_path)
    assert not stale.exists() and running.exists() and other.exists() and recent.exists()
