"""A leader (the contents' dots) shaped, drawn and tagged as one run."""

from __future__ import annotations

from bookmaker.writers.pdf.patches.fence import supported


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
