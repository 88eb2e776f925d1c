"""The structure trees of a book's parts, laid out apart, merged into the book's one tree.

Each part is a tagged PDF of its own (WeasyPrint, writers/pdf/parts/): a /Document element whose
kids each stand on one page, a parent tree from each page's marked-content ids (MCIDs) and each
link annotation to its element. merge.py takes some pages of each part (not its pad page nor its
probe's pages); here the elements on those pages follow them into the book:
- the kids of each part's /Document that stand on a page taken, in book order, under the book's
  /Document (the others, on pages left out, are dropped with their pages);
- the parent tree made again: one key per page and per link annotation, numbered through the book
  (MCIDs are per page, so they stay as they are);
- the ids that header cells are named by (/ID, a TD's /Headers) were prefixed by each part's worker
  with the part's name, so that two parts' ids cannot meet, and listed in the part's own /IDTree; the
  book's /IDTree holds those of the elements it takes.
Page furniture was made artifacts in each part first (tagging.py), so no element left outside a
tree is copied: copying one would bring its whole part along (/P leads to its root).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pikepdf


@dataclass
class Taken:
    """What the book takes of one part's tree: its kids under /Document that stand on the pages taken, each
    page's elements by MCID, each link annotation's element, and the ids of its header cells, all as
    objects of the book."""

    kids: list
    pages: list[tuple[pikepdf.Object, list]]  # (page, its elements by MCID)
    links: list[tuple[pikepdf.Object, pikepdf.Object]]  # (annotation, its element)
    ids: dict[str, pikepdf.Dictionary]


def take_structure(book: pikepdf.Pdf, source: pikepdf.Pdf, start: int, pages: list, copy: bool) -> Taken | None:
    """The structure of `source`'s pages from `start` on, which are `pages` (page objects) in `book`; None
    when the part has no tree. `copy`: `source` is not `book` itself, its elements are copied."""
    root = source.Root.get("/StructTreeRoot")
    if root is None or _document(root) is None:
        return None
    wanted = {source.pages[start + n].objgen for n in range(len(pages))}
    kept = [kid for kid in _kids(_document(root)) if "/Pg" in kid and kid.Pg.objgen in wanted]
    entries = number_tree(root.get("/ParentTree"))
    found = _taken_ids(root, {kid.objgen for kid in kept})
    mappings: list[tuple[pikepdf.Object, object]] = []
    links: list[tuple[pikepdf.Object, object]] = []
    for n, in_book in enumerate(pages):
        page = source.pages[start + n].obj
        key = page.get("/StructParents")
        mapping = entries.get(int(key)) if key is not None else None
        if isinstance(mapping, pikepdf.Array):
            mappings.append((in_book, mapping))
        annotations = in_book.get("/Annots", ())
        for number, annotation in enumerate(page.get("/Annots", ())):
            key = annotation.get("/StructParent")
            element = entries.get(int(key)) if key is not None else None
            if isinstance(element, pikepdf.Dictionary):
                links.append((annotations[number], element))
    mapped, linked, named = [m for _, m in mappings], [e for _, e in links], [e for _, e in found]
    if copy:
        for kid in kept:
            del kid["/P"]  # or the copy would bring the part's root, and every page of it
        kept, mapped, linked, named = _copied(book, source, kept, mapped, linked, named)
    return Taken(kept, [(page, [e if isinstance(e, pikepdf.Dictionary) else None for e in elements])
                        for (page, _), elements in zip(mappings, mapped)],
                 [(annotation, element) for (annotation, _), element in zip(links, linked)],
                 dict(zip((name for name, _ in found), named)))


def set_structure(book: pikepdf.Pdf, taken: list[Taken | None]) -> None:
    """The book's one tree from what it took of each part's (take_structure), in book order; without a tree
    in every part the book is left untagged. Its /Document is the first part's."""
    if any(part is None for part in taken) or "/StructTreeRoot" not in book.Root:
        _untag(book)
        return
    root = book.Root.StructTreeRoot
    document = _document(root)
    kids = [kid for part in taken for kid in part.kids]
    for kid in kids:
        kid.P = document
    document.K = pikepdf.Array(kids)
    _parent_tree(book, {page.objgen: elements for part in taken for page, elements in part.pages},
                 [link for part in taken for link in part.links])
    ids = {name: element for part in taken for name, element in part.ids.items()}
    if ids:
        root.IDTree = name_leaf(ids)
    elif "/IDTree" in root:
        del root.IDTree  # the first part's own, of elements on pages not taken


def _copied(book: pikepdf.Pdf, source: pikepdf.Pdf, *groups: list) -> list[list]:
    """Each group of `source`'s objects as copies in `book`, copied in one call: qpdf walks what an object
    reaches at each copy, even one copied before, and one call per element was a third of the merge."""
    bundle = source.make_indirect(pikepdf.Array([pikepdf.Array(group) for group in groups]))
    return [list(group) for group in book.copy_foreign(bundle)]


def _parent_tree(book: pikepdf.Pdf, page_entries: dict[tuple[int, int], list], link_entries: list) -> None:
    # Gathered in a Python list and made one pikepdf.Array at the end: extending a pikepdf.Array entry by
    # entry copied it each time, 7 s of a 10-chapter book's 20 s build.
    nums: list = []
    key = 0
    for page in book.pages:
        if "/StructParents" in page.obj:
            del page.obj["/StructParents"]
        if page.objgen in page_entries:
            page.obj.StructParents = key
            nums += [key, pikepdf.Array(page_entries[page.objgen])]
            key += 1
    for annotation, element in link_entries:
        annotation.StructParent = key
        nums += [key, element]
        key += 1
    root = book.Root.StructTreeRoot
    root.ParentTree = book.make_indirect(pikepdf.Dictionary(Nums=pikepdf.Array(nums)))
    root.ParentTreeNextKey = key


def name_part_ids(root, prefix: str) -> None:
    """In a part's worker: the ids of its header cells, and those its data cells name, prefixed (so that no
    two parts' ids meet in the book), and its /IDTree of them made."""
    document = _document(root)
    ids: dict[str, pikepdf.Dictionary] = {}
    for element in _subtree(document) if document is not None else ():
        if "/ID" in element:
            element.ID = pikepdf.String(prefix + str(element.ID))
            ids[str(element.ID)] = element
        attributes = element.get("/A")
        if isinstance(attributes, pikepdf.Dictionary) and isinstance(attributes.get("/Headers"), pikepdf.Array):
            attributes.Headers = pikepdf.Array([pikepdf.String(prefix + str(h)) for h in attributes.Headers])
    if ids:
        root.IDTree = name_leaf(ids)


def name_leaf(entries: dict[str, pikepdf.Object]) -> pikepdf.Dictionary:
    """One sorted name tree node of `entries`: a structure tree's /IDTree (each id and its element), or a
    leaf of the book's destinations (merge.name_tree)."""
    return pikepdf.Dictionary(Names=pikepdf.Array([v for name in sorted(entries)
                                                   for v in (pikepdf.String(name), entries[name])]))


def _taken_ids(root, kept: set) -> list[tuple[str, pikepdf.Dictionary]]:
    """The entries of a part's /IDTree (name_part_ids) whose element stands under a kid the book takes."""
    tree = root.get("/IDTree")
    names = tree.get("/Names") if isinstance(tree, pikepdf.Dictionary) else None
    if not isinstance(names, pikepdf.Array):
        return []
    document = _document(root).objgen
    found = []
    for i in range(0, len(names) - 1, 2):
        node = names[i + 1]
        for _ in range(256):  # up to the kid under /Document (a tree deeper than this is not WeasyPrint's)
            parent = node.get("/P") if isinstance(node, pikepdf.Dictionary) else None
            if not isinstance(parent, pikepdf.Dictionary) or parent.objgen == document:
                break
            node = parent
        if isinstance(node, pikepdf.Dictionary) and node.objgen in kept:
            found.append((str(names[i]), names[i + 1]))
    return found


def _document(root):
    kids = root.get("/K")
    first = kids[0] if isinstance(kids, pikepdf.Array) and len(kids) else kids
    return first if isinstance(first, pikepdf.Dictionary) and first.get("/S") == "/Document" else None


def _kids(element) -> list:
    kids = element.get("/K")
    kids = kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []
    return [kid for kid in kids if isinstance(kid, pikepdf.Dictionary) and "/S" in kid]


def _subtree(element) -> Iterator[pikepdf.Dictionary]:
    stack = [element]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(_kids(node))


def number_tree(tree) -> dict[int, object]:
    found: dict[int, object] = {}
    stack = [tree] if tree is not None else []
    while stack:
        node = stack.pop()
        nums = node.get("/Nums")
        if isinstance(nums, pikepdf.Array):
            for i in range(0, len(nums) - 1, 2):
                found[int(nums[i])] = nums[i + 1]
        stack.extend(node.get("/Kids", ()))
    return found


def _untag(book: pikepdf.Pdf) -> None:
    """A part without a tree: the book says it is not tagged rather than tag a part of it."""
    for key in ("/StructTreeRoot", "/MarkInfo"):
        if key in book.Root:
            del book.Root[key]
    for page in book.pages:
        if "/StructParents" in page.obj:
            del page.obj["/StructParents"]
