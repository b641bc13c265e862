"""The digest's token table is the day's real spend, including runs that died after paying."""

from __future__ import annotations

import datetime as dt

from papersieve.digests import earlier_usage, save_run_details
from papersieve.models import Usage
from papersieve.store import open_store
from papersieve.store.llm_calls import CallRecord, record_call
from papersieve.store.runs import finish_run, start_run

DAY = dt.date(2025, 7, 3)


def test_earlier_usage_counts_the_calls_of_failed_and_finished_runs() -> None:
    with open_store() as store:
        killed = start_run(store, "me", DAY, "llm", "gpt-4o", "abc")
        record_call(store, CallRecord("h1", "gpt-4o", "abstract", ("2507.00001",), "ok",
                                      prompt_tokens=1_000_000, completion_tokens=100_000,
                                      run_id=killed))
        finish_run(store, killed, "failed", message="interrupted")
        done = start_run(store, "me", DAY, "llm", "gpt-4o", "abc")
        # A finished run carries its own totals (here: 400,000 cached prompt tokens, $0.50).
        finish_run(store, done, "done", usage=Usage(400_000, 0, 400_000, 0.5, 0.0))
        save_run_details(store, done, Usage(400_000, 0, 400_000, 0.5, 0.0), None, [], "")
        other_prompt = start_run(store, "me", DAY, "llm", "gpt-4o", "zzz")
        record_call(store, CallRecord("h3", "gpt-4o", "abstract", ("2507.00003",), "ok",
                                      prompt_tokens=5, run_id=other_prompt))
        finish_run(store, other_prompt, "done")
        now = start_run(store, "me", DAY, "llm", "gpt-4o", "abc")

        usage = earlier_usage(store, "me", DAY, "llm", "gpt-4o", "abc", now)

    assert (usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens) == (
        1_400_000, 100_000, 400_000)
    # gpt-4o: $2.50 per 1M prompt tokens, $1.25 per 1M cached ones, $10 per 1M completion tokens.
    assert usage.prompt_cost == 2.5 + 0.5 and usage.completion_cost == 1.0
