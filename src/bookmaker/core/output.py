"""Writing outputs so that a failed, interrupted or killed build never leaves a
half-written book, nor a stray temporary file, behind."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from bookmaker.core.diagnostics import BookError, Diagnostics
from bookmaker.core.paths import real_path

_PART = ".part"


def is_stdout(path: Path) -> bool:
    """`-o -`: the output goes to standard output."""
    return str(path) == "-"


@contextlib.contextmanager
def atomic_output(target: Path) -> Iterator[BinaryIO]:
    """Yield a file to write the output into; it replaces `target` only when the block completes.

    On Linux the file is anonymous (O_TMPFILE) in the target's folder: if the
    process dies, even by SIGKILL, the kernel frees it and nothing is left. It
    gets a name only for the instant between being linked and being renamed
    over the target (a kill in that instant leaves it). Elsewhere a named temporary
    file is used. Either way, leftovers of killed builds are swept the next time
    the same target is written.

    Only a regular file is ever replaced. A character device or a pipe (`-o
    /dev/null`, `-o -` for standard output) is written into, once the whole
    output is made; a folder or anything else in the way is an error. Every
    failure to write (a full disk, a read-only folder, a name too long) is a
    BookError naming the target, and the previous output stays as it was.
    """
    try:
        with _output(target) as out:
            yield out
    except OSError as exc:
        raise _cannot_write(target, exc) from None


def check_book_target(target: Path, book_root: Path) -> None:
    """An output the book's own settings place (build/...) replaces only a regular file of the book.

    The output folder may come with the book, and with it a link or a pipe
    at an output's name: writing into it would reach outside the book (or
    wait for ever). Only `-o` on the command line may name a device or a pipe.
    """
    try:
        mode = target.lstat().st_mode
    except OSError:  # nothing there yet; or a name too long, which writing reports
        return
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):  # a folder in the way is atomic_output's error
        return
    if stat.S_ISLNK(mode):
        resolved = real_path(target)
        if resolved.is_relative_to(real_path(book_root)) and resolved.is_file():
            return  # the rename replaces the link, inside the book
    diagnostics = Diagnostics()
    diagnostics.error(target, None, "is not a regular file (a link, a pipe or a device): an output replaces "
                                    "only a regular file; remove it and build again", code="output-not-a-file")
    raise BookError(diagnostics)


def _output(target: Path) -> contextlib.AbstractContextManager[BinaryIO]:
    if is_stdout(target):
        return _into_stream(target)
    try:
        mode = os.stat(target).st_mode
    except (FileNotFoundError, NotADirectoryError):
        mode = None
    if mode is not None and stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(target))
    if mode is not None and (stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)):
        return _into_stream(target)
    if mode is not None and not stat.S_ISREG(mode):
        raise OSError(errno.EINVAL, "not a regular file, a character device or a pipe", str(target))
    return _replacing(target)


@contextlib.contextmanager
def _into_stream(target: Path) -> Iterator[BinaryIO]:
    """Standard output, a device or a pipe: written into (never replaced), and only with the whole output."""
    with tempfile.TemporaryFile() as out:
        yield out
        out.flush()
        out.seek(0)
        if is_stdout(target):
            sys.stdout.flush()
            shutil.copyfileobj(out, sys.stdout.buffer)
            sys.stdout.buffer.flush()
        else:
            with open(target, "wb") as into:
                shutil.copyfileobj(out, into)


@contextlib.contextmanager
def _replacing(target: Path) -> Iterator[BinaryIO]:
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
        tmp = target.parent / f".{_short(target.name)}.{os.getpid()}{_PART}"
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        _link(out.fileno(), tmp)
        try:
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            raise


_HINTS = {
    errno.ENOSPC: "free some space and build again",
    errno.EDQUOT: "free some space and build again",
    errno.EACCES: "the folder is not writable: choose another place with -o",
    errno.EPERM: "the folder is not writable: choose another place with -o",
    errno.EROFS: "the disk is read-only: choose another place with -o",
    errno.ENOTDIR: "a part of the path is a file, not a folder: check the path",
    errno.EEXIST: "a part of the path is a file, not a folder: check the path",
    errno.EISDIR: "a folder of that name is in the way: move it, or choose another name with -o",
    errno.ENAMETOOLONG: "set a shorter [output] name (or give one with -o)",
}


def _cannot_write(target: Path, exc: OSError) -> BookError:
    diagnostics = Diagnostics()
    reason = exc.strerror or str(exc)
    hint = _HINTS.get(exc.errno or 0, "check the path and the disk")
    diagnostics.error("standard output" if is_stdout(target) else target, None,
                      f"cannot write the output: {reason}: {hint}; the previous output is unchanged", code="output-unwritable")
    return BookError(diagnostics)


def _short(name: str) -> str:
    """A file's name cut so that the temporary name made of it stays within the 255 bytes a name may have."""
    return name.encode()[:200].decode(errors="ignore")


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
    fd, tmp = tempfile.mkstemp(prefix=f".{_short(target.name)}.{os.getpid()}.", suffix=_PART, dir=target.parent)
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
    name = _short(target.name)
    for leftover in target.parent.glob(f".{name}.*{_PART}"):
        pid = leftover.name[len(name) + 2 :].split(".", 1)[0]
        if pid.isdigit() and not _running(int(pid)):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):  # a name with 20 digits is no process's
        return False
    except PermissionError:
        return True
    return True


def write_whole(path: Path, data: bytes) -> None:
    """A new file `path` holding `data`, named only once it is whole: a process killed while writing it,
    even by SIGKILL (a layout worker of a stopped build), leaves nothing. For cache entries named by their
    content: one already there is kept. OSError when it cannot be written."""
    fd = _anonymous_file(path.parent)
    if fd is None:
        fd, tmp = tempfile.mkstemp(prefix=".", suffix=_PART, dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        return
    with os.fdopen(fd, "w+b") as out:
        out.write(data)
        out.flush()
        os.fchmod(out.fileno(), 0o644)
        with contextlib.suppress(FileExistsError):
            _link(out.fileno(), path)
