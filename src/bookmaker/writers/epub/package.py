"""The EPUB container and package document, made with ebooklib.

Every workaround for ebooklib 0.20 lives here (see ../shared/notes/epub.md):
- content documents go in as generic items with our own finished XHTML bytes,
  because EpubHtml reparses them with a lenient HTML parser;
- our own nav document is a generic item with the `nav` property, because
  ebooklib's nav has visible landmarks and a page-list of every noteref;
- `epub3_pages` off, `raise_exceptions` on, a `uid` for every author;
- after writing, the archive is repacked: `xml:lang` added to <package>,
  entries in a fixed order with fixed timestamps, `mimetype` first and stored.
"""

from __future__ import annotations

import datetime
import io
import itertools
import zipfile
from pathlib import Path
from typing import BinaryIO

from ebooklib import epub
from lxml import etree

from bookmaker.model import Metadata
from bookmaker.writers.accessibility import Accessibility

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
FONT_TYPES = {".ttf": "font/ttf", ".otf": "font/otf", ".woff": "font/woff", ".woff2": "font/woff2"}
# The images a book may hold (images.IMAGE_TYPES): known here, so that no build reads the
# system's MIME tables (mimetypes.init) for them.
IMAGE_MEDIA_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
                     ".webp": "image/webp", ".svg": "image/svg+xml"}


class Package:
    def __init__(self, identifier: str, metadata: Metadata, modified: datetime.datetime, accessibility: Accessibility,
                 vertical: bool = False) -> None:
        self.modified = modified
        self.lang = metadata.lang
        self.book = epub.EpubBook()
        self.book.set_identifier(identifier)
        self.book.set_title(metadata.title)
        self.book.set_language(metadata.lang)
        if metadata.rtl or vertical:  # the spine's page-progression-direction: pages turn right to left
            self.book.set_direction("rtl")
        for i, author in enumerate(metadata.authors):
            self.book.add_author(author, uid=f"creator{i + 1}")
        if metadata.subtitle:
            self.book.add_metadata("DC", "title", metadata.subtitle, {"id": "subtitle"})
            self.book.add_metadata(None, "meta", "subtitle", {"refines": "#subtitle", "property": "title-type"})
        for key in ("description", "rights", "date"):
            value = getattr(metadata, key)
            if value:
                self.book.add_metadata("DC", key, value)
        for keyword in metadata.keywords:
            self.book.add_metadata("DC", "subject", keyword)
        self._accessibility(accessibility)
        self._spine: list[epub.EpubItem] = []

    def _accessibility(self, a11y: Accessibility) -> None:
        def meta(prop: str, value: str) -> None:
            self.book.add_metadata(None, "meta", value, {"property": prop})

        for mode in a11y.access_modes:
            meta("schema:accessMode", mode)
        meta("schema:accessModeSufficient", ",".join(a11y.sufficient))
        for feature in a11y.features:
            meta("schema:accessibilityFeature", feature)
        for hazard in a11y.hazards:
            meta("schema:accessibilityHazard", hazard)
        meta("schema:accessibilitySummary", a11y.summary)
        if a11y.page_source:
            meta("pageBreakSource", a11y.page_source)  # EPUB 3.3's own vocabulary (EPUBCheck 5.3, Ace)
        if a11y.conforms_to:
            # The claim DAISY Ace and reading systems look for; the markup is checked with Ace in the tests.
            meta("dcterms:conformsTo", a11y.conforms_to)

    def add_document(self, file_name: str, xhtml: bytes, title: str, nav: bool = False) -> None:
        """A content document, next in the reading order (the spine); `nav` for the navigation document."""
        uid = "nav" if nav else "doc-" + Path(file_name).stem
        item = epub.EpubItem(uid=uid, file_name=file_name, media_type="application/xhtml+xml", content=xhtml)
        item.properties = ["nav"] if nav else []
        if b"<math" in xhtml:
            item.properties.append("mathml")  # required of a document with MathML (OPF, EPUB 3.3)
        self.book.add_item(item)
        self._spine.append(item)

    def add_stylesheet(self, file_name: str, css: bytes) -> None:
        self.book.add_item(epub.EpubItem(uid="css-" + Path(file_name).stem, file_name=file_name,
                                         media_type="text/css", content=css))

    def add_image(self, file_name: str, data: bytes, cover: bool = False) -> None:
        media_type = IMAGE_MEDIA_TYPES.get(Path(file_name).suffix.lower())
        if media_type is None:
            import mimetypes

            media_type = mimetypes.guess_type(file_name)[0] or "application/octet-stream"
        uid = "img-" + "".join(c if c.isalnum() else "-" for c in file_name)
        item = epub.EpubItem(uid=uid, file_name=file_name, media_type=media_type, content=data)
        if cover:
            # ebooklib's own set_cover writes a cover page we do not want; the property
            # is for EPUB 3 readers, the <meta name="cover"> for EPUB 2 ones (and Kindle).
            item.properties = ["cover-image"]
            self.book.add_metadata(None, "meta", "", {"name": "cover", "content": uid})
        self.book.add_item(item)

    def add_resource(self, file_name: str, data: bytes) -> None:
        """An image, or a font a stylesheet names."""
        suffix = Path(file_name).suffix.lower()
        if suffix in FONT_TYPES:
            uid = "res-" + "".join(c if c.isalnum() else "-" for c in file_name)
            self.book.add_item(epub.EpubItem(uid=uid, file_name=file_name, media_type=FONT_TYPES[suffix], content=data))
        else:
            self.add_image(file_name, data)

    def add_font(self, file_name: str, data: bytes) -> None:
        uid = "font-" + "".join(c if c.isalnum() else "-" for c in Path(file_name).stem)
        media_type = FONT_TYPES.get(Path(file_name).suffix, "font/ttf")  # a CJK subset is CFF: font/otf
        self.book.add_item(epub.EpubItem(uid=uid, file_name=file_name, media_type=media_type, content=data))

    def set_toc(self, entries) -> None:
        """The NCX for older readers, from the same entries as the nav document."""

        counter = itertools.count(1)  # ids in reading order, the same in every build

        def convert(items):
            out = []
            for entry in items:
                uid = f"toc-{next(counter)}"
                if entry.children:
                    out.append((epub.Section(entry.label, href=entry.href), convert(entry.children)))
                else:
                    out.append(epub.Link(entry.href, entry.label, uid))
            return out

        self.book.toc = convert(entries)
        self.book.add_item(epub.EpubNcx())

    def write(self, target: BinaryIO) -> None:
        self.book.spine = list(self._spine)
        naive_utc = self.modified.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        # In memory, so that no second file exists beside the output to be left behind; not
        # compressed (level 0), as _repack compresses every entry once, for good.
        raw = io.BytesIO()
        epub.write_epub(
            raw, self.book, {"epub3_pages": False, "epub3_landmark": False, "epub2_guide": False,
                             "raise_exceptions": True, "mtime": naive_utc, "compresslevel": 0},
        )
        raw.seek(0)
        _repack(raw, target, naive_utc, self.lang)


def _cover_guide(root: etree._Element) -> None:
    """An EPUB 2 `<guide>` naming the cover page: without it calibre took the cover page for text and
    put a cover of its own before it, so its AZW3 showed the cover twice (EPUB 3 keeps `guide` as legacy)."""
    hrefs = {item.get("href") for item in root.iter(f"{{{OPF_NS}}}item")}
    if COVER_PAGE not in hrefs or root.find(f"{{{OPF_NS}}}guide") is not None:
        return
    guide = etree.SubElement(root, f"{{{OPF_NS}}}guide")
    etree.SubElement(guide, f"{{{OPF_NS}}}reference", type="cover", title="Cover", href=COVER_PAGE)


def _repack(source: BinaryIO, target: BinaryIO, when: datetime.datetime, lang: str) -> None:
    stamp = max(when, datetime.datetime(1980, 1, 1)).timetuple()[:6]
    with zipfile.ZipFile(source) as zin:
        names = zin.namelist()
        entries = {name: zin.read(name) for name in names}
    order = ["mimetype", "META-INF/container.xml"] + [n for n in names if n not in ("mimetype", "META-INF/container.xml")]
    with zipfile.ZipFile(target, "w") as zout:
        for name in order:
            data = entries[name]
            if name.endswith(".opf"):
                data = _fix_opf(data, lang)
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zout.writestr(info, data)


OPF_NS = "http://www.idpf.org/2007/opf"
COVER_PAGE = "cover.xhtml"


def _fix_opf(data: bytes, lang: str) -> bytes:
    root = etree.fromstring(data)
    root.set(XML_LANG, lang)
    _cover_guide(root)
    return etree.tostring(root, encoding="utf-8", xml_declaration=True, pretty_print=True)
