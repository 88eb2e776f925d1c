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

