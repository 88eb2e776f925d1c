"""A part's stylesheet parsed once per process."""

from __future__ import annotations

from bookmaker.writers.pdf.patches.fence import supported

# At-rules whose parse leaves something outside the document's page rules, layers and counter styles
# (fonts loaded, profiles, other files fetched): a stylesheet with one is parsed for every document.
_NOT_KEPT = ("@font-face", "@import", "@color-profile", "@layer", "@counter-style")
_PARSED: dict[tuple, tuple] = {}  # (CSS text, base URL, media) -> what its parse gave; a few per process


def parse_styles_once() -> None:
    """A `<style>` element's stylesheet parsed once per process, not once per document.

    Every part of a book carries the same stylesheet (the theme's and the book's, 33 KB for the
    benchmark book), and WeasyPrint parses and validates it, and compiles its selectors, for each
    document: about 0.06 s of a part's 0.5 s, in every one of a book's 60 parts. Its parse gives a
    selector matcher, which layout only reads, and adds to the document's page rules; those are kept
    and given to the next document with the same text, base URL and media, with the warnings the
    parse logged (the build reports them from every part). A stylesheet that loads fonts or other
    files, or declares layers or counter styles, is parsed every time."""
    from weasyprint import CSS

    if not supported() or getattr(CSS.__init__, "bookmaker_once", False):
        return
    real = CSS.__init__

    def __init__(self, *args, string=None, base_url=None, media_type="print", page_rules=None, layers=None,
                 matcher=None, layer=None, **kwargs):
        given = dict(string=string, base_url=base_url, media_type=media_type, page_rules=page_rules,
                     layers=layers, matcher=matcher, layer=layer, **kwargs)
        folded = string.lower() if isinstance(string, str) and not args else None
        if folded is None or page_rules is None or matcher is not None or layer is not None or any(
                rule in folded for rule in _NOT_KEPT):
            return real(self, *args, **given)
        key = (string, str(base_url), media_type)
        if key not in _PARSED:
            _PARSED[key] = _parsed(real, self, given)
            if len(_PARSED) > 4:
                del _PARSED[next(iter(_PARSED))]
        else:
            base, self.matcher, rules, logged = _PARSED[key]
            self.base_url, self.layers = base, [] if layers is None else layers
            self.page_rules = page_rules
            page_rules.extend(rules)
            import logging

            for record in logged:
                logging.getLogger("weasyprint").handle(record)

    __init__.bookmaker_once, __init__.__wrapped__ = True, real
    CSS.__init__ = __init__


def _parsed(real, css, given: dict) -> tuple:
    """Parse once (real CSS.__init__), keeping the page rules it added and the records it logged."""
    import logging

    logger, kept = logging.getLogger("weasyprint"), []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            kept.append(record)

    handler, before = Keep(), len(given["page_rules"])
    logger.addHandler(handler)
    try:
        real(css, **given)
    finally:
        logger.removeHandler(handler)
    return css.base_url, css.matcher, given["page_rules"][before:], kept
