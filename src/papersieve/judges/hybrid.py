"""`HybridJudge`: the local ranker orders the day; the LLM sees only the share worth its price.

Papers by pinned authors and the ranker's top share go to the LLM; the rest are recorded as
skipped by the local ranker, with their local score. The share comes from how the ranker placed
the LLM's picks on recent labelled days (recorded at each retraining): the smallest top share
whose estimated recall of the picks, lowered by a one-sided 90% bound, reaches `target_recall`.

Once papers are held back the LLM never sees the picks among them, so measured agreement would
flatter the ranker. An exploration sample keeps it honest: a held-back paper is sent too when its
id falls in a fixed hash bucket, a quarter of the ids just below the cut and 3% further down
(independent of anything else about the paper), and a pick found there stands for 1 / rate
held-back picks in the recall estimate. With too
little history everything is sent.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from papersieve.authors import normalise_name
from papersieve.judges.exploration import explore_rate, explored
from papersieve.judges.interface import Judge, JudgeResult, ProgressCallback
from papersieve.judges.local.judge import LocalJudge
from papersieve.models import Judgement, Outcome, Paper
from papersieve.prefilter.rules import first_keyword
from papersieve.profile.loader import Profile
from papersieve.store.db import Store

MIN_HISTORY_DAYS = 3
"""Labelled days the ranker must have been measured on before anything is held back."""
RECENT_DAYS = 20
BOUND_Z = 1.2816
"""One-sided 90% normal quantile: the recall estimate must clear the target by this many SEs."""
MIN_SHARE = 0.15
MAX_WEIGHT = 8.0
"""Cap on one explored pick's weight (clipped importance weights: a little bias for far less
variance; one far pick at weight 33 would otherwise hold the share near 75% for weeks)."""


def _weighted(entries: list[float] | list[list[float]]) -> tuple[np.ndarray, np.ndarray]:
    """(positions, weights) of one day's record; a bare position weighs 1 (older versions)."""
    pairs = [(float(e), 1.0) if isinstance(e, int | float) else (float(e[0]), float(e[1]))
             for e in entries]
    return np.array([p for p, _ in pairs]), np.array([w for _, w in pairs])


def share_to_send(agreement: dict[str, list[float]] | dict[str, list[list[float]]],
                  target_recall: float) -> float | None:
    """The top share of candidates to send, or None when there is too little history.

    `agreement` maps a day to where each LLM pick fell in the ranker's order (0 = top, 1 = last),
    each position alone or as [position, weight] (a pick found by exploration weighs more).
    """
    days = [d for d in sorted(agreement) if agreement[d]][-RECENT_DAYS:]
    if len(days) < MIN_HISTORY_DAYS:
        return None
    parts = [_weighted(agreement[d]) for d in days]
    positions = np.concatenate([p for p, _ in parts])
    weights = np.minimum(np.concatenate([w for _, w in parts]), MAX_WEIGHT)
    order = np.argsort(positions, kind="stable")
    positions, weights = positions[order], weights[order]
    effective = weights.sum() ** 2 / float((weights**2).sum())
    recall = np.cumsum(weights) / weights.sum()
    lower = recall - BOUND_Z * np.sqrt(recall * (1 - recall) / effective)
    reached = np.flatnonzero(lower >= target_recall)
    if not len(reached):
        return 1.0
    # Send through the position of the pick that reached the target (inclusive).
    return min(1.0, max(MIN_SHARE, float(positions[reached[0]]) + 1e-9))


class HybridJudge(Judge):
    """Local ranker first, the LLM for the promising share and the pinned authors."""

    name = "hybrid"

    def __init__(self, profile: Profile, store: Store, llm: Judge) -> None:
        self.profile = profile
        self.store = store
        self.llm = llm
        self.local = LocalJudge(profile, store)
        self.pinned = {a.key for a in profile.pinned_authors}
        self.include = profile.settings.filters.include_keywords
        self.last_scores: dict[str, tuple[float, float]] = {}
        """Local (score, relevance) of each paper of the last `plan`."""

    @property
    def model(self) -> str:
        """The LLM's model with the local ranker's version."""
        return f"{self.llm.model}+{self.local.model}"

    @property
    def prompt_hash(self) -> str:
        """The LLM's prompt decides the verdicts that count."""
        return self.llm.prompt_hash

    def _is_pinned(self, paper: Paper) -> bool:
        """A pinned author's paper, or one matching an include keyword: always sent to the LLM."""
        return (any(normalise_name(name) in self.pinned for name in paper.authors)
                or first_keyword(paper, self.include) is not None)

    def plan(self, papers: Sequence[Paper]) -> tuple[list[Paper], list[Paper], np.ndarray, str]:
        """(sent, held back, local scores, note) for a day's candidates."""
        ranker, raw, relevance = self.local.score(papers)
        self.last_scores = {p.id: (float(raw[i]), float(relevance[i])) for i, p in enumerate(papers)}
        share = share_to_send(ranker.meta.get("agreement", {}) if ranker.model else {},
                              self.profile.settings.judge.target_recall)
        if share is None:
            return list(papers), [], raw, (
                "hybrid: too little labelled history to trust the local ranker; "
                "every candidate was sent to the LLM")
        order = np.argsort(-raw, kind="stable")
        keep = math.ceil(share * len(papers))
        top = {papers[i].id for i in order[:keep]}
        rank = {papers[i].id: r / len(papers) for r, i in enumerate(order)}
        chosen = {p.id for p in papers if p.id in top or self._is_pinned(p)
                  or explored(p.id, explore_rate(rank[p.id], keep / len(papers)))}
        sent = [p for p in papers if p.id in chosen]
        held = [p for p in papers if p.id not in chosen]
        aim = self.profile.settings.judge.target_recall
        note = (f"hybrid: sent {len(sent)} of {len(papers)} candidates to the LLM (top {share:.0%} "
                f"of the local ranking, pinned authors, include keywords and an exploration sample of "
                f"the rest, aiming at {aim:.0%} of its picks)")
        return sent, held, raw, note

    def judge(self, papers: Sequence[Paper], run_id: int | None = None,
              progress: ProgressCallback | None = None) -> JudgeResult:
        """The LLM's judgements of the sent papers, SKIPPED_LOCAL for the others."""
        papers = list(papers)
        sent, held, _, note = self.plan(papers)
        result = self.llm.judge(sent, run_id=run_id, progress=progress) if sent else JudgeResult(())
        skipped = tuple(
            Judgement(paper_id=p.id, outcome=Outcome.SKIPPED_LOCAL, judge=self.name,
                      model=self.local.model, prompt_hash=self.local.prompt_hash,
                      relevance=self.last_scores[p.id][1], novelty=None,
                      comment="Not sent to the LLM: below the local ranker's share.",
                      detail=f"local score {self.last_scores[p.id][0]:.3f}")
            for p in held
        )
        return JudgeResult(judgements=result.judgements + skipped, usage=result.usage,
                           calls=result.calls, prompt=result.prompt, notes=(*result.notes, note))
