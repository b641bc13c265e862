"""`papersieve serve` as a user runs it: a real process on a loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_answers_on_loopback_and_requires_the_token(papersieve_home: Path) -> None:
    port = free_port()
    env = {**os.environ, "PAPERSIEVE_HOME": str(papersieve_home), "PAPERSIEVE_WEB_TOKEN": "t0ken"}
    process = subprocess.Popen(
        [sys.executable, "-m", "papersieve", "serve", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        reply = None
        deadline = time.monotonic() + 60
        while reply is None:
            try:
                reply = httpx.get(url, timeout=5)
            except httpx.TransportError:
                assert process.poll() is None, process.communicate()[1]
                assert time.monotonic() < deadline, "papersieve serve did not start"
                time.sleep(0.1)
        assert reply.status_code == 401
        page = httpx.get(url, headers={"Authorization": "Bearer t0ken"}, timeout=5)
        assert page.status_code == 200 and "No digest yet" in page.text
        assert "server" not in page.headers
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=30)
    assert f"papersieve web app on http://127.0.0.1:{port}/" in out
    if not os.environ.get("PAPERSIEVE_DB"):  # the PostgreSQL pass's store is a schema, no file
        assert (papersieve_home / "papersieve.db").exists()
