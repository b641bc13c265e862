"""One serving engine (vLLM or any OpenAI-compatible server) for many profiles (issue 20, item 3).

`papersieve run --all` judges its `llm` profiles through one `LLMCrowd`: the server gets one bound
on requests in flight, the smallest `judge.concurrency` of the profiles calling it, so a group
sized to the engine (`--max-num-seqs`) never makes it queue. The engine is the loopback
OpenAI-compatible server of tests/servers, with a per-request latency and its own limit on
requests computed at once (queueing beyond it as vLLM does, or turning them away with 429).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers.feed_server import FeedServer
from tests.servers.llm_server import CallLog, FakeLLM
from tests.test_group_run import DAY, add_profile, run_cli

TOPICS = {"alice": "1. Large language model agents\n", "bob": "1. Reinforcement learning for robots\n",
          "carol": "1. Planning and reasoning\n"}


@pytest.fixture
def feeds(monkeypatch: pytest.MonkeyPatch) -> Iterator[FeedServer]:
    with FeedServer(DAY) as running:
        monkeypatch.setenv("PAPERSIEVE_ARXIV_RSS_URL", running.rss_template)
        monkeypatch.setenv("PAPERSIEVE_ARXIV_API_URL", running.url + "/api/query")
        monkeypatch.setenv("PAPERSIEVE_HTTP_INTERVAL", "0")
        monkeypatch.delenv("PAPERSIEVE_JUDGE", raising=False)
        monkeypatch.setenv("OPENAI_API_KEY", "engine-key")
        yield running


def judge_toml(url: str, concurrency: int) -> str:
    return ("[judge]\nkind = \"llm\"\n"
            f"base_url = \"{url}\"\nmodel = \"test-model\"\nconcurrency = {concurrency}\n"
            "calls_per_minute = 10000\nabstract_batch = 1\ntitle_stage = false\ncost_cap = 0\n")


def group_on(tmp_path: Path, engine: FakeLLM, concurrency: dict[str, int]) -> None:
    for name, topics in TOPICS.items():
        add_profile(tmp_path, name, ["cs.LG", "cs.AI"], topics, judge_toml(engine.url, concurrency[name]))


def profile_of(entry: CallLog) -> str:
    return next(name for name, topics in TOPICS.items() if topics.split(". ", 1)[1].strip() in entry.user)


def answered_per_profile(engine: FakeLLM) -> Counter[tuple[str, str]]:
    return Counter((profile_of(e), paper) for e in engine.log if e.status == 200 for paper in e.answered)


def judged_in_outputs(out: Path, name: str) -> tuple[set[str], set[str]]:
    """(every candidate, those judged) of the profile's JSON day file."""
    day = json.loads(next((out / name).glob("*/*.json")).read_text("utf-8"))
    candidates = day["candidates"]
    return ({p["id"] for p in candidates}, {p["id"] for p in candidates if p["outcome"] == "judged"})


def test_a_group_on_one_engine_never_sends_it_more_than_the_shared_concurrency(
        tmp_path: Path, feeds: FeedServer) -> None:
    with FakeLLM(latency=0.05, models=("test-model",), max_in_flight=2) as engine:
        # bob's concurrency is the engine's; alice's and carol's, left too high, would each keep up
        # to 8 requests in flight on their own (and the engine would queue them).
        group_on(tmp_path, engine, {"alice": 8, "bob": 2, "carol": 8})
        result = run_cli("run", "--all", "--no-deliver", "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert engine.most_in_flight == 2, engine.most_in_flight
    answered = answered_per_profile(engine)
    assert set(answered.values()) == {1}  # every paper judged once per profile
    for name in TOPICS:
        candidates, judged = judged_in_outputs(tmp_path / "out", name)
        assert candidates and judged == candidates, name
        assert {paper for who, paper in answered if who == name} == candidates


def test_a_429_from_the_engine_is_retried_and_no_paper_is_judged_twice(
        tmp_path: Path, feeds: FeedServer) -> None:
    with FakeLLM(models=("test-model",), max_in_flight=1, when_full="429", retry_after="0",
                 faults={2: "429"}) as engine:
        group_on(tmp_path, engine, {"alice": 2, "bob": 2, "carol": 2})
        result = run_cli("run", "--all", "--no-deliver", "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    refused = engine.log[2]
    assert refused.status == 429 and refused.ids
    later = [e for e in engine.log[3:] if e.ids == refused.ids and e.status == 200]
    assert later and later[0].answered == refused.ids  # sent again after Retry-After
    assert set(answered_per_profile(engine).values()) == {1}
    for name in TOPICS:
        candidates, judged = judged_in_outputs(tmp_path / "out", name)
        assert candidates and judged == candidates, name


@pytest.mark.parametrize("when_full", ["queue", "429"])
def test_the_engine_computes_no_more_than_its_limit(when_full: str) -> None:
    import threading
    import urllib.request

    with FakeLLM(latency=0.1, models=("m",), max_in_flight=2, when_full=when_full, retry_after="0") as engine:
        statuses: list[int] = []

        def call() -> None:
            body = json.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}]}).encode()
            request = urllib.request.Request(engine.url + "/chat/completions", body,
                                             {"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=10) as reply:
                    statuses.append(reply.status)
            except urllib.error.HTTPError as err:
                statuses.append(err.code)

        threads = [threading.Thread(target=call) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert engine.most_computing == 2
    assert engine.most_in_flight > 2  # the six arrived together; the engine held back the rest
    if when_full == "queue":
        assert statuses == [200] * 6 and engine.turned_away == 0
    else:
        assert statuses.count(429) == engine.turned_away > 0


def test_the_group_cost_cap_holds_across_the_profiles_of_run_all(tmp_path: Path, feeds: FeedServer) -> None:
    from tests.llm_helpers import priced_like_openai

    priced_like_openai()
    with FakeLLM(models=("gpt-4o",)) as engine:
        for name, topics in TOPICS.items():
            toml = judge_toml(engine.url, 2).replace('"test-model"', '"gpt-4o"').replace(
                "cost_cap = 0\n", "cost_cap = 1.0\ngroup_cost_cap = 0.001\n")
            add_profile(tmp_path, name, ["cs.LG", "cs.AI"], topics, toml)
        result = run_cli("run", "--all", "--no-deliver", "--out", str(tmp_path / "out"))
    assert result.exit_code != 2, result.output
    # Each profile's own cap (1 dollar) would let all three judge every paper; the group's stops
    # the last one before it sends anything.
    last = json.loads(next((tmp_path / "out" / "carol").glob("*/*.json")).read_text("utf-8"))
    assert {p["outcome"] for p in last["candidates"]} == {"not_judged_cost_cap"}, result.output
    assert "carol" not in {profile_of(e) for e in engine.log}
    # What the member reads names the cap that stopped her day: the group's, not her own.
    assert {p["detail"] for p in last["candidates"]} == {
        "not judged: the group's cost cap $0.001 (judge.group_cost_cap) reached"}, result.output
    assert "the group's cost cap $0.001 (judge.group_cost_cap) reached" in result.output


def test_a_proxy_answering_429_with_retry_after_0_loses_no_paper(tmp_path: Path, feeds: FeedServer) -> None:
    """A gateway in front of an engine that computes one request at a time turns the rest away
    with `429, Retry-After: 0`. The judge must slow down (fewer requests in flight, a backoff
    rather than "now") instead of spending every paper's tries in a second and failing them."""
    with FakeLLM(latency=0.05, models=("test-model",), max_in_flight=1, when_full="429",
                 retry_after="0") as engine:
        group_on(tmp_path, engine, {"alice": 8, "bob": 8, "carol": 8})
        result = run_cli("run", "--all", "--no-deliver", "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert engine.turned_away > 0  # the proxy did refuse some
    for name in TOPICS:
        candidates, judged = judged_in_outputs(tmp_path / "out", name)
        assert candidates and judged == candidates, name
    assert set(answered_per_profile(engine).values()) == {1}
