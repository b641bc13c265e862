"""A store write that fails right after a paid LLM reply arrived (a full disk, an I/O error),
made to happen at exactly that point: the call's record and the verdicts it paid for are
kept together or not at all, so the rerun never asks again for a paper whose answer is
recorded, and no paper ends up in two recorded answers.

The failure is a real SQLite error: a temporary trigger on the judge's own connection makes
every insert into `judgements` fail with an OperationalError (as a full disk would), until it
is dropped. The kill tests (tests/test_faults_kill.py) can only hit this point by chance.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections import Counter

import pytest

from papersieve.errors import StoreError
from papersieve.ingest import load_offline_day
from papersieve.judges.llm import LLMJudge
from papersieve.judges.llm.parsing import parse_abstract_reply
from papersieve.models import Outcome
from papersieve.store import Store
from tests.conftest import DATA
from tests.llm_helpers import day_papers, profile
from tests.servers.llm_server import FakeLLM

BREAK = ("CREATE TEMP TRIGGER disk_full BEFORE INSERT ON main.judgements"
         " BEGIN INSERT INTO no_space_left VALUES (1); END")


def answered_per_paper(store: Store) -> Counter[str]:
    """How many recorded `ok` abstract calls answered each paper (read from their raw replies)."""
    counts: Counter[str] = Counter()
    for ids, raw in store.conn.execute(
            "SELECT paper_ids, raw_reply FROM llm_calls WHERE stage = 'abstract' AND status = 'ok'"):
        counts.update(list(parse_abstract_reply(raw, json.loads(ids)).items))
    return counts


def judged(store: Store) -> set[str]:
    return {r[0] for r in store.conn.execute(
        "SELECT paper_id FROM judgements WHERE outcome = 'judged'")}


@pytest.mark.sqlite_only(reason="breaks writes with a SQLite TEMP trigger")
def test_a_failed_write_after_a_reply_keeps_neither_the_call_nor_its_verdicts(store: Store) -> None:
    papers = day_papers()[:24]
    with FakeLLM() as server:
        judge = LLMJudge(profile(concurrency=1, title_stage=False), store, api_key="test-key",
                         base_url=server.url, timeout=5.0, backoff=0.01)
        store.conn.execute(BREAK)
        with pytest.raises(StoreError, match="no such table: no_space_left"):
            judge.judge(papers)
        assert server.calls >= 1  # the reply came back (and was billed) before the write failed
        # Whatever the store says was answered, it also holds the verdict of.
        assert set(answered_per_paper(store)) <= judged(store)
        store.conn.execute("DROP TRIGGER disk_full")  # space is freed
        result = judge.judge(papers)
    assert all(j.outcome is Outcome.JUDGED for j in result.judgements)
    answered = answered_per_paper(store)
    assert set(answered) == {p.id for p in papers}
    assert max(answered.values()) == 1, answered.most_common(3)


@pytest.mark.sqlite_only(reason="breaks writes with a SQLite TEMP trigger")
def test_a_failed_write_stores_no_half_day(store: Store) -> None:
    """The listings of a day go into the store in one transaction: when the second category's
    write fails, the first one's is not left behind as a day with a category missing."""
    load_offline_day(store, DATA / "realworld", dt.date(2025, 7, 1), ["cs.LG", "cs.AI"])
    store.conn.execute("CREATE TEMP TRIGGER fail_ai BEFORE INSERT ON main.listings"
                       " WHEN NEW.category = 'cs.AI' BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END")
    with pytest.raises(sqlite3.IntegrityError, match="disk I/O error"):
        load_offline_day(store, DATA / "realworld", dt.date(2025, 7, 2), ["cs.LG", "cs.AI"])
    assert [tuple(r) for r in store.conn.execute(
        "SELECT requested_date, category FROM listings ORDER BY id")] == [
        ("2025-07-01", "cs.LG"), ("2025-07-01", "cs.AI")]
