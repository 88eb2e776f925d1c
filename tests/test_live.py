"""`bookmaker watch` and `bookmaker serve`, run as the author runs them, the preview seen in a real browser."""

from __future__ import annotations

import queue
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from conftest import copy_fixture

CONSOLE = Path(sys.executable).parent / "bookmaker"
CHROMIUM = Path("/usr/bin/chromium")
WAIT = 60  # seconds: a bound for each expected event, never a measure of speed


class Running:
    """A bookmaker command in its own process, its output lines read as they come."""

    def __init__(self, *args: str, cwd: Path) -> None:
        self.process = subprocess.Popen([str(CONSOLE), *args], cwd=cwd, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, bufsize=1)
        self.lines: queue.Queue[str] = queue.Queue()
        self.stderr: list[str] = []
        threading.Thread(target=self._read, args=(self.process.stdout, self.lines.put), daemon=True).start()
        threading.Thread(target=self._read, args=(self.process.stderr, self.stderr.append), daemon=True).start()

    @staticmethod
    def _read(stream, put) -> None:
        for line in stream:
            put(line.rstrip("\n"))

    def next_line(self, pattern: str) -> re.Match:
        """The next stdout line matching `pattern` (lines before it are skipped)."""
        seen = []
        while True:
            try:
                line = self.lines.get(timeout=WAIT)
            except queue.Empty:
                pytest.fail(f"no line matching {pattern!r} in {WAIT} s; saw {seen}, stderr {self.stderr}")
            seen.append(line)
            if match := re.search(pattern, line):
                return match

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.mark.slow
def test_watch_rebuilds_on_each_change_with_one_line_and_its_time(tmp_path):
    book = copy_fixture("chapters", tmp_path)
    html = book / "build" / "three-chapters.html"
    watch = Running("watch", "-f", "html", cwd=book)
    try:
        watch.next_line(r"^Watching ")
        watch.next_line(r"^\d\d:\d\d:\d\d rebuilt three-chapters\.html in \d+\.\d\d s$")
        chapter = book / "manuscript" / "02-second.md"
        chapter.write_text(chapter.read_text().replace("Labels are local", "Labels stay local"))
        watch.next_line(r"^\d\d:\d\d:\d\d rebuilt three-chapters\.html in \d+\.\d\d s \(02-second\.md changed\)$")
        assert "Labels stay local" in html.read_text()
        # A broken bookmaker.toml is reported, the process carries on, and the next save rebuilds.
        (book / "bookmaker.toml").write_text("[output]\nformats = [\"docx\"]\n")
        watch.next_line(r"build failed \(bookmaker\.toml changed\)")
        (book / "bookmaker.toml").write_text("[output]\nname = \"renamed\"\n")
        watch.next_line(r"rebuilt renamed\.html in .* \(bookmaker\.toml changed\)")
        assert (book / "build" / "renamed.html").is_file()
        # Files outside what the book is made from do not trigger a rebuild.
        (book / "notes.txt").write_text("not part of the book")
        chapter.write_text(chapter.read_text() + "\nOne more line.\n")
        watch.next_line(r"rebuilt renamed\.html in .* \(02-second\.md changed\)$")
    finally:
        watch.stop()
    assert any("bookmaker.toml:2: error: [output] formats: unknown format 'docx'" in line for line in watch.stderr)


@pytest.mark.slow
def test_serve_reloads_the_page_in_a_real_browser(tmp_path):
    # No skip when chromium is missing: `make test` installs it (scripts/system-packages.sh test).
    assert CHROMIUM.exists(), "install Debian's chromium: scripts/system-packages.sh test"
    from playwright.sync_api import sync_playwright

    book = copy_fixture("chapters", tmp_path)
    serve = Running("serve", "--port", "0", cwd=book)
    try:
        url = serve.next_line(r"^Serving (http://127\.0\.0\.1:\d+/) ").group(1)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch_persistent_context(
                str(tmp_path / "profile"),  # a new, empty profile
                executable_path=str(CHROMIUM), headless=True,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                      "--disable-component-update", "--disable-sync", "--no-first-run"],
            )
            try:
                page = browser.new_page()
                page.set_default_timeout(WAIT * 1000)
                page.goto(url)
                assert page.url == url + "build/three-chapters.html"
                assert "Labels are local to a chapter file." in page.inner_text("body")

                # A manuscript edit: the page reloads with the new text.
                page.evaluate("window.beforeEdit = true")
                chapter = book / "manuscript" / "02-second.md"
                chapter.write_text(chapter.read_text().replace("Labels are local", "Labels stay local"))
                page.wait_for_function("document.body.innerText.includes('Labels stay local')")
                assert page.evaluate("window.beforeEdit === undefined"), "the page was reloaded"

                # A stylesheet edit: the new style applies without reloading the page.
                page.evaluate("window.beforeStyle = true")
                (book / "styles" / "book.css").write_text("h1 { color: rgb(200, 0, 0); }\n")
                page.wait_for_function("getComputedStyle(document.querySelector('h1.title, h1')).color"
                                       " === 'rgb(200, 0, 0)'")
                assert page.evaluate("window.beforeStyle === true"), "the page was not reloaded for CSS"

                # A broken manuscript: the errors show on the page; fixing it brings the book back.
                chapter.write_text(chapter.read_text() + "\nA note that is missing.[^nowhere]\n")
                page.wait_for_selector("#bookmaker-errors")
                assert "note [^nowhere] is referenced but never defined" in page.inner_text("#bookmaker-errors")
                chapter.write_text(chapter.read_text().replace("[^nowhere]", ""))
                page.wait_for_function("!document.getElementById('bookmaker-errors')"
                                       " && document.body.innerText.includes('A note that is missing.')")
            finally:
                browser.close()
    finally:
        serve.stop()
