"""`bookmaker serve`: the HTML book in a browser, reloaded when a rebuild finishes.

A small HTTP server on 127.0.0.1 serves the book folder (so the HTML's
relative image paths work) and adds to the preview page a script that listens
to server-sent events: `reload` after a rebuild, `css` when only stylesheets
changed (the page swaps its <style> elements and keeps its scroll position),
`failed` with the errors when a rebuild fails. Standard library only: one
page, one event stream, no need for a web framework.
"""

from __future__ import annotations

import json
import threading
import webbrowser
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import click

from bookmaker.diagnostics import Diagnostics
from bookmaker.pipeline import Builder, BuildResult
from bookmaker.progress import Reporter
from bookmaker.watch import Watcher, watch_options

EVENTS = "/__bookmaker__/events"
_KEEPALIVE_SECONDS = 10

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


class PreviewHandler(SimpleHTTPRequestHandler):
    """Files of the book folder, the preview page with its script, and the event stream."""

    def __init__(self, *args, preview: PreviewServer, **kwargs) -> None:
        self.preview = preview
        super().__init__(*args, directory=str(preview.root), **kwargs)

    def log_message(self, format: str, *args) -> None:
        pass  # the terminal is for rebuild lines

    def end_headers(self) -> None:
        # A preview must never be served from the browser's cache.
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path == "/":
            self.send_response(HTTPStatus.FOUND)
            self.send_header("Location", self.preview.page_url)
            self.end_headers()
        elif url.path == EVENTS:
            since = int(parse_qs(url.query).get("since", ["0"])[0] or 0)
            self.events(since)
        elif url.path == self.preview.page_url:
            self.page()
        else:
            super().do_GET()

    def page(self) -> None:
        page = self.preview.page_path()
        if page is None or not page.is_file():
            body = (f"<!DOCTYPE html><title>bookmaker</title><p>No preview yet: see the terminal.</p>"
                    f"{_CLIENT % {'version': self.preview.broadcast.version, 'events': EVENTS}}").encode()
        else:
            text = page.read_text(encoding="utf-8")
            script = _CLIENT % {"version": self.preview.broadcast.version, "events": EVENTS}
            at = text.rfind("</body>")
            text = text[:at] + script + text[at:] if at >= 0 else text + script
            head = text.find("</head>")
            body = (text[:head] + _SCREEN + text[head:] if head >= 0 else text).encode()
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

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
        except (BrokenPipeError, ConnectionResetError):
            pass


class PreviewServer:
    def __init__(self, builder: Builder, port: int) -> None:
        self.builder = builder
        self.root = builder.root
        self.broadcast = Broadcast()
        self.stopping = threading.Event()
        self.page_file: Path | None = None
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

    def rebuilt(self, result: BuildResult | None, css_only: bool, diagnostics: Diagnostics | None) -> None:
        if result is None:
            lines = [d.format(relative_to=self.root) for d in diagnostics] if diagnostics else ["the build failed"]
            self.broadcast.publish("failed", json.dumps(lines))
            return
        pages = [p for p in result.written if p.suffix == ".html"]
        if pages:
            self.page_file = pages[0]
        self.broadcast.publish("css" if css_only else "reload")

    def start(self) -> None:
        self.started = True
        threading.Thread(target=self.httpd.serve_forever, name="bookmaker-serve", daemon=True).start()

    def stop(self) -> None:
        self.stopping.set()
        if self.started:  # shutdown() waits for serve_forever(), which never ran otherwise
            self.httpd.shutdown()
        self.httpd.server_close()


@click.command("serve")
@click.argument("path", type=click.Path(path_type=Path), default=Path("."), required=False)
@click.option("-p", "--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port on 127.0.0.1 (0 picks a free one).")
@click.option("-f", "--format", "formats", type=click.Choice(["pdf", "epub"]), multiple=True,
              help="Also rebuild this format on every change (repeatable); the preview is the HTML.")
@click.option("--open", "open_browser", is_flag=True, help="Open the preview in the default browser.")
@watch_options
def serve_command(path: Path, port: int, formats: tuple[str, ...], open_browser: bool, output_dir: Path | None,
                  quiet: bool) -> None:
    """Preview the book at PATH in a browser, reloaded after every rebuild.

    Serves on 127.0.0.1 only. A change in a stylesheet updates the page in place.
    """
    builder = Builder(path, Reporter(quiet=quiet))
    if output_dir is not None and not output_dir.resolve().is_relative_to(builder.root):
        raise click.BadParameter("the preview is served from the book folder: give a folder inside it",
                                 param_hint="--output-dir")
    try:
        server = PreviewServer(builder, port)
    except OSError as exc:
        click.echo(f"bookmaker: cannot listen on 127.0.0.1:{port}: {exc.strerror}: choose another --port", err=True)
        raise SystemExit(2) from None
    watcher = Watcher(builder, ["html", *formats], output_dir, on_rebuild=server.rebuilt, quiet=quiet)
    url = f"http://127.0.0.1:{server.port}/"

    def ready() -> None:
        # The first build has made (or found) the page: now it can be served.
        if server.page_file is None:
            server.page_file = builder.last_output("html", output_dir)
        server.start()
        click.echo(f"Serving {url} (Ctrl-C stops)")
        if open_browser:
            webbrowser.open(url)

    try:
        watcher.run(ready)
    finally:
        server.stop()
