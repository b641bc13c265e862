"""`papersieve run --all --ray` (issue 20): the group's profiles as Ray tasks on the PostgreSQL store.

One local Ray cluster for the module (the Ray tests share one xdist worker: one cluster's start-up
for the whole file) (`ray.init(num_cpus=2)` in this process, so its workers are
this process's descendants); the feeds are the loopback arXiv of tests/servers, the LLM the
loopback LLM server. Each run gets its own schema on the test PostgreSQL server. Without
PostgreSQL the Ray tests skip saying so (fail in CI, PAPERSIEVE_TEST_PG_REQUIRED=1).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from papersieve.cli.main import main
from papersieve.profile import init_profile
from tests.faultkit import LLMGate, billed_per_paper, without_usage
from tests.pgschemas import schema_store
from tests.servers.feed_server import FeedServer
from tests.servers.llm_server import FakeLLM

DAY = dt.date(2025, 7, 3)
REPO = Path(__file__).resolve().parent.parent
TOPICS = {"alice": "1. Large language model agents and tool use\n",
          "bob": "1. Reinforcement learning for robots\n",
          "carol": "1. Planning, search and reasoning in AI systems\n"}
LLM_TOML = '[judge]\nkind = "llm"\nconcurrency = 4\ncalls_per_minute = 10000\n'


@pytest.fixture(scope="module")
def ray_cluster(pg_server: str) -> Iterator[Any]:
    """A local Ray cluster with 2 CPUs for the module (after PostgreSQL: without it, no Ray).
    Its workers get a fake OpenAI key from the environment they start in, as real workers would
    from theirs: keys are never sent with a task."""
    import ray

    saved = os.environ.get("OPENAI_API_KEY")
    os.environ["OPENAI_API_KEY"] = "fake"
    try:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    finally:
        if saved is None:
            del os.environ["OPENAI_API_KEY"]
        else:
            os.environ["OPENAI_API_KEY"] = saved
    yield ray
    ray.shutdown()


@pytest.fixture
def feeds(monkeypatch: pytest.MonkeyPatch) -> Iterator[FeedServer]:
    with FeedServer(DAY) as running:
        monkeypatch.setenv("PAPERSIEVE_ARXIV_RSS_URL", running.rss_template)
        monkeypatch.setenv("PAPERSIEVE_HTTP_INTERVAL", "0")
        yield running


def run_cli(*args: str) -> Result:
    return CliRunner().invoke(click.Command("papersieve", callback=lambda: main(list(args))), [])


def store_group(tmp: Path, extra: str = "") -> None:
    """The three profiles in the store PAPERSIEVE_DB names."""
    for name, topics in TOPICS.items():
        folder = init_profile(tmp / "profiles" / name, force=True)
        (folder / "profile.toml").write_text(f'categories = ["cs.AI", "cs.LG"]\n{extra}', "utf-8")
        (folder / "topics.txt").write_text(topics, "utf-8")
        added = run_cli("profile", "add", name, str(folder))
        assert added.exit_code == 0, added.output


def group_run(out: Path, *more: str) -> Result:
    return run_cli("run", "--all", "--date", DAY.isoformat(), "--no-deliver", "--out", str(out),
                   *more)


def digests(out: Path) -> dict[str, str]:
    return {name: without_usage((out / name / "2025-07" / f"{DAY}.md").read_text("utf-8"))
            for name in TOPICS}


def group_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith(("Group:", "  "))]


def pg_rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(url) as conn:
        return list(conn.execute(sql).fetchall())


@pytest.mark.sqlite_only(reason="--ray refused on a SQLite store: the SQLite file is the case")
def test_ray_is_refused_on_a_sqlite_store_in_one_line(tmp_path: Path, feeds: FeedServer,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERSIEVE_JUDGE", "local")
    monkeypatch.delenv("PAPERSIEVE_DB", raising=False)  # the SQLite file
    store_group(tmp_path)
    result = group_run(tmp_path / "out", "--ray", "auto")
    assert result.exit_code == 2, result.output
    assert "--ray needs the PostgreSQL store" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_a_plain_group_run_never_imports_ray(tmp_path: Path, feeds: FeedServer) -> None:
    script = ("import sys\nfrom papersieve.cli.main import main\n"
              "try:\n    main(sys.argv[1:])\nexcept SystemExit as end:\n    assert not end.code, end.code\n"
              "print('ray loaded' if 'ray' in sys.modules else 'no ray')\n")
    env = {**os.environ, "PAPERSIEVE_JUDGE": "local", "PYTHONPATH": str(REPO / "src")}
    store_group(tmp_path)
    done = subprocess.run([sys.executable, "-c", script, "run", "--all", "--date", DAY.isoformat(),
                           "--no-deliver", "--out", str(tmp_path / "out")],
                          env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "no ray"


@pytest.mark.postgres
@pytest.mark.ray
@pytest.mark.slow
@pytest.mark.xdist_group("ray_cluster")
def test_ray_gives_the_plain_runs_digests(tmp_path: Path, pg_server: str, ray_cluster: Any,
                                          feeds: FeedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERSIEVE_JUDGE", "local")
    results = {}
    for how, more in (("plain", ()), ("ray", ("--ray", "auto"))):
        with schema_store(pg_server) as url:
            monkeypatch.setenv("PAPERSIEVE_DB", url)
            store_group(tmp_path / how)
            results[how] = group_run(tmp_path / how / "out", *more)
            assert results[how].exit_code == 0, results[how].output
    assert digests(tmp_path / "ray" / "out") == digests(tmp_path / "plain" / "out")
    assert group_lines(results["ray"].output) == group_lines(results["plain"].output)
    assert "3 profiles in 3 Ray tasks" in results["ray"].output


def ray_workers() -> list[Any]:
    """This process's Ray workers running a batch now (the process title Ray gives a task)."""
    import psutil

    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if child.cmdline() and child.cmdline()[0].startswith("ray::run_batch"):
                found.append(child)
        except psutil.Error:
            continue
    return found


class Killer(threading.Thread):
    """SIGKILLs the workers running a batch once the LLM server holds one of their calls (in the
    middle of judging, after some replies were recorded), then lets the held calls fail."""

    def __init__(self, gate: LLMGate) -> None:
        super().__init__(daemon=True)
        self.gate = gate
        self.killed: list[int] = []

    def run(self) -> None:
        deadline = time.monotonic() + 120
        while self.gate.held == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.3)  # the other worker reaches the gate too
        for worker in ray_workers():
            worker.send_signal(signal.SIGKILL)
            self.killed.append(worker.pid)
        time.sleep(0.2)
        self.gate.release(refuse=True)


def recorded(url: str) -> Counter[tuple[str, str, str]]:
    """Each (profile, stage, paper) of the store's recorded, answered LLM calls, counted."""
    counts: Counter[tuple[str, str, str]] = Counter()
    for profile, stage, ids in pg_rows(url, "SELECT r.profile, c.stage, c.paper_ids FROM llm_calls c"
                                            " JOIN runs r ON r.id = c.run_id WHERE c.status = 'ok'"):
        counts.update((profile, stage, paper) for paper in json.loads(ids))
    return counts


@pytest.mark.postgres
@pytest.mark.ray
@pytest.mark.slow
@pytest.mark.xdist_group("ray_cluster")
def test_a_killed_ray_worker_is_retried_without_judging_or_billing_twice(
        tmp_path: Path, pg_server: str, ray_cluster: Any, feeds: FeedServer,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "fake")
    with schema_store(pg_server) as url, FakeLLM() as llm:
        monkeypatch.setenv("PAPERSIEVE_DB", url)
        monkeypatch.setenv("OPENAI_BASE_URL", llm.url)
        store_group(tmp_path / "clean", LLM_TOML)
        clean = group_run(tmp_path / "clean" / "out")
        assert clean.exit_code == 0, clean.output
        clean_billed = billed_per_paper(llm, "title") + billed_per_paper(llm, "abstract")
        clean_recorded = recorded(url)
        calls = llm.calls
    assert calls > 6 and max(clean_recorded.values()) == 1
    gate = LLMGate(hold_from=calls // 3)
    with schema_store(pg_server) as url, FakeLLM(script=gate) as llm:
        monkeypatch.setenv("PAPERSIEVE_DB", url)
        monkeypatch.setenv("OPENAI_BASE_URL", llm.url)
        store_group(tmp_path / "killed", LLM_TOML)
        killer = Killer(gate)
        killer.start()
        killed = group_run(tmp_path / "killed" / "out", "--ray", "auto")
        killer.join()
        assert killer.killed, "no Ray worker was running a batch when the LLM server held a call"
        assert killed.exit_code == 0, killed.output
        assert billed_per_paper(llm, "title") + billed_per_paper(llm, "abstract") == clean_billed
        assert recorded(url) == clean_recorded
        assert pg_rows(url, "SELECT COUNT(*) FROM runs WHERE status = 'running'") == [(0,)]
        assert pg_rows(url, "SELECT COUNT(*) FROM run_locks") == [(0,)]
        assert pg_rows(url, "SELECT DISTINCT profile FROM runs WHERE status = 'done'"
                            " ORDER BY profile") == [(name,) for name in sorted(TOPICS)]
        assert pg_rows(url, "SELECT COUNT(*) FROM llm_calls c LEFT JOIN runs r ON r.id = c.run_id"
                            " WHERE r.id IS NULL") == [(0,)]
        interrupted = pg_rows(url, "SELECT COUNT(*) FROM runs WHERE status = 'failed'")
    assert digests(tmp_path / "killed" / "out") == digests(tmp_path / "clean" / "out")
    assert interrupted[0][0] >= 1  # the killed worker's run, closed as interrupted by the retry


def test_a_task_that_failed_for_good_is_its_profiles_outcome_in_one_line() -> None:
    from papersieve.errors import StoreError
    from papersieve.group_ray import _why

    class TaskError(Exception):  # what ray.get raises: a traceback text, the task's error as cause
        cause = StoreError("cannot open the store at postgresql://db/x: connection refused")

    assert _why(TaskError("Traceback (most recent call last):\n  ...")) == (
        "Ray task failed: StoreError: cannot open the store at postgresql://db/x: connection refused")
    assert _why(RuntimeError("")) == "Ray task failed: RuntimeError: "


def test_a_tasks_retraining_notes_reach_the_group_summary(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The plain run prints "retraining left for the next day" when the group's train_budget is
    spent; a Ray task's crowd said so too, and the driver dropped it. Run in this process (the
    task's own code, no cluster needed)."""
    from papersieve.feedback import add_feedback
    from papersieve.group import fetch_group_day, stored_members, union_profile
    from papersieve.group_ray import FORWARDED, BatchJob, run_batch
    from papersieve.store import open_store
    from tests.test_group_run import add_profile

    monkeypatch.setenv("PAPERSIEVE_JUDGE", "local")
    add_profile(tmp_path, "ann", ["cs.LG", "cs.AI"], "1. Large language model agents\n",
                "[judge]\nkind = \"local\"\ntrain_budget = 0\n[outputs]\nformats = []\n")
    candidates = Path(__file__).parents[1] / "data" / "candidates"
    with open_store() as store:
        profiles, _ = stored_members(store)
        fetched = fetch_group_day(store, union_profile(profiles), DAY, candidates, lambda _m: None)
        add_feedback(store, [fetched.listings[0].entries[0].paper.id], 1, "test", profile="ann")
        # The task's environment is this process's own: a task deletes the variables its job
        # does not forward (a reused worker keeps no earlier driver's settings), and in this
        # process that would take the other tests' settings away.
        forwarded = {k: v for k, v in os.environ.items() if k.startswith(FORWARDED)}
        result = run_batch(BatchJob(str(store.path), ("ann",), fetched, False, None, False, None,
                                    False, False, forwarded))
    assert {k: v for k, v in os.environ.items() if k.startswith(FORWARDED)} == forwarded
    assert [o.name for o in result.outcomes] == ["ann"]
    assert result.notes == ["ann: retraining left for the next day (the group's train_budget of"
                            " 0 s was spent)"]
