"""What bookmaker needs of WeasyPrint in every process that lays out: the import, a
URL fetcher bound by the book's resource policy, and WeasyPrint's log as diagnostics.

Its own module so that the whole-book writer (pdf.py) and the workers that lay out
parts (pdf_parts.py) share it without importing each other.
"""

from __future__ import annotations

import logging
import mimetypes
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bookmaker.core.diagnostics import Diagnostics
from bookmaker.safety.policy import Refused, ResourcePolicy
from bookmaker.writers.pdf.patches import apply_layout_patches


def import_weasyprint():
    """WeasyPrint, imported without ctypes.util.find_library where that can be skipped.

    WeasyPrint's cffi loader tries names such as 'libgobject-2.0-0' first, and
    for each that is not a file cffi calls find_library, which on Linux runs
    ldconfig and gcc: some 50 processes and 0.2 s per import (WeasyPrint
    #1125). Its list always ends with the sonames ('libgobject-2.0.so.0'),
    which the dynamic loader finds itself, so on Linux find_library may answer
    "not found" while WeasyPrint loads. Should that fail on some system, the
    import is made again the ordinary way.
    """
    import sys

    if "weasyprint" in sys.modules or not sys.platform.startswith("linux"):
        import weasyprint

        apply_layout_patches()  # whoever imported it first, lay out with the fixes
        return weasyprint
    import ctypes.util

    real = ctypes.util.find_library
    ctypes.util.find_library = lambda name: None
    try:
        import weasyprint
    except OSError:
        for name in [m for m in sys.modules if m == "weasyprint" or m.startswith("weasyprint.")]:
            del sys.modules[name]
        ctypes.util.find_library = real
        import weasyprint
    finally:
        ctypes.util.find_library = real
    apply_layout_patches()
    return weasyprint


def _book_fetcher(policy: ResourcePolicy):
    """A URL fetcher that loads only what the book's resource rules allow (policy.py)."""
    from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

    class BookFetcher(URLFetcher):
        # When a dict: each local file fetched -> the SHA-256 of what was read ("" for a remote one), so
        # that a part laid out from them is reused from the cache only while they are the same (parts/cache.py).
        record: dict[str, str] | None = None

        def fetch(self, url: str, headers=None):
            parts = urlsplit(url)
            scheme = parts.scheme.lower()
            if scheme == "data":
                return super().fetch(url, headers)
            try:
                if scheme == "file":
                    path = Path(unquote(parts.path))
                    data = policy.read_local(path)
                else:
                    data = policy.fetch_remote(url)
            except Refused as refused:
                shown = unquote(parts.path) if scheme == "file" else url
                raise FatalURLFetchingError(f"refused to load '{shown}': it {refused}") from None
            if self.record is not None:
                import hashlib

                self.record[str(path) if scheme == "file" else url] = (
                    hashlib.sha256(data).hexdigest() if scheme == "file" else "")
            mime = mimetypes.guess_type(parts.path)[0] or "application/octet-stream"
            return URLFetcherResponse(url, body=data, headers={"Content-Type": mime})

    return BookFetcher(allowed_protocols=["file", "data", "http", "https"])


# WeasyPrint's CSS messages end with the line and column in the stylesheet text.
_CSS_LOCATION = re.compile(r" at (\d+):(\d+)(?=[.,])")
_NO_ALT = re.compile(r"^Image \".*\" has no required alt description$", re.DOTALL)
_NOTDEF = re.compile(r"\.notdef glyph rendered for Unicode string unsupported by fonts: \"(.*)\" \((U\+[0-9A-F]+)\)")


class _Collect(logging.Handler):
    def __init__(self, diagnostics: Diagnostics, target: Path, css_file: bool, reported: set[str]) -> None:
        super().__init__(logging.WARNING)
        self.diagnostics = diagnostics
        self.target = target
        self.css_file = css_file
        self.reported = reported

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if _NO_ALT.search(message):
            return  # the reader warned of an image without alt text at its line; alt="" is an ornament
        location = _CSS_LOCATION.search(message)
        if location:
            text = f"CSS: {_CSS_LOCATION.sub('', message)}"
            if self.css_file:
                self.reported.add(text)
                line, column = int(location.group(1)), int(location.group(2))
                self.diagnostics.warning(self.target, line, text, column, code="css-ignored")
            elif text not in self.reported:
                # From the assembled document (a style attribute in raw HTML): its line and
                # column point into generated text, so they are left out.
                self.diagnostics.warning(self.target, None, text, code="css-ignored")
            return
        if _NOTDEF.search(message):
            # Said once per occurrence (981 times for a Japanese chapter without a CJK face) and
            # without a place: the build's font check (writers/font_coverage.py) says it once per
            # character, with its count, its first file:line and the package that has it.
            return
        self.diagnostics.warning(self.target, None, f"WeasyPrint: {message}", code="weasyprint-warning")


class _weasyprint_warnings:
    """Route WeasyPrint's log into bookmaker's diagnostics instead of stderr."""

    def __init__(
        self, diagnostics: Diagnostics, target: Path, css_file: bool = False, reported: set[str] | None = None
    ) -> None:
        self.handler = _Collect(diagnostics, target, css_file, reported if reported is not None else set())
        self.logger = logging.getLogger("weasyprint")

    def __enter__(self) -> None:
        self.propagate = self.logger.propagate
        self.logger.addHandler(self.handler)
        self.logger.propagate = False

    def __exit__(self, *exc) -> None:
        self.logger.removeHandler(self.handler)
        self.logger.propagate = self.propagate
