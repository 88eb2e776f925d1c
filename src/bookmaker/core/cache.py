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
    found = read_cached(kind, key)
    if found is not None:
        return found
    data = make()
    write_cached(kind, key, data)
    return data


def read_cached(kind: str, key: bytes) -> bytes | None:
    """What `write_cached` kept under this key, or None."""
    folder = cache_dir(kind)
    if folder is None:
        return None
    with contextlib.suppress(OSError):
        return (folder / hashlib.sha256(key).hexdigest()).read_bytes()
    return None


def write_cached(kind: str, key: bytes, data: bytes) -> None:
    folder = cache_dir(kind)
    if folder is None:
        return
    with contextlib.suppress(OSError):
        # Written beside and renamed, so a reader never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=folder)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, folder / hashlib.sha256(key).hexdigest())


def package_stamp(name: str) -> list | None:
    """The installed copy of a package, found without importing it (importing may be the cost a
    cached result saves): part of a key when another version could give another result."""
    from importlib.util import find_spec

    try:
        spec = find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin:
        return None
    try:
        info = os.stat(spec.origin)
    except OSError:
        return [spec.origin]
    return [spec.origin, info.st_size, info.st_mtime_ns]
