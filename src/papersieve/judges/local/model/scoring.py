"""Combining the local judge's parts into one score per paper, and mapping it to 1-10.

With no label the score is the cold-start score (key phrases, lexicons, category prior) plus the
semantic score (similarity to the profile's lines in the shipped semantic space), refined by
self-training on the day's own candidates: its confident top and bottom serve as pseudo-labels
for a sparse TF-IDF and a dense classifier, which spreads the profile's words to the words that
go with them. With labelled history the learned model's score is blended in, with a weight that
grows with the number of labelled picks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from papersieve.judges.local.features.paper import term_counts
from papersieve.judges.local.model.learned import TextModel, fit_idf, tfidf
from papersieve.judges.local.text.lexicon import GENERAL_PRIOR, PriorSettings
from papersieve.models import Paper

MIN_SELF_TRAIN = 50
"""Fewest papers in a batch for calibrating on the batch itself (`judge.py`)."""
SELF_TRAIN_MIN_PAPERS = 60
"""Fewest papers in a batch for self-training. Was 50 (MIN_SELF_TRAIN): on a 53-paper astro-ph
day it trained on its own weak first guess and lost 0.03 AUC (issue 25)."""
MIN_AGREEMENT = 0.75
"""Self-training is kept only when its two parts (sparse words, dense vectors), trained on the
same pseudo-labels, rank the batch alike (Spearman correlation at least this): a first guess
they disagree on is not confident enough to learn from. The 25 labelled ML days agree at
0.83-0.90; crossfield-dev days at 0.55-0.93."""
SELF_TRAIN_TOP = 0.10
SELF_TRAIN_MIX = 0.5
"""`PriorSettings.self_train_mix` of the general prior (a field file may set its own)."""
SELF_TRAIN_RIDGE = 100.0
"""Ridge penalty of the self-trained classifiers (rows are unit vectors). Chosen on the first 12
labelled days: 30, 100 and 300 gave the same figures there, 1-10 a little less."""
HISTORY_HALF = 60.0
"""Labelled picks at which the learned model and the profile prior weigh the same."""
PRIOR = GENERAL_PRIOR
"""The prior's weights when none is given (text/lexicon.py: a field file may set its own)."""


def standardise(values: np.ndarray) -> np.ndarray:
    """Zero mean, unit spread (a constant vector becomes zeros)."""
    spread = float(values.std())
    result: np.ndarray = (values - values.mean()) / spread if spread > 0 else values - values.mean()
    return result


def _pseudo_labels(prior: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows and +1 / -1 targets: the batch's top `SELF_TRAIN_TOP` by the prior and its bottom half."""
    n = len(prior)
    order = np.argsort(-prior, kind="stable")
    top = max(1, int(SELF_TRAIN_TOP * n))
    rows = np.r_[order[:top], order[n - n // 2 :]]
    return rows, np.r_[np.ones(top), -np.ones(n // 2)]


DUAL_MAX_ROWS = 1000
"""Most pseudo-labelled rows for the dual (rows x rows) solution of the sparse self-training
(faster up to here: 40 vs 60 ms at 490 rows, 0.78 vs 0.15 s at 1,635)."""


@lru_cache(maxsize=1)
def _blas() -> Any:
    """The process's BLAS libraries, found once: `threadpool_limits` searches the loaded
    libraries on every call (~2 ms, twice per profile of a group's day)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _solve(matrix: np.ndarray, target: np.ndarray) -> np.ndarray:
    """`matrix^-1 target` for a small system, on one BLAS thread: a multi-threaded OpenBLAS took
    0.16 s instead of 0.2 ms for a 128 x 128 solve on a busy 2-core machine (its threads spin)."""
    with _blas().limit(limits=1, user_api="blas"):
        result: np.ndarray = np.linalg.solve(matrix, target)
    return result


def self_trained(papers: Sequence[Paper], prior: np.ndarray) -> np.ndarray:
    """Scores of a ridge classifier trained on the batch's own top (pseudo-positive) and bottom
    half, over TF-IDF rows. A day's few hundred rows against a large vocabulary: solved in closed
    form in its dual, which needs no scikit-learn and no iterations; past `DUAL_MAX_ROWS` rows
    (a synthetic 10,000-paper day) the same problem is solved in its primal by LSQR, so time
    and memory stay linear in the batch."""
    counts = term_counts(papers)
    features = tfidf(counts, fit_idf(counts))
    rows, y = _pseudo_labels(prior)
    train = features[rows]
    target = y - y.mean()
    if len(rows) > DUAL_MAX_ROWS:
        from scipy.sparse.linalg import lsqr

        weights = lsqr(train, target, damp=float(np.sqrt(SELF_TRAIN_RIDGE)), atol=1e-8,
                       btol=1e-8)[0]
        return np.asarray(features @ weights).ravel()
    kernel = np.asarray((train @ train.T).todense(), dtype=np.float64)
    kernel[np.diag_indices_from(kernel)] += SELF_TRAIN_RIDGE
    dual = _solve(kernel, target)
    return np.asarray(features @ (train.T @ dual)).ravel()


def self_trained_dense(vectors: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """Like `self_trained`, over the papers' vectors in the semantic space (primal form)."""
    rows, y = _pseudo_labels(prior)
    train = vectors[rows].astype(np.float64)
    centre = train.mean(axis=0)
    train = train - centre
    gram = train.T @ train
    gram[np.diag_indices_from(gram)] += SELF_TRAIN_RIDGE
    weights = _solve(gram, train.T @ (y - y.mean()))
    return np.asarray((vectors - centre) @ weights)


def first_guess(cold: np.ndarray, semantic: np.ndarray, listed: np.ndarray | None = None,
                weights: PriorSettings = PRIOR) -> np.ndarray:
    """The profile's score before self-training: standardised cold-start and semantic scores and
    the category indicator (`features.listing`), weighted."""
    base = standardise(cold) + weights.semantic_weight * standardise(semantic)
    if listed is not None and weights.listed_weight:
        base = base + weights.listed_weight * standardise(listed)
    return base


def profile_prior(papers: Sequence[Paper], cold: np.ndarray, semantic: np.ndarray,
                  vectors: np.ndarray, listed: np.ndarray | None = None,
                  weights: PriorSettings = PRIOR) -> np.ndarray:
    """The score from the profile alone: cold start, semantic score and the category indicator,
    self-trained on the batch."""
    if len(papers) < 2:
        return cold + weights.semantic_weight * semantic
    base = first_guess(cold, semantic, listed, weights)
    prior = standardise(base)
    if len(papers) < SELF_TRAIN_MIN_PAPERS:
        return prior
    sparse = standardise(self_trained(papers, base))
    dense = standardise(self_trained_dense(vectors, base))
    if rank_agreement(sparse, dense) < MIN_AGREEMENT:
        return prior
    return standardise(prior + weights.self_train_mix * (sparse + dense))


ANSWER_WEIGHT = 3.0
"""Weight of a like or dislike among the pooled self-training's pseudo-labels (each weighs 1).
Chosen on days 2-12 of the labelled days with ten onboarding answers (1 / 3 / 10 / 30: mean
AUC 0.8868 / 0.8872 / 0.8869 / 0.8838; bench/RESULTS.md)."""


@dataclass(frozen=True)
class Earlier:
    """What the pooled self-training reads besides the batch (`pooled_prior`)."""

    papers: list[Paper]
    """Papers of earlier listing days (not in the batch), then the answered papers not among them."""
    guess: np.ndarray
    """The first guess of each, standardised within its own listing day (0 for an answered paper
    of no such day)."""
    vectors: np.ndarray
    """Their vectors in the semantic space."""
    answers: dict[str, int]
    """Paper id -> +1 (liked) or -1 (disliked): the profile's feedback, in the batch or not."""


def _weighted_labels(guess: np.ndarray, forced: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`_pseudo_labels` of `guess`, with the rows where `forced` is +1 / -1 set to it and weighing
    `ANSWER_WEIGHT`: rows, targets, weights."""
    n = len(guess)
    order = np.argsort(-guess, kind="stable")
    target = np.zeros(n)
    target[order[: max(1, int(SELF_TRAIN_TOP * n))]] = 1.0
    target[order[n - n // 2:]] = -1.0
    weight = (target != 0).astype(float)
    answered = forced != 0
    target[answered] = forced[answered]
    weight[answered] = ANSWER_WEIGHT
    rows = np.flatnonzero(weight > 0)
    return rows, target[rows], weight[rows]


def _weighted_sparse(papers: Sequence[Paper], rows: np.ndarray, y: np.ndarray,
                     weight: np.ndarray) -> np.ndarray:
    """`self_trained` with weighted rows: the ridge minimising sum w (x.b - t)^2 + ridge |b|^2."""
    counts = term_counts(papers)
    features = tfidf(counts, fit_idf(counts))
    train = features[rows]
    target = y - np.average(y, weights=weight)
    if len(rows) > DUAL_MAX_ROWS:
        from scipy.sparse import diags
        from scipy.sparse.linalg import lsqr

        root = np.sqrt(weight)
        coef = lsqr(diags(root) @ train, root * target, damp=float(np.sqrt(SELF_TRAIN_RIDGE)),
                    atol=1e-8, btol=1e-8)[0]
        return np.asarray(features @ coef).ravel()
    kernel = np.asarray((train @ train.T).todense(), dtype=np.float64)
    kernel[np.diag_indices_from(kernel)] += SELF_TRAIN_RIDGE / weight
    dual = _solve(kernel, target)
    return np.asarray(features @ (train.T @ dual)).ravel()


def _weighted_dense(vectors: np.ndarray, rows: np.ndarray, y: np.ndarray,
                    weight: np.ndarray) -> np.ndarray:
    """`self_trained_dense` with weighted rows."""
    train = vectors[rows].astype(np.float64)
    centre = np.average(train, axis=0, weights=weight)
    train = train - centre
    weighted = train * weight[:, None]
    gram = weighted.T @ train
    gram[np.diag_indices_from(gram)] += SELF_TRAIN_RIDGE
    coef = _solve(gram, weighted.T @ (y - np.average(y, weights=weight)))
    return np.asarray((vectors - centre) @ coef)


def pooled_prior(papers: Sequence[Paper], cold: np.ndarray, semantic: np.ndarray,
                 vectors: np.ndarray, listed: np.ndarray | None, weights: PriorSettings,
                 earlier: Earlier) -> np.ndarray:
    """`profile_prior`, self-trained on the batch together with `earlier`: unlabelled papers of
    earlier days (more rows for the same pseudo-labels: each day's top and bottom by its own
    first guess) and the user's answers as labels of their own. Issue 18: the cold start's mean
    AUC on the labelled days 2-25 went 0.860 -> 0.872 (bench/RESULTS.md)."""
    if len(papers) < SELF_TRAIN_MIN_PAPERS:
        return profile_prior(papers, cold, semantic, vectors, listed, weights)
    prior = standardise(first_guess(cold, semantic, listed, weights))
    pool = [*earlier.papers, *papers]
    guess = np.r_[earlier.guess, prior]
    every = np.vstack([earlier.vectors, vectors]) if len(earlier.papers) else vectors
    n = len(papers)
    forced = np.array([earlier.answers.get(p.id, 0) for p in pool], dtype=float)
    # Whether the first guess is confident enough to learn from is the day's question, asked of
    # the pseudo-labels alone: a few answers against the guess make the two parts disagree
    # (0.69 on the demo day with 12), which must not throw the answers' lesson away with it.
    unforced = _parts(pool, every, guess, np.zeros(len(pool)))
    if rank_agreement(unforced[0][-n:], unforced[1][-n:]) < MIN_AGREEMENT:
        return prior
    sparse, dense = _parts(pool, every, guess, forced) if forced.any() else unforced
    return standardise((guess + weights.self_train_mix * (sparse + dense))[-n:])


def _parts(pool: Sequence[Paper], vectors: np.ndarray, guess: np.ndarray,
           forced: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The standardised sparse and dense self-trained scores of `pool` (`_weighted_labels`)."""
    rows, y, weight = _weighted_labels(guess, forced)
    return (standardise(_weighted_sparse(pool, rows, y, weight)),
            standardise(_weighted_dense(vectors, rows, y, weight)))


def rank_agreement(first: np.ndarray, second: np.ndarray) -> float:
    """Spearman rank correlation of two scorings of the same papers (ties broken by position);
    0 when either is constant (it says nothing)."""
    if first.std() == 0 or second.std() == 0:
        return 0.0
    ranks = [np.argsort(np.argsort(v, kind="stable"), kind="stable").astype(float) for v in (first, second)]
    return float(np.corrcoef(ranks[0], ranks[1])[0, 1])


ANSWERS_ONLY_WEIGHT = 0.35
"""Most weight of a learned model whose every label is the user's own like or dislike (no LLM
verdict, no library entry). Such answers are papers the ranker chose to show or ask about, all
ranked high, so a model of them says little about the rest of the day; weighed as LLM picks,
100 `teach` answers made the following days worse than none (issue 18: mean AUC 0.851 against
0.871 with no answer, 0.877 with this cap; ten answers weigh 0.17, below it; bench/RESULTS.md)."""


def model_weight(labelled_picks: int, answers_only: bool = False) -> float:
    """The learned model's weight in the blend with the prior: grows with the labelled picks,
    capped at `ANSWERS_ONLY_WEIGHT` for a model of the user's answers alone."""
    weight = labelled_picks / (labelled_picks + HISTORY_HALF)
    return min(weight, ANSWERS_ONLY_WEIGHT) if answers_only else weight


def combine(papers: Sequence[Paper], prior: np.ndarray, model: TextModel | None,
            labelled_picks: int, dense: np.ndarray | None = None,
            answers_only: bool = False) -> np.ndarray:
    """One score per paper (higher is better); only the order and spread matter."""
    if model is None or labelled_picks == 0:
        return prior
    learned = model.decision(papers, dense)
    weight = model_weight(labelled_picks, answers_only)
    return (1 - weight) * prior + weight * learned


def relevance_scale(scores: np.ndarray, reference: np.ndarray, pass_share: float) -> np.ndarray:
    """Map scores to integers 1-10 so that about `pass_share` of `reference` gets 8 or more.

    The top `pass_share` of the reference maps to 8-10, the next two shares to 6-7, the rest
    spreads over 1-5: the profile's relevance cutoff then keeps about the LLM's share of papers.
    """
    ref = np.sort(reference)
    above = 1.0 - np.searchsorted(ref, scores, side="right") / max(len(ref), 1)
    share = min(max(pass_share, 0.01), 0.3)
    # Element by element as `int` would (every quotient is >= 0: floor is int's truncation),
    # on whole arrays: a group's day scales a million scores.
    top = 10 - np.minimum(2, np.floor(3 * above / share))
    near = 7 - np.minimum(1, np.floor(2 * (above - share) / (2 * share)))
    rest = 5 - np.minimum(4, np.floor(5 * (above - 3 * share) / max(1 - 3 * share, 1e-9)))
    out: np.ndarray = np.where(above < share, top, np.where(above < 3 * share, near, rest))
    return out
