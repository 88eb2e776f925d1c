"""What a book may load: one set of rules for the reader and every writer.

A manuscript is untrusted input. Images, stylesheets and fonts load only from
inside the book folder or bookmaker's own theme; a `file:` URL, an absolute
path, a `..` that leaves the book or a symlink pointing out is refused. Remote
resources are refused unless the author passes `--allow-remote`, and then
only http(s), with a timeout and a size cap. The reader resolves every
reference through `ResourcePolicy.resolve`, the PDF's URL fetcher and the EPUB
and HTML writers read through `read_local` / `fetch_remote`, so no output can
contain bytes of a refused resource.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from bookmaker.core import limits
from bookmaker.core.diagnostics import BookError, Diagnostic, Diagnostics
from bookmaker.core.paths import loops, real_path

REMOTE_SCHEMES = ("http", "https")


class Refused(Exception):
    """A resource the book may not load, carrying its problem as an unplaced Diagnostic.

    Its message says what is wrong with the resource and what to do ("is outside the
    book folder: move it inside the book"); the caller names the resource and places
    it: `diagnostics.add(refused.about(f"image '{src}'").at(path, line))`.
    """

    def __init__(self, reason: str, path: Path | None = None, code: str = "") -> None:
        super().__init__(reason)
        self.path = path  # the file refused, where the policy knows it
        self.diagnostic = Diagnostic.error(reason, code)

    def about(self, subject: str) -> Diagnostic:
        """The problem said of `subject` ("stylesheet", "image 'a.png'"), not yet placed."""
        return replace(self.diagnostic, message=f"{subject} {self.diagnostic.message}")

    def as_book_error(self, what: str, diagnostics: Diagnostics | None = None) -> BookError:
        """For a writer that meets a refused file the reader let through: stop, naming the file."""
        return BookError.of(self.about(f"refused to load this {what}: it").at(self.path or "bookmaker"), diagnostics)


@dataclass(frozen=True)
class Local:
    path: Path  # resolved, inside an allowed root

    def book_relative(self, root: Path) -> str:
        return self.path.relative_to(root).as_posix()


@dataclass(frozen=True)
class Remote:
    url: str

    def local_name(self) -> str:
        """A file name for the fetched copy inside the EPUB: stable, and never a path from the URL."""
        suffix = PurePosixPath(urlsplit(self.url).path).suffix.lower()
        if not suffix.isascii() or not suffix[1:].isalnum():
            suffix = ""
        return f"remote/{hashlib.sha256(self.url.encode()).hexdigest()[:16]}{suffix}"


@dataclass
class ResourcePolicy:
    book_root: Path
    extra_roots: list[Path] = field(default_factory=list)  # bookmaker's own theme
    allow_remote: bool = False
    timeout: float = limits.REMOTE_TIMEOUT_SECONDS
    max_bytes: int = limits.MAX_REMOTE_BYTES
    # Every file of the book read through the policy (a bibliography, a .csl style, an image): the skip
    # check and `watch` know from it what an output was made from (buildstate.used_files).
    read_files: set[Path] = field(default_factory=set, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.book_root = real_path(self.book_root)
        self.roots = [self.book_root, *(real_path(r) for r in self.extra_roots)]

    # -- references written in the book ------------------------------------

    def resolve(self, reference: str, relative_to: Path) -> Local | Remote:
        """Where a reference written in the file `relative_to` points, or Refused."""
        try:
            parts = urlsplit(reference)
        except ValueError:  # `http://[x` and the like
            raise Refused("is not a valid address: check the brackets and the spelling", code="url-invalid") from None
        scheme = parts.scheme.lower()
        if scheme in REMOTE_SCHEMES:
            if not self.allow_remote:
                raise Refused("is a remote resource: bookmaker does not fetch from the network "
                              "unless you pass --allow-remote (or copy the file into the book)", code="resource-remote")
            return Remote(reference)
        if scheme == "file":
            raise Refused("is a file: URL: copy the file into the book and use a relative path", code="resource-file-url")
        if scheme or parts.netloc:
            raise Refused(f"uses '{scheme or '//'}' URLs, which bookmaker does not load: "
                          "copy the file into the book and use a relative path", code="url-scheme-refused")
        raw_path = unquote(parts.path)
        if not raw_path:
            raise Refused("names no file: give a path relative to the file that uses it", code="resource-unnamed")
        if raw_path.startswith(("/", "\\")) or (len(raw_path) > 1 and raw_path[1] == ":"):
            raise Refused("is an absolute path: copy the file into the book and use a relative path", code="resource-absolute-path")
        if "\0" in raw_path:
            raise Refused("is not a valid path", code="resource-path-invalid")
        return Local(self.check_local(relative_to.parent / raw_path))

    def check_local(self, path: Path) -> Path:
        """`path` resolved (following symlinks) if it stays inside an allowed root; Refused otherwise."""
        lexical = Path(os.path.normpath(path.absolute()))
        if not any(lexical.is_relative_to(root) or lexical.is_relative_to(_unresolved(root)) for root in self.roots):
            raise Refused("is outside the book folder: move it inside the book", code="resource-outside-book")
        try:
            resolved = real_path(path)
            if not any(resolved.is_relative_to(root) for root in self.roots):
                raise Refused("is a link to a file outside the book folder: copy the file itself into the book", code="resource-link-outside-book")
            if not resolved.exists():
                if loops(resolved):
                    raise Refused("is a symbolic link that leads back to itself: replace it with the file",
                                  code="resource-link-loop")
                raise Refused("does not exist: check the path", code="resource-missing")
            if not resolved.is_file():
                raise Refused("is not a file", code="resource-not-a-file")
        except OSError as exc:  # a name too long, a link loop...
            raise Refused(f"cannot be read: {exc.strerror or exc}", code="resource-unreadable") from None
        if not os.access(resolved, os.R_OK):
            raise Refused("cannot be read: check its permissions", code="resource-unreadable")
        return resolved

    # -- reading ------------------------------------------------------------

    def read_local(self, path: Path, max_bytes: int | None = None) -> bytes:
        """The bytes of a local file, checked again at the moment it is read."""
        try:
            resolved = self.check_local(path)
            if max_bytes is not None and resolved.stat().st_size > max_bytes:
                raise Refused(f"is larger than {max_bytes // 1_000_000} MB: make it smaller", code="resource-too-large")
            data = resolved.read_bytes()
            if resolved.is_relative_to(self.book_root):
                self.read_files.add(resolved)
            return data
        except Refused as refused:
            raise Refused(str(refused), path, refused.diagnostic.code) from None
        except OSError as exc:
            raise Refused(f"cannot be read: {exc.strerror}", path, code="resource-unreadable") from None

    def fetch_remote(self, url: str) -> bytes:
        """The bytes at an http(s) URL: only with --allow-remote, within the timeout and the size cap."""
        if urlsplit(url).scheme.lower() not in REMOTE_SCHEMES:
            raise Refused("is not an http(s) URL", code="url-not-http")
        if not self.allow_remote:
            raise Refused("is a remote resource: pass --allow-remote to fetch it", code="resource-remote")
        # The HTTP client is imported only here: most builds fetch nothing, and it costs 40 ms.
        import http.client
        import urllib.error

        # The time limit is for the whole fetch: a server that sends a few bytes now and then would
        # never trip a socket's per-read timeout. The fetch runs in a thread the build waits for at
        # most `timeout` seconds; the thread gives up on its own at the deadline.
        import threading
        import time

        deadline = time.monotonic() + self.timeout
        outcome: list = []

        def fetch() -> None:
            try:
                outcome.append(self._fetch_until(url, deadline))
            except BaseException as exc:  # handed to the waiting thread
                outcome.append(exc)

        worker = threading.Thread(target=fetch, name="bookmaker-fetch", daemon=True)
        worker.start()
        worker.join(self.timeout + 0.5)
        result = outcome[0] if outcome else TimeoutError()
        if isinstance(result, TimeoutError) or isinstance(getattr(result, "reason", None), TimeoutError):
            raise Refused(f"could not be fetched within the time limit of {self.timeout:g} s: "
                          "download the file into the book", code="resource-fetch-timeout")
        if isinstance(result, Refused):
            raise result
        if isinstance(result, (urllib.error.URLError, http.client.HTTPException, OSError, ValueError)):
            reason = getattr(result, "reason", None) or result
            raise Refused(f"could not be fetched ({reason}): check the URL or download the file into the book", code="resource-fetch-failed") from None
        if isinstance(result, BaseException):
            raise result
        return result

    def _fetch_until(self, url: str, deadline: float) -> bytes:
        import time

        from bookmaker.safety.remote import opener

        too_large = Refused(f"is larger than {self.max_bytes // 1_000_000} MB: download it into the book", code="resource-too-large")
        with opener(REMOTE_SCHEMES).open(url, timeout=self.timeout) as response:
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > self.max_bytes:
                raise too_large
            chunks, size = [], 0
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError
                _set_read_timeout(response, remaining)
                chunk = response.read1(65536)  # one read from the socket: the deadline is checked between reads
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
                if size > self.max_bytes:
                    raise too_large
        return b"".join(chunks)

    def read(self, where: Local | Remote, max_bytes: int | None = None) -> bytes:
        return self.fetch_remote(where.url) if isinstance(where, Remote) else self.read_local(where.path, max_bytes)


def _set_read_timeout(response, seconds: float) -> None:
    """Let the next read of an HTTP response wait at most `seconds`."""
    sock = getattr(getattr(getattr(response, "fp", None), "raw", None), "_sock", None)
    if sock is not None:
        sock.settimeout(max(seconds, 0.01))


def policy_for(book) -> ResourcePolicy:
    """The rules the reader applied to `book` (read_book gives every book its policy)."""
    if book.policy is None:
        raise ValueError("a Book not made by read_book has no resource policy: give it one")
    return book.policy


def _unresolved(root: Path) -> Path:
    return Path(os.path.normpath(root.absolute()))
