"""`bookmaker serve`: the HTML book in a browser, reloaded when a rebuild finishes.

A small HTTP server on 127.0.0.1 serves the preview page and the images and
fonts it shows (at their paths in the book, so the HTML's relative paths
work), nothing else of the book folder. It adds to the page a script that
listens to server-sent events: `reload` after a rebuild, `css` when only stylesheets
changed (the page swaps its <style> elements and keeps its scroll position),
`failed` with the errors when a rebuild fails. Standard library only: one
page, one event stream, no need for a web framework.
"""

from __future__ import annotations

import contextlib
import html
import json
import mimetypes
import os
import re
import socket
import threading
from functools import partial
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from bookmaker.core import limits
from bookmaker.core.diagnostics import Diagnostics
from bookmaker.build.pipeline import Builder, BuildResult
from bookmaker.safety.policy import Local, Refused, ResourcePolicy

EVENTS = "/__bookmaker__/events"
_KEEPALIVE_SECONDS = 10
_IDLE_SECONDS = 30  # a connection that neither sends nor reads this long is closed
_REQUEST_SECONDS = 10.0  # the request line and headers must arrive within this

# The HTML is laid out for paper (@page); on a screen, a readable measure instead.
_SCREEN = "<style>@media screen { body { max-width: 42em; margin: 2em auto; padding: 0 1em; } }</style>\n"

_CLIENT = """<script>
(function () {
  var since = %(version)d;
  var events = new EventSource("%(events)s?since=" + since);
  events.addEventListener("reload", function () { location.reload(); });
  events.addEventListener("css", function () {
    fetch(location.pathname, {cache: "no-store"}).then(function (r) { return r.text(); }).then(function (text) {
      var fresh = new DOMParser().parseFromString(text, "text/html").querySelectorAll("style");
      var old = document.querySelectorAll("style");
      if (fresh.length !== old.length) { location.reload(); return; }
      old.forEach(function (style, i) { style.textContent = fresh[i].textContent; });
      var box = document.getElementById("bookmaker-errors");
      if (box) box.remove();
    });
  });
  events.addEventListener("failed", function (e) {
    var box = document.getElementById("bookmaker-errors") || document.createElement("pre");
    box.id = "bookmaker-errors";
    box.style.cssText = "position:fixed;top:0;left:0;right:0;margin:0;padding:1em;background:#fee;color:#900;" +
      "font:13px monospace;white-space:pre-wrap;z-index:2147483647;border-bottom:2px solid #900";
    box.textContent = JSON.parse(e.data).join("\\n");
    document.body.appendChild(box);
  });
})();
</script>
"""


class Broadcast:
    """The latest rebuild event; each open page waits for a newer one."""

    def __init__(self) -> None:
        self.version = 0
        self.event = ("reload", "[]")
        self.changed = threading.Condition()

    def publish(self, name: str, data: str = "[]") -> None:
        with self.changed:
            self.version += 1
            self.event = (name, data)
            self.changed.notify_all()

    def wait(self, since: int, timeout: float) -> tuple[int, str, str] | None:
        with self.changed:
            self.changed.wait_for(lambda: self.version > since, timeout)
            if self.version > since:
                return (self.version, *self.event)
            return None


class PreviewHandler(BaseHTTPRequestHandler):
    """The preview page with its script, the event stream, and the files the page shows: nothing else.

    Only for a request to a loopback name (`Host: 127.0.0.1`, `localhost` or
    `[::1]`, with this server's port): a web page whose name an attacker points
    at 127.0.0.1 (DNS rebinding) sends its own name, and is refused.
    """

    timeout = _IDLE_SECONDS  # each read and write of a connection

    def __init__(self, *args, preview: PreviewServer, **kwargs) -> None:
        self.preview = preview
        super().__init__(*args, **kwargs)

    def log_message(self, format: str, *args) -> None:
        pass  # the terminal is for rebuild lines

    def end_headers(self) -> None:
        # A preview must never be served from the browser's cache.
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def handle_one_request(self) -> None:
        # A socket timeout bounds each read; a client sending a byte a second would
        # pass every one. The request line and headers must come within a deadline.
        self._deadline = threading.Timer(_REQUEST_SECONDS, self._too_slow)
        self._deadline.daemon = True
        self._deadline.start()
        try:
            super().handle_one_request()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the browser went away mid-answer: nothing to say (it printed a traceback)
        finally:
            self._deadline.cancel()

    def _too_slow(self) -> None:
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def parse_request(self) -> bool:
        parsed = super().parse_request()
        self._deadline.cancel()
        return parsed

    def do_GET(self) -> None:
        self.respond(body=True)

    def do_HEAD(self) -> None:
        self.respond(body=False)

    def respond(self, body: bool) -> None:
        if not self._loopback_host():
            self.send_error(HTTPStatus.FORBIDDEN, "the preview answers only to 127.0.0.1, localhost and [::1]")
            return
        url = urlsplit(self.path)
        path = unquote(url.path)
        if path == "/":
            self.send_response(HTTPStatus.FOUND)
            self.send_header("Location", self.preview.page_url)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == EVENTS and body:
            since = _since(url.query)
            if since is None:
                self.send_error(HTTPStatus.BAD_REQUEST, "since must be a version number")
            else:
                self.events(since)
        elif path == self.preview.page_url:
            self.send(self.page(), "text/html; charset=utf-8", body)
        elif (served := self.preview.served_file(path)) is not None:
            self.send(served[0], served[1], body)
        else:
            self.send_error(HTTPStatus.NOT_FOUND)

    def _loopback_host(self) -> bool:
        match = _LOOPBACK.fullmatch(self.headers.get("Host", ""))
        return match is not None and match.group(2) in (None, str(self.preview.port))

    def send(self, data: bytes, content_type: str, body: bool) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if body:
            self.wfile.write(data)

    def page(self) -> bytes:
        page = self.preview.page_path()
        script = _CLIENT % {"version": self.preview.broadcast.version, "events": EVENTS}
        if page is None or not page.is_file():
            return f"<!DOCTYPE html><title>bookmaker</title><p>No preview yet: see the terminal.</p>{script}".encode()
        text = page.read_text(encoding="utf-8")
        at = text.rfind("</body>")
        text = text[:at] + script + text[at:] if at >= 0 else text + script
        head = text.find("</head>")
        return (text[:head] + _SCREEN + text[head:] if head >= 0 else text).encode()

    def events(self, since: int) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        try:
            while not self.preview.stopping.is_set():
                news = self.preview.broadcast.wait(since, _KEEPALIVE_SECONDS)
                if news is None:
                    self.wfile.write(b": keep-alive\n\n")  # also finds closed pages
                else:
                    since, name, data = news
                    self.wfile.write(f"event: {name}\ndata: {data}\n\n".encode())
                self.wfile.flush()
        except OSError:  # the page was closed, or stopped reading
            pass


_LOOPBACK = re.compile(r"(127\.0\.0\.1|localhost|\[::1\])(?::(\d{1,5}))?", re.IGNORECASE)


def _since(query: str) -> int | None:
    """The `since` version of an event request; None if the query is not exactly one such number."""
    try:
        values = parse_qs(query, keep_blank_values=True, strict_parsing=True, max_num_fields=4)
    except ValueError:
        return None
    since = values.get("since", ["0"]) if set(values) <= {"since"} else []
    if len(since) != 1 or not since[0].isascii() or not since[0].isdigit() or len(since[0]) > 18:
        return None
    return int(since[0])


def _references(page_text: str) -> set[str]:
    """What the preview page loads: its src attributes and the url()s of its stylesheets."""
    found = {html.unescape(m.group(1)) for m in re.finditer(r'\ssrc="([^"]*)"', page_text)}
    found |= {m.group(2) for m in re.finditer(r"""url\(\s*(['"]?)([^'")]*)\1\s*\)""", page_text)}
    return found


class PreviewServer:
    def __init__(self, builder: Builder, port: int) -> None:
        self.builder = builder
        self.root = builder.root
        self.broadcast = Broadcast()
        self.stopping = threading.Event()
        self.page_file: Path | None = None
        self.files: dict[str, Path] = {}  # URL path -> a book file the page shows
        self.started = False
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), partial(PreviewHandler, preview=self))
        self.httpd.daemon_threads = True

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def page_url(self) -> str:
        page = self.page_path()
        if page is None:
            return "/preview.html"
        return "/" + page.relative_to(self.root).as_posix()

    def page_path(self) -> Path | None:
        return self.page_file

    def served_file(self, url_path: str) -> tuple[bytes, str] | None:
        """The bytes and type of a file the page shows, checked again under the book's rules as it is read."""
        path = self.files.get(url_path)
        if path is None:
            return None
        try:
            return ResourcePolicy(self.root).read_local(path, limits.MAX_IMAGE_BYTES), _served_type(path)
        except Refused:
            return None

    def _find_files(self) -> None:
        """The images and fonts the page shows that the book may load: what the server may send besides the page."""
        page = self.page_file
        files: dict[str, Path] = {}
        if page is not None and page.is_file():
            policy = ResourcePolicy(self.root)
            for reference in _references(page.read_text(encoding="utf-8", errors="replace")):
                try:
                    where = policy.resolve(reference, page)
                except Refused:
                    continue  # remote, data: and refused references are not this server's to serve
                if isinstance(where, Local) and _served_type(where.path) is not None:
                    # Keyed by the path as written, not the file it leads to: a link is served
                    # only where the page names it, and only while it stays inside the book.
                    named = Path(os.path.normpath(page.parent / unquote(urlsplit(reference).path)))
                    files["/" + named.relative_to(self.root).as_posix()] = named
        self.files = files

    def rebuilt(self, result: BuildResult | None, css_only: bool, diagnostics: Diagnostics | None) -> None:
        if result is None:
            lines = [d.format(relative_to=self.root) for d in diagnostics] if diagnostics else ["the build failed"]
            self.broadcast.publish("failed", json.dumps(lines))
            return
        pages = [p for p in result.written if p.suffix == ".html"]
        if pages:
            self.page_file = pages[0]
        self._find_files()
        self.broadcast.publish("css" if css_only else "reload")

    def start(self) -> None:
        if not self.files:
            self._find_files()
        self.started = True
        threading.Thread(target=self.httpd.serve_forever, name="bookmaker-serve", daemon=True).start()

    def stop(self) -> None:
        self.stopping.set()
        if self.started:  # shutdown() waits for serve_forever(), which never ran otherwise
            self.httpd.shutdown()
        self.httpd.server_close()


def _served_type(path: Path) -> str | None:
    """The Content-Type of an image or font the preview may load; None for any other file."""
    kind = mimetypes.guess_type(path.name)[0]
    if kind is None and path.suffix.lower() in (".woff2", ".woff", ".otf", ".ttf"):
        kind = "font/" + path.suffix.lower()[1:]
    return kind if kind and kind.split("/")[0] in ("image", "font") else None
