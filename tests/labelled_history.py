"""Shared set-up of the local judge tests: record a day as the LLM's judgements of it, or train
a small learned model directly."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from papersieve.eval.labels import load_days
from papersieve.judges.local.model.learned import TextModel, train_text_model
from papersieve.judges.local.model.ranker import Ranker
from papersieve.models import Judgement, Outcome, Paper
from papersieve.profile.loader import load_profile
from papersieve.store.db import Store
from papersieve.store.judgements import save_judgements
from papersieve.store.papers import upsert_papers
from papersieve.store.runs import finish_run, record_outcomes, start_run
from tests.conftest import DATA


def record_llm_day(store: Store, date: dt.date, papers: Sequence[Paper], picks: set[str],
                   profile: str = "default") -> None:
    """A finished llm run of `date`: each of `papers` judged, the `picks` at 9 / 8, others 3 / 3."""
    upsert_papers(store, papers, listed_on=date.isoformat())
    run = start_run(store, profile, date, "llm", "gpt-4o")
    judgements = [Judgement(p.id, Outcome.JUDGED, "llm", "gpt-4o", "h",
                            9.0 if p.id in picks else 3.0, 8.0 if p.id in picks else 3.0)
                  for p in papers]
    ids = save_judgements(store, judgements, {p.id: p for p in papers}, run, stage="abstract")
    record_outcomes(store, run, [(j.paper_id, j.outcome, i, False, None)
                                 for j, i in zip(judgements, ids, strict=True)])
    finish_run(store, run, "done")


@dataclass(frozen=True)
class SmallModel:
    """A learned model fitted on the first `count` candidates of the second labelled day."""

    papers: list[Paper]
    dense: np.ndarray
    targets: list[int]
    model: TextModel


def small_trained_model(count: int) -> SmallModel:
    """Every fourth paper a pick, unit weights, the default profile's dense rows."""
    papers = list(load_days(DATA / "candidates")[1][1][:count])
    dense = Ranker(load_profile(), None, {}).dense(papers).matrix
    targets = [int(i % 4 == 0) for i in range(len(papers))]
    return SmallModel(papers, dense, targets,
                      train_text_model(papers, targets, [1.0] * len(papers), dense))
