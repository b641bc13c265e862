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


def test_a_port_in_use_is_one_line_and_nothing_is_printed_as_served(papersieve_home: Path) -> None:
    """Another server on the port: the banner "papersieve web app on ..." came first, then
    uvicorn's log line, exit 3. Now the socket is bound before anything is printed."""
    env = {**os.environ, "PAPERSIEVE_HOME": str(papersieve_home)}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "papersieve", "serve", "--port", str(port)],
            env=env, capture_output=True, text=True, timeout=120,
        )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        f"error: cannot listen on 127.0.0.1 port {port}: Address already in use"
        " (another `papersieve serve`? choose --port)"
    ]


def test_port_zero_prints_the_port_the_system_chose(papersieve_home: Path) -> None:
    env = {**os.environ, "PAPERSIEVE_HOME": str(papersieve_home)}
    process = subprocess.Popen(
        [sys.executable, "-m", "papersieve", "serve", "--port", "0"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        port = int(banner.split("http://127.0.0.1:")[1].split("/")[0])
        assert port > 0
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=30).status_code == 200
    finally:
        process.terminate()
        process.communicate(timeout=30)
