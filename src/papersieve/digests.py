"""Build a day's `Digest` from a run's results, and rebuild it later from the store.

The digest's token/cost table shows what the day's judgements cost: this run's new tokens plus
those of earlier finished runs of the same profile, day, judge, model and prompt whose cached
judgements it reused, so a rerun prints the same digest while spending nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Sequence

from papersieve.errors import StoreError
from papersieve.models import DayCounts, Digest, Judgement, Outcome, Paper, Pick, PromptText, Usage
from papersieve.store.db import Store
from papersieve.store.folding import folded_candidates
from papersieve.store.judgements import judgement_from_row
from papersieve.store.papers import get_papers
from papersieve.store.prompt_texts import run_prompt, save_prompt

NO_PROMPT = PromptText("", "")


def build_digest(
    *, date: dt.date, profile: str, judge: str, model: str, prompt_hash: str, counts: DayCounts,
    usage: Usage, picks: Sequence[Pick], judgements: Sequence[Judgement],
    papers: dict[str, Paper], prompt: PromptText | None, run_id: int | None,
    notes: Sequence[str] = (), tldr_in_markdown: bool = False,
) -> Digest:
    """A Digest; `counts.relevant` is set to the number of picks."""
    counts = DayCounts(counts.total, counts.scanned, counts.unique, len(picks))
    return Digest(date=date, model=model, counts=counts, usage=usage, picks=tuple(picks),
                  prompt=prompt or NO_PROMPT, judgements=tuple(judgements), papers=papers,
                  judge=judge, prompt_hash=prompt_hash, profile=profile, run_id=run_id,
                  notes=tuple(notes), tldr_in_markdown=tldr_in_markdown)


def run_usage(row: sqlite3.Row) -> Usage:
    """The new tokens and dollars of one run (cost parts None when the price was unknown)."""
    unknown = row["cost"] is None and (row["prompt_tokens"] or row["completion_tokens"])
    return Usage(
        int(row["prompt_tokens"]), int(row["completion_tokens"]), int(row["cached_tokens"]),
        None if unknown else float(row["prompt_cost"] or 0.0),
        None if unknown else float(row["completion_cost"] or 0.0),
    )


def earlier_usage(store: Store, profile: str, date: dt.date, judge: str, model: str,
                  prompt_hash: str, before_run: int) -> Usage:
    """What earlier runs of the same day and prompt spent (reused through the cache).

    A finished run carries its own totals; a run that was killed or failed after paying for
    some answers is counted from its recorded calls, so the digest's table is the day's real spend.
    """
    total = Usage()
    for row in store.conn.execute(
        "SELECT * FROM runs WHERE profile = ? AND date = ? AND judge = ? AND model = ?"
        " AND prompt_hash = ? AND status IN ('done', 'failed') AND id < ? ORDER BY id",
        (profile, date.isoformat(), judge, model, prompt_hash, before_run),
    ):
        total = total + (run_usage(row) if row["status"] == "done" else calls_usage(store, row["id"]))
    return total


def calls_usage(store: Store, run_id: int) -> Usage:
    """Tokens and dollars of a run's recorded LLM calls, priced by the price table."""
    from papersieve.judges.llm.pricing import price_for, usage_with_cost

    total = Usage()
    for row in store.conn.execute(
        "SELECT model, SUM(prompt_tokens) AS p, SUM(completion_tokens) AS c,"
        " SUM(cached_tokens) AS k FROM llm_calls WHERE run_id = ? GROUP BY model", (run_id,)
    ):
        total = total + usage_with_cost(int(row["p"]), int(row["c"]), int(row["k"]),
                                        price_for(row["model"]))
    return total


def save_run_details(store: Store, run_id: int, usage: Usage, prompt: PromptText | None,
                     notes: Sequence[str], out_dir: str) -> None:
    """The columns of migration V2: cost parts, the prompt as sent (its text stored once,
    migration 18), notes, output folder."""
    prompt = prompt or NO_PROMPT
    with store.transaction() as conn:
        key = save_prompt(conn, prompt.system, prompt.user, prompt.schema)  # once per distinct text
        conn.execute(
            "UPDATE runs SET prompt_cost = ?, completion_cost = ?, prompt_text_key = ?,"
            " prompt_system = '', prompt_user = '', prompt_schema = '', notes = ?, out_dir = ?"
            " WHERE id = ?",
            (usage.prompt_cost, usage.completion_cost, key,
             json.dumps(list(notes), ensure_ascii=False), out_dir, run_id),
        )


def load_digest(store: Store, run_id: int) -> Digest:
    """Rebuild the Digest of a finished run from the store (same as the one it rendered)."""
    run = store.conn.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
    if run is None:
        raise StoreError(f"no run with id {run_id}")
    if run["status"] != "done":
        raise StoreError(f"run {run_id} has no digest (status {run['status']})")
    rows = store.conn.execute(
        "SELECT rc.*, j.id AS jid FROM run_candidates rc LEFT JOIN judgements j"
        " ON j.id = rc.judgement_id WHERE rc.run_id = ? ORDER BY rc.rowid", (run_id,)).fetchall()
    judgements = _with_folded(store, run_id, [_judgement(store, r) for r in rows])
    papers = get_papers(store, [j.paper_id for j in judgements])
    by_id = {j.paper_id: j for j in judgements}
    picked = sorted((r for r in rows if r["picked"]), key=lambda r: r["rank"] or 0)
    picks = [Pick(papers[r["paper_id"]], by_id[r["paper_id"]],
                  pinned=by_id[r["paper_id"]].outcome is Outcome.PINNED_AUTHOR)
             for r in picked if r["paper_id"] in papers]
    date = dt.date.fromisoformat(run["date"])
    usage = earlier_usage(store, run["profile"], date, run["judge"], run["model"],
                          run["prompt_hash"], run_id) + run_usage(run)
    counts = DayCounts(run["total"] or 0, run["scanned"] or 0, run["unique_count"] or 0)
    return build_digest(
        date=date, profile=run["profile"], judge=run["judge"], model=run["model"],
        prompt_hash=run["prompt_hash"], counts=counts, usage=usage, picks=picks,
        judgements=judgements, papers=papers,
        prompt=PromptText(*run_prompt(store, run)),
        run_id=run_id,
        notes=json.loads(run["notes"] or "[]"),
    )


def _with_folded(store: Store, run_id: int, kept: list[Judgement]) -> list[Judgement]:
    """The run's candidates in the order they were recorded, the folded ones
    (`[store] compact_after_days`) back in their places."""
    folded = {c.position: c.final or Judgement(c.paper_id, Outcome(c.outcome), "run")
              for c in folded_candidates(store, run_id)}
    if not folded:
        return kept
    rest = iter(kept)
    merged = [folded.get(i) or next(rest, None) for i in range(len(kept) + len(folded))]
    return [j for j in merged if j is not None]


def _judgement(store: Store, row: sqlite3.Row) -> Judgement:
    if row["jid"] is not None:
        found = store.conn.execute("SELECT * FROM judgements WHERE id = ?", (row["jid"],)).fetchone()
        return judgement_from_row(found)
    return Judgement(row["paper_id"], Outcome(row["outcome"]), "run")
