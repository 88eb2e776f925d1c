"""The state file in the output folder: what each output was last made from (its fingerprint), so that
a build skips an output nothing it is made from has changed since.

The output folder may come with the (untrusted) book, and the state file with it: it is read with care,
and only an output in the output folder is taken from it."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from bookmaker.model import Book

STATE_FILE = ".bookmaker-state.json"


def used_files(book: Book) -> list[str]:
    """The files inside the book a build read beyond bookfiles.inputs: images, the cover, what stylesheets name,
    the bibliographies and the .csl style (whatever was read through the book's resource policy)."""
    names = [image.src for image in book.images if image.data is None]
    policy = getattr(book, "policy", None)
    root = policy.book_root if policy is not None else None
    names += [p.relative_to(root).as_posix() for p in getattr(policy, "read_files", ()) if root is not None]
    if book.metadata.cover:
        names.append(book.metadata.cover)
    return sorted(set(names + book.style_resources))


def inside(name: str) -> bool:
    """A relative name that stays in the book (the state file's names are not trusted)."""
    import os

    return not os.path.isabs(name) and ".." not in Path(name).parts and "\0" not in name


def stat_signature(path: Path, root: Path) -> list:
    """Name, size and modification time of a file (following links), or its name alone when it is gone."""
    try:
        info = path.stat()
    except (OSError, ValueError):
        return [str(path.relative_to(root))]
    return [str(path.relative_to(root)), info.st_size, info.st_mtime_ns, info.st_ino]


def read_state(out_dir: Path) -> dict:
    import stat

    path = out_dir / STATE_FILE
    try:
        # Only a small regular file: a pipe or a link to /dev/zero of that name may have come with the book.
        info = path.lstat()
        if not stat.S_ISREG(info.st_mode) or info.st_size > 1_000_000:
            return {}
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def last_build(state: dict, fmt: str, out_dir: Path) -> tuple[str | None, Path | None]:
    """The fingerprint and the output of the last build of `fmt`, from the state file.

    The state file may have come with the book: only an output in the output folder is taken."""
    known = state.get(fmt)
    if not isinstance(known, dict):
        return None, None
    target = known.get("target")
    if not isinstance(target, str) or "\0" in target or Path(target).parent != out_dir:
        target = None
    fingerprint = known.get("fingerprint")
    return (fingerprint if isinstance(fingerprint, str) else None), (Path(target) if target else None)


def last_uses(state: dict, fmt: str) -> list:
    """The files beyond the inputs that the last build of `fmt` read (`used_files`)."""
    known = state.get(fmt)
    uses = known.get("uses", []) if isinstance(known, dict) else []
    return uses if isinstance(uses, list) else []


def write_state(out_dir: Path, state: dict) -> None:
    import os
    import tempfile

    tmp = None
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        # Written beside and renamed over, never written through: a link, a pipe, or a hard link to a
        # chapter of that name may have come with the book, and the chapter must stay as it is.
        fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=STATE_FILE + ".", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(state, out, indent=1)
        os.chmod(tmp, 0o644)
        target = out_dir / STATE_FILE
        if target.is_dir() and not target.is_symlink():
            return  # a folder of that name is the author's: left alone, the next build is not skipped
        os.replace(tmp, target)
        tmp = None
    except OSError:
        pass  # the outputs are written; only the next build's skip check is lost
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
