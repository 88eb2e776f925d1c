"""Stops (issue 26): Ctrl-C, a SIGINT sent by a script and SIGTERM stop `pdf`, `build`, `watch` and `serve`
in the middle of the layout within 2 s, with no process of theirs left, no partial output and no partial
cache entry.

Each command runs as a real process on a book of a few chapters, with an empty user cache; it is signalled
once it is laying out (its layout workers are running, or for `serve`, which lays the PDF out in one
process, once its HTML is written), and its process tree, taken before the signal, is looked for after.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from books import article_chapters

pytestmark = pytest.mark.slow

CONSOLE = Path(sys.executable).parent / "bookmaker"


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            kids.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry))
    return kids


def _tree(pid: int) -> dict[int, str]:
    """Every process under `pid`, with its start time (a pid used again later is another process)."""
    kids, found, todo = _children(), {}, [pid]
    while todo:
        for kid in kids.get(todo.pop(), []):
            found[kid] = _started(kid)
            todo.append(kid)
    return found


def _started(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def _alive(pid: int, started: str) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X") and _started(pid) == started


def _leftovers(folder: Path) -> list[str]:
    """Files a write cut in two leaves: temporary names (mkstemp's tmp*, *.part, a face's name.<pid>)."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                  if p.is_file() and (p.name.startswith(("tmp", ".tmp")) or p.name.endswith(".part")
                                      or re.search(r"\.\d+$", p.name)))


COMMANDS = {
    "pdf": ["pdf"],
    "build": ["build", "-f", "pdf", "-f", "epub"],
    "watch": ["watch", "-f", "pdf", "-f", "epub"],
    "serve": ["serve", "-p", "0", "-f", "pdf"],
}


@pytest.mark.parametrize("how", ["ctrl-c", "script-sigint", "sigterm"])
@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_stop_mid_layout_ends_every_process_and_leaves_nothing_half_written(command, how, tmp_path):
    book = article_chapters(tmp_path / "book", 6, code=True)
    cache = tmp_path / "cache"
    env = {**os.environ, "XDG_CACHE_HOME": str(cache), "BOOKMAKER_DEBUG": "1"}
    env.pop("BOOKMAKER_NO_CACHE", None)
    # A script's background job: the shell has set SIGINT to be ignored (Python then keeps it so).
    ignore_sigint = (lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if how == "script-sigint" else None
    process = subprocess.Popen([str(CONSOLE), *COMMANDS[command], str(book)], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
                               preexec_fn=ignore_sigint)
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(line.decode(errors="replace") for line in process.stdout),
                     daemon=True).start()
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            if command == "serve":
                laying_out = any(p.suffix == ".html" for p in (book / "build").glob("*"))
            else:
                laying_out = any("wave 1" in line for line in lines)
            if laying_out:
                break
            time.sleep(0.05)
        else:
            pytest.fail(f"{command} never began its layout: {''.join(lines)}")
        time.sleep(1.0)  # well inside the layout (the 6 chapters take several seconds)
        tree = _tree(process.pid)
        if command != "serve":
            assert tree, "the layout workers were not found"
        if how == "ctrl-c":
            os.killpg(process.pid, signal.SIGINT)  # a terminal sends it to the whole foreground group
        else:
            process.send_signal(signal.SIGINT if how == "script-sigint" else signal.SIGTERM)
        signalled = time.monotonic()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        took = time.monotonic() - signalled
        time.sleep(0.5)  # a killed process's children are told at once; give them the moment to go
        survivors = [pid for pid, started in tree.items() if _alive(pid, started)]
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        for pid in _tree(process.pid):
            os.kill(pid, signal.SIGKILL)
    output = "".join(lines)
    assert process.returncode is not None and took < 2, f"still running {took:.1f} s after the signal:\n{output}"
    assert not survivors, f"processes left after the stop: {survivors}\n{output}"
    assert process.returncode != 0 or command in ("watch", "serve"), output
    pdf = list((book / "build").glob("*.pdf"))
    assert not pdf, f"the signal came after the layout: {pdf}\n{output}"
    assert _leftovers(book) == [], output
    assert _leftovers(cache) == [], output
