"""Author prolificness: a dense input of the local judge's learned model, stored as arrays."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from papersieve.eval.labels import load_days
from papersieve.judges.local import retrain
from papersieve.judges.local.features.prolific import N_COLUMNS, author_features, count_authors
from papersieve.judges.local.model.learned import TextModel, train_dense_model
from papersieve.judges.local.model.persist import load_model
from papersieve.models import Judgement, Outcome, Paper
from papersieve.profile.loader import load_profile
from papersieve.store import open_store
from papersieve.store.judgements import save_judgements
from papersieve.store.papers import upsert_papers
from papersieve.store.runs import finish_run, record_outcomes, start_run
from tests.conftest import DATA
from tests.labelled_history import small_trained_model
from tests.pgschemas import store_at


def _paper(pid: str, *authors: str) -> Paper:
    return Paper(pid, f"Title {pid}", "An abstract.", tuple(authors), ("cs.LG",))


def test_counts_add_known_papers_to_the_batch_and_match_spellings() -> None:
    known = [_paper("1", "José García", "Ann Lee"), _paper("2", "Jose Garcia"),
             _paper("3", "Ann Lee", "Bo Chen")]
    names, counts = count_authors(known)
    assert len(names) == 3 and sorted(counts.tolist()) == [1, 2, 2]  # one García, two spellings
    batch = [_paper("4", "J. Newcomer"), _paper("5", "Jose  Garcia", "Bo Chen", "Ann Lee"),
             _paper("6", "Bo Chen")]
    rows = np.expm1(author_features(batch, names, counts))
    assert rows.shape == (3, N_COLUMNS)
    assert np.allclose(rows[0], [1, 0, 1])  # a new author: only its own paper in the batch
    # García: 2 known + this one; Lee: 2 + 1; Chen: 1 known + 2 in the batch.
    assert np.allclose(rows[1], [3, 3, 3])
    assert np.allclose(rows[2], [3, 0, 1])


def test_model_keeps_author_counts_and_older_dense_versions_still_load() -> None:
    small = small_trained_model(160)
    papers, dense, targets, model = small.papers, small.dense, small.targets, small.model
    assert model.dense is not None and model.authors is not None
    assert len(model.dense.coef) == dense.shape[1] + N_COLUMNS
    again = TextModel.from_bytes(model.to_bytes())
    assert again.authors is not None and np.array_equal(again.authors[1], model.authors[1])
    assert np.allclose(model.decision(papers, dense), again.decision(papers, dense))
    # A version saved before the author counts: its dense model reads the dense rows alone.
    older = dataclasses.replace(model, authors=None,
                                dense=train_dense_model(dense, np.array(targets), np.ones(len(papers))))
    loaded = TextModel.from_bytes(older.to_bytes())
    assert loaded.authors is None and loaded.dense is not None
    sparse_only = dataclasses.replace(loaded, dense=None).decision(papers, dense)
    assert not np.allclose(loaded.decision(papers, dense), sparse_only)
    assert np.allclose(loaded.decision(papers, dense), older.decision(papers, dense))


def test_retraining_counts_the_authors_of_papers_a_hybrid_run_held_back(tmp_path: Path) -> None:
    date, papers = load_days(DATA / "candidates")[0]
    sent, held = list(papers[:60]), [_paper("2512.90001", "Held Back", "Also Held"),
                                     _paper("2512.90002", "Held Back")]
    store = open_store(store_at(tmp_path / "t.db"))
    upsert_papers(store, [*sent, *held], listed_on=date.isoformat())
    run = start_run(store, "default", date, "hybrid", "gpt-4o")
    judgements = [Judgement(p.id, Outcome.JUDGED, "llm", "gpt-4o", "h", 9.0 if i % 3 == 0 else 3.0,
                            8.0 if i % 3 == 0 else 3.0) for i, p in enumerate(sent)]
    ids = save_judgements(store, judgements, {p.id: p for p in sent}, run, stage="abstract")
    record_outcomes(store, run, [*((j.paper_id, j.outcome, i, False, None)
                                   for j, i in zip(judgements, ids, strict=True)),
                                 *((p.id, Outcome.SKIPPED_LOCAL, None, False, None) for p in held)])
    finish_run(store, run, "done")
    report = retrain(store, load_profile())
    assert report.trained_on == len(sent)  # held-back papers are not labels
    stored = load_model(store, "default")
    assert stored is not None and stored.model is not None and stored.model.authors is not None
    # ...but their authors count: "Held Back" signs two papers, so a new paper of theirs
    # counts three (two seen, itself), a stranger's one.
    rows = np.expm1(author_features([_paper("2512.90003", "Held Back"),
                                     _paper("2512.90004", "Nobody Yet")], *stored.model.authors))
    assert np.allclose(rows[:, 0], [3, 1])
