"""Pygments in a worker process, under a time budget per code block.

Pygments' lexers are regular expressions, and some backtrack without end on
text a hostile (or unlucky) author can write: ```` ```systemd ```` with 3,000
spaces, ```` ```tnt ```` with 1,000 `!`. A regular expression cannot be
interrupted inside the interpreter, so the lexing runs in a child process, which
is killed when a block takes longer than its budget; the block is then printed
plain, with a warning. One worker serves a whole build (it starts on the first
block with a known language) and is started again after it was killed. A book
gets MAX_TIMEOUTS of those waits; after that its blocks are printed plain.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
import time

# Seconds a block may take: Pygments lexes ordinary code at over 100 KB a second on a slow machine.
BUDGET_SECONDS = 3.0
BUDGET_SECONDS_PER_100KB = 2.0
MAX_TIMEOUTS = 3  # per process: then no block waits any more (each wait is a full budget)
WORKER_MEMORY_BYTES = 1_000_000_000

Runs = list[tuple[str, str]]


class TooSlow(Exception):
    """The lexer did not finish within the block's budget."""


class _Worker:
    def __init__(self) -> None:
        self._process = None  # a subprocess.Popen; the module is imported only for a book with code
        self._lock = threading.Lock()
        self.timeouts = 0
        self.too_slow: dict[bytes, str] = {}  # blocks that took too long (a digest of language and code)

    def runs(self, lang: str, code: str) -> Runs:
        """(Pygments' short class, text) runs of `code`; TooSlow past the budget; ValueError if the worker failed."""
        known = hashlib.sha256(f"{lang}\0{code}".encode()).digest()
        if known in self.too_slow:  # `check` then `build` in one process, or `watch`: it is not tried again
            raise TooSlow(self.too_slow[known])
        if self.timeouts >= MAX_TIMEOUTS:
            raise TooSlow(f"{MAX_TIMEOUTS} code blocks already took too long")
        budget = BUDGET_SECONDS + BUDGET_SECONDS_PER_100KB * len(code) / 100_000
        with self._lock:
            process = self._started()
            try:
                process.stdin.write(json.dumps({"lang": lang, "code": code}).encode() + b"\n")
                process.stdin.flush()
                line = _read_line(process, budget)
            except (OSError, ValueError):
                self._stop()
                raise ValueError("the highlighter stopped") from None
            if line is None:
                self._stop()
                self.timeouts += 1
                self.too_slow[known] = f"Pygments took longer than {budget:.0f} s on it"
                raise TooSlow(self.too_slow[known])
        answer = json.loads(line)
        if "error" in answer:
            raise ValueError(answer["error"])
        return [(css, text) for css, text in answer["runs"]]

    def _started(self):
        import subprocess

        if self._process is None or self._process.poll() is not None:
            self._process = subprocess.Popen(
                [sys.executable, "-c", "from bookmaker.render.highlight_worker import serve; serve()"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
        return self._process

    def _stop(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None


def _read_line(process, seconds: float) -> bytes | None:
    """One line of the worker's answer (of `process`, a subprocess.Popen), or None when it does not come
    within `seconds`."""
    import selectors

    deadline = time.monotonic() + seconds
    chunks: list[bytes] = []
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not selector.select(left):
                return None
            chunk = os.read(process.stdout.fileno(), 1 << 16)
            if not chunk:
                raise ValueError("the highlighter stopped")
            chunks.append(chunk)
            if chunk.endswith(b"\n"):
                return b"".join(chunks)


_WORKER = _Worker()


def new_book() -> None:
    """A new build (`watch` and `serve` read the book again and again): its own allowance of waits."""
    _WORKER.timeouts = 0


def highlighted_runs(lang: str, code: str) -> Runs:
    """Runs of `code` lexed as `lang`, within the block's time budget (TooSlow, ValueError otherwise)."""
    return _WORKER.runs(lang, code)


def serve() -> None:
    """The worker: one JSON request a line on stdin, one JSON answer a line on stdout."""
    import resource

    # Its own memory ceiling, set here rather than by a preexec_fn, which is unsafe in a threaded parent (serve).
    resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY_BYTES, WORKER_MEMORY_BYTES))
    from pygments.lexers import get_lexer_by_name
    from pygments.token import STANDARD_TYPES

    def short(ttype) -> str:
        while ttype not in STANDARD_TYPES:
            ttype = ttype.parent
        return STANDARD_TYPES[ttype]

    for line in sys.stdin.buffer:
        request = json.loads(line)
        try:
            lexer = get_lexer_by_name(request["lang"], stripnl=False, ensurenl=False)
            answer = {"runs": [(short(ttype), value) for ttype, value in lexer.get_tokens(request["code"])]}
        except Exception as exc:  # a lexer's own bug: the block is printed plain
            answer = {"error": f"{type(exc).__name__}: {exc}"[:200]}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()
