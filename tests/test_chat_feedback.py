"""Feedback from the chat, end to end on loopback: `papersieve run` delivers to the fake
Telegram Bot API and the fake Slack Web API, a reader presses 👍/👎 (or reacts), and the next
`papersieve feedback --pull` (or run) records it for the profile."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from papersieve.chatfeedback import pull_telegram
from papersieve.deliver.telegram_bot import API_URL_ENV, TOKEN_ENV
from papersieve.profile import load_profile
from papersieve.store import open_store
from papersieve.store.chat import add_chat_message, get_cursor
from tests.servers.feed_server import FeedServer
from tests.servers.llm_server import FakeLLM
from tests.servers.slack_server import TOKEN as SLACK_TOKEN
from tests.servers.slack_server import FakeSlack
from tests.servers.telegram_server import TOKEN, FakeTelegram, Sent
from tests.storetext import store_text
from tests.test_pipeline import DAY, run

CHAT = "4242"


@dataclass
class Chats:
    telegram: FakeTelegram
    slack: FakeSlack
    profile: Path
    out: Path

    def run(self, *extra: str) -> tuple[int, str]:
        result = run("run", "--profile", str(self.profile), "--date", DAY.isoformat(), "--out",
                     str(self.out), *extra)
        return result.exit_code, result.output

    def pull(self) -> tuple[int, str]:
        result = run("feedback", "--pull", "--profile", str(self.profile))
        return result.exit_code, result.output


def write_profile(folder: Path, *, telegram: bool = True, slack: bool = False) -> Path:
    folder.mkdir()
    from papersieve.profile import init_profile

    init_profile(folder, force=True)
    (folder / "profile.toml").write_text(f"""
name = "me"
[judge]
concurrency = 8
calls_per_minute = 10000
[deliver.telegram]
enabled = {str(telegram).lower()}
chat_id = {CHAT}
[deliver.slack]
enabled = {str(slack).lower()}
channel = "#papers"
feedback = true
""", "utf-8")
    return folder


@pytest.fixture
def chats(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Chats]:
    with FeedServer(DAY) as feeds, FakeLLM() as llm, FakeTelegram() as telegram, FakeSlack() as slack:
        monkeypatch.setenv("PAPERSIEVE_ARXIV_RSS_URL", feeds.rss_template)
        monkeypatch.setenv("PAPERSIEVE_HTTP_INTERVAL", "0")
        monkeypatch.setenv("OPENAI_API_KEY", "sk-loopback")
        monkeypatch.setenv("OPENAI_BASE_URL", llm.url)
        monkeypatch.setenv(TOKEN_ENV, TOKEN)
        monkeypatch.setenv(API_URL_ENV, telegram.url)
        monkeypatch.setenv("SLACK_BOT_TOKEN", SLACK_TOKEN)
        monkeypatch.setenv("PAPERSIEVE_SLACK_API_URL", slack.api_url)
        slack.channel_ids["#papers"] = "C0PAPERS"
        yield Chats(telegram, slack, write_profile(tmp_path / "profile"), tmp_path / "site")


def feedback_rows() -> list[tuple[str, int, str, str]]:
    with open_store() as store:
        rows = store.conn.execute(
            "SELECT paper_id, label, source, 'profile ' || profile FROM feedback ORDER BY id")
        return [tuple(r) for r in rows]  # type: ignore[misc]


def with_papers(telegram: FakeTelegram) -> list[tuple[Sent, list[str]]]:
    """Each sent message that has buttons, with the paper ids of its 👍 buttons."""
    return [(m, [row[0]["callback_data"][2:] for row in m.keyboard]) for m in telegram.sent if m.keyboard]


def test_presses_are_read_once_and_recorded_for_the_profile_the_last_one_winning(chats: Chats) -> None:
    code, output = chats.run()
    assert code == 0, output
    assert re.search(r"^Delivery telegram: ok \(\d+ messages to Telegram chat 4242\)$", output, re.M)
    (first, ids), *_ = with_papers(chats.telegram)
    a, b = ids[0], ids[1]
    chats.telegram.press(first, f"l:{a}")
    chats.telegram.press(first, f"d:{b}")
    chats.telegram.press(first, f"d:{a}", too_old=True)  # changed her mind: the last press wins
    chats.telegram.press(first, f"l:{b}", chat="-1001234")  # another chat: not this profile's
    chats.telegram.press(Sent(4242, 9999, "", [], 0.0), "l:2501.99999")  # no such paper stored
    chats.telegram.post("-1001234", "hello bot")
    code, output = chats.pull()
    assert code == 0, output
    summary, retrained = output.splitlines()[-2:]
    assert summary == "telegram feedback: 5 presses read, 0 liked, 2 disliked, 3 ignored"
    assert retrained.startswith("local judge: model v")
    assert f"telegram: ignored a press on {b} in chat -1001234, which is not the configured chat 4242" \
        in output
    assert "telegram: ignored a press on 2501.99999: the paper is not in the store" in output
    assert sorted(feedback_rows()) == sorted([(a, -1, "telegram", "profile me"),
                                              (b, -1, "telegram", "profile me")])
    assert len(chats.telegram.answered) == 4  # the too-old query's refusal is harmless
    assert chats.telegram.pending == []  # confirmed at Telegram: read once
    with open_store() as store:
        assert get_cursor(store, "telegram:123456789:offset") == "500007"
    code, output = chats.pull()
    assert "telegram feedback: 0 presses read, 0 liked, 0 disliked" in output
    assert len(feedback_rows()) == 2
    listed = run("feedback", "--profile", str(chats.profile)).output
    assert f"-1 {a}" in listed and "telegram" in listed


def test_a_press_on_a_message_of_another_profile_counts_for_that_profile(
        chats: Chats, tmp_path: Path) -> None:
    assert chats.run()[0] == 0
    (first, ids), *_ = with_papers(chats.telegram)
    with open_store() as store:  # one bot, two profiles: "other" sent message 777 to its chat
        add_chat_message(store, "other", "telegram", "-1001234", "777", ids[:1], run_id=None, date=DAY)
        chats.telegram.press(Sent(-1001234, 777, "", [], 0.0), f"l:{ids[0]}")
        chats.telegram.press(first, f"l:{ids[1]}")
        report = pull_telegram(store, load_profile(chats.profile))
    assert report.labels == {("other", ids[0]): 1, ("me", ids[1]): 1}
    assert sorted(r[3] for r in feedback_rows()) == ["profile me", "profile other"]


def test_each_run_starts_by_reading_the_presses(chats: Chats) -> None:
    assert chats.run()[0] == 0
    (first, ids), *_ = with_papers(chats.telegram)
    chats.telegram.press(first, f"l:{ids[0]}")
    code, output = chats.run()
    assert code == 0
    assert "telegram feedback: 1 presses read, 1 liked, 0 disliked" in output
    assert feedback_rows() == [(ids[0], 1, "telegram", "profile me")]


def test_a_bot_with_a_webhook_cannot_be_read_and_says_so(chats: Chats) -> None:
    chats.telegram.webhook = True
    code, output = chats.pull()
    assert code == 4
    assert output.strip() == ("telegram feedback not read: telegram getUpdates: HTTP 409: Conflict: can't use"
                              " getUpdates method while webhook is active; use deleteWebhook to delete the"
                              " webhook first")
    code, output = chats.run()  # the run goes on, and says it
    assert code == 0 and "telegram feedback not read: telegram getUpdates: HTTP 409" in output


def test_an_unreachable_telegram_is_a_failed_delivery_and_redeliver_sends_it(
        chats: Chats, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(API_URL_ENV, "http://127.0.0.1:9")  # the discard port: nothing listens
    code, output = chats.run()
    assert code == 4
    assert "Delivery telegram: failed (telegram sendMessage: cannot reach 127.0.0.1:" in output
    assert (chats.out / "2025-07" / "2025-07-03.md").exists()  # the day itself is kept
    monkeypatch.setenv(API_URL_ENV, chats.telegram.url)
    assert chats.run()[0] == 0  # a failed channel is tried again
    sent = len(chats.telegram.sent)
    code, output = chats.run()
    assert "Delivery telegram: skipped (already delivered by run 2" in output
    code, output = chats.run("--redeliver")
    assert code == 0 and len(chats.telegram.sent) == 2 * sent
    with open_store() as store:
        rows = store.conn.execute("SELECT run_id, status FROM deliveries WHERE channel = 'telegram'"
                                  " ORDER BY id").fetchall()
    assert [tuple(r) for r in rows] == [(1, "failed"), (2, "ok"), (3, "skipped"), (4, "ok")]


def test_the_token_reaches_no_output_no_error_and_no_store_row(
        chats: Chats, monkeypatch: pytest.MonkeyPatch) -> None:
    chats.telegram.echo_token = True
    chats.telegram.fail_next.append((400, "Bad Request: wrong offset", None))  # the run's pull
    chats.telegram.fail_next.append((400, "Bad Request: chat not found", None))  # its delivery
    code, output = chats.run()
    assert code == 4 and "[redacted TELEGRAM_BOT_TOKEN]" in output
    chats.telegram.fail_next.append((400, "Bad Request: wrong offset", None))
    code, pulled = chats.pull()
    assert code == 4 and "[redacted TELEGRAM_BOT_TOKEN]" in pulled
    with open_store() as store:
        dump = store_text(store)
    secret = TOKEN.split(":")[1]
    assert secret not in output and secret not in pulled and secret not in dump
    assert "[redacted TELEGRAM_BOT_TOKEN]" in dump


def test_a_malformed_token_stops_the_run_with_one_line(chats: Chats,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, TOKEN + "\n")
    code, output = chats.run()
    assert code == 2
    assert TOKEN not in output and "TELEGRAM_BOT_TOKEN" in output
    assert chats.telegram.sent == []


def test_slack_reactions_are_read_back_per_paper_and_a_removed_one_withdraws(
        chats: Chats, tmp_path: Path) -> None:
    text = (chats.profile / "profile.toml").read_text("utf-8")
    (chats.profile / "profile.toml").write_text(
        text.replace("[deliver.telegram]\nenabled = true", "[deliver.telegram]\nenabled = false")
        .replace("[deliver.slack]\nenabled = false", "[deliver.slack]\nenabled = true"), "utf-8")
    code, output = chats.run()
    assert code == 0, output
    ((channel, parent), thread), = chats.slack.threads.items()
    replies = thread[1:]
    with open_store() as store:
        rows = store.conn.execute("SELECT chat, message, thread, paper_id FROM chat_messages"
                                  " WHERE channel = 'slack' ORDER BY id").fetchall()
    assert channel == "C0PAPERS" and len(rows) == len(replies) > 2  # one reply per paper
    assert [(r[0], r[1], r[2]) for r in rows] == [(channel, m["ts"], parent) for m in replies]
    ids = [r[3] for r in rows]
    chats.slack.react(channel, replies[0]["ts"], "+1")
    chats.slack.react(channel, replies[1]["ts"], "thumbsdown")
    chats.slack.react(channel, replies[2]["ts"], "+1::skin-tone-3")
    chats.slack.react(channel, replies[2]["ts"], "-1", user="U2")  # one each way: no label
    code, output = chats.pull()
    assert code == 0, output
    assert f"slack feedback: {len(replies)} messages read, 1 liked, 1 disliked" in output
    assert feedback_rows() == [(ids[0], 1, "slack", "profile me"), (ids[1], -1, "slack", "profile me")]
    code, output = chats.pull()  # nothing changed: nothing recorded again
    assert len(feedback_rows()) == 2
    chats.slack.unreact(channel, replies[0]["ts"], "+1")
    code, output = chats.pull()
    assert "0 liked, 0 disliked, 1 withdrawn" in output
    assert feedback_rows()[-1] == (ids[0], 0, "slack", "profile me")


def test_slack_without_the_history_scope_says_which_scope(chats: Chats) -> None:
    text = (chats.profile / "profile.toml").read_text("utf-8")
    (chats.profile / "profile.toml").write_text(
        text.replace("[deliver.telegram]\nenabled = true", "[deliver.telegram]\nenabled = false")
        .replace("[deliver.slack]\nenabled = false", "[deliver.slack]\nenabled = true"), "utf-8")
    assert chats.run()[0] == 0
    chats.slack.scopes.discard("channels:history")
    code, output = chats.pull()
    assert code == 4
    assert output.strip() == ("slack feedback not read: slack conversations.replies: HTTP 200:"
                              " missing_scope (needed: channels:history)")


def test_old_slack_threads_are_not_read(chats: Chats) -> None:
    from papersieve.chatfeedback import pull_slack

    with open_store() as store:
        add_chat_message(store, "me", "slack", "C0PAPERS", "1.0001", ["2507.00001"], run_id=None,
                         date=DAY, thread="1.0000")
        later = dt.datetime.now(dt.UTC) + dt.timedelta(days=15)
        report = pull_slack(store, load_profile(chats.profile), now=later)
    assert report.read == 0 and chats.slack.received == []
