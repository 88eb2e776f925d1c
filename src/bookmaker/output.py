"""Writing outputs so that a failed, interrupted or killed build never leaves a
half-written book, nor a stray temporary file, behind."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

_PART = ".part"


@contextlib.contextmanager
def atomic_output(target: Path) -> Iterator[BinaryIO]:
    """Yield a file to write the output into; it replaces `target` only when the block completes.

    On Linux the file is anonymous (O_TMPFILE) in the target's folder: if the
    process dies, even by SIGKILL, the kernel frees it and nothing is left. It
    gets a name only for the instant between being linked and being renamed
    over the target (a kill in that instant leaves it). Elsewhere a named temporary
    file is used. Either way, leftovers of killed builds are swept the next time
    the same target is written.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    # A build killed in the instant between naming the anonymous file and renaming it leaves the name.
    _sweep(target)
    fd = _anonymous_file(target.parent)
    if fd is None:
        yield from _named_output(target)
        return
    with os.fdopen(fd, "w+b") as out:
        yield out
        out.flush()
        os.fsync(out.fileno())
        os.fchmod(out.fileno(), 0o644)
        tmp = target.parent / f".{target.name}.{os.getpid()}{_PART}"
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        _link(out.fileno(), tmp)
        try:
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            raise


_AT_FDCWD = -100
_AT_SYMLINK_FOLLOW = 0x400


def _linkat():
    # os.link() cannot give an anonymous file a name: it calls linkat() without
    # AT_SYMLINK_FOLLOW, so /proc/self/fd/N is taken as the link itself (EXDEV).
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.linkat
    except (OSError, AttributeError, ImportError):
        return None


def _link(fd: int, name: Path) -> None:
    import ctypes

    if _linkat()(_AT_FDCWD, f"/proc/self/fd/{fd}".encode(), _AT_FDCWD, os.fsencode(name), _AT_SYMLINK_FOLLOW) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err), str(name))


def _anonymous_file(folder: Path) -> int | None:
    flag = getattr(os, "O_TMPFILE", None)
    if flag is None or not os.path.isdir("/proc/self/fd") or _linkat() is None:
        return None
    try:
        return os.open(folder, flag | os.O_RDWR, 0o600)
    except OSError as exc:
        if exc.errno in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL, errno.ENOENT):
            return None  # a filesystem without O_TMPFILE
        raise


def _named_output(target: Path) -> Iterator[BinaryIO]:
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=_PART, dir=target.parent)
    tmp_path = Path(tmp)
    try:
        with os.fdopen(fd, "w+b") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp_path, 0o644)
        os.replace(tmp_path, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()


def _sweep(target: Path) -> None:
    """Remove temporary files of earlier builds of `target` whose process no longer runs."""
    for leftover in target.parent.glob(f".{target.name}.*{_PART}"):
        pid = leftover.name[len(target.name) + 2 :].split(".", 1)[0]
        if pid.isdigit() and not _running(int(pid)):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def default_output(book_root: Path, slug: str, extension: str) -> Path:
    return book_root / "build" / f"{slug}.{extension}"
