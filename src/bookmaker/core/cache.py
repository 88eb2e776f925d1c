"""A per-user cache for work whose result depends only on its inputs (generated covers, font subsets,
citeproc's answers, page maps, laid-out PDF parts), so rebuilds and `watch` do not repeat it.

In $XDG_CACHE_HOME/bookmaker (default ~/.cache/bookmaker), one folder per bookmaker version. Set
BOOKMAKER_NO_CACHE=1 to use none. The cache only ever saves time: what is read from it is what would
have been made.

The cache is a trust boundary: whoever else can write it (a shared XDG_CACHE_HOME, a CI cache restored
from another job) and a faulty disk are not trusted. So an entry is data, never code (raw bytes or JSON,
no pickle, no compiled bytecode), it is a regular file read without following a link or blocking on a
pipe, and it carries a digest of its content that is checked before use: a damaged entry is dropped with
a one-line note and made again. A build whose cache cannot be written (a full disk, no permission) goes
on without it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import sys
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path

from bookmaker import __version__

# An entry: this line, the SHA-256 of the payload in hex, a newline, the payload.
_MAGIC = b"bookmaker-cache-entry 1\n"
_HEADER = len(_MAGIC) + 65
MAX_ENTRY_BYTES = 512_000_000  # larger than any entry bookmaker writes: a bigger file is not read
_noted: set[str] = set()


@cache
def cache_dir(kind: str) -> Path | None:
    """The folder for one kind of cached thing, created; None when caching is off or impossible."""
    if os.environ.get("BOOKMAKER_NO_CACHE"):
        return None
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    # The entries' format is in the name: entries of an earlier format are not taken for damaged ones.
    folder = base / "bookmaker" / __version__ / "entries-1" / kind
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not stat.S_ISDIR(folder.lstat().st_mode):  # a link in the cache may lead anywhere
            return None
    except OSError:
        return None
    return folder


def entry_path(kind: str, key: bytes) -> Path | None:
    folder = cache_dir(kind)
    return folder / hashlib.sha256(key).hexdigest() if folder is not None else None


def cached_bytes(kind: str, key: bytes, make: Callable[[], bytes]) -> bytes:
    """`make()`, or what an earlier call with the same key made."""
    found = read_cached(kind, key)
    if found is not None:
        return found
    data = make()
    write_cached(kind, key, data)
    return data


def read_cached(kind: str, key: bytes) -> bytes | None:
    """What `write_cached` kept under this key, or None (nothing kept, or a damaged entry, now dropped)."""
    path = entry_path(kind, key)
    return read_entry(path) if path is not None else None


def write_cached(kind: str, key: bytes, data: bytes) -> None:
    path = entry_path(kind, key)
    if path is not None:
        write_entry(path, data)


def read_json(kind: str, key: bytes) -> object:
    """The JSON value `write_json` kept under this key, or None."""
    data = read_cached(kind, key)
    if data is None:
        return None
    try:
        return json.loads(data)
    except (ValueError, RecursionError):  # the digest matched, so it was written so: drop it all the same
        drop(entry_path(kind, key))
        return None


def write_json(kind: str, key: bytes, value: object) -> None:
    write_cached(kind, key, json.dumps(value, separators=(",", ":")).encode())


def read_entry(path: Path) -> bytes | None:
    """The payload of the entry at `path`, checked; None when there is none or it is damaged (then dropped)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None
    except OSError:  # a link (ELOOP), or unreadable
        drop(path)
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_ENTRY_BYTES:  # a pipe would block for ever
            raise ValueError
        with os.fdopen(fd, "rb", closefd=False) as stream:
            data = stream.read(MAX_ENTRY_BYTES + 1)
        payload = data[_HEADER:]
        if not data.startswith(_MAGIC) or data[len(_MAGIC):_HEADER] != hashlib.sha256(payload).hexdigest().encode() + b"\n":
            raise ValueError
    except (OSError, ValueError):
        drop(path)
        return None
    finally:
        os.close(fd)
    return payload


def write_entry(path: Path, data: bytes) -> None:
    """Keep `data` at `path` with its digest, atomically; nothing when the cache cannot be written."""
    tmp = None
    try:
        # Written beside and renamed, so a reader never sees half a file, and a link or pipe in its
        # place is replaced, never written through.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as out:
            out.write(_MAGIC + hashlib.sha256(data).hexdigest().encode() + b"\n")
            out.write(data)
        os.replace(tmp, path)
        tmp = None
    except OSError:
        pass  # a full disk (ENOSPC) or a cache that is not ours to write: the build goes on without it
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def drop(path: Path | None) -> None:
    """Remove a damaged entry (a link, a pipe, a file whose digest is wrong) and say so once per kind."""
    if path is None:
        return
    with contextlib.suppress(OSError):
        os.unlink(path)
    kind = path.parent.name
    if kind not in _noted:
        _noted.add(kind)
        print(f"bookmaker: note: a damaged entry in the user cache ({path.parent}) was dropped and is made again",
              file=sys.stderr)


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
