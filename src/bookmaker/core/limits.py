"""Limits that turn a hostile or runaway manuscript into a clear error instead of exhausted memory."""

MAX_FILE_BYTES = 20_000_000  # one manuscript file (a long novel is about 1 MB)
MAX_BOOK_BYTES = 100_000_000  # all manuscript files together
MAX_STYLESHEET_BYTES = 2_000_000
MAX_IMAGE_PIXELS = 100_000_000  # 100 megapixels: a 10,000 x 10,000 scan
MAX_IMAGE_BYTES = 50_000_000
MAX_NESTING = 16  # lists, quotes and boxes inside each other; markdown-it stops parsing silently beyond its limit
# markdown-it's own limit counts its token levels (a list and its item are two)
# and drops the rest of the chapter silently beyond it: set high enough that
# MAX_NESTING real levels parse whole and the check in read/structure.py sees them.
PARSER_NESTING = 2 * MAX_NESTING + 8
MAX_INLINE_NESTING = 32  # emphasis, links and spans inside each other; XML parsers stop at 256 elements deep
MAX_CSS_NESTING = 64  # brackets inside each other in a stylesheet; the CSS parsers recurse on each
MAX_HTML_DEPTH = 64  # elements inside each other in raw HTML
REMOTE_TIMEOUT_SECONDS = 10.0
MAX_REMOTE_BYTES = 20_000_000
MAX_TEMPLATE_BYTES = 2_000_000  # one template file
TEMPLATE_SECONDS = 30.0  # one template render; the sample book's takes milliseconds
MAX_TEMPLATE_OUTPUT = 2 * MAX_BOOK_BYTES  # characters one template render may write
