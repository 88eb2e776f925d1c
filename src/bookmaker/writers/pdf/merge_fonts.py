"""One font dictionary and one subset of each face for a merged book (merge.py), as one document has:
the parts leave their faces unsubset, each with dictionaries of its own."""

from __future__ import annotations

import re
from pathlib import Path


_BFCHAR = re.compile(rb"(\d+) beginbfchar\s*(.*?)endbfchar", re.S)
_PAIR = re.compile(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>")


def share_font_dicts(book) -> None:
    """One font dictionary per face for the whole book, as one document has: the widths (W) and
    Unicode maps (ToUnicode) of the parts' dictionaries of a face joined into one, which all pages
    then name. A face whose dictionaries disagree on a glyph keeps one dictionary per part."""
    import pikepdf

    faces: dict[str, dict] = {}  # face -> its dictionaries, by object
    resources = {}
    for page in book.pages:
        own = page.obj.get("/Resources")
        if own is None or "/Font" not in own:
            continue
        resources.setdefault(own.objgen, own)
        for font in own.Font.values():
            if font.get("/Subtype") == "/Type0" and "/ToUnicode" in font:
                group = faces.setdefault(str(font.BaseFont), {})
                group.setdefault(font.objgen, font)
    chosen = {}
    for name, group in faces.items():
        fonts = list(group.values())
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


def subset_faces(book, laid: list, font_dir: Path) -> None:
    """Each face the parts left unsubset, subset once for the glyphs of all parts and shared by them."""
    import pikepdf

    faces: dict[str, dict] = {}
    for part in laid:
        join_faces(faces, part.fonts)
    streams = {}
    for obj in font_descriptors(book):
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


def font_descriptors(pdf) -> list:
    """The descriptor of every font the pages use, through their resources and those of the forms, patterns
    and Type 3 glyphs drawn on them (looking at each of a book's hundred thousand objects took a tenth of
    its merge)."""
    import pikepdf

    found: dict[tuple[int, int], pikepdf.Dictionary] = {}
    seen: set = set()
    stack = [page.obj.get("/Resources") for page in pdf.pages]
    while stack:
        resources = stack.pop()
        if not isinstance(resources, pikepdf.Dictionary) or (resources.is_indirect and resources.objgen in seen):
            continue
        if resources.is_indirect:
            seen.add(resources.objgen)
        for key in ("/XObject", "/Pattern", "/Font"):
            group = resources.get(key)
            for item in group.values() if isinstance(group, pikepdf.Dictionary) else ():
                if isinstance(item, (pikepdf.Dictionary, pikepdf.Stream)):
                    stack.append(item.get("/Resources"))
                    fonts = item.get("/DescendantFonts")
                    for font in [item, *(fonts if isinstance(fonts, pikepdf.Array) else ())]:
                        descriptor = font.get("/FontDescriptor") if key == "/Font" else None
                        if isinstance(descriptor, pikepdf.Dictionary):
                            found.setdefault(descriptor.objgen, descriptor)
    return list(found.values())


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

