"""Starting a book: `bookmaker init` and `bookmaker theme export`.

Both copy files from the package into the book and never overwrite one: an
author's file is worth more than a starter file.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import click

from bookmaker.theme import THEME_DIR

STARTER_DIR = Path(__file__).parent.parent / "starter"
# Packaged under a name setuptools does not skip; written under its real name.
_RENAMED = {"gitignore": ".gitignore"}


def starter_files() -> dict[Path, Path]:
    """Book-relative path -> the packaged file it is made from."""
    files = {}
    for source in sorted(STARTER_DIR.rglob("*")):
        if source.is_file() and "__pycache__" not in source.parts:
            relative = source.relative_to(STARTER_DIR)
            files[relative.with_name(_RENAMED.get(relative.name, relative.name))] = source
    return files


def theme_files() -> dict[Path, Path]:
    files = {}
    for folder in ("templates", "styles"):
        for source in sorted((THEME_DIR / folder).rglob("*")):
            if source.is_file() and source.suffix in (".html", ".xhtml", ".css"):
                files[source.relative_to(THEME_DIR)] = source
    return files


def existing(root: Path, files: dict[Path, Path]) -> list[Path]:
    # A link counts as a file in the way even when it leads nowhere: writing would follow it.
    return [root / relative for relative in files if os.path.lexists(root / relative)]


def linked_out(root: Path, files: dict[Path, Path]) -> list[Path]:
    """The folders on the way to `files` that are links leading out of the book at `root`."""
    book = root.resolve()
    found = []
    for relative in files:
        for depth in range(1, len(relative.parts)):
            folder = root.joinpath(*relative.parts[:depth])
            if folder not in found and folder.is_symlink() and not folder.resolve().is_relative_to(book):
                found.append(folder)
    return found


def create_book(root: Path, title: str | None = None) -> list[Path]:
    """Write a starter book into `root`; the caller has checked that nothing would be overwritten."""
    title = title or root.resolve().name.replace("-", " ").replace("_", " ").strip().title() or "My Book"
    written = []
    for relative, source in starter_files().items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        text = source.read_text(encoding="utf-8")
        if relative.name == "bookmaker.toml":
            # json.dumps gives a valid TOML basic string for any title.
            text = text.replace('"@TITLE@"', json.dumps(title, ensure_ascii=False))
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written


def copy_files(root: Path, files: dict[Path, Path]) -> list[Path]:
    written = []
    for relative, source in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        written.append(target)
    return written


def _refuse(root: Path, clash: list[Path], what: str) -> None:
    for path in clash:
        click.echo(f"{_shown(path)}: error: already exists; bookmaker {what} never overwrites a file: "
                   "move it away or choose another folder", err=True)
    click.echo(f"bookmaker: nothing written ({len(clash)} file{'s' if len(clash) != 1 else ''} in the way)", err=True)
    sys.exit(1)


def _refuse_links(root: Path, files: dict[Path, Path]) -> None:
    links = linked_out(root, files)
    for folder in links:
        click.echo(f"{_shown(folder)}: error: is a link to a folder outside the book: bookmaker writes only "
                   "inside the book; replace the link with a folder", err=True)
    if links:
        click.echo("bookmaker: nothing written", err=True)
        sys.exit(1)


def _shown(path: Path) -> str:
    try:
        # The folder resolved, not the file: a link is shown where it is, not where it leads.
        return str((path.parent.resolve() / path.name).relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


@click.command("init")
@click.argument("directory", type=click.Path(path_type=Path), default=Path("."), required=False)
@click.option("--title", default=None, help="The book's title (default: from the folder's name).")
def init_command(directory: Path, title: str | None) -> None:
    """Start a new book in DIRECTORY (default: the current folder).

    Writes bookmaker.toml, two sample chapters in manuscript/, stylesheets in
    styles/ and a .gitignore; refuses to overwrite any file.
    """
    if directory.exists() and not directory.is_dir():
        click.echo(f"{directory}: error: not a folder: give a new or existing folder", err=True)
        sys.exit(1)
    _refuse_links(directory, starter_files())
    clash = existing(directory, starter_files())
    if clash:
        _refuse(directory, clash, "init")
    written = create_book(directory, title)
    for path in written:
        click.echo(_shown(path))
    where = "" if directory.resolve() == Path.cwd().resolve() else f"cd {directory} && "
    click.echo(f"A new book. Next: {where}bookmaker build  (or: bookmaker serve)", err=True)


@click.group("theme")
def theme_group() -> None:
    """The theme: templates and stylesheets."""


@theme_group.command("export")
@click.argument("path", type=click.Path(path_type=Path, file_okay=False), default=Path("."), required=False)
def export_command(path: Path) -> None:
    """Copy the default theme's templates/ and styles/ into the book at PATH to customise.

    A copied file replaces the default of the same name; refuses to overwrite any file.
    """
    from bookmaker.config.bookmaker_toml import load_config
    from bookmaker.core.diagnostics import Diagnostics

    diagnostics = Diagnostics()
    config = load_config(path, diagnostics)
    if diagnostics.has_errors:
        for diagnostic in diagnostics:
            click.echo(diagnostic.format(relative_to=Path.cwd()), err=True)
        click.echo(f"bookmaker: nothing written: {diagnostics.summary()}", err=True)
        sys.exit(1)
    files = {}
    for relative, source in theme_files().items():
        folder = config.theme.templates if relative.parts[0] == "templates" else config.theme.styles
        files[Path(folder, *relative.parts[1:])] = source
    _refuse_links(path, files)
    clash = existing(path, files)
    if clash:
        _refuse(path, clash, "theme export")
    for written in copy_files(path, files):
        click.echo(_shown(written))
