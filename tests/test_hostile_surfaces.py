"""Math, bibliographies and code blocks as untrusted input (issue 25): what each hostile fixture
(fixtures/hostile/math-*, bib*-*, highlight-*, generated-ids, symlink-*) must give in every output,
judged by the trusted tools: Chromium runs the HTML, pikepdf reads the PDF's links, EPUBCheck the
EPUB (in test_hostile_commands.py, with every hostile book). Their `check` diagnostics are in their
expected.txt (test_hostile.py)."""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from conftest import FIXTURES, run_cli

HOSTILE = FIXTURES / "hostile"
MATHML = "{http://www.w3.org/1998/Math/MathML}"
ISSUE_FORMULAS = [
    r"""\text{</math><img/src="x"/onerror="document.title='PWNED'">}""",
    r"""\text{</math><a/href="javascript:app.alert(1)">click</a>}""",
    '\\text{<img\txmlns="http://www.w3.org/1999/xhtml"\tsrc="x.png"\tonerror="alert(1)"/>}',
    r"\href{javascript:alert(2)}{click}",
    r"\text{</math>}",
]


def _copy(case: str, tmp_path: Path) -> Path:
    book = tmp_path / case
    shutil.copytree(HOSTILE / case, book, symlinks=True)
    return book


class _Hang(Exception):
    pass


def _within(seconds: int, work):
    """`work()`, or _Hang after `seconds` (a hang detector, not a timing: real runs take a fraction)."""
    def stop(signum, frame):
        raise _Hang(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        return work()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


# -- math: the allow-list, and formulas found by parsing ---------------------------------------

@pytest.mark.parametrize("tex", ISSUE_FORMULAS)
def test_math_from_hostile_tex_is_mathml_and_nothing_else(tex):
    from lxml import etree

    from bookmaker.render.mathtex import tex_to_mathml

    formula = tex_to_mathml(tex, False)
    root = etree.fromstring(formula.mathml)  # well-formed XML, one element
    assert root.tag == MATHML + "math"
    for element in root.iter():
        assert element.tag.startswith(MATHML), element.tag
        assert not any(name.startswith("on") for name in element.attrib), element.attrib
        assert not element.get("href", "").lower().startswith("javascript"), element.attrib
    assert "".join(root.itertext()).count("math>") == 2 * tex.count("</math>")  # as text, in mtext and annotation


def test_a_safe_link_in_a_formula_is_kept_and_a_script_link_reported():
    from bookmaker.render.mathtex import tex_to_mathml

    assert 'href="https://example.org/"' in tex_to_mathml(r"\href{https://example.org/}{x}", False).mathml
    assert [code for code, _ in tex_to_mathml(r"\href{javascript:alert(2)}{y}", False).problems] == ["math-markup-removed"]


def test_the_svg_step_reads_each_formula_to_its_own_end_tag():
    from bookmaker.render.math_svg import math_as_svg
    from bookmaker.render.mathtex import tex_to_mathml

    page = "".join(f"<p>{tex_to_mathml(tex, False).mathml} after {n}</p>" for n, tex in enumerate(ISSUE_FORMULAS))
    page += f"<p>{tex_to_mathml('E = mc^2', False).mathml} end</p>"
    drawn = math_as_svg(page)
    assert "<math" not in drawn and "<a" not in drawn
    assert not re.search(r"<img[^>]*onerror", drawn)
    assert all(f"after {n}</p>" in drawn for n in range(len(ISSUE_FORMULAS))) and drawn.endswith(" end</p>")
    assert drawn.count('<img class="math-inline-image"') >= 2  # E = mc^2 and the \href formula are drawn


def test_a_formula_too_deep_to_draw_shows_its_tex_and_costs_the_others_nothing():
    from bookmaker.render.math_svg import math_as_svg
    from bookmaker.render.mathtex import tex_to_mathml

    deep = "x" + r"^{x" * 18 + "}" * 18
    drawn = math_as_svg(f"<p>{tex_to_mathml(deep, False).mathml}</p><p>{tex_to_mathml('a+b', False).mathml}</p>")
    assert '<code class="math-error">x^{x^{x' in drawn and 'alt="a plus b"' in drawn


def test_nesting_counts_levels_as_ziamath_lays_them_out():
    from bookmaker.safety.mathml import MAX_DRAWN_NESTING, nesting

    def frac(n):
        return "x" if n == 0 else r"\frac{1}{" + frac(n - 1) + "}"

    assert [nesting(t) for t in ("x", "x^2_3", r"\frac{a^2}{b}", frac(7), frac(18))] == [0, 1, 2, 7, 18]
    assert nesting(r"\left(" * 9 + "x" + r"\right)" * 9) == 9 and nesting("{" * 9 + "x" + "}" * 9) == 9
    assert nesting(frac(MAX_DRAWN_NESTING)) <= MAX_DRAWN_NESTING < nesting(frac(12))


@pytest.mark.slow
def test_the_html_of_hostile_math_runs_nothing_in_chromium(tmp_path):
    book = _copy("math-injection", tmp_path)
    assert run_cli("html", str(book)).exit_code == 0
    page = next((book / "build").glob("*.html"))
    dom = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=3000",
                          "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120).stdout
    assert "<title>Math injection</title>" in dom, dom[:300]  # the onerror would have set it to PWNED
    assert "PWNED" not in re.sub(r"<code[^>]*>.*?</code>", "", dom, flags=re.S).replace("&#x27;PWNED", "")
    assert not re.search(r"<img[^>]*onerror", dom) and not re.search(r"<a[^>]*javascript:", dom)


@pytest.mark.slow
def test_the_pdf_of_hostile_math_has_no_script_link(tmp_path):
    import pikepdf

    book = _copy("math-injection", tmp_path)
    assert run_cli("pdf", str(book)).exit_code == 0
    with pikepdf.open(next((book / "build").glob("*.pdf"))) as pdf:
        uris = [str(annot.A.get("/URI", "")) for page in pdf.pages for annot in page.get("/Annots", [])
                if annot.get("/A") is not None]
    assert not [uri for uri in uris if not uri.startswith(("http", "mailto"))], uris


# -- bibliographies -------------------------------------------------------------------------

def _bib_file(path: Path, text: str):
    from bookmaker.core.diagnostics import Diagnostics
    from bookmaker.resolve.bibfiles import read_file

    path.write_text(text, encoding="utf-8")
    diagnostics = Diagnostics()
    return _within(60, lambda: read_file(path, path.read_bytes(), diagnostics)), [d.format() for d in diagnostics]


def test_a_large_bibtex_file_is_read_in_one_pass(tmp_path):
    entries = "".join(f"@book{{key{n},\n  title = {{An Invented Title {n}}},\n  author = {{Nobody, A.}},\n"
                      f"  year = {{2000}}\n}}\n" for n in range(80_000))
    file, found = _bib_file(tmp_path / "big.bib", "@string{pub = {Invented Press}}\n" + entries)
    assert found == [] and len(file.entries) == 80_000
    assert file.entries[-1].key == "key79999" and file.entries[-1].line == 1 + 5 * 79_999 + 1
    from bookmaker.resolve.bibfiles import cited_files

    [(suffix, data)] = cited_files([file], {"key5"})
    assert suffix == ".bib" and data.count(b"@book") == 1 and b"@string{pub" in data


def test_bibtex_that_would_backtrack_or_nest_without_end_is_an_error_at_its_line(tmp_path):
    file, found = _bib_file(tmp_path / "a.bib", "@a{x" * 30_000)
    assert file is None and len(found) == 1 and ":1: error: " in found[0]
    deep = "@book{ok, title = {Fine}}\n\n@book{deep,\n  title = {" + "{" * 10**6 + "x" + "}" * 10**6 + "}\n}\n"
    file, found = _bib_file(tmp_path / "deep.bib", deep)
    assert file is None and found == [f"{tmp_path / 'deep.bib'}:3: error: an entry is nested more than 100 braces "
                                      "deep: simplify it in the reference manager [bibliography-too-deep]"]


def test_a_large_csl_json_file_is_read_in_one_pass_and_a_duplicate_id_reported(tmp_path):
    items = [{"id": f"k{n}", "type": "book", "title": f"Invented {n}"} for n in range(100_000)]
    items.append({"id": "k7", "type": "book", "title": "Invented again"})
    file, found = _bib_file(tmp_path / "big.json", json.dumps(items, indent=1))
    assert len(file.entries) == 100_001 and file.entries[-1].line == 5 * 100_000 + 3
    from bookmaker.core.diagnostics import Diagnostics
    from bookmaker.resolve.bibfiles import cited_files, report_duplicates

    diagnostics = Diagnostics()
    report_duplicates([file], diagnostics)
    assert [d.format() for d in diagnostics] == [f"{tmp_path / 'big.json'}:500003: warning: the key 'k7' is "
                                                 "defined again (first at line 38); the first is used: "
                                                 "remove or rename one [bibliography-key-defined-twice]"]
    [(_, data)] = cited_files([file], {"k7", "k9"})
    assert [item["title"] for item in json.loads(data)] == ["Invented 7", "Invented 9"]


def test_pandoc_runs_under_a_memory_limit(monkeypatch):
    from bookmaker.resolve import citations

    if not citations.pandoc_available():
        pytest.skip("pandoc is not installed")
    style = citations.Style("apa", (citations.CSL_DIR / "apa.csl").read_bytes(), False)
    assert citations._run_pandoc("x [@a]\n", style, [(".json", b'[{"id": "a", "type": "book", "title": "T"}]')])
    monkeypatch.setattr(citations, "PANDOC_MEMORY_BYTES", 20_000_000)  # too little for pandoc to start
    with pytest.raises(citations.CiteprocError):
        citations._run_pandoc("x [@a]\n", style, [(".json", b'[{"id": "a", "type": "book", "title": "T"}]')])


# -- code blocks ------------------------------------------------------------------------------

def test_a_block_pygments_is_too_slow_on_is_printed_plain_with_a_warning(monkeypatch):
    from bookmaker.render import highlight_worker
    from bookmaker.render.highlight import render_code

    # A budget of 1 s instead of 3: the waiting is what is tested, not its length.
    monkeypatch.setattr(highlight_worker, "BUDGET_SECONDS", 1.0)
    monkeypatch.setattr(highlight_worker._WORKER, "too_slow", {})
    problems: list[str] = []
    html = _within(60, lambda: render_code(" " * 3000 + "x\n", "systemd", problems=problems))
    assert problems and "printed without highlighting" in problems[0]
    assert "<span class" not in html.replace('<span class="line">', "")
    ordinary: list[str] = []
    assert '<span class="nb">print</span>' in render_code("print(1)\n", "python", problems=ordinary) and not ordinary
    monkeypatch.setattr(highlight_worker._WORKER, "timeouts", highlight_worker.MAX_TIMEOUTS)
    assert '<span class="nb">' not in render_code("len(1)\n", "python", problems=ordinary)  # a book's waits spent
    assert "already took too long" in ordinary[0]


# -- generated ids ------------------------------------------------------------------------------

def test_generated_ids_keep_their_links_beside_raw_html_and_bibliography_ids_are_valid(tmp_path):
    book = _copy("generated-ids", tmp_path)
    result = run_cli("html", str(book))
    assert result.exit_code == 0 and "warning" not in result.stderr, result.stderr
    page = next((book / "build").glob("*.html")).read_text(encoding="utf-8")
    ids = re.findall(r'\sid="([^"]*)"', page)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert all(re.fullmatch(r"[^\s:]+", i) for i in ids), ids
    assert {"bib-x", "bib-y", "bib-x-1", "bib-y-1", "bib-with-space", "bib-with-tab", "ref-1", "eq-a"} <= set(ids)
    assert 'href="#ref-1"' in page and 'href="#note-1"' in page and 'href="#eq-a"' in page


@pytest.mark.slow
def test_a_reference_to_an_equation_beside_raw_html_prints_its_page(tmp_path):
    book = _copy("generated-ids", tmp_path)
    assert run_cli("pdf", str(book)).exit_code == 0
    text = subprocess.run(["pdftotext", "-layout", str(next((book / "build").glob("*.pdf"))), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert re.search(r"Equation \(1\) on p\. \d", text), text
