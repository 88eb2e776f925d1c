"""The packages are layers in pipeline order, and an import only goes down them: a writer never parses
Markdown, the reader never asks a writer, building never asks the command line. At most six modules stand
directly in src/bookmaker/."""

from __future__ import annotations

from test_imports import PACKAGE, import_graph

# Lowest first. A module may import its own layer and those listed before it. model and formats are the
# one document model and the format table every stage names; theme is the installed theme (data).
LAYERS = ["core", "config", "safety", "markdown", "render", "model", "formats", "theme", "resolve", "read",
          "writers", "build", "cli", "__main__"]
# The exception, with why: the format table (formats.py) is read by config/settings.py to know each format's
# options section; the table imports nothing of the layers above config (the model only for type checkers).
ALLOWED_UPWARD = {("config", "formats")}
MAX_TOP_LEVEL_MODULES = 6


def layer_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "core"  # `bookmaker` itself holds only __version__


def test_every_package_is_a_layer() -> None:
    assert {layer_of(m) for m in import_graph()} <= set(LAYERS)


def test_imports_go_down_the_layers() -> None:
    wrong = []
    for module, imported in import_graph().items():
        here = LAYERS.index(layer_of(module))
        for target in imported:
            there = layer_of(target)
            if LAYERS.index(there) > here and (layer_of(module), there) not in ALLOWED_UPWARD:
                wrong.append(f"{module} -> {target}")
    assert not wrong, f"imports going up the layers {LAYERS}: {sorted(wrong)}"


def test_the_check_sees_an_upward_import() -> None:
    graph = import_graph()
    assert any(layer_of(t) == "read" for t in graph["bookmaker.build.pipeline"])  # build -> read: down, allowed
    assert LAYERS.index("writers") > LAYERS.index("read")  # so a read -> writers import would be reported


def test_few_modules_at_the_top() -> None:
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL_MODULES, top
