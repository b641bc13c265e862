"""Retraining reads its papers' features from the store and fits exactly what a fresh fit would."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from papersieve.eval.labels import LabelBook, load_days
from papersieve.judges.local import retrain
from papersieve.judges.local.features import paper as features
from papersieve.judges.local.features import semantic
from papersieve.judges.local.features.cache import content_hash
from papersieve.judges.local.model import ranker
from papersieve.judges.local.model.persist import load_model
from papersieve.models import Paper
from papersieve.profile.loader import load_profile
from papersieve.store import open_store
from papersieve.store.db import Store
from papersieve.store.papers import upsert_papers
from tests.conftest import DATA
from tests.labelled_history import record_llm_day
from tests.pgschemas import store_at

LABELS = DATA / "labels" / "gpt4o-picks-dev.jsonl"


@pytest.fixture(scope="module")
def days() -> list[tuple[dt.date, list[Paper]]]:
    return [(date, papers[:120]) for date, papers in load_days(DATA / "candidates")[:4]]


def _new_process() -> None:
    """Forget every feature the process computed, as a new process would start."""
    features._ROWS.clear()
    semantic._VECTORS.clear()
    ranker._COLD.clear()


def _record(store: Store, day: tuple[dt.date, list[Paper]]) -> None:
    date, papers = day
    record_llm_day(store, date, papers, set(LabelBook(LABELS).reveal(date)))


def _rows(store: Store) -> dict[tuple[str, str], str]:
    return {(r[0], r[1]): r[2] for r in store.conn.execute(
        "SELECT paper_id, kind, content_hash FROM local_features")}


def test_retraining_from_stored_features_fits_the_same_model(days: list, tmp_path: Path) -> None:
    profile = load_profile()
    cached = open_store(store_at(tmp_path / "cached.db"))
    for day in days[:3]:
        _record(cached, day)
    _new_process()
    retrain(cached, profile)
    first_three = len({p.id for _, papers in days[:3] for p in papers})  # a paper may repeat
    rows = _rows(cached)
    assert len(rows) == 3 * first_three  # n-grams, vector and cold-start components of each
    assert {k.split("/")[0] for _, k in rows} == {"ngrams", "vector", "cold"}
    _record(cached, days[3])
    _new_process()
    retrain(cached, profile)
    # Only the new day's papers were computed: the first three days came from the store.
    everyone = {p.id for _, papers in days for p in papers}
    assert len(ranker._COLD) == len(everyone) - first_three
    assert len(_rows(cached)) == 3 * len(everyone)

    fresh = open_store(store_at(tmp_path / "fresh.db"))
    for day in days:
        _record(fresh, day)
    _new_process()
    retrain(fresh, profile)
    assert len(ranker._COLD) == len(everyone)
    a, b = load_model(cached, profile.name), load_model(fresh, profile.name)
    assert a is not None and b is not None and a.model is not None and b.model is not None
    assert a.model.dense is not None and b.model.dense is not None
    assert np.array_equal(a.model.idf, b.model.idf)
    assert np.array_equal(a.model.coef, b.model.coef)
    assert np.array_equal(a.model.dense.coef, b.model.dense.coef)
    assert np.array_equal(a.model.dense.centre, b.model.dense.centre)
    cached.close()
    fresh.close()


def test_a_changed_abstract_is_recomputed_and_old_papers_are_dropped(days: list, store: Store) -> None:
    profile = load_profile()
    for day in days[:2]:
        _record(store, day)
    retrain(store, profile)
    paper = days[0][1][0]
    revised = dataclasses.replace(paper, abstract=paper.abstract + " We also study sparsity.")
    upsert_papers(store, [revised], listed_on=days[0][0].isoformat())
    # A paper listed long before the label window, whose features are stored from another time.
    old = dataclasses.replace(days[0][1][1], id="2001.00001")
    upsert_papers(store, [old], listed_on="2024-01-02")
    store.conn.execute("INSERT INTO local_features VALUES (?, 'ngrams/1', ?, x'00')",
                       (old.id, content_hash(old)))
    store.conn.commit()
    _record(store, days[2])  # a new label day: retraining runs again
    _new_process()
    retrain(store, profile)
    rows = _rows(store)
    kinds = {k for (pid, k) in rows if pid == paper.id}
    assert len(kinds) == 3
    assert all(rows[(paper.id, k)] == content_hash(revised) != content_hash(paper) for k in kinds)
    assert not any(pid == old.id for pid, _ in rows)
