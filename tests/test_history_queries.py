"""Store queries that a long history must not slow down: the cross-day dedup lookup restricted to
the day's ids gives exactly what the full set gives for those ids."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from papersieve.models import Judgement, Outcome, Paper
from papersieve.store import open_store
from papersieve.store.judgements import save_judgements
from papersieve.store.papers import upsert_papers
from papersieve.store.runs import finish_run, papers_judged_before, record_outcomes, start_run
from tests.pgschemas import store_at


def test_judged_before_among_the_days_ids_equals_the_full_set_restricted(tmp_path: Path) -> None:
    with open_store(store_at(tmp_path / "s.db")) as store:
        for day, status, ids in ((1, "done", range(0, 1200)), (2, "failed", range(1200, 1300)),
                                 (3, "done", range(1300, 1400))):
            papers = [Paper(f"2401.{n:05d}", f"t{n}", "a", ("A. Author",)) for n in ids]
            upsert_papers(store, papers)
            run = start_run(store, "me", dt.date(2025, 1, day), "llm")
            verdicts = [Judgement(p.id, Outcome.JUDGED, "llm", "m", "h", 5.0, 5.0) for p in papers]
            jids = save_judgements(store, verdicts, {p.id: p for p in papers}, run)
            record_outcomes(store, run, [(j.paper_id, j.outcome, jid, False, None)
                                         for j, jid in zip(verdicts, jids, strict=True)])
            finish_run(store, run, status)
        date = dt.date(2025, 1, 3)
        full = papers_judged_before(store, "me", date)
        assert len(full) == 1200  # day 2 failed, day 3 is not before
        day_ids = {f"2401.{n:05d}" for n in range(0, 2000, 3)} | {"2501.00001"}
        assert papers_judged_before(store, "me", date, day_ids) == full & day_ids
        assert papers_judged_before(store, "me", date, []) == frozenset()
        assert papers_judged_before(store, "other", date, day_ids) == frozenset()
