"""`bookmaker watch`: rebuild when the manuscript, styles, templates or bookmaker.toml change.

The process stays warm: modules (WeasyPrint above all) are imported once, and
bookmaker.toml is parsed again only when it changes. File events come from
watchfiles (inotify and the like, with a polling fallback), which also groups
the burst of events one editor save makes into one change set.
"""

from __future__ import annotations

import datetime
import logging
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

from bookmaker.build.bookfiles import belongs, hidden, inputs
from bookmaker.build.buildstate import inside, last_uses, read_state
from bookmaker.build.pipeline import Builder, BuildResult
from bookmaker.build.request import BuildRequest
from bookmaker.config.bookmaker_toml import CONFIG_NAME
from bookmaker.core.diagnostics import Diagnostics

# Called after each rebuild: its result (None when it failed) and whether only stylesheets changed.
OnRebuild = Callable[[BuildResult | None, bool, Diagnostics | None], None]
# The command line's side, passed in so that building never imports the command line (cli/report.py):
# `guard()` turns what stops a rebuild into printed diagnostics (its `.failed` and `.diagnostics` say what
# happened), `show(diagnostics)` prints a rebuild's warnings.
Guard = Callable[[], AbstractContextManager]
Show = Callable[[Diagnostics], None]


class Watcher:
    def __init__(self, builder: Builder, request: BuildRequest, on_rebuild: OnRebuild | None = None,
                 quiet: bool = False, say: Callable[[str], None] = print, *, guard: Guard, show: Show) -> None:
        self.builder = builder
        self.guard = guard
        self.show = show
        self.request = request
        self.on_rebuild = on_rebuild or (lambda result, css_only, diagnostics: None)
        self.quiet = quiet
        self.say = say  # the CLI passes click.echo
        self.stop_event = threading.Event()
        self.cwd = Path.cwd()
        self.known: set[Path] = set()  # the book's files as last listed (a deleted chapter was one)
        self.uses: set[Path] = set()  # what the last builds read beyond the book's folders (a refs.bib, a .csl)

    def relevant(self, path: Path) -> bool:
        """Is `path` something the outputs are made from?"""
        builder = self.builder
        if not builder.is_folder:
            return path == builder.path
        if builder.config is None:
            return path == builder.root / CONFIG_NAME
        out_dir = builder.output_dir(self.request.output_dir)
        return belongs(path, builder.config, out_dir) or (path in self.uses and not path.is_relative_to(out_dir))

    def remember_uses(self) -> None:
        """The files the last build of each format read beyond the book's folders, from the state file."""
        from bookmaker.build.buildstate import inside, last_uses, read_state

        builder = self.builder
        if not builder.is_folder or builder.config is None:
            return
        state = read_state(builder.output_dir(self.request.output_dir))
        self.uses = {builder.root / name for fmt in state for name in last_uses(state, fmt)
                     if isinstance(name, str) and inside(name)}

    def book_files(self) -> set[Path]:
        """The files the book is made of now: its chapters, stylesheets, templates and bookmaker.toml, and the
        images and other files its last build read (the state file of the output folder)."""
        builder = self.builder
        if not builder.is_folder:
            return {builder.path}
        if builder.config is None:
            return {builder.root / CONFIG_NAME}
        files = set(inputs(builder.config) or []) | {builder.root / CONFIG_NAME}
        state = read_state(builder.output_dir(self.request.output_dir))
        for fmt in state:
            files.update(builder.root / name for name in last_uses(state, fmt) if isinstance(name, str) and inside(name))
        return files

    def named(self, changed: list[Path]) -> list[Path]:
        """Of the files that changed, those of the book (before or after the change): not an editor's
        temporary files (`sedy27955` of sed -i, vim's `4913`, `.#x.md`, `x.md~`, `.x.md.swp`)."""
        known = self.known | self.book_files()
        self.known = known
        root = self.builder.root
        return [p for p in changed if p in known and not (p.is_relative_to(root) and hidden(p, root))]

    def rebuild(self, changed: list[Path], first: bool = False) -> BuildResult | None:
        start = time.perf_counter()
        changed = self.named(changed)
        css_only = bool(changed) and all(p.suffix == ".css" for p in changed)
        result = None
        with self.guard() as guard:
            if any(p.name == CONFIG_NAME for p in changed):
                self.builder.load_config()
            result = self.builder.build(self.request)
            self.show(result.diagnostics)
        self.remember_uses()
        elapsed = time.perf_counter() - start
        stamp = datetime.datetime.now().strftime("%H:%M:%S")
        what = ", ".join(p.name for p in changed[:3]) + (" …" if len(changed) > 3 else "")
        because = f" ({what} changed)" if changed else ""
        if guard.failed:
            line = f"{stamp} build failed{because}, after {elapsed:.2f} s; fix the errors above and save again"
            self.on_rebuild(None, css_only, guard.diagnostics)
        elif result.written:
            names = ", ".join(p.name for p in result.written)
            line = f"{stamp} rebuilt {names} in {elapsed:.2f} s{because}"
            self.on_rebuild(result, css_only, result.diagnostics)
        elif first:
            line = f"{stamp} up to date: {', '.join(p.name for p in result.skipped)}"
        elif not changed:
            line = ""  # only files not of the book changed (an editor's temporary files): nothing to say
        else:
            line = f"{stamp} nothing to rebuild{because}: the sources are as they were"
        if line and (not self.quiet or guard.failed):
            self.say(line)
        return result

    def run(self, ready: Callable[[], None] | None = None) -> None:
        """Build once, then rebuild on every change until stopped (Ctrl-C or `stop_event`).

        The first build starts once the file watcher runs, so no save is missed;
        `ready` is called after it.
        """
        import watchfiles

        # Its own messages ("KeyboardInterrupt caught...") are not for the author.
        logging.getLogger("watchfiles").setLevel(logging.ERROR)
        self.builder.load_config()
        first = True
        while not self.stop_event.is_set():
            folders = self.folders()
            try:
                # Each folder of the book on its own, not recursively: the watcher would follow a link in
                # the book (to / or a folder out of it) and walk whatever it leads to.
                # yield_on_timeout: the first (empty) yield says the watcher is running.
                for changes in watchfiles.watch(*folders, watch_filter=lambda change, p: self.relevant(Path(p)),
                                                debounce=300, step=50, stop_event=self.stop_event, recursive=False,
                                                rust_timeout=1000, yield_on_timeout=True, raise_interrupt=False):
                    changed = sorted({Path(p) for _, p in changes})
                    if first:
                        self.known = self.book_files()
                        self.rebuild(changed, first=True)
                        first = False
                        if ready:
                            ready()
                    elif changed:
                        self.rebuild(changed)
                    if self.folders() != folders:
                        break  # a folder was made or removed: watch the new set
                else:
                    return
            except OSError as exc:  # a folder removed or made unreadable between listing and watching it
                time.sleep(0.2)
                if self.folders() == folders:
                    self.say(f"bookmaker: cannot watch the book's folders: {exc}")
                    return

    def folders(self) -> list[str]:
        """The book folder and every folder in it, links not followed, hidden ones and the outputs left out."""
        import os

        root = self.builder.root if self.builder.is_folder else self.builder.path.parent
        out_dir = self.builder.output_dir(self.request.output_dir) if self.builder.is_folder else None
        found = []
        for folder, subfolders, _files in os.walk(root, followlinks=False):
            subfolders[:] = sorted(d for d in subfolders if not d.startswith(".") and not d.endswith("~")
                                   and not (out_dir is not None and Path(folder, d) == out_dir))
            found.append(folder)
            if len(found) >= 4096 or not self.builder.is_folder:
                break  # a loose file's folder alone; a book of thousands of folders is watched in part
        return found
