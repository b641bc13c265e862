"""An LLM server that never answers, or fails every call, stops the day with one clear error.

Before: a wrong OPENAI_BASE_URL walked every batch through its own retries (1 min 46 s on a real
day), then wrote an empty digest over latest.* and exited 0.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from papersieve.errors import ConfigError, JudgeError
from papersieve.judges.llm import LLMJudge
from papersieve.outbound import LLM
from papersieve.pipeline import run_day
from papersieve.store import Store
from papersieve.store.llm_calls import count_calls
from tests.llm_helpers import DATA, day_papers, profile
from tests.servers.llm_server import FakeLLM
from tests.servers.smtp_server import free_port

DAY = dt.date(2025, 7, 3)
TRANSPORT_TRIES = LLM.tries


def unreachable_judge(store: Store) -> tuple[LLMJudge, str]:
    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    return LLMJudge(profile(model="gpt-4o"), store, api_key="test-key", base_url=url, timeout=2.0,
                    backoff=0.01), url


def test_an_unreachable_server_stops_after_one_batch_of_retries(store: Store) -> None:
    judge, url = unreachable_judge(store)
    papers = day_papers()
    with pytest.raises(JudgeError) as caught:
        judge.judge(papers)
    assert str(caught.value) == (f"no reply from the LLM server at {url}"
                                 " (APIConnectionError: Connection error.); model gpt-4o")
    calls = count_calls(store)
    # The title stage has ~10 batches of 300 papers, 8 in flight: without the stop every batch
    # made TRANSPORT_TRIES attempts; now the batches already in flight finish theirs, no more.
    assert TRANSPORT_TRIES <= calls <= 8 * TRANSPORT_TRIES
    assert calls < 10 * TRANSPORT_TRIES


def test_the_day_fails_without_a_digest_and_the_next_run_judges_every_paper(
        store: Store, tmp_path: Path) -> None:
    out = tmp_path / "out"
    judge, url = unreachable_judge(store)
    with pytest.raises(JudgeError, match="no reply from the LLM server"):
        run_day(store, profile(), DAY, offline_dir=DATA / "candidates", out_dir=out, judge=judge,
                deliver=False)
    assert not list(out.rglob("*.md")) and not list(out.rglob("latest.*"))
    status = store.conn.execute("SELECT status, message FROM runs ORDER BY id DESC").fetchone()
    assert status[0] == "failed" and url in status[1]
    with FakeLLM() as server:
        working = LLMJudge(profile(), store, api_key="test-key", base_url=server.url, timeout=2.0,
                           backoff=0.01)
        report = run_day(store, profile(), DAY, offline_dir=DATA / "candidates", out_dir=out,
                         judge=working, deliver=False)
    assert report.digest is not None
    assert report.digest.counts.unique == 215
    # Nothing of the failed run counts as judged: every candidate got a verdict now.
    outcomes = {j.outcome.value for j in report.digest.judgements}
    assert len(report.digest.judgements) == 215 and "failed_after_retries" not in outcomes
    assert len(report.digest.picks) > 0
    assert list(out.rglob("2025-07-03.md"))


def test_a_server_failing_every_call_is_an_error_not_an_empty_digest(store: Store) -> None:
    with FakeLLM() as server:
        server.always_status = 500
        judge = LLMJudge(profile(), store, api_key="test-key", base_url=server.url, timeout=2.0,
                         backoff=0.01)
        with pytest.raises(JudgeError) as caught:
            judge.judge(day_papers()[:40])
    assert str(caught.value).startswith(f"every call to the LLM server at {server.url} failed (")
    assert str(caught.value).endswith("; model gpt-4o; HTTP 500")


@pytest.mark.parametrize("url", ["not-a-url", "127.0.0.1:8000/v1", "ftp://example.org/v1"])
def test_a_base_url_that_cannot_be_reached_is_a_config_error_at_once(
        url: str, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", url)
    with pytest.raises(ConfigError) as caught:
        LLMJudge(profile(), store, api_key="test-key")
    assert str(caught.value) == ("OPENAI_BASE_URL must be an http(s) URL such as"
                                 f" http://127.0.0.1:8000/v1, not {url!r}")
    with pytest.raises(ConfigError, match=r"^judge\.base_url must be an http"):
        LLMJudge(profile(base_url=url), store, api_key="test-key")
    assert count_calls(store) == 0
