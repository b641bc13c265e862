"""What real OpenAI-compatible servers do, imitated by the loopback server (issue 15 and the LLM
part of issue 17): bounded replies, retries that can succeed, ids read as written, the model and
its price from the server, structured output negotiated, reasoning models, hostile usage."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

import pytest

from papersieve.errors import ConfigError
from papersieve.judges.llm import LLMJudge
from papersieve.judges.llm.parsing import parse_abstract_reply, parse_title_reply
from papersieve.models import Outcome
from papersieve.store import Store
from tests.llm_helpers import day_papers, priced_like_openai, profile
from tests.servers.llm_server import CallInfo, FakeLLM, Scripted


def judge_for(store: Store, server: FakeLLM, **settings: object) -> LLMJudge:
    return LLMJudge(profile(**settings), store, api_key="test-key", base_url=server.url,
                    timeout=5.0, backoff=0.01)


def test_every_request_carries_max_tokens_sized_by_its_papers(store: Store) -> None:
    papers = day_papers()[:12]
    with FakeLLM() as server:
        judge_for(store, server, abstract_batch=4, reply_tokens_per_paper=100).judge(papers)
    budgets = Counter((c.stage, len(c.ids), b.get("max_tokens")) for c, b in zip(
        server.log, server.bodies, strict=True))
    assert budgets == Counter({("title", 8, 8 * 12 + 64): 1, ("title", 4, 4 * 12 + 64): 1,
                               ("abstract", 4, 4 * 100 + 64): 3})


def test_the_timeout_is_a_setting_of_the_profile_and_the_environment(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    assert LLMJudge(profile(timeout=7), store, api_key="k").timeout == 7
    monkeypatch.setenv("PAPERSIEVE_LLM_TIMEOUT", "9.5")
    assert LLMJudge(profile(), store, api_key="k").timeout == 9.5


def test_a_retry_never_sends_a_deterministic_server_the_same_bytes(store: Store) -> None:
    papers = day_papers()[:4]

    def prose(info: CallInfo) -> str:  # the same request always gets the same useless answer
        return f"Here are my thoughts on {len(info.ids)} papers, in prose."

    with FakeLLM(script=prose) as server:
        result = judge_for(store, server, title_stage=False, max_retries=3).judge(papers)
    bodies = [json.dumps(b, sort_keys=True) for b in server.bodies]
    assert len(bodies) > 4 and len(set(bodies)) == len(bodies)
    assert all(j.outcome is Outcome.FAILED for j in result.judgements)
    single = [b for b in server.bodies if len(b["messages"]) == 4]
    assert single and "Retry" in single[0]["messages"][3]["content"]


def test_an_id_written_as_a_number_keeps_its_digits() -> None:
    reply = '{"ARXIVID": 2507.00010, "COMMENT": "x", "RELEVANCE": 8, "NOVELTY": 7}'
    parsed = parse_abstract_reply(reply, ["2507.00010"])
    assert list(parsed.items) == ["2507.00010"], parsed.problems
    assert parse_title_reply("[2507.00010, 2507.00200]", ["2507.00010", "2507.00200"]).drops == {
        "2507.00010", "2507.00200"}


@pytest.mark.parametrize("score", ["98", "0", "8.5", "-3", '"11"'])
def test_a_score_that_is_not_an_integer_from_1_to_10_is_a_problem_never_clamped(score: str) -> None:
    reply = f'{{"ARXIVID": "2507.00010", "COMMENT": "x", "RELEVANCE": {score}, "NOVELTY": 7}}'
    parsed = parse_abstract_reply(reply, ["2507.00010"])
    assert parsed.items == {} and parsed.problems == ["2507.00010: missing or invalid score"]


@pytest.mark.parametrize("reply", [
    "{'ARXIVID': '2507.00010', 'COMMENT': 'ok', 'RELEVANCE': 8, 'NOVELTY': 7}",
    '{ARXIVID: "2507.00010", COMMENT: None, RELEVANCE: 8, NOVELTY: 7}',
    '{"ARXIVID": 2507.00010, "COMMENT": None, "RELEVANCE": 8, "NOVELTY": 7}',
])
def test_json_repair_reads_what_json_cannot(reply: str) -> None:
    parsed = parse_abstract_reply(reply, ["2507.00010"])
    assert list(parsed.items) == ["2507.00010"], parsed.problems
    assert (parsed.items["2507.00010"].relevance, parsed.items["2507.00010"].novelty) == (8, 7)


def test_an_object_keyed_by_id_is_read() -> None:
    reply = json.dumps({"2507.00010": {"COMMENT": "a", "RELEVANCE": 9, "NOVELTY": 8},
                        "2507.00011": {"COMMENT": "b", "RELEVANCE": 2, "NOVELTY": 3}})
    parsed = parse_abstract_reply(reply, ["2507.00010", "2507.00011"])
    assert {i: (s.relevance, s.novelty) for i, s in parsed.items.items()} == {
        "2507.00010": (9, 8), "2507.00011": (2, 3)}


def test_with_no_model_set_a_local_server_names_its_model_and_no_dollars_are_claimed(
        store: Store) -> None:
    papers = day_papers()[:8]
    with FakeLLM(models=["smollm2-135m"]) as server:
        judge = judge_for(store, server, title_stage=False)
        result = judge.judge(papers)
    assert judge.model == "smollm2-135m"
    assert {b["model"] for b in server.bodies} == {"smollm2-135m"}
    assert result.usage.prompt_tokens > 0 and result.usage.cost is None
    assert any("price of model smollm2-135m unknown" in n for n in result.notes)


@pytest.mark.slow  # the server's 12 s of "busy"
def test_a_server_busy_with_an_earlier_generation_is_waited_for_when_asked_its_model(
        store: Store) -> None:
    # CI: the real llama server finished a request an earlier test had given up on before it
    # answered /v1/models, 10 s were too short, and the run failed with "no reply".
    with FakeLLM(models=["smollm2-135m"], models_delay=12.0) as server:
        judge = judge_for(store, server, title_stage=False)
        judge.judge(day_papers()[:2])
    assert judge.model == "smollm2-135m"


def test_gpt_4o_on_a_server_that_is_not_openai_is_not_billed_at_openai_prices(store: Store) -> None:
    with FakeLLM() as server:
        result = judge_for(store, server, title_stage=False, model="gpt-4o").judge(day_papers()[:4])
    assert result.usage.cost is None


def test_a_server_with_several_models_is_a_one_line_error(store: Store) -> None:
    with FakeLLM(models=["llama3", "qwen2.5"]) as server, pytest.raises(ConfigError) as err:
        judge_for(store, server).judge(day_papers()[:4])
    assert "serves several models (llama3, qwen2.5); set judge.model" in str(err.value)


def test_the_token_cap_stops_an_unpriced_model(store: Store) -> None:
    with FakeLLM(models=["local"]) as server:
        result = judge_for(store, server, title_stage=False, token_cap=20_000,
                           concurrency=1).judge(day_papers()[:40])
    outcomes = Counter(j.outcome for j in result.judgements)
    assert outcomes[Outcome.COST_CAP] > 0 and outcomes[Outcome.JUDGED] > 0
    assert result.usage.total_tokens <= 20_000
    assert any(n.startswith("token cap 20000 reached") for n in result.notes)


def test_structured_output_falls_back_when_refused_and_is_remembered(store: Store) -> None:
    papers = day_papers()[:16]
    with FakeLLM(refuse_formats={"json_schema"}, structured_answers=True) as server:
        first = judge_for(store, server, title_stage=False, concurrency=1).judge(papers[:8])
        kinds = [(b.get("response_format") or {}).get("type") for b in server.bodies]
        assert kinds[0] == "json_schema" and set(kinds[1:]) == {"json_object"}
        assert all(j.outcome is Outcome.JUDGED for j in first.judgements)
        schema = server.bodies[1]["response_format"]["schema"]
        assert schema["required"] == [p.id for p in papers[:4]]
        assert schema["properties"][papers[0].id]["properties"]["RELEVANCE"]["enum"] == list(
            range(1, 11))
        before = len(server.bodies)
        judge_for(store, server, title_stage=False).judge(papers[8:])
        later = [(b.get("response_format") or {}).get("type") for b in server.bodies[before:]]
    assert later == ["json_object", "json_object"]  # no second refusal: remembered
    assert first.calls == 3


def test_a_batch_refused_for_its_length_is_not_sent_at_that_size_again(store: Store) -> None:
    papers = day_papers()[:16]

    def short_context(info: CallInfo) -> Scripted | None:
        if len(info.ids) > 2:
            return Scripted(status=400, error="This model's maximum context length is 2048 tokens"
                                              " (context_length_exceeded)")
        return None

    with FakeLLM(script=short_context) as server:
        judge_for(store, server, title_stage=False, structured="off").judge(papers[:8])
        assert [len(c.ids) for c in server.log] == [4, 4, 2, 2, 2, 2]
        before = server.calls
        result = judge_for(store, server, title_stage=False, structured="off").judge(papers[8:])
    assert [len(c.ids) for c in server.log[before:]] == [2, 2, 2, 2]
    assert all(j.outcome is Outcome.JUDGED for j in result.judgements)


def test_a_reasoning_model_gets_no_temperature_and_pays_for_its_thinking(store: Store) -> None:
    priced_like_openai()
    with FakeLLM(models=["o4-mini"]) as server:
        result = judge_for(store, server, title_stage=False, model="o4-mini").judge(day_papers()[:8])
    assert all(j.outcome is Outcome.JUDGED for j in result.judgements)
    assert [c.status for c in server.log] == [200, 200]
    body = server.bodies[0]
    assert "temperature" not in body and "max_tokens" not in body
    assert body["max_completion_tokens"] == 4 * 160 + 64 + 4096
    visible = sum(len(c.content) // 4 for c in server.log)
    assert result.usage.completion_tokens == visible + 2 * 100
    assert result.usage.completion_cost == pytest.approx(result.usage.completion_tokens * 4.40 / 1e6)


def test_negative_usage_is_unknown_never_a_negative_cost(store: Store) -> None:
    priced_like_openai()
    with FakeLLM(usage="negative") as server:
        result = judge_for(store, server, title_stage=False).judge(day_papers()[:8])
    assert result.usage.cost is None and result.usage.prompt_tokens == 0
    assert any("no usable token counts" in n for n in result.notes)
    costs = [r[0] for r in store.conn.execute("SELECT cost FROM llm_calls")]
    assert costs == [None, None]


def test_missing_usage_does_not_switch_the_cost_cap_off(store: Store) -> None:
    priced_like_openai()
    with FakeLLM(usage="missing") as server:
        result = judge_for(store, server, title_stage=False, cost_cap=0.05,
                           concurrency=1).judge(day_papers()[:100])
    outcomes = Counter(j.outcome for j in result.judgements)
    assert outcomes[Outcome.COST_CAP] > 0 and outcomes[Outcome.JUDGED] > 0
    assert server.calls < 25


@pytest.mark.parametrize("url", ["http://127.0.0.1:abc/v1", "http://127.0.0.1:99999/v1",
                                 "http://[::1/v1", "http://[zz::1]:8000/v1"])
def test_a_bad_port_or_ipv6_address_is_a_config_error_before_any_request(
        store: Store, monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", url)
    with pytest.raises(ConfigError) as err:
        LLMJudge(profile(), store, api_key="test-key")
    assert str(err.value).startswith("OPENAI_BASE_URL ") and "\n" not in str(err.value)
    assert "test-key" not in str(err.value)


def test_the_local_fallback_does_not_import_openai() -> None:
    code = ("import sys; from papersieve.profile import load_profile; from papersieve.store import "
            "open_store; from papersieve.judges.factory import make_judge; "
            "judge, notes = make_judge(load_profile(), open_store()); "
            "print(judge.name, 'openai' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["local", "False"]


def test_a_one_slot_server_is_not_sent_a_queue_of_requests(store: Store) -> None:
    with FakeLLM(one_slot=True, latency=1.0) as server:
        result = judge_for(store, server, title_stage=False, concurrency=8).judge(day_papers()[:32])
    assert all(j.outcome is Outcome.JUDGED for j in result.judgements)
    # It starts with one, tries two, sees one of them wait, and goes back to one; before, all 8
    # batches queued at once.
    assert server.calls == 8 and server.most_in_flight == 2


def test_published_slots_cap_the_requests_in_flight(store: Store) -> None:
    with FakeLLM(published_slots=2, latency=0.2) as server:
        judge_for(store, server, title_stage=False, concurrency=8).judge(day_papers()[:32])
    assert server.calls == 8 and server.most_in_flight == 2


def test_a_timed_out_batch_is_not_resent_as_it_was(store: Store) -> None:
    papers = day_papers()[:4]
    with FakeLLM(faults={0: "slow"}, slow_seconds=2.0) as server:
        judge = LLMJudge(profile(title_stage=False), store, api_key="k", base_url=server.url,
                         timeout=0.5, backoff=0.01)
        result = judge.judge(papers)
    assert all(j.outcome is Outcome.JUDGED for j in result.judgements)
    assert [len(c.ids) for c in server.log] == [4, 2, 2]  # fewer papers, not the same request


def test_a_retry_after_that_is_no_number_is_no_wait_of_nan_seconds() -> None:
    """A server's `Retry-After: nan` was read with float() into a wait of nan seconds (sleep
    raises on it); it goes through the one Retry-After parser now, dates included."""
    from types import SimpleNamespace

    from papersieve.judges.llm.client import MAX_RETRY_AFTER, _retry_after

    def wait(value: str) -> float | None:
        return _retry_after(SimpleNamespace(headers={"retry-after": value}))

    assert wait("nan") is None and wait("soon") is None
    assert wait("7") == 7.0
    assert wait("Thu, 01 Jan 2099 00:00:00 GMT") == MAX_RETRY_AFTER
