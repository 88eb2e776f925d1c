"""A face's file as the merge needs it: the type of its outlines (in a collection too), and a copy kept
under its digest for the merge to subset (writers/pdf/patches/fonts.py's deferred_fonts writes it)."""

from __future__ import annotations

from pathlib import Path


def face_is_cff(data: bytes, index: int) -> bool:
    """Whether face `index` of a font file has CFF outlines ("OTTO"), in a collection (.ttc: Debian's Noto
    CJK) too, whose file begins "ttcf" whatever its faces are: read as TrueType, a CJK face's CFF subset
    was embedded as a TrueType font (CIDFontType2, FontFile2), which poppler reports as a mismatch."""
    if data[:4] == b"ttcf" and len(data) >= 12:
        count = int.from_bytes(data[8:12], "big")
        if 0 <= index < count and len(data) >= 16 + 4 * index:
            offset = int.from_bytes(data[12 + 4 * index: 16 + 4 * index], "big")
            return data[offset: offset + 4] == b"OTTO"
    return data[:4] == b"OTTO"


def kept(path: Path, data: bytes) -> bool:
    """The face `data` at `path` (named by its SHA-256) for the merge: there already and intact, or written
    now; False when it cannot be (a full disk). A damaged file or a link of that name is replaced."""
    import contextlib
    import stat

    with contextlib.suppress(OSError):
        info = path.lstat()
        if stat.S_ISREG(info.st_mode) and info.st_size == len(data) and path.read_bytes() == data:
            return True
        path.unlink()  # a damaged file, or a link, of that name
    from bookmaker.core.output import write_whole

    try:
        write_whole(path, data)  # named only once whole: a worker killed mid-write (a stopped build) leaves none
    except OSError:
        return False
    return True
