"""The theme's fonts on this machine (found with fontconfig) and subsets of them to embed.

An e-reader brings its own Latin faces, so the EPUB embeds only the faces of
scripts a reader may lack; each is cut down to the characters the book uses.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from bookmaker.writers.font_stacks import ARABIC


# Arabic-script text: scripts.css sets `[lang|="fa"]` and the other Arabic-script languages in Amiri.
# The faces of every script are in font_stacks.py; the EPUB embeds those its text needs.
ARABIC_SCRIPT = ARABIC


def find_font(family: str, style: str = "Regular") -> Path | None:
    """The file of an installed face, or None when fontconfig does not have that family."""
    found = find_face(family, style)
    return found[0] if found else None


@cache
def find_face(family: str, style: str = "Regular") -> tuple[Path, int] | None:
    """The file of an installed face and its index in it (a collection such as Noto Serif CJK's
    .ttc holds several), or None when fontconfig does not have that family.

    Remembered in the per-user cache while fontconfig's setup is unchanged: an
    EPUB build asks for four faces, and four fc-match processes were a tenth
    of a small book's build.
    """
    from bookmaker.core.cache import read_json, write_json

    stamp = _fontconfig_stamp()
    key = json.dumps([family, style])
    known = read_json("fonts", b"faces")
    if not isinstance(known, dict) or known.get("stamp") != json.loads(json.dumps(stamp)):
        known = {"stamp": stamp, "faces": {}}  # another fontconfig setup: its answers are stale
    faces = known.get("faces") if isinstance(known.get("faces"), dict) else {}
    found = faces.get(key, False)
    if found is None:
        return None
    if isinstance(found, list) and len(found) == 2 and isinstance(found[0], str) and isinstance(found[1], int) \
            and Path(found[0]).is_file():
        return Path(found[0]), found[1]
    face = _fc_match(family, style)
    faces[key] = [str(face[0]), face[1]] if face else None
    write_json("fonts", b"faces", {"stamp": stamp, "faces": faces})
    return face


def _fontconfig_stamp() -> list:
    """What fontconfig's answers depend on: its configuration, caches and font folders (their
    modification times change when fonts are installed and fc-cache runs) and its environment."""
    home = Path.home()
    xdg_cache = Path(os.environ.get("XDG_CACHE_HOME") or home / ".cache")
    xdg_data = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    places = [Path("/etc/fonts"), Path("/etc/fonts/conf.d"), Path("/var/cache/fontconfig"), xdg_cache / "fontconfig",
              home / ".fontconfig", Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), xdg_data / "fonts",
              home / ".fonts"]
    stamp: list = [os.environ.get("FONTCONFIG_FILE"), os.environ.get("FONTCONFIG_PATH"), shutil.which("fc-match")]
    for place in places:
        try:
            stamp.append(place.stat().st_mtime_ns)
        except OSError:
            stamp.append(None)
    return stamp


def _fc_match(family: str, style: str) -> tuple[Path, int] | None:
    import subprocess  # only when the user cache does not know the face

    if shutil.which("fc-match") is None:
        return None
    try:
        found = subprocess.run(
            ["fc-match", "--format=%{family}\n%{file}\n%{index}", f"{family}:style={style}"],
            capture_output=True, text=True, timeout=30, check=True,
        ).stdout.split("\n")
    except (OSError, subprocess.SubprocessError):
        return None
    # fc-match always answers with something; only the family asked for will do.
    if len(found) < 3 or family not in [f.strip() for f in found[0].split(",")]:
        return None
    path = Path(found[1])
    return (path, int(found[2]) if found[2].isdigit() else 0) if path.is_file() else None


def subset_font(path: Path, text: str, index: int = 0) -> bytes:
    """The face cut down to the glyphs `text` needs, layout features kept so that
    Arabic letters still join (the shaper picks initial, medial and final forms).

    HarfBuzz's subsetter (uharfbuzz), the one WeasyPrint uses for the PDF: it
    takes a few milliseconds where fontTools took most of a second on Amiri.
    The subset comes from the per-user cache when the same face (path, size,
    modification time) was cut for the same characters by the same code and
    uharfbuzz before: importing HarfBuzz alone is a twentieth of a small book's
    EPUB.
    """
    from bookmaker.core.cache import cached_bytes, package_stamp

    info, code = path.stat(), os.stat(__file__)  # this file: a development copy changes _subset
    characters = "".join(sorted(set(text)))
    key = json.dumps(["subset", str(path), index, info.st_size, info.st_mtime_ns, code.st_size, code.st_mtime_ns,
                      package_stamp("uharfbuzz"), characters])
    return cached_bytes("font-subsets", key.encode("utf-8", "surrogatepass"), lambda: _subset(path, characters, index))


def _subset(path: Path, text: str, index: int = 0) -> bytes:
    import uharfbuzz as hb

    face = hb.Face(hb.Blob.from_file_path(str(path)), index)
    wanted = hb.SubsetInput()
    # Joiners and the space are not always in the text but shaping needs them.
    wanted.unicode_set.update(ord(c) for c in set(text) | {" ", "\u200c", "\u200d"})
    # Every layout feature and script the face has. The set starts as HarfBuzz's
    # defaults, so inverting it alone would keep only the others and drop the
    # joining features (init, medi, fina, rlig...): cleared first, then inverted.
    for tags in (wanted.layout_feature_tag_set, wanted.layout_script_tag_set):
        tags.clear()
        tags.invert()
    wanted.name_id_set.clear()
    wanted.name_id_set.invert()  # every name, so the copyright and licence stay
    wanted.flags = hb.SubsetFlags.NOTDEF_OUTLINE
    subset = hb.subset(face, wanted)
    if subset is None:
        raise ValueError(f"HarfBuzz could not subset {path}")
    return subset.blob.data
