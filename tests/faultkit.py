"""Shared parts of the fault tests: `papersieve run` as a real child process on loopback.

The child is `python -m papersieve run ...` with its own PAPERSIEVE_HOME, the loopback arXiv
feeds (PAPERSIEVE_ARXIV_RSS_URL, no request interval) and the loopback LLM server
(OPENAI_BASE_URL, a fake key). `LLMGate` holds the LLM server's answers after the k-th call, so a
test can SIGKILL the child at a known point of the judge stage: every call the server answered
has been received, recorded and saved by the child, and the held calls are never billed.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from papersieve.store.db import plain_connection, postgres_url
from tests.pgschemas import store_at
from tests.servers.llm_server import CallInfo, FakeLLM, Scripted

REPO = Path(__file__).resolve().parent.parent
DAY = "2025-07-03"
CHILD_TIMEOUT = 120.0


class LLMGate:
    """A FakeLLM script: calls with index >= `hold_from` wait until `release()`.

    After `release(refuse=True)` (the child was killed) the held calls answer 500, so the
    server's log shows them as not billed (their sockets are gone anyway); later calls pass.
    """

    def __init__(self, hold_from: int | None = None) -> None:
        self.hold_from = hold_from
        self.held = 0
        self._open = threading.Event()
        self._refuse = False
        self._lock = threading.Lock()

    def __call__(self, info: CallInfo) -> Scripted | None:
        if self.hold_from is None or info.index < self.hold_from or self._open.is_set():
            return None  # calls arriving after the release (the rerun's) go through
        with self._lock:
            self.held += 1
        self._open.wait(CHILD_TIMEOUT)
        return Scripted(status=500) if self._refuse else None

    def release(self, *, refuse: bool) -> None:
        """Let held calls go (answered normally, or with 500 when `refuse`)."""
        self._refuse = refuse
        self._open.set()


def store_of(home: Path) -> Path:
    """The store of a child run whose PAPERSIEVE_HOME is `home`: its SQLite file, or under
    `make test-postgres` a schema of its own on that server (tests/pgschemas.store_at; child_env
    hands it to the child as PAPERSIEVE_DB)."""
    return store_at(home / "papersieve.db")


def child_env(home: Path, feeds_template: str, llm_url: str,
              extra: Mapping[str, str] | None = None, *, sqlite_file: bool = False) -> dict[str, str]:
    """The environment of a child run: only loopback endpoints and fake secrets; its store is
    `store_of(home)`, or with `sqlite_file` the SQLite file in `home` even under make
    test-postgres (for a test that reads that file itself)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OPENAI_", "SLACK_", "SMTP_", "S2_", "PAPERSIEVE_"))}
    env.update({
        "PAPERSIEVE_HOME": str(home), "PAPERSIEVE_ARXIV_RSS_URL": feeds_template,
        "PAPERSIEVE_HTTP_INTERVAL": "0", "OPENAI_BASE_URL": llm_url, "OPENAI_API_KEY": "fake",
        "PYTHONPATH": str(REPO / "src"), "NO_COLOR": "1", "COLUMNS": "200",
        "PAPERSIEVE_SLACK_INTERVAL": "0",
    })
    url = "" if sqlite_file else postgres_url(store_of(home))
    if url:
        env["PAPERSIEVE_DB"] = url
    env.update(extra or {})
    return env


def run_args(profile: Path, out: Path, day: str = DAY, *more: str) -> list[str]:
    """`python -m papersieve run` for one profile and day, without Slack or email."""
    return [sys.executable, "-m", "papersieve", "run", "--profile", str(profile), "--date", day,
            "--out", str(out), "--no-deliver", *more]


def spawn(args: Sequence[str], env: Mapping[str, str],
          preexec: Callable[[], None] | None = None) -> subprocess.Popen[str]:
    """Start a child with captured output."""
    return subprocess.Popen(list(args), env=dict(env), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=preexec)


def run_child(args: Sequence[str], env: Mapping[str, str],
              preexec: Callable[[], None] | None = None) -> subprocess.CompletedProcess[str]:
    """Run a child to its end."""
    return subprocess.run(list(args), env=dict(env), capture_output=True, text=True,
                          timeout=CHILD_TIMEOUT, preexec_fn=preexec, check=False)


def kill(child: subprocess.Popen[str]) -> None:
    """SIGKILL: no handler, no cleanup, no flush."""
    child.send_signal(signal.SIGKILL)
    child.communicate(timeout=CHILD_TIMEOUT)
    assert child.returncode == -signal.SIGKILL


def wait_until(check: Callable[[], bool], child: subprocess.Popen[str], what: str,
               timeout: float = CHILD_TIMEOUT) -> None:
    """Poll `check` until true; fail if the child ends first or time runs out."""
    deadline = time.monotonic() + timeout
    while not check():
        if child.poll() is not None:
            out, err = child.communicate()
            raise AssertionError(f"the run ended before {what}: {child.returncode}\n{out}\n{err}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


def query(db: Path, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
    """Read the child's store from outside (a fresh connection each time; WAL allows it)."""
    conn: sqlite3.Connection
    if postgres_url(db):
        conn = plain_connection(db)
    elif not db.exists():
        return []
    else:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return [tuple(r) for r in conn.execute(sql, params)]
    except sqlite3.OperationalError:
        return []  # the schema is not there yet
    finally:
        conn.close()


def integrity(db: Path) -> str:
    """`PRAGMA integrity_check` and `foreign_key_check` of the store; 'ok' when both pass. A
    PostgreSQL server checks every foreign key at each write and has no file a crash can leave
    half-written: there, that the store answers and holds its schema."""
    if postgres_url(db):
        return "ok" if query(db, "SELECT version FROM papersieve_schema") else "no schema"
    conn = sqlite3.connect(db)
    try:
        result = str(conn.execute("PRAGMA integrity_check").fetchone()[0])
        broken = conn.execute("PRAGMA foreign_key_check").fetchall()
    finally:
        conn.close()
    return result if not broken else f"foreign keys: {broken[:5]}"


def billed_per_paper(llm: FakeLLM, stage: str) -> Counter[str]:
    """How many answered (status 200, billed) calls of a stage included each paper."""
    counts: Counter[str] = Counter()
    for entry in llm.log:
        if entry.stage == stage and entry.status == 200 and entry.fault != "slow":
            counts.update(entry.ids)
    return counts


def recorded_per_paper(db: Path, stage: str) -> Counter[str]:
    """How many `ok` calls of a stage in the store's llm_calls included each paper."""
    import json

    counts: Counter[str] = Counter()
    for (ids,) in query(db, "SELECT paper_ids FROM llm_calls WHERE stage = ? AND status = 'ok'",
                        (stage,)):
        counts.update(json.loads(str(ids)))
    return counts


def without_usage(markdown: str) -> str:
    """A digest without its token/cost table (a resumed day's calls are batched differently)."""
    lines = markdown.split("\n")
    return "\n".join(line for line in lines
                     if not line.startswith(("| **Token**", "| **Cost**")))
