"""What `bookmaker epub` loads and launches: a small book's EPUB is mostly Python's start-up, so a
library imported or a process started that the book does not need is the time that matters.

Each build runs in a fresh interpreter (as the command does) with its own user cache; the second
build of a book is the one checked, as every build after the first finds the cover and the font
paths there. Processes are counted where every way of starting one ends (`fork_exec`,
`posix_spawn`, `system`), so that the probe itself imports nothing it is checking.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

PROBE = r"""
import json, os, sys
launched = []
import _posixsubprocess
_fork_exec = _posixsubprocess.fork_exec
def fork_exec(*args, **kwargs):
    launched.append([os.fsdecode(a) for a in args[0]] if args and args[0] else [])
    return _fork_exec(*args, **kwargs)
_posixsubprocess.fork_exec = fork_exec
for name in ("posix_spawn", "posix_spawnp", "system"):
    if hasattr(os, name):
        real = getattr(os, name)
        def spy(*args, _real=real, **kwargs):
            launched.append([str(args[0])])
            return _real(*args, **kwargs)
        setattr(os, name, spy)
import atexit, gc
collections = []
gc.callbacks.append(lambda phase, info: phase == "start" and collections.append(info["generation"]))
# Registered first, so it runs last: after what the command left to run at exit.
atexit.register(lambda: print(json.dumps({"frozen_at_exit": gc.get_freeze_count()})))
sys.argv = ["bookmaker", "epub", "-o", sys.argv[1], sys.argv[2]]
from bookmaker.cli import main
collections.clear()  # what the command's imports and build collect, not the probe's
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
mimetypes = sys.modules.get("mimetypes")
print(json.dumps({"code": code, "modules": sorted(sys.modules), "launched": launched,
                  "mimetypes_read": bool(mimetypes and mimetypes.inited), "collections": collections,
                  "threshold_after": gc.get_threshold()}))
"""

# Loaded only by what a build uses: the PDF, a Kobo EPUB, images, code, math, raw HTML, front matter,
# bookmaker.toml.
NEVER_FOR_A_PLAIN_EPUB = ["weasyprint", "PIL", "pygments", "latex2mathml", "uharfbuzz", "fontTools", "yaml",
                          "tinyhtml5", "xml.etree", "tomllib", "pikepdf", "pypdf",
                          "bookmaker.writers.epub.kepub", "bookmaker.writers.pdf.writer", "bookmaker.writers.pdf.weasy"]


def epub_build(book: Path, out: Path, cache: Path) -> dict:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache), "SOURCE_DATE_EPOCH": "1700000000"}
    env.pop("BOOKMAKER_NO_CACHE", None)
    done = subprocess.run([sys.executable, "-c", PROBE, str(out), str(book)], capture_output=True, text=True,
                          env=env, cwd=book, timeout=120)
    assert done.returncode == 0, done.stderr
    *_, line, at_exit = done.stdout.strip().splitlines()
    report = json.loads(line) | json.loads(at_exit)
    assert report["code"] == 0, done.stderr
    return report


def loaded(report: dict, package: str) -> bool:
    return any(m == package or m.startswith(package + ".") for m in report["modules"])


def write_plain_book(book: Path) -> Path:
    (book / "manuscript").mkdir(parents=True)
    (book / "manuscript" / "01-first.md").write_text(
        "# The first chapter\n\nWords with a note[^a] and a link to [the second](#the-second-chapter).\n\n"
        "[^a]: The note.\n", encoding="utf-8")
    (book / "manuscript" / "02-second.md").write_text(
        "# The second chapter\n\nMore words, *some of them* set in **bold**.\n", encoding="utf-8")
    return book


@pytest.fixture
def plain_book(tmp_path: Path) -> Path:
    return write_plain_book(tmp_path / "plain")


@pytest.fixture(scope="module")
def plain_rebuild(tmp_path_factory) -> dict:
    """What the second EPUB build of a plain book (no front matter, images, code, math, citations or
    raw HTML; Latin script only) loaded, started and collected."""
    tmp = tmp_path_factory.mktemp("plain-rebuild")
    book = write_plain_book(tmp / "plain")
    epub_build(book, tmp / "first.epub", tmp / "cache")
    return epub_build(book, tmp / "book.epub", tmp / "cache")


def test_a_plain_books_epub_loads_no_library_it_does_not_use(plain_rebuild):
    assert [m for m in NEVER_FOR_A_PLAIN_EPUB if loaded(plain_rebuild, m)] == []
    assert not plain_rebuild["mimetypes_read"], "the system's MIME tables were read for media types bookmaker knows"


def test_a_plain_books_epub_starts_no_process(plain_rebuild):
    assert plain_rebuild["launched"] == []
    assert not loaded(plain_rebuild, "subprocess")  # nor is the module that starts them imported


@pytest.fixture(scope="module")
def sample_builds(tmp_path_factory) -> dict:
    """The sample article's EPUB without the user cache, then with a cold and a warm one."""
    from conftest import REPO

    tmp = tmp_path_factory.mktemp("sample")
    book = tmp / "article"
    (book / "manuscript").mkdir(parents=True)
    for chapter in (REPO / "manuscript").glob("*.md"):
        (book / "manuscript" / chapter.name).write_bytes(chapter.read_bytes())
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000", "BOOKMAKER_NO_CACHE": "1"}
    subprocess.run([sys.executable, "-m", "bookmaker", "epub", "-o", str(tmp / "uncached.epub"), str(book)],
                   check=True, capture_output=True, env=env, timeout=120)
    cold = epub_build(book, tmp / "cold.epub", tmp / "cache")
    warm = epub_build(book, tmp / "warm.epub", tmp / "cache")
    files = {f"{name}.epub": tmp / f"{name}.epub" for name in ("uncached", "cold", "warm")}
    return {"cold": cold, "warm": warm, **files}


def test_the_samples_epub_starts_no_process_and_reuses_its_font_subset(sample_builds):
    """The sample article has Persian text (an Amiri subset is embedded), front matter and no citations:
    once the cache knows the font paths, the cover, the subset and the front matter, no fc-match, no
    pandoc, no HarfBuzz, no Pillow, no YAML."""
    from bookmaker.writers.fonts import ARABIC_SCRIPT, find_font

    if find_font(ARABIC_SCRIPT.family) is None:
        pytest.skip("Amiri is not installed (scripts/system-packages.sh book installs it)")
    assert any(Path(argv[0]).name == "fc-match" for argv in sample_builds["cold"]["launched"] if argv)  # seen
    report = sample_builds["warm"]
    assert report["launched"] == []
    assert [m for m in ("uharfbuzz", "PIL", "weasyprint", "pygments", "yaml") if loaded(report, m)] == []
    with zipfile.ZipFile(sample_builds["warm.epub"]) as epub:
        assert "EPUB/fonts/amiri-regular.ttf" in epub.namelist()


def test_the_epub_is_the_same_with_and_without_the_cache(sample_builds):
    uncached = sample_builds["uncached.epub"].read_bytes()
    assert sample_builds["cold.epub"].read_bytes() == uncached
    assert sample_builds["warm.epub"].read_bytes() == uncached


def test_a_front_matter_with_a_problem_is_reported_by_every_build(plain_book, tmp_path):
    chapter = plain_book / "manuscript" / "01-first.md"
    chapter.write_text("---\ntitle: Fake title\ntitel: typo\n---\n\n" + chapter.read_text(encoding="utf-8"),
                       encoding="utf-8")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    for _ in range(2):
        done = subprocess.run([sys.executable, "-m", "bookmaker", "epub", "-o", str(tmp_path / "book.epub"),
                               str(plain_book)], capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 0, done.stderr
        warning = "01-first.md:3: warning: unknown front matter key 'titel' is ignored; did you mean 'title'?"
        assert warning in done.stderr


def test_the_remembered_front_matter_is_the_one_read(tmp_path, monkeypatch):
    from bookmaker.core.diagnostics import Diagnostics
    from bookmaker.config.frontmatter import split_front_matter

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("BOOKMAKER_NO_CACHE", raising=False)
    from bookmaker.core import cache
    cache.cache_dir.cache_clear()
    text = ("---\ntitle: A fake title\nauthor: [A. Writer, B. Writer]\nkeywords: one, two\ndate: 2020-01-03\n"
            "crossref-pages: true\n---\n\n# Body\n")
    first = split_front_matter(text, tmp_path / "a.md", Diagnostics())
    assert list(cache.cache_dir("front-matter").iterdir())
    second = split_front_matter(text, tmp_path / "a.md", Diagnostics())
    assert second == first
    assert first[0].values == {"title": "A fake title", "author": ["A. Writer", "B. Writer"],
                               "keywords": ["one", "two"], "date": "2020-01-03", "crossref-pages": True}
    cache.cache_dir.cache_clear()


def test_linkify_searches_only_text_that_may_hold_a_kept_link():
    """Only scheme and `www.` links are made (markdown._link_only_as_github_does), so prose without
    `:`, `//` or `www.` skips linkify-it's slow regex; the links themselves are the same."""
    from bookmaker.markdown.parser import parser_for

    md = parser_for("en")
    assert not md.linkify.pretest("Prose naming notes.md and setup.py, and no address.")
    assert not md.linkify.pretest("Born: 11 March 1957; died: 2020 (and http:example.com is no link)")
    for text in ("see http://example.com", "WWW.example.com", "a //example.com/x", "MAILTO:a@example.com"):
        assert md.linkify.pretest(text), text
    html = md.render("Visit WWW.example.com, https://example.com/a or mailto:a@example.com, not notes.md "
                     "or http:example.com.\n")
    assert html.count("<a ") == 3 and "notes.md" in html and 'href="notes.md"' not in html


def test_the_sandbox_remembers_jinjas_answers_without_changing_them():
    """Templates read the same attributes thousands of times; the sandbox remembers Jinja's answer per
    type and name, and must answer exactly as Jinja (and bookmaker's own check of the value) does."""
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    from bookmaker.safety.templating import BookSandbox, _reaches_outside

    def generator():
        yield 1

    class Plain:
        title = "A fake title"

        def method(self):
            return 1

    objects = ["text", [1], {"a": 1}, {1}, generator, Plain().method, Plain, generator(), Plain(), Path("x")]
    names = ["upper", "append", "clear", "pop", "keys", "items", "update", "add", "mro", "gi_frame", "gi_code",
             "__globals__", "__func__", "__self__", "__class__", "_private", "title", "method", "parent", "name"]
    env = BookSandbox()
    for _ in range(2):  # the second round is answered from memory
        for obj in objects:
            for name in names:
                value = getattr(obj, name, None)
                expected = (ImmutableSandboxedEnvironment.is_safe_attribute(env, obj, name, value)
                            and not _reaches_outside(value))
                assert env.is_safe_attribute(obj, name, value) == expected, (obj, name)
    assert env.from_string("{{ x.title }}").render(x=Plain()) == "A fake title"
    assert env.from_string("{{ x.__class__ }}").render(x=Plain()) == ""


def test_the_epub_command_spares_the_garbage_collectors_passes(plain_rebuild):
    """Python's collector walked the imported modules and the book's model some 40 times during a small
    EPUB and once more at exit: the command collects the youngest objects less often while it runs
    (thresholds put back after it) and freezes what is left at exit."""
    assert len(plain_rebuild["collections"]) <= 10, plain_rebuild["collections"]
    assert plain_rebuild["threshold_after"] == list(__import__("gc").get_threshold())
    assert plain_rebuild["frozen_at_exit"] > 10_000


def test_the_pdf_keeps_the_collectors_defaults():
    import gc

    from bookmaker.core.collector import tune_for_command

    before = gc.get_threshold()
    restore = tune_for_command("pdf")
    assert gc.get_threshold() == before
    restore()
    restore = tune_for_command("epub")
    assert gc.get_threshold()[0] == 50_000
    restore()
    assert gc.get_threshold() == before
