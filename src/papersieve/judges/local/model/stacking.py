"""The ranker's score and the authors' record, weighed by the LLM's verdicts on unseen days.

The learned model's parts are averaged with fixed weights, and the authors enter it only as
dense inputs among ~140 under a strong pull towards zero. Yet who wrote a paper says much: the
labels' own pipeline dropped papers whose authors all had a low h-index, and an author whose
papers were picked (or liked) before is more often picked again (on the 25 labelled days, after
5 of them: 19% of the papers with such an author were picks, 8% of the others). How much it
says next to the ranker's score is learned here, on the only fair evidence: each new labelled
day scored by the model version that had not seen it (the retraining does that anyway, to record
where the LLM's picks fell, `training._agreement`).

A logistic regression over [1, the score standardised within its day, log(1 + most picks of one
of its authors), log(1 + most papers of one of its authors seen)], fitted one day at a time as a
Bayesian update: its Gaussian posterior (Laplace's approximation) is the next day's prior, so
two small arrays in the model's metadata hold all the days seen, and no day's rows are kept.
The prior before any day is the ranker alone (weight 1 on its score, 0 on the authors).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from papersieve.judges.local.model.scoring import standardise

PRIOR_MEAN = (0.0, 1.0, 0.0, 0.0)
"""Intercept, score, picked authors, prolific authors: the ranker's order, the authors unheard."""
PRIOR_PRECISION = 1.0
"""Inverse variance of each weight before any day (a ridge penalty of 1 on the first day)."""
MIN_DAYS = 2
"""Unseen labelled days the weights must have been fitted on before they reorder a day."""
NEWTON_STEPS = 25


@dataclass(frozen=True)
class Stack:
    """The posterior of the weights: mean, precision (inverse covariance), days it saw."""

    mean: np.ndarray
    precision: np.ndarray
    days: int

    def to_meta(self) -> dict[str, Any]:
        """A JSON-able form for the model's metadata."""
        return {"mean": [round(float(v), 6) for v in self.mean],
                "precision": [[round(float(v), 6) for v in row] for row in self.precision],
                "days": self.days}

    @classmethod
    def from_meta(cls, meta: object) -> Stack | None:
        """What `to_meta` wrote; None for a missing or malformed entry."""
        if not isinstance(meta, dict):
            return None
        try:
            mean = np.asarray(meta["mean"], dtype=float)
            precision = np.asarray(meta["precision"], dtype=float)
            days = int(meta["days"])
        except (KeyError, TypeError, ValueError):
            return None
        if mean.shape != (len(PRIOR_MEAN),) or precision.shape != (len(PRIOR_MEAN),) * 2:
            return None
        return cls(mean, precision, days)


def initial() -> Stack:
    """The prior before any day."""
    size = len(PRIOR_MEAN)
    return Stack(np.array(PRIOR_MEAN, dtype=float), PRIOR_PRECISION * np.eye(size), 0)


def stack_rows(scores: np.ndarray, authors: np.ndarray) -> np.ndarray:
    """The regression's rows: 1, the scores standardised within the batch, the author columns
    (`TextModel.author_columns`)."""
    return np.hstack([np.ones((len(scores), 1)), standardise(scores)[:, None], authors])


def update(stack: Stack | None, rows: np.ndarray, targets: np.ndarray) -> Stack:
    """The posterior after one more day: the MAP of its log-likelihood plus the Gaussian prior
    `stack` (Newton's method), and the Hessian there as the new precision."""
    prior = stack or initial()
    if not len(rows):
        return prior
    y = np.asarray(targets, dtype=float)
    weights = prior.mean.copy()
    hessian = prior.precision
    for _ in range(NEWTON_STEPS):
        p = 1.0 / (1.0 + np.exp(-np.clip(rows @ weights, -30, 30)))
        gradient = rows.T @ (p - y) + prior.precision @ (weights - prior.mean)
        hessian = rows.T @ (rows * (p * (1 - p))[:, None]) + prior.precision
        step = np.linalg.solve(hessian, gradient)
        weights = weights - step
        if float(np.abs(step).max()) < 1e-8:
            break
    p = 1.0 / (1.0 + np.exp(-np.clip(rows @ weights, -30, 30)))
    hessian = rows.T @ (rows * (p * (1 - p))[:, None]) + prior.precision
    return Stack(weights, hessian, prior.days + 1)


def stacked(stack: Stack, rows: np.ndarray) -> np.ndarray:
    """The log-odds of a pick for each row (the order the day is then cut in)."""
    result: np.ndarray = rows @ stack.mean
    return result
