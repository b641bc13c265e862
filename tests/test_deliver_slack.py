"""Slack messages as a loopback webhook receiver and a fake Web API receive them."""

from __future__ import annotations

import dataclasses
import re
import time
from email.utils import formatdate

import pytest

from papersieve.deliver.slack import (
    API_URL_ENV,
    MAX_BLOCKS,
    MAX_SECTION,
    MAX_TEXT,
    TOP_TITLES,
    header_message,
    send_slack,
    thread_messages,
)
from papersieve.deliver.slack_sender import PacedSender
from papersieve.errors import DeliveryError
from papersieve.models import Digest, Pick
from papersieve.outbound import SLACK
from tests.digestfixtures import HOSTILE_TITLE, sample_digest
from tests.fakeclock import Clock
from tests.seedfiles import seed_digest
from tests.servers.slack_server import TOKEN, FakeSlack


def many_picks(n: int) -> Digest:
    """The seed day's picks repeated to n, with very long abstracts to force splitting."""
    base = seed_digest("2025-07-03")
    picks = []
    for i in range(n):
        pick = base.picks[i % len(base.picks)]
        paper = dataclasses.replace(pick.paper, abstract=pick.paper.abstract * 4)
        picks.append(Pick(paper, pick.judgement))
    return dataclasses.replace(base, picks=tuple(picks))


def test_webhook_gets_header_with_top_titles_then_the_entries(monkeypatch: pytest.MonkeyPatch) -> None:
    digest = seed_digest("2025-07-03")
    with FakeSlack() as slack:
        monkeypatch.setenv("SLACK_WEBHOOK_URL", slack.webhook_url)
        detail = send_slack(digest, page_url="https://me.github.io/p/2025-07/2025-07-03.html")
    received = slack.received
    assert detail == f"{len(received)} messages to the incoming webhook"
    header = received[0].body["text"]
    assert header.startswith("*Personalized Daily ArXiv Papers 2025-07-03*\n19 picks of 272 scanned")
    for i, pick in enumerate(digest.picks[:TOP_TITLES], 1):
        assert f"{i}. <{pick.paper.abs_url}|" in header
    assert "…and 9 more in the thread" in header
    assert "<https://me.github.io/p/2025-07/2025-07-03.html|The digest page>" in header
    entries = "\n".join(b["text"]["text"] for r in received[1:] for b in r.body["blocks"])
    for i, pick in enumerate(digest.picks, 1):
        assert f"*{i}. <{pick.paper.abs_url}|" in entries
    assert entries.count("Relevance ") == 19


def test_bot_token_posts_the_entries_in_the_header_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeSlack() as slack:
        monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
        monkeypatch.setenv(API_URL_ENV, slack.api_url)
        detail = send_slack(many_picks(60), channel="#papers")
    first, *rest = slack.received
    assert all(r.path == "/api/chat.postMessage" and r.body["channel"] == "#papers"
               for r in slack.received)
    assert all(r.authorization == f"Bearer {TOKEN}" for r in slack.received)
    assert "thread_ts" not in first.body
    assert {r.body["thread_ts"] for r in rest} == {"1751500001.000100"}
    assert detail == f"{len(slack.received)} messages to #papers (thread 1751500001.000100)"
    assert sum(len(r.body["blocks"]) for r in rest) == 60


def test_messages_respect_slack_limits() -> None:
    messages = thread_messages(many_picks(120))
    assert len(messages) > 2
    for message in messages:
        assert 1 <= len(message.blocks) <= MAX_BLOCKS
        assert len(message.text) <= MAX_TEXT
        assert all(len(b["text"]["text"]) <= MAX_SECTION for b in message.blocks)
    assert sum(len(m.blocks) for m in messages) == 120


def test_hostile_title_cannot_inject_slack_markup(monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeSlack() as slack:
        monkeypatch.setenv("SLACK_WEBHOOK_URL", slack.webhook_url)
        send_slack(sample_digest(hostile=True))
    text = slack.received[1].body["blocks"][1]["text"]["text"]
    assert "&lt;script&gt;" in text and "<script>" not in text
    assert HOSTILE_TITLE not in text


def test_errors_name_the_endpoint_and_the_reply(monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeSlack() as slack:
        monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-wrong")
        monkeypatch.setenv(API_URL_ENV, slack.api_url)
        expected = r"chat.postMessage at http://127.0.0.1:\d+/api: HTTP 200: invalid_auth"
        with pytest.raises(DeliveryError, match=expected):
            send_slack(sample_digest(), channel="#papers")
        monkeypatch.delenv("SLACK_BOT_TOKEN")
        monkeypatch.setenv("SLACK_WEBHOOK_URL", slack.webhook_url)
        slack.fail_next.extend([500])
        with pytest.raises(DeliveryError, match="slack webhook: HTTP 500"):
            send_slack(sample_digest())
    monkeypatch.delenv("SLACK_WEBHOOK_URL")
    with pytest.raises(DeliveryError, match="set SLACK_WEBHOOK_URL"):
        send_slack(sample_digest())


# --- one paced sender, Retry-After in both forms, text cut before escaping -------------------

def test_messages_to_a_channel_are_paced_one_a_second(monkeypatch: pytest.MonkeyPatch) -> None:
    """Slack asks for about one message a second per channel: 14-38 went back to back."""
    clock = Clock()
    with FakeSlack() as slack:
        monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
        monkeypatch.setenv(API_URL_ENV, slack.api_url)
        send_slack(many_picks(60), channel="#papers",
                   sender=PacedSender(1.0, sleep=clock.sleep, clock=clock))
    assert len(slack.received) > 5
    assert clock.waits == [1.0] * (len(slack.received) - 1)


def test_a_429_waits_its_retry_after_in_seconds_then_sends(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    with FakeSlack() as slack:
        monkeypatch.setenv("SLACK_WEBHOOK_URL", slack.webhook_url)
        slack.retry_after = "7"
        slack.fail_next.extend([429, 429])
        detail = send_slack(sample_digest(), sender=PacedSender(1.0, sleep=clock.sleep, clock=clock))
    assert detail == "2 messages to the incoming webhook"
    assert clock.waits == [7.0, 7.0, 1.0]  # two 429s on the header, then the second message
    assert len(slack.received) == 4


def test_a_429_with_an_http_date_retry_after_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    """A date-form Retry-After raised an uncaught ValueError (float("Wed, 21 Oct ..."))."""
    clock = Clock()
    with FakeSlack() as slack:
        monkeypatch.setenv("SLACK_WEBHOOK_URL", slack.webhook_url)
        slack.retry_after = formatdate(time.time() + 20, usegmt=True)
        slack.fail_next.append(429)
        send_slack(sample_digest(), sender=PacedSender(0.0, sleep=clock.sleep, clock=clock))
    [waited] = clock.waits
    assert 10 < waited <= 20
    assert len(slack.received) == 3


def test_retries_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    with FakeSlack() as slack:
        monkeypatch.setenv("SLACK_WEBHOOK_URL", slack.webhook_url)
        slack.retry_after = "3600"
        slack.fail_next.append(429)
        with pytest.raises(DeliveryError, match=r"^slack: rate limited \(HTTP 429\), asked to wait 3600 s"):
            send_slack(sample_digest(), sender=PacedSender(0.0, sleep=clock.sleep, clock=clock))
        assert clock.waits == []
        slack.retry_after = "2"
        slack.fail_next.extend([429] * 10)
        with pytest.raises(DeliveryError, match=r"^slack webhook: HTTP 429"):
            send_slack(sample_digest(), sender=PacedSender(0.0, sleep=clock.sleep, clock=clock))
    assert clock.waits == [2.0] * (SLACK.tries - 1)


ENTITY_OR_LINK = re.compile(r"&(amp|lt|gt);|<[^<>|]+\|[^<>]*>|[<>]")


def assert_whole(text: str) -> None:
    """Every & starts a whole entity; every < opens a whole link that > closes (a > starting a
    line is the abstract's quote)."""
    unquoted = re.sub(r"^> ", "", text, flags=re.MULTILINE)
    rest = ENTITY_OR_LINK.sub(lambda m: "" if len(m.group(0)) > 1 else m.group(0), unquoted)
    assert "&" not in rest and "<" not in rest and ">" not in rest, text[-200:]


def test_text_is_cut_before_escaping_never_inside_an_entity_or_a_link() -> None:
    base = seed_digest("2025-07-03")
    picks = []
    for i, pick in enumerate(base.picks[:12]):
        paper = dataclasses.replace(
            pick.paper, title="Q&A <and> " * (40 + i), abstract="R&D <x> " * (600 + i),
            authors=tuple(f"A&{n}" for n in range(200 + 7 * i)))
        judgement = dataclasses.replace(pick.judgement, comment="a<b & c>d " * (80 + i))
        picks.append(Pick(paper, judgement))
    digest = dataclasses.replace(base, picks=tuple(picks))
    header = header_message(digest, "https://me.github.io/p/day.html")
    messages = [header, *thread_messages(digest)]
    for message in messages:
        assert len(message.text) <= MAX_TEXT
        for block in message.blocks:
            text = block["text"]["text"]
            assert len(text) <= MAX_SECTION
            assert_whole(text)
    assert header.text.endswith("<https://me.github.io/p/day.html|The digest page>")
    for i in range(1, 13):
        assert any(f"*{i}. <https://arxiv.org/abs/" in b["text"]["text"]
                   for m in messages[1:] for b in m.blocks)


def test_a_day_with_one_pick_says_one_pick() -> None:
    full = sample_digest()
    header = header_message(dataclasses.replace(full, picks=full.picks[:1]))
    assert "\n1 pick of 6 scanned papers · " in header.text
