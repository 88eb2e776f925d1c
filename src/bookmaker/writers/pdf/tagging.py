"""What a tagged PDF from WeasyPrint 70 still lacks for PDF/UA, added to the written file (pikepdf).

Measured with the PDF/UA checkers from PyPI (outloud, pdfua) on the sample book laid out with
`pdf/ua-1`: WeasyPrint tags the text, but
- running heads and page numbers (margin boxes) get marked-content ids whose structure elements
  hang outside the tree: they become /Artifact /Pagination, as PDF/UA asks of page furniture;
- link annotations lack the print flag and say only their target's id ("note-6"): they get the
  flag and the link's own text (or what it leads to) as /Contents;
- header cells have no /Scope: a TH beside TDs in its row heads the row, any other its column;
- an image marked decorative (alt="") is a Figure without /Alt: it becomes an artifact.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pikepdf

from bookmaker.writers.pdf.structure import name_leaf
from bookmaker.writers.pdf.structure import number_tree as _number_tree

_PRINT = 4  # the annotation flag "Print" (bit 3)


def write_options(book, variant: str | None) -> dict:
    """WeasyPrint's write_pdf options for tagging: tagged always, as PDF/UA-1 unless the book asks for another
    variant or has a gap PDF/UA forbids (an image without alt text...: then tagged, claiming nothing)."""
    from bookmaker.writers.accessibility import pdf_ua_gaps

    if variant:
        return {"pdf_variant": variant, "pdf_tags": True}
    return {"pdf_tags": True} if pdf_ua_gaps(book) else {"pdf_variant": "pdf/ua-1"}


def tagged_pdf(document, html: str, **options) -> bytes:
    """A laid-out WeasyPrint document written tagged (`options`: write_pdf's), with what its tags lack added."""
    import io

    raw = io.BytesIO()
    document.write_pdf(raw, **options)
    raw.seek(0)
    with pikepdf.open(raw) as pdf:
        finish_tags(pdf, link_texts(html))
        out = io.BytesIO()
        pdf.save(out, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return out.getvalue()


def finish_tags(pdf: pikepdf.Pdf, link_texts: dict[str, str]) -> None:
    """Fix, in place, what WeasyPrint's tagged PDF lacks (above); `link_texts`: a link's target -> its text."""
    prepare_part(pdf)
    describe_links(pdf, link_texts)
    titled(pdf)
    root = pdf.Root.get("/StructTreeRoot")
    if root is not None and "/ParentTreeNextKey" not in root:  # the next key a writer would give
        root.ParentTreeNextKey = max(_number_tree(root.get("/ParentTree")), default=-1) + 1
    if root is not None and "/IDTree" not in root:
        # Header cells' ids (data cells name them): ISO 32000 requires the tree of ids when elements have
        # them, which WeasyPrint does not write (the merge of parts makes one: structure.py).
        ids = {str(element.ID): element for element in _elements(root) if "/ID" in element}
        if ids:
            root.IDTree = name_leaf(ids)


def titled(pdf: pikepdf.Pdf) -> None:
    """The title in the XMP metadata and shown by viewers, as PDF/UA asks (WeasyPrint writes XMP only for a
    variant: a tagged PDF that claims no PDF/UA, for a book with an image without alt text, has none)."""
    title = pdf.docinfo.get("/Title")
    if title is None or "/Metadata" in pdf.Root:  # a variant's metadata (PDF/A, PDF/UA) is left as written
        return
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        if not meta.get("dc:title"):
            meta["dc:title"] = str(title)
    if not isinstance(pdf.Root.get("/ViewerPreferences"), pikepdf.Dictionary):
        pdf.Root.ViewerPreferences = pikepdf.Dictionary()
    pdf.Root.ViewerPreferences.DisplayDocTitle = True  # beside a right-to-left book's /Direction


def prepare_part(pdf: pikepdf.Pdf) -> None:
    """The structure's fixes, on one document or on each part before merging (structure.py): header
    scopes, decorative figures and empty elements out, page furniture made artifacts."""
    root = pdf.Root.get("/StructTreeRoot")
    if root is None:
        return
    # One walk for the cells and the figures: a walk is a few pikepdf calls per element, 35,000 in all a 10-chapter book.
    elements = list(_elements(root))
    reachable = {element.objgen for element in elements}
    for element in elements:
        if str(element.get("/S", "")) == "/TH":
            _scope(element)
    _figures_without_alt(elements, reachable)
    _bare_links(root, elements)
    _without_empty(root)
    _artifacts(pdf, root, reachable)


def describe_links(pdf: pikepdf.Pdf, link_texts: dict[str, str]) -> None:
    """Every link annotation printed, described (/Contents) and inside a /Link element."""
    root = pdf.Root.get("/StructTreeRoot")
    entries = _number_tree(root.get("/ParentTree")) if root is not None else {}
    for page in pdf.pages:
        for annotation in page.obj.get("/Annots", ()):
            if annotation.get("/Subtype") == "/Link":
                _describe_link(annotation, link_texts)
                # A link whose box is an inline inside the <a> (a list of figures' label) was tagged /Span.
                element = entries.get(int(annotation.get("/StructParent", -1)))
                if isinstance(element, pikepdf.Dictionary) and element.get("/S") != "/Link":
                    element.S = pikepdf.Name("/Link")


def _elements(root) -> Iterator[pikepdf.Dictionary]:
    """Every structure element reachable from the root, parents before children."""
    stack = [root]
    seen = set()
    while stack:
        node = stack.pop()
        kids = node.get("/K")
        if kids is None:
            continue
        for kid in (kids if isinstance(kids, pikepdf.Array) else [kids]):
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid and kid.objgen not in seen:
                seen.add(kid.objgen)
                yield kid
                stack.append(kid)


def _scope(cell: pikepdf.Dictionary) -> None:
    row = cell.get("/P")
    siblings = row.get("/K") if isinstance(row, pikepdf.Dictionary) else None
    kinds = [str(k.get("/S")) for k in (siblings if isinstance(siblings, pikepdf.Array) else [])
             if isinstance(k, pikepdf.Dictionary)]
    scope = "/Row" if "/TD" in kinds else "/Column"
    attributes = cell.get("/A")
    if not isinstance(attributes, pikepdf.Dictionary):
        attributes = pikepdf.Dictionary(O=pikepdf.Name("/Table"))
        cell.A = attributes
    attributes.Scope = pikepdf.Name(scope)


def _figures_without_alt(elements: list, reachable: set) -> None:
    """A Figure without /Alt (an image marked decorative) leaves the tree: its content becomes an artifact."""
    for element in elements:
        if str(element.get("/S")) == "/Figure" and "/Alt" not in element and "/ActualText" not in element:
            parent = element.get("/P")
            kids = parent.get("/K") if isinstance(parent, pikepdf.Dictionary) else None
            if isinstance(kids, pikepdf.Array):
                parent.K = pikepdf.Array([k for k in kids if not (isinstance(k, pikepdf.Dictionary)
                                                                  and k.objgen == element.objgen)])
                reachable.discard(element.objgen)


def _bare_links(root, elements: list) -> None:
    """A link element that holds nothing but its annotations, inside the link it belongs to (the box of a
    contents line's leader, whose dots are drawn as an artifact: patches.one_leader_box), gives them to
    that link, which has the text: PDF/UA wants text or /Alt in every link element."""
    moved: dict[tuple[int, int], pikepdf.Dictionary] = {}
    for element in elements:
        parent = element.get("/P")
        if str(element.get("/S")) != "/Link" or not isinstance(parent, pikepdf.Dictionary) \
                or str(parent.get("/S")) != "/Link" or not isinstance(parent.get("/K"), pikepdf.Array):
            continue
        kids = element.get("/K")
        kids = list(kids) if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []
        if not kids or not all(isinstance(k, pikepdf.Dictionary) and k.get("/Type") == "/OBJR" for k in kids):
            continue
        parent.K = pikepdf.Array([mine for kid in parent.K for mine in (
            kids if isinstance(kid, pikepdf.Dictionary) and kid.objgen == element.objgen else [kid])])
        moved[element.objgen] = parent
    if moved:  # the annotations' entries in the parent tree name their new element
        stack = [root.get("/ParentTree")]
        while stack:
            node = stack.pop()
            if not isinstance(node, pikepdf.Dictionary):
                continue
            nums = node.get("/Nums")
            for i in range(1, len(nums) if isinstance(nums, pikepdf.Array) else 0, 2):
                if isinstance(nums[i], pikepdf.Dictionary) and nums[i].objgen in moved:
                    nums[i] = moved[nums[i].objgen]
            stack.extend(node.get("/Kids", ()))


def _without_empty(root) -> None:
    """Elements with no content (an empty <span id> an index mark leaves) are left out of the tree."""
    def content(element) -> bool:
        kids = element.get("/K")
        kids = list(kids) if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []
        kept = [k for k in kids if not (isinstance(k, pikepdf.Dictionary) and "/S" in k and not content(k))]
        if len(kept) != len(kids):
            element.K = pikepdf.Array(kept)
        return bool(kept) or "/Alt" in element or "/ActualText" in element

    content(root)


def _artifacts(pdf: pikepdf.Pdf, root, reachable: set) -> None:
    """Marked content whose structure element is outside the tree is page furniture: an artifact."""
    tree = root.get("/ParentTree")
    if tree is None:
        return
    entries = _number_tree(tree)
    for page in pdf.pages:
        key = page.obj.get("/StructParents")
        if key is None or int(key) not in entries:
            continue
        mapping = entries[int(key)]
        if not isinstance(mapping, pikepdf.Array):
            continue
        outside = {mcid for mcid, element in enumerate(mapping)
                   if isinstance(element, pikepdf.Dictionary) and element.objgen not in reachable}
        if not outside:
            continue
        _mark_artifacts(pdf, page, outside)
        for mcid in outside:
            mapping[mcid] = None


# A marked-content sequence with its id, as WeasyPrint writes it: `/Span <</MCID 63>> BDC`.
_MARKED = re.compile(rb"/[A-Za-z]+\s*<<\s*/MCID\s+(\d+)\s*>>\s*BDC")


def _mark_artifacts(pdf: pikepdf.Pdf, page, mcids: set[int]) -> None:
    """The sequences of these ids marked /Artifact /Pagination instead. The page's one content stream
    is rewritten by pattern (parsing every operator in Python cost more than the tagging itself);
    a page of several streams, or one the pattern does not match, is parsed and rewritten in full."""
    contents = page.obj.get("/Contents")
    if isinstance(contents, pikepdf.Stream):
        found = set()

        def artifact(match: re.Match) -> bytes:
            if int(match.group(1)) not in mcids:
                return match.group(0)
            found.add(int(match.group(1)))
            return b"/Artifact <</Type /Pagination>> BDC"

        data = _MARKED.sub(artifact, contents.read_bytes())
        if found == mcids:
            page.obj.Contents = pdf.make_stream(data)
            return
    changed = []
    for operands, operator in pikepdf.parse_content_stream(page):
        if (str(operator) == "BDC" and len(operands) == 2 and isinstance(operands[1], pikepdf.Dictionary)
                and "/MCID" in operands[1] and int(operands[1].MCID) in mcids):
            operands = [pikepdf.Name("/Artifact"), pikepdf.Dictionary(Type=pikepdf.Name("/Pagination"))]
        changed.append(pikepdf.ContentStreamInstruction(operands, operator))
    page.obj.Contents = pdf.make_stream(pikepdf.unparse_content_stream(changed))


def _describe_link(annotation, link_texts: dict[str, str]) -> None:
    annotation.F = int(annotation.get("/F", 0)) | _PRINT
    action = annotation.get("/A")
    uri = str(action.get("/URI")) if isinstance(action, pikepdf.Dictionary) and "/URI" in action else None
    target = uri if uri is not None else str(annotation.get("/Dest", ""))
    text = link_texts.get(target if uri is not None else "#" + target)
    if not text:
        text = f"Link to {uri}" if uri is not None else "Link to another place in the book"
    annotation.Contents = pikepdf.String(text)


_LINK = re.compile(r"<a\b([^>]*)>(.*?)</a>", re.DOTALL | re.IGNORECASE)
_HREF = re.compile(r'\bhref="([^"]*)"')
_LABEL = re.compile(r'\baria-label="([^"]*)"')
_ROLE = re.compile(r'\brole="([^"]*)"')


def link_texts(html: str) -> dict[str, str]:
    """Each link target of the HTML book (`#id` or a URL) -> words for its annotation: its aria-label,
    or its text ("Note 6" for a note mark, "Back to the text" for a note's way back)."""
    import html as html_escape

    texts: dict[str, str] = {}
    for match in _LINK.finditer(html):
        attributes, inner = match.groups()
        href = _HREF.search(attributes)
        if href is None:
            continue
        target = html_escape.unescape(href.group(1))
        label = _LABEL.search(attributes)
        text = html_escape.unescape(label.group(1)) if label else html_escape.unescape(re.sub(r"<[^>]+>", "", inner))
        text = " ".join(text.split())
        role = _ROLE.search(attributes)
        role = role.group(1) if role else ""
        if role == "doc-noteref" or (text.isdigit() and target.startswith("#note")):
            text = f"Note {text}"
        elif role == "doc-backlink" or not any(ch.isalnum() for ch in text):
            text = "Back to the text" if role == "doc-backlink" else text
        if text and target not in texts:
            texts[target] = text
    return texts
