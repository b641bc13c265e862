"""A full `papersieve run` against the loopback arXiv feeds, LLM server, Slack and SMTP server."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from papersieve.cli.main import main
from papersieve.digests import load_digest
from papersieve.judges.llm.prompts import BLOCK_NOTE
from papersieve.render.markdown import render_markdown
from papersieve.store import open_store
from papersieve.store.db import utcnow
from tests.servers.feed_server import FeedServer
from tests.servers.llm_server import FakeLLM
from tests.servers.slack_server import FakeSlack
from tests.servers.smtp_server import SmtpServer

DAY = dt.date(2025, 7, 3)


@dataclass
class World:
    feeds: FeedServer
    llm: FakeLLM
    slack: FakeSlack
    smtp: SmtpServer
    profile: Path
    out: Path


def write_profile(folder: Path, smtp_port: int) -> Path:
    folder.mkdir()
    from papersieve.profile import init_profile

    init_profile(folder, force=True)
    (folder / "profile.toml").write_text(f"""
name = "me"
[judge]
concurrency = 8
calls_per_minute = 10000
[deliver.slack]
enabled = true
[deliver.email]
enabled = true
host = "127.0.0.1"
port = {smtp_port}
security = "none"
sender = "papersieve@example.org"
to = ["me@example.org"]
""", "utf-8")
    return folder


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    with FeedServer(DAY) as feeds, FakeLLM() as llm, FakeSlack() as slack, SmtpServer() as smtp:
        monkeypatch.setenv("PAPERSIEVE_ARXIV_RSS_URL", feeds.rss_template)
        monkeypatch.setenv("PAPERSIEVE_HTTP_INTERVAL", "0")
        monkeypatch.setenv("OPENAI_API_KEY", "sk-loopback")
        monkeypatch.setenv("OPENAI_BASE_URL", llm.url)
        monkeypatch.setenv("SLACK_WEBHOOK_URL", slack.webhook_url)
        yield World(feeds, llm, slack, smtp, write_profile(tmp_path / "profile", smtp.port),
                    tmp_path / "site")


def run(*args: str) -> Result:
    """The CLI through `main`, as the console script runs it."""
    return CliRunner().invoke(click.Command("papersieve", callback=lambda: main(list(args))), [])


def test_full_run_writes_every_output_and_delivers_and_counts_add_up(world: World) -> None:
    result = run("run", "--profile", str(world.profile), "--date", "2025-07-03", "--out", str(world.out))
    assert result.exit_code == 0, result.output
    data = json.loads((world.out / "2025-07" / "2025-07-03.json").read_text("utf-8"))
    counts = data["counts"]
    assert (counts["total"], counts["scanned"]) == (284, 272)  # 6 replacements per feed included
    assert counts["candidates"] == counts["deduplicated"] == len(data["candidates"]) == 215
    assert sum(counts["outcomes"].values()) == counts["candidates"]
    assert len({c["id"] for c in data["candidates"]}) == 215
    assert all(c["outcome"] for c in data["candidates"])
    assert [c["id"] for c in data["candidates"] if c["picked"]] != []
    assert counts["relevant"] == len(data["picks"]) == sum(c["picked"] for c in data["candidates"])
    assert data["usage"]["prompt_tokens"] > 0 and data["model"] == "gpt-4o"
    assert f"Picks: {len(data['picks'])}\n" in result.stdout
    assert f"Digest: {world.out / '2025-07' / '2025-07-03.md'}" in result.stdout
    for name in ("2025-07/2025-07-03.md", "2025-07/2025-07-03.html", "latest.md", "latest.html",
                 "latest.json", "index.html", "2025-07/index.html", "feed.atom"):
        assert (world.out / name).is_file(), name
    with open_store() as store:
        run_row = store.conn.execute("SELECT * FROM runs WHERE profile = 'me'").fetchone()
        assert run_row["status"] == "done"
        assert set(json.loads(run_row["timings"])) >= {"fetch", "candidates", "judge", "render"}
        outcome_rows = store.conn.execute(
            "SELECT COUNT(*) FROM run_candidates WHERE run_id = ?", (run_row["id"],)).fetchone()[0]
        assert outcome_rows == 215
        deliveries = store.conn.execute(
            "SELECT channel, status FROM deliveries WHERE run_id = ? ORDER BY id", (run_row["id"],),
        ).fetchall()
        assert [tuple(d) for d in deliveries] == [("files", "ok"), ("slack", "ok"), ("email", "ok")]
        markdown = (world.out / "2025-07" / "2025-07-03.md").read_text("utf-8")
        assert render_markdown(load_digest(store, run_row["id"])) == markdown
    assert world.slack.received[0].body["text"].startswith("*Personalized Daily ArXiv Papers 2025-07-03*")
    [mail] = world.smtp.handler.messages
    assert mail["Subject"] == f"papersieve: {len(data['picks'])} papers for 2025-07-03"
    assert "Organic" not in os.environ.get("OPENAI_API_KEY", "")


def test_the_prompt_section_is_the_prompt_the_llm_received(world: World) -> None:
    assert run("run", "--profile", str(world.profile), "--date", "2025-07-03",
               "--out", str(world.out), "--no-deliver").exit_code == 0
    markdown = (world.out / "2025-07" / "2025-07-03.md").read_text("utf-8")
    abstract_calls = [c for c in world.llm.log if c.stage == "abstract"]
    sent = abstract_calls[0].user
    # The placeholder stands for the paper list: the note about paper blocks, then the blocks.
    first_paper = sent.index(BLOCK_NOTE)
    last_paper_end = sent.rindex("</paper>") + len("</paper>")
    expected_user = sent[:first_paper] + "[PAPER LIST HERE]" + sent[last_paper_end:]
    quoted = "\n".join("> " + line for line in expected_user.split("\n"))
    assert markdown.endswith("## User Prompt\n\n" + quoted)
    system = (world.profile / "system.txt").read_text("utf-8").rstrip("\n")
    quoted_system = "\n".join("> " + line for line in system.split("\n"))
    assert "# Paper Selection Prompt\n\n## System Prompt\n\n" + quoted_system + "\n\n## User" in markdown
    assert expected_user.index("Topics") < expected_user.index("[PAPER LIST HERE]")


def test_a_rerun_prints_the_same_digest_without_new_tokens(world: World) -> None:
    args = ("run", "--profile", str(world.profile), "--date", "2025-07-03", "--out", str(world.out),
            "--no-deliver")
    assert run(*args).exit_code == 0
    first = (world.out / "2025-07" / "2025-07-03.md").read_text("utf-8")
    calls = world.llm.calls
    second_run = run(*args)
    assert second_run.exit_code == 0
    assert world.llm.calls == calls
    assert "this run spent 0 tokens, $0.0" in second_run.stdout
    assert (world.out / "2025-07" / "2025-07-03.md").read_text("utf-8") == first


def test_no_announcement_is_exit_zero_with_a_message(world: World) -> None:
    world.feeds.day = dt.date(2025, 7, 5)
    world.feeds.misbehave("cs.LG", "weekend")
    world.feeds.misbehave("cs.AI", "weekend")
    result = run("run", "--profile", str(world.profile), "--out", str(world.out))
    assert result.exit_code == 0
    assert result.stdout == "No announcement for 2025-07-05\n"
    assert not world.out.exists()


def test_a_stale_feed_is_exit_three(world: World) -> None:
    world.feeds.misbehave("cs.LG", "stale")
    world.feeds.misbehave("cs.AI", "stale")
    result = run("run", "--profile", str(world.profile), "--date", "2025-07-03", "--out", str(world.out))
    assert result.exit_code == 3
    assert result.stdout.startswith("Stale feed: cs.LG still serves 2025-07-02")


def test_a_second_run_of_the_same_day_is_refused_while_one_is_in_progress(world: World) -> None:
    with open_store() as store, store.transaction() as conn:
        conn.execute("INSERT INTO run_locks (profile, date, pid, host, acquired_at) VALUES (?, ?, ?, '', ?)",
                     ("me", "2025-07-03", os.getppid(), utcnow()))
    result = run("run", "--profile", str(world.profile), "--date", "2025-07-03", "--out", str(world.out))
    assert result.exit_code == 2
    assert (f"error: another run of profile 'me' for 2025-07-03 is in progress (pid {os.getppid()}"
            in result.output)
    assert world.llm.calls == 0


def test_a_failed_delivery_is_recorded_and_exit_four(world: World) -> None:
    world.slack.fail_next.extend([500] * 3)
    result = run("run", "--profile", str(world.profile), "--date", "2025-07-03", "--out", str(world.out))
    assert result.exit_code == 4
    assert "Delivery slack: failed (slack webhook: HTTP 500: error)" in result.stdout
    assert "Delivery email: ok" in result.stdout
    with open_store() as store:
        assert store.conn.execute("SELECT status FROM runs WHERE profile = 'me'").fetchone()[0] == "done"


def test_a_rerun_delivers_only_what_was_not_delivered_unless_asked(world: World) -> None:
    """A rerun of a day (after a stale feed, a failed delivery, a cancelled job) posted the whole
    digest to Slack and email again. Now a channel an earlier run delivered to is skipped,
    a channel that failed is tried again, and `--redeliver` sends everything again."""
    args = ("run", "--profile", str(world.profile), "--date", "2025-07-03", "--out", str(world.out))
    world.slack.fail_next.append(500)
    first = run(*args)
    assert first.exit_code == 4
    assert len(world.slack.received) == 1 and len(world.smtp.handler.messages) == 1
    second = run(*args)  # Slack failed before: sent now; email was delivered: skipped
    assert second.exit_code == 0, second.output
    posted = len(world.slack.received) - 1
    assert posted > 1 and len(world.smtp.handler.messages) == 1
    assert re.search(r"^Delivery email: skipped \(already delivered by run 1 at [0-9T:+-]+; run"
                     r" --redeliver to send it again\)$", second.stdout, re.M), second.stdout
    assert "Delivery slack: ok" in second.stdout
    third = run(*args)
    assert third.exit_code == 0
    assert len(world.slack.received) == 1 + posted and len(world.smtp.handler.messages) == 1
    assert "Delivery slack: skipped (already delivered by run 2 at " in third.stdout
    fourth = run(*args, "--redeliver")
    assert fourth.exit_code == 0
    assert len(world.slack.received) == 1 + 2 * posted and len(world.smtp.handler.messages) == 2
    with open_store() as store:
        rows = store.conn.execute("SELECT run_id, channel, status FROM deliveries"
                                  " WHERE channel != 'files' ORDER BY id").fetchall()
    assert [tuple(r) for r in rows] == [
        (1, "slack", "failed"), (1, "email", "ok"), (2, "slack", "ok"), (2, "email", "skipped"),
        (3, "slack", "skipped"), (3, "email", "skipped"), (4, "slack", "ok"), (4, "email", "ok")]
