"""The LLM judge for a crowd (issue 19): one rate limit and one bound on requests in flight per
server across profiles, each profile's prompt prefix byte-identical across its calls, and a
group cost cap on top of each profile's own, against the loopback OpenAI-compatible server."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from papersieve.judges.interface import JudgeResult
from papersieve.judges.llm.crowd import LLMCrowd
from papersieve.models import Outcome
from papersieve.profile.fields import field_template
from papersieve.profile.loader import Profile, builtin_profile_dir, profile_from_files, read_profile_folder
from papersieve.store import open_store
from papersieve.store.db import Store
from tests.llm_helpers import day_papers, priced_like_openai
from tests.servers.llm_server import FakeLLM


def _profile(name: str, topics: str | None, base_url: str, **judge: object) -> Profile:
    files = read_profile_folder(builtin_profile_dir())
    if topics is not None:
        files["topics.txt"] = topics
    values: dict[str, object] = {"judge.kind": "llm", "judge.base_url": base_url, "judge.title_stage": False,
                                 "judge.calls_per_minute": 10_000, "judge.abstract_batch": 4}
    values.update({f"judge.{k}": v for k, v in judge.items()})
    return profile_from_files(files, name, values)


@pytest.fixture(autouse=True)
def key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")


def test_profiles_judged_side_by_side_share_one_bound_per_server(store: Store) -> None:
    papers = day_papers()[:24]
    with FakeLLM(latency=0.2, models=("test-model",)) as server:
        profiles = [_profile("ml", None, server.url, concurrency=4),
                    _profile("nlp", field_template("cs.CL").topics, server.url, concurrency=2),
                    _profile("vision", field_template("cs.CV").topics, server.url, concurrency=4)]
        crowd = LLMCrowd(store, profiles)

        def judge(profile: Profile) -> JudgeResult:
            # A thread's own connection, as a group run that judges profiles side by side has.
            with open_store(store.path) as own:
                return crowd.judge_with(profile, own).judge(papers)

        with ThreadPoolExecutor(3) as pool:
            results = list(pool.map(judge, profiles))
    assert crowd.servers == 1
    assert crowd.share_for(profiles[0]).limiter is crowd.share_for(profiles[2]).limiter
    # Alone, "ml" and "vision" would each keep 4 requests in flight: 8 at once, side by side.
    assert server.most_in_flight == 2
    assert all(len(r.judgements) == len(papers) for r in results)
    assert all(j.outcome is Outcome.JUDGED for r in results for j in r.judgements)


def test_a_second_server_gets_its_own_share(store: Store) -> None:
    with FakeLLM(models=("a",)) as first, FakeLLM(models=("b",)) as second:
        profiles = [_profile("a", None, first.url), _profile("b", None, second.url)]
        crowd = LLMCrowd(store, profiles)
        assert crowd.servers == 2
        assert crowd.share_for(profiles[0]) is not crowd.share_for(profiles[1])


def test_each_profiles_calls_begin_with_its_own_byte_identical_prefix(store: Store) -> None:
    papers = day_papers()[:16]
    with FakeLLM(models=("test-model",)) as server:
        profiles = [_profile("ml", None, server.url, concurrency=1),
                    _profile("nlp", field_template("cs.CL").topics, server.url, concurrency=1)]
        crowd = LLMCrowd(store, profiles)
        for profile in profiles:
            crowd.judge_for(profile).judge(papers)
    bodies = [b for b in server.bodies if "messages" in b]
    assert len(bodies) == 8  # 16 papers in batches of 4, per profile
    for profile, sent in zip(profiles, (bodies[:4], bodies[4:]), strict=True):
        prompts = profile.prompts
        assert {b["messages"][0]["content"] for b in sent} == {prompts.system}
        prefix = prompts.topics + "\n\n" + prompts.criteria + "\n\n"
        assert all(b["messages"][1]["content"].startswith(prefix) for b in sent), profile.name
    assert bodies[0]["messages"][1]["content"][:200] != bodies[4]["messages"][1]["content"][:200]


def test_the_group_cost_cap_stops_the_profiles_that_come_after_it(store: Store) -> None:
    priced_like_openai()
    papers = day_papers()[:12]
    with FakeLLM(models=("gpt-4o",)) as server:
        # Different topics: a profile with the same prompt would reuse the first one's verdicts.
        profiles = [_profile(name, field_template(field).topics, server.url, model="gpt-4o",
                             cost_cap=1.0, concurrency=1)
                    for name, field in (("first", "cs.LG"), ("second", "cs.CL"), ("third", "cs.CV"))]
        crowd = LLMCrowd(store, profiles, cost_cap=0.02)
        results = [crowd.judge_for(p).judge(papers) for p in profiles]
    spent = crowd.budget.spent_by
    assert spent["first"] > 0 and sum(spent.values()) == pytest.approx(crowd.budget.spent)
    # Each profile's own cap (1 dollar) would let all three judge everything.
    capped = [sum(j.outcome is Outcome.COST_CAP for j in r.judgements) for r in results]
    assert capped[0] < len(papers) and capped[-1] == len(papers), capped
    assert crowd.budget.spent <= 0.02 + max(spent.values())


def test_the_group_cap_is_the_smallest_set_and_zero_means_none(store: Store) -> None:
    profiles = [_profile("a", None, "http://127.0.0.1:9/v1", group_cost_cap=5.0),
                _profile("b", None, "http://127.0.0.1:9/v1", group_cost_cap=2.0),
                _profile("c", None, "http://127.0.0.1:9/v1")]
    assert LLMCrowd(store, profiles).budget.cap == 2.0
    assert LLMCrowd(store, profiles[2:]).budget.cap == 0.0
    assert LLMCrowd(store, profiles[2:]).budget.cap_for(1.0) == 1.0
