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

from bookmaker.build.bookfiles import belongs
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

    def relevant(self, path: Path) -> bool:
        """Is `path` something the outputs are made from?"""
        builder = self.builder
        if not builder.is_folder:
            return path == builder.path
        if builder.config is None:
            return path == builder.root / CONFIG_NAME
        return belongs(path, builder.config, builder.output_dir(self.request.output_dir))

    def rebuild(self, changed: list[Path], first: bool = False) -> BuildResult | None:
        start = time.perf_counter()
        css_only = bool(changed) and all(p.suffix == ".css" for p in changed)
        result = None
        with self.guard() as guard:
            if any(p.name == CONFIG_NAME for p in changed):
                self.builder.load_config()
            result = self.builder.build(self.request)
            self.show(result.diagnostics)
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
        else:
            line = f"{stamp} nothing to rebuild{because}: the sources are as they were"
        if not self.quiet or guard.failed:
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
        # yield_on_timeout: the first (empty) yield says the watcher is running.
        for changes in watchfiles.watch(self.builder.root, watch_filter=lambda change, p: self.relevant(Path(p)),
                                        debounce=300, step=50, stop_event=self.stop_event,
                                        rust_timeout=1000, yield_on_timeout=True, raise_interrupt=False):
            changed = sorted({Path(p) for _, p in changes})
            if first:
                self.rebuild(changed, first=True)
                first = False
                if ready:
                    ready()
            elif changed:
                self.rebuild(changed)
