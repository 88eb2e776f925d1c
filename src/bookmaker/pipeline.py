"""One build of a book: its settings, which outputs are out of date, and writing them.

A `Builder` lives as long as the command: `bookmaker build` uses it once,
`watch` and `serve` keep it (and the parsed bookmaker.toml) between rebuilds.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from bookmaker import __version__
from bookmaker.config import CONFIG_NAME, BookConfig, load_config, with_overrides
from bookmaker.diagnostics import BookError, Diagnostics
from bookmaker.model import Book
from bookmaker.progress import Reporter
from bookmaker.settings import DEFAULT_FORMATS

STATE_FILE = ".bookmaker-state.json"
_STAGE = {"html": "writing HTML", "pdf": "laying out the PDF", "epub": "writing the EPUB",
          "kepub": "writing the Kobo EPUB"}
_EXTENSION = {"html": "html", "pdf": "pdf", "epub": "epub", "kepub": "kepub.epub"}


@dataclass
class BuildResult:
    written: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    diagnostics: Diagnostics = field(default_factory=Diagnostics)


class Builder:
    def __init__(self, path: Path, reporter: Reporter | None = None) -> None:
        self.path = path.resolve()
        self.reporter = reporter or Reporter(live=False)
        self.config: BookConfig | None = None
        self.config_diagnostics = Diagnostics()
        # Processes laying out the PDF's parts when a build does not say (`watch` sets one per core:
        # it reuses the parts an edit left unchanged).
        self.jobs = 1

    @property
    def is_folder(self) -> bool:
        return self.path.is_dir()

    @property
    def root(self) -> Path:
        return self.path if self.is_folder else self.path.parent

    def load_config(self) -> BookConfig:
        """Parse bookmaker.toml (again); the builder keeps it, and its diagnostics, until the next call."""
        self.config_diagnostics = Diagnostics()
        self.config = load_config(self.root, self.config_diagnostics) if self.is_folder else BookConfig(root=self.root)
        return self.config

    def formats(self, wanted: list[str] | None = None) -> list[str]:
        return list(wanted) if wanted else (self.config.output.formats if self.config else list(DEFAULT_FORMATS))

    def output_dir(self, override: Path | None = None) -> Path:
        if override is not None:
            return override.absolute()
        return (self.root / (self.config.output.dir if self.config else "build")).absolute()

    def build(self, formats: list[str] | None = None, output_dir: Path | None = None, force: bool = False,
              print_overrides: dict | None = None, targets: dict[str, Path] | None = None,
              epub_overrides: dict | None = None, note_numbering: str | None = None, strict: bool = False,
              allow_remote: bool = False, extra_formats: tuple[str, ...] = (), jobs: int | None = None) -> BuildResult:
        """Write the wanted formats (default: the configured ones); raise BookError on errors.

        `jobs`: processes laying out the PDF's parts (None: the builder's `jobs`; 1: the book as one document).

        `targets` names the file of a format (`bookmaker pdf -o x.pdf`); such a
        format is always written, and not remembered for the skip check.
        """
        from bookmaker.output import check_book_target, is_stdout

        targets = {fmt: path if is_stdout(path) else path.absolute()
                   for fmt, path in (targets or {}).items() if path is not None}
        from bookmaker.reader import read_book

        result = BuildResult(diagnostics=Diagnostics(strict=strict))
        diagnostics = result.diagnostics
        if self.config is None:
            self.load_config()
        diagnostics.extend(self.config_diagnostics)
        if diagnostics.has_errors:
            raise BookError(diagnostics)
        config = self.config
        out_dir = self.output_dir(output_dir)
        # The HTML first: the PDF then reuses it instead of rendering it again.
        # `extra_formats` add to the wanted or configured ones (`build --kepub`).
        formats = sorted({*self.formats(formats), *extra_formats}, key=("html", "pdf", "epub", "kepub").index)
        into_out_dir = any(fmt not in targets for fmt in formats)
        if output_dir is None and into_out_dir and not out_dir.resolve().is_relative_to(self.root):
            # bookmaker.toml's dir was checked when read; a link (build/ -> elsewhere) may be made at any time.
            diagnostics.error(out_dir, None, "the output folder is a link to a folder outside the book: "
                                             "remove the link, or give the folder with -o")
            raise BookError(diagnostics)
        print_options = with_overrides(config.pdf, print_overrides)
        epub_options = with_overrides(config.epub, epub_overrides)
        note_numbering = note_numbering or config.notes.numbering
        state = _read_state(out_dir)
        settings = {fmt: print_options if fmt in ("html", "pdf") else epub_options for fmt in formats}
        inputs = self._input_signature(out_dir)

        def fingerprint(fmt: str, uses: list[str]) -> str | None:
            return self._fingerprint(fmt, out_dir, settings[fmt], note_numbering, inputs, uses)

        todo = []
        for fmt in formats:
            last_fingerprint, target = _last_build(state, fmt, out_dir)
            known = state.get(fmt)
            uses = known.get("uses", []) if isinstance(known, dict) else []
            current = fingerprint(fmt, uses if isinstance(uses, list) else [])
            if (not force and fmt not in targets and current is not None and last_fingerprint == current
                    and target is not None and target.is_file()):
                result.skipped.append(target)
            else:
                todo.append(fmt)
        if not todo:
            return result

        with self.reporter.stage("reading"):
            try:
                book, read_diagnostics = read_book(self.path, config, self.reporter.chapter, note_numbering,
                                                   Diagnostics(strict=strict), allow_remote)
            except BookError as exc:
                diagnostics.extend(exc.diagnostics)
                raise BookError(diagnostics) from None
        diagnostics.extend(read_diagnostics)
        # A single file is named after itself: notes that share a heading must not overwrite each other.
        name = config.output.name or _file_stem(self.path.stem if self.path.is_file() else book.slug)
        where = {fmt: targets.get(fmt) or out_dir / f"{name}.{_EXTENSION[fmt]}" for fmt in todo}
        for fmt, target in where.items():
            if fmt in targets and target.is_dir():  # `pdf -o some-folder`: the default name in that folder
                where[fmt] = target / f"{name}.{_EXTENSION[fmt]}"
            elif fmt not in targets:
                check_book_target(target, self.root)
        html_text: str | None = None

        def write(fmt: str, into: Diagnostics) -> None:
            nonlocal html_text
            target = where[fmt]
            if fmt == "html":
                from bookmaker.writers.html import write_html

                html_text = write_html(book, target, print_options)
            elif fmt == "pdf":
                from bookmaker.writers.pdf import write_pdf

                # When the HTML and the PDF share a folder, the PDF reuses the rendered HTML as is.
                same_folder = "html" in where and where["html"].parent == target.parent
                write_pdf(book, target, into, print_options, html=html_text if same_folder else None,
                          jobs=self.jobs if jobs is None else jobs, progress=self.reporter.parts)
            else:
                from bookmaker.writers.epub import write_epub

                write_epub(book, target, into, dataclasses.replace(epub_options, kepub=fmt == "kepub"))

        # Laying out the PDF takes one core for seconds; the EPUB is written on the
        # other meanwhile, from the same model (a forked process shares it as is).
        ebooks = [fmt for fmt in todo if fmt in ("epub", "kepub")]
        background = None
        if "pdf" in todo and ebooks and _can_fork():
            background = _Background(lambda into: [write(fmt, into) for fmt in ebooks], strict)
        done: list[str] = []
        try:
            for fmt in todo:
                if background is None or fmt not in ebooks:
                    with self.reporter.stage(_STAGE[fmt]):
                        write(fmt, diagnostics)
                    done.append(fmt)
        except BookError as exc:
            # Each output is replaced whole or not at all, but one failed format does not undo the
            # others: say which of this build's outputs were written and which were not.
            if exc.diagnostics is not diagnostics:
                diagnostics.extend(exc.diagnostics)
            if background is not None:
                try:
                    background.join(Diagnostics())
                    done.extend(ebooks)
                except (BookError, RuntimeError):
                    pass
            self.reporter.clear()
            if done:
                missing = [fmt for fmt in todo if fmt not in done]
                written = ", ".join(_shown(where[fmt], Path.cwd()) for fmt in done)
                names = " and ".join(f"the {_STAGE[fmt].split()[-1]}" for fmt in missing)
                diagnostics.error(where[missing[0]], None, f"{names} {'was' if len(missing) == 1 else 'were'} not "
                                                           f"written because of the errors above; written all the "
                                                           f"same: {written}")
            raise BookError(diagnostics) from None
        if background is not None:
            with self.reporter.stage(_STAGE[ebooks[0]]):
                background.join(diagnostics)
        uses = _used_files(book)
        for fmt in todo:
            result.written.append(where[fmt])
            if inputs is not None and fmt not in targets:
                state[fmt] = {"fingerprint": fingerprint(fmt, uses), "target": str(where[fmt]), "uses": uses}
        self.reporter.clear()
        if diagnostics.has_errors:  # --strict, and a writer warned
            raise BookError(diagnostics)
        if inputs is not None and any(fmt not in targets for fmt in todo):
            _write_state(out_dir, state)
        return result

    def last_output(self, fmt: str, output_dir: Path | None = None) -> Path | None:
        """Where the last successful build wrote `fmt`, if it did."""
        out_dir = self.output_dir(output_dir)
        return _last_build(_read_state(out_dir), fmt, out_dir)[1]

    # -- what an output depends on -------------------------------------------

    def inputs(self) -> list[Path] | None:
        """The files a book folder's outputs are made from that are known before reading it: bookmaker.toml,
        the chapter files, stylesheets and templates (empty for a single Markdown file; None when the
        book's folders cannot be listed). The images, cover and fonts are known after reading (`_used_files`)."""
        if not self.is_folder or self.config is None:
            return []
        from bookmaker.sources import locate

        try:
            sources = locate(self.path, self.config, Diagnostics())
        except BookError:
            return None
        files = [self.root / CONFIG_NAME] if (self.root / CONFIG_NAME).is_file() else []
        files += sources.chapters + sources.styles
        if sources.templates is not None:
            files.extend(p for p in sources.templates.rglob("*") if not _hidden(p, sources.templates))
        return sorted(set(files))

    def _input_signature(self, out_dir: Path) -> list | None:
        """What the skip check compares, read from the file system's records alone: nothing is opened,
        so a huge, endless (/dev/zero) or unreadable file costs nothing here; the reader judges it."""
        if not self.is_folder:
            return None  # a loose file's images may be anywhere beside it: always rebuild
        files = self.inputs()
        if files is None:
            return None
        return [_stat_signature(path, self.root) for path in files if not path.is_relative_to(out_dir)]

    def _fingerprint(self, fmt: str, out_dir: Path, options, note_numbering: str, inputs: list | None,
                     uses: list[str]) -> str | None:
        if inputs is None:
            return None
        used = [_stat_signature(self.root / name, self.root) for name in uses
                if isinstance(name, str) and _inside(self.root, name)]
        settings = [__version__, fmt, str(out_dir), dataclasses.asdict(options), note_numbering, inputs, used]
        return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()


def _used_files(book: Book) -> list[str]:
    """The files inside the book a build read beyond `Builder.inputs`: images, the cover, what stylesheets name."""
    names = [image.src for image in book.images if image.data is None]
    if book.metadata.cover:
        names.append(book.metadata.cover)
    return sorted(set(names + book.style_resources))


def _inside(root: Path, name: str) -> bool:
    # The state file sits in the output folder, which may be inside the (untrusted) book.
    import os

    return not os.path.isabs(name) and ".." not in Path(name).parts and "\0" not in name


def _stat_signature(path: Path, root: Path) -> list:
    """Name, size and modification time of a file (following links), or its name alone when it is gone."""
    try:
        info = path.stat()
    except (OSError, ValueError):
        return [str(path.relative_to(root))]
    return [str(path.relative_to(root)), info.st_size, info.st_mtime_ns, info.st_ino]


def default_jobs() -> int:
    """One layout process per core this process may use."""
    import os

    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _file_stem(slug: str, max_bytes: int = 120) -> str:
    """The title's slug cut at a word to fit a file name: 255 bytes, with room for `.kepub.epub`
    and a temporary suffix."""
    if len(slug.encode()) <= max_bytes:
        return slug
    cut = slug.encode()[:max_bytes].decode(errors="ignore")
    return cut.rsplit("-", 1)[0] if "-" in cut else cut


def _can_fork() -> bool:
    import os
    import sys

    return hasattr(os, "fork") and sys.platform == "linux" and os.environ.get("BOOKMAKER_SERIAL") is None


class _Background:
    """Work done in a forked child process; its diagnostics (and failure) come back through a pipe."""

    def __init__(self, work, strict: bool) -> None:
        import multiprocessing

        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(target=_child, args=(work, send, strict), daemon=True)
        self._process.start()
        send.close()

    def join(self, diagnostics: Diagnostics) -> None:
        """Wait for the child; its diagnostics join `diagnostics`; its failure is raised here."""
        try:
            child_diagnostics, failure = self._receive.recv()
        except EOFError:  # the child died without a word (killed, out of memory)
            child_diagnostics, failure = Diagnostics(), ("internal", "the EPUB writer's process stopped unexpectedly")
        finally:
            self._process.join()
        diagnostics.extend(child_diagnostics)
        if failure is None:
            return
        kind, message = failure
        if kind == "book":
            raise BookError(diagnostics)
        if kind == "interrupt":
            raise KeyboardInterrupt
        raise RuntimeError(message)


def _child(work, send, strict: bool) -> None:
    _die_with_parent()
    diagnostics = Diagnostics(strict=strict)
    failure = None
    try:
        work(diagnostics)
    except BookError as exc:
        diagnostics = exc.diagnostics
        failure = ("book", "")
    except KeyboardInterrupt:
        failure = ("interrupt", "")
    except Exception as exc:  # reported by the parent like any other bug
        failure = ("internal", f"{type(exc).__name__}: {exc}")
    send.send((diagnostics, failure))
    send.close()


def _die_with_parent() -> None:
    """A build killed halfway must not leave its child finishing an output on its own."""
    import ctypes
    import signal

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _hidden(path: Path, folder: Path) -> bool:
    # Editors' swap and backup files are not part of the book.
    return any(part.startswith(".") or part.endswith("~") for part in path.relative_to(folder).parts)


def _read_state(out_dir: Path) -> dict:
    import stat

    path = out_dir / STATE_FILE
    try:
        # Only a small regular file: a pipe or a link to /dev/zero of that name may have come with the book.
        info = path.lstat()
        if not stat.S_ISREG(info.st_mode) or info.st_size > 1_000_000:
            return {}
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def _last_build(state: dict, fmt: str, out_dir: Path) -> tuple[str | None, Path | None]:
    """The fingerprint and the output of the last build of `fmt`, from the state file.

    The state file may have come with the book: only an output in the output folder is taken."""
    known = state.get(fmt)
    if not isinstance(known, dict):
        return None, None
    target = known.get("target")
    if not isinstance(target, str) or "\0" in target or Path(target).parent != out_dir:
        target = None
    fingerprint = known.get("fingerprint")
    return (fingerprint if isinstance(fingerprint, str) else None), (Path(target) if target else None)


def _write_state(out_dir: Path, state: dict) -> None:
    target = out_dir / STATE_FILE
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        # Replaced, never written through: a link or a pipe of that name may have come with the book.
        if target.is_symlink() or (target.exists() and not target.is_file()):
            target.unlink()
        target.write_text(json.dumps(state, indent=1), encoding="utf-8")
    except OSError:
        pass  # the outputs are written; only the next build's skip check is lost


def run_build(path: Path, formats: list[str], output_dir: Path | None, force: bool, quiet: bool, verbose: bool,
              print_overrides: dict | None = None, targets: dict[str, Path] | None = None,
              epub_overrides: dict | None = None, note_numbering: str | None = None, strict: bool = False,
              allow_remote: bool = False, extra_formats: tuple[str, ...] = (), jobs: int | None = None) -> None:
    """`bookmaker build`: print what was written or skipped, every diagnostic, and exit like the other commands."""
    import sys

    import click

    from bookmaker.output import is_stdout

    reporter = Reporter(quiet=quiet, verbose=verbose)
    cwd = Path.cwd()
    builder = Builder(path, reporter)
    with reporting(reporter, cwd):
        result = builder.build(formats or None, output_dir, force, print_overrides, targets, epub_overrides,
                               note_numbering, strict, allow_remote, extra_formats, jobs)
        report(result.diagnostics, reporter, cwd)
        if not quiet:
            for target in result.written:
                if not is_stdout(target):  # standard output holds the book itself
                    click.echo(_shown(target, cwd))
        for target in result.skipped:
            reporter.info(f"{_shown(target, cwd)}: up to date, nothing it is made from changed (--force rebuilds it)")
    sys.exit(0)


def run_check(path: Path, strict: bool, allow_remote: bool) -> None:
    """`bookmaker check`: every check of a build (config, manuscript, resources), and nothing written."""
    import sys

    from bookmaker.reader import read_book

    reporter = Reporter(quiet=False, verbose=False)
    cwd = Path.cwd()
    builder = Builder(path, reporter)
    with reporting(reporter, cwd):
        config = builder.load_config()
        diagnostics = Diagnostics(strict=strict)
        diagnostics.extend(builder.config_diagnostics)
        if not diagnostics.has_errors:
            try:
                book, read_diagnostics = read_book(builder.path, config, None, config.notes.numbering,
                                                   Diagnostics(strict=strict), allow_remote)
                diagnostics.extend(read_diagnostics)
                if book.templates is not None and not diagnostics.has_errors:
                    diagnostics.extend(_check_templates(book))
            except BookError as exc:
                diagnostics.extend(exc.diagnostics)
        if diagnostics.has_errors:
            raise BookError(diagnostics)
        report(diagnostics, reporter, cwd)
    sys.exit(0)


def _check_templates(book: Book) -> Diagnostics:
    """The book's templates compiled, and the HTML book rendered from them in memory: what a build would find."""
    from bookmaker.policy import policy_for
    from bookmaker.templating import compile_errors
    from bookmaker.theme import environment
    from bookmaker.writers.html import render_html

    diagnostics = compile_errors(environment(book.templates, policy_for(book)), book.templates)
    if not diagnostics.has_errors:
        try:
            render_html(book, book.root)
        except BookError as exc:
            diagnostics.extend(exc.diagnostics)
    return diagnostics


def _shown(path: Path, cwd: Path) -> str:
    try:
        return str(path.relative_to(cwd))
    except ValueError:
        return str(path)


def report(diagnostics: Diagnostics, reporter: Reporter, cwd: Path) -> None:
    """Print the diagnostics (only the errors under -q) and their count."""
    import click

    from bookmaker.diagnostics import Severity

    reporter.clear()
    shown = [d for d in diagnostics if not reporter.quiet or d.severity is Severity.ERROR]
    for diagnostic in shown:
        click.echo(diagnostic.format(relative_to=cwd), err=True)
    if shown:
        click.echo(f"bookmaker: {diagnostics.summary()}", err=True)


class reporting:
    """Turn what stops a build into the CLI's printed diagnostics and exit codes, never a traceback."""

    def __init__(self, reporter: Reporter, cwd: Path, exit_on_error: bool = True) -> None:
        self.reporter = reporter
        self.cwd = cwd
        self.exit_on_error = exit_on_error
        self.failed = False
        self.diagnostics: Diagnostics | None = None

    def __enter__(self) -> reporting:
        return self

    def __exit__(self, kind, exc, tb) -> bool:
        import os
        import sys
        import traceback

        import click

        from bookmaker.text import printable

        if exc is None or isinstance(exc, SystemExit):
            return False
        self.reporter.clear()
        self.failed = True
        if isinstance(exc, BookError):
            self.diagnostics = exc.diagnostics
            report(exc.diagnostics, self.reporter, self.cwd)
            code = 1
        elif isinstance(exc, KeyboardInterrupt):
            click.echo("bookmaker: interrupted; no output was changed", err=True)
            code = 130
        else:
            if os.environ.get("BOOKMAKER_DEBUG"):
                traceback.print_exception(kind, exc, tb)
            click.echo(
                f"bookmaker: internal error: {kind.__name__}: {printable(str(exc))}\n"
                "This is a bug in bookmaker. Run again with BOOKMAKER_DEBUG=1 for details and report it.",
                err=True,
            )
            code = 3
        if self.exit_on_error or code == 130:
            sys.exit(code)
        return True  # watch and serve carry on after a failed rebuild
