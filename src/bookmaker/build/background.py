"""Work done in a forked child process while the parent does its own: the EPUB is written from the
same model (a forked process shares it as is) while the PDF is laid out."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from bookmaker.core.diagnostics import BookError, Diagnostics


def can_fork() -> bool:
    import os
    import sys

    return hasattr(os, "fork") and sys.platform == "linux" and os.environ.get("BOOKMAKER_SERIAL") is None


class Background:
    """Work done in a forked child process; its diagnostics (and failure) come back through a pipe."""

    def __init__(self, work: Callable[[Diagnostics], object]) -> None:
        import multiprocessing

        import os

        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(target=_child, args=(work, send, os.getpid()), daemon=True)
        self._process.start()
        send.close()

    def join(self, diagnostics: Diagnostics) -> None:
        """Wait for the child; its diagnostics join `diagnostics`; its failure is raised here."""
        try:
            child_diagnostics, failure = self._receive.recv()
        except EOFError:  # the child died without a word (killed, out of memory)
            child_diagnostics, failure = Diagnostics(), ("internal", "the EPUB writer's process stopped unexpectedly")
        except BaseException:  # the build is stopped (core/stops.py): the child is not waited for
            self.stop()
            raise
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

    def stop(self) -> None:
        """End the child now (the build stops): what it was writing is never named (core/output.py)."""
        self._process.kill()
        self._process.join(timeout=2)


@contextlib.contextmanager
def stopping(background: Background | None) -> Iterator[None]:
    """The block, with `background`'s child killed when a stop (KeyboardInterrupt, core/stops.py) or a
    failure ends it (once joined, as after a book's errors, there is nothing left to kill)."""
    try:
        yield
    except BaseException:
        if background is not None:
            background.stop()
        raise


def _child(work: Callable[[Diagnostics], object], send, parent_pid: int) -> None:
    from bookmaker.core.lifeline import die_with_parent
    from bookmaker.core.stops import in_worker

    die_with_parent(parent_pid)  # a build killed halfway must not leave its child finishing an output
    in_worker()  # a Ctrl-C is the build's to act on: it kills the child
    diagnostics = Diagnostics()
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
