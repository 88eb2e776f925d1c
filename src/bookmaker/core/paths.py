"""Paths with their symbolic links followed, where a link that loops is no exception.

Python 3.11's Path.resolve() raises RuntimeError on a loop (`a -> a`), anywhere
in a book: an image, a stylesheet, a template, the output folder. real_path()
follows links the same way but returns such a path as it is; reading it then
fails as a file that cannot be read (ELOOP), which every caller reports.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path


def real_path(path: Path | str) -> Path:
    """`path`, absolute, with every symbolic link followed (as far as they lead: a loop stays a loop)."""
    return Path(os.path.realpath(path))


def loops(path: Path | str) -> bool:
    """Whether `path` is (or passes through) a symbolic link that leads back to itself."""
    try:
        os.stat(path)
    except OSError as exc:
        return exc.errno == errno.ELOOP
    return False
