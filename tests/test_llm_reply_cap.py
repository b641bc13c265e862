"""A raw LLM reply is stored capped: its head and a marker of the dropped size (a hostile server's
30 MB replies made a 126 MB store in four calls)."""

from __future__ import annotations

import json

from papersieve.judges.llm import LLMJudge
from papersieve.models import Outcome
from papersieve.store import Store
from papersieve.store.llm_calls import MAX_RAW_REPLY, CallRecord, capped_reply, record_call
from tests.llm_helpers import day_papers, profile
from tests.servers.llm_server import CallInfo, FakeLLM


def test_capped_reply_keeps_the_head_and_says_what_was_dropped() -> None:
    assert capped_reply("abc", limit=3) == "abc"
    assert capped_reply("abcdef", limit=4) == "abcd\n[papersieve: 2 more characters not stored]"


def test_record_call_caps_the_stored_reply(store: Store) -> None:
    huge = "x" * (MAX_RAW_REPLY + 5_000_000)
    record_call(store, CallRecord("h", "gpt-4o", "abstract", ("2507.00001",), "ok", raw_reply=huge))
    stored = store.conn.execute("SELECT raw_reply FROM llm_calls").fetchone()[0]
    assert stored == "x" * MAX_RAW_REPLY + "\n[papersieve: 5000000 more characters not stored]"


def test_a_huge_reply_from_the_server_is_judged_and_stored_capped(store: Store) -> None:
    papers = day_papers()[:2]

    def padded(info: CallInfo) -> str:
        lines = [json.dumps(server.scores(i)) for i in info.ids]
        return "\n".join(lines) + "\n" + " " * 3_000_000

    with FakeLLM(script=padded) as server:
        judge = LLMJudge(profile(title_stage=False), store, api_key="test-key",
                         base_url=server.url, timeout=5.0, backoff=0.01)
        result = judge.judge(papers)
    assert all(j.outcome is Outcome.JUDGED for j in result.judgements)
    sizes = [r[0] for r in store.conn.execute("SELECT length(raw_reply) FROM llm_calls")]
    assert sizes and max(sizes) <= MAX_RAW_REPLY + 60
