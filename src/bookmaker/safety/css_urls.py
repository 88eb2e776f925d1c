"""A book stylesheet's text as an output uses it: the outputs set the cascade inside another file
(the HTML book's <style>, the EPUB's one stylesheet), so a `url()` relative to the stylesheet's own
folder is pointed at the file from the output's place, and each `@import` of the book's own is
written in its place (inside a cascade it would come too late to count).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tinycss2.serializer import serialize_string_value, serialize_url

from bookmaker.safety.policy import Local, Refused, ResourcePolicy

# Where the output finds a file of the book (the resolved path), or None to leave the reference as written.
UrlFor = Callable[[Path], "str | None"]


def stylesheet_text(path: Path, book_root: Path, policy: ResourcePolicy, url_for: UrlFor) -> str:
    """The text of the stylesheet at `path`, read under the book's rules, its references rewritten."""
    return _text(path, book_root, policy, url_for, frozenset())


def _text(path: Path, book_root: Path, policy: ResourcePolicy, url_for: UrlFor, seen: frozenset[Path]) -> str:
    css = policy.read_local(path).decode("utf-8-sig")
    if book_root not in path.resolve().parents:
        return css  # the theme's own: kept byte for byte
    import tinycss2

    from bookmaker.safety.stylesheets import css_syntax

    seen = seen | {path.resolve()}
    out, rules = [], []
    for rule in tinycss2.parse_stylesheet(css):
        if rule.type == "at-rule" and rule.lower_at_keyword == "import":
            out.append(css_syntax(rules)[0])
            rules = []
            imported = _local(_import_target(rule), path, policy, book_root)
            if imported is not None and imported.suffix.lower() == ".css" and imported not in seen:
                out.append(_text(imported, book_root, policy, url_for, seen))
            continue  # one that could not be loaded was reported by the reader
        _rewrite_urls([rule], path, book_root, policy, url_for)
        rules.append(rule)
    out.append(css_syntax(rules)[0])  # what is not valid CSS is left out, as the reader warned
    return "".join(out)


def _import_target(rule) -> str:
    for token in rule.prelude:
        if token.type in ("string", "url"):
            return token.value
        if token.type == "function" and token.lower_name == "url":
            return next((a.value for a in token.arguments if a.type == "string"), "")
    return ""


def _local(url: str, relative_to: Path, policy: ResourcePolicy, book_root: Path) -> Path | None:
    try:
        where = policy.resolve(url, relative_to)
    except Refused:
        return None
    if isinstance(where, Local) and book_root in where.path.parents:
        return where.path
    return None


def _rewrite_urls(nodes, path: Path, book_root: Path, policy: ResourcePolicy, url_for: UrlFor) -> None:
    for node in nodes:
        if node is None:
            continue
        target = None
        if node.type == "url":
            target = node
        elif node.type == "function" and node.lower_name == "url":
            target = next((a for a in node.arguments if a.type == "string"), None)
        if target is not None and not target.value.startswith(("data:", "#")):
            local = _local(target.value, path, policy, book_root)
            new = url_for(local) if local is not None else None
            if new is not None:
                target.value = new
                target.representation = (f"url({serialize_url(new)})" if target.type == "url"
                                         else f'"{serialize_string_value(new)}"')
        for children in ("prelude", "content", "arguments"):
            value = getattr(node, children, None)
            if isinstance(value, list):
                _rewrite_urls(value, path, book_root, policy, url_for)
