"""The stable code of every diagnostic, one line each: code, severity, what it says.

A code names a kind of problem for good (scripts and editors may match on it); the message may be
reworded. A diagnostic passes its code as `code="..."` (core/diagnostics.py).
"""

from __future__ import annotations

CODES: dict[str, tuple[str, str]] = {
    # Accessibility (read/accessibility.py, safety/sanitize.py, read/headings.py): the EPUB then claims no WCAG conformance.
    "image-without-alt": ("warning", "an image has no alternative text and is not marked decorative"),
    "table-without-header": ("warning", "a table has no header row (Markdown) or no header cells (raw HTML)"),
    "link-text-unclear": ("warning", "a link's text is its web address or a word such as 'here'"),
    "heading-level-skipped": ("warning", "a heading is more than one level below the one before it"),
}
