"""Judging a day needs no scikit-learn, yet computes what scikit-learn would.

Importing scikit-learn (it pulls in scipy.stats) took longer than judging a whole day, so the
scoring path reads hashed n-grams through `mmh3`, the stop words from the package's copy, and
scales rows with numpy. These tests hold those equal to scikit-learn's own on real candidates,
and check in a fresh process that the demo (the local judge, no history) never imports it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.sparse import random as sparse_random

from papersieve.judges.local.features.paper import N_FEATURES, TOKEN_PATTERN, hashed_columns, hashed_counts
from papersieve.judges.local.features.unit import unit_rows, unit_vectors
from papersieve.judges.local.text.words import ngram_analyzer, stop_words

CANDIDATES = Path(__file__).resolve().parent.parent / "data" / "candidates"


def _real_texts(limit: int = 400) -> list[str]:
    path = sorted(CANDIDATES.glob("arxiv-*.jsonl"))[0]
    texts = []
    for line in path.read_text("utf-8").splitlines()[:limit]:
        row = json.loads(line)
        texts.append(f"{row['title']}. {row['title']}. {row['abstract']} cat_cs_LG")
    return texts


def test_stop_words_equal_scikit_learns() -> None:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    assert stop_words() == ENGLISH_STOP_WORDS


def test_hashed_counts_equal_scikit_learns_hashing_vectorizer() -> None:
    from sklearn.feature_extraction.text import HashingVectorizer

    texts = [*_real_texts(), "", "ünïcode wörds and émigré tokens", "a the of"]
    reference = HashingVectorizer(n_features=N_FEATURES, analyzer=ngram_analyzer(TOKEN_PATTERN),
                                  alternate_sign=False, norm=None).transform(texts).tocsr()
    ours = hashed_counts(texts)
    reference.sort_indices()
    assert ours.shape == reference.shape
    assert np.array_equal(ours.indptr, reference.indptr)
    assert np.array_equal(ours.indices, reference.indices)
    assert np.array_equal(ours.data, reference.data)
    assert ours.nnz > 10_000  # real abstracts, not a trivial case


def test_hashed_columns_follow_scikit_learns_murmurhash() -> None:
    from sklearn.utils.murmurhash import murmurhash3_32

    tokens = ["quantization", "mixture experts", "x"]
    expected = [abs(int(murmurhash3_32(t, seed=0))) % N_FEATURES for t in tokens]
    assert hashed_columns(tokens).tolist() == expected


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_unit_rows_equal_scikit_learns_normalize(dtype: type) -> None:
    from sklearn.preprocessing import normalize

    matrix = (sparse_random(40, 300, density=0.05, random_state=3, format="lil") * 10).astype(dtype)
    matrix[5, :] = 0  # an empty row in the middle ...
    matrix[39, :] = 0  # ... and at the end
    csr = matrix.tocsr()
    csr.eliminate_zeros()
    ours, reference = unit_rows(csr), normalize(csr.astype(np.float64))
    assert abs(ours - reference).max() < 1e-6
    assert ours[5].nnz == 0 and ours[39].nnz == 0
    dense = csr.toarray().astype(np.float32)
    assert np.allclose(unit_vectors(dense), normalize(dense), atol=1e-6)


def test_the_demo_never_imports_scikit_learn(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from papersieve.cli.main import main\n"
        "try:\n"
        "    main(['demo'])\n"
        "except SystemExit as stop:\n"
        "    assert not stop.code, stop.code\n"
        "print('judged-without-sklearn' if 'sklearn' not in sys.modules else 'sklearn-imported')\n"
    )
    env = {**os.environ, "PAPERSIEVE_HOME": str(tmp_path / "home")}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert "judging 215 papers with the local judge" in done.stdout + done.stderr
    assert done.stdout.strip().splitlines()[-1] == "judged-without-sklearn"
    assert list((tmp_path / "home" / "out" / "demo").rglob("2025-07-03.md"))


def test_large_batches_solve_the_same_self_training_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past DUAL_MAX_ROWS the sparse self-training switches from the dual closed form to LSQR on
    the primal; both must give the same scores (the same ridge problem)."""
    from papersieve.eval import load_days
    from papersieve.judges.local.model import scoring

    papers = load_days(CANDIDATES)[0][1][:600]
    prior = np.random.default_rng(7).normal(size=len(papers))
    monkeypatch.setattr(scoring, "DUAL_MAX_ROWS", 10**9)
    dual = scoring.self_trained(papers, prior)
    monkeypatch.setattr(scoring, "DUAL_MAX_ROWS", 0)
    primal = scoring.self_trained(papers, prior)
    assert np.abs(dual).max() > 1e-3  # a real, non-constant score
    assert np.allclose(dual, primal, rtol=0, atol=1e-6 * np.abs(dual).max())
