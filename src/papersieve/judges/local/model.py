"""The learned part of the local judge: TF-IDF over hashed n-grams and a logistic regression.

A `TextModel` is plain arrays (IDF, coefficients) so it is stored as an `.npz` blob, versioned,
in the store's `local_models` table; no pickle is ever loaded.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from papersieve.judges.local.features import N_FEATURES, term_counts
from papersieve.models import Paper

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

REGULARISATION = 4.0
"""Inverse regularisation strength C of the logistic regression."""


@dataclass(frozen=True)
class TextModel:
    """IDF weights and a linear classifier over the hashed n-gram space."""

    idf: np.ndarray
    coef: np.ndarray
    intercept: float
    mean: float
    std: float

    def weigh(self, papers: Sequence[Paper]) -> csr_matrix:
        """Sublinear TF-IDF rows, L2-normalised."""
        return tfidf(term_counts(papers), self.idf)

    def decision(self, papers: Sequence[Paper]) -> np.ndarray:
        """Raw linear scores, standardised with the training set's mean and spread."""
        raw = np.asarray(self.weigh(papers) @ self.coef).ravel() + self.intercept
        result: np.ndarray = (raw - self.mean) / self.std
        return result

    def to_bytes(self) -> bytes:
        """Serialise as a compressed `.npz`."""
        buffer = io.BytesIO()
        np.savez_compressed(buffer, idf=self.idf, coef=self.coef,
                            scalars=np.array([self.intercept, self.mean, self.std]))
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, blob: bytes) -> TextModel:
        """Load what `to_bytes` wrote (arrays only, no pickle)."""
        with np.load(io.BytesIO(blob), allow_pickle=False) as data:
            scalars = data["scalars"]
            return cls(data["idf"], data["coef"], float(scalars[0]), float(scalars[1]),
                       float(scalars[2]) or 1.0)


def tfidf(counts: csr_matrix, idf: np.ndarray) -> csr_matrix:
    """log(1 + tf) x idf, each row scaled to unit length."""
    from sklearn.preprocessing import normalize

    weighted = counts.astype(np.float32)
    weighted.data = np.log1p(weighted.data)
    weighted = weighted.multiply(idf.reshape(1, -1)).tocsr()
    result: csr_matrix = normalize(weighted)
    return result


def fit_idf(counts: csr_matrix) -> np.ndarray:
    """Smoothed IDF of the training documents."""
    n = counts.shape[0]
    df = np.bincount(counts.indices, minlength=N_FEATURES)
    idf: np.ndarray = (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)
    return idf


def train_text_model(papers: Sequence[Paper], targets: Sequence[int], weights: Sequence[float]) -> TextModel:
    """Fit IDF and a class-balanced logistic regression on labelled papers."""
    from sklearn.linear_model import LogisticRegression

    counts = term_counts(papers)
    idf = fit_idf(counts)
    features = tfidf(counts, idf)
    y = np.asarray(targets)
    classifier: Any = LogisticRegression(
        C=REGULARISATION, class_weight="balanced", solver="liblinear", dual=True, max_iter=200
    )
    # Fitting over the columns that occur only: the hashed space is mostly empty.
    columns = np.unique(features.indices)
    classifier.fit(features[:, columns], y, sample_weight=np.asarray(weights, dtype=float))
    coef = np.zeros(N_FEATURES, dtype=np.float32)
    coef[columns] = classifier.coef_.ravel()
    intercept = float(classifier.intercept_[0])
    raw = np.asarray(features @ coef).ravel() + intercept
    return TextModel(idf, coef, intercept, float(raw.mean()), float(raw.std()) or 1.0)
