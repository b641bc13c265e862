"""Runs: one profile x one announcement day, with counts, tokens, cost, timings and outcomes."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from collections.abc import Iterable, Mapping

from papersieve.models import SEEN_OUTCOMES, DayCounts, Outcome, Usage
from papersieve.store.db import Store, utcnow
from papersieve.store.folding import folded_outcomes


def start_run(
    store: Store, profile: str, date: dt.date, judge: str, model: str = "", prompt_hash: str = ""
) -> int:
    """Open a run in status `running`; returns its id."""
    with store.transaction() as conn:
        cursor = conn.execute(
            "INSERT INTO runs (profile, date, judge, model, prompt_hash, status, started_at, pid)"
            " VALUES (?, ?, ?, ?, ?, 'running', ?, ?)",
            (profile, date.isoformat(), judge, model, prompt_hash, utcnow(), os.getpid()),
        )
        return int(cursor.lastrowid or 0)


def finish_run(
    store: Store,
    run_id: int,
    status: str,
    counts: DayCounts | None = None,
    usage: Usage | None = None,
    timings: Mapping[str, float] | None = None,
    message: str = "",
) -> None:
    """Close a run with its final status, counts, tokens, cost and timings."""
    usage = usage or Usage()
    with store.transaction() as conn:
        conn.execute(
            "UPDATE runs SET status = ?, finished_at = ?, total = ?, scanned = ?,"
            " unique_count = ?, relevant = ?, prompt_tokens = ?, completion_tokens = ?,"
            " cached_tokens = ?, cost = ?, timings = ?, message = ? WHERE id = ?",
            (
                status, utcnow(),
                counts.total if counts else None, counts.scanned if counts else None,
                counts.unique if counts else None, counts.relevant if counts else None,
                usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens, usage.cost,
                json.dumps(dict(timings or {})), message, run_id,
            ),
        )


def record_outcomes(
    store: Store,
    run_id: int,
    outcomes: Iterable[tuple[str, Outcome, int | None, bool, int | None]],
    candidates: int | None = None,
) -> None:
    """Set each candidate's one outcome: (paper id, outcome, judgement id, picked, rank).

    `candidates` is the run's number of candidates when some of them are not among `outcomes`
    (folded at once, `outcomes.record`); the pages read it instead of counting rows."""
    with store.transaction() as conn:
        conn.executemany(
            "INSERT OR REPLACE INTO run_candidates (run_id, paper_id, outcome, judgement_id,"
            " picked, rank) VALUES (?, ?, ?, ?, ?, ?)",
            [(run_id, pid, o.value, jid, int(picked), rank) for pid, o, jid, picked, rank in outcomes],
        )
        if candidates is not None:
            conn.execute("UPDATE runs SET candidates = ? WHERE id = ?", (candidates, run_id))


def get_run(store: Store, run_id: int) -> sqlite3.Row | None:
    """One run row."""
    row: sqlite3.Row | None = store.conn.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
    return row


def latest_run(store: Store, profile: str | None = None, status: str = "done") -> sqlite3.Row | None:
    """The newest run (by date, then id) with this status, optionally of one profile."""
    sql = "SELECT * FROM runs WHERE status = ?"
    params: list[object] = [status]
    if profile:
        sql += " AND profile = ?"
        params.append(profile)
    row: sqlite3.Row | None = store.conn.execute(
        sql + " ORDER BY date DESC, id DESC LIMIT 1", params
    ).fetchone()
    return row


def list_runs(store: Store, limit: int = 200) -> list[sqlite3.Row]:
    """Newest runs first."""
    return store.conn.execute(
        "SELECT * FROM runs ORDER BY date DESC, id DESC LIMIT ?", (limit,)
    ).fetchall()


_CHUNK = 500


def papers_judged_before(
    store: Store, profile: str, date: dt.date, among: Iterable[str] | None = None
) -> frozenset[str]:
    """Ids that a finished run of this profile decided on an earlier day (cross-day dedup).

    Which outcomes count is `Outcome.counts_as_seen`: a paper that failed or hit the cost cap
    was never decided and is judged again when it is listed again.

    With `among` (the day's ids), only those are looked up, through the paper index: a year of
    history holds ~100,000 judged ids, and reading them all cost a day 160 ms (bench/growth.py).
    """
    # CROSS JOIN keeps run_candidates the outer loop, driven by the paper index; left to itself
    # the planner walked every earlier run and probed each of the day's ids in it (18 ms vs 1-3 ms
    # for 215 ids against a year of runs).
    sql = ("SELECT DISTINCT rc.paper_id FROM run_candidates rc CROSS JOIN runs r ON r.id = rc.run_id"
           " WHERE r.profile = ? AND r.date < ? AND r.status = 'done'"
           f" AND rc.outcome IN ({', '.join('?' for _ in SEEN_OUTCOMES)})")
    params: list[object] = [profile, date.isoformat(), *SEEN_OUTCOMES]
    if among is None:
        whole = sql.replace("CROSS JOIN", "JOIN")  # every id: the runs index is the right start
        every = {str(r[0]) for r in store.conn.execute(whole, params)}
        folded = folded_outcomes(store, profile, date, None)
        return frozenset(every | {p for p, outcomes in folded.items() if outcomes & set(SEEN_OUTCOMES)})
    ids = sorted(set(among))
    if _by_runs(store, profile, date):
        # A group: each id has a row per member that saw it, so probing each of this profile's
        # earlier runs for the day's ids (the primary key) visits far fewer rows.
        sql = sql.replace("FROM run_candidates rc CROSS JOIN runs r ON r.id = rc.run_id",
                          "FROM runs r CROSS JOIN run_candidates rc ON rc.run_id = r.id")
    found: set[str] = set()
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        rows = store.conn.execute(
            sql + f" AND rc.paper_id IN ({', '.join('?' for _ in chunk)})", [*params, *chunk])
        found.update(str(r[0]) for r in rows)
    # Runs folded after `[store] compact_after_days` (store/folding.py) hold their unpicked
    # candidates in one compact row each.
    folded = folded_outcomes(store, profile, date, set(ids) - found)
    found.update(p for p, outcomes in folded.items() if outcomes & set(SEEN_OUTCOMES))
    return frozenset(found)


def _by_runs(store: Store, profile: str, date: dt.date) -> bool:
    """True when the profile's earlier runs are fewer than the store's profiles with runs: then
    its runs, not the papers' rows of every profile, should drive the look-up (issue 19: with a
    thousand profiles the paper-driven look-up grew with the square of their number)."""
    # One statement (one round trip to a PostgreSQL server per group member, not two).
    earlier, others = store.conn.execute(
        "SELECT (SELECT COUNT(*) FROM runs WHERE profile = ? AND date < ?),"
        " (SELECT COUNT(*) FROM (SELECT DISTINCT profile FROM runs) AS profiles)",
        (profile, date.isoformat())).fetchone()
    return int(earlier) < int(others)
