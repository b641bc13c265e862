"""`[deliver] send_empty`: a short message on a day without a digest, saying which kind of day
it is and how many papers were read, through the loopback Slack webhook and SMTP server."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from papersieve.deliver.empty import EmptyDay, wanted
from papersieve.profile.settings import DeliverSettings
from papersieve.store import open_store
from tests.servers.feed_server import FeedServer
from tests.servers.llm_server import FakeLLM
from tests.servers.slack_server import FakeSlack
from tests.servers.smtp_server import SmtpServer
from tests.test_pipeline import DAY, World, run, write_profile


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """The loopback feeds, LLM, Slack and SMTP server, as in test_pipeline."""
    with FeedServer(DAY) as feeds, FakeLLM() as llm, FakeSlack() as slack, SmtpServer() as smtp:
        monkeypatch.setenv("PAPERSIEVE_ARXIV_RSS_URL", feeds.rss_template)
        monkeypatch.setenv("PAPERSIEVE_HTTP_INTERVAL", "0")
        monkeypatch.setenv("OPENAI_API_KEY", "sk-loopback")
        monkeypatch.setenv("OPENAI_BASE_URL", llm.url)
        monkeypatch.setenv("SLACK_WEBHOOK_URL", slack.webhook_url)
        yield World(feeds, llm, slack, smtp, write_profile(tmp_path / "profile", smtp.port),
                    tmp_path / "site")


def ask_for_empty(world: World, setting: str, extra: str = "") -> None:
    path = world.profile / "profile.toml"
    text = path.read_text("utf-8").replace("[deliver.slack]", f"[deliver]\nsend_empty = {setting}\n"
                                           f"[deliver.slack]")
    path.write_text(text + extra, "utf-8")


def delivered(world: World) -> tuple[list[str], list[str]]:
    """The Slack texts and email subjects received."""
    return ([r.body["text"] for r in world.slack.received],
            [m["Subject"] for m in world.smtp.handler.messages])


def weekend(world: World) -> None:
    world.feeds.day = dt.date(2025, 7, 5)
    world.feeds.misbehave("cs.LG", "weekend")
    world.feeds.misbehave("cs.AI", "weekend")


def test_no_announcement_sends_nothing_by_default(world: World) -> None:
    weekend(world)
    result = run("run", "--profile", str(world.profile), "--out", str(world.out))
    assert result.exit_code == 0
    assert delivered(world) == ([], [])


def test_no_announcement_day_says_so_when_asked(world: World) -> None:
    ask_for_empty(world, "true")
    weekend(world)
    result = run("run", "--profile", str(world.profile), "--out", str(world.out))
    assert result.exit_code == 0, result.output
    headline = "papersieve me, 2025-07-05: no announcement today (0 papers read)"
    slack, subjects = delivered(world)
    assert slack == [headline + "\nno announcement for 2025-07-05"]
    assert subjects == [headline]
    assert "Delivery slack: ok (no_announcement: 1 message to the incoming webhook)" in result.stdout
    with open_store() as store:
        rows = store.conn.execute("SELECT channel, status FROM deliveries ORDER BY channel").fetchall()
    assert [tuple(r) for r in rows] == [("email", "ok"), ("slack", "ok")]


def test_the_second_scheduled_run_of_an_empty_day_does_not_say_it_again(world: World) -> None:
    # The workflow runs twice a day (06:17 and 15:43 UTC): a weekend is told once, not twice.
    ask_for_empty(world, "true")
    weekend(world)
    first = run("run", "--profile", str(world.profile), "--out", str(world.out))
    second = run("run", "--profile", str(world.profile), "--out", str(world.out))
    assert first.exit_code == second.exit_code == 0, second.output
    slack, subjects = delivered(world)
    assert len(slack) == len(subjects) == 1
    assert "Delivery slack: skipped (already sent by run 1 at " in second.stdout
    with open_store() as store:
        rows = store.conn.execute("SELECT run_id, channel, status FROM deliveries ORDER BY id").fetchall()
    assert [tuple(r) for r in rows] == [(1, "slack", "ok"), (1, "email", "ok"),
                                        (2, "slack", "skipped"), (2, "email", "skipped")]


def test_a_stale_day_says_stale(world: World) -> None:
    ask_for_empty(world, '["stale"]')
    world.feeds.misbehave("cs.LG", "stale")
    world.feeds.misbehave("cs.AI", "stale")
    result = run("run", "--profile", str(world.profile), "--date", "2025-07-03", "--out", str(world.out))
    assert result.exit_code == 3
    slack, subjects = delivered(world)
    assert subjects == ["papersieve me, 2025-07-03: the feed is stale, no new papers yet (0 papers read)"]
    assert slack[0].startswith(subjects[0] + "\nstale feed: cs.LG still serves 2025-07-02")


def test_a_day_without_picks_says_nothing_for_you_with_the_papers_read(world: World) -> None:
    ask_for_empty(world, '["no_picks"]', "\n[cutoffs]\nrelevance = 10\nnovelty = 10\n")
    result = run("run", "--profile", str(world.profile), "--date", "2025-07-03", "--out", str(world.out))
    assert result.exit_code == 0, result.output
    assert "Picks: 0" in result.stdout
    headline = ("papersieve me, 2025-07-03: nothing for you today (215 papers read,"
                " none passed the cutoffs)")
    assert delivered(world) == ([headline], [headline])
    assert (world.out / "2025-07" / "2025-07-03.md").is_file()  # the files are still written


def test_a_failed_empty_day_message_is_exit_four(world: World) -> None:
    ask_for_empty(world, "true")
    weekend(world)
    world.slack.fail_next.extend([500] * 3)
    result = run("run", "--profile", str(world.profile), "--out", str(world.out))
    assert result.exit_code == 4
    assert "Delivery slack: failed (slack webhook: HTTP 500: error)" in result.stdout


@pytest.mark.parametrize(("setting", "kind", "expected"), [
    (False, "no_picks", False), (True, "no_announcement", True),
    (("stale", "no_picks"), "no_announcement", False), (("stale", "no_picks"), "no_picks", True)])
def test_which_kinds_are_wanted(setting: bool | tuple[str, ...], kind: str, expected: bool) -> None:
    settings = DeliverSettings.model_validate({"send_empty": setting})
    assert wanted(settings, kind) is expected  # type: ignore[arg-type]


def test_a_paper_count_of_one_is_singular(tmp_path: Path) -> None:
    day = EmptyDay("no_picks", dt.date(2025, 7, 3), "me", 1)
    assert day.headline == ("papersieve me, 2025-07-03: nothing for you today"
                            " (1 paper read, none passed the cutoffs)")
