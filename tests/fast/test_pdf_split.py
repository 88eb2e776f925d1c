"""Which books the PDF may lay out in parts (writers/pdf_parts.split): a split must not change the book."""

from bookmaker.writers.pdf_parts import split

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


def test_a_total_page_count_keeps_the_book_whole() -> None:
    """counter(pages) in a part is the part's own total: "page 3 of 4" in a 500-page book."""
    assert split(_html('@page { @bottom-center { content: counter(page) " of " counter(pages) } }')) is None


def test_page_counters_of_the_book_own_keep_it_whole() -> None:
    assert split(_html("@page :first { counter-reset: page 3 }")) is None
    assert split(_html("h1 { counter-increment: page 2 }")) is None
