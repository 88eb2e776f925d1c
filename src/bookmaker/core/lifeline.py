"""Worker processes die with the process that started them.

A worker blocked on a queue would otherwise outlive a `kill -9` of its build (or a closed terminal)
for ever, holding its memory: Linux is asked to kill it when its parent goes (PR_SET_PDEATHSIG). On
other systems the workers' pipes to a dead parent end their wait instead.
"""

from __future__ import annotations

import os
import sys

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent(parent_pid: int) -> bool:
    """In a freshly started worker: be killed when the parent `parent_pid` exits. Returns whether the
    system promised it. A parent already gone ends the worker at once."""
    if sys.platform != "linux":
        return False
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        promised = libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False
    if os.getppid() != parent_pid:  # the parent died before the promise was asked for
        os._exit(1)
    return promised
