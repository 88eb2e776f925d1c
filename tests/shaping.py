"""Text shaped with HarfBuzz, as a reading system shapes it with the font it was given."""

from __future__ import annotations

import re

import uharfbuzz as hb

# Letters of the Arabic script (Persian and Urdu included) and the joiners between them.
ARABIC_RUN = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]"
                        r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff\u200c\u200d ]*")


def shaped(font: bytes, text: str) -> list[tuple[int, int, int, int]]:
    """Each glyph's cluster, advance and offsets. Glyph ids differ between a font and its
    subset, but an isolated letter has another advance than its joined form, so positions
    tell whether the letters joined."""
    face = hb.Face(hb.Blob(font))
    buf = hb.Buffer()
    buf.add_str(text)
    buf.guess_segment_properties()
    hb.shape(hb.Font(face), buf)
    return [(info.cluster, pos.x_advance, pos.x_offset, pos.y_offset)
            for info, pos in zip(buf.glyph_infos, buf.glyph_positions)]


def arabic_runs(text: str) -> list[str]:
    return [m.group().strip() for m in ARABIC_RUN.finditer(text) if m.group().strip()]
