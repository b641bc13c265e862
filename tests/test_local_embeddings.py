"""The optional `embeddings` method of the local judge (skipped without the `embeddings` extra)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from papersieve.eval.labels import load_days
from papersieve.judges.local import LocalJudge, retrain
from papersieve.judges.local.features import embeddings, prolific
from papersieve.judges.local.model.persist import load_model
from papersieve.profile.loader import load_profile
from papersieve.store import open_store
from papersieve.store.papers import upsert_papers
from tests.conftest import DATA
from tests.labelled_history import record_llm_day
from tests.pgschemas import store_at

pytestmark = pytest.mark.skipif(not embeddings.available(),
                                reason="the embeddings extra (sentence-transformers) is not installed")


def test_each_vector_is_computed_once_and_kept_in_the_store(tmp_path: Path) -> None:
    date, papers = load_days(DATA / "candidates")[0]
    papers = papers[:20]
    store = open_store(store_at(tmp_path / "t.db"))
    upsert_papers(store, papers, listed_on=date.isoformat())
    profile = load_profile(None, {"judge.local_method": "embeddings"})
    first = LocalJudge(profile, store).judge(papers)
    assert len(first.judgements) == 20 and all(j.novelty is None for j in first.judgements)
    assert first.judgements[0].model == "local-embeddings-v0"
    rows = store.conn.execute("SELECT paper_id, model, content_hash, vector FROM embeddings").fetchall()
    assert len(rows) == 20
    by_id = {p.id: p for p in papers}
    for paper_id, model, content_hash, blob in rows:
        assert model == embeddings.MODEL and content_hash == by_id[paper_id].content_hash
        vector = np.frombuffer(blob, dtype=np.float16)
        assert vector.shape == (embeddings.DIMENSIONS,)
        assert abs(float(np.linalg.norm(vector.astype(np.float32))) - 1.0) < 1e-2
    computed = embeddings.paper_embeddings(store, papers)
    embeddings._VECTORS.clear()  # a new process: the vectors come back from the store
    assert np.array_equal(embeddings.paper_embeddings(store, papers), computed)
    again = LocalJudge(profile, store).judge(papers)
    assert [j.relevance for j in again.judgements] == [j.relevance for j in first.judgements]


def test_a_changed_abstract_gets_a_new_vector(tmp_path: Path) -> None:
    _, papers = load_days(DATA / "candidates")[0]
    store = open_store(store_at(tmp_path / "t.db"))
    paper = papers[0]
    before = embeddings.paper_embeddings(store, [paper])[0]
    revised = dataclasses.replace(paper, abstract="We study the weather of Mars with a camera.")
    after = embeddings.paper_embeddings(store, [revised])[0]
    assert float(before @ after) < 0.9
    rows = store.conn.execute("SELECT content_hash FROM embeddings WHERE paper_id = ?",
                              (paper.id,)).fetchall()
    assert [r[0] for r in rows] == [revised.content_hash]


def test_retraining_reads_the_embeddings_next_to_the_semantic_vectors(tmp_path: Path) -> None:
    date, papers = load_days(DATA / "candidates")[0]
    papers = papers[:44]
    store = open_store(store_at(tmp_path / "t.db"))
    record_llm_day(store, date, papers, {p.id for i, p in enumerate(papers) if i % 2})
    profile = load_profile(None, {"judge.local_method": "embeddings"})
    report = retrain(store, profile)
    assert report.changed and report.positives == 22
    stored = load_model(store, profile.name)
    assert stored is not None and stored.model is not None and stored.model.dense is not None
    # LSA vector, sentence embedding, 4 cold-start components, 4 + 4 profile similarities and
    # the authors' prolificness.
    assert len(stored.model.dense.coef) == 128 + embeddings.DIMENSIONS + 12 + prolific.N_COLUMNS
    judge = LocalJudge(profile, store)
    assert judge.judge(papers[:5]).judgements[0].model == "local-embeddings-v1"
    assert not retrain(store, profile).changed
    assert retrain(store, load_profile()).changed  # back to tfidf: the dense model is refitted
