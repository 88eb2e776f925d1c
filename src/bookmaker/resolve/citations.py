"""Citations and the bibliography, resolved once into the document model for every output.

The CSL processor is pandoc's citeproc, run as a subprocess. It is the one
we measured to be correct: citeproc-py (with its style package) got Chicago
notes-bibliography wrong ("M. Axworthy" for "Michael Axworthy", the comma
outside the quotation marks, a stray "Edition.") and crashed on
chicago-notes.csl, while pandoc 2.17's --citeproc set the same data right.
Pandoc is a trusted installed program; the book's bibliography and style are
vetted by the resource policy first and copied into a temporary folder that
pandoc runs in with --sandbox, so it reads nothing else.

The reader hands over every citation in reading order ("slots"): a citation
in the text, or an author's note with the citations inside it. Each becomes
one paragraph of a generated pandoc Markdown document; pandoc numbers notes
as the book does, so first, short and ibid. forms come out as the style says.
Its JSON output is mapped back paragraph by paragraph and written as XHTML
here (a small, closed set of pandoc's inline elements; links only to http(s)).
"""

from __future__ import annotations

import difflib
import html
import json
import os
import re
import resource
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable
from typing import Any

from markdown_it.token import Token

from bookmaker.core.cache import cached_bytes
from bookmaker.core.diagnostics import Diagnostics
from bookmaker.resolve.citation_markup import CiteprocError, check_paragraphs, one_paragraph, report_markup
from bookmaker.safety.policy import Local, Refused, ResourcePolicy
from bookmaker.core.ids import as_id
from bookmaker.core.text import without_invalid_characters
from bookmaker.resolve.bibfiles import (MAX_BIBLIOGRAPHY_BYTES, BibFile, Entry, cited_files, read_file,
                                        report_duplicates)
from bookmaker.theme import THEME_DIR

CSL_DIR = THEME_DIR / "csl"
BUNDLED_STYLES = ("chicago-notes-bibliography", "chicago-author-date", "apa", "mla", "ieee", "harvard")
DEFAULT_STYLE = "chicago-notes-bibliography"
PANDOC_SECONDS = 60  # pandoc 2.17 takes 17 s to read the bundled chicago styles alone on a slow machine
# pandoc's address space. pandoc 2.17 reading chicago-author-date.csl alone holds 1.2 GB (and fails
# under a 1.5 GB limit); a bibliography crafted to make it grow fails here instead of the machine.
PANDOC_MEMORY_BYTES = 4_000_000_000
_NOTE_CLASS = re.compile(rb"<style\b[^>]*\bclass\s*=\s*[\"']note[\"']")
_HTTP = re.compile(r"^(https?|mailto):", re.IGNORECASE)
_INDEX_MARK = re.compile(r"\]\{[^{}]*(?:\.index\b|\bindex(?:-[a-z]+)?\s*=)")


@dataclass
class Slot:
    """A citation in the text (`token`), or an author's note and the citations inside it."""

    token: Token | None = None
    in_note: list[Token] = field(default_factory=list)


@dataclass
class Style:
    name: str
    data: bytes  # a bundled style or a vetted file of the book, read once
    is_note: bool


@dataclass
class Bibliography:
    entries: dict[str, Entry]  # each key's first definition
    files: list[BibFile]
    style: Style
    lang: str = "en"
    incomplete: bool = False  # a file could not be read (reported): its keys are unknown, not missing

    @property
    def title(self) -> str:
        return "Bibliography" if self.style.is_note else "References"


def load_style(value: str | None, where: Path, line: int | None, policy: ResourcePolicy,
               diagnostics: Diagnostics) -> Style | None:
    """`csl:` is a bundled style's name or a path to a .csl file of the book."""
    name = (value or DEFAULT_STYLE).strip()
    if not name.lower().endswith(".csl"):
        if name not in BUNDLED_STYLES:
            close = difflib.get_close_matches(name, BUNDLED_STYLES, n=1)
            hint = f"did you mean '{close[0]}'?" if close else "or give the path of a .csl file in the book"
            diagnostics.error(where, line, f"unknown citation style '{name}': the bundled styles are "
                                           f"{', '.join(BUNDLED_STYLES)}; {hint}", code="csl-unknown")
            return None
        data = (CSL_DIR / f"{name}.csl").read_bytes()
        return Style(name, data, bool(_NOTE_CLASS.search(data[:4000])))
    try:
        _, data = _read_inside_book(name, where, policy)
    except Refused as refused:
        diagnostics.add(refused.about(f"citation style '{name}'").at(where, line))
        return None
    if b"<style" not in data[:4000]:
        diagnostics.error(where, line, f"citation style '{name}' is not a CSL style (no <style> element): "
                                       "use a .csl file from https://github.com/citation-style-language/styles", code="csl-invalid")
        return None
    if b"independent-parent" in data:
        # pandoc would fetch the parent style from its URL, even with --sandbox: nothing is loaded from the network
        diagnostics.error(where, line, f"citation style '{name}' is a dependent style, which names its parent by URL: "
                                       "use the parent style's .csl file (its <link rel=\"independent-parent\">)", code="csl-dependent")
        return None
    return Style(Path(name).stem, data, bool(_NOTE_CLASS.search(data[:4000])))


def _read_inside_book(name: str, where: Path, policy: ResourcePolicy) -> tuple[Path, bytes]:
    """A style or bibliography the book names, read through the policy: only a file inside the book,
    since pandoc is given nothing else."""
    resolved = policy.resolve(name, where)
    if not isinstance(resolved, Local) or not resolved.path.is_relative_to(policy.book_root):
        raise Refused("is not a file inside the book: copy it into the book", code="bibliography-outside-book")
    return resolved.path, policy.read(resolved, MAX_BIBLIOGRAPHY_BYTES)


def load_bibliography(values: list[str], where: Path, line: int | None, style: Style, lang: str,
                      policy: ResourcePolicy, diagnostics: Diagnostics) -> Bibliography:
    """Read and check each file named by `bibliography:` (paths relative to `where`, the file naming them)."""
    bibliography = Bibliography(entries={}, files=[], style=style, lang=lang)
    for value in values:
        try:
            path, data = _read_inside_book(value, where, policy)
        except Refused as refused:
            diagnostics.add(refused.about(f"bibliography '{value}'").at(where, line))
            bibliography.incomplete = True
            continue
        if path.suffix.lower() not in (".json", ".bib", ".bibtex"):
            diagnostics.error(where, line, f"bibliography '{value}' is neither CSL-JSON (.json) nor BibTeX/BibLaTeX "
                                           "(.bib): export it from your reference manager in one of those", code="bibliography-format-unknown")
            continue
        file = read_file(path, data, diagnostics)
        if file is None:
            bibliography.incomplete = True
            continue
        bibliography.files.append(file)
        for entry in file.entries:
            bibliography.entries.setdefault(entry.key, entry)
    report_duplicates(bibliography.files, diagnostics)
    return bibliography


def check_citations(slots: list[Slot], nocite: list[str], bibliography: Bibliography | None,
                    diagnostics: Diagnostics, nocite_at: tuple = (None, None)) -> list[str]:
    """Report unknown keys (with the nearest) and cited entries without a title; return the keys cited."""
    cited: list[str] = []
    tokens = [t for slot in slots for t in ([slot.token] if slot.token else slot.in_note)]
    for token in tokens:
        path, line = token.meta.get("where", (None, None))
        if any(_INDEX_MARK.search(item.prefix + " " + item.suffix) for item in token.meta["items"]):
            # pandoc's citeproc returns a citation's prefix and suffix as its own text: a mark there would index nothing
            diagnostics.warning(path, line, f"'{token.content}' has an index mark inside a citation, which is not "
                                            "indexed: put the mark outside the brackets", code="citation-index-mark")
        if report_markup(token, path, line, diagnostics):
            continue
        for item in token.meta["items"]:
            if token.meta.get("mixed") and item.is_crossref:
                diagnostics.error(path, line, f"'{token.content}' mixes a cross-reference with citations: "
                                              "write them in separate brackets", code="citation-mixed-crossref")
                continue
            if bibliography is None:
                diagnostics.warning(path, line, f"'{token.content}' is a citation, but the book names no bibliography, so "
                                                "it is kept as text: name one with 'bibliography: refs.json' (or .bib), "
                                                "or write \\@ for a plain @", code="citation-without-bibliography")
                continue
            if item.key not in bibliography.entries:
                if bibliography.incomplete:
                    continue
                close = difflib.get_close_matches(item.key, list(bibliography.entries), n=3)
                hint = f"did you mean {', '.join('@' + c for c in close)}?" if close else "check the key in the bibliography"
                diagnostics.error(path, line, f"unknown citation key @{item.key}: {hint}", code="citation-unknown")
                continue
            if item.key not in cited:
                cited.append(item.key)
    for key in nocite:
        if bibliography is not None and key != "*" and key not in bibliography.entries:
            close = difflib.get_close_matches(key, list(bibliography.entries), n=3)
            hint = f": did you mean {', '.join('@' + c for c in close)}?" if close else ""
            diagnostics.error(*nocite_at, f"nocite names @{key}, which is not in the bibliography{hint}", code="nocite-unknown")
    if bibliography is not None:
        for key in cited:
            entry = bibliography.entries[key]
            if "title" not in entry.fields:
                diagnostics.warning(entry.source, entry.line,
                                    f"the entry '{key}' has no title, which every style needs: add one", code="bibliography-entry-unused")
    return cited


@dataclass
class Resolved:
    """What pandoc made of each slot, in order, and the bibliography entries."""

    text_html: list[str]  # per slot: what stands in the text (author-date citation, in-text author); "" if none
    note_html: list[str]  # per slot: the note a citation becomes (note styles), or "" if none
    in_note_html: list[list[str]]  # per slot: each citation inside an author's note
    entries_html: list[tuple[str, str]]  # (key, XHTML) in the style's order


def pandoc_available() -> bool:
    return shutil.which("pandoc") is not None


def resolve(slots: list[Slot], nocite: list[str], bibliography: Bibliography) -> Resolved:
    """Run pandoc's citeproc on the citations; raise CiteprocError when it cannot."""
    lines = ["---", f"lang: {json.dumps(bibliography.lang)}"]
    if nocite:
        lines.append("nocite: " + json.dumps(", ".join("@" + k for k in nocite)))
    lines += ["...", ""]
    for slot in slots:
        if slot.token is not None:
            lines.append("x " + one_paragraph(slot.token.content))
        else:
            # Text around each, as in the author's note: pandoc sets a lone citation in a note as a sentence.
            inner = " | ".join(f"x {one_paragraph(t.content)} x" for t in slot.in_note) or "x"
            lines.append(f"x^[{inner}]")
        lines.append("")
    lines += ["::: {#refs}", ":::", ""]
    document = "\n".join(lines)
    cited = {item.key for slot in slots for t in ([slot.token] if slot.token else slot.in_note) for item in t.meta["items"]
             if not item.is_crossref}
    files = cited_files(bibliography.files, None if "*" in nocite else cited | set(nocite))
    # The same citations, data, style and pandoc give the same result: rebuilds and `watch` skip the run.
    pandoc = shutil.which("pandoc") or "pandoc"
    key = b"\0".join([document.encode(), bibliography.style.data, *(d for _, d in files),
                      f"{pandoc}:{os.stat(pandoc).st_mtime_ns if os.path.exists(pandoc) else 0}".encode()])
    output = cached_bytes("citeproc", key, lambda: _run_pandoc(document, bibliography.style, files))
    try:
        parsed = json.loads(output)
    except ValueError:  # a damaged cache file: run again
        parsed = json.loads(_run_pandoc(document, bibliography.style, files))
    except RecursionError as exc:
        raise CiteprocError("pandoc's result is nested too deeply") from exc
    try:
        return _map_back(parsed, slots, bibliography.lang)
    except RecursionError as exc:  # markup nested hundreds deep in a citation's prefix or an entry
        raise CiteprocError("a citation or entry is nested too deeply") from exc


def _run_pandoc(document: str, style: Style, files: list[tuple[str, bytes]]) -> bytes:
    import subprocess  # a book without citations starts no process

    with tempfile.TemporaryDirectory(prefix="bookmaker-cite-") as tmp:
        folder = Path(tmp)
        args = ["pandoc", "--sandbox", "-f", "markdown", "-t", "json", "--citeproc", "--csl", "style.csl"]
        (folder / "style.csl").write_bytes(style.data)
        for n, (suffix, data) in enumerate(files):
            name = f"bibliography-{n}{suffix}"
            (folder / name).write_bytes(data)
            args += ["--bibliography", name]
        try:
            run = subprocess.run(args, input=document.encode(), cwd=folder, capture_output=True,
                                 timeout=PANDOC_SECONDS, check=False, preexec_fn=_limit_memory)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise CiteprocError(f"pandoc could not format the citations: {exc}") from exc
    if run.returncode != 0:
        message = run.stderr.decode(errors="replace").strip().splitlines()
        raise CiteprocError("pandoc could not format the citations: " + (message[-1] if message else "it failed"))
    return run.stdout


def _limit_memory() -> None:
    """In pandoc's process, before it starts: a ceiling on its memory (its time is bounded by the timeout)."""
    resource.setrlimit(resource.RLIMIT_AS, (PANDOC_MEMORY_BYTES, PANDOC_MEMORY_BYTES))


_PUNCTUATION = re.compile(r"^[.,;:!?]+")


def place_note_references(children: list[Token]) -> None:
    """As pandoc does for a note style: no space before the note's number, which follows the punctuation
    (`existed [@a].` is set "existed.¹")."""
    for i, child in enumerate(children):
        if child.type != "citation" or "note_id" not in child.meta or child.meta.get("mode") == "in-text":
            continue
        before = children[i - 1] if i > 0 else None
        if before is not None and before.type == "softbreak":  # the line break before the citation goes too
            before.type, before.tag, before.content = "text", "", ""
        if before is not None and before.type == "text":
            before.content = before.content.rstrip(" ")
        after = children[i + 1] if i + 1 < len(children) else None
        if after is not None and after.type == "text" and (match := _PUNCTUATION.match(after.content)):
            after.content = after.content[match.end():]
            if before is not None and before.type == "text":
                before.content += match.group()
            else:
                children.insert(i, Token("text", "", 0, content=match.group()))


def _map_back(doc: dict[str, Any], slots: list[Slot], lang: str) -> Resolved:
    blocks = doc["blocks"]
    writer = _Inlines(lang)
    resolved = Resolved([], [], [], [])
    paragraphs = [b for b in blocks if b["t"] == "Para"]
    check_paragraphs(paragraphs, slots)
    for slot, para in zip(slots, paragraphs):
        cites = list(_find(para["c"], "Cite"))
        if slot.token is not None:
            content = cites[0]["c"][1] if cites else []
            notes = [i for i in content if i["t"] == "Note"]
            resolved.text_html.append(writer.inlines([i for i in content if i["t"] != "Note"]).strip())
            resolved.note_html.append(writer.blocks(notes[0]["c"]) if notes else "")
            resolved.in_note_html.append([])
        else:
            resolved.text_html.append("")
            resolved.note_html.append("")
            resolved.in_note_html.append([writer.inlines(c["c"][1]).strip() for c in cites])
    for block in blocks:
        if block["t"] == "Div" and block["c"][0][0] == "refs":
            for entry in block["c"][1]:
                if entry["t"] == "Div":
                    key = entry["c"][0][0].removeprefix("ref-")
                    resolved.entries_html.append((key, writer.blocks(entry["c"][1])))
    return resolved


def _find(inlines: list[dict], kind: str):
    for item in inlines:
        if item["t"] == kind:
            yield item
            continue
        content = item.get("c")
        if item["t"] == "Note":
            for block in content:
                if block["t"] in ("Para", "Plain"):
                    yield from _find(block["c"], kind)
        elif isinstance(content, list) and content and isinstance(content[-1], list):
            yield from _find([c for c in content[-1] if isinstance(c, dict)], kind)


class _Inlines:
    """Pandoc's JSON inlines -> XHTML, for the closed set citeproc produces; anything else is dropped."""

    TAGS = {"Emph": "em", "Strong": "strong", "Superscript": "sup", "Subscript": "sub", "Strikeout": "del"}

    def __init__(self, lang: str) -> None:
        from bookmaker.core.lang import QUOTES

        quotes = QUOTES.get(lang.split("-")[0].lower(), QUOTES["en"])
        half = len(quotes) // 2
        self.double = (quotes[: half // 2], quotes[half // 2 : half])
        self.single = (quotes[half : half + half // 2], quotes[half + half // 2 :])

    def blocks(self, blocks: list[dict]) -> str:
        return " ".join(self.inlines(b["c"]) for b in blocks if b["t"] in ("Para", "Plain")).strip()

    def inlines(self, inlines: list[dict]) -> str:
        return "".join(self.inline(i) for i in inlines)

    def inline(self, item: dict) -> str:
        kind, content = item["t"], item.get("c")
        if kind == "Str":  # without what XML cannot hold, whatever pandoc made of the entry
            return html.escape(without_invalid_characters(content), quote=False)
        if kind in ("Space", "SoftBreak"):
            return " "
        if kind in self.TAGS:
            tag = self.TAGS[kind]
            return f"<{tag}>{self.inlines(content)}</{tag}>"
        if kind == "SmallCaps":
            return f'<span class="smallcaps">{self.inlines(content)}</span>'
        if kind == "Underline":
            return f'<span class="underline">{self.inlines(content)}</span>'
        if kind == "Quoted":
            open_, close = self.double if content[0]["t"] == "DoubleQuote" else self.single
            return f"{open_}{self.inlines(content[1])}{close}"
        if kind in ("Span", "Cite"):
            return self.inlines(content[1] if kind == "Span" else content[1])
        if kind == "Code":
            return f"<code>{html.escape(content[1], quote=False)}</code>"
        if kind == "Link":
            text, url = self.inlines(content[1]), content[2][0]
            if _HTTP.match(url):
                return f'<a href="{html.escape(url)}">{text}</a>'
            return text
        return ""  # notes are taken apart by the caller; raw markup, images and math are not citeproc's


def bibliography_html(entries: list[tuple[str, str]], title: str | None, section_id: str,
                      claim_id: Callable[[str], str], label: str = "Bibliography") -> str:
    """The bibliography as one section; `title` None where the author's own heading stands above `::: {#refs}`.
    Entry ids (`bib-` and the key) come from `claim_id`, the book's one allocator: `## Bib x` is `bib-x` too."""
    heading = f'<h2 class="bibliography-title" id="{section_id}-title">{html.escape(title)}</h2>\n' if title else ""
    labelled = f' aria-labelledby="{section_id}-title"' if title else f' aria-label="{html.escape(label)}"'
    # The entries carry no role: DPUB-ARIA 1.1 deprecates doc-biblioentry and EPUBCheck warns of it.
    items = "".join(f'<li class="csl-entry" id="{html.escape(claim_id("bib-" + as_id(key)))}">{body}</li>\n'
                    for key, body in entries)
    return (f'<section class="bibliography" id="{section_id}" role="doc-bibliography"{labelled}>\n{heading}'
            f'<ul class="csl-bib-body">\n{items}</ul>\n</section>\n')
