"""The threat model of the README, case by case: a book folder is untrusted input.

Its templates cannot run code or read files, its stylesheets cannot put markup
into the outputs, its bookmaker.toml cannot write outside the book, and
`serve` shows nothing but the preview and the files it uses.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import run_cli
from books import write_book

THEME_CHAPTER = (Path(__file__).parents[1] / "src" / "bookmaker" / "theme" / "templates" / "chapter.html").read_text()


def _book(tmp_path: Path, name: str = "book") -> Path:
    return write_book(tmp_path / name)


def _shown(result, book: Path) -> str:
    return result.stderr.replace(str(book) + "/", "")


def _no_internal_error(result) -> None:
    assert result.exit_code != 3 and "internal error" not in result.stderr and "Traceback" not in result.stderr, result.stderr


# -- 1. templates run in a sandbox -----------------------------------------------------

ESCAPES = [
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ joiner.__init__.__globals__.os.popen('id').read() }}",
    "{{ namespace.__init__.__globals__.os.popen('id').read() }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{{ self.__init__.__globals__.__builtins__.__import__('os').popen('id').read() }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ chapter.__class__.__init__.__globals__ }}",
    "{{ '{0.__class__.__init__.__globals__}'.format(chapter) }}",
    "{{ '{c.__init__.__globals__}'.format_map({'c': cycler}) }}",
    "{{ book.root.joinpath('/etc/passwd').read_text() }}",
    "{{ chapter.source.read_text() }}",
    "{{ book.policy.read_local(book.root) }}",
    "{{ '{0.root.parent}'.format(book) }}",
    "{{ config.__class__ }}",
]


@pytest.mark.parametrize("escape", ESCAPES)
def test_a_book_template_cannot_reach_python(tmp_path, escape):
    book = _book(tmp_path)
    (book / "templates").mkdir()
    (book / "templates" / "chapter.html").write_text(THEME_CHAPTER + "\n" + escape + "\n", encoding="utf-8")
    for fmt in ("html", "epub"):
        result = run_cli(fmt, str(book))
        _no_internal_error(result)
        assert result.exit_code == 1, result.stderr
        line = THEME_CHAPTER.count("\n") + 2
        assert f"templates/chapter.html:{line}: error: " in _shown(result, book), result.stderr
    assert not (book / "build").exists() or not any((book / "build").iterdir())


@pytest.mark.parametrize("bomb", [
    "{{ 'x' * 1000000000 }}",
    "{{ 'x' ~ 'y' * 10**10 }}",
    "{{ 9 ** 999999 }}",
    "{{ (2 ** 1000) ** 100000 }}",
    "{{ '%01000000000d' % 1 }}",
    "{{ '{:>1000000000}'.format('x') }}",
    "{{ 'x'.center(1000000000) }}",
    "{{ 'x'|center(1000000000) }}",
    "{{ lipsum(1000000) }}",
    "{% for i in range(10**9) %}x{% endfor %}",
    "{% macro m(n) %}{{ m(n + 1) }}{% endmacro %}{{ m(0) }}",
    "{% include 'chapter.html' %}",
])
def test_a_template_bomb_is_an_error_not_a_hang_or_a_crash(tmp_path, bomb):
    book = _book(tmp_path)
    (book / "templates").mkdir()
    (book / "templates" / "chapter.html").write_text(bomb + "\n", encoding="utf-8")
    result = run_cli("html", str(book))
    _no_internal_error(result)
    assert result.exit_code == 1
    assert "templates/chapter.html:1: error: " in _shown(result, book), result.stderr


def test_a_template_loop_that_runs_too_long_is_stopped(tmp_path, monkeypatch):
    from bookmaker.core import limits
    monkeypatch.setattr(limits, "TEMPLATE_SECONDS", 1)
    book = _book(tmp_path)
    (book / "templates").mkdir()
    (book / "templates" / "chapter.html").write_text(
        "{% set r = range(100000) %}{% for a in r %}{% for b in r %}{% endfor %}{% endfor %}\n", encoding="utf-8")
    result = run_cli("html", str(book))
    _no_internal_error(result)
    assert result.exit_code == 1
    assert "templates/chapter.html:1: error: the template took longer than 1 s" in _shown(result, book)


@pytest.mark.parametrize("template, message", [
    ("<p>\n{% if %}\n", "templates/chapter.html:2: error: "),
    ("<p>\n\n{{ nope }}\n", "templates/chapter.html:3: error: 'nope' is undefined"),
    ("{{ 1 / 0 }}\n", "templates/chapter.html:1: error: "),
    ("{% include 'missing.html' %}\n", "templates/chapter.html:1: error: "),
    ("{% include '../../../etc/passwd' %}\n", "templates/chapter.html:1: error: "),
    ("{% include '/etc/passwd' %}\n", "templates/chapter.html:1: error: "),
])
def test_a_template_error_is_a_diagnostic_at_its_line(tmp_path, template, message):
    book = _book(tmp_path)
    (book / "templates").mkdir()
    (book / "templates" / "chapter.html").write_text(template, encoding="utf-8")
    for fmt in ("html", "epub"):
        result = run_cli(fmt, str(book))
        _no_internal_error(result)
        assert result.exit_code == 1
        assert message in _shown(result, book), result.stderr
        assert "root:x:0:0" not in result.stderr


@pytest.mark.parametrize("markup", [
    "<script>alert(1)</script>",
    "<SCRIPT src=x.js></SCRIPT>",
    '<a href=" JaVaScRiPt:alert(1)">x</a>',
    '<p onclick="alert(1)">x</p>',
    '<meta http-equiv="refresh" content="0; url=http://example.invalid/" />',
    '<iframe src="x.html"></iframe>',
    '<object data="x.swf"></object>',
    '<base href="http://example.invalid/" />',
    '<img src="https://tracker.example.invalid/pixel.png" alt="" />',
    '<img srcset="a.png 1x, //tracker.example.invalid/p.png 2x" alt="" />',
    '<link rel="stylesheet" href="http://example.invalid/x.css" />',
    '<img src="file:///etc/passwd" alt="" />',
    # Issue 27: what a pattern deciding which outputs to parse let through.
    '<svg/onload=alert(1)>',
    '<a href="javascript&#58;alert(1)">x</a>',
    '<svg><image xlink:href="http://example.invalid/p.png"/></svg>',
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    '<p style="background: url(http://example.invalid/p.png)">x</p>',
    '<p style="background: u\\72l(http://example.invalid/p.png)">x</p>',
    '<style>@import "http://example.invalid/x.css";</style>',
    '<style>p { background: image-set("//example.invalid/p.png" 1x) }</style>',
])
def test_a_book_template_cannot_add_scripts_to_the_outputs(tmp_path, markup):
    book = _book(tmp_path)
    (book / "templates").mkdir()
    (book / "templates" / "chapter.html").write_text(THEME_CHAPTER + "\n" + markup + "\n", encoding="utf-8")
    line = THEME_CHAPTER.count("\n") + 2
    for fmt in ("html", "epub"):
        result = run_cli(fmt, str(book))
        _no_internal_error(result)
        assert result.exit_code == 1, result.stderr
        assert f"templates/chapter.html:{line}: error: the template adds " in _shown(result, book), result.stderr


def test_prose_about_scripts_is_not_taken_for_a_script(tmp_path):
    from PIL import Image

    book = _book(tmp_path)
    (book / "images").mkdir()
    Image.new("RGB", (6, 6), (20, 160, 90)).save(book / "images" / "dot.png")
    (book / "manuscript" / "01.md").write_text(
        "# T\n\nType `javascript:void(0)` or `onclick = go()` and &lt;script&gt;, src=http://x and <link>.\n\n"
        "```\n<script>x</script> onload=\"y\"\n```\n\n![a dot](../images/dot.png)\n\n"
        "[a link](https://example.invalid/)\n")
    (book / "templates").mkdir()
    (book / "templates" / "chapter.html").write_text(THEME_CHAPTER, encoding="utf-8")
    for fmt in ("html", "epub"):
        result = run_cli(fmt, str(book))
        assert result.exit_code == 0, result.stderr


@pytest.mark.parametrize("name, template, message", [
    ("chapter.html", "<p>\n{% if %}\n", "templates/chapter.html:2: error: "),
    ("epub/nav.xhtml", "{% for %}\n", "templates/epub/nav.xhtml:1: error: "),
    ("unused.html", "{{ }}\n", "templates/unused.html:1: error: "),
    ("titleblock.html", "\n{{ book.root }}\n", "templates/titleblock.html:2: error: the template is not allowed"),
    ("chapter.html", "<p>\n\n{{ nope }}\n", "templates/chapter.html:3: error: 'nope' is undefined"),
])
def test_check_finds_what_a_build_would_find_in_the_templates(tmp_path, name, template, message):
    book = _book(tmp_path)
    (book / "templates" / name).parent.mkdir(parents=True)
    (book / "templates" / name).write_text(template, encoding="utf-8")
    result = run_cli("check", str(book))
    _no_internal_error(result)
    assert result.exit_code == 1
    assert message in _shown(result, book), result.stderr
    assert not (book / "build").exists()


def test_the_theme_and_the_book_templates_render_in_one_sandbox():
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    from bookmaker.theme import environment

    assert isinstance(environment(None), ImmutableSandboxedEnvironment)
    assert environment(None).autoescape is True
    assert "lipsum" not in environment(None).globals


def test_autoescaping_keeps_book_data_as_text(tmp_path):
    book = _book(tmp_path)
    (book / "manuscript" / "01.md").write_text('---\ntitle: "<script>alert(1)</script>"\n---\n# T\n\nx\n')
    result = run_cli("html", str(book))
    assert result.exit_code == 0, result.stderr
    html = next((book / "build").glob("*.html")).read_text()
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# -- 2. templates, styles and covers linked out of the book -----------------------------

SECRET = "OUTSIDE-THE-BOOK-5d1e"


def _outside(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    (outside / "epub").mkdir(parents=True)
    for name in ("titleblock.html", "chapter.html", "epub/chapter.xhtml"):
        (outside / name).write_text(f"<p>{SECRET}</p>\n", encoding="utf-8")
    return outside


def _written(book: Path) -> bytes:
    import zipfile

    chunks = []
    for path in (book / "build").rglob("*") if (book / "build").exists() else []:
        if path.is_file():
            chunks.append(path.read_bytes())
            if path.suffix == ".epub":
                with zipfile.ZipFile(path) as archive:
                    chunks.extend(archive.read(n) for n in archive.namelist())
    return b"".join(chunks)


def _refused_by_every_command(book: Path, message: str) -> None:
    """check, html and epub each stop with `message` (exit 1, no internal error), and no output holds the secret."""
    for command in ("check", "html", "epub"):
        result = run_cli(command, str(book))
        _no_internal_error(result)
        assert result.exit_code == 1, (command, result.stderr)
        assert message in _shown(result, book), result.stderr
    assert SECRET.encode() not in _written(book)


def test_a_template_linked_out_of_the_book_is_refused(tmp_path):
    outside = _outside(tmp_path)
    book = _book(tmp_path)
    (book / "templates").mkdir()
    os.symlink(outside / "titleblock.html", book / "templates" / "titleblock.html")
    _refused_by_every_command(book, "templates/titleblock.html: error: the template is a link to a file outside the book folder")


def test_a_templates_folder_linked_out_of_the_book_is_refused(tmp_path):
    outside = _outside(tmp_path)
    book = _book(tmp_path)
    os.symlink(outside, book / "templates")
    _refused_by_every_command(book, "templates/chapter.html: error: the template is a link to a file outside")


def test_a_styles_folder_linked_out_of_the_book_is_refused(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "book.css").write_text(f'p::after {{ content: "{SECRET}"; }}\n')
    book = _book(tmp_path)
    os.symlink(outside, book / "styles")
    _refused_by_every_command(book, "styles/book.css: error: stylesheet is a link to a file outside the book")


def test_the_template_loader_refuses_a_link_out_on_its_own(tmp_path):
    """Defence in depth: a template the reader did not see (added while building) is refused when loaded."""
    from bookmaker.core.diagnostics import BookError
    from bookmaker.safety.policy import ResourcePolicy
    from bookmaker.safety.templating import render_template
    from bookmaker.theme import environment

    outside = _outside(tmp_path)
    book = _book(tmp_path)
    (book / "templates").mkdir()
    os.symlink(outside / "titleblock.html", book / "templates" / "titleblock.html")
    (book / "templates" / "page.html").write_text("{% include 'titleblock.html' %}")
    env = environment(book / "templates", ResourcePolicy(book))
    with pytest.raises(BookError) as raised:
        render_template(env, "page.html")
    assert "link to a file outside the book folder" in raised.value.diagnostics.sorted()[0].message


def test_a_cover_linked_out_of_the_book_is_refused(tmp_path):
    from PIL import Image

    Image.new("RGB", (60, 90), (200, 10, 10)).save(tmp_path / "cover.png")
    book = _book(tmp_path)
    os.symlink(tmp_path / "cover.png", book / "cover.png")
    (book / "bookmaker.toml").write_text('[book]\ncover = "cover.png"\n')
    result = run_cli("epub", str(book))
    _no_internal_error(result)
    assert result.exit_code == 1
    assert "bookmaker.toml:2: error: cover 'cover.png' is a link to a file outside the book" in _shown(result, book)


@pytest.mark.parametrize("linked", ["templates", "styles", "templates/epub"])
def test_theme_export_never_writes_through_a_link_out_of_the_book(tmp_path, linked):
    outside = tmp_path / "outside"
    outside.mkdir()
    book = _book(tmp_path)
    (book / linked).parent.mkdir(parents=True, exist_ok=True)
    os.symlink(outside, book / linked)
    result = run_cli("theme", "export", str(book))
    _no_internal_error(result)
    assert result.exit_code == 1
    assert f"{linked}: error: is a link to a folder outside the book: " in _shown(result, book), result.stderr
    assert list(outside.iterdir()) == []
    assert not (book / "templates").exists() or (book / "templates").is_symlink() or linked == "templates/epub"


def test_init_never_writes_through_a_link_out_of_the_folder(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    book = tmp_path / "book"
    book.mkdir()
    os.symlink(outside, book / "styles")
    os.symlink(outside / "new.md", book / "manuscript")
    result = run_cli("init", str(book))
    _no_internal_error(result)
    assert result.exit_code == 1
    assert "styles: error: is a link to a folder outside the book" in _shown(result, book)
    assert list(outside.iterdir()) == []


def test_theme_export_refuses_a_configured_folder_outside_the_book(tmp_path):
    book = _book(tmp_path)
    (book / "bookmaker.toml").write_text('[theme]\ntemplates = "../elsewhere"\n')
    result = run_cli("theme", "export", str(book))
    _no_internal_error(result)
    assert result.exit_code == 1
    assert "bookmaker.toml:2: error: [theme] templates '../elsewhere' is outside the book folder" in _shown(result, book)
    assert not (tmp_path / "elsewhere").exists()


# -- 3. a stylesheet cannot close its <style> element -------------------------------------

BREAKOUT_CSS = """/* </style><script>alert('css')</script><style> */
p { color: rgb(1, 2, 3); }
p::after { content: "</STYLE ><a href='javascript:alert(1)'>click</a><style>"; }
</style  ><a href="javascript:alert(2)">link</a>
<!-- <script>alert(3)</script> -->
"""


def _breakout_book(tmp_path: Path) -> Path:
    book = _book(tmp_path)
    (book / "styles").mkdir()
    (book / "styles" / "book.css").write_text(BREAKOUT_CSS, encoding="utf-8")
    return book


def test_a_stylesheet_cannot_put_markup_into_the_html(tmp_path):
    import tinyhtml5

    book = _breakout_book(tmp_path)
    result = run_cli("html", str(book))
    assert result.exit_code == 0, result.stderr
    text = next((book / "build").glob("*.html")).read_text()
    tree = tinyhtml5.parse(text)
    ns = "{http://www.w3.org/1999/xhtml}"
    assert tree.findall(f".//{ns}script") == []
    assert [a.get("href") for a in tree.iter(f"{ns}a") if "javascript" in (a.get("href") or "")] == []
    styles = [s.text for s in tree.iter(f"{ns}style")]
    assert len(styles) == 1 and "p { color: rgb(1, 2, 3); }" in styles[0]
    assert tree.find(f".//{ns}body").findall(f"{ns}style") == []


@pytest.mark.slow
def test_a_stylesheet_cannot_put_a_link_into_the_pdf(tmp_path):
    from pypdf import PdfReader

    book = _breakout_book(tmp_path)
    result = run_cli("pdf", str(book))
    assert result.exit_code == 0, result.stderr
    pdf = PdfReader(next((book / "build").glob("*.pdf")))
    actions = [str(a.get_object().get("/A")) for page in pdf.pages for a in page.get("/Annots", []) or []]
    assert not any("javascript" in action.lower() for action in actions), actions
    text = "".join(page.extract_text() for page in pdf.pages)
    assert "link" not in text  # the markup after the "closed" <style> is no element


# -- 4. bookmaker.toml writes only inside the book ------------------------------------------


@pytest.mark.parametrize("value", ["VICTIM", "/", "../x", "linked", "linked/deeper"])
def test_the_configured_output_folder_must_be_inside_the_book(tmp_path, value):
    victim = tmp_path / "victim"
    victim.mkdir()
    book = _book(tmp_path)
    os.symlink(victim, book / "linked")
    value = str(victim) if value == "VICTIM" else value
    (book / "bookmaker.toml").write_text(f'[output]\ndir = "{value}"\n', encoding="utf-8")
    for command in ("check", "build", "epub", "html"):
        result = run_cli(command, str(book))
        _no_internal_error(result)
        assert result.exit_code == 1, (command, result.stderr)
        assert (f"bookmaker.toml:2: error: [output] dir '{value}' is outside the book folder"
                in _shown(result, book)), result.stderr
    assert list(victim.iterdir()) == []
    assert not (tmp_path / "x").exists()


def test_a_default_output_folder_linked_out_of_the_book_is_refused(tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    book = _book(tmp_path)
    os.symlink(victim, book / "build")
    result = run_cli("epub", str(book))
    _no_internal_error(result)
    assert result.exit_code == 1
    assert "build: error: the output folder is a link to a folder outside the book" in _shown(result, book)
    assert list(victim.iterdir()) == []
    # The command line is trusted: -o may write anywhere, through links too.
    assert run_cli("epub", str(book), "-o", str(book / "build" / "b.epub")).exit_code == 0
    assert run_cli("build", str(book), "-o", str(book / "build"), "-f", "html").exit_code == 0
    assert sorted(p.name for p in victim.iterdir()) == [".bookmaker-state.json", "b.epub", "t.html"]


@pytest.mark.parametrize("value", ["a\\u0000b", "../escape", ".hidden"])
def test_the_configured_output_name_is_a_plain_name(tmp_path, value):
    book = _book(tmp_path)
    (book / "bookmaker.toml").write_text(f'[output]\nname = "{value}"\n', encoding="utf-8")
    result = run_cli("epub", str(book))
    _no_internal_error(result)
    assert result.exit_code == 1
    assert "bookmaker.toml:2: error: [output] name must be a plain file name" in _shown(result, book)
    assert not (tmp_path / "escape.epub").exists()


# -- 5. where -o writes ------------------------------------------------------------------

def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


def test_output_into_a_fifo_writes_into_it_and_leaves_it_a_fifo(tmp_path):
    import stat
    import threading

    book = _book(tmp_path)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = run_cli("epub", str(book), "-o", str(fifo))
    reader.join(10)
    assert result.exit_code == 0, result.stderr
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert received and received[0][:2] == b"PK"


def test_output_into_a_character_device_leaves_the_device(tmp_path):
    import stat

    book = _book(tmp_path)
    null = tmp_path / "null"
    try:
        os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # a private /dev/null: never touch the real one
    except (PermissionError, OSError):
        pytest.skip("creating a device node needs root")
    for fmt in ("epub", "html"):
        result = run_cli(fmt, str(book), "-o", str(null))
        assert result.exit_code == 0, result.stderr
        assert stat.S_ISCHR(null.lstat().st_mode)
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("fmt, magic", [("epub", b"PK"), ("html", b"<!DOCTYPE html>")])
def test_output_to_stdout(tmp_path, fmt, magic):
    from click.testing import CliRunner

    from bookmaker.cli import main

    book = _book(tmp_path)
    result = CliRunner().invoke(main, [fmt, str(book), "-o", "-"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert result.stdout_bytes.startswith(magic)
    assert not (book / "build").exists() and not Path("-").exists()


def test_build_to_stdout_is_a_usage_error(tmp_path):
    book = _book(tmp_path)
    result = run_cli("build", str(book), "-o", "-")
    assert result.exit_code == 2
    assert "-o" in result.stderr and "folder" in result.stderr


@pytest.mark.parametrize("fmt", ["epub", "html"])
def test_output_into_an_existing_folder_uses_the_default_name(tmp_path, fmt):
    book = _book(tmp_path)
    folder = tmp_path / "some-existing-folder"
    folder.mkdir()
    result = run_cli(fmt, str(book), "-o", str(folder))
    assert result.exit_code == 0, result.stderr
    assert [p.name for p in folder.iterdir()] == [f"t.{fmt}"]


def test_a_single_markdown_file_into_an_existing_folder(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    (tmp_path / "article.md").write_text("# An article\n\nText.\n")
    result = run_cli("epub", str(tmp_path / "article.md"), "-o", str(folder))
    assert result.exit_code == 0, result.stderr
    assert [p.name for p in folder.iterdir()] == ["article.epub"]  # a single file names its output (issue 14)


def _unwritable_folder(tmp_path: Path) -> Path:
    if os.geteuid() == 0:  # root writes into any mode-0555 folder: sysfs refuses even root
        if not Path("/sys/kernel").is_dir():
            pytest.skip("no read-only folder for root")
        return Path("/sys")
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    return folder


@pytest.mark.parametrize("case", ["file-as-folder", "read-only", "folder-in-the-way"])
def test_an_unwritable_output_is_an_error_and_the_previous_output_stays(tmp_path, case):
    book = _book(tmp_path)
    (tmp_path / "file").write_text("a file")
    target = {"file-as-folder": tmp_path / "file" / "x.epub",
              "read-only": _unwritable_folder(tmp_path) / "x.epub",
              "folder-in-the-way": book / "build" / "t.epub"}[case]
    if case == "folder-in-the-way":
        (book / "build" / "t.epub").mkdir(parents=True)
        result = run_cli("epub", str(book))
    else:
        result = run_cli("epub", str(book), "-o", str(target))
    _no_internal_error(result)
    assert result.exit_code == 1, result.stderr
    assert f"{target}: error: cannot write the output: " in result.stderr, result.stderr
    assert (tmp_path / "file").read_text() == "a file"


def test_a_full_disk_is_an_error_and_the_previous_output_stays(tmp_path, monkeypatch):
    import errno

    from bookmaker.core import output
    book = _book(tmp_path)
    assert run_cli("build", str(book), "-f", "epub", "-f", "html").exit_code == 0
    before = {p.name: p.read_bytes() for p in (book / "build").iterdir()}

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(output.os, "fsync", full)
    for command in (("epub", str(book)), ("html", str(book)), ("build", str(book), "--force", "-f", "html")):
        result = run_cli(*command)
        _no_internal_error(result)
        assert result.exit_code == 1
        assert "error: cannot write the output: No space left on device: free some space" in result.stderr
    assert {p.name: p.read_bytes() for p in (book / "build").iterdir()} == before


def test_a_long_title_makes_a_long_name_not_a_crash(tmp_path):
    book = _book(tmp_path)
    title = " ".join(["ناممکن"] * 40)  # 279 characters, 519 bytes: more than a file name may hold
    (book / "manuscript" / "01.md").write_text(f"---\nlang: fa\n---\n# {title}\n\nx\n")
    result = run_cli("build", str(book), "-f", "epub", "-f", "html", "--kepub")
    _no_internal_error(result)
    assert result.exit_code == 0, result.stderr
    names = sorted(p.name for p in (book / "build").iterdir() if not p.name.startswith("."))
    stem = "-".join(["ناممکن"] * 9)  # cut at a word, within 120 bytes (13 bytes a word)
    assert names == [f"{stem}.epub", f"{stem}.html", f"{stem}.kepub.epub"]
    assert _leftovers(book / "build") == []
    (book / "bookmaker.toml").write_text(f'[output]\nname = "{"a" * 300}"\n')  # the author's own name, too long
    result = run_cli("epub", str(book))
    _no_internal_error(result)
    assert result.exit_code == 1
    assert "error: cannot write the output: File name too long: set a shorter [output] name" in result.stderr


# -- 6. serve shows the preview and nothing else ---------------------------------------------


@pytest.fixture(scope="module")
def preview(tmp_path_factory):
    """A serving preview of a book with an image, an unused image, a link out and sources beside them."""
    from PIL import Image

    from bookmaker.build.pipeline import Builder
    from bookmaker.build.request import BuildRequest
    from bookmaker.build.serve import PreviewServer

    tmp_path = tmp_path_factory.mktemp("serve")
    book = _book(tmp_path)
    (book / "images").mkdir()
    Image.new("RGB", (6, 6), (20, 160, 90)).save(book / "images" / "dot.png")
    Image.new("RGB", (6, 6), (160, 20, 90)).save(book / "images" / "unused.png")
    (tmp_path / "secret.png").write_bytes(b"\x89PNG\r\n\x1a\n" + SECRET.encode())
    os.symlink(tmp_path / "secret.png", book / "images" / "link.png")
    (book / "manuscript" / "01.md").write_text("# T\n\n![a dot](../images/dot.png)\n")
    (book / "bookmaker.toml").write_text('[book]\ntitle = "T"\n')
    builder = Builder(book)
    server = PreviewServer(builder, 0)
    server.rebuilt(builder.build(BuildRequest(formats=("html",))), False, None)
    server.start()
    yield server
    server.stop()


def _get(server, path: str, host: str | None = "127.0.0.1:{port}", method: str = "GET"):
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    if host is not None:
        connection.putheader("Host", host.format(port=server.port))
    connection.endheaders()
    response = connection.getresponse()
    body = response.read() if method != "GET" or "events" not in path or response.status != 200 else b""
    connection.close()
    return response.status, response.getheader("Location"), body


def test_serve_listens_on_loopback_only(preview):
    assert preview.httpd.server_address[0] == "127.0.0.1"


def test_serve_serves_the_preview_and_the_images_it_shows(preview):
    status, location, _ = _get(preview, "/")
    assert status == 302 and location == "/build/t.html"
    status, _, page = _get(preview, location)
    assert status == 200 and b"EventSource" in page and b'src="../images/dot.png"' in page
    status, _, image = _get(preview, "/images/dot.png")
    assert status == 200 and image[:4] == b"\x89PNG"
    assert _get(preview, "/images/dot.png", method="HEAD")[0] == 200


@pytest.mark.parametrize("path", [
    "/bookmaker.toml", "/manuscript/", "/manuscript/01.md", "/manuscript", "/images/", "/images/unused.png",
    "/images/link.png", "/build/", "/build/.bookmaker-state.json", "/../secret.png", "/images/../bookmaker.toml",
    "/%2e%2e/secret.png", "//etc/passwd", "/images/dot.png/", "/IMAGES/dot.png", "/images/dot.png%00",
])
def test_serve_refuses_everything_else(preview, path):
    for method in ("GET", "HEAD"):
        status, _, body = _get(preview, path, method=method)
        assert status == 404, (path, method, status)
        assert SECRET.encode() not in body and b"Directory listing" not in body and b"[book]" not in body


@pytest.mark.parametrize("host", [None, "evil.example", "evil.example:{port}", "127.0.0.1.evil.example:{port}",
                                  "localhost.:{port}", "127.0.0.1:1", "[::1]:{port}@evil", "0.0.0.0:{port}"])
def test_serve_refuses_other_hosts(preview, host):
    """DNS rebinding: a page of evil.example whose name now points at 127.0.0.1 sends its own Host."""
    for path in ("/", "/build/t.html", "/images/dot.png", "/__bookmaker__/events?since=0"):
        status, _, body = _get(preview, path, host=host)
        assert status in (403, 421), (host, path, status)
        assert b"EventSource" not in body


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST", "[::1]:{port}", "127.0.0.1"])
def test_serve_accepts_the_loopback_names(preview, host):
    assert _get(preview, "/build/t.html", host=host)[0] == 200


@pytest.mark.parametrize("query", ["since=abc", "since=", "since=-1", "since=1&since=2", "since=%00", "since=1e3",
                                   "since=" + "9" * 400, "since=%D9%A1", "since=1;x"])
def test_serve_answers_a_malformed_event_query_with_400(preview, query):
    assert _get(preview, "/__bookmaker__/events?" + query)[0] == 400


def test_a_slow_client_neither_blocks_others_nor_holds_on(preview, monkeypatch):
    import socket
    import time

    from bookmaker.build import serve
    monkeypatch.setattr(serve, "_REQUEST_SECONDS", 1.0)
    slow = socket.create_connection(("127.0.0.1", preview.port), timeout=10)
    slow.sendall(b"GET /build/t.html HTTP/1.1\r\n")
    started = time.monotonic()
    assert _get(preview, "/build/t.html")[0] == 200  # served while the slow one dawdles
    assert time.monotonic() - started < 5
    closed = False
    for _ in range(8):  # a byte every half second: each read is quick, the whole request is not
        time.sleep(0.5)
        try:
            slow.sendall(b"X")
        except OSError:
            closed = True
            break
        slow.settimeout(0.01)
        try:
            closed = slow.recv(1024) is not None
            break
        except TimeoutError:
            pass
        except OSError:
            closed = True
            break
    slow.close()
    assert closed, "the server still waits for the slow client's request after 4 s"


@pytest.mark.parametrize("planted", ["fifo", "link-to-device", "link-out"])
def test_a_node_planted_in_the_books_output_folder_is_never_written_into(tmp_path, planted):
    """build/ comes with the book (an archive may hold links and pipes): its outputs replace only regular files."""
    book = _book(tmp_path)
    build = book / "build"
    build.mkdir()
    victim = tmp_path / "victim"
    victim.write_text("precious")
    names = ["t.epub", ".bookmaker-state.json"]
    for name in names:
        if planted == "fifo":
            os.mkfifo(build / name)
        elif planted == "link-to-device":
            os.symlink("/dev/zero", build / name)  # a device the test may not harm
        else:
            os.symlink(victim, build / name)
    result = run_cli("build", str(book), "-f", "epub")  # a pipe would block for ever without a reader
    _no_internal_error(result)
    assert result.exit_code == 1, result.stderr
    assert "build/t.epub: error: is not a regular file" in _shown(result, book), result.stderr
    assert victim.read_text() == "precious"


@pytest.mark.parametrize("state", ['{"html": 1, "epub": []}', '{"html": {"target": "/etc/passwd", "fingerprint": 3}}',
                                   '[1]', '{"html": {"target": "/etc/passwd\\u0000"}}'])
def test_a_state_file_that_came_with_the_book_is_only_a_hint(tmp_path, state):
    from bookmaker.build.pipeline import Builder

    book = _book(tmp_path)
    (book / "build").mkdir()
    (book / "build" / ".bookmaker-state.json").write_text(state)
    builder = Builder(book)
    builder.load_config()
    assert builder.last_output("html") is None
    result = run_cli("build", str(book), "-f", "html")
    _no_internal_error(result)
    assert result.exit_code == 0 and (book / "build" / "t.html").is_file()


def test_a_template_that_is_a_pipe_or_too_large_is_refused_not_read(tmp_path, monkeypatch):
    from bookmaker.core import limits
    monkeypatch.setattr(limits, "MAX_TEMPLATE_BYTES", 1000)
    book = _book(tmp_path)
    (book / "templates").mkdir()
    os.mkfifo(book / "templates" / "chapter.html")  # read, it would block for ever
    (book / "templates" / "titleblock.html").write_text("x" * 2000)
    for command in ("check", "html", "epub"):
        result = run_cli(command, str(book))
        _no_internal_error(result)
        assert result.exit_code == 1
        shown = _shown(result, book)
        assert "templates/chapter.html: error: the template is not a file" in shown, shown
        assert "templates/titleblock.html: error: the template is larger than 0 MB" in shown


def test_the_loader_checks_a_template_before_reading_it(tmp_path):
    from bookmaker.core.diagnostics import BookError
    from bookmaker.safety.policy import ResourcePolicy
    from bookmaker.safety.templating import render_template
    from bookmaker.theme import environment

    book = _book(tmp_path)
    (book / "templates").mkdir()
    os.mkfifo(book / "templates" / "chapter.html")
    with pytest.raises(BookError) as raised:
        render_template(environment(book / "templates", ResourcePolicy(book)), "chapter.html")
    assert raised.value.diagnostics.sorted()[0].message == "the template is not a file"


@pytest.mark.slow
def test_a_pdf_into_an_existing_folder_and_to_stdout(tmp_path):
    """Issue 11, item 12: `bookmaker pdf article.md -o some-existing-folder`."""
    from click.testing import CliRunner

    from bookmaker.cli import main

    folder = tmp_path / "some-existing-folder"
    folder.mkdir()
    (tmp_path / "article.md").write_text("# An article\n\nText.\n")
    result = run_cli("pdf", str(tmp_path / "article.md"), "-o", str(folder))
    assert result.exit_code == 0, result.stderr
    assert (folder / "article.pdf").read_bytes()[:5] == b"%PDF-"  # a single file names its output (issue 14)
    piped = CliRunner().invoke(main, ["pdf", str(tmp_path / "article.md"), "-o", "-"], catch_exceptions=False)
    assert piped.exit_code == 0 and piped.stdout_bytes[:5] == b"%PDF-" and piped.stdout_bytes.rstrip().endswith(b"%%EOF")


def test_a_missing_output_folder_is_made(tmp_path):
    book = _book(tmp_path)
    result = run_cli("epub", str(book), "-o", str(tmp_path / "new" / "deeper" / "x.epub"))
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "new" / "deeper" / "x.epub").is_file()


@pytest.mark.parametrize("bomb", [
    "{% set ns = namespace(a='x' * 1000) %}{% for i in range(40) %}{% set ns.a = ns.a ~ ns.a %}{% endfor %}",
    "{% set ns = namespace(a='x' * 1000) %}{% for i in range(40) %}{% set ns.a = ns.a + ns.a %}{% endfor %}",
    "{% set ns = namespace(a='x' * 1000) %}{% for i in range(40) %}{% set ns.a = ns.a|replace('x', 'xx') %}"
    "{% endfor %}",
    "{% macro d(s) %}{{ s }}{{ s }}{% endmacro %}{% set ns = namespace(a='x' * 1000) %}"
    "{% for i in range(40) %}{% set ns.a = d(ns.a) %}{% endfor %}",
])
def test_a_template_that_doubles_a_string_is_stopped(tmp_path, monkeypatch, bomb):
    from bookmaker.core import limits
    monkeypatch.setattr(limits, "MAX_TEMPLATE_OUTPUT", 50_000_000)
    book = _book(tmp_path)
    (book / "templates").mkdir()
    (book / "templates" / "chapter.html").write_text(bomb + "\n", encoding="utf-8")
    result = run_cli("html", str(book))
    _no_internal_error(result)
    assert result.exit_code == 1
    assert "templates/chapter.html:1: error: the template is not allowed to do this (a text of more than" in _shown(
        result, book), result.stderr
