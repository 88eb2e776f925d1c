"""The layout workers' pool, ended at once when the build stops.

ProcessPoolExecutor's own `with` waits for the parts being laid out (a long chain of notes takes
many seconds) before the build may exit, and a build killed meanwhile left them running: a stop
(Ctrl-C, SIGTERM: core/stops.py) or a failure kills the workers and waits only for them to be gone.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


@contextlib.contextmanager
def ending(pool) -> Iterator:
    """`pool` (a ProcessPoolExecutor) for the block; shut down as usual after it, killed on an exception."""
    try:
        yield pool
    except BaseException:
        end_now(pool)
        raise
    pool.shutdown(wait=True)


def end_now(pool) -> None:
    """Kill the pool's processes and wait (briefly) until they are gone; pending work is dropped."""
    # The executor has no public way to end its workers before Python 3.14 (terminate_workers).
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            process.kill()
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        with contextlib.suppress(OSError, ValueError, AttributeError, AssertionError):
            process.join(timeout=1)
