"""The shipped semantic space and the dense part of the local judge's learned model."""

from __future__ import annotations

import io

import numpy as np

from papersieve.eval.labels import load_days
from papersieve.judges.local.features.dense import dense_features, profile_vectors
from papersieve.judges.local.features.semantic import DIMENSIONS, SPACE_PATH, load_space
from papersieve.judges.local.model.learned import TextModel
from papersieve.judges.local.model.ranker import Ranker
from papersieve.profile.loader import load_profile
from tests.conftest import DATA
from tests.labelled_history import small_trained_model


def test_shipped_space_is_small_label_free_and_puts_related_words_together() -> None:
    space = load_space()
    assert SPACE_PATH.stat().st_size < 5_000_000
    assert space.about["labels_used"] is False and space.about["papers"] > 10_000
    rows = space.embed(["structured pruning and sparsity of neural networks",
                        "sparse subnetworks after magnitude pruning",
                        "medical image segmentation of tumours in MRI scans",
                        "zzzz qqqq"])
    assert rows.shape == (4, DIMENSIONS)
    assert rows[0] @ rows[1] > 0.3 > 0.1 > rows[0] @ rows[2]
    assert not rows[3].any()


def test_semantic_score_prefers_the_profiles_topics() -> None:
    profile = load_profile()
    ranker = Ranker(profile, None, {})
    papers = load_days(DATA / "candidates")[1][1]
    on = [p for p in papers if "quantiz" in p.title.lower() or "mixture-of-experts" in p.title.lower()]
    off = [p for p in papers if "medical" in p.title.lower() or "traffic" in p.title.lower()]
    assert on and off
    scores = dense_features([*on, *off], ranker.cold([*on, *off]), ranker.topics).semantic
    assert scores[: len(on)].mean() > scores[len(on):].mean()
    assert len(profile_vectors(ranker.topics).topics) == 6


def test_model_with_dense_part_round_trips_and_old_blobs_still_load() -> None:
    small = small_trained_model(120)
    papers, dense, model = small.papers, small.dense, small.model
    again = TextModel.from_bytes(model.to_bytes())
    assert again.dense is not None
    assert np.allclose(model.decision(papers, dense), again.decision(papers, dense))
    # A version saved before the dense model existed: sparse arrays only.
    buffer = io.BytesIO()
    np.savez_compressed(buffer, idf=model.idf, coef=model.coef,
                        scalars=np.array([model.intercept, model.mean, model.std]))
    old = TextModel.from_bytes(buffer.getvalue())
    assert old.dense is None
    assert np.allclose(old.decision(papers, dense), (np.asarray(old.weigh(papers) @ old.coef).ravel()
                                                     + old.intercept - old.mean) / old.std)
