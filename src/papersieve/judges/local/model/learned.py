"""The learned part of the local judge: logistic regressions whose scores are added up.

One reads TF-IDF over hashed n-grams (sparse, as arxiv-sanity does); the other reads the dense
features (the paper's vector in the shipped semantic space, the cold-start components, the
profile similarities and how prolific the authors are), standardised; their scores are averaged.
A third reads the title alone, and its score is added with a small weight: the LLM's pipeline
judged titles before abstracts (a title-only pre-filter), so a pick must also pass on its title.
A `TextModel` is plain arrays (IDF, coefficients, author counts) so it is stored as an `.npz`
blob, versioned, in the store's `local_models` table; no pickle is loaded.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from papersieve.judges.local.features.paper import N_FEATURES, term_counts, title_counts
from papersieve.judges.local.features.prolific import author_features, author_keys, count_authors
from papersieve.judges.local.features.unit import unit_rows
from papersieve.models import Paper

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

REGULARISATION = 4.0
"""Inverse regularisation strength C of the sparse logistic regression."""
DENSE_REGULARISATION = 0.01
"""C of the dense one: ~140 correlated standardised inputs, so a strong pull towards zero."""
WIDE_DENSE_REGULARISATION = 0.003
"""C of the dense one when sentence embeddings join in (~520 inputs; chosen on the first 12
labelled days: 0.003 beat 0.01 there)."""
WIDE = 200
"""Dense rows wider than this carry sentence embeddings."""
SEED = 0
"""liblinear visits the rows in a random order: a fixed seed makes the same labels give the same
model, bit for bit."""
DENSE_SHARE = 0.5
"""Weight of the dense model's standardised score in the learned score."""
TITLE_REGULARISATION = 4.0
"""C of the title-only logistic regression."""
TITLE_WEIGHT = 0.3
"""Weight of the title model's standardised score added to the learned score (chosen on the
first 12 labelled days: 0.15-0.4 all raised precision at k there, 0.3 the most)."""
MIN_DENSE_POSITIVES = 20
"""Fewest positive labels for the dense model: ~140 inputs learned from a dozen likes are noise
(the sparse model alone then follows each like and dislike)."""


@dataclass(frozen=True)
class DenseModel:
    """A linear classifier over standardised dense features."""

    centre: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    mean: float
    std: float

    def decision(self, matrix: np.ndarray) -> np.ndarray:
        """Standardised linear scores (training mean 0, spread 1)."""
        raw = ((matrix - self.centre) / self.scale) @ self.coef + self.intercept
        result: np.ndarray = (raw - self.mean) / self.std
        return result


@dataclass(frozen=True)
class TitleModel:
    """A linear classifier over the TF-IDF of the title alone."""

    idf: np.ndarray
    coef: np.ndarray
    intercept: float
    mean: float
    std: float

    def decision(self, papers: Sequence[Paper]) -> np.ndarray:
        """Linear scores standardised with the training set's mean and spread."""
        raw = np.asarray(tfidf(title_counts(papers), self.idf) @ self.coef).ravel()
        result: np.ndarray = (raw + self.intercept - self.mean) / self.std
        return result


@dataclass(frozen=True)
class TextModel:
    """IDF weights and a linear classifier over the hashed n-gram space."""

    idf: np.ndarray
    coef: np.ndarray
    intercept: float
    mean: float
    std: float
    dense: DenseModel | None = None
    authors: tuple[np.ndarray, np.ndarray] | None = None
    """Hashed author names of the training papers and their counts (the dense model then reads
    `prolific.author_features` after the dense rows); None in versions saved before them."""
    title: TitleModel | None = None
    """The title-only model; None in versions saved before it."""
    picked: tuple[np.ndarray, np.ndarray] | None = None
    """Hashed author names of the positive training papers (picks, likes, the library) and how
    many each signs, for `model.stacking`; None in versions saved before them."""

    def author_columns(self, papers: Sequence[Paper]) -> np.ndarray | None:
        """Two columns per paper: log(1 + the most positive labels one of its authors signs)
        and log(1 + the most papers one of its authors signs among those seen); None when the
        model keeps no author counts (versions saved before them, or no dense model)."""
        if self.picked is None or self.authors is None:
            return None
        seen = author_features(papers, *self.authors)[:, :1]
        return np.hstack([picked_authors(papers, *self.picked), seen])

    def weigh(self, papers: Sequence[Paper]) -> csr_matrix:
        """Sublinear TF-IDF rows, L2-normalised."""
        return tfidf(term_counts(papers), self.idf)

    def decision(self, papers: Sequence[Paper], dense: np.ndarray | None = None) -> np.ndarray:
        """Linear scores standardised with the training set's mean and spread; with `dense`
        rows (of the width it was trained on) the dense model's score is averaged in."""
        raw = np.asarray(self.weigh(papers) @ self.coef).ravel() + self.intercept
        result: np.ndarray = (raw - self.mean) / self.std
        if self.dense is not None and dense is not None and self.authors is not None:
            dense = np.hstack([dense, author_features(papers, *self.authors)])
        if self.dense is not None and dense is not None and dense.shape[1] == len(self.dense.coef):
            result = (1 - DENSE_SHARE) * result + DENSE_SHARE * self.dense.decision(dense)
        if self.title is not None:
            result = result + TITLE_WEIGHT * self.title.decision(papers)
        return result

    def to_bytes(self) -> bytes:
        """Serialise as a compressed `.npz`."""
        buffer = io.BytesIO()
        arrays: dict[str, Any] = {"idf": self.idf, "coef": self.coef,
                                  "scalars": np.array([self.intercept, self.mean, self.std])}
        if self.dense is not None:
            d = self.dense
            arrays.update(dense_centre=d.centre, dense_scale=d.scale, dense_coef=d.coef,
                          dense_scalars=np.array([d.intercept, d.mean, d.std]))
        if self.authors is not None:
            arrays.update(author_names=self.authors[0], author_counts=self.authors[1])
        if self.picked is not None:
            arrays.update(picked_names=self.picked[0], picked_counts=self.picked[1])
        if self.title is not None:
            t = self.title
            arrays.update(title_idf=t.idf, title_coef=t.coef,
                          title_scalars=np.array([t.intercept, t.mean, t.std]))
        np.savez_compressed(buffer, **arrays)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, blob: bytes) -> TextModel:
        """Load what `to_bytes` wrote (arrays only, no pickle)."""
        with np.load(io.BytesIO(blob), allow_pickle=False) as data:
            scalars = data["scalars"]
            dense = None
            if "dense_coef" in data:  # versions saved before the dense model have none
                ds = data["dense_scalars"]
                dense = DenseModel(data["dense_centre"], data["dense_scale"], data["dense_coef"],
                                   float(ds[0]), float(ds[1]), float(ds[2]) or 1.0)
            authors = None
            if "author_names" in data:  # versions saved before the author counts have none
                authors = (data["author_names"], data["author_counts"])
            picked = None
            if "picked_names" in data:  # versions saved before the picked authors have none
                picked = (data["picked_names"], data["picked_counts"])
            title = None
            if "title_coef" in data:  # versions saved before the title model have none
                ts = data["title_scalars"]
                title = TitleModel(data["title_idf"], data["title_coef"], float(ts[0]),
                                   float(ts[1]), float(ts[2]) or 1.0)
            return cls(data["idf"], data["coef"], float(scalars[0]), float(scalars[1]),
                       float(scalars[2]) or 1.0, dense, authors, title, picked)


def tfidf(counts: csr_matrix, idf: np.ndarray) -> csr_matrix:
    """log(1 + tf) x idf, each row scaled to unit length."""
    weighted = counts.astype(np.float32)
    weighted.data = np.log1p(weighted.data)
    weighted = weighted.multiply(idf.reshape(1, -1)).tocsr()
    result: csr_matrix = unit_rows(weighted)
    return result


def used_columns(matrix: csr_matrix) -> np.ndarray:
    """The sorted columns that hold a value in some row (np.unique, but ~40x faster here)."""
    columns: np.ndarray = np.flatnonzero(np.bincount(matrix.indices, minlength=matrix.shape[1]))
    return columns


def fit_idf(counts: csr_matrix) -> np.ndarray:
    """Smoothed IDF of the training documents."""
    n = counts.shape[0]
    df = np.bincount(counts.indices, minlength=N_FEATURES)
    idf: np.ndarray = (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)
    return idf


def train_dense_model(matrix: np.ndarray, targets: np.ndarray, weights: np.ndarray) -> DenseModel:
    """A class-balanced logistic regression on standardised dense rows."""
    from sklearn.linear_model import LogisticRegression

    centre = matrix.mean(axis=0)
    scale = matrix.std(axis=0) + 1e-6
    rows = (matrix - centre) / scale
    strength = WIDE_DENSE_REGULARISATION if matrix.shape[1] > WIDE else DENSE_REGULARISATION
    classifier: Any = LogisticRegression(C=strength, class_weight="balanced",
                                          solver="liblinear", max_iter=200, random_state=SEED)
    classifier.fit(rows, targets, sample_weight=weights)
    coef = classifier.coef_.ravel().astype(np.float64)
    intercept = float(classifier.intercept_[0])
    raw = rows @ coef + intercept
    return DenseModel(centre, scale, coef, intercept, float(raw.mean()), float(raw.std()) or 1.0)


def _fit_sparse(counts: csr_matrix, y: np.ndarray, weights: np.ndarray,
                strength: float) -> tuple[np.ndarray, np.ndarray, float, float, float]:
    """IDF, coefficients, intercept and the training scores' mean and spread of a
    class-balanced logistic regression over sublinear TF-IDF rows of `counts`."""
    from sklearn.linear_model import LogisticRegression

    idf = fit_idf(counts)
    features = tfidf(counts, idf)
    classifier: Any = LogisticRegression(
        C=strength, class_weight="balanced", solver="liblinear", dual=True, max_iter=200,
        random_state=SEED,
    )
    # Fitting over the columns that occur only: the hashed space is mostly empty.
    columns = used_columns(features)
    classifier.fit(features[:, columns], y, sample_weight=weights)
    coef = np.zeros(N_FEATURES, dtype=np.float32)
    coef[columns] = classifier.coef_.ravel()
    intercept = float(classifier.intercept_[0])
    raw = np.asarray(features @ coef).ravel() + intercept
    return idf, coef, intercept, float(raw.mean()), float(raw.std()) or 1.0


def train_text_model(papers: Sequence[Paper], targets: Sequence[int], weights: Sequence[float],
                     dense: np.ndarray | None = None, unlabelled: Sequence[Paper] = ()) -> TextModel:
    """Fit IDF and a class-balanced logistic regression on labelled papers, another on their
    titles alone (and the dense model on `dense`, one row per paper, with the authors' counts
    over `papers` and the `unlabelled` papers seen with them, when given)."""
    y = np.asarray(targets)
    sample = np.asarray(weights, dtype=float)
    idf, coef, intercept, mean, std = _fit_sparse(term_counts(papers), y, sample, REGULARISATION)
    title = TitleModel(*_fit_sparse(title_counts(papers), y, sample, TITLE_REGULARISATION))
    if dense is None or int((y > 0).sum()) < MIN_DENSE_POSITIVES:
        return TextModel(idf, coef, intercept, mean, std, title=title)
    # Each training paper's authors are counted over every paper seen (itself included), as a
    # scored paper's are over the papers seen before and its own batch.
    labelled = {p.id for p in papers}
    others = [p for p in unlabelled if p.id not in labelled]
    rows = np.hstack([dense, author_features(papers, *count_authors(others))])
    authors = count_authors([*papers, *others])
    picked = count_authors([p for p, target in zip(papers, y, strict=True) if target > 0])
    return TextModel(idf, coef, intercept, mean, std, train_dense_model(rows, y, sample), authors,
                     title, picked)


def picked_authors(papers: Sequence[Paper], names: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """One column: log(1 + the most of `counts` one of the paper's authors has), `names` and
    `counts` being `count_authors` of the positive training papers."""
    out = np.zeros((len(papers), 1))
    if not len(names):
        return out
    for i, paper in enumerate(papers):
        keys = author_keys(paper)
        if len(keys):
            where = np.minimum(np.searchsorted(names, keys), len(names) - 1)
            out[i, 0] = int(np.where(names[where] == keys, counts[where], 0).max())
    result: np.ndarray = np.log1p(out)
    return result
