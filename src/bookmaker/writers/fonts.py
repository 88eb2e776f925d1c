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


@dataclass(frozen=True)
class EmbeddedFace:
    family: str  # the family name the theme's CSS asks for
    file_name: str  # where it goes in the EPUB
    langs: tuple[str, ...]  # primary language subtags whose text it sets (base.css says the same)


# Arabic-script text: base.css sets `:lang(fa), :lang(ar), :lang(ur), [dir="rtl"]` in Amiri.
ARABIC_SCRIPT = EmbeddedFace("Amiri", "fonts/amiri-regular.ttf", ("fa", "ar", "ur"))
EMBEDDED_FACES = (ARABIC_SCRIPT,)


@cache
def find_font(family: str, style: str = "Regular") -> Path | None:
    """The file of an installed face, or None when fontconfig does not have that family.

    Remembered in the per-user cache while fontconfig's setup is unchanged: an
    EPUB build asks for four faces, and four fc-match processes were a tenth
    of a small book's build.
    """
    from bookmaker.core.cache import cache_dir

    folder = cache_dir("fonts")
    key = json.dumps([family, style, _fontconfig_stamp()])
    known = _read_json(folder / "paths.json") if folder else {}
    if key in known and (known[key] is None or Path(known[key]).is_file()):
        return Path(known[key]) if known[key] else None
    path = _fc_match(family, style)
    if folder is not None:
        known = {k: v for k, v in known.items() if json.loads(k)[2] == json.loads(key)[2]}  # drop stale setups
        known[key] = str(path) if path else None
        _write_json(folder / "paths.json", known)
    return path


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


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_json(path: Path, data: dict) -> None:
    import tempfile

    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out)
        os.replace(tmp, path)  # a reader never sees half a file
    except OSError:
        pass


def _fc_match(family: str, style: str) -> Path | None:
    import subprocess  # only when the user cache does not know the face

    if shutil.which("fc-match") is None:
        return None
    try:
        found = subprocess.run(
            ["fc-match", "--format=%{family}\n%{file}", f"{family}:style={style}"],
            capture_output=True, text=True, timeout=30, check=True,
        ).stdout.split("\n")
    except (OSError, subprocess.SubprocessError):
        return None
    # fc-match always answers with something; only the family asked for will do.
    if len(found) < 2 or family not in [f.strip() for f in found[0].split(",")]:
        return None
    path = Path(found[1])
    return path if path.is_file() else None


def subset_font(path: Path, text: str) -> bytes:
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
    key = json.dumps(["subset", str(path), info.st_size, info.st_mtime_ns, code.st_size, code.st_mtime_ns,
                      package_stamp("uharfbuzz"), characters])
    return cached_bytes("font-subsets", key.encode("utf-8", "surrogatepass"), lambda: _subset(path, characters))


def _subset(path: Path, text: str) -> bytes:
    import uharfbuzz as hb

    face = hb.Face(hb.Blob.from_file_path(str(path)))
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
