"""The long-running commands: `watch` rebuilds on every save, `serve` also previews the HTML in a browser.

Their loops live in watch.py (Watcher) and serve.py (PreviewServer); this module is only their command lines.
"""

from __future__ import annotations

import webbrowser
from pathlib import Path

import click

from bookmaker.build.pipeline import Builder, default_jobs
from bookmaker.build.progress import Reporter
from bookmaker.build.request import BuildRequest
from bookmaker.build.serve import PreviewServer
from bookmaker.build.watch import Watcher
from bookmaker.cli.options import (
    OUTPUT_DIR_OPTION,
    PATH_ARG,
    QUIET_OPTION,
    formats_option,
)
from bookmaker.cli.report import report, reporting


def _console(builder: Builder) -> dict:
    """How a rebuild's problems are printed: the command line's reporting, which carries on after a failure."""
    cwd = Path.cwd()
    return {"guard": lambda: reporting(builder.reporter, cwd, exit_on_error=False),
            "show": lambda diagnostics: report(diagnostics, builder.reporter, cwd)}


@click.command("watch")
@PATH_ARG
@formats_option("A format to rebuild (repeatable; default: [output] formats of bookmaker.toml, or {defaults}).")
@OUTPUT_DIR_OPTION
@QUIET_OPTION
def watch_command(path: Path, formats: tuple[str, ...], output_dir: Path | None, quiet: bool) -> None:
    """Rebuild the book at PATH whenever a chapter, stylesheet, template or bookmaker.toml changes.

    Prints one line per rebuild with its time; Ctrl-C stops.
    """
    builder = Builder(path, Reporter(quiet=quiet))
    builder.jobs = default_jobs()  # an edit lays out again only the parts it changed
    watcher = Watcher(builder, BuildRequest(formats=formats, output_dir=output_dir), quiet=quiet, say=click.echo,
                      **_console(builder))
    if not quiet:
        click.echo(f"Watching {builder.root} (Ctrl-C stops)")
    watcher.run()


@click.command("serve")
@PATH_ARG
@click.option("-p", "--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port on 127.0.0.1 (0 picks a free one).")
@formats_option("Also rebuild this format on every change (repeatable); the preview is the HTML.")
@click.option("--open", "open_browser", is_flag=True, help="Open the preview in the default browser.")
@OUTPUT_DIR_OPTION
@QUIET_OPTION
def serve_command(path: Path, port: int, formats: tuple[str, ...], open_browser: bool, output_dir: Path | None,
                  quiet: bool) -> None:
    """Preview the book at PATH in a browser, reloaded after every rebuild.

    Serves on 127.0.0.1 only. A change in a stylesheet updates the page in place.
    """
    builder = Builder(path, Reporter(quiet=quiet))
    if output_dir is not None and not output_dir.resolve().is_relative_to(builder.root):
        raise click.BadParameter("the preview is served from the book folder: give a folder inside it",
                                 param_hint="--output-dir")
    try:
        server = PreviewServer(builder, port)
    except OSError as exc:
        click.echo(f"bookmaker: cannot listen on 127.0.0.1:{port}: {exc.strerror}: choose another --port", err=True)
        raise SystemExit(2) from None
    request = BuildRequest(formats=("html", *formats), output_dir=output_dir)
    watcher = Watcher(builder, request, on_rebuild=server.rebuilt, quiet=quiet, say=click.echo, **_console(builder))
    url = f"http://127.0.0.1:{server.port}/"

    def ready() -> None:
        # The first build has made (or found) the page: now it can be served.
        if server.page_file is None:
            server.page_file = builder.last_output("html", output_dir)
        server.start()
        click.echo(f"Serving {url} (Ctrl-C stops)")
        if open_browser:
            webbrowser.open(url)

    try:
        watcher.run(ready)
    finally:
        server.stop()
