"""Hostile books that must not hang, exhaust memory or end in an internal error (issue 10, part B):
each case the fast way, on the function that has to hold; the books themselves are fixtures in
fixtures/hostile/ and run through every command in test_hostile_commands.py."""

from __future__ import annotations

import socket
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import run_cli


# -- a slow server: the time limit is for the whole fetch ----------------------------------


@pytest.fixture
def dripping_server():
    """An HTTP server that sends its body 12 bytes at a time, every 0.3 s, for at most 8 s."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)
    stop = threading.Event()

    def serve() -> None:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        with conn:
            conn.recv(4096)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 100000\r\n\r\n")
            ends = time.monotonic() + 8
            while not stop.is_set() and time.monotonic() < ends:
                try:
                    conn.sendall(b"\x89PNG-drip..")
                except OSError:
                    return
                time.sleep(0.3)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/slow.png"
    stop.set()
    listener.close()
    thread.join(10)


def test_a_remote_fetch_stops_at_its_time_limit_even_when_bytes_keep_coming(tmp_path, dripping_server):
    from bookmaker.policy import Refused, ResourcePolicy

    policy = ResourcePolicy(tmp_path, allow_remote=True, timeout=1.0)
    started = time.monotonic()
    with pytest.raises(Refused, match="within the time limit of 1 s"):
        policy.fetch_remote(dripping_server)
    assert time.monotonic() - started < 3, "one limit for the whole fetch, not for each read"
