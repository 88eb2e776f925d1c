"""Text as bookmaker lays it out: a word kept with the line it fits on, the joiners kept in the text layer."""

from __future__ import annotations

from bookmaker.writers.pdf.patches.fence import supported


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
