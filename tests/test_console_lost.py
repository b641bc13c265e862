"""A console that cannot be written: stdout on a full disk, or a pipe its reader closed.

`papersieve db > /dev/full` was an OSError traceback, and a run whose log went to a full disk
stopped at its first message. Now the work goes on, the lost output is one line on stderr with
exit 2, and a reader that stops early (`| head -1`) is no error at all.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from papersieve.store.db import open_store
from tests.conftest import DATA

pytestmark = [
    pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs Linux's /dev/full"),
    pytest.mark.sqlite_only(reason="the console, not the store: each child keeps its own SQLite file"),
]

LOST = "error: the command's output could not be written (No space left on device)\n"


def _papersieve(args: list[str], home: Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PAPERSIEVE_HOME": str(home)}
    env.pop("PAPERSIEVE_DB", None)
    return subprocess.run([sys.executable, "-m", "papersieve", *args], env=env, text=True,
                          stderr=subprocess.PIPE, timeout=300, check=False, **kwargs)  # type: ignore[call-overload]


def test_a_command_printing_to_a_full_disk_says_so_in_one_line(tmp_path: Path) -> None:
    with open("/dev/full", "w") as full:
        done = _papersieve(["db"], tmp_path / "home", stdout=full)
    assert (done.returncode, done.stderr) == (2, LOST)


def test_a_run_whose_log_is_lost_still_does_its_day(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with open("/dev/full", "w") as full:
        done = _papersieve(["run", "--offline", str(DATA / "candidates"), "--date", "2025-07-03",
                            "--no-deliver"], home, stdout=full)
    assert done.returncode == 2 and done.stderr.endswith(LOST), done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    store = open_store(home / "papersieve.db")
    try:
        status = store.conn.execute("SELECT status FROM runs WHERE date = '2025-07-03'").fetchone()
    finally:
        store.close()
    assert status is not None and status[0] == "done"


def test_a_reader_that_stops_early_is_no_error(tmp_path: Path) -> None:
    reader = subprocess.Popen(["head", "-c", "1"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    assert reader.stdin is not None
    done = _papersieve(["topics"], tmp_path / "home", stdout=reader.stdin)
    reader.stdin.close()
    reader.wait(timeout=30)
    assert (done.returncode, done.stderr) == (0, "")
