"""The accessible PDF (issue 22), checked by the PDF/UA checkers on PyPI: outloud and pdfua.

The fixture books the slow layer builds, laid out in parallel parts (the default) and as one
document (`--jobs 1`): a tagged PDF/UA-1 with nothing for either checker to report. What they
cannot see (reading order against the page, the words of alternative text, colour contrast) needs
veraPDF and a person; see the README.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest

from conftest import FIXTURES, run_cli

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
# The scholarly fixture writes an e-mail address as plain text on purpose (`name@host` is no link in
# bookmaker's Markdown: it would collide with citations, `@key`); outloud's LNK-010 is a heuristic.
EXPECTED = {"scholarly": [("LNK-010", "master@example.com")]}


@pytest.fixture(scope="module")
def pdfs(sample_book, tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("accessible")
    found = {"sample": sample_book["pdf"]}
    for name, fixture, extra in (("technical", "technical", ()), ("technical --jobs 1", "technical", ("--jobs", "1")),
                                 ("scholarly", "scholarly", ())):
        target = out / name.replace(" ", "")
        result = run_cli("pdf", str(FIXTURES / fixture), "-o", str(target / "book.pdf"), *extra)
        assert result.exit_code == 0, result.stderr
        found[name] = target / "book.pdf"
    return found


BOOKS = ["sample", "technical", "technical --jobs 1", "scholarly"]


def outloud(pdf: Path) -> list[tuple[str, str]]:
    run = subprocess.run([str(BIN / "outloud"), "--json", "-", "--fail-on", "never", str(pdf)],
                         capture_output=True, text=True, timeout=300)
    report = json.loads(run.stdout)["results"][0]
    assert report["error"] is None, report["error"]
    return [(f["rule"], str(f.get("evidence") or "")) for f in report["findings"] if f["severity"] != "info"]


@pytest.mark.parametrize("name", BOOKS)
def test_outloud_reports_nothing(pdfs, name):
    found = outloud(pdfs[name])
    expected = EXPECTED.get(name.split()[0], [])
    assert [rule for rule, _ in found] == [rule for rule, _ in expected], found
    for (_, evidence), (_, wanted) in zip(found, expected):
        assert wanted in evidence


@pytest.mark.parametrize("name", BOOKS)
def test_pdfua_reports_nothing(pdfs, name):
    run = subprocess.run([str(BIN / "pdfua"), "check", "-f", "json", str(pdfs[name])],
                         capture_output=True, text=True, timeout=300)
    report = json.loads(run.stdout)
    assert report["findings"] == [], report["findings"]
    # UA-14-001 (empty headings) raises inside pdfua 0.1.3 on any /K array, a valid form it does not read.
    assert [s["rule_id"] for s in report["skipped"]] in ([], ["UA-14-001"]), report["skipped"]


@pytest.mark.parametrize("name", BOOKS)
def test_the_pdf_is_tagged_as_one_tree(pdfs, name):
    """One /Document, a parent-tree key for every page with content and every link, all distinct."""
    with pikepdf.open(pdfs[name]) as pdf:
        root = pdf.Root.StructTreeRoot
        assert pdf.Root.MarkInfo.Marked and str(pdf.Root.Lang) == "en"
        assert b"pdfuaid:part" in pdf.Root.Metadata.read_bytes()
        keys = [int(p.obj.StructParents) for p in pdf.pages if "/StructParents" in p.obj]
        keys += [int(a.StructParent) for p in pdf.pages for a in p.obj.get("/Annots", ())]
        assert len(keys) == len(set(keys)) and max(keys) < int(root.ParentTreeNextKey)
        nums = root.ParentTree.Nums
        assert sorted(int(nums[i]) for i in range(0, len(nums), 2)) == sorted(keys)
        for page in pdf.pages:
            for annotation in page.obj.get("/Annots", ()):
                assert int(annotation.F) & 4 and str(annotation.Contents).strip()
        # Header cells' ids, made in each part apart, are distinct in the book, and each is in its IDTree
        # with every id a data cell names (each part's worker prefixes its own and lists them: structure.py).
        elements = list(_elements(root))
        ids = [str(e.ID) for e in elements if "/ID" in e]
        named = {str(h) for e in elements if isinstance(e.get("/A"), pikepdf.Dictionary)
                 for h in e.A.get("/Headers", ())}
        assert len(ids) == len(set(ids))
        tree = root.get("/IDTree")
        listed = {str(tree.Names[i]) for i in range(0, len(tree.Names), 2)} if tree is not None else set()
        assert listed == set(ids) and named <= listed
        if name.startswith("technical"):
            assert len(ids) > 1  # the check above saw header cells of more than one table


def _elements(root):
    stack, seen = [root], set()
    while stack:
        kids = stack.pop().get("/K")
        for kid in kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []:
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid and kid.objgen not in seen:
                seen.add(kid.objgen)
                yield kid
                stack.append(kid)


def test_math_reads_once_in_a_reader_without_mathml(tmp_path):
    """MuPDF shows MathML's text and, unless hidden, its TeX annotation after it ("E=mc2E = mc^2")."""
    epub = tmp_path / "technical.epub"
    assert run_cli("epub", str(FIXTURES / "technical"), "-o", str(epub)).exit_code == 0
    text = subprocess.run(["mutool", "draw", "-q", "-F", "txt", "-o", "-", str(epub)], capture_output=True,
                          text=True, timeout=300, check=True).stdout
    line = next(line for line in text.splitlines() if "Inline math such as" in line)
    assert "E=mc2" in line and "mc^2" not in line and "\\frac" not in text, line
    import zipfile

    chapter = zipfile.ZipFile(epub).read("EPUB/math.xhtml").decode()
    assert 'alttext="E = mc^2"' in chapter  # what a screen reader with MathML support may read
