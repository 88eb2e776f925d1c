"""A book's own stylesheets, checked like the rest of the manuscript: each must be
readable UTF-8, and every `url()` and `@import` in it (fonts, images) must name a
readable file inside the book, under the same rules as images (policy.py)."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import tinycss2

from bookmaker.core import limits
from bookmaker.core.diagnostics import Diagnostics
from bookmaker.safety.images import IMAGE_TYPES, check_image
from bookmaker.safety.policy import Local, Refused, ResourcePolicy
from bookmaker.core.text import not_utf8
from bookmaker.core.paths import real_path

# The first bytes of each font format WeasyPrint and e-readers read.
FONT_SIGNATURES = {
    ".woff": (b"wOFF",),
    ".woff2": (b"wOF2",),
    ".ttf": (b"\x00\x01\x00\x00", b"true"),
    ".otf": (b"OTTO", b"\x00\x01\x00\x00"),
}


def check_stylesheets(paths: list[Path], policy: ResourcePolicy, diagnostics: Diagnostics) -> list[Path]:
    """Report every problem of the book's stylesheets; return the files they name (fonts, images and
    the stylesheets they import, those checked in turn), resolved, each vetted by the policy."""
    named: list[Path] = []
    checked: set[Path] = set()
    queue = list(paths)
    while queue:
        path = queue.pop(0)
        if real_path(path) in checked:
            continue
        checked.add(real_path(path))
        for resource in _check(path, policy, diagnostics):
            if resource not in named:
                named.append(resource)
            if resource.suffix.lower() == ".css":
                queue.append(resource)
    return named


def _check(path: Path, policy: ResourcePolicy, diagnostics: Diagnostics) -> list[Path]:
    try:
        data = policy.read_local(path, limits.MAX_STYLESHEET_BYTES)
    except Refused as refused:
        diagnostics.add(refused.about("stylesheet").at(path))
        return []
    try:
        css = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, column, message = not_utf8(exc, "the stylesheet")
        diagnostics.error(path, line, message, column, code="css-not-utf8")
        return []
    too_deep = css_nesting_beyond(css, limits.MAX_CSS_NESTING)
    if too_deep is not None:
        line, column = too_deep
        diagnostics.error(path, line, f"brackets are nested more than {limits.MAX_CSS_NESTING} deep here: "
                                      "close them (CSS never needs so many)", column, code="css-too-deep")
        return []
    rules = tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)
    for line, column, problem, *code in css_syntax(rules)[1]:
        diagnostics.warning(path, line, problem, column, code=code[0] if code else "css-syntax")
    named = []
    for token, url in _urls(rules):
        resource = _check_url(path, url, token.source_line, token.source_column, policy, diagnostics)
        if resource is not None:
            named.append(resource)
    return named


_RULE_LISTS = ("media", "supports", "document", "layer", "container", "scope", "starting-style")


def css_syntax(rules: list) -> tuple[str, list[tuple[int, int, str]]]:
    """The parsed stylesheet `rules` written back without what is not valid CSS (a rule whose selector
    does not parse, a declaration that does not), and where each left-out part was. Browsers skip
    such parts; EPUBCheck calls them errors, so the EPUB must not hold them."""
    import cssselect2

    out, problems = [], []
    _close_strings(rules)
    for rule in rules:
        if rule.type == "error":
            problems.append((rule.source_line, rule.source_column, f"not valid CSS ({rule.message}): it is ignored"))
            continue
        if rule.type != "qualified-rule" and (rule.type != "at-rule" or rule.content is None):
            out.append(rule.serialize())
            continue
        if rule.type == "at-rule" and rule.lower_at_keyword in _RULE_LISTS:  # @media {...}: rules inside
            inner, inner_problems = css_syntax(tinycss2.parse_rule_list(rule.content))
            problems.extend(inner_problems)
            out.append(f"@{rule.at_keyword}{tinycss2.serialize(rule.prelude)}{{{inner}}}")
            continue
        selector = " ".join(tinycss2.serialize(rule.prelude).split())
        if rule.type == "at-rule":
            selector = f"@{rule.at_keyword} {selector}".strip()
        else:
            try:
                cssselect2.compile_selector_list(rule.prelude)
            except cssselect2.SelectorError:
                problems.append((rule.source_line, rule.source_column,
                                 f"'{selector[:60]}' is not a valid selector: the rule is ignored; check for a typo"))
                continue
            except (SyntaxError, RecursionError, MemoryError):
                # cssselect2 compiles a selector into Python source, which nests once per combinator: a
                # hundred of them are beyond what Python compiles (and what WeasyPrint could match).
                problems.append((rule.source_line, rule.source_column,
                                 f"'{selector[:60]}' has too many parts for a selector: the rule is ignored; "
                                 "simplify it", "css-selector-too-complex"))
                continue
        contents = tinycss2.parse_blocks_contents(rule.content)
        # A {} block in a value is a rule's brace left open (`color: #123 h1 { ...`): no property takes one.
        # A rule inside a rule is CSS nesting, which EPUB readers and EPUBCheck do not know; mostly it is a
        # '}' left out (`color: #123 h1 { ...`).
        nested = ("error", "qualified-rule", "at-rule") if rule.type == "qualified-rule" else ("error", "qualified-rule")
        # A value with a bad token (`url(a"b.png)`, a bad URL) would be written out as "[bad url]".
        errors = [node for node in contents if node.type in nested or (
            node.type == "declaration" and any(token.type in ("{} block", "error") for token in node.value))]
        if not errors:
            out.append(rule.serialize())
            continue
        for error in errors:
            problems.append((error.source_line, error.source_column,
                             f"a declaration in '{selector[:60]}' is not valid CSS: it is ignored; check for a typo"))
        kept = [node.serialize() for node in contents
                if node.type not in ("error", "whitespace", "comment") and node not in errors]
        keyword = f"@{rule.at_keyword}" if rule.type == "at-rule" else ""
        out.append(f"{keyword}{tinycss2.serialize(rule.prelude)}{{ {'; '.join(kept)} }}")
    return "".join(out), problems


def _close_strings(nodes) -> None:
    """A string or url( left open at the end of the file is closed, as a CSS parser reads it; written
    back as it stood it would be an error to EPUBCheck."""
    from tinycss2.serializer import serialize_string_value, serialize_url

    for node in nodes or []:
        if node.type == "string" and not node.representation.endswith(node.representation[:1] or '"'):
            node.representation = f'"{serialize_string_value(node.value)}"'
        elif node.type == "url" and not node.representation.endswith(")"):
            node.representation = f"url({serialize_url(node.value)})"
        for children in ("prelude", "content", "arguments", "value"):
            value = getattr(node, children, None)
            if isinstance(value, list):
                _close_strings(value)


def css_nesting_beyond(css: str, limit: int) -> tuple[int, int] | None:
    """Line and column of the first bracket nested deeper than `limit` ((, [, { outside strings and
    comments), or None; CSS parsers recurse once per level and would exhaust the stack."""
    depth, i, quote = 0, 0, ""
    while i < len(css):
        c = css[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote or c == "\n":
                quote = ""
        elif c == "/" and css.startswith("/*", i):
            end = css.find("*/", i + 2)
            i = len(css) if end < 0 else end + 1
        elif c in "\"'":
            quote = c
        elif c == "\\":
            i += 1
        elif c in "([{":
            depth += 1
            if depth > limit:
                line = css.count("\n", 0, i) + 1
                return line, i - (css.rfind("\n", 0, i) + 1) + 1
        elif c in ")]}":
            depth = max(0, depth - 1)
        i += 1
    return None


def _urls(nodes):
    """Every URL a stylesheet names: url(...) tokens and functions, and the string of an @import."""
    for node in nodes:
        if node is None:
            continue
        if node.type == "url":
            yield node, node.value
        elif node.type == "function" and node.lower_name == "url":
            strings = [a for a in node.arguments if a.type == "string"]
            if strings:
                yield node, strings[0].value
        elif node.type == "at-rule" and node.lower_at_keyword == "import":
            strings = [a for a in node.prelude if a.type == "string"]
            if strings:
                yield node, strings[0].value
        for child_list in ("prelude", "content", "arguments"):
            children = getattr(node, child_list, None)
            if isinstance(children, list):
                yield from _urls(children)


def _check_url(path: Path, url: str, line: int, column: int, policy: ResourcePolicy,
               diagnostics: Diagnostics) -> Path | None:
    if url.startswith(("data:", "#")):
        return None
    try:
        where = policy.resolve(url, path)
        if not isinstance(where, Local):
            return None  # remote, allowed by --allow-remote; fetched (or refused) by the writer's fetcher
        suffix = PurePosixPath(where.path.name).suffix.lower()
        if suffix in FONT_SIGNATURES:
            head = policy.read_local(where.path)[:4]
            if not head.startswith(FONT_SIGNATURES[suffix]):
                raise Refused(f"is not a {suffix[1:].upper()} font file: replace it with a working font file", code="font-invalid")
        elif suffix in IMAGE_TYPES:
            problem = check_image(where.path.name, policy.read_local(where.path))
            if problem:
                raise Refused(problem, code="resource-invalid")
        elif suffix in (".icc", ".icm"):  # an @color-profile's ICC profile, for device-cmyk() in print
            if policy.read_local(where.path)[36:40] != b"acsp":
                raise Refused("is not an ICC colour profile (it lacks the 'acsp' signature)", code="resource-invalid")
        elif suffix != ".css":  # an imported stylesheet is checked in turn
            raise Refused(f"is not a font ({', '.join(FONT_SIGNATURES)}), an ICC profile, an image or a stylesheet",
                          code="resource-unsupported")
        if policy.book_root not in where.path.parents:
            return None  # the theme's own
        return where.path
    except Refused as refused:
        diagnostics.add(refused.about(f"'{url}'").at(path, line, column))
        return None
