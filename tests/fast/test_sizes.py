"""No class in bookmaker over 200 lines: a class that large holds several concerns, each of which
wants a module of its own (as the reader's did before read/)."""

from __future__ import annotations

import ast
from pathlib import Path

import bookmaker

PACKAGE = Path(bookmaker.__file__).parent
MAX_CLASS_LINES = 200


def class_sizes(package: Path = PACKAGE) -> dict[str, int]:
    """Each class of the package, as `module.Class` (nested: `module.Outer.Inner`), and its length in lines."""
    sizes: dict[str, int] = {}
    for path in sorted(package.rglob("*.py")):
        module = ".".join(path.relative_to(package).with_suffix("").parts)

        def visit(node: ast.AST, prefix: str) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.ClassDef):
                    name = f"{prefix}.{child.name}"
                    sizes[name] = child.end_lineno - child.lineno + 1
                    visit(child, name)
                else:
                    visit(child, prefix)

        visit(ast.parse(path.read_text(encoding="utf-8")), module)
    return sizes


def test_class_sizes_are_measured(tmp_path):
    (tmp_path / "small.py").write_text("class A:\n    x = 1\n\n\nclass B:\n    class C:\n        pass\n")
    assert class_sizes(tmp_path) == {"small.A": 2, "small.B": 3, "small.B.C": 2}


def test_no_class_over_200_lines():
    too_large = {name: lines for name, lines in class_sizes().items() if lines > MAX_CLASS_LINES}
    assert not too_large, f"classes over {MAX_CLASS_LINES} lines: {too_large}: split each by concern"



MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
# The exceptions, each with why. A function listed here may shrink, never grow past its number.
LONG_FUNCTIONS = {
    # The order of one build's steps (settings, skip check, read, each writer), read top to bottom.
    "build.pipeline.Builder._build": 68,
    # The EPUB's package assembled in order: chapters, notes, navigation, resources, metadata.
    "writers.epub.writer.write_epub": 96,
    # The HTML document's template context, one key per line.
    "writers.html.render_html": 71,
    # One allow-list walk over an element's attributes, each attribute's rule beside it.
    "safety.sanitize._attributes": 62,
    # The faces of all parts joined into one dictionary each: widths, ToUnicode and descendants together.
    "writers.pdf.merge_fonts.share_font_dicts": 61,
    # The notes' pieces laid out one after another: one loop with its state, split it would pass it around.
    "writers.pdf.notes.chain._chain": 76,
    # The pool's event loop for one wave: reports, answers and progress interleave.
    "writers.pdf.parts.waves.lay_out_wave": 62,
}
LONG_MODULES = {
}


def function_sizes(package: Path = PACKAGE) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for path in sorted(package.rglob("*.py")):
        module = ".".join(path.relative_to(package).with_suffix("").parts).removesuffix(".__init__")

        def visit(node: ast.AST, prefix: str) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    name = f"{prefix}.{child.name}"
                    if not isinstance(child, ast.ClassDef):
                        sizes[name] = child.end_lineno - child.lineno + 1
                    visit(child, name)
                else:
                    visit(child, prefix)

        visit(ast.parse(path.read_text(encoding="utf-8")), module)
    return sizes


def test_function_sizes_are_measured(tmp_path):
    (tmp_path / "small.py").write_text("def f():\n    return 1\n\n\nclass A:\n    def g(self):\n        pass\n")
    assert function_sizes(tmp_path) == {"small.f": 2, "small.A.g": 2}


def test_no_function_over_60_lines_but_the_listed_ones():
    too_long = {name: n for name, n in function_sizes().items()
                if n > LONG_FUNCTIONS.get(name, MAX_FUNCTION_LINES)}
    assert not too_long, f"functions over {MAX_FUNCTION_LINES} lines: {too_long}: split them"


def test_no_module_over_400_lines_but_the_listed_ones():
    sizes = {".".join(p.relative_to(PACKAGE).with_suffix("").parts): len(p.read_text().splitlines())
             for p in PACKAGE.rglob("*.py")}
    too_long = {name: n for name, n in sizes.items() if n > LONG_MODULES.get(name, MAX_MODULE_LINES)}
    assert not too_long, f"modules over {MAX_MODULE_LINES} lines: {too_long}: split them by concern"
