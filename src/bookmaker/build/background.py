"""Work done in a forked child process while the parent does its own: the EPUB is written from the
same model (a forked process shares it as is) while the PDF is laid out."""

from __future__ import annotations

from collections.abc import Callable

from bookmaker.core.diagnostics import BookError, Diagnostics


def can_fork() -> bool:
    import os
    import sys

    return hasattr(os, "fork") and sys.platform == "linux" and os.environ.get("BOOKMAKER_SERIAL") is None


class Background:
    """Work done in a forked child process; its diagnostics (and failure) come back through a pipe."""

    def __init__(self, work: Callable[[Diagnostics], object]) -> None:
        import multiprocessing

        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(target=_child, args=(work, send), daemon=True)
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


def _child(work: Callable[[Diagnostics], object], send) -> None:
    _die_with_parent()
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


def _die_with_parent() -> None:
    """A build killed halfway must not leave its child finishing an output on its own."""
    import ctypes
    import signal

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
