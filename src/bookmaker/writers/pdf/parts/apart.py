"""A laid-out piece of a chain of notes written as a PDF by a child process, while its worker lays out the next.

A first build's notes are laid out as a chain (notes/chain.py): each piece begins where the one before
ended, so the pieces are laid out one after another on one core, and the book waits for them. Only the
layout decides where the next piece begins: writing a piece's PDF (drawing, tags, the structure's fixes)
does not, and it was about a quarter of the chain's time. So the worker forks once a piece is laid out:
the child, holding the laid-out document as it was, writes its PDF and sends it back through a pipe;
the worker goes on with the next piece. Each write ends before the next but one piece begins (a worker
holds at most two), and a child dies with its worker (core/lifeline.py).

A chain laid out beside the chapters (parts/desk.py) forks earlier: a piece paginated before the
parent knows where the notes start waits for it in a child (wait_apart), which numbers its pages,
makes its margin boxes, writes it and sends the whole part back; the worker goes on with the next
piece at once. Those children hold their pieces until the chapters are all paginated.
"""

from __future__ import annotations

import io
import os

from bookmaker.core.diagnostics import Diagnostics
from bookmaker.writers.pdf.parts.cache import decode, encode
from bookmaker.writers.pdf.parts.jobs import Laid


class WriteFailed(Exception):
    pass


class Deferred(Exception):
    """Raised in the worker once a piece waits in a child: `laid` is what is known of it so far."""

    def __init__(self, laid: Laid) -> None:
        super().__init__("finished by a child")
        self.laid = laid


class Writing:
    """A child process writing one piece's PDF."""

    def __init__(self, pid: int, fd: int) -> None:
        self.pid, self.fd = pid, fd

    def result(self) -> Laid:
        """What the child wrote: the PDF, the faces it used, every diagnostic of the piece."""
        with os.fdopen(self.fd, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(self.pid, 0)
        if status != 0 or not data:
            raise WriteFailed(f"the child writing a piece of the notes ended with status {status}")
        return decode(data)

    def cancel(self) -> None:
        import signal

        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(self.fd)


def written(laid: Laid) -> None:
    """A piece whose PDF a child was writing, completed with what it wrote (with all it found after
    pagination, for a piece the child finished: its pages as the worker's chain cut them stay)."""
    writing = laid.__dict__.pop("writing", None)
    if writing is not None:
        done = writing.result()
        laid.pdf, laid.fonts, laid.diagnostics = done.pdf, done.fonts, done.diagnostics
        if laid.deferred:
            laid.anchors, laid.bookmarks, laid.starts = done.anchors, done.bookmarks, done.starts
            laid.start, laid.abandoned, laid.seconds = done.start, done.abandoned, laid.seconds + done.seconds
            laid.pad_holds_content = laid.pad_holds_content or done.pad_holds_content


def wait_apart(laid: Laid) -> int:
    """Fork: in the worker, raise Deferred with `laid` and a Writing of the child; in the child, return the
    pipe its result goes to (send_and_end)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid:
        os.close(write)
        laid.writing = Writing(pid, read)
        raise Deferred(laid)
    from bookmaker.core.lifeline import die_with_parent

    os.close(read)
    die_with_parent(os.getppid())
    return write


def send_and_end(pipe: int, laid: Laid | None) -> None:
    """In a child of wait_apart: send the finished piece (None: it failed) and end, running nothing of the worker's."""
    code = 1
    try:
        if laid is not None:
            payload = encode(laid)
            with os.fdopen(pipe, "wb") as out:
                out.write(payload)
            code = 0
    finally:
        os._exit(code)


def cancel(pieces: list[Laid]) -> None:
    """The writes of pieces not used ended."""
    for laid in pieces:
        writing = laid.__dict__.pop("writing", None)
        if writing is not None:
            writing.cancel()


def write_apart(document, options: dict, said: Diagnostics, deferred: dict, prepared) -> Writing:
    """Fork: the child writes `document` (WeasyPrint's, laid out) with `options`, inside the caller's
    patches (the faces it uses go into `deferred`, its warnings into `said`), and sends them back with
    the PDF `prepared` makes of it; it never returns."""
    read, write = os.pipe()
    pid = os.fork()
    if pid:
        os.close(write)
        return Writing(pid, read)
    code = 1
    try:
        from bookmaker.core.lifeline import die_with_parent

        os.close(read)
        die_with_parent(os.getppid())
        out = io.BytesIO()
        document.write_pdf(out, **options)
        payload = encode(Laid(0, prepared(out.getvalue()), 0, {}, [], deferred, said, False, False))
        with os.fdopen(write, "wb") as pipe:
            pipe.write(payload)
        code = 0
    finally:
        os._exit(code)  # nothing of the worker's (its queues, its exit handlers) runs in the child
