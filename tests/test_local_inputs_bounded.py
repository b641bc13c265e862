"""Files a user names are read by one bounded reader (`papersieve.localfiles`).

`papersieve import-likes /dev/zero` filled the memory until the kernel killed the process (exit
137, no message), and a candidate file, a labels file, a saved feed or a site's day JSON that
never ends did the same. Each command runs here in a child process whose address space is capped
at 1.5 GiB, so the unbounded read fails the test (MemoryError or a kill) instead of the machine.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from papersieve import localfiles

ADDRESS_SPACE = 1536 * 1024 * 1024


def _capped() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def _run(args: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PAPERSIEVE_HOME": str(home)}
    env.pop("PAPERSIEVE_DB", None)
    return subprocess.run([sys.executable, "-m", "papersieve", *args], env=env, text=True,
                          capture_output=True, timeout=300, preexec_fn=_capped, check=False)


def _endless(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to("/dev/zero")
    return path


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
@pytest.mark.parametrize("case", ["import-likes", "offline", "labels", "feed-file"])
def test_an_endless_input_is_one_line_of_error(tmp_path: Path, case: str) -> None:
    endless = _endless(tmp_path / "in" / "arxiv-2025-07-03-cs.LG.jsonl")
    args = {
        "import-likes": ["import-likes", "--offline", "/dev/zero"],
        "offline": ["run", "--offline", str(endless.parent), "--date", "2025-07-03", "--no-deliver"],
        "labels": ["eval", "--candidates", str(endless.parent), "--labels", "/dev/zero"],
        "feed-file": ["fetch", "--from-file", "/dev/zero", "--date", "2025-07-03"],
    }[case]
    done = _run(args, tmp_path / "home")
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert len(errors) == 1 and "larger than 200 MB" in errors[0], done.stderr[-2000:]


def test_a_site_day_that_never_ends_is_left_out(tmp_path: Path) -> None:
    site = tmp_path / "site"
    _endless(site / "2025-07" / "2025-07-03.json")
    done = _run(["db", "--from-site", str(site)], tmp_path / "home")
    assert "Traceback" not in done.stderr and done.returncode in (0, 2), done.stderr[-2000:]
    assert "2025-07-03" in done.stdout + done.stderr
    assert "larger than 64 MB" in done.stdout + done.stderr


def test_the_limit_is_one_byte_past_it(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x" * 100)
    assert localfiles.read_bytes(path, 100) == b"x" * 100
    with pytest.raises(localfiles.FileTooLarge) as err:
        localfiles.read_bytes(path, 99)
    assert err.value.strerror == "larger than 99 bytes"


def test_text_line_ends_are_read_as_open_reads_them(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_bytes("a\r\nb\rc\nd\u2028e\r\n".encode())
    assert localfiles.read_text(path) == path.read_text("utf-8")
