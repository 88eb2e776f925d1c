"""Rendering templates, the book's and the theme's, in Jinja's sandbox.

A book's templates are untrusted: one from a stranger may try to reach Python
(`cycler.__init__.__globals__.os`), read files through the paths the model
holds (`chapter.source.read_text()`), or make the build hang or run out of
memory (`'x' * 10**10`, `range(10**9)`, a macro calling itself). Every template
renders in one immutable sandbox that refuses private attributes, the model's
paths and policy, huge repetitions, widths and powers; a render that writes
too much or runs too long stops. What goes wrong in a book's template is a
`templates/x.html:LINE: error:` diagnostic, never a traceback.
"""

from __future__ import annotations

import contextlib
import operator
import os
import re
import signal
import threading
from collections.abc import Iterator
from pathlib import Path, PurePath
from types import ModuleType
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.loaders import split_template_path
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from bookmaker.core import limits
from bookmaker.core.diagnostics import BookError, Diagnostic, Diagnostics
from bookmaker.safety.policy import Refused, ResourcePolicy
from bookmaker.core.paths import real_path

# Repetitions, format widths and call arguments beyond this are a bomb, not a layout.
_MAX_SIZE = 1_000_000
_WIDE = re.compile(r"\d{7,}")  # a width or precision of a million or more in a format string


class TemplateTimeout(Exception):
    pass


class TemplateRefused(jinja2.TemplateError):
    """A book template the resource policy refuses; not a TemplateNotFound, so the theme's is not used instead."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


class BookLoader(jinja2.FileSystemLoader):
    """The book's templates folder, each file loaded only if the policy lets the book load it (no link out)."""

    def __init__(self, folder: Path, policy: ResourcePolicy) -> None:
        super().__init__(folder)
        self.policy = policy

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str | None, Any]:
        # Checked before it is read: a link out, a pipe or a huge file is never opened.
        for folder in self.searchpath:
            path = Path(folder, *split_template_path(template))
            if os.path.lexists(path):
                problem = template_refused(path, self.policy)
                if problem is not None:
                    raise TemplateRefused(problem)
                break
        try:
            return super().get_source(environment, template)
        except UnicodeDecodeError as exc:
            line = exc.object[: exc.start].count(b"\n") + 1 if isinstance(exc.object, bytes) else None
            raise TemplateRefused(Diagnostic.error("the template is not UTF-8: save it as UTF-8",
                                                   code="template-not-utf8").at(path, line)) from None


def template_refused(path: Path, policy: ResourcePolicy) -> Diagnostic | None:
    """Why the book's template file `path` may not be loaded (no link out, not too large), or None."""
    try:
        if policy.check_local(path).stat().st_size > limits.MAX_TEMPLATE_BYTES:
            raise Refused(f"is larger than {limits.MAX_TEMPLATE_BYTES // 1_000_000} MB: make it smaller", code="template-too-large")
    except Refused as refused:
        return refused.about("the template").at(path)
    return None


def bounded(value: Any) -> Any:
    """`value`, unless it is a text or list longer than a template may make (doubling it 40 times would be)."""
    if isinstance(value, (str, list, tuple)) and len(value) > limits.MAX_TEMPLATE_OUTPUT:
        raise SecurityError(f"a text of more than {limits.MAX_TEMPLATE_OUTPUT // 1_000_000} million characters")
    return value


class _BoundedCodeGenerator(CodeGenerator):
    """Compiles `a ~ b` so that its result is bounded like every other way of making a text."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.bounded(")
        super().visit_Concat(node, frame)
        self.write(")")


class BookSandbox(ImmutableSandboxedEnvironment):
    """The sandbox every template renders in; `book_templates` is the folder whose templates are the book's."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})
    code_generator_class = _BoundedCodeGenerator
    bounded = staticmethod(bounded)

    @staticmethod
    def concat(parts: Any) -> str:  # what macros, {% set %} blocks and {% call %} join their output with
        return bounded("".join(parts))

    def __init__(self, *args: Any, book_templates: Path | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.book_templates = real_path(book_templates) if book_templates else None
        del self.globals["lipsum"]  # lipsum(10**6) writes megabytes; no template needs it
        self._jinja_answers: dict[tuple[type, str], bool] = {}

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        # Jinja's own answer depends on the object's type and the name alone (its checks are
        # isinstance tests and name lists), and templates read the same few attributes thousands
        # of times: it is remembered per environment. The value is checked every time.
        key = (type(obj), attr)
        safe = self._jinja_answers.get(key)
        if safe is None:
            safe = super().is_safe_attribute(obj, attr, value)
            if len(self._jinja_answers) < 10_000:  # names a template computes are not all kept
                self._jinja_answers[key] = safe
        return safe and not _reaches_outside(value)

    def call_binop(self, context: jinja2.runtime.Context, operator_name: str, left: Any, right: Any) -> Any:
        if operator_name == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(times, int) and len(seq) * times > _MAX_SIZE:
                    raise SecurityError(f"a repetition of more than {_MAX_SIZE:,} items")
            return operator.mul(left, right)
        if operator_name == "**":
            if (isinstance(left, int) and isinstance(right, int) and abs(left) > 1
                    and right * abs(left).bit_length() > 10_000):
                raise SecurityError("a power with more than 10,000 bits")
            return operator.pow(left, right)
        if operator_name == "+":
            return bounded(operator.add(left, right))
        if isinstance(left, str) and _WIDE.search(left):
            raise SecurityError("a format width of a million characters or more")
        return operator.mod(left, right)

    def call(__self, __context: jinja2.runtime.Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        for arg in (*args, *kwargs.values()):
            if isinstance(arg, int) and not isinstance(arg, bool) and abs(arg) > _MAX_SIZE:
                raise SecurityError(f"an argument larger than {_MAX_SIZE:,}")
        return super().call(__context, __obj, *args, **kwargs)

    def wrap_str_format(self, value: Any) -> Any:
        wrapped = super().wrap_str_format(value)
        if wrapped is not None and _WIDE.search(value.__self__):
            raise SecurityError("a format width of a million characters or more")
        return wrapped


def _reaches_outside(value: Any) -> bool:
    """The model holds paths (book.root, chapter.source) and the resource policy: a template may not touch them."""
    if isinstance(value, (PurePath, ModuleType)) or type(value).__module__ == "bookmaker.safety.policy":
        return True
    return isinstance(value, (list, tuple)) and any(isinstance(item, PurePath) for item in value)


def _bounded_filter(function: Any) -> Any:
    """A filter whose size arguments (`center(10**9)`, `indent(10**9)`) and result are within bounds."""
    # After the context or environment Jinja passes some filters, and the value filtered.
    skip = 2 if hasattr(function, "jinja_pass_arg") else 1

    def checked(*args: Any, **kwargs: Any) -> Any:
        for arg in (*args[skip:], *kwargs.values()):
            if isinstance(arg, int) and not isinstance(arg, bool) and abs(arg) > _MAX_SIZE:
                raise SecurityError(f"an argument larger than {_MAX_SIZE:,}")
        return bounded(function(*args, **kwargs))

    if hasattr(function, "jinja_pass_arg"):
        checked.jinja_pass_arg = function.jinja_pass_arg  # type: ignore[attr-defined]
    return checked


def bound_filters(env: jinja2.Environment) -> None:
    env.filters = {name: _bounded_filter(function) for name, function in env.filters.items()}


def render_template(env: jinja2.Environment, name: str, **context: Any) -> str:
    """The template `name` rendered; an error in a book's template is a BookError naming its file and line."""
    book_templates = getattr(env, "book_templates", None)
    try:
        # Only a book's templates are timed: the theme's take time in proportion to the book.
        with _time_limit(limits.TEMPLATE_SECONDS) if book_templates is not None else contextlib.nullcontext():
            text = _joined(env.get_template(name).generate(**context))
    except BookError:
        raise
    except Exception as exc:
        diagnostic = _diagnose(env, exc)
        if diagnostic is None:
            raise
        raise BookError.of(diagnostic) from None
    if book_templates is not None:
        _refuse_active_markup(text, book_templates)
    return text


def _refuse_active_markup(text: str, book_templates: Path) -> None:
    """An error at the book template that puts a script, a frame, an event attribute, a script URL or
    a resource from outside the book (a tracking image, a remote stylesheet) into an output, or whose
    output is not well-formed XHTML (template_output.py)."""
    from bookmaker.safety.template_output import active_markup, output_diagnostic, xml_problem

    found = active_markup(text)
    if found is not None:
        needle, what = found
        raise BookError.of(output_diagnostic(
            f"the template adds {what} to the output: templates may not add scripts, frames, event attributes, "
            "script URLs or resources from outside the book", needle, book_templates, _first_line_with,
            "template-adds-script"))
    broken = xml_problem(text)
    if broken is not None:
        needle, what = broken
        raise BookError.of(output_diagnostic(
            f"the template's output is not well-formed XHTML ({what}): close every element (<br/>) and write "
            "characters or numeric references (&#160;), not HTML's named entities", needle, book_templates,
            _first_line_with, "template-not-xhtml"))


def _first_line_with(folder: Path, needle: str) -> tuple[Path, int | None]:
    """The book template file and line where `needle` is written (case and spacing aside); the folder if none."""
    pattern = re.compile(r"\s*".join(map(re.escape, needle.replace(" ", ""))), re.IGNORECASE)
    inside = real_path(folder)
    for path in sorted(folder.rglob("*")):
        try:
            readable = path.is_file() and real_path(path).is_relative_to(inside)
            text = path.read_text(encoding="utf-8", errors="replace") if readable else ""
        except OSError:
            continue
        match = pattern.search(text)
        if match:
            return path, text.count("\n", 0, match.start()) + 1
    return folder, None


def compile_errors(env: jinja2.Environment, folder: Path) -> Diagnostics:
    """Every book template in `folder` compiled: the syntax errors, each at its line (for `bookmaker check`)."""
    diagnostics = Diagnostics()
    for path in sorted(folder.rglob("*")):
        if path.suffix in (".html", ".xhtml") and path.is_file():
            try:
                env.get_template(path.relative_to(folder).as_posix())
            except Exception as exc:
                found = _diagnose(env, exc)
                if found is None:
                    raise
                diagnostics.add(found)
    return diagnostics


def _joined(chunks: Iterator[str]) -> str:
    parts, size = [], 0
    for chunk in chunks:
        size += len(chunk)
        if size > limits.MAX_TEMPLATE_OUTPUT:
            millions = limits.MAX_TEMPLATE_OUTPUT // 1_000_000
            raise SecurityError(f"the template writes more than {millions} million characters")
        parts.append(chunk)
    return "".join(parts)


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    # Jinja's loops run as plain Python, with no hook to stop them; a timer signal
    # can, in the main thread (where every build renders: CLI, watch, serve, the forked EPUB).
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expired(signum: int, frame: Any) -> None:
        raise TemplateTimeout

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _diagnose(env: jinja2.Environment, exc: BaseException) -> Diagnostic | None:
    """A diagnostic at the innermost line of a book's template where `exc` happened; None if no book template was."""
    book_templates = getattr(env, "book_templates", None)
    if book_templates is None:
        return None
    if isinstance(exc, TemplateRefused):
        return exc.diagnostic
    where: tuple[Path, int | None] | None = None
    if isinstance(exc, jinja2.TemplateSyntaxError):
        # Jinja's lexer names the file in `name` for some errors (an unclosed {# or {% raw %}).
        for named in (exc.filename, exc.name):
            if named and where is None:
                where = _book_file(book_templates, str(book_templates / named), exc.lineno)
    if where is None:
        tb = exc.__traceback__
        while tb is not None:
            found = _book_file(book_templates, tb.tb_frame.f_code.co_filename, tb.tb_lineno)
            where = found or where
            tb = tb.tb_next
    if where is None and isinstance(exc, (TemplateTimeout, SecurityError, RecursionError, MemoryError)):
        where = (book_templates, None)  # the limit struck in the theme's code, called from the book's templates
    if where is None:
        return None
    return Diagnostic.error(_message(exc), code="template-error").at(*where)


def _book_file(book_templates: Path, filename: str, line: int | None) -> tuple[Path, int | None] | None:
    try:
        path = real_path(Path(filename))
    except (OSError, ValueError):
        return None
    return (path, line) if path.is_relative_to(book_templates) else None


def _message(exc: BaseException) -> str:
    if isinstance(exc, TemplateTimeout):
        return (f"the template took longer than {limits.TEMPLATE_SECONDS:g} s to render: "
                "look for a loop that runs too long")
    if isinstance(exc, MemoryError):
        return "the template makes more than the memory holds: look for a text or list that grows without end"
    if isinstance(exc, RecursionError):
        return "templates call or include each other without end: break the cycle"
    if isinstance(exc, SecurityError):
        reason = str(exc).rstrip(".")
        return f"the template is not allowed to do this ({reason}): templates may only show the book's data"
    if isinstance(exc, jinja2.TemplateNotFound):
        return f"no template '{exc.name}' in templates/ or the theme: check the name"
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return f"{exc.message}: fix the template's syntax"
    if isinstance(exc, jinja2.UndefinedError):
        return f"{exc.message}: check the name, or guard it with 'is defined'"
    return f"the template failed ({type(exc).__name__}: {exc}): fix the template"
