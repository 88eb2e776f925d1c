"""The parts of a book laid out apart (pdf_parts.py) merged into one PDF.

The pages of each part (or piece of a chain of notes) without its pad page
and its probe's pages; named destinations, each from the part that holds its
id; the outline rebuilt from WeasyPrint's own bookmark levels; one font
dictionary and one subset of each face for the whole book, as one document
has (the parts leave their faces unsubset).
"""

from __future__ import annotations

import io
import re
import warnings
from pathlib import Path


def merge(laid: list, parts: list, font_dir: str, rtl: bool = False) -> bytes:
    """One PDF of the parts' pages (pdf_parts.Laid, in book order, with their pdf_parts.Part), with the
    book's destinations, outline, structure tree (structure.py; each part's links were described by its
    worker) and one subset of each face; `rtl`: a right-to-left book's reading order."""
    import pikepdf

    # (PDF, pages to take after its pad page, bookmarks, ids it holds): a part, or a piece of a chain.
    segments = [(laid[0].pdf, laid[0].pages, laid[0].bookmarks, parts[0].owned)]
    for part, meta in zip(parts[1:], laid[1:]):
        own = meta.pages - sum(pages for _, pages, _ in meta.more)
        segments += [(meta.pdf, own, meta.bookmarks, part.owned)]
        segments += [(pdf, pages, bookmarks, part.owned) for pdf, pages, bookmarks in meta.more]
    book = _opened(laid[0].pdf)
    sources = [book]
    first_page = [0]
    for pdf, pages, _, _ in segments[1:]:
        source = _opened(pdf)
        sources.append(source)
        first_page.append(len(book.pages))
        with warnings.catch_warnings():
            # pikepdf warns that named destinations are not carried over: they are rebuilt below.
            warnings.simplefilter("ignore", pikepdf.PageCopyWarning if hasattr(pikepdf, "PageCopyWarning") else Warning)
            book.pages.extend(source.pages[1: 1 + pages])  # not its pad page, nor its probe's pages
    # Destinations: each id from the part that holds it.
    destinations = pikepdf.NameTree.new(book)
    outline_items = []
    for index, (source, (_, pages, bookmarks, owned)) in enumerate(zip(sources, segments)):
        skip = 1 if index else 0
        position = {page.objgen: n for n, page in enumerate(source.pages)}
        names = source.Root.get("/Names")
        if names is not None and "/Dests" in names:
            for name, dest in pikepdf.NameTree(names.Dests).items():
                if name not in owned:
                    continue
                local = position.get(dest[0].objgen)
                if local is None or not skip <= local < skip + pages:
                    continue
                destinations[name] = pikepdf.Array(
                    [book.pages[first_page[index] + local - skip].obj, *list(dest)[1:]])
        flat = list(_flatten(source))
        if len(flat) != len(bookmarks):
            raise ValueError("a part's outline does not match its bookmarks")
        for (title, dest), (level, label, state) in zip(flat, bookmarks):
            local = position.get(dest[0].objgen)
            if local is None or not skip <= local < skip + pages:
                continue
            page = first_page[index] + local - skip
            outline_items.append((level, title, page, float(dest[2]), float(dest[3]), state))
    if "/Names" not in book.Root:
        book.Root.Names = pikepdf.Dictionary()
    book.Root.Names.Dests = destinations.obj
    if "/Outlines" in book.Root:
        del book.Root.Outlines
    _outline(book, outline_items)
    _structure(book, sources, [(min(i, 1), s[1], first_page[i]) for i, s in enumerate(segments)], rtl)
    _share_font_dicts(book)
    _subset_faces(book, laid, Path(font_dir))
    out = io.BytesIO()
    book.save(out, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return out.getvalue()


def _opened(data: bytes):
    """A part's PDF (its structure was prepared by its worker: parts/worker.py)."""
    import pikepdf

    return pikepdf.open(io.BytesIO(data))


def _structure(book, sources: list, taken: list[tuple[int, int, int]], rtl: bool) -> None:
    """The parts' structure trees as the book's one (structure.py), the viewer's preferences: the title
    shown, and a right-to-left book's spreads right to left, as it is bound
    (writer.py does the same for one document)."""
    import pikepdf

    from bookmaker.writers.pdf.structure import merge_structure
    from bookmaker.writers.pdf.tagging import titled

    merge_structure(book, sources, taken)
    if "/StructTreeRoot" in book.Root:
        titled(book)
    if rtl:
        if not isinstance(book.Root.get("/ViewerPreferences"), pikepdf.Dictionary):
            book.Root.ViewerPreferences = pikepdf.Dictionary()
        book.Root.ViewerPreferences.Direction = pikepdf.Name.R2L


def _flatten(pdf):
    outlines = pdf.Root.get("/Outlines")
    if outlines is None or "/First" not in outlines:
        return

    def walk(item):
        while item is not None:
            yield str(item.Title), item.Dest
            if "/First" in item:
                yield from walk(item.First)
            item = item.get("/Next")

    yield from walk(outlines.First)


def _outline(book, items) -> None:
    import pikepdf

    with book.open_outline() as outline:
        outline.root.clear()
        stack: list[tuple[int, list]] = [(-(10 ** 9), outline.root)]
        for level, title, page, left, top, state in items:
            item = pikepdf.OutlineItem(title, page, "XYZ", left=left, top=top, zoom=0)
            item.is_closed = state == "closed"
            while stack[-1][0] >= level:
                stack.pop()
            stack[-1][1].append(item)
            stack.append((level, item.children))


_BFCHAR = re.compile(rb"(\d+) beginbfchar\s*(.*?)endbfchar", re.S)
_PAIR = re.compile(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>")


def _share_font_dicts(book) -> None:
    """One font dictionary per face for the whole book, as one document has: the widths (W) and
    Unicode maps (ToUnicode) of the parts' dictionaries of a face joined into one, which all pages
    then name. A face whose dictionaries disagree on a glyph keeps one dictionary per part."""
    import pikepdf

    faces: dict[str, list] = {}
    resources = {}
    for page in book.pages:
        own = page.obj.get("/Resources")
        if own is None or "/Font" not in own:
            continue
        resources.setdefault(own.objgen, own)
        for font in own.Font.values():
            if font.get("/Subtype") == "/Type0" and "/ToUnicode" in font:
                group = faces.setdefault(str(font.BaseFont), [])
                if all(f.objgen != font.objgen for f in group):
                    group.append(font)
    chosen = {}
    for name, fonts in faces.items():
        if len(fonts) < 2:
            continue
        widths: dict[int, object] = {}
        unicode: dict[bytes, bytes] = {}
        agreed = True
        for font in fonts:
            w = list(font.DescendantFonts[0].get("/W", []))
            i = 0
            while i < len(w) and agreed:
                if isinstance(w[i + 1], pikepdf.Array):
                    found = {int(w[i]) + k: v for k, v in enumerate(w[i + 1])}
                    i += 2
                else:
                    found = {g: w[i + 2] for g in range(int(w[i]), int(w[i + 1]) + 1)}
                    i += 3
                for gid, width in found.items():
                    agreed = agreed and widths.setdefault(gid, width) == width
            cmap = font.ToUnicode.read_bytes()
            if b"beginbfrange" in cmap:
                agreed = False
            for _, block in _BFCHAR.findall(cmap):
                for gid, text in _PAIR.findall(block):
                    agreed = agreed and unicode.setdefault(gid.lower(), text) == text
            if not agreed:
                break
        if not agreed:
            continue
        first = fonts[0]
        runs: list = []
        for gid in sorted(widths):
            if runs and runs[-2] + len(runs[-1]) == gid:
                runs[-1].append(widths[gid])
            else:
                runs += [gid, [widths[gid]]]
        first.DescendantFonts[0].W = pikepdf.Array([x if isinstance(x, int) else pikepdf.Array(x) for x in runs])
        first.ToUnicode = book.make_indirect(pikepdf.Stream(book, joined_cmap(first.ToUnicode.read_bytes(), unicode)))
        chosen[name] = first
    for own in resources.values():
        for key, font in list(own.Font.items()):
            if font.get("/Subtype") == "/Type0" and str(font.get("/BaseFont")) in chosen:
                own.Font[key] = chosen[str(font.BaseFont)]


def joined_cmap(cmap: bytes, unicode: dict[bytes, bytes]) -> bytes:
    """`cmap` (a ToUnicode CMap of one part) with its bfchar blocks replaced by `unicode` (glyph id ->
    text, hex), in blocks of at most 100 entries (PDF 32000-1, 9.10.3), each on lines of its own."""
    head = cmap[: _BFCHAR.search(cmap).start()]
    tail = cmap[cmap.rindex(b"endbfchar") + len(b"endbfchar"):]
    pairs = sorted(unicode.items(), key=lambda item: int(item[0], 16))
    body = b"\n".join(
        b"%d beginbfchar\n" % len(chunk) + b"".join(b"<%s> <%s>\n" % pair for pair in chunk) + b"endbfchar"
        for chunk in (pairs[i:i + 100] for i in range(0, len(pairs), 100)))
    return head + body + tail


_DROPPED_TABLES = (b"BASE", b"DSIG", b"EBDT", b"EBLC", b"EBSC", b"GPOS", b"GSUB", b"JSTF", b"LTSH", b"PCLT", b"SVG ")


def join_faces(faces: dict[str, dict], fonts: dict[str, dict]) -> None:
    """Add one part's faces (font name -> its file's sha, glyph ids used, ...) to `faces`: each face
    then holds the glyphs of both."""
    for name, font in fonts.items():
        face = faces.setdefault(name, {**font, "gids": set(), "missing": False})
        if face["sha"] != font["sha"]:
            raise ValueError(f"two faces named {name}")
        face["gids"] = set(face["gids"]) | set(font["gids"])
        face["missing"] = face["missing"] or font["missing"]


def _subset_faces(book, laid: list, font_dir: Path) -> None:
    """Each face the parts left unsubset, subset once for the glyphs of all parts and shared by them."""
    import pikepdf

    faces: dict[str, dict] = {}
    for part in laid:
        join_faces(faces, part.fonts)
    streams = {}
    for obj in book.objects:
        if not isinstance(obj, pikepdf.Dictionary) or obj.get("/Type") != "/FontDescriptor":
            continue
        name = str(obj.get("/FontName", ""))[1:]
        face = faces.get(name)
        if face is None:
            continue
        if name not in streams:
            data = _subset(font_dir / face["sha"], face)
            stream = pikepdf.Stream(book, data)
            if face["otf"]:
                stream.Subtype = pikepdf.Name.OpenType
            else:
                stream.Length1 = len(data)
            streams[name] = book.make_indirect(stream)
        key = "/FontFile3" if face["otf"] else "/FontFile2"
        obj[key] = streams[name]


def _subset(path: Path, face: dict) -> bytes:
    """WeasyPrint's subsetting (pdf/fonts.py, Font._harfbuzz_subset) of the whole book's glyphs of one face."""
    import uharfbuzz as hb

    original = hb.Face(hb.Blob.from_file_path(str(path)), face["index"])
    gids = sorted(face["gids"])
    first = hb.SubsetInput()
    first.glyph_set.update(gids)
    flags = hb.SubsetFlags.RETAIN_GIDS | hb.SubsetFlags.PASSTHROUGH_UNRECOGNIZED | hb.SubsetFlags.DESUBROUTINIZE
    if face["missing"]:
        flags |= hb.SubsetFlags.NOTDEF_OUTLINE
    first.flags = flags
    first.drop_table_tag_set.update(int.from_bytes(tag, "big") for tag in _DROPPED_TABLES)
    try:
        retained = hb.subset(original, first)
    except RuntimeError:  # "Subsetting failed": a damaged table; WeasyPrint embeds such a face whole, and so here
        retained = None
    if retained is None:
        return path.read_bytes()
    second = hb.SubsetInput()
    second.glyph_set.update(range(max(gids) + 1))
    flags = hb.SubsetFlags.PASSTHROUGH_UNRECOGNIZED | hb.SubsetFlags.DESUBROUTINIZE | hb.SubsetFlags.NO_HINTING
    if face["missing"]:
        flags |= hb.SubsetFlags.NOTDEF_OUTLINE
    second.flags = flags
    try:
        trimmed = hb.subset(retained, second)
    except RuntimeError:
        trimmed = None
    return (trimmed or retained).blob.data

