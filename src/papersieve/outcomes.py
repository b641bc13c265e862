"""Give every candidate of a run exactly one outcome, and record it with its judgement row."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from papersieve.candidates import Candidates
from papersieve.models import Judgement, Outcome, Paper, Pick
from papersieve.store.db import Store
from papersieve.store.folding import NewCandidate, fold_at_record
from papersieve.store.judgements import save_judgements
from papersieve.store.runs import record_outcomes

DEDUP_JUDGE = "dedup"
RUN_STAGE = "run"


def one_per_candidate(
    candidates: Candidates, judged: Sequence[Judgement], decided: Sequence[Judgement],
    judge_name: str,
) -> list[Judgement]:
    """One judgement per candidate, in listing order: seen before, decided by rules, or judged.

    A paper the judge returned nothing for (a broken judge) is recorded as FAILED, not dropped.
    """
    by_id = {j.paper_id: j for j in judged}
    by_id.update({j.paper_id: j for j in decided})
    out = [Judgement(p.id, Outcome.SEEN_BEFORE, DEDUP_JUDGE, detail="judged on an earlier day")
           for p in candidates.seen_before]
    for paper in candidates.papers:
        out.append(by_id.get(paper.id) or Judgement(
            paper.id, Outcome.FAILED, judge_name, detail="the judge returned no judgement"))
    return out


def record(store: Store, run_id: int, judgements: Sequence[Judgement], picks: Sequence[Pick],
           papers: Mapping[str, Paper], pack: bool = False, keep: Collection[str] = ()) -> None:
    """Write each candidate's outcome row, pointing at the judgement row that decided it.

    With `pack` (a local judge's run, `[store] pack_local_runs`), the candidates neither picked
    nor in `keep` (the profile's papers with feedback) go into the run's one folded row instead
    (store/folding.py), as `[store] compact_after_days` would fold them later: a group of 1,000
    wrote a row per candidate and per verdict, 0.29 MB per member and day (issue 19)."""
    ranks = {pick.paper.id: rank for rank, pick in enumerate(picks, 1)}
    full = list(judgements)
    if pack:
        full = [j for j in judgements if j.paper_id in ranks or j.paper_id in keep]
        rows = {j.paper_id for j in full}
        fold_at_record(store, run_id, [
            NewCandidate(position, j, RUN_STAGE, _text_hash(papers.get(j.paper_id)))
            for position, j in enumerate(judgements) if j.paper_id not in rows])
    ids = judgement_ids(store, run_id, full, papers)
    record_outcomes(store, run_id, [
        (j.paper_id, j.outcome, ids.get(j.paper_id), j.paper_id in ranks, ranks.get(j.paper_id))
        for j in full
    ], candidates=len(judgements))


def _text_hash(paper: Paper | None) -> str:
    """What `save_judgements` writes as a verdict's text hash."""
    return paper.content_hash if paper else ""


def judgement_ids(store: Store, run_id: int, judgements: Sequence[Judgement],
                  papers: Mapping[str, Paper]) -> dict[str, int]:
    """The row of each final judgement: the judge's own row of this run, else a new row.

    Judges save what they decide during the run; verdicts reused from the cache, pinned-author
    verdicts and rule decisions are saved here (stage "run", which no cache reads).
    """
    # The run's rows read in one query (one per judgement was a tenth of a group member's run);
    # ascending ids, so the newest row of equal content wins, as ORDER BY id DESC LIMIT 1 did.
    saved_rows: dict[tuple[object, ...], int] = {}
    for row in store.conn.execute(
            "SELECT id, paper_id, judge, outcome, relevance, novelty, comment FROM judgements"
            " WHERE run_id = ? ORDER BY id", (run_id,)):
        saved_rows[tuple(row[1:])] = int(row[0])
    found: dict[str, int] = {}
    missing: list[Judgement] = []
    for j in judgements:
        row_id = saved_rows.get((j.paper_id, j.judge, j.outcome.value, j.relevance, j.novelty, j.comment))
        if row_id is None:
            missing.append(j)
        else:
            found[j.paper_id] = row_id
    saved = save_judgements(store, missing, papers, run_id, RUN_STAGE)
    found.update({j.paper_id: row_id for j, row_id in zip(missing, saved, strict=True)})
    return found
