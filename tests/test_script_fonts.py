"""A chapter of a real public text in each script bookmaker claims, built with only the fonts
`make book` installs (issue 20): every character set in the theme's face for its script (no
fallback face, no missing glyph: WeasyPrint's own warning is the oracle), the book's words and
digits in its language, and an EPUB that EPUBCheck passes.

The books are tests/fixtures/fonts/<lang>/, each with a SOURCE.md naming the text. Fontconfig
is pointed (FONTCONFIG_FILE) at a configuration that lists only the font folders of the packages
scripts/system-packages.sh installs for `make book`, as a newcomer's machine has them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from ace import ace, violations
from conftest import FIXTURES, REPO, assert_epubcheck_clean

SCRIPTS = FIXTURES / "fonts"
# The book's own face in each (writers/font_stacks.py), as pdffonts names it, and a phrase of its text.
BOOKS = {
    "ja": ("Noto-Serif-CJK-JP", "ある日の暮方の事である"),
    "zh-Hans": ("Noto-Serif-CJK-SC", "今天晚上，很好的月光"),
    "ko": ("Noto-Serif-CJK-KR", "운수 좋은 날"),
    "th": ("Noto-Serif-Thai", "ประเทศไทย"),
    "hi": ("Noto-Serif-Devanagari", "ईदगाह"),
    "he": ("Noto-Serif-Hebrew", "החלוקה"),
    "fa": ("Amiri", "منت خدای"),
}
# What may set the rest: Libertine and Biolinum (Latin), the book's own faces (bold too).
ALLOWED = re.compile(r"^(Linux-(Libertine|Biolinum)-O.*|Noto-?Serif.*|Amiri.*)$")
# Run the build with a handler on WeasyPrint's log that counts its missing-glyph warnings: bookmaker
# replaces them with its own, so the test hears them from WeasyPrint itself.
PROBE = """
import logging, sys
from bookmaker.cli import main
notdef = []
class Count(logging.Handler):
    def emit(self, record):
        if ".notdef glyph" in record.getMessage():
            notdef.append(record.getMessage())
logging.getLogger("weasyprint").addHandler(Count())
try:
    main(sys.argv[1:])
except SystemExit as end:
    print(f"NOTDEF {len(notdef)}", file=sys.stderr)
    raise
"""


def _font_packages() -> list[str]:
    script = (REPO / "scripts" / "system-packages.sh").read_text(encoding="utf-8")
    book = re.search(r"^book=\((.*?)^\)", script, re.S | re.M).group(1)
    return [word for line in book.splitlines() for word in line.split("#")[0].split() if word.startswith("fonts-")]


@pytest.fixture(scope="module")
def make_book_fonts(tmp_path_factory) -> Path:
    """A fontconfig file that lists only the font folders of `make book`'s packages."""
    if shutil.which("dpkg") is None or shutil.which("fc-list") is None:
        pytest.skip("needs dpkg and fontconfig")
    folders = set()
    for package in _font_packages():
        listed = subprocess.run(["dpkg", "-L", package], capture_output=True, text=True)
        if listed.returncode != 0:
            pytest.fail(f"{package} is not installed: run scripts/system-packages.sh book")
        folders |= {str(Path(p).parent) for p in listed.stdout.split() if p.endswith((".ttf", ".otf", ".ttc"))}
    tmp = tmp_path_factory.mktemp("fonts")
    dirs = "".join(f"<dir>{d}</dir>\n" for d in sorted(folders))
    conf = tmp / "fonts.conf"
    conf.write_text(f'<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n<fontconfig>\n'
                    f'{dirs}<include ignore_missing="yes">/etc/fonts/conf.d</include>\n'
                    f"<cachedir>{tmp / 'cache'}</cachedir>\n</fontconfig>\n", encoding="utf-8")
    return conf


def _env(conf: Path, tmp: Path) -> dict[str, str]:
    # A cache of its own: the faces fontconfig found with every font installed must not be reused.
    return {**os.environ, "FONTCONFIG_FILE": str(conf), "XDG_CACHE_HOME": str(tmp / "cache")}


@pytest.fixture(scope="module", params=list(BOOKS))
def built(request, make_book_fonts, tmp_path_factory) -> dict:
    lang = request.param
    tmp = tmp_path_factory.mktemp(lang)
    book = shutil.copytree(SCRIPTS / lang, tmp / "book")
    env = _env(make_book_fonts, tmp)
    out = tmp / "out"
    run = subprocess.run([sys.executable, "-c", PROBE, "build", "--jobs", "1", "-o", str(out), str(book)],
                         capture_output=True, text=True, env=env, timeout=600)
    check = subprocess.run([sys.executable, "-m", "bookmaker", "check", str(book)], capture_output=True, text=True,
                           env=env, timeout=300)
    pdf = next(out.glob("*.pdf"))
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return {"lang": lang, "run": run, "check": check, "pdf": pdf, "epub": next(out.glob("*.epub")),
            "fonts": fonts.splitlines()[2:], "text": text, "tmp": tmp}


@pytest.mark.slow
def test_it_builds_without_a_missing_glyph_or_any_warning(built):
    assert built["run"].returncode == 0, built["run"].stderr
    stderr = built["run"].stderr
    assert "NOTDEF 0" in stderr, stderr  # WeasyPrint drew no missing-glyph box
    assert "warning" not in stderr, stderr


@pytest.mark.slow
def test_every_character_is_set_in_the_themes_face_for_its_script(built):
    names = [re.sub(r"^[A-Z]{6}\+", "", line.split()[0]) for line in built["fonts"]]
    own = BOOKS[built["lang"]][0]
    assert any(name.startswith(own) for name in names), names
    assert [n for n in names if not ALLOWED.match(n)] == [], "a face fontconfig chose by accident"
    assert all(line.split()[-5] == "yes" for line in built["fonts"]), "every face embedded"
    # CJK: the regional forms of the book's language, and no other region's face.
    if own.startswith("Noto-Serif-CJK"):
        assert {n[:17] for n in names if n.startswith("Noto-Serif-CJK")} == {own}


@pytest.mark.slow
def test_check_says_which_face_sets_the_books_script(built):
    assert built["check"].returncode == 0, built["check"].stderr
    family = {"ja": "Noto Serif CJK JP", "zh-Hans": "Noto Serif CJK SC", "ko": "Noto Serif CJK KR",
              "th": "Noto Serif Thai", "hi": "Noto Serif Devanagari", "he": "Noto Serif Hebrew", "fa": "Amiri"}
    lines = [line for line in built["check"].stdout.splitlines() if line.startswith("fonts: ")]
    assert any(family[built["lang"]] in line and "fonts-" in line for line in lines), built["check"].stdout
    assert "warning" not in built["check"].stderr


@pytest.mark.slow
def test_the_text_and_the_books_words_are_in_the_pdf(built):
    lang, text = built["lang"], built["text"]
    # pdftotext puts spaces inside Devanagari words and drops the bidi marks' neighbours' order; the
    # PDF's text layer loses Persian's ZERO WIDTH NON-JOINERs (issue 20, item 8, another branch's):
    # compared without spaces, joiners and bidi controls.
    plain = re.sub(r"[\s\u200c\u200d\u202a-\u202e\u2066-\u2069]", "", text)
    assert re.sub(r"[\s\u200c]", "", BOOKS[lang][1]) in plain
    from bookmaker.core.terms import terms_for

    assert re.sub(r"[\s\u200c]", "", terms_for(lang)["notes"]) in plain  # the notes' title in the book's language
    if lang == "fa":  # Persian page and note numbers in Persian digits
        assert "۱" in text and not re.search(r"(?m)^\s*1\s*$", text)


@pytest.mark.slow
def test_the_epub_embeds_the_scripts_face_and_passes_epubcheck_and_ace(built):
    with zipfile.ZipFile(built["epub"]) as epub:
        fonts = [n for n in epub.namelist() if n.startswith("EPUB/fonts/")]
        nav = epub.read("EPUB/nav.xhtml").decode("utf-8")
    assert fonts, "the face of the book's script is embedded"
    from bookmaker.core.terms import terms_for

    assert terms_for(built["lang"])["contents"] in nav
    assert_epubcheck_clean(built["epub"])
    assert violations(ace(built["epub"])) == []


@pytest.mark.slow
def test_without_the_cjk_package_each_missing_character_is_one_warning_naming_it(make_book_fonts, tmp_path):
    """The same Japanese chapter on a machine without fonts-noto-cjk: one warning per character,
    with its count and first line, naming the package; none from WeasyPrint's per-occurrence log."""
    conf = tmp_path / "fonts.conf"
    conf.write_text(re.sub(r"<dir>[^<]*noto[^<]*cjk[^<]*</dir>\n|<dir>/usr/share/fonts/opentype/noto</dir>\n", "",
                           make_book_fonts.read_text(encoding="utf-8")), encoding="utf-8")
    book = shutil.copytree(SCRIPTS / "ja", tmp_path / "book")
    run = subprocess.run([sys.executable, "-c", PROBE, "pdf", "--jobs", "1", "-o", str(tmp_path / "out.pdf"),
                          str(book)], capture_output=True, text=True, env=_env(conf, tmp_path), timeout=600)
    warnings = [line for line in run.stderr.splitlines() if ": warning: " in line]
    distinct = {c for c in (book / "manuscript" / "chapter.md").read_text(encoding="utf-8")
                if ord(c) > 0x2FFF and c != "\u3000"}
    assert len(warnings) == len(distinct), run.stderr
    gate = next(w for w in warnings if "'門'" in w)
    assert gate.startswith("manuscript/chapter.md:1: ") or "chapter.md:1:" in gate
    assert "used 5 times" in gate and "install fonts-noto-cjk" in gate
