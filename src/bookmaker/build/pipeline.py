"""One build of a book: its settings, which outputs are out of date, and writing them.

A `Builder` lives as long as the command: `bookmaker build` uses it once,
`watch` and `serve` keep it (and the parsed bookmaker.toml) between rebuilds.
It returns what it did, or raises BookError with every problem found; it never
prints nor exits: the command line (cli/) does.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from bookmaker import __version__
from bookmaker.build.buildstate import inside, last_build, last_uses, read_state, stat_signature, used_files, write_state
from bookmaker.config.bookmaker_toml import BookConfig, load_config, with_overrides
from bookmaker.core.diagnostics import BookError, Diagnostics
from bookmaker.formats import FORMATS, WriteContext, build_order
from bookmaker.model import Book
from bookmaker.build.progress import Reporter
from bookmaker.build.request import BuildRequest
from bookmaker.core.paths import loops, real_path


@dataclass
class BuildResult:
    written: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)  # up to date: nothing they are made from changed
    diagnostics: Diagnostics = field(default_factory=Diagnostics)


class Builder:
    def __init__(self, path: Path, reporter: Reporter | None = None) -> None:
        self.path = real_path(path)
        self.reporter = reporter or Reporter(live=False)
        self.config: BookConfig | None = None
        self.config_diagnostics = Diagnostics()
        # Processes laying out the PDF's parts when a build does not say (`watch` sets one per core:
        # it reuses the parts an edit left unchanged).
        self.jobs = 1
        self.font_lines: list[str] = []  # `check`: which face sets each script of the book (font_coverage.py)
        self.checked_book: Book | None = None  # the book `check` read, for `check --accessibility`

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

    def output_dir(self, override: Path | None = None) -> Path:
        if override is not None:
            return override.absolute()
        return (self.root / (self.config.output.dir if self.config else "build")).absolute()

    def ignored(self, request: BuildRequest) -> BuildRequest:
        """The request with the codes bookmaker.toml silences added to those of the command line."""
        from dataclasses import replace

        if self.config is None:
            self.load_config()
        configured = getattr(getattr(self.config, "diagnostics", None), "ignore", None) or []
        return replace(request, ignore=request.ignore | set(configured))

    def build(self, request: BuildRequest = BuildRequest()) -> BuildResult:
        """Write the wanted formats (default: the configured ones); raise BookError when the run fails.
        The warnings whose codes the author silenced are left out of what it returns or raises."""
        request = self.ignored(request)
        try:
            result = self._build(request)
        except BookError as exc:
            raise BookError(exc.diagnostics.without(request.ignore)) from None
        result.diagnostics = result.diagnostics.without(request.ignore)
        return result

    def _build(self, request: BuildRequest) -> BuildResult:
        from bookmaker.core.output import check_book_target, is_stdout
        from bookmaker.read import read_book

        targets = {fmt: path if is_stdout(path) else path.absolute()
                   for fmt, path in request.targets.items() if path is not None}
        result = BuildResult()
        diagnostics = result.diagnostics
        if self.config is None:
            self.load_config()
        diagnostics.extend(self.config_diagnostics)
        if request.fails(diagnostics):
            raise BookError(diagnostics)
        config = self.config
        out_dir = self.output_dir(request.output_dir)
        formats = build_order({*(request.formats or config.output.formats), *request.extra_formats})
        if _loops(out_dir, diagnostics) or (request.output_dir is None and any(f not in targets for f in formats)
                                            and _outside(out_dir, self.root, diagnostics)):
            raise BookError(diagnostics)
        options = self._options(formats, request)
        note_numbering = request.note_numbering or config.notes.numbering
        state = read_state(out_dir)
        inputs = self._input_signature(out_dir)

        def fingerprint(fmt: str, uses: list) -> str | None:
            return self._fingerprint(fmt, out_dir, options, note_numbering, inputs, uses, state, request)

        todo = _out_of_date(formats, request.force, targets, state, out_dir, fingerprint, result.skipped)
        if not todo:
            return result

        with self.reporter.stage("reading"):
            try:
                book, read_diagnostics = read_book(self.path, config, self.reporter.chapter, note_numbering,
                                                   Diagnostics(), request.allow_remote)
            except BookError as exc:
                diagnostics.extend(exc.diagnostics)
                raise BookError(diagnostics) from None
        diagnostics.extend(read_diagnostics)
        if request.fails(diagnostics):  # --strict and a warning: nothing is written
            raise BookError(diagnostics)
        # A single file is named after itself: notes that share a heading must not overwrite each other.
        name = config.output.name or _file_stem(self.path.stem if self.path.is_file() else book.slug)
        where = {fmt: targets.get(fmt) or out_dir / f"{name}.{FORMATS[fmt].extension}" for fmt in todo}
        for fmt, target in where.items():
            if fmt in targets and target.is_dir():  # `pdf -o some-folder`: the default name in that folder
                where[fmt] = target / f"{name}.{FORMATS[fmt].extension}"
            elif fmt not in targets:
                check_book_target(target, self.root)
        rendered: dict[Path, str] = {}
        jobs = self.jobs if request.jobs is None else request.jobs

        def context(fmt: str, into: Diagnostics) -> WriteContext:
            return WriteContext(into, options.get(FORMATS[fmt].options), jobs, self.reporter.parts, rendered,
                                preflight=_checks)

        write_formats(book, todo, where, context, self.reporter, diagnostics)
        uses = used_files(book)
        for fmt in todo:
            result.written.append(where[fmt])
            if inputs is not None and fmt not in targets:
                state[fmt] = {"fingerprint": fingerprint(fmt, uses), "target": str(where[fmt]), "uses": uses}
        self.reporter.clear()
        if request.fails(diagnostics):  # --strict, and a writer warned: not remembered as up to date
            raise BookError(diagnostics)
        if inputs is not None and any(fmt not in targets for fmt in todo):
            write_state(out_dir, state)
        return result

    def check(self, request: BuildRequest = BuildRequest()) -> Diagnostics:
        """`bookmaker check`: every check of a build (config, manuscript, resources, templates); nothing written."""
        from bookmaker.read import read_book

        config = self.load_config()
        request = self.ignored(request)
        diagnostics = Diagnostics()
        diagnostics.extend(self.config_diagnostics)
        if not request.fails(diagnostics):
            try:
                book, read_diagnostics = read_book(self.path, config, None, config.notes.numbering, Diagnostics(),
                                                   request.allow_remote)
                self.checked_book = book
                diagnostics.extend(read_diagnostics)
                self.font_lines = check_fonts(book, diagnostics)
                if book.templates is not None and not request.fails(diagnostics):
                    diagnostics.extend(_check_templates(book))
            except BookError as exc:
                diagnostics.extend(exc.diagnostics)
        _loops(self.output_dir(request.output_dir), diagnostics)  # the build could not write there
        return diagnostics.without(request.ignore)

    def last_output(self, fmt: str, output_dir: Path | None = None) -> Path | None:
        """Where the last successful build wrote `fmt`, if it did."""
        out_dir = self.output_dir(output_dir)
        return last_build(read_state(out_dir), fmt, out_dir)[1]

    def _options(self, formats: list[str], request: BuildRequest) -> dict:
        """The options of each bookmaker.toml section the formats take, with the command line's overrides."""
        sections = dict.fromkeys(fmt.options for name, fmt in FORMATS.items() if name in formats and fmt.options)
        return {section: with_overrides(getattr(self.config, section), request.overrides.get(section))
                for section in sections}

    # -- what an output depends on -------------------------------------------

    def _input_signature(self, out_dir: Path) -> list | None:
        """What the skip check compares, read from the file system's records alone: nothing is opened,
        so a huge, endless (/dev/zero) or unreadable file costs nothing here; the reader judges it."""
        from bookmaker.build.bookfiles import inputs

        if not self.is_folder:
            return None  # a loose file's images may be anywhere beside it: always rebuild
        files = inputs(self.config)
        if files is None:
            return None
        return [stat_signature(path, self.root) for path in files if not path.is_relative_to(out_dir)]

    def _fingerprint(self, fmt: str, out_dir: Path, sections: dict, note_numbering: str, inputs: list | None,
                     uses: list, state: dict, request: BuildRequest) -> str | None:
        """What `fmt` is made from: its settings (`sections`: each bookmaker.toml section's options), the
        book's files, those the last build read besides, and the output it follows (the EPUB, the PDF)."""
        if inputs is None:
            return None
        options = sections.get(FORMATS[fmt].options)
        extra = _followed(state, fmt, out_dir)
        used = [stat_signature(self.root / name, self.root) for name in uses if isinstance(name, str) and inside(name)]
        # What the command line asks besides the settings: remote images fetched or not make another book,
        # and a run under --strict (its ignored codes) must see the warnings a run without it let pass.
        asked = [request.allow_remote, request.strict, sorted(request.ignore)]
        settings = [__version__, fmt, str(out_dir), dataclasses.asdict(options) if options is not None else None,
                    note_numbering, inputs, used, list(extra), asked]
        return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()


def _out_of_date(formats: list[str], force: bool, targets: dict, state: dict, out_dir: Path,
                 fingerprint, skipped: list[Path]) -> list[str]:
    """The formats to write: those named with -o, all under --force, and those whose inputs changed since
    their last build; the others' outputs go to `skipped` (up to date)."""
    todo = []
    for fmt in formats:
        last_fingerprint, target = last_build(state, fmt, out_dir)
        current = fingerprint(fmt, last_uses(state, fmt))
        if (not force and fmt not in targets and current is not None and last_fingerprint == current
                and target is not None and target.is_file()):
            skipped.append(target)
        else:
            todo.append(fmt)
    return todo


def _followed(state: dict, fmt: str, out_dir: Path) -> list:
    """The output a format is made after (the EPUB's page list comes from the PDF): a new one makes it out of date."""
    followed = FORMATS[fmt].follows
    made_from = last_build(state, followed, out_dir)[1] if followed else None
    return [stat_signature(made_from, made_from.parent)] if made_from is not None else []


def _outside(out_dir: Path, root: Path, diagnostics: Diagnostics) -> bool:
    """bookmaker.toml's dir was checked when read; a link (build/ -> elsewhere) may be made at any time."""
    if real_path(out_dir).is_relative_to(root):
        return False
    diagnostics.error(out_dir, None, "the output folder is a link to a folder outside the book: "
                                     "remove the link, or give the folder with -o", code="output-dir-outside-book")
    return True


def _loops(out_dir: Path, diagnostics: Diagnostics) -> bool:
    """An output folder that is a symbolic link to itself is an error of `check` as of every build."""
    if not loops(out_dir):
        return False
    diagnostics.error(out_dir, None, "the output folder is a symbolic link that leads back to itself: "
                                     "remove the link, or give the folder with -o", code="output-dir-link-loop")
    return True


def check_fonts(book, diagnostics: Diagnostics) -> list[str]:
    from bookmaker.writers.font_coverage import check_fonts as check

    return check(book, diagnostics)
def _checks(*args, **kwargs) -> None:
    """build/preflight.py's checks of a print file, imported only by a build that makes one."""
    from bookmaker.build.preflight import preflight_diagnostics

    preflight_diagnostics(*args, **kwargs)


def write_formats(book: Book, todo: list[str], where: dict[str, Path], context, reporter: Reporter,
                  diagnostics: Diagnostics) -> None:
    """Write each format of `todo` to its place; `context(fmt, diagnostics)` is what its writer gets.

    Each output is replaced whole or not at all, but one failed format does not undo the others:
    the BookError raised then says which of them were written and which were not."""
    from bookmaker.build.background import Background, can_fork, stopping

    def write(fmt: str, into: Diagnostics) -> None:
        # The author is told what a writer says that is no problem (the EPUB's page list, when it has none).
        FORMATS[fmt].write_function()(book, where[fmt], dataclasses.replace(context(fmt, into), info=reporter.info))

    # A slow format (the PDF's layout) takes one core for seconds; the background ones (the EPUB)
    # are written on the other meanwhile, from the same model (a forked process shares it as is).
    # A format that follows another written in this build (the EPUB after the PDF, for its page numbers)
    # waits for it instead.
    aside = [fmt for fmt in todo if FORMATS[fmt].background and FORMATS[fmt].follows not in todo]
    background = None
    if aside and any(FORMATS[fmt].slow for fmt in todo) and can_fork():
        background = Background(lambda into: [write(fmt, into) for fmt in aside])
    done: list[str] = []
    def write_here(fmt: str) -> None:  # in this process, its stage shown
        with reporter.stage(FORMATS[fmt].stage):
            write(fmt, diagnostics)
        done.append(fmt)

    with stopping(background):  # stopped (core/stops.py): the EPUB's child goes too
        try:
            for fmt in todo:
                if background is None or fmt not in aside:
                    write_here(fmt)
        except BookError as exc:
            if exc.diagnostics is not diagnostics:
                diagnostics.extend(exc.diagnostics)
            failed = next(fmt for fmt in todo if fmt not in done and (background is None or fmt not in aside))
            for fmt in todo:  # what waited for the failed format (the EPUB for the PDF) is written without it
                if FORMATS[fmt].follows == failed and fmt not in done:
                    try:
                        write_here(fmt)
                    except BookError as also:
                        if also.diagnostics is not diagnostics:
                            diagnostics.extend(also.diagnostics)
            if background is not None:
                try:
                    background.join(Diagnostics())
                    done.extend(aside)
                except (BookError, RuntimeError):
                    pass
            reporter.clear()
            if done:
                missing = [fmt for fmt in todo if fmt not in done]
                written = ", ".join(shown(where[fmt], Path.cwd()) for fmt in done)
                names = " and ".join(f"the {FORMATS[fmt].noun}" for fmt in missing)
                diagnostics.error(where[missing[0]], None, f"{names} {'was' if len(missing) == 1 else 'were'} not "
                                                           f"written because of the errors above; written all the "
                                                           f"same: {written}", code="output-not-written")
            raise BookError(diagnostics) from None
    if background is not None:
        with reporter.stage(FORMATS[aside[0]].stage):
            background.join(diagnostics)


def _check_templates(book: Book) -> Diagnostics:
    """The book's templates compiled, and the HTML book rendered from them in memory: what a build would find."""
    from bookmaker.safety.policy import policy_for
    from bookmaker.safety.templating import compile_errors
    from bookmaker.theme import environment
    from bookmaker.writers.html import render_html

    diagnostics = compile_errors(environment(book.templates, policy_for(book)), book.templates)
    if not diagnostics.has_errors:
        try:
            render_html(book, book.root)
        except BookError as exc:
            diagnostics.extend(exc.diagnostics)
    return diagnostics


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


def shown(path: Path, cwd: Path) -> str:
    """A path as the author is shown it: relative to the current folder when inside it."""
    try:
        return str(path.relative_to(cwd))
    except ValueError:
        return str(path)
