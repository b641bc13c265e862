"""Each distinct prompt a run sent is stored once (migration 18), and rebuilt digests show it.

A year of scheduled runs kept 250 copies of the same ~6.6 KB prompt, one in each `runs` row
(bench/RESULTS.md, issue 16); a run recorded that way is moved at the next pruning.
"""

from __future__ import annotations

import datetime as dt

from papersieve.digests import load_digest, save_run_details
from papersieve.models import PromptText, Usage
from papersieve.store import Store
from papersieve.store.retention import prune_store
from papersieve.store.runs import finish_run, start_run

PROMPT = PromptText("You judge papers.", "My interests: " + "graph neural networks, " * 200, '{"a": 1}')


def _run(store: Store, day: int, prompt: PromptText) -> int:
    run_id = start_run(store, "default", dt.date(2025, 6, day), "llm", "gpt-4o", "h")
    save_run_details(store, run_id, Usage(), prompt, ["a note"], "out")
    finish_run(store, run_id, "done")
    return run_id


def _in_runs(store: Store) -> int:
    """Bytes of prompt text held by the runs' own rows."""
    return int(store.conn.execute("SELECT SUM(length(prompt_system) + length(prompt_user)"
                                  " + length(prompt_schema)) FROM runs").fetchone()[0])


def test_runs_with_the_same_prompt_store_its_text_once(store: Store) -> None:
    other = PromptText(PROMPT.system, PROMPT.user + "and proofs.", PROMPT.schema)
    runs = [_run(store, 2, PROMPT), _run(store, 3, PROMPT), _run(store, 4, other), _run(store, 5, PROMPT)]
    assert store.conn.execute("SELECT COUNT(*) FROM prompt_texts").fetchone()[0] == 2
    assert _in_runs(store) == 0
    assert [load_digest(store, r).prompt for r in runs] == [PROMPT, PROMPT, other, PROMPT]


def test_a_run_recorded_with_its_prompt_in_its_row_is_moved_at_the_next_pruning(store: Store) -> None:
    runs = [_run(store, 2, PROMPT), _run(store, 3, PROMPT)]
    with store.transaction() as conn:  # as a run recorded before migration 18 has it
        conn.execute("UPDATE runs SET prompt_text_key = '', prompt_system = ?, prompt_user = ?,"
                     " prompt_schema = ? WHERE id = ?", (PROMPT.system, PROMPT.user, PROMPT.schema, runs[0]))
        conn.execute("DELETE FROM prompt_texts")
    assert load_digest(store, runs[0]).prompt == PROMPT
    assert prune_store(store, 30)["run prompts stored once"] == 1
    assert _in_runs(store) == 0
    assert store.conn.execute("SELECT COUNT(*) FROM prompt_texts").fetchone()[0] == 1
    assert [load_digest(store, r).prompt for r in runs] == [PROMPT, PROMPT]
    assert prune_store(store, 30)["run prompts stored once"] == 0
