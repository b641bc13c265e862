"""`LocalJudge`: no network, no key. Relevance 1-10 from the local ranker; no novelty score."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from papersieve.judges.interface import Judge, JudgeResult, Progress, ProgressCallback
from papersieve.judges.local.explain import comment_for, liked_papers
from papersieve.judges.local.model.calibration import calibrated, on_topic, topic_evidence
from papersieve.judges.local.model.persist import StoredModel, latest_version, load_model
from papersieve.judges.local.model.ranker import Ranker
from papersieve.judges.local.model.scoring import MIN_SELF_TRAIN
from papersieve.judges.local.model.training import DEFAULT_PICK_RATE, day_candidates
from papersieve.judges.local.text.contribution import contribution_sentence
from papersieve.language import is_english
from papersieve.models import Judgement, Outcome, Paper
from papersieve.profile.loader import Profile
from papersieve.store.db import Store
from papersieve.store.feedback import feedback_profiles
from papersieve.store.papers import get_papers
from papersieve.tldr import EXTRACTIVE, cut_words


class LocalJudge(Judge):
    """Ranks papers against the profile and what was learned from labels in the store."""

    name = "local"

    def __init__(self, profile: Profile, store: Store) -> None:
        self.profile = profile
        self.store = store
        self._stored: StoredModel | None = None
        self._loaded_version = -1

    def _current(self) -> StoredModel | None:
        version = latest_version(self.store, self.profile.name)
        if version != self._loaded_version:
            self._stored = load_model(self.store, self.profile.name)
            self._loaded_version = version
        return self._stored

    @property
    def model(self) -> str:
        """local-<method>-v<version> (v0: the profile alone), the method tfidf or embeddings."""
        version = max(self._loaded_version, 0) if self._stored else 0
        return f"local-{self.profile.settings.judge.local_method}-v{version}"

    @property
    def prompt_hash(self) -> str:
        """The topics text decides the cold-start part."""
        return hashlib.sha256(self.profile.prompts.topics.encode()).hexdigest()[:16]

    def ranker(self) -> Ranker:
        """The ranker of the newest stored model version."""
        stored = self._current()
        if stored is None:
            return Ranker(self.profile, None, {}, self.store)
        return Ranker(self.profile, stored.model, stored.meta, self.store)

    def pass_share(self) -> float:
        """The share of candidates the LLM picked so far (what relevance >= cutoff should keep)."""
        stored = self._current()
        return float(stored.meta.get("pick_rate", DEFAULT_PICK_RATE)) if stored else DEFAULT_PICK_RATE

    def score(self, papers: Sequence[Paper]) -> tuple[Ranker, np.ndarray, np.ndarray]:
        """The ranker used, raw scores and relevance 1-10 for `papers`.

        A day's candidates are their own scale, cut where the LLM's pick rate says; a paper with
        no evidence of being on topic stays below 6 (`model.calibration`). A small batch is
        scored among the newest labelled day's candidates, so that its 1-10 means what it
        means on a whole day.
        """
        ranker = self.ranker()
        context = self._context(papers) if len(papers) < MIN_SELF_TRAIN else []
        scored = ranker.scores([*papers, *context])
        raw = scored[: len(papers)]
        evidence = topic_evidence(papers, ranker.cold(papers), ranker.topics, ranker.space)
        allowed = on_topic(evidence, ranker.labelled_picks)
        return ranker, raw, calibrated(raw, scored, self.pass_share(), allowed)

    def _context(self, papers: Sequence[Paper]) -> list[Paper]:
        stored = self._current()
        days = stored.meta.get("days", []) if stored else []
        if not days:
            return []
        own = {p.id for p in papers}
        ids = day_candidates(self.store, self.profile.name, days[-1])
        return [p for pid, p in get_papers(self.store, ids).items() if pid not in own]

    def judge(self, papers: Sequence[Paper], run_id: int | None = None,
              progress: ProgressCallback | None = None) -> JudgeResult:
        """One JUDGED judgement per paper, novelty None."""
        papers = list(papers)
        ranker, raw, relevance = self.score(papers)
        liked = liked_papers(self.store, self.profile.name)
        comments = comment_for(ranker, papers, liked)
        tldrs = [extractive_tldr(p) if self.profile.settings.outputs.tldr else "" for p in papers]
        model, prompt_hash = self.model, self.prompt_hash  # once: a group judges a million papers
        judgements = tuple(
            Judgement(paper_id=p.id, outcome=Outcome.JUDGED, judge=self.name, model=model,
                      prompt_hash=prompt_hash, relevance=float(relevance[i]), novelty=None,
                      comment=comments[i], detail=f"local score {raw[i]:.3f}",
                      tldr=tldrs[i], tldr_kind=EXTRACTIVE if tldrs[i] else "")
            for i, p in enumerate(papers)
        )
        if progress is not None:
            progress(Progress(len(papers), len(papers), message="local judge done"))
        notes: list[str] = [] if ranker.model is not None else [self._no_history()]
        if papers and not any(j.relevance is not None and j.relevance >= self.cutoff
                              for j in judgements):
            which = ("the one paper did not match" if len(papers) == 1
                     else f"none of the {len(papers)} papers matched")
            notes.append(f"local judge: nothing on your topics today ({which} a key phrase"
                         " of your topics closely enough to pick)")
        language = self.profile.settings.outputs.language
        if not is_english(language):
            notes.append(f"local judge: its comments are written in English (outputs.language ="
                         f" {language} applies to the LLM judge only)")
        return JudgeResult(judgements=judgements, notes=tuple(notes))

    def _no_history(self) -> str:
        """The note of a judge with nothing learned: feedback belongs to the profile it was given
        on, so a new profile says whose the store's likes are instead of taking them."""
        note = "local judge: no labelled history yet, scores come from the profile text alone"
        others = {k: v for k, v in self.feedback_counts().items() if k != self.profile.name}
        if others:
            note += (" (the store's likes and dislikes belong to other profiles: "
                     + ", ".join(f"{k} {v}" for k, v in others.items())
                     + "; papersieve teach or import-likes teaches this one)")
        return note

    def feedback_counts(self) -> dict[str, int]:
        """Likes and dislikes per profile in the store."""
        return feedback_profiles(self.store)

    @property
    def cutoff(self) -> float:
        """The profile's relevance cutoff (the local judge scores no novelty)."""
        return float(self.profile.settings.cutoffs.relevance)


def extractive_tldr(paper: Paper) -> str:
    """The abstract's contribution sentence, cut to the TL;DR's length."""
    return cut_words(contribution_sentence(paper.title, paper.abstract))
