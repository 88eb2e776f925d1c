"""The user cache is a trust boundary (issue 27): an entry is data checked by its digest before use,
only a regular file is read, a damaged entry is dropped with a note, a cache that cannot be written
costs only time; nothing read from the cache runs as code."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bookmaker.core import cache


@pytest.fixture
def user_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("BOOKMAKER_NO_CACHE", raising=False)
    cache.cache_dir.cache_clear()
    cache._noted.clear()
    yield tmp_path / "cache"
    cache.cache_dir.cache_clear()


def test_an_entry_comes_back_as_it_was_written(user_cache):
    cache.write_cached("covers", b"key", b"\x00payload\xff")
    assert cache.read_cached("covers", b"key") == b"\x00payload\xff"
    assert cache.read_cached("covers", b"other") is None


def test_a_damaged_entry_is_dropped_with_a_one_line_note(user_cache, capsys):
    cache.write_cached("covers", b"key", b"the cover")
    path = cache.entry_path("covers", b"key")
    data = bytearray(path.read_bytes())
    data[-1] ^= 1  # one bit of the payload
    path.write_bytes(bytes(data))
    assert cache.read_cached("covers", b"key") is None
    assert not path.exists()
    note = capsys.readouterr().err
    assert note.count("\n") == 1 and "a damaged entry in the user cache" in note
    assert cache.cached_bytes("covers", b"key", lambda: b"made again") == b"made again"
    assert cache.read_cached("covers", b"key") == b"made again"


def test_an_entry_without_the_digest_is_not_used(user_cache):
    path = cache.entry_path("citeproc", b"key")
    path.write_bytes(b'{"blocks": []}')  # what an earlier version (or someone else) left there
    assert cache.read_cached("citeproc", b"key") is None


def test_a_fifo_in_place_of_an_entry_is_dropped_not_waited_on(user_cache):
    path = cache.entry_path("pagemaps", b"key")
    os.mkfifo(path)
    result = []
    reader = threading.Thread(target=lambda: result.append(cache.read_cached("pagemaps", b"key")), daemon=True)
    reader.start()
    reader.join(30)  # a bound for a hang, not a measure of speed
    assert not reader.is_alive(), "reading a FIFO in the cache blocked"
    assert result == [None] and not os.path.lexists(path)


def test_a_link_in_place_of_an_entry_is_not_followed(user_cache, tmp_path):
    secret = tmp_path / "elsewhere"
    secret.write_bytes(b"not the cache's")
    path = cache.entry_path("covers", b"key")
    path.symlink_to(secret)
    assert cache.read_cached("covers", b"key") is None
    assert secret.read_bytes() == b"not the cache's"
    cache.write_cached("covers", b"key", b"new")  # replaced, never written through
    assert secret.read_bytes() == b"not the cache's" and cache.read_cached("covers", b"key") == b"new"


def test_a_full_disk_under_the_cache_costs_only_time(user_cache, monkeypatch):
    class Full:
        def __init__(self, fd, mode):
            os.close(fd)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fdopen", Full)
    assert cache.cached_bytes("covers", b"key", lambda: b"made") == b"made"
    monkeypatch.undo()
    folder = cache.cache_dir("covers")
    assert [p.name for p in folder.iterdir()] == [], "no half-written temporary file is left"


def test_a_cache_folder_that_cannot_be_made_means_no_cache(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("a file where the cache folder would be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file"))
    cache.cache_dir.cache_clear()
    try:
        assert cache.cached_bytes("covers", b"key", lambda: b"made") == b"made"
    finally:
        cache.cache_dir.cache_clear()


def test_a_damaged_page_map_is_forgotten(user_cache):
    from bookmaker.writers.pdf.pagemap import load_page_map, save_page_map

    save_page_map("book", {"intro": 3})
    assert load_page_map("book") == {"intro": 3}
    path = cache.entry_path("pagemaps", b"book")
    path.write_bytes(path.read_bytes().replace(b"3", b"9"))  # a wrong number, the digest left as it was
    assert load_page_map("book") == {}


def test_a_damaged_font_record_is_asked_of_fontconfig_again(user_cache, monkeypatch):
    from bookmaker.writers import fonts

    asked = []
    monkeypatch.setattr(fonts, "_fc_match", lambda family, style: asked.append(family) or None)
    fonts.find_face.cache_clear()
    fonts.find_font("Nonesuch Serif")
    path = cache.entry_path("fonts", b"faces")
    path.write_bytes(path.read_bytes()[:-3])
    fonts.find_face.cache_clear()
    fonts.find_font("Nonesuch Serif")
    fonts.find_face.cache_clear()
    assert asked == ["Nonesuch Serif", "Nonesuch Serif"]


def test_templates_are_never_loaded_as_bytecode_from_the_cache():
    from bookmaker.theme import environment

    assert environment(None).bytecode_cache is None


def test_a_state_file_hard_linked_to_a_chapter_never_overwrites_it(tmp_path):
    from bookmaker.build.buildstate import STATE_FILE, read_state, write_state

    chapter = tmp_path / "01.md"
    chapter.write_text("# The chapter\n")
    out = tmp_path / "build"
    out.mkdir()
    os.link(chapter, out / STATE_FILE)
    write_state(out, {"html": {"fingerprint": "x"}})
    assert chapter.read_text() == "# The chapter\n"
    assert read_state(out) == {"html": {"fingerprint": "x"}}
    assert [p.name for p in out.iterdir()] == [STATE_FILE]


def test_a_worker_dies_with_its_parent(tmp_path):
    """A parent that is killed (kill -9) takes its worker with it (PR_SET_PDEATHSIG)."""
    parent = subprocess.Popen([sys.executable, "-c", """
import os, sys, time
from bookmaker.core.lifeline import die_with_parent
parent = os.getpid()
child = os.fork()
if child == 0:
    die_with_parent(parent)
    print("ready", flush=True)
    time.sleep(600)
    os._exit(0)
print(child, flush=True)
time.sleep(600)
"""], stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    assert parent.stdout.readline().strip() == "ready"
    parent.kill()
    parent.wait()
    for _ in range(300):  # a bound of 30 s for the kernel to deliver the signal
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return
        status = Path(f"/proc/{child}/stat")
        if status.exists() and status.read_text().split(")")[-1].split()[0] == "Z":
            return  # dead, waiting to be reaped by init
        threading.Event().wait(0.1)
    os.kill(child, 9)
    pytest.fail("the worker outlived its parent")


def test_jobs_are_capped_at_the_cores(capsys):
    from bookmaker.cli.options import _capped_jobs
    from bookmaker.build.pipeline import default_jobs

    assert _capped_jobs(None, None, 100_000) == default_jobs()
    assert "--jobs 100000 is more than the" in capsys.readouterr().err
    assert _capped_jobs(None, None, 1) == 1 and _capped_jobs(None, None, None) is None


@pytest.mark.parametrize("paper", ["99999999x99999999mm", "1x1mm", "6x99999in"])
def test_a_paper_outside_any_page_is_refused(paper):
    from bookmaker.config.paper import css_page_size

    with pytest.raises(ValueError, match="outside what a page can be"):
        css_page_size(paper)
    assert css_page_size("6x9in") == "6in 9in"


def test_a_face_whose_subsetting_fails_is_embedded_whole(tmp_path):
    """HarfBuzz raises 'Subsetting failed' on a damaged table; the merged PDF embeds the face whole."""
    import struct

    from bookmaker.writers.pdf.merge_fonts import _subset

    font = next(Path("/usr/share/fonts").rglob("*.ttf"), None)
    if font is None:
        pytest.skip("no TrueType font installed")
    data = bytearray(font.read_bytes())
    for i in range(struct.unpack(">H", data[4:6])[0]):
        tag, _, offset, length = struct.unpack(">4sIII", data[12 + 16 * i: 28 + 16 * i])
        if tag == b"name":
            data[offset + 2: offset + min(length, 300)] = b"\xff" * (min(length, 300) - 2)
    damaged = tmp_path / "damaged.ttf"
    damaged.write_bytes(bytes(data))
    assert _subset(damaged, {"index": 0, "gids": set(range(3, 80)), "missing": False, "otf": False}) == bytes(data)


def test_cache_entries_are_json_or_bytes(user_cache):
    cache.write_json("pagemaps", b"k", {"a": [1, 2]})
    raw = cache.entry_path("pagemaps", b"k").read_bytes()
    assert json.loads(raw.split(b"\n", 2)[2]) == {"a": [1, 2]}
