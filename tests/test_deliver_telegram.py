"""Telegram delivery against a loopback Bot API that checks what the real one checks: HTML
parse mode, the 4,096-character limit, callback data of at most 64 bytes, a known chat, the
token, and one message a second per chat (429 with `parameters.retry_after`)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import tomllib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from papersieve import outbound
from papersieve.deliver.empty import EmptyDay, send_empty_telegram
from papersieve.deliver.telegram import (
    MAX_MESSAGE,
    callback_data,
    fit,
    send_telegram,
    telegram_messages,
    units,
)
from papersieve.deliver.telegram_bot import API_URL_ENV, TOKEN_ENV, send_policy
from papersieve.errors import ConfigError, DeliveryError
from papersieve.models import Digest, Pick
from papersieve.outbound.policy import TELEGRAM_INTERVAL_ENV as INTERVAL_ENV
from papersieve.outbound.transport import _Pacer
from papersieve.profile import load_profile
from papersieve.profile.settings import TelegramSettings
from tests.digestfixtures import HOSTILE_ABSTRACT, HOSTILE_TITLE, sample_digest
from tests.fakeclock import Clock
from tests.seedfiles import seed_digest
from tests.servers.telegram_server import TOKEN, FakeTelegram, parse_html, visible_text

CHAT = "4242"


@pytest.fixture
def telegram(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        monkeypatch.setenv(TOKEN_ENV, TOKEN)
        monkeypatch.setenv(API_URL_ENV, server.url)
        yield server


def many_picks(n: int, title_suffix: str = "") -> Digest:
    """The seed day's picks repeated to n, with long abstracts (and emoji) to force splitting."""
    base = seed_digest("2025-07-03")
    picks = []
    for i in range(n):
        pick = base.picks[i % len(base.picks)]
        paper = dataclasses.replace(pick.paper, id=f"2507.{i:05d}", title=pick.paper.title + title_suffix,
                                    abstract=pick.paper.abstract * 4)
        picks.append(Pick(paper, pick.judgement))
    return dataclasses.replace(base, picks=tuple(picks))


def fake_clock_client(chat: str, clock: Clock) -> httpx.Client:
    transport = outbound.PoliteTransport(send_policy(chat), sleep=clock.sleep, clock=clock, pacer=_Pacer())
    return httpx.Client(transport=transport)


def test_the_day_arrives_as_html_messages_with_two_buttons_per_paper(telegram: FakeTelegram) -> None:
    digest = seed_digest("2025-07-03")
    told: list[tuple[str, str, tuple[str, ...]]] = []
    detail = send_telegram(digest, CHAT, "https://me.github.io/p/2025-07/2025-07-03.html",
                           on_sent=lambda *a: told.append(a))
    header, *entries = telegram.sent
    assert detail == f"{len(telegram.sent)} messages to Telegram chat {CHAT}"
    assert visible_text(header.text).startswith(
        "Personalized Daily ArXiv Papers 2025-07-03\n19 papers picked of 272 scanned · llm judge")
    assert '<a href="https://me.github.io/p/2025-07/2025-07-03.html">The digest page</a>' in header.text
    assert header.keyboard == []
    shown = "\n".join(visible_text(m.text) for m in entries)
    rows = [row for m in entries for row in m.keyboard]
    assert len(rows) == 19
    for i, (pick, row) in enumerate(zip(digest.picks, rows, strict=True), 1):
        assert f"{i}. {pick.paper.title}" in shown
        assert f'<a href="{pick.paper.abs_url}">' in "".join(m.text for m in entries)
        assert row == [{"text": f"{i} 👍", "callback_data": f"l:{pick.paper.id}"},
                       {"text": f"{i} 👎", "callback_data": f"d:{pick.paper.id}"}]
    # What the delivery records for reading the presses back: each message's papers, in order.
    assert [(c, m) for c, m, _ in told] == [(CHAT, str(e.message_id)) for e in entries]
    assert [pid for *_, ids in told for pid in ids] == [p.paper.id for p in digest.picks]


def test_hostile_text_is_escaped_for_the_html_parse_mode(telegram: FakeTelegram) -> None:
    send_telegram(sample_digest(hostile=True), CHAT)
    entry = visible_text(telegram.sent[1].text)
    assert HOSTILE_TITLE in entry
    assert HOSTILE_ABSTRACT.split(" end")[0][:200] in entry
    assert all(parse_html(m.text) == "" for m in telegram.sent)


def test_a_long_day_is_split_under_telegrams_limit(telegram: FakeTelegram) -> None:
    # Astral-plane emoji count two UTF-16 units each, as Telegram counts them.
    digest = many_picks(60, title_suffix=" 🧪" * 40)
    messages = telegram_messages(digest)
    assert len(messages) > 8
    assert all(units(m.text) <= MAX_MESSAGE for m in messages)
    send_telegram(digest, CHAT)
    assert len(telegram.sent) == len(messages)  # the server accepted every one
    assert sum(len(m.keyboard) for m in telegram.sent) == 60


def test_text_is_cut_before_escaping_never_inside_an_entity() -> None:
    for text in ("&" * 5000, "a<b>" * 2000, "é🧪" * 3000):
        cut = fit(text, 1000)
        assert units(cut) <= 1000 and cut.endswith("…")
        assert parse_html(cut) == ""


def test_callback_data_stays_within_64_bytes() -> None:
    assert callback_data("l", "2507.00641", 3) == "l:2507.00641"
    assert callback_data("d", "10.1101/2025.07.01.662345", 1) == "d:10.1101/2025.07.01.662345"
    long_id = "10.1101/" + "x" * 80
    assert callback_data("l", long_id, 4) == "l:#4"


def test_messages_to_one_chat_are_paced_one_a_second(telegram: FakeTelegram,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(INTERVAL_ENV)
    clock = Clock(1000.0)
    count = len(telegram_messages(many_picks(20)))
    send_telegram(many_picks(20), CHAT, http=fake_clock_client(CHAT, clock))
    assert clock.waits == [pytest.approx(1.0)] * (count - 1)


def test_a_group_gets_at_most_twenty_messages_a_minute(telegram: FakeTelegram,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(INTERVAL_ENV)
    clock = Clock(1000.0)
    send_telegram(sample_digest(), "-1001234", http=fake_clock_client("-1001234", clock))
    assert clock.waits == [pytest.approx(3.0)]


def test_a_429_waits_the_retry_after_of_its_body(telegram: FakeTelegram) -> None:
    """Telegram says how long to wait in `parameters.retry_after`, with no Retry-After header;
    the policy's backoff alone waited 0.5-1 s and drew the next 429."""
    telegram.fail_next.append((429, "Too Many Requests: retry after 7", 7))
    clock = Clock()
    send_telegram(sample_digest(), CHAT, http=fake_clock_client(CHAT, clock))
    assert clock.waits == [7.0]
    assert len(telegram.sent) == 2


def test_a_flood_that_does_not_end_is_a_failed_delivery_saying_how_far_it_got(
        telegram: FakeTelegram) -> None:
    telegram.flood_gap = 3600.0  # real seconds: the fake clock's waits never satisfy it
    telegram.retry_after = 5
    clock = Clock()
    with pytest.raises(DeliveryError) as info:
        send_telegram(sample_digest(), CHAT, http=fake_clock_client(CHAT, clock))
    assert str(info.value) == ("telegram sendMessage: HTTP 429: Too Many Requests: retry after 5 (still"
                               " rate limited; Telegram asked to wait 5 s) (chat 4242; 1 of 2 messages sent)")
    assert clock.waits == [5.0, 5.0, 5.0]  # four tries in all


@pytest.mark.parametrize(("chat", "setup", "expected"), [
    ("999", None, "telegram sendMessage: HTTP 400: Bad Request: chat not found (chat 999; 0 of 2"
                  " messages sent)"),
    (CHAT, "bad-token", "telegram sendMessage: HTTP 401: Unauthorized (check TELEGRAM_BOT_TOKEN)"
                        " (chat 4242; 0 of 2 messages sent)"),
    (CHAT, "unreachable", "telegram sendMessage: cannot reach 127.0.0.1: "),
])
def test_errors_say_what_telegram_answered(telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch,
                                           chat: str, setup: str | None, expected: str) -> None:
    if setup == "bad-token":
        monkeypatch.setenv(TOKEN_ENV, "987654321:AAAnotTheRightTokenAtAll")
    if setup == "unreachable":
        monkeypatch.setenv(API_URL_ENV, "http://127.0.0.1:9")  # the discard port: nothing listens
    with pytest.raises(DeliveryError) as info:
        send_telegram(sample_digest(), chat)
    assert str(info.value).startswith(expected)


def test_a_token_echoed_by_the_server_never_reaches_the_error(telegram: FakeTelegram,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    telegram.echo_token = True
    telegram.fail_next.append((400, "Bad Request: something", None))
    with pytest.raises(DeliveryError) as info:
        send_telegram(sample_digest(), CHAT)
    assert TOKEN not in str(info.value) and TOKEN.split(":")[1] not in str(info.value)
    assert "[redacted TELEGRAM_BOT_TOKEN]" in str(info.value)
    other = "987654321:AAAnotTheRightTokenButEchoedBack"
    monkeypatch.setenv(TOKEN_ENV, other)
    with pytest.raises(DeliveryError) as info:
        send_telegram(sample_digest(), CHAT)
    assert other not in str(info.value) and "401: Unauthorized: /bot[redacted TELEGRAM_BOT_TOKEN]" \
        in str(info.value)


@pytest.mark.parametrize(("token", "problem"), [
    (TOKEN + "\n", "ends with a newline"),
    (TOKEN[:-1] + "é", "non-ASCII"),
    ("not a token", "whitespace"),
    ("AAHfakeTelegramTokenWithoutItsBotId", "is not a bot token"),
])
def test_a_malformed_token_is_refused_before_anything_is_sent(
        telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch, token: str, problem: str) -> None:
    monkeypatch.setenv(TOKEN_ENV, token)
    with pytest.raises(DeliveryError, match=problem) as info:
        send_telegram(sample_digest(), CHAT)
    assert token.strip() not in str(info.value) and "TELEGRAM_BOT_TOKEN" in str(info.value)
    assert telegram.calls == []


def test_no_chat_id_is_a_clear_error(telegram: FakeTelegram) -> None:
    with pytest.raises(DeliveryError, match=r"set \[deliver.telegram\] chat_id"):
        send_telegram(sample_digest(), "")


@pytest.mark.parametrize(("value", "expected"), [
    ("4242", "4242"), (-1001234567890, "-1001234567890"), ('"@papers_daily"', "@papers_daily"),
])
def test_the_chat_id_may_be_a_number_or_a_channel_name(value: object, expected: str) -> None:
    written = tomllib.loads(f"chat_id = {value}")  # as profile.toml gives it: a number or a string
    assert TelegramSettings.model_validate(written).chat_id == expected


def test_a_chat_id_that_is_neither_is_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "profile.toml").write_text('[deliver.telegram]\nchat_id = "my chat"\n')
    with pytest.raises(ConfigError, match="a Telegram chat id is a number"):
        load_profile(tmp_path)


def test_an_empty_day_is_one_escaped_message(telegram: FakeTelegram) -> None:
    day = EmptyDay("no_picks", dt.date(2025, 7, 3), "me & <you>", 215)
    assert send_empty_telegram(day, CHAT) == "no_picks: 1 message to Telegram chat 4242"
    assert visible_text(telegram.sent[0].text) == day.text
