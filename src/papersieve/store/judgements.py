"""Judgements: every verdict and every recorded reason for no verdict, and the judgement cache."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence

from papersieve.errors import StoreError
from papersieve.models import Judgement, Outcome, Paper
from papersieve.store.db import Store, utcnow
from papersieve.store.folding import folded_verdicts


def save_judgements(
    store: Store,
    judgements: Iterable[Judgement],
    papers: Mapping[str, Paper],
    run_id: int | None = None,
    stage: str = "",
) -> list[int]:
    """Record judgements in one transaction; returns their row ids in order.

    One `executemany` (a group's day saves a million rows: a statement per row was a third of
    each member's run); the new rows are those past the largest id before it, in order, since
    the transaction holds the write lock and each new row id is the largest plus one."""
    now = utcnow()
    rows = []
    for j in judgements:
        paper = papers.get(j.paper_id)
        rows.append((j.paper_id, run_id, j.judge, stage, j.model, j.prompt_hash,
                     paper.content_hash if paper else "", j.outcome.value, j.relevance, j.novelty,
                     j.comment, j.detail, now, j.tldr, j.tldr_kind, j.language))
    if not rows:
        return []
    with store.transaction() as conn:
        before = int(conn.execute("SELECT COALESCE(MAX(id), 0) FROM judgements").fetchone()[0])
        conn.executemany(
            "INSERT INTO judgements (paper_id, run_id, judge, stage, model, prompt_hash,"
            " content_hash, outcome, relevance, novelty, comment, detail, created_at, tldr,"
            " tldr_kind, language) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        ids = [int(r[0]) for r in conn.execute("SELECT id FROM judgements WHERE id > ? ORDER BY id",
                                                 (before,))]
    if len(ids) != len(rows):  # cannot happen under the write lock; never pair rows wrongly
        raise StoreError(f"cannot write the store at {store.path}: saved {len(rows)} judgements but"
                         f" found {len(ids)} new rows")
    return ids


def judgement_from_row(row: sqlite3.Row) -> Judgement:
    """Rebuild a `Judgement` from a `judgements` row."""
    return Judgement(
        paper_id=row["paper_id"],
        outcome=Outcome(row["outcome"]),
        judge=row["judge"],
        model=row["model"],
        prompt_hash=row["prompt_hash"],
        relevance=row["relevance"],
        novelty=row["novelty"],
        comment=row["comment"],
        detail=row["detail"],
        tldr=row["tldr"],
        tldr_kind=row["tldr_kind"],
        language=row["language"],
    )


def cached_judgements(
    store: Store,
    judge: str,
    stage: str,
    model: str,
    prompt_hash: str,
    papers: Sequence[Paper],
    outcomes: Iterable[Outcome] = (Outcome.JUDGED,),
) -> dict[str, Judgement]:
    """Earlier judgements with the same judge, stage, model, prompt hash and paper text.

    Only outcomes in `outcomes` are reused: a failure is retried on the next run, a verdict is not.
    """
    wanted = {o.value for o in outcomes}
    found: dict[str, Judgement] = {}
    missing: dict[str, str] = {}
    for paper in papers:
        text_hash = _judged_text_hash(store, paper)
        row = store.conn.execute(
            "SELECT * FROM judgements WHERE judge = ? AND stage = ? AND model = ?"
            " AND prompt_hash = ? AND paper_id = ? AND content_hash = ?"
            " ORDER BY id DESC LIMIT 1",
            (judge, stage, model, prompt_hash, paper.id, text_hash),
        ).fetchone()
        if row is None:
            missing[paper.id] = text_hash
        elif row["outcome"] in wanted:
            found[paper.id] = judgement_from_row(row)
    # A run folded after `[store] compact_after_days` keeps its verdicts in one compact row.
    for paper_id, verdicts in folded_verdicts(store, missing).items():
        latest = [v for v in verdicts if (v.judge, v.stage, v.model, v.prompt_hash, v.content_hash)
                  == (judge, stage, model, prompt_hash, missing[paper_id])][-1:]
        if latest and latest[0].judgement.outcome.value in wanted:
            found[paper_id] = latest[0].judgement
    return found


def _judged_text_hash(store: Store, paper: Paper) -> str:
    """The hash of the text the paper was judged on: for a paper read back from the store after
    its abstract was pruned (`[store] keep_text_days`), the one its row still holds, so that the
    verdict paid for is found again rather than billed twice."""
    if paper.abstract:
        return paper.content_hash
    row = store.conn.execute("SELECT content_hash FROM papers_data WHERE id = ? AND abstract = ''",
                             (paper.id,)).fetchone()
    return str(row[0]) if row is not None else paper.content_hash


def judgements_for_paper(store: Store, paper_id: str) -> list[sqlite3.Row]:
    """Every judgement a paper received, oldest first, with its run's date."""
    return store.conn.execute(
        "SELECT j.*, r.date AS run_date FROM judgements j LEFT JOIN runs r ON r.id = j.run_id"
        " WHERE j.paper_id = ? ORDER BY j.id",
        (paper_id,),
    ).fetchall()
