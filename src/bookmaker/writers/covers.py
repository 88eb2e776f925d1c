"""The book's cover: the image the front matter names, or one set in type from
the title and authors (Pillow, which WeasyPrint already brings)."""

from __future__ import annotations

import io
import re

from bookmaker.model import Metadata
from bookmaker.writers.font_stacks import face_of_script, script_of
from bookmaker.writers.fonts import ARABIC_SCRIPT, find_face, find_font

# 1.6:1, at least 1,400 px wide and at most 4,000,000 pixels (Apple Books): 3,969,000 px.
# KDP's "ideal" 1600 x 2560 is 4.1 million pixels, over Apple's limit.
COVER_SIZE = (1575, 2520)
_PAPER = (246, 242, 233)
_INK = (32, 33, 34)
_ACCENT = (122, 30, 30)


def cover_alt(metadata: Metadata, terms: dict[str, str] | None = None) -> str:
    """The cover's description, in the book's language (core/terms.py): "Cover: Title, by Author"."""
    from bookmaker.core.terms import terms_for

    terms = terms or terms_for("en")
    values = {"title": metadata.title, "authors": _names(metadata.authors, terms["and"])}
    pattern = terms["cover-by" if metadata.authors else "cover-of"]
    return re.sub(r"\{(title|authors)\}", lambda m: values[m.group(1)], pattern)  # one pass: a title may hold "{"


def generate_cover(metadata: Metadata, and_word: str = " and ") -> bytes:
    """A typographic cover: title, subtitle and authors on plain paper, as PNG.

    Deterministic for the same metadata and fonts, so builds stay reproducible;
    for the same reason it can come from the cache (drawing and encoding it is
    a third of the time of a small book's EPUB).
    """
    from bookmaker.core.cache import cached_bytes

    faces = [find_font("Linux Libertine O", style) for style in ("Regular", "Italic")]
    faces += [find_font("Linux Biolinum O"), find_font(ARABIC_SCRIPT.family)]
    key = repr((metadata.title, metadata.subtitle, metadata.authors, metadata.lang, and_word,
                [(str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in faces if f is not None]))
    return cached_bytes("covers", key.encode(), lambda: _draw_cover(metadata, and_word))


def _draw_cover(metadata: Metadata, and_word: str = " and ") -> bytes:
    from PIL import Image, ImageDraw

    width, height = COVER_SIZE
    margin = 170
    image = Image.new("RGB", COVER_SIZE, _PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle((70, 70, width - 71, height - 71), outline=_INK, width=4)

    # Lines stand on baselines a fixed step apart, whatever their letters reach.
    title_font = _font(metadata.title, "Linux Libertine O", "Regular", 170, metadata.lang)
    baseline = 760
    for line in _wrap(draw, metadata.title, title_font, width - 2 * margin):
        draw.text((width / 2, baseline), line, font=title_font, fill=_INK, anchor="ms")
        baseline += 205
    rule = baseline - 80
    draw.line((width / 2 - 180, rule, width / 2 + 180, rule), fill=_ACCENT, width=6)
    baseline = rule + 170
    if metadata.subtitle:
        subtitle_font = _font(metadata.subtitle, "Linux Libertine O", "Italic", 96, metadata.lang)
        for line in _wrap(draw, metadata.subtitle, subtitle_font, width - 2 * margin):
            draw.text((width / 2, baseline), line, font=subtitle_font, fill=_INK, anchor="ms")
            baseline += 120

    if metadata.authors:
        names = _names(metadata.authors, and_word)
        author_font = _font(names, "Linux Biolinum O", "Regular", 88, metadata.lang)
        author_lines = _wrap(draw, names, author_font, width - 2 * margin)
        baseline = height - 300 - 110 * (len(author_lines) - 1)
        for line in author_lines:
            draw.text((width / 2, baseline), line, font=author_font, fill=_INK, anchor="ms")
            baseline += 110

    out = io.BytesIO()
    # Fast deflate: the best compression took 0.15 s per build for 50 KB less.
    image.save(out, "PNG", compress_level=1)
    return out.getvalue()


def _names(authors: list[str], and_word: str = " and ") -> str:
    """"A, B and C" ("and" is the book's term, with its spaces: " and ", "、")."""
    if len(authors) < 2:
        return "".join(authors)
    comma = "、" if and_word == "、" else ", "
    return comma.join(authors[:-1]) + and_word + authors[-1]


def _font(text: str, family: str, style: str, size: int, lang: str = "en"):
    """The theme's face for `text`: its script's face (font_stacks.py) when it holds a script
    Libertine lacks: Amiri for Persian, Noto Serif CJK JP for Japanese..."""
    from PIL import ImageFont

    code = next((c for c in map(script_of, text) if c is not None), None)
    if code is not None:
        family, style = face_of_script(code, lang).family, "Regular"
    found = find_face(family, style) or find_face(family)
    if found is None:
        return ImageFont.load_default(size)
    return ImageFont.truetype(str(found[0]), size, index=found[1])


def _wrap(draw, text: str, font, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and draw.textlength(f"{lines[-1]} {word}", font=font) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [text]

