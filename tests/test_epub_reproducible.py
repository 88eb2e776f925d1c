"""Two builds of one book with SOURCE_DATE_EPOCH set are the same bytes.

Each build runs in its own process with its own hash seed, so anything that
depends on set order, object addresses or the clock shows up as a difference.
"""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import FIXTURES, NS, REPO, Epub

EPOCH = 1767225600  # 2026-01-01T00:00:00Z


def build_in_process(book: Path, target: Path, seed: str, *extra: str) -> bytes:
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(EPOCH), "PYTHONHASHSEED": seed}
    run = subprocess.run([sys.executable, "-m", "bookmaker", "epub", str(book), "-o", str(target), *extra],
                         capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr
    return target.read_bytes()


@pytest.mark.parametrize("book", [REPO, FIXTURES / "every-syntax", FIXTURES / "chapters"], ids=lambda p: p.name)
def test_two_builds_are_byte_identical(book, tmp_path):
    first = build_in_process(book, tmp_path / "first.epub", "1")
    second = build_in_process(book, tmp_path / "second.epub", "2")
    assert first == second, _first_difference(tmp_path / "first.epub", tmp_path / "second.epub")


def _first_difference(a: Path, b: Path) -> str:
    with zipfile.ZipFile(a) as za, zipfile.ZipFile(b) as zb:
        if za.namelist() != zb.namelist():
            return f"entries differ: {za.namelist()} != {zb.namelist()}"
        for name in za.namelist():
            if za.read(name) != zb.read(name):
                return f"{name} differs"
            if za.getinfo(name).date_time != zb.getinfo(name).date_time:
                return f"{name} has another timestamp"
    return "same entries and contents; the archive's own bytes differ"


def test_the_archive_is_ordered_and_dated_by_source_date_epoch(tmp_path):
    build_in_process(FIXTURES / "every-syntax", tmp_path / "book.epub", "0")
    epub = Epub(tmp_path / "book.epub")
    infos = epub.zip.infolist()
    assert infos[0].filename == "mimetype" and infos[0].compress_type == zipfile.ZIP_STORED
    assert epub.zip.read("mimetype") == b"application/epub+zip"
    assert infos[1].filename == "META-INF/container.xml"
    assert {info.date_time for info in infos} == {(2026, 1, 1, 0, 0, 0)}
    meta = epub.opf().find("opf:metadata", NS)
    modified = meta.xpath("opf:meta[@property='dcterms:modified']", namespaces=NS)[0].text
    assert modified == datetime.datetime.fromtimestamp(EPOCH, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    # The front matter's identifier is the package's.
    assert meta.findtext("dc:identifier", namespaces=NS) == "urn:uuid:2f0c6e4e-3a57-4b8e-9a55-6c1f1c9f0a11"


def test_a_book_without_identifier_gets_one_derived_from_title_and_authors(tmp_path):
    book = tmp_path / "book" / "manuscript"
    book.mkdir(parents=True)
    (book / "a.md").write_text("---\ntitle: Same Title\nauthor: Same Author\n---\n\nText.\n", encoding="utf-8")
    first = Epub(Path(_build_epub(book.parent, tmp_path / "a.epub"))).opf()
    (book / "a.md").write_text("---\ntitle: Same Title\nauthor: Same Author\n---\n\nOther text.\n", encoding="utf-8")
    second = Epub(Path(_build_epub(book.parent, tmp_path / "b.epub"))).opf()
    (book / "a.md").write_text("---\ntitle: Another Title\nauthor: Same Author\n---\n\nText.\n", encoding="utf-8")
    third = Epub(Path(_build_epub(book.parent, tmp_path / "c.epub"))).opf()
    ids = [opf.findtext(".//dc:identifier", namespaces=NS) for opf in (first, second, third)]
    assert ids[0].startswith("urn:uuid:")
    assert ids[0] == ids[1] != ids[2]


def _build_epub(book: Path, target: Path) -> Path:
    from conftest import build

    return build(book, "epub", "-o", str(target))


@pytest.mark.slow
def test_build_writes_the_epub_beside_the_pdf_in_parallel_with_the_same_bytes(tmp_path):
    """`build` writes the EPUB in a forked process while the PDF is laid out; the
    result must be what the serial path writes, and nothing may be left running."""
    import os
    import subprocess
    import sys

    outputs = {}
    for mode in ("parallel", "serial"):
        env = dict(os.environ, SOURCE_DATE_EPOCH="1767225600")
        env.pop("BOOKMAKER_SERIAL", None)
        if mode == "serial":
            env["BOOKMAKER_SERIAL"] = "1"
        out = tmp_path / mode
        done = subprocess.run([sys.executable, "-m", "bookmaker", "build", str(FIXTURES / "chapters"), "-o", str(out),
                               "--force"], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        outputs[mode] = {p.name: p.read_bytes() for p in out.iterdir() if p.suffix in (".epub", ".html")}
    assert outputs["parallel"].keys() == {"three-chapters.epub", "three-chapters.html"}
    assert outputs["parallel"] == outputs["serial"]
