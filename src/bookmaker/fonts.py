"""The theme's fonts on this machine (found with fontconfig) and subsets of them to embed.

An e-reader brings its own Latin faces, so the EPUB embeds only the faces of
scripts a reader may lack; each is cut down to the characters the book uses.
"""

from __future__ import annotations

import io
import shutil
import subprocess
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
    """The file of an installed face, or None when fontconfig does not have that family."""
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
    Arabic letters still join (the shaper picks initial, medial and final forms)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]  # keep the copyright and licence names
    options.notdef_outline = True
    # Joiners and the space are not always in the text but shaping needs them.
    characters = set(text) | {" ", "\u200c", "\u200d"}
    font = TTFont(path, recalcTimestamp=False)  # the file's own timestamp, so builds are reproducible
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(characters)))
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()
