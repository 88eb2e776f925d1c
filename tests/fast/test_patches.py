"""The WeasyPrint patches (writers/pdf/patches/) are fenced: applied only on the versions they were written
for, and each fails here when the installed WeasyPrint changes the code it relies on."""

from __future__ import annotations

import hashlib
import importlib
import inspect
from importlib.metadata import version

import pytest

from bookmaker.writers.pdf import patches
from bookmaker.writers.pdf.patches import fence, styles


def _source_of(qualified: str):
    module_name, _, rest = qualified.partition(".")
    parts = qualified.split(".")
    for cut in range(len(parts) - 1, 0, -1):  # the longest importable module, then attributes
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            obj = getattr(obj, name)
        return obj
    raise ImportError(qualified)


def test_a_patched_function_is_fingerprinted_as_weasyprint_wrote_it() -> None:
    """The patches may already be applied in this process (another test laid out a book): the fingerprint is
    still of WeasyPrint's code, never of bookmaker's replacement."""
    patches.apply_layout_patches()
    for qualified, fingerprint in patches.FINGERPRINTS.items():
        source = inspect.getsource(inspect.unwrap(_source_of(qualified)))
        assert "bookmaker" not in source and hashlib.sha256(source.encode()).hexdigest()[:16] == fingerprint, qualified


@pytest.mark.parametrize("qualified", sorted(patches.FINGERPRINTS))
def test_the_weasyprint_code_a_patch_relies_on_is_the_code_it_was_written_for(qualified: str) -> None:
    source = inspect.getsource(inspect.unwrap(_source_of(qualified)))  # WeasyPrint's own, if already patched
    found = hashlib.sha256(source.encode()).hexdigest()[:16]
    assert found == patches.FINGERPRINTS[qualified], (
        f"WeasyPrint {version('weasyprint')} changed {qualified}: check the patch of writers/pdf/patches/ that "
        "relies on it, then update WRITTEN_FOR, FINGERPRINTS and the pin in pyproject.toml")


def test_the_installed_weasyprint_is_one_the_patches_were_written_for() -> None:
    assert patches.supported(), f"WeasyPrint {version('weasyprint')} is not in {patches.WRITTEN_FOR}"


def test_the_pin_in_pyproject_is_the_range_the_patches_were_written_for() -> None:
    import re
    import tomllib
    from pathlib import Path

    project = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())["project"]
    pin = next(d for d in project["dependencies"] if d.startswith("weasyprint"))
    low, high = re.fullmatch(r"weasyprint>=(\d+),<(\d+)", pin).groups()
    assert [f"{n}." for n in range(int(low), int(high))] == list(patches.WRITTEN_FOR)


def test_another_weasyprint_is_laid_out_unpatched(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a version the patches were not written for, none is applied (the layout stays WeasyPrint's own)."""
    import weasyprint.layout.inline as inline

    monkeypatch.setattr(fence, "WRITTEN_FOR", ("0.0.",))
    monkeypatch.setattr(inline, "split_first_line", real := lambda *args: None)
    patches.keep_words_together()
    assert inline.split_first_line is real


def test_the_attribute_parser_patch_is_fenced_to_the_mdit_py_plugins_it_was_written_for() -> None:
    """markdown/rules/attributes.py replaces one handler of mdit-py-plugins' attribute parser (pandoc's
    bare values, `{width=50%}`): applied only where that handler is the code it was written for."""
    import re
    import tomllib
    from pathlib import Path

    from mdit_py_plugins import __version__

    from bookmaker.markdown.rules import attributes

    assert attributes.fingerprint() == attributes.FINGERPRINT, (
        f"mdit-py-plugins {__version__} changed handle_scanning_bare_value: check markdown/rules/attributes.py, "
        "then update WRITTEN_FOR, FINGERPRINT and the pin in pyproject.toml")
    assert attributes.supported(), f"mdit-py-plugins {__version__} is not in {attributes.WRITTEN_FOR}"
    project = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())["project"]
    [pin] = [d for d in project["dependencies"] if d.startswith("mdit-py-plugins")]
    low, high = re.fullmatch(r"mdit-py-plugins>=([\d.]+),<([\d.]+)", pin.replace(" ", "")).groups()
    assert [f"{low}."] == list(attributes.WRITTEN_FOR) and high == "0.8", pin


_CONTENTS = """<style>@page { size: 120mm 60mm; margin: 5mm } body { font: 11pt serif }
a::after { content: leader(". ") "%s" } a { display: block; color: black; text-decoration: none }
[dir=rtl] { font-family: "DejaVu Sans" }</style>
<body><a href="#x" id="x">Clay and papyrus</a><a href="#y" id="y">The printing press of a long chapter title</a>
<a href="#z" id="z" dir="rtl">فصل نخست</a></body>"""


def _contents_laid_out(patched: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[list[tuple], list[int]]:
    """The contents' words with where they stand (poppler's text layer), and how many boxes each leader has."""
    import re
    import subprocess

    import weasyprint.layout.inline as inline

    from bookmaker.writers.pdf.weasy import import_weasyprint

    weasyprint = import_weasyprint()
    if not patched:
        monkeypatch.setattr(inline, "handle_leader", inspect.unwrap(inline.handle_leader))
    document = weasyprint.HTML(string=_CONTENTS % "12").render()
    leaders = [len(box.children) for page in document.pages for box in _boxes(page._page_box) if box.is_leader]
    words = subprocess.run(["pdftotext", "-bbox", "-", "-"], input=document.write_pdf(), capture_output=True,
                           check=True).stdout.decode()
    found = [(text, float(x), float(y))
             for x, y, text in re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]*)</word>', words)]
    return found, leaders


def _boxes(box):
    yield box
    for child in getattr(box, "children", ()):
        yield from _boxes(child)


def test_a_leader_is_one_box_drawn_where_its_copies_were(monkeypatch: pytest.MonkeyPatch) -> None:
    """one_leader_box: WeasyPrint 70 made a box of each dot of a leader (17,000 in a long contents, most of
    its time to write); one box of the dots repeated draws each dot where its copy stood, left to right
    and right to left."""
    patches.one_leader_box()
    words, leaders = _contents_laid_out(True, monkeypatch)
    own_words, own_leaders = _contents_laid_out(False, monkeypatch)
    assert min(own_leaders) > 5 and leaders == [1, 1, 1]
    assert [w for w in words if w[0] != "."] == [w for w in own_words if w[0] != "."]
    for line in sorted({y for _, _, y in own_words}):
        dots = sorted(x for text, x, y in words if text == "." and y == line)
        own_dots = sorted(x for text, x, y in own_words if text == "." and y == line)
        assert len(dots) == len(own_dots) > 5
        # The first dot where its copy stood, the others to a tenth of a point (the PDF's text places each
        # glyph of one run by its rounded offset from the one before).
        assert abs(dots[0] - own_dots[0]) < 0.001
        assert max(abs(x - own_x) for x, own_x in zip(dots, own_dots)) < 0.1


def test_a_leader_is_drawn_as_an_artifact_and_its_link_keeps_its_text() -> None:
    """The dots are decoration: drawn outside the structure tree (a reader reads "Clay and papyrus 12"), and
    the link element of the leader's box gives its annotation to the line's link (tagging._bare_links):
    outloud reported "link element with no text" (LNK-003) for each line of a contents."""
    import io

    import pikepdf

    from bookmaker.writers.pdf.tagging import prepare_part
    from bookmaker.writers.pdf.weasy import import_weasyprint

    patches.one_leader_box()
    html = _CONTENTS.replace("<body>", '<html lang="en"><body>') % "12"
    pdf = pikepdf.open(io.BytesIO(import_weasyprint().HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")))
    prepare_part(pdf)
    shown_in_artifacts, stack = 0, []
    for operands, operator in pikepdf.parse_content_stream(pdf.pages[0]):
        if str(operator) in ("BDC", "BMC"):
            stack.append(str(operands[0]))
        elif str(operator) == "EMC":
            stack.pop()
        elif str(operator) in ("Tj", "TJ") and "/Artifact" in stack:
            shown_in_artifacts += 1
    assert shown_in_artifacts == 3  # the three leaders, each one run

    def links(element):
        kids = element.get("/K")
        for kid in list(kids) if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []:
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                if kid.S == "/Link":
                    yield kid
                yield from links(kid)

    found = list(links(pdf.Root.StructTreeRoot))
    assert found and all(any(isinstance(k, int) for k in link.K) for link in found)  # each with its text
    annotations = [a for a in pdf.pages[0].obj.Annots if a.Subtype == "/Link"]
    owners = {str(pdf.Root.StructTreeRoot.ParentTree.Nums[2 * i + 1].objgen) for i in range(1, 1 + len(annotations))}
    assert owners <= {str(link.objgen) for link in found}


def test_a_face_of_a_collection_is_typed_by_its_own_outlines() -> None:
    """deferred_fonts: a collection's file begins "ttcf" whatever its faces' outlines; read as TrueType, a
    Noto CJK face (CFF, in Debian's .ttc) was embedded as TrueType in every book laid out in parts, and
    poppler said "Mismatch between font type and embedded font file"."""
    def collection(*tags: bytes) -> bytes:
        head = b"ttcf" + (1 << 16).to_bytes(4, "big") + len(tags).to_bytes(4, "big")
        offsets = [len(head) + 4 * len(tags) + 16 * n for n in range(len(tags))]
        return head + b"".join(o.to_bytes(4, "big") for o in offsets) + b"".join(t + bytes(12) for t in tags)

    from bookmaker.writers.pdf.face_files import face_is_cff

    both = collection(b"\x00\x01\x00\x00", b"OTTO")
    assert not face_is_cff(both, 0) and face_is_cff(both, 1)
    assert not face_is_cff(both, 2)  # no such face: as the file's own first bytes say
    assert face_is_cff(b"OTTO" + bytes(12), 0) and not face_is_cff(b"\x00\x01\x00\x00" + bytes(12), 0)


_STYLED = """<html><head><style>
@page { size: 100mm 80mm; margin: 10mm; @bottom-center { content: counter(page); } }
@page :first { @bottom-center { content: none; } }
p { font: 12pt/1.4 sans-serif; color: nonsense-colour; }
.b { font-weight: bold; } h1 { break-before: page; }
</style></head><body>%s</body></html>"""


def _laid_out_twice(html: str, monkeypatch: pytest.MonkeyPatch) -> tuple[list[bytes], int, list[list[str]]]:
    """Two layouts of `html` in this process: each one's text layer, how often its stylesheet was parsed,
    and the warnings each layout logged."""
    import logging
    import subprocess

    from bookmaker.writers.pdf.weasy import import_weasyprint

    weasyprint = import_weasyprint()
    styles._PARSED.clear()
    parses, real = [], weasyprint.preprocess_stylesheet  # CSS.__init__ calls it by this name
    monkeypatch.setattr(weasyprint, "preprocess_stylesheet", lambda *a, **k: parses.append(1) or real(*a, **k))
    texts, warnings = [], []
    for _ in range(2):
        seen: list[str] = []
        handler = logging.Handler()
        handler.emit = lambda record: seen.append(record.getMessage())
        logging.getLogger("weasyprint").addHandler(handler)
        try:
            data = weasyprint.HTML(string=html).write_pdf()
        finally:
            logging.getLogger("weasyprint").removeHandler(handler)
        texts.append(subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True,
                                    check=True).stdout)
        warnings.append(seen)
    return texts, len(parses), warnings


def test_a_stylesheet_is_parsed_once_for_all_the_parts_of_a_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """parse_styles_once: every part carries the book's whole stylesheet, and WeasyPrint parsed it for each
    (a tenth of a part's layout). The second document is laid out from the first one's parse: the same
    pages (its page rules: size, margin boxes, `:first`), the same warning for the bad declaration."""
    patches.parse_styles_once()
    body = "<p>One <span class=b>two</span></p><h1>Next</h1><p>Three</p>"
    texts, parses, warnings = _laid_out_twice(_STYLED % body, monkeypatch)
    assert parses == 1
    assert texts[0] == texts[1] and b"Three" in texts[1] and b"2" in texts[1] and texts[1].count(b"\x0c") == 2
    assert [w for w in warnings[0] if "nonsense" in w] and warnings[0] == warnings[1]
    # WeasyPrint's own parse each time gives the same document.
    import weasyprint

    monkeypatch.setattr(weasyprint.CSS, "__init__", inspect.unwrap(weasyprint.CSS.__init__))
    monkeypatch.setattr(patches, "parse_styles_once", lambda: None)  # not applied again by import_weasyprint
    own, own_parses, _ = _laid_out_twice(_STYLED % body, monkeypatch)
    assert own_parses == 2 and own == texts


def test_a_stylesheet_that_loads_fonts_is_parsed_for_every_document(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a parse leaves outside the document's page rules (a face loaded by @font-face, layers, counter
    styles, an @import) would be missing from a document laid out from another's parse."""
    patches.parse_styles_once()
    html = (_STYLED % "<p>One</p>").replace("<style>", "<style>@font-face { font-family: X; src: local(DejaVu Sans); }")
    _, parses, _ = _laid_out_twice(html, monkeypatch)
    assert parses == 2
