"""Every place bookmaker changes WeasyPrint's internals, fenced in one module.

WeasyPrint's layout functions are not its API. What is patched here was written against the versions
in WRITTEN_FOR, and each patch is applied only on those (`supported()`); pyproject.toml pins WeasyPrint
to that range. With another version bookmaker stays exact without them: a part laid out from a guessed
start is laid out again (slower), and one word may stand alone on a line (the bug keep_words_together
works around). tests/fast/test_patches.py holds a fingerprint of each piece of WeasyPrint's source a
patch relies on, and fails when a new WeasyPrint changes it, naming the patch to check again.

| patch | WeasyPrint internals | why |
| --- | --- | --- |
| keep_words_together | layout.inline.split_first_line | a word left alone before an inline element |
| paginated | layout.make_all_pages, layout.make_margin_boxes | a part's start known only after its pagination |
| shift_page_numbers | context.page_maker's page counters | renumber a part before its margin boxes are made |
| deferred_fonts | pdf.fonts.Font.clean | each face subset once for all parts, at merge |
| keep_joiners | draw.text.draw_first_line, Pango's glyph strings | ZWNJ and ZWJ kept in the text layer |
| one_leader_box | layout.inline.handle_leader, layout.leader, pdf.stream.Stream.marked, pdf.tags._build_box_tree | a leader's dots shaped and drawn once, as an artifact |

What would remove them upstream: keep_words_together, a fix of WeasyPrint's line breaking between a text
box and the inline box after it (Kozea/WeasyPrint#1614, "Incorrect line breaking with boxes", the same
naive per-box `is_line_start`); the other three, an API WeasyPrint does not have (page numbers set after
pagination, subsetting left to the caller): no upstream issue asks for one yet; keep_joiners, WeasyPrint
mapping the default-ignorable characters Pango draws as empty glyphs (none asks for it either).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

# The WeasyPrint versions these patches were written for and tested with (pyproject.toml pins the same).
WRITTEN_FOR = ("70.",)
# Kept under its old name for the parts' check: laying out a part from a guessed start.
RENUMBERING_CHECKED = WRITTEN_FOR

# What each patch relies on: a qualified name in WeasyPrint, and the sha256 of its source in the
# versions of WRITTEN_FOR (tests/fast/test_patches.py compares them with the installed WeasyPrint).
FINGERPRINTS = {
    "weasyprint.text.line_break.split_first_line": "39ad1016863ca34d",  # keep_words_together
    "weasyprint.layout.layout_document": "a5cbf437e99caf72",  # paginated, shift_page_numbers: calls both hooks
    "weasyprint.layout.initialize_page_maker": "5bb3c878d722af53",  # shift_page_numbers: a page_maker entry's shape
    "weasyprint.layout.page.make_all_pages": "b5e4034894841caa",  # paginated
    "weasyprint.layout.page.make_margin_boxes": "4a2d2e301eb3bc47",  # paginated
    "weasyprint.pdf.fonts.Font.clean": "794f0211f18453f1",  # deferred_fonts
    "weasyprint.draw.text.draw_first_line": "1bb8eae6d88e71b1",  # keep_joiners: sets single-paragraph mode, then reads the glyphs
    "weasyprint.pdf.stream.Stream.marked": "3fa3acacbbf66422",  # one_leader_box: a leader's run marked as an artifact
    "weasyprint.pdf.tags._build_box_tree": "f716251a83e7096e",  # one_leader_box: a text box's mark popped by its parent
    "weasyprint.layout.leader.handle_leader": "e4bf5941eb946d0b",  # one_leader_box: copies side by side, one width apart
}


def apply_layout_patches() -> None:
    """The patches that change how WeasyPrint lays out and draws, applied once it is imported (each only on
    the versions of WRITTEN_FOR, and once per process); the others are applied around one part's layout."""
    keep_words_together()
    keep_joiners()
    one_leader_box()


def supported() -> bool:
    """Whether the installed WeasyPrint is one these patches were written for."""
    import weasyprint

    return weasyprint.__version__.startswith(WRITTEN_FOR)


def renumbering_supported() -> bool:
    """Whether a part laid out from a guessed start can be renumbered after layout (paginated, shift_page_numbers)."""
    import weasyprint
    import weasyprint.layout as layout

    return (weasyprint.__version__.startswith(RENUMBERING_CHECKED)
            and all(hasattr(layout, name) for name in ("make_all_pages", "make_margin_boxes")))


class paginated:
    """While a document is laid out, collect its pages, and call `on_paginated(pages, context)` once
    it is paginated, before its first margin box is made (margin boxes are the only part of a page
    that depends on its number)."""

    def __init__(self, on_paginated: Callable[[list, object], None]) -> None:
        self.on_paginated = on_paginated
        self.pages: list = []
        self.asked = False

    def __enter__(self) -> paginated:
        import weasyprint.layout as layout

        self.layout = layout
        self.real_pages, self.real_margins = layout.make_all_pages, layout.make_margin_boxes

        def make_all_pages(*args, **kwargs):
            self.pages = []
            for page in self.real_pages(*args, **kwargs):
                self.pages.append(page)
                yield page

        def make_margin_boxes(context, page, state):
            if not self.asked:
                self.asked = True
                self.on_paginated(self.pages, context)
            return self.real_margins(context, page, state)

        layout.make_all_pages, layout.make_margin_boxes = make_all_pages, make_margin_boxes
        return self

    def __exit__(self, *exc) -> None:
        self.layout.make_all_pages, self.layout.make_margin_boxes = self.real_pages, self.real_margins


def shift_page_numbers(context, delta: int) -> None:
    """Move every page's `page` counter by `delta` (the margin boxes are made from these counters)."""
    seen = set()
    for entry in context.page_maker:
        counters = entry[3][1]
        if id(counters) in seen or "page" not in counters:
            continue
        seen.add(id(counters))
        counters["page"] = [value + delta for value in counters["page"]]


def keep_words_together() -> None:
    """Work around a WeasyPrint 70 line-breaking bug that leaves one word alone on a line.

    A text box that ends in a space before an inline element ("...links with <em>Hamas</em>")
    is measured with its trailing space; when only that space passes the line's width,
    `split_first_line` decides nothing before it can stay and keeps the first word alone
    ("The" / "Quds Force started to build links with"). Such text, without its trailing spaces,
    does fit: it is then laid out as one line, and the space hangs at the line's end, as it does
    for text with no element after it. (Seen on the sample book's first page; tests/test_pdf_reading.py.)
    """
    import weasyprint.layout.inline as inline

    if not supported():
        return  # another WeasyPrint: laid out as it lays out, unpatched
    original = inline.split_first_line
    if getattr(original, "bookmaker_fix", False):
        return

    def split_first_line(text, style, context, max_width, justification_spacing, is_line_start=True, minimum=False):
        result = original(text, style, context, max_width, justification_spacing, is_line_start, minimum)
        if (result[2] is not None and max_width is not None and text.endswith(" ")
                and style["white_space"] in ("normal", "nowrap", "pre-line")):
            stripped = text.rstrip(" ")
            fits = original(stripped, style, context, max_width, justification_spacing, is_line_start, minimum)
            if fits[2] is None and fits[3] <= max_width:
                return original(text, style, context, None, justification_spacing, is_line_start, minimum)
        return result

    split_first_line.bookmaker_fix, split_first_line.__wrapped__ = True, original  # __wrapped__: fingerprinted by the tests
    inline.split_first_line = split_first_line


# A joiner is drawn with a blank glyph of no width: the face's own for it when blank, else one for
# another character Pango never draws (ZERO WIDTH SPACE, BOM). The order differs for the two
# joiners, so that each gets a glyph of its own (the ToUnicode map names one character per glyph).
_JOINERS = {"\u200c".encode(): (0x200C, 0x200B, 0xFEFF), "\u200d".encode(): (0x200D, 0xFEFF, 0x200B)}


def keep_joiners() -> None:
    """Keep ZERO WIDTH NON-JOINER and JOINER in the PDF's text layer (issue 20).

    ZWNJ is part of Persian spelling (`می‌شود`); Pango draws it, like every default-ignorable
    character, as an empty glyph, which WeasyPrint leaves out of the text and of the ToUnicode map:
    search and copy gave `میشود`. A blank glyph of the face is drawn in its place (_JOINERS), so the
    map holds the character. The layout does not change: the glyph keeps Pango's width of nothing.
    (Amiri and Noto's Arabic faces draw their own ZWNJ glyph as a visible mark for editors.)
    """
    import weasyprint.draw.text as draw_text
    from weasyprint.text.ffi import ffi, harfbuzz, pango

    if not supported():
        return  # another WeasyPrint: its text layer as it writes it
    original = draw_text.draw_first_line
    if getattr(original, "bookmaker_fix", False):
        return
    ffi.cdef("""
        typedef struct { int32_t x_bearing; int32_t y_bearing; int32_t width; int32_t height; } bm_extents_t;
        int hb_font_get_nominal_glyph (hb_font_t *font, hb_codepoint_t unicode, hb_codepoint_t *glyph);
        int hb_font_get_glyph_extents (hb_font_t *font, hb_codepoint_t glyph, bm_extents_t *extents);
    """)
    found, extents = ffi.new("hb_codepoint_t *"), ffi.new("bm_extents_t *")

    def blank_glyph(font, candidates: tuple[int, ...]) -> int | None:
        for codepoint in candidates:
            if harfbuzz.hb_font_get_nominal_glyph(font, codepoint, found) and \
                    harfbuzz.hb_font_get_glyph_extents(font, found[0], extents) and \
                    extents.width == 0 and extents.height == 0:
                return found[0]
        return None

    def show_joiners(textbox) -> None:
        # What draw_first_line sets first, which lays the text out again when it changes: the
        # glyphs changed here are then the ones it draws.
        pango.pango_layout_set_single_paragraph_mode(textbox.pango_layout.layout, True)
        line, _ = textbox.pango_layout.get_first_line()
        text = textbox.pango_layout.text.encode()
        run = line.runs
        while run != ffi.NULL:
            item = run.data
            run = run.next
            glyphs = item.glyphs
            for i in range(glyphs.num_glyphs):
                if glyphs.glyphs[i].glyph != pango.PANGO_GLYPH_EMPTY:
                    continue
                start = item.item.offset + glyphs.log_clusters[i]
                candidates = _JOINERS.get(text[start : start + 3])
                font = pango.pango_font_get_hb_font(item.item.analysis.font) if candidates else ffi.NULL
                glyph = blank_glyph(font, candidates) if font != ffi.NULL else None
                if glyph is not None:
                    glyphs.glyphs[i].glyph = glyph

    def draw_first_line(stream, textbox, text_overflow, block_ellipsis, matrix):
        if "\u200c" in textbox.text or "\u200d" in textbox.text:
            show_joiners(textbox)
        return original(stream, textbox, text_overflow, block_ellipsis, matrix)

    draw_first_line.bookmaker_fix, draw_first_line.__wrapped__ = True, original  # __wrapped__: fingerprinted by the tests
    draw_text.draw_first_line = draw_first_line


def one_leader_box() -> None:
    """A leader (the contents' dots, `leader(". ")`) laid out as one run of its text, not one box per dot.

    WeasyPrint 70 fills a leader with a copy of its text box for each repetition, placed from the line's
    end; the contents of the 50-chapter benchmark book (371 lines) were 17,000 boxes, each shaped and
    drawn alone: 1.3 s of its front matter's 2 s, laid out again after the notes, alone on one core. The
    copies stand side by side, one repetition's width apart, so their text repeated and shaped once draws
    the same glyphs in the same places, but for the rounding of each glyph's offset in the PDF's text
    (a thousandth of a point per dot; a hundredth over a long line, far below a printer's dot). A run
    whose width is not theirs to a tenth of a pixel (a face that kerns the text with itself) keeps the
    copies.

    The run is drawn as an artifact, outside the structure tree: the dots are decoration, and a reader
    reads "Clay and papyrus 14", not "Clay and papyrus dot dot dot ... 14" (WeasyPrint tagged each copy
    as text of the link).
    """
    import weasyprint.layout.inline as inline

    if not supported():
        return
    original = inline.handle_leader
    if getattr(original, "bookmaker_fix", False):
        return

    def handle_leader(context, line, containing_block):
        original(context, line, containing_block)
        _one_run(context, line)

    handle_leader.bookmaker_fix, handle_leader.__wrapped__ = True, original  # __wrapped__: fingerprinted by the tests
    inline.handle_leader = handle_leader
    _runs_as_artifacts()


def _one_run(context, line) -> None:
    """The copies of `line`'s leader replaced by one run (one_leader_box), when they make one."""
    from weasyprint.layout.leader import leader_index
    from weasyprint.text.line_break import split_first_line

    _, leader = leader_index(line)
    if leader is None or len(leader.children) < 2:
        return
    copies = sorted(leader.children, key=lambda box: box.position_x)
    first, last = copies[0], copies[-1]
    text = first.text * len(copies)
    layout, _, resume, width, *_ = split_first_line(text, first.style, context, None, first.justification_spacing)
    if resume is not None or abs(width - (last.position_x + last.width - first.position_x)) > 0.1:
        return
    box = first.copy_with_text(text)
    box.pango_layout, box.width = layout, width
    box.bookmaker_leader = True
    leader.children = (box,)


def _runs_as_artifacts() -> None:
    """The leaders' runs (one_leader_box) drawn as artifacts, and left out of the structure tree, which
    WeasyPrint builds from the boxes once the pages are drawn (a box of the tree must have been marked)."""
    import weasyprint.pdf.tags as tags
    from weasyprint.pdf.stream import Stream

    real_marked, real_tree = Stream.marked, tags._build_box_tree

    def marked(stream, box, tag):
        if getattr(box, "bookmaker_leader", False) and stream._tags is not None:
            return stream.artifact()
        return real_marked(stream, box, tag)

    def build_box_tree(box, *args):  # the function recurses through this module's name: each box comes here
        children = box.children if getattr(box, "is_leader", False) else ()
        if not any(getattr(child, "bookmaker_leader", False) for child in children):
            yield from real_tree(box, *args)
            return
        box.children = tuple(child for child in children if not getattr(child, "bookmaker_leader", False))
        try:
            yield from real_tree(box, *args)
        finally:
            box.children = children

    marked.__wrapped__, build_box_tree.__wrapped__ = real_marked, real_tree
    Stream.marked, tags._build_box_tree = marked, build_box_tree


class deferred_fonts:
    """While a part is written, its faces are not subset: the merge subsets each face once for all parts.

    A face WeasyPrint must transform (variable, colour or bitmap) is cleaned as
    usual and stays the part's own.
    """

    def __init__(self, deferred: dict[str, dict], font_dir: str) -> None:
        self.deferred = deferred
        self.font_dir = Path(font_dir)

    def __enter__(self) -> None:
        from weasyprint.pdf.fonts import Font

        self.Font = Font
        self.real = Font.clean
        deferred, font_dir, real = self.deferred, self.font_dir, self.real

        def clean(font, to_unicode, hinting):
            if font.bitmap or "fvar" in font.tables or font.png or font.svg or font.colr or not to_unicode:
                return real(font, to_unicode, hinting)
            data = font.file_content
            sha = hashlib.sha256(data).hexdigest()
            path = font_dir / sha
            if not _kept(path, data):
                return real(font, to_unicode, hinting)  # the faces' folder is full: embedded as usual
            name = font.name.decode("latin-1").lstrip("/")
            otf = face_is_cff(data, font.index)
            deferred[name] = {"sha": sha, "index": font.index, "gids": sorted(to_unicode),
                              "missing": bool(font.missing), "otf": otf}
            # A stand-in the merge replaces, which gives WeasyPrint the face's type (Font.type reads its
            # first bytes): its subset, like WeasyPrint's own, is a face of its own, never a collection.
            font.file_content = b"OTTO" if otf else b"\x00\x01\x00\x00"

        Font.clean = clean

    def __exit__(self, *exc) -> None:
        self.Font.clean = self.real


def face_is_cff(data: bytes, index: int) -> bool:
    """Whether face `index` of a font file has CFF outlines ("OTTO"), in a collection (.ttc: Debian's Noto
    CJK) too, whose file begins "ttcf" whatever its faces are: read as TrueType, a CJK face's CFF subset
    was embedded as a TrueType font (CIDFontType2, FontFile2), which poppler reports as a mismatch."""
    if data[:4] == b"ttcf" and len(data) >= 12:
        count = int.from_bytes(data[8:12], "big")
        if 0 <= index < count and len(data) >= 16 + 4 * index:
            offset = int.from_bytes(data[12 + 4 * index: 16 + 4 * index], "big")
            return data[offset: offset + 4] == b"OTTO"
    return data[:4] == b"OTTO"


def _kept(path: Path, data: bytes) -> bool:
    """The face `data` at `path` (named by its SHA-256) for the merge: there already and intact, or written
    now; False when it cannot be (a full disk). A damaged file or a link of that name is replaced."""
    import contextlib
    import stat

    with contextlib.suppress(OSError):
        info = path.lstat()
        if stat.S_ISREG(info.st_mode) and info.st_size == len(data) and path.read_bytes() == data:
            return True
        path.unlink()  # a damaged file, or a link, of that name
    from bookmaker.core.output import write_whole

    try:
        write_whole(path, data)  # named only once whole: a worker killed mid-write (a stopped build) leaves none
    except OSError:
        return False
    return True
