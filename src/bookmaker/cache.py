"""A per-user cache for work whose result depends only on its inputs (compiled
templates, generated covers), so rebuilds and `watch` do not repeat it.

In $XDG_CACHE_HOME/bookmaker (default ~/.cache/bookmaker), one folder per
bookmaker version. Set BOOKMAKER_NO_CACHE=1 to use none. The cache only ever
saves time: what is read from it is what would have been made.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path

from bookmaker import __version__


@cache
def cache_dir(kind: str) -> Path | None:
    """The folder for one kind of cached thing, created; None when caching is off or impossible."""
    if os.environ.get("BOOKMAKER_NO_CACHE"):
        return None
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    folder = base / "bookmaker" / __version__ / kind
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return folder


def cached_bytes(kind: str, key: bytes, make: Callable[[], bytes]) -> bytes:
    """`make()`, or what an earlier call with the same key made."""
    folder = cache_dir(kind)
    if folder is None:
        return make()
    path = folder / hashlib.sha256(key).hexdigest()
    with contextlib.suppress(OSError):
        return path.read_bytes()
    data = make()
    with contextlib.suppress(OSError):
        # Written beside and renamed, so a reader never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=folder)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    return data
