"""Each face left for the merge to subset once for all parts."""

from __future__ import annotations

import hashlib
from pathlib import Path

from bookmaker.writers.pdf.face_files import face_is_cff, kept


class deferred_fonts:
    """While a part is written, its faces are not subset: the merge subsets each face once for all parts.

    A face WeasyPrint must transform (variable, colour or bitmap) is cleaned as
    usual and stays the part's own.
    """

    def __init__(self, deferred: dict[str, dict], font_dir: str) -> None:
        self.deferred = deferred
        self.font_dir = Path(font_dir)

    def __enter__(self) -> None:
        from weasyprint.pdf.fonts import Font

        self.Font = Font
        self.real = Font.clean
        deferred, font_dir, real = self.deferred, self.font_dir, self.real

        def clean(font, to_unicode, hinting):
            if font.bitmap or "fvar" in font.tables or font.png or font.svg or font.colr or not to_unicode:
                return real(font, to_unicode, hinting)
            data = font.file_content
            sha = hashlib.sha256(data).hexdigest()
            path = font_dir / sha
            if not kept(path, data):
                return real(font, to_unicode, hinting)  # the faces' folder is full: embedded as usual
            name = font.name.decode("latin-1").lstrip("/")
            otf = face_is_cff(data, font.index)
            deferred[name] = {"sha": sha, "index": font.index, "gids": sorted(to_unicode),
                              "missing": bool(font.missing), "otf": otf}
            # A stand-in the merge replaces, which gives WeasyPrint the face's type (Font.type reads its
            # first bytes): its subset, like WeasyPrint's own, is a face of its own, never a collection.
            font.file_content = b"OTTO" if otf else b"\x00\x01\x00\x00"

        Font.clean = clean

    def __exit__(self, *exc) -> None:
        self.Font.clean = self.real
