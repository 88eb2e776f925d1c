"""How a run stops: Ctrl-C, SIGINT sent by a script, SIGTERM (a service manager, `timeout`) and the
SIGHUP of a closed terminal all end it the same way, within moments, with no worker process left and
nothing half-written.

Python's own handling is not enough: SIGTERM kills the process at once, so its layout workers live on
(they were not told); a SIGINT is ignored by a process a script started in the background (the shell
sets it so), so `kill -INT` from that script did nothing. Here each of them raises `Stopped` in the
main thread, a KeyboardInterrupt, so every `finally` and every `except KeyboardInterrupt` of the build
runs: the worker pools are ended (writers/pdf/parts/run.py), the EPUB's child killed
(build/background.py), and the command exits 128 + the signal's number.

A few writes must not be cut in two by that exception (a cache entry and its name): they run
`held()`, which keeps a stop signal for the moment they end.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator

# SIGHUP only when not ignored (`nohup` ignores it on purpose); SIGINT even when ignored.
_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP")

_held = 0
_pending: int | None = None


class Stopped(KeyboardInterrupt):
    """The run was asked to stop by a signal; `exit_code` is 128 + its number (130 for SIGINT)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def _stop(signum: int, frame) -> None:
    global _pending
    if _held:
        _pending = signum
        return
    raise Stopped(signum)


def stop_on_signals() -> Callable[[], None]:
    """Make SIGINT, SIGTERM and SIGHUP raise Stopped in the main thread; return what puts the previous
    handlers back (an in-process test runs many commands)."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous: dict[int, object] = {}
    for name in _SIGNALS:
        number = getattr(signal, name, None)
        if number is None:
            continue
        current = signal.getsignal(number)
        if name == "SIGHUP" and current is signal.SIG_IGN:
            continue
        previous[number] = current
        signal.signal(number, _stop)

    def restore() -> None:
        for number, handler in previous.items():
            with contextlib.suppress(TypeError, ValueError):
                signal.signal(number, handler)

    return restore


def in_worker() -> None:
    """In a worker process of the build: a Ctrl-C (sent to the whole process group) is left to the build,
    which ends its workers itself; SIGTERM and SIGHUP kill it at once, as it holds nothing to finish."""
    for name, handler in (("SIGINT", signal.SIG_IGN), ("SIGTERM", signal.SIG_DFL), ("SIGHUP", signal.SIG_DFL)):
        number = getattr(signal, name, None)
        if number is not None:
            with contextlib.suppress(ValueError, OSError):
                signal.signal(number, handler)


@contextlib.contextmanager
def held() -> Iterator[None]:
    """A stop signal that comes during the block is acted on when it ends: what the block writes is
    written whole (a cache entry renamed into place) or not at all."""
    global _held, _pending
    _held += 1
    try:
        yield
    finally:
        _held -= 1
        if not _held and _pending is not None:
            signum, _pending = _pending, None
            raise Stopped(signum)
