"""The EPUB in calibre, the reading software of many readers: converted with
`ebook-convert` to AZW3 (Kindle) and to PDF, as people send books to their
devices, the Persian name joined in both and nothing reported about the book.

calibre shapes text with the fonts the EPUB embeds: without the subset's layout
features (init, medi, fina...) the name was a row of isolated letters.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from conftest import REPO, build
from lxml import etree
from pypdf import PdfReader
from shaping import arabic_runs, shaped

from bookmaker.writers.fonts import ARABIC_SCRIPT, find_font

PERSIAN_NAME = "قاسم سلیمانی"
ARABIC = re.compile("[\u0600-\u06ff]")
# What ebook-convert says when something in a book is wrong or was left out.
PROBLEM = re.compile(r"warn|error|fail|could not|not found|invalid|missing|unknown|skipp|ignor|unsupported",
                     re.IGNORECASE)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def calibre(tmp_path_factory):
    """Run ebook-convert on the sample book's EPUB; return a function of the target suffix."""
    assert shutil.which("ebook-convert"), "install calibre: scripts/system-packages.sh test"
    out = tmp_path_factory.mktemp("calibre")
    epub = build(REPO, "epub", "-o", str(out / "sample.epub"))
    env = {**os.environ, "CALIBRE_CONFIG_DIRECTORY": str(out / "config"), "QT_QPA_PLATFORM": "offscreen",
           # calibre's PDF output runs Qt WebEngine (Chromium), whose sandbox refuses to run as root.
           "QTWEBENGINE_CHROMIUM_FLAGS": "--no-sandbox", "XDG_RUNTIME_DIR": str(out)}

    def convert(suffix: str, source: Path = epub) -> tuple[Path, str]:
        target = out / f"{source.name}{suffix}"  # sample.azw3.epub: a round trip never overwrites the book's EPUB
        run = subprocess.run(["ebook-convert", str(source), str(target)], capture_output=True, text=True,
                             timeout=300, env=env)
        assert run.returncode == 0 and target.is_file(), run.stdout[-3000:] + run.stderr[-3000:]
        return target, run.stdout + run.stderr

    return convert


def _fonts_of(epub: Path) -> list[bytes]:
    """The font files of an EPUB calibre wrote, undoing Adobe's font obfuscation (the first
    1024 bytes XORed with the book's UUID), which calibre applies to fonts from a Kindle book."""
    with zipfile.ZipFile(epub) as z:
        names = z.namelist()
        opf_name = next(n for n in names if n.endswith(".opf"))
        opf = etree.fromstring(z.read(opf_name))
        uid = opf.xpath(f"//*[@id='{opf.get('unique-identifier')}']")[0].text
        key = bytes.fromhex(re.sub("[^0-9a-fA-F]", "", uid.removeprefix("urn:uuid:"))[:32])
        obfuscated = set()
        if "META-INF/encryption.xml" in names:
            encryption = etree.fromstring(z.read("META-INF/encryption.xml"))
            for data in encryption.iter("{http://www.w3.org/2001/04/xmlenc#}EncryptedData"):
                method = data.find("{http://www.w3.org/2001/04/xmlenc#}EncryptionMethod").get("Algorithm")
                assert method == "http://ns.adobe.com/pdf/enc#RC", method
                uri = data.find(".//{http://www.w3.org/2001/04/xmlenc#}CipherReference").get("URI")
                obfuscated.add(str(Path(opf_name).parent / uri).removeprefix("./"))
        fonts = []
        for name in names:
            if name.lower().endswith((".ttf", ".otf")):
                data = z.read(name)
                if name in obfuscated:
                    data = bytes(b ^ key[i % 16] for i, b in enumerate(data[:1024])) + data[1024:]
                fonts.append(data)
    return fonts


def _book_runs() -> list[str]:
    return arabic_runs("".join(p.read_text(encoding="utf-8") for p in (REPO / "manuscript").glob("*.md")))


def _problems(log: str) -> list[str]:
    # Qt's own start-up lines name no part of the book.
    return [line for line in log.splitlines() if PROBLEM.search(line) and "qt.webenginecontext" not in line]


def test_calibre_takes_the_cover_page_for_the_cover_and_shows_it_once(calibre):
    """Issue 23: without the OPF's `<guide>` reference calibre kept the cover page as text and made a
    cover of its own, so the AZW3 opened on the cover twice. Read back, the AZW3 has one cover page."""
    azw3, log = calibre(".azw3")
    assert "Found HTML cover" in log, log[-2000:]
    epub, _ = calibre(".epub", azw3)
    with zipfile.ZipFile(epub) as z:
        pages = [n for n in z.namelist() if n.endswith((".html", ".xhtml"))]
        with_cover = [n for n in pages if b"cover" in z.read(n).lower() and b"<img" in z.read(n).lower()
                      or b"<svg" in z.read(n).lower() and b"cover" in z.read(n).lower()]
    assert len(with_cover) <= 1, with_cover


def test_the_azw3_has_no_conversion_warnings_and_keeps_the_joining_features(calibre):
    azw3, log = calibre(".azw3")
    assert _problems(log) == []
    # calibre reads its AZW3 back; the face in it shapes the book's Persian as the full face does.
    epub, _ = calibre(".epub", azw3)
    fonts = _fonts_of(epub)
    assert len(fonts) == 1, "the AZW3 carries the Persian face"
    full = find_font(ARABIC_SCRIPT.family).read_bytes()
    for run in _book_runs():
        assert shaped(fonts[0], run) == shaped(full, run), run


# -- the PDF: which glyphs were drawn in the Arabic-script face ------------------------------

_TOKENS = re.compile(rb"/ActualText\s*<FEFF((?:[0-9A-Fa-f]{4})+)>|/([^\s/]+)\s+[\d.]+\s+Tf|<([0-9A-Fa-f]*)>\s*Tj")


def _widths(font) -> dict[int, int]:
    w = font["/DescendantFonts"][0].get_object().get("/W", [])
    widths, i = {}, 0
    while i < len(w):
        first = int(w[i])
        if hasattr(w[i + 1], "__len__"):
            widths.update({first + n: int(v) for n, v in enumerate(w[i + 1])})
            i += 2
        else:
            widths.update({c: int(w[i + 2]) for c in range(first, int(w[i + 1]) + 1)})
            i += 3
    return widths


def _maps_to_arabic(font) -> bool:
    if "/ToUnicode" not in font:
        return False
    cmap = font["/ToUnicode"].get_object().get_data().decode("latin-1")
    return any(ARABIC.search(bytes.fromhex(u).decode("utf-16-be", "replace"))
               for u in re.findall(r"<[0-9A-Fa-f]+>\s*<([0-9A-Fa-f]+)>", cmap))


def arabic_glyph_widths(pdf: Path) -> list[int | None]:
    """The advance (1/1000 em) of each glyph drawn in an Arabic-script face, in drawing order.

    The face is known by its ToUnicode map or, as joined forms map to no character,
    by the ActualText that Chromium (calibre's PDF engine) writes around each glyph."""
    drawn: list[int | None] = []
    for page in PdfReader(pdf).pages:
        fonts = {k.lstrip("/"): v.get_object() for k, v in page.get("/Resources", {}).get("/Font", {}).items()}
        cid_fonts = {k for k, f in fonts.items() if f.get("/Subtype") == "/Type0"}
        arabic = {k for k in cid_fonts if _maps_to_arabic(fonts[k])}
        glyphs, current, actual = [], None, ""
        for m in _TOKENS.finditer(page.get_contents().get_data()):
            if m.group(1):
                actual = bytes.fromhex(m.group(1).decode()).decode("utf-16-be", "replace")
            elif m.group(2):
                current = m.group(2).decode()
            elif current in cid_fonts:
                if ARABIC.search(actual):
                    arabic.add(current)
                glyphs.append((current, bytes.fromhex(m.group(3).decode())))
                actual = ""
        for key, raw in glyphs:
            if key in arabic:
                widths = _widths(fonts[key])
                drawn += [widths.get(int.from_bytes(raw[i:i + 2], "big")) for i in range(0, len(raw), 2)]
    return drawn


def test_the_pdf_has_the_persian_name_joined_and_no_conversion_warnings(calibre):
    pdf, log = calibre(".pdf")
    assert _problems(log) == []
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert PERSIAN_NAME in text
    # Joined letters have other advances than isolated ones: the glyphs drawn are those
    # HarfBuzz picks with the full face, not the isolated forms the broken subset gave.
    full = find_font(ARABIC_SCRIPT.family).read_bytes()
    joined = sorted(advance for run in _book_runs() for _, advance, _, _ in shaped(full, run))
    apart = sorted(advance for run in _book_runs() for c in run for _, advance, _, _ in shaped(full, c))
    drawn = sorted(arabic_glyph_widths(pdf), key=lambda w: -1 if w is None else w)
    assert joined != apart
    assert drawn == joined, f"drawn {drawn}, joined {joined}, isolated {apart}"
