"""A day judged in part is not "done" (issue 15's honest-failure rule, issue 17's "every paper
failed"): exit code 5, a notice at the top of the digest, no Slack/email unless asked for, and a
day where nothing was judged sends nothing at all."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
from collections.abc import Callable
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from rich.console import Console

from papersieve.cli.main import main
from papersieve.judges.llm import LLMJudge
from papersieve.pipeline import RunReport, run_day
from papersieve.store import Store
from tests.llm_helpers import DATA, profile
from tests.servers.llm_server import CallInfo, FakeLLM
from tests.servers.slack_server import FakeSlack

DAY = dt.date(2025, 7, 2)


@pytest.fixture
def day_dir(tmp_path: Path) -> Path:
    """The first 10 candidates of 2025-07-02 as an offline day."""
    folder = tmp_path / "day"
    folder.mkdir()
    source = DATA / "candidates" / "arxiv-2025-07-02-cs.LG+cs.AI.jsonl"
    lines = source.read_text("utf-8").splitlines()[:10]
    (folder / source.name).write_text("\n".join(lines) + "\n", "utf-8")
    return folder


def run(store: Store, server: FakeLLM, slack: FakeSlack, day_dir: Path, out: Path,
        monkeypatch: pytest.MonkeyPatch, **settings: object) -> RunReport:
    monkeypatch.setenv("SLACK_WEBHOOK_URL", slack.webhook_url)
    prof = profile(title_stage=False, max_retries=1, **settings)
    slack_on = prof.settings.deliver.slack.model_copy(update={"enabled": True})
    deliver = prof.settings.deliver.model_copy(update={"slack": slack_on})
    prof = dataclasses.replace(prof, settings=prof.settings.model_copy(update={"deliver": deliver}))
    judge = LLMJudge(prof, store, api_key="k", base_url=server.url, timeout=5.0, backoff=0.01)
    return run_day(store, prof, DAY, offline_dir=day_dir, out_dir=out, judge=judge)


def answer_all_but(skip: Callable[[str], bool]) -> Callable[[CallInfo], str]:
    """A model that never answers for the papers `skip` picks."""
    def script(info: CallInfo) -> str:
        return "\n".join(json.dumps({"ARXIVID": i, "COMMENT": "c", "RELEVANCE": 9, "NOVELTY": 9})
                         for i in info.ids if not skip(i))
    return script


def test_a_day_where_every_answer_is_unusable_is_partial_and_sends_nothing(
        store: Store, day_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeLLM(script=lambda info: "I cannot help with that.") as server, FakeSlack() as slack:
        report = run(store, server, slack, day_dir, tmp_path / "out", monkeypatch,
                     deliver_partial=True)
    assert report.status == "partial" and report.exit_code == 5
    assert slack.received == []
    assert [(d.channel, d.status) for d in report.deliveries][:2] == [("files", "ok"), ("slack", "skipped")]
    markdown = (tmp_path / "out" / "2025-07" / "2025-07-02.md").read_text("utf-8")
    title, notice = markdown.split("\n\n")[:2]
    assert title == "# Personalized Daily ArXiv Papers 2025-07-02"
    assert notice.startswith("> **Judged in part: 10 of 10 papers were not judged (")


def test_a_partial_day_is_delivered_only_when_asked(
        store: Store, day_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeLLM(script=answer_all_but(lambda i: int(i[-1]) < 5)) as server, FakeSlack() as slack:
        withheld = run(store, server, slack, day_dir, tmp_path / "a", monkeypatch)
        assert withheld.exit_code == 5 and slack.received == []
    with FakeLLM(script=answer_all_but(lambda i: int(i[-1]) < 5)) as server, FakeSlack() as slack:
        sent = run(store, server, slack, day_dir, tmp_path / "b", monkeypatch, deliver_partial=True)
        assert sent.exit_code == 5 and slack.received != []


def test_a_few_failures_leave_the_day_done_without_a_notice(
        store: Store, day_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeLLM(script=answer_all_but(lambda i: i == "2507.00002")) as server, FakeSlack() as slack:
        report = run(store, server, slack, day_dir, tmp_path / "out", monkeypatch)
    failed = [j for j in report.digest.judgements if j.outcome.value == "failed_after_retries"]  # type: ignore[union-attr]
    assert [j.paper_id for j in failed] == ["2507.00002"]
    assert report.status == "done" and report.exit_code == 0 and slack.received != []
    markdown = (tmp_path / "out" / "2025-07" / "2025-07-02.md").read_text("utf-8")
    assert "Judged in part" not in markdown
    # The JSON digest shows the schema the replies were held to; the seed Markdown does not.
    data = json.loads((tmp_path / "out" / "2025-07" / "2025-07-02.json").read_text("utf-8"))
    schema = data["prompt"]["schema"]
    assert schema["required"] == ["<arXiv id>"]
    assert schema["properties"]["<arXiv id>"]["properties"]["NOVELTY"]["enum"] == list(range(1, 11))
    assert "<arXiv id>" not in markdown and "additionalProperties" not in markdown


def test_the_cli_exits_5_for_a_partial_day(day_dir: Path, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeLLM(script=lambda info: "no") as server:
        monkeypatch.setenv("OPENAI_API_KEY", "k")
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        args = ["run", "--offline", str(day_dir), "--date", "2025-07-02", "--no-title-stage",
                "--out", str(tmp_path / "out")]
        result = CliRunner().invoke(click.Command("p", callback=lambda: main(args)), [])
    assert result.exit_code == 5, result.output
    assert "Judged in part: 10 of 10 papers were not judged" in result.stdout


def test_progress_lines_are_printed_off_a_terminal() -> None:
    from papersieve.cli.run_cmds import Heartbeat

    out = io.StringIO()
    console = Console(file=out, force_terminal=False)
    with Heartbeat(console, interval=0.01) as beat:
        beat.latest = "judging: 3/8 papers, 1 calls, 900 tokens"
        for _ in range(500):
            if out.getvalue():
                break
            beat._stop.wait(0.01)
    assert out.getvalue().splitlines()[0] == "judging: 3/8 papers, 1 calls, 900 tokens"
