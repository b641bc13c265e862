"""`HybridJudge`: the local ranker orders the day; the LLM sees only the share worth its price.

Papers by pinned authors and the ranker's top share go to the LLM; the rest are recorded as
skipped by the local ranker, with their local score. The share comes from how the ranker placed
the LLM's picks on recent labelled days (recorded at each retraining): the smallest top share
that held `target_recall` of them, plus a safety margin. With too little history, or with a
ranker that disagreed too often, everything is sent.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from papersieve.authors import normalise_name
from papersieve.judges.interface import Judge, JudgeResult, ProgressCallback
from papersieve.judges.local.judge import LocalJudge
from papersieve.models import Judgement, Outcome, Paper
from papersieve.profile.loader import Profile
from papersieve.store.db import Store

MIN_HISTORY_DAYS = 3
"""Labelled days the ranker must have been measured on before anything is held back."""
RECENT_DAYS = 10
SAFETY_MARGIN = 0.10
MIN_SHARE = 0.15


def share_to_send(agreement: dict[str, list[float]], target_recall: float) -> float | None:
    """The top share of candidates to send, or None when there is too little history.

    `agreement` maps a day to where each LLM pick fell in the ranker's order (0 = top, 1 = last).
    """
    days = [d for d in sorted(agreement) if agreement[d]][-RECENT_DAYS:]
    if len(days) < MIN_HISTORY_DAYS:
        return None
    positions = np.sort(np.concatenate([np.asarray(agreement[d]) for d in days]))
    needed = math.ceil(target_recall * len(positions)) - 1
    share = float(positions[min(max(needed, 0), len(positions) - 1)]) + SAFETY_MARGIN
    return min(1.0, max(MIN_SHARE, share))


class HybridJudge(Judge):
    """Local ranker first, the LLM for the promising share and the pinned authors."""

    name = "hybrid"

    def __init__(self, profile: Profile, store: Store, llm: Judge) -> None:
        self.profile = profile
        self.store = store
        self.llm = llm
        self.local = LocalJudge(profile, store)
        self.pinned = {a.key for a in profile.pinned_authors}
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
        return any(normalise_name(name) in self.pinned for name in paper.authors)

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
        sent = [p for p in papers if p.id in top or self._is_pinned(p)]
        held = [p for p in papers if p.id not in top and not self._is_pinned(p)]
        note = (f"hybrid: sent {len(sent)} of {len(papers)} candidates to the LLM (top {share:.0%} "
                f"of the local ranking plus pinned authors, aiming at "
                f"{self.profile.settings.judge.target_recall:.0%} of its picks)")
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
