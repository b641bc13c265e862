"""The title-only model of the local judge: stored as arrays, added to the learned score."""

from __future__ import annotations

import dataclasses

import numpy as np

from papersieve.eval.labels import load_days
from papersieve.judges.local.features.paper import title_counts
from papersieve.judges.local.model import learned as model_module
from papersieve.judges.local.model.learned import TextModel
from tests.conftest import DATA
from tests.labelled_history import small_trained_model


def test_title_counts_read_the_title_alone() -> None:
    papers = load_days(DATA / "candidates")[1][1][:3]
    other = dataclasses.replace(papers[0], abstract="Something else entirely.")
    renamed = dataclasses.replace(papers[0], title="Quantization of sparse mixture of experts")
    rows = title_counts([papers[0], other, renamed]).toarray()
    assert np.array_equal(rows[0], rows[1]) and not np.array_equal(rows[0], rows[2])
    assert title_counts([]).shape[0] == 0


def test_model_keeps_a_title_model_and_older_versions_still_load() -> None:
    small = small_trained_model(160)
    papers, dense, model = small.papers, small.dense, small.model
    assert model.title is not None
    again = TextModel.from_bytes(model.to_bytes())
    assert again.title is not None and np.array_equal(again.title.coef, model.title.coef)
    assert np.allclose(model.decision(papers, dense), again.decision(papers, dense))
    # Its score is standardised on the training set and added with TITLE_WEIGHT.
    title = model.title.decision(papers)
    assert abs(float(title.mean())) < 1e-3 and abs(float(title.std()) - 1) < 1e-3
    without = dataclasses.replace(model, title=None)
    assert np.allclose(model.decision(papers, dense),
                       without.decision(papers, dense) + model_module.TITLE_WEIGHT * title)
    # A version saved before the title model loads without one and scores as it did.
    loaded = TextModel.from_bytes(without.to_bytes())
    assert loaded.title is None
    assert np.allclose(loaded.decision(papers, dense), without.decision(papers, dense))
