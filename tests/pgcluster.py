"""A throwaway PostgreSQL cluster for the tests: initdb in a temporary folder, pg_ctl start on
loopback (TCP 127.0.0.1 and a socket in that folder), pg_ctl stop at the end.

    python -m tests.pgcluster start DIR [--port N]   # prints the server's URL
    python -m tests.pgcluster stop DIR

The tests start one themselves (tests/conftest.py, `pg_server`) when no PAPERSIEVE_TEST_DB names a
server and the PostgreSQL binaries are installed; .ci/run starts one with this script. initdb
refuses to run as root: as root, the cluster runs as PAPERSIEVE_PG_USER (default `postgres`, the
user Debian's package creates).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

USER = "papersieve"
DATABASE = "papersieve"


def binaries() -> Path | None:
    """The folder holding initdb and pg_ctl: PATH first, then Debian's /usr/lib/postgresql/N/bin."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                      key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    return versions[-1].parent if versions else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_owner(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", os.environ.get("PAPERSIEVE_PG_USER", "postgres"), "--", *command]


def start(folder: Path, port: int | None = None) -> str:
    """Create and start a cluster in `folder`; its URL (database `papersieve`, user `papersieve`)."""
    bin_dir = binaries()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL is not installed (no initdb on PATH or in /usr/lib/postgresql)")
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:  # the folder's parents must let that user through (/tmp does)
        shutil.chown(folder, os.environ.get("PAPERSIEVE_PG_USER", "postgres"))
    data, port = folder / "data", port or free_port()
    _run([str(bin_dir / "initdb"), "-D", str(data), "-U", USER, "-A", "trust", "-E", "UTF8",
          "--locale=C.UTF-8" if _has_c_utf8() else "--locale=C"])
    options = f"-k {folder} -p {port} -h 127.0.0.1 -c fsync=off -c full_page_writes=off"
    _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-o", options, "-w",
          "start"])
    _run([str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", USER, DATABASE])
    return f"postgresql://{USER}@127.0.0.1:{port}/{DATABASE}"


def _run(command: list[str]) -> None:
    done = subprocess.run(_as_owner(command), capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"{Path(command[0]).name} failed: {done.stderr.strip() or done.stdout.strip()}")


def stop(folder: Path) -> None:
    """Stop the cluster of `folder` (fast shutdown: the tests' connections are cut)."""
    bin_dir = binaries()
    data = folder / "data"
    if bin_dir is None or not (data / "postmaster.pid").exists():
        return
    subprocess.run(_as_owner([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)


@contextmanager
def throwaway() -> Iterator[str]:
    """The URL of a new cluster in a temporary folder, stopped and removed when the block ends
    (the tests' session server and the benches' own)."""
    folder = Path(tempfile.mkdtemp(prefix="papersieve-pg-"))
    try:
        yield start(folder)
    finally:
        stop(folder)
        shutil.rmtree(folder, ignore_errors=True)


def _has_c_utf8() -> bool:
    out = subprocess.run(["locale", "-a"], capture_output=True, text=True, check=False).stdout
    return any(name.lower() in ("c.utf8", "c.utf-8") for name in out.split())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.pgcluster")
    parser.add_argument("action", choices=("start", "stop"))
    parser.add_argument("folder", type=Path)
    parser.add_argument("--port", type=int)
    args = parser.parse_args(argv)
    if args.action == "start":
        print(start(args.folder, args.port))
    else:
        stop(args.folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
