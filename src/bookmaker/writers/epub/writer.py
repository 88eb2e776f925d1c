"""The EPUB 3: one XHTML file per chapter with its notes, a nav document, an NCX.

Chapters are rendered from the same templates as the HTML book; this layer
adds only what e-readers need: files per chapter, links across them,
`epub:type` beside each DPUB-ARIA role, navigation and the package.
"""

from __future__ import annotations

import datetime
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from lxml import etree

from bookmaker.writers.covers import cover_alt, generate_cover
from bookmaker.writers.epub.store import screen_image, store_cover

# Stylesheets are packed apart; ICC profiles (@color-profile) are for print: EPUBCheck refuses them.
PRINT_ONLY = (".css", ".icc", ".icm")
from bookmaker.core.diagnostics import Diagnostics
from bookmaker.core.lang import can_be_vertical
from bookmaker.writers.font_stacks import LATIN, ScriptFace, faces_for, script_of
from bookmaker.writers.fonts import find_face, subset_font
from bookmaker.resolve.index import build_index, section_locators
from bookmaker.safety.images import without_doctype
from bookmaker.model import Block, Book, Box, Chapter
from bookmaker.core.output import atomic_output
from bookmaker.safety.policy import Refused, policy_for
from bookmaker.render.prose import RESOURCE_PREFIX
from bookmaker.core.reproducible import source_date
from bookmaker.config.settings import EpubOptions  # [epub] of bookmaker.toml
from bookmaker.safety.templating import render_template
from bookmaker.theme import environment, stylesheets
from bookmaker.writers.epub import package as epub_package
from bookmaker.writers.accessibility import epub_accessibility, page_source_of
from bookmaker.writers.epub.pagebreaks import PageBreak, place_page_breaks
from bookmaker.writers.epub.resources import book_relative, package_css, package_names
from bookmaker.writers.epub.screens import for_small_screens
from bookmaker.writers.print_pages import current_print_pages

XHTML_NS = "http://www.w3.org/1999/xhtml"
EPUB_NS = "http://www.idpf.org/2007/ops"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
STYLESHEET = "css/book.css"
TITLEPAGE = "titlepage.xhtml"
NAV = "nav.xhtml"
INDEX = "index.xhtml"
COVER_PAGE = "cover.xhtml"
GENERATED_COVER = "cover.png"

# Every epub:type we emit is derived from the DPUB-ARIA role beside it, so the
# two always agree (DAISY Ace checks that they do).
ROLE_TO_EPUB_TYPE = {
    "doc-noteref": "noteref",
    "doc-footnote": "footnote",
    "doc-endnotes": "endnotes",
    "doc-backlink": "backlink",
    "doc-toc": "toc",
    "doc-cover": "cover",
    "doc-bibliography": "bibliography",
    "doc-index": "index",
    "doc-pagebreak": "pagebreak",  # the print edition's page numbers (pagebreaks.py)
    "doc-pagelist": "page-list",
}


@dataclass
class TocEntry:
    label: str
    href: str
    level: int
    children: list[TocEntry] = field(default_factory=list)


@dataclass
class _Document:
    file_name: str
    title: str
    xhtml: bytes
    ids: set[str]


def write_epub(book: Book, target: Path, diagnostics: Diagnostics, options: EpubOptions = EpubOptions(),
               info: Callable[[str], None] | None = None) -> None:
    """Write the EPUB; `info` is told, in one line, why it has no print page numbers when it has none."""
    modified = _build_time()
    env = environment(book.templates, policy_for(book))
    common = _page_context(book)
    try:
        cover_source, cover_data = _cover(book)
    except Refused as refused:
        raise refused.as_book_error("cover", diagnostics) from None
    fonts_and_images = [name for name in book.style_resources if not name.endswith(PRINT_ONLY)]
    reserved = {NAV, TITLEPAGE, COVER_PAGE, STYLESHEET, "toc.ncx", "content.opf",
                *(_file_of(chapter) for chapter in book.chapters), *(face.file_name for face in faces_for(book.metadata.lang) if face.file_name)}
    names = package_names([cover_source, *(image.src for image in book.images), *fonts_and_images], reserved)
    cover_name = names[cover_source]
    docs = [
        _Document(COVER_PAGE, book.terms["cover"],
                  render_template(env, "epub/cover.xhtml", page_title=book.metadata.title, cover=cover_name,
                                  alt=cover_alt(book.metadata, book.terms), **common).encode(), set()),
        _Document(TITLEPAGE, book.metadata.title,
                  render_template(env, "epub/titlepage.xhtml", page_title=book.metadata.title,
                                  **common).encode(), set())
    ]
    for chapter in book.chapters:
        html = render_template(
            env, "epub/chapter.xhtml",
            chapter=chapter,
            blocks=_reading_order(chapter.blocks),
            notes=book.notes_of(chapter),
            page_title=chapter.title or book.metadata.title,
            **common,
        )
        docs.append(_Document(_file_of(chapter), chapter.title or book.metadata.title, html.encode(), set()))
    index_groups = build_index(book.index_marks, book.index_ids)
    if index_groups:
        # An EPUB has no pages: each locator names the section it leads to (index.section_locators says why).
        html = render_template(env, "epub/index.xhtml", page_title=book.terms["index"], index_groups=index_groups,
                               locators=lambda entry: section_locators(entry, book.terms["range-end"]),
                               epub=True, **common)
        docs.append(_Document(INDEX, book.terms["index"], html.encode(), set()))

    trees = {doc.file_name: _parse(doc, names) for doc in docs}
    where = {i: doc.file_name for doc in docs for i in doc.ids}
    for doc in docs:
        _link_across_files(trees[doc.file_name], doc.file_name, where)
        _add_epub_types(trees[doc.file_name])
        for_small_screens(trees[doc.file_name], book.terms["table"])
    page_list, page_source = _page_list(book, docs, trees, info)
    _finish_documents(docs, trees, options.kepub)

    toc = _toc(book)
    landmarks = _landmarks(book)
    if index_groups:
        toc.append(TocEntry(book.terms["index"], f"{INDEX}#index", 1))
        landmarks.append({"type": "index", "href": f"{INDEX}#index", "label": book.terms["index"]})
    nav = render_template(
        env, "epub/nav.xhtml",
        page_title=book.metadata.title, toc=toc, landmarks=landmarks, page_list=page_list,
        **{**common, "stylesheets": [STYLESHEET]}
    )
    policy = policy_for(book)
    try:
        css = package_css(stylesheets(book, "epub"), book.root, policy, names, STYLESHEET)
        images = [(names[image.src], _packaged_image(book, image, policy))
                  for image in book.images if image.src != cover_source]
        images += [(names[name], policy.read_local(book.root / name)) for name in fonts_and_images
                   if name != cover_source and name not in {image.src for image in book.images}]
    except Refused as refused:
        raise refused.as_book_error("resource", diagnostics) from None
    fonts = _embedded_fonts(list(trees.values()), book.metadata.lang, diagnostics) if options.embed_fonts else []
    css = "".join(_font_face(f) for f, _ in fonts) + css + (vertical := _vertical_css(book, options, diagnostics))

    package = epub_package.Package(
        identifier=book.metadata.identifier or _derived_identifier(book),
        metadata=book.metadata,
        modified=modified,
        accessibility=epub_accessibility(book, page_source, has_index=bool(index_groups)),
        vertical=bool(vertical),
    )
    for doc in docs:
        package.add_document(doc.file_name, doc.xhtml, title=doc.title)
        if doc.file_name == TITLEPAGE:
            # The contents page where a printed book has it. Non-linear, calibre
            # listed it after the last chapter, behind the notes.
            package.add_document(NAV, nav.encode(), title=book.terms["contents"], nav=True)
    package.add_stylesheet(STYLESHEET, css.encode())
    for name, data in images:
        package.add_resource(name, screen_image(name, data))  # 8-bit RGB for the stores (store.py)
    package.add_image(cover_name, store_cover(book, cover_name, cover_data, diagnostics), cover=True)
    for face, data in fonts:
        package.add_font(face.file_name, data)
    package.set_toc(toc)
    with atomic_output(target) as out:
        package.write(out)


def _finish_documents(docs: list[_Document], trees: dict[str, etree._ElementTree], kepub: bool) -> None:
    for doc in docs:
        if kepub:
            from bookmaker.writers.epub.kepub import koboize

            koboize(trees[doc.file_name].getroot())
        doc.xhtml = _serialize(trees[doc.file_name])


def _page_list(book: Book, docs: list[_Document], trees: dict[str, etree._ElementTree],
               info: Callable[[str], None] | None) -> tuple[list[PageBreak], str | None]:
    """Markers of the print edition's pages (epub/pagebreaks.py) when its page record is current."""
    pages, why = current_print_pages(book)
    if pages is None:
        if info is not None:
            info(f"the EPUB has no print page numbers: {why}")
        return [], None
    order = [doc.file_name for doc in docs if doc.file_name != COVER_PAGE]
    taken = {i for doc in docs for i in doc.ids}
    breaks = place_page_breaks(trees, order, pages.labels, pages.starts, taken)
    return breaks, page_source_of(book, pages.paper) if breaks else None


VERTICAL_CSS = ("\n/* [epub] vertical: columns top to bottom, right to left (the spine's pages turn so too). */\n"
                "html { -epub-writing-mode: vertical-rl; -webkit-writing-mode: vertical-rl;"
                " writing-mode: vertical-rl; }\n")


def _vertical_css(book: Book, options: EpubOptions, diagnostics: Diagnostics) -> str:
    """The style sheet's rule for `[epub] vertical`, for a book in Japanese or Traditional Chinese."""
    if not options.vertical:
        return ""
    if not can_be_vertical(book.metadata.lang):
        diagnostics.warning(book.root / "bookmaker.toml", None,
                            f"[epub] vertical is for Japanese and Traditional Chinese (ja, zh-Hant); this book is "
                            f"in '{book.metadata.lang}', so its EPUB is set horizontally", code="epub-vertical-language")
        return ""
    return VERTICAL_CSS


def _cover(book: Book) -> tuple[str, bytes]:
    """The front matter's cover image, else one set in type from title and authors."""
    if book.metadata.cover:
        return book.metadata.cover, policy_for(book).read_local(book.root / book.metadata.cover)
    taken = {image.src for image in book.images} | set(book.style_resources)
    name = GENERATED_COVER if GENERATED_COVER not in taken else "bookmaker-" + GENERATED_COVER
    return name, generate_cover(book.metadata, book.terms["and"])


def _page_context(book: Book) -> dict:
    """What every page of the EPUB is rendered with: the metadata, the direction, the stylesheet, and
    the book's words and digits (core/terms.py, core/digits.py)."""
    return {"meta": book.metadata, "rtl": book.metadata.rtl, "stylesheets": [STYLESHEET],
            "terms": book.terms, "digits": book.digits}


def _embedded_fonts(trees: list[etree._ElementTree], lang: str,
                    diagnostics: Diagnostics) -> list[tuple[ScriptFace, bytes]]:
    """A subset of each face of another script than Latin (a reader brings its own Latin faces) that
    the book's text needs, for the characters it sets in that face (font_stacks.py, scripts.css).
    The book's own script's face also gets the digits and punctuation its text shares with others."""
    text = "".join("".join(tree.getroot().itertext()) for tree in trees)
    by_script: dict[str, set[str]] = {}
    for char in set(text):
        code = script_of(char)
        if code is not None:
            by_script.setdefault(code, set()).add(char)
    if not by_script:
        return []  # a Latin book: nothing to embed, and no font library loaded
    fonts = []
    shared = {c for c in set(text) if script_of(c) is None}
    own = faces_for(lang)[0]
    for face in faces_for(lang):
        wanted = set().union(*(by_script.get(code, set()) for code in face.codes))
        if face is LATIN or not wanted:
            continue
        if face is own:
            wanted |= shared
        found = find_face(face.family)
        if found is None:
            diagnostics.warning("bookmaker", None, f"font '{face.family}' is not installed, so the EPUB does not "
                                               f"embed it: install {face.package} (`make book` does) or pass "
                                               "--no-embed-fonts", code="font-not-installed")
            continue
        fonts.append((face, subset_font(found[0], "".join(sorted(wanted)), found[1])))
    return fonts


def _font_face(face: ScriptFace) -> str:
    href = Path(os.path.relpath(face.file_name, Path(STYLESHEET).parent)).as_posix()
    return f'@font-face {{ font-family: "{face.family}"; font-style: normal; font-weight: normal; src: url("{href}"); }}\n'


def _file_of(chapter: Chapter) -> str:
    return f"{chapter.id}.xhtml"


def _packaged_image(book: Book, image, policy) -> bytes:
    """An image's bytes for the EPUB: an SVG without its DOCTYPE, which an EPUB may not name."""
    data = image.data if image.data is not None else policy.read_local(book.root / image.src)
    return without_doctype(data) if image.src.lower().endswith(".svg") else data


def _reading_order(blocks: list[Block]) -> list[Block]:
    """An infobox followed by the lead paragraph swaps with it: on e-readers the
    lead should come first, and the box follows in the flow instead of floating."""
    out = list(blocks)
    i = 0
    while i < len(out) - 1:
        block, following = out[i], out[i + 1]
        if isinstance(block, Box) and block.kind == "infobox" and getattr(following, "is_paragraph", False):
            out[i], out[i + 1] = following, block
            i += 1  # the box moves past one paragraph only
        i += 1
    return out


def _parse(doc: _Document, names: dict[str, str]) -> etree._ElementTree:
    tree = etree.ElementTree(etree.fromstring(doc.xhtml, etree.XMLParser(resolve_entities=False, no_network=True)))
    for el in tree.iter():
        if not isinstance(el.tag, str):
            continue
        for attribute, value in el.attrib.items():
            if value.startswith(RESOURCE_PREFIX):  # the book's file -> its name in the package
                source = book_relative(value[len(RESOURCE_PREFIX):])
                el.set(attribute, names.get(source, source))
    doc.ids = {el.get("id") for el in tree.iter() if el.get("id")}
    return tree


def _link_across_files(tree: etree._ElementTree, file_name: str, where: dict[str, str]) -> None:
    """`#id` links whose target went into another chapter file get that file's name; a link to an id
    that is nowhere (the reader warned about it) is left out, as it would be an error in an EPUB."""
    for a in tree.iter(f"{{{XHTML_NS}}}a"):
        href = a.get("href", "")
        if href.startswith("#"):
            target = where.get(unquote(href[1:]), NAV if href == "#toc" else None)
            if target is None:
                del a.attrib["href"]
            elif target != file_name:
                a.set("href", f"{target}{href}")


def _add_epub_types(tree: etree._ElementTree) -> None:
    for el in tree.iter():
        role = el.get("role") if isinstance(el.tag, str) else None
        if role in ROLE_TO_EPUB_TYPE and el.get(f"{{{EPUB_NS}}}type") is None:
            el.set(f"{{{EPUB_NS}}}type", ROLE_TO_EPUB_TYPE[role])


def _serialize(tree: etree._ElementTree) -> bytes:
    body = etree.tostring(tree.getroot(), encoding="utf-8")
    return b'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n' + body + b"\n"


def _toc(book: Book) -> list[TocEntry]:
    """The table of contents nested by heading level, each chapter's notes last in it."""
    flat: list[TocEntry] = []
    for chapter in book.chapters:
        file_name = _file_of(chapter)
        for heading in chapter.headings:
            flat.append(TocEntry(heading.text, f"{file_name}#{heading.id}", heading.level))
        if book.notes_of(chapter):
            level = 2 if chapter.title else min((h.level for h in chapter.headings), default=2)
            flat.append(TocEntry("Notes", f"{file_name}#notes", level))
    roots: list[TocEntry] = []
    stack: list[TocEntry] = []
    for entry in flat:
        while stack and stack[-1].level >= entry.level:
            stack.pop()
        (stack[-1].children if stack else roots).append(entry)
        stack.append(entry)
    if not roots:
        roots.append(TocEntry(book.metadata.title, _file_of(book.chapters[0]), 1))
    return roots


def _landmarks(book: Book) -> list[dict[str, str]]:
    marks = [
        {"type": "cover", "href": COVER_PAGE, "label": book.terms["cover"]},
        {"type": "toc", "href": f"{NAV}#toc", "label": book.terms["contents"]},
        {"type": "titlepage", "href": TITLEPAGE, "label": book.terms["title-page"]},
        {"type": "bodymatter", "href": _file_of(book.chapters[0]), "label": book.terms["start-of-text"]},
    ]
    with_notes = next((c for c in book.chapters if book.notes_of(c)), None)
    if with_notes is not None:
        marks.append({"type": "endnotes", "href": f"{_file_of(with_notes)}#notes", "label": book.terms["notes"]})
    with_bibliography = next((c for c in book.chapters if c.holds_bibliography), None)
    if with_bibliography is not None:
        marks.append({"type": "bibliography", "href": f"{_file_of(with_bibliography)}#refs",
                      "label": book.terms["bibliography"]})
    return marks


def _build_time() -> datetime.datetime:
    """SOURCE_DATE_EPOCH when set, so that two builds of one book are identical."""
    return source_date() or datetime.datetime.now(tz=datetime.timezone.utc).replace(microsecond=0)


def _derived_identifier(book: Book) -> str:
    """A stable identifier from title and authors, for books that name none."""
    name = "\n".join([book.metadata.title, *book.metadata.authors])
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'bookmaker:' + name)}"
