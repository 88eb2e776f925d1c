"""A PDF's pages, destinations, outline, structure tree, parent tree, ids and fonts in a form two PDFs can
be compared by: the merge that takes again only a warm process's changed parts (writers/pdf/merge.py)
must make the book a merge from scratch makes. Each object is named by where it stands: a page by its
number, a structure element by its place in a walk of the tree."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pikepdf


def merged_form(path: Path) -> dict:
    with pikepdf.open(path) as pdf:
        pages = {page.objgen: n for n, page in enumerate(pdf.pages)}
        root = pdf.Root.StructTreeRoot
        elements: list[list] = []
        order: dict = {}
        _walk(root.K[0] if isinstance(root.K, pikepdf.Array) else root.K, pages, elements, order)
        parents = _parent_tree(root, order)
        return {
            "pages": [_digest(_contents(page.obj)) for page in pdf.pages],
            "destinations": {name: [pages[dest[0].objgen], *map(str, list(dest)[1:])]
                             for name, dest in pikepdf.NameTree(pdf.Root.Names.Dests).items()},
            "outline": _outline(pdf, pages),
            "elements": elements,
            "page keys": [(int(page.obj.get("/StructParents", -1)), parents.get(int(page.obj.get("/StructParents", -1))))
                          for page in pdf.pages],
            "annotations": [[(str(a.get("/Contents", "")), parents.get(int(a.get("/StructParent", -1))), str(a.Rect))
                             for a in page.obj.get("/Annots", ())] for page in pdf.pages],
            "next key": int(root.ParentTreeNextKey),
            "ids": {str(name): order.get(element.objgen) for name, element in pikepdf.NameTree(root.IDTree).items()}
            if "/IDTree" in root else None,
            "fonts": [sorted(_font(key, font) for key, font in page.obj.Resources.Font.items()) for page in pdf.pages],
            "catalogue": sorted(str(key) for key in pdf.Root.keys()),  # noqa: SIM118 (a pikepdf Dictionary)
            "viewer": str(pdf.Root.get("/ViewerPreferences", "")),
        }


def _digest(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()[:12]


def _contents(page) -> bytes:
    contents = page.Contents
    return b"".join(c.read_bytes() for c in contents) if isinstance(contents, pikepdf.Array) else contents.read_bytes()


def _outline(pdf, pages: dict) -> list:
    def items(entries) -> list:
        return [(e.title, pages.get(e.destination[0].objgen), str(list(e.destination)[1:]), e.is_closed,
                 items(e.children)) for e in entries]

    with pdf.open_outline() as outline:
        return items(outline.root)


def _walk(element, pages: dict, elements: list, order: dict) -> None:
    order[element.objgen] = len(elements)
    record = [str(element.S), pages.get(element.Pg.objgen) if "/Pg" in element else None,
              str(element.get("/ID", "")), str(element.get("/A", "")), str(element.get("/Alt", ""))]
    elements.append(record)
    kids = element.get("/K")
    for kid in list(kids) if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []:
        if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
            record.append("element")
            _walk(kid, pages, elements, order)
        elif isinstance(kid, pikepdf.Dictionary):  # a marked-content or object reference
            record.append((str(kid.get("/Type")), pages.get(kid.Pg.objgen) if "/Pg" in kid else None,
                           int(kid.get("/MCID", -1))))
        else:
            record.append(int(kid))


def _parent_tree(root, order: dict) -> dict:
    nums = list(root.ParentTree.Nums)
    found = {}
    for key, value in zip(nums[::2], nums[1::2]):
        found[int(key)] = ([order.get(e.objgen) if isinstance(e, pikepdf.Dictionary) else None for e in value]
                           if isinstance(value, pikepdf.Array) else order.get(value.objgen))
    return found


def _font(key, font) -> tuple:
    if font.get("/Subtype") != "/Type0":
        return (str(key), str(font.get("/BaseFont")), "", "")
    descendant = font.DescendantFonts[0]
    descriptor = descendant.FontDescriptor
    program = descriptor.get("/FontFile3", descriptor.get("/FontFile2"))
    return (str(key), str(font.BaseFont), _digest(program.read_bytes()), str(descendant.get("/W")))
