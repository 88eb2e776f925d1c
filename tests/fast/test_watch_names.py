"""`watch` names only the files of the book that changed (issue 26): not an editor's temporary files,
which an editor's save writes beside the chapter ("05.md, sedy27955 changed" was printed)."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from bookmaker.build.pipeline import Builder, BuildResult
from bookmaker.build.progress import Reporter
from bookmaker.build.request import BuildRequest
from bookmaker.build.watch import Watcher

# sed -i, vim's write test and swap, emacs' lock and autosave, a backup, JetBrains' safe write, Kate's swap.
LEFTOVERS = ["sedy27955", "4913", ".05.md.swp", ".#05.md", "#05.md#", "05.md~", "05.md___jb_tmp___",
             ".05.md.kate-swp"]


def _watcher(tmp_path: Path) -> tuple[Watcher, Path, list[str]]:
    root = tmp_path.resolve() / "book"
    (root / "manuscript" / "images").mkdir(parents=True)
    (root / "manuscript" / "05.md").write_text("# Five\n\n![A map](images/map.png)\n")
    (root / "manuscript" / "images" / "map.png").write_bytes(b"\x89PNG")
    (root / "styles").mkdir()
    (root / "styles" / "book.css").write_text("p { margin: 0 }\n")
    (root / "bookmaker.toml").write_text('[book]\ntitle = "T"\n')
    # What the last build read beyond the chapters: the image (the state file of the output folder).
    (root / "build").mkdir()
    (root / "build" / ".bookmaker-state.json").write_text(json.dumps(
        {"pdf": {"fingerprint": "x", "target": str(root / "build" / "t.pdf"), "uses": ["manuscript/images/map.png"]}}))
    for name in LEFTOVERS:
        (root / "manuscript" / name).write_text("an editor's\n")
    said: list[str] = []
    builder = Builder(root, Reporter(quiet=True))
    builder.load_config()
    watcher = Watcher(builder, BuildRequest(), say=said.append, guard=_Guard, show=lambda diagnostics: None)
    return watcher, root, said


class _Guard(contextlib.AbstractContextManager):
    failed = False
    diagnostics = None

    def __exit__(self, *exc) -> bool:
        return False


def test_watch_names_the_book_files_and_not_an_editors_temporary_files(tmp_path):
    watcher, root, said = _watcher(tmp_path)
    manuscript = root / "manuscript"
    changed = sorted([manuscript / "05.md", *(manuscript / name for name in LEFTOVERS),
                      manuscript / "images" / "map.png", root / "styles" / "book.css"])
    assert watcher.named(changed) == sorted([manuscript / "05.md", manuscript / "images" / "map.png",
                                             root / "styles" / "book.css"])
    watcher.builder.build = lambda request: BuildResult(written=[root / "build" / "t.pdf"])
    watcher.rebuild(changed)
    assert len(said) == 1 and said[0].endswith("(05.md, map.png, book.css changed)"), said


def test_a_deleted_chapter_is_named_and_a_save_of_temporary_files_alone_says_nothing(tmp_path):
    watcher, root, said = _watcher(tmp_path)
    watcher.known = watcher.book_files()
    chapter = root / "manuscript" / "05.md"
    chapter.unlink()
    assert watcher.named([chapter, root / "manuscript" / "sedy27955"]) == [chapter]
    watcher.builder.build = lambda request: BuildResult()
    watcher.rebuild([root / "manuscript" / "sedy27955", root / "manuscript" / "4913"])
    assert said == []
