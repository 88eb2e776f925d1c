"""The fence around bookmaker's WeasyPrint patches: the versions they were written for, and what each relies on."""

from __future__ import annotations

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
    "weasyprint.CSS.__init__": "8263e6979a389242",  # parse_styles_once: what a stylesheet's parse leaves in the document
    "weasyprint.css.find_stylesheets": "ac92dbb80c3fd936",  # parse_styles_once: a <style> element's CSS, with the document's lists
    "weasyprint.css.preprocess_stylesheet": "1e8c36ce59677a54",  # parse_styles_once: the rules that touch more than those lists
}


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

