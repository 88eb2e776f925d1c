"""Bare URLs linked as GitHub links them."""

from __future__ import annotations

def github_links(linkify) -> None:
    """Autolink `http(s)://...` and `www....` only, as GitHub does: linkify-it would also link any
    word with a dot before a top-level domain, and `notes.md` or `setup.py` in prose would become
    links to Moldovan and Paraguayan hosts."""
    match = linkify.match

    def github_match(text):
        found = [m for m in match(text) or [] if m.schema or m.raw.lower().startswith("www.")]
        return found or None

    linkify.match = github_match
    pretest = linkify.pretest

    def github_pretest(text):
        # What is kept has a scheme, which linkify-it accepts only before `//` (http:, https:, ftp:,
        # //) or as `mailto:`, or starts with `www.`: text with none of these holds no such link, and
        # linkify-it's own pretest, a long case-blind regex, was the slowest step of reading prose.
        if "//" not in text:
            lowered = text.lower()
            if "mailto:" not in lowered and "www." not in lowered:
                return False
        return pretest(text)

    linkify.pretest = github_pretest
