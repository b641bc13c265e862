"""The local ranker: the profile's cold-start and semantic score blended with the learned model."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from papersieve.judges.local.features.dense import DenseFeatures, dense_features
from papersieve.judges.local.features.earlier import answered, earlier_days
from papersieve.judges.local.features.listing import listed_primary
from papersieve.judges.local.features.paper import (
    ColdFeatures,
    batch_cold_scores,
    cold_features,
    has_row,
    plain_cold_scores,
    text_key,
)
from papersieve.judges.local.features.semantic import JOINT, has_vector
from papersieve.judges.local.model.learned import TextModel
from papersieve.judges.local.model.scoring import (
    SELF_TRAIN_MIN_PAPERS,
    Earlier,
    combine,
    first_guess,
    pooled_prior,
    profile_prior,
    standardise,
)
from papersieve.judges.local.model.stacking import MIN_DAYS, Stack, stack_rows, stacked
from papersieve.judges.local.text.lexicon import GENERAL_PRIOR, lexicon_for, wants_foundational
from papersieve.judges.local.text.topics import TopicTerms, parse_topics
from papersieve.models import Paper
from papersieve.profile.loader import Profile
from papersieve.store.db import Store

_COLD: dict[tuple[tuple[str, str, str], tuple[str, ...], str, str], ColdFeatures] = {}
"""(text, categories, topics, field) -> cold-start features. The categories are part of the key:
the category prior reads them, and a paper listed again with other cross-lists (a later day)
kept its first listing's prior (issue 19: a crowd's judge computing afresh disagreed)."""


@lru_cache(maxsize=2048)  # a group's day: one per profile (issue 19)
def _topics(text: str) -> TopicTerms:
    return parse_topics(text)


class Ranker:
    """Scores papers for one profile with one (optional) learned model version."""

    def __init__(self, profile: Profile, model: TextModel | None, meta: dict[str, Any],
                 store: Store | None = None) -> None:
        self.profile = profile
        self.model = model
        self.meta = meta
        self.store = store
        self.embeddings = profile.settings.judge.local_method == "embeddings"
        self.topics = _topics(profile.prompts.topics)
        self.foundational = wants_foundational(profile.prompts.topics)
        self.field = lexicon_for(profile.settings.categories)
        """The field's word lists (application, theory), if the profile's field has them."""
        self.space = self.field.semantic_space if self.field is not None else JOINT
        """The semantic space: the field's own, else the joint space that knows every field."""
        self.prior = self.field.prior if self.field is not None else GENERAL_PRIOR
        """How the profile's parts combine: the field's own, else the general; the field's
        `cold_prior` while the LLM has judged none of the profile's days."""
        if self.field is not None and self.field.cold_prior is not None and not meta.get("days"):
            self.prior = self.field.cold_prior
        self._pooled: tuple[tuple[str, ...], np.ndarray] | None = None
        self.pool_earlier = True
        """Whether the pooled prior reads the earlier listing days (a group's crowd does not)."""

    @property
    def labelled_picks(self) -> int:
        """Positive labels the model learned from, a like counting as FEEDBACK_WEIGHT picks."""
        if self.model is None:
            return 0
        return round(float(self.meta.get("evidence", self.meta.get("positives", 0))))

    @property
    def answers_only(self) -> bool:
        """True when the model learned from the user's likes and dislikes alone: no LLM verdict,
        no library entry (`scoring.ANSWERS_ONLY_WEIGHT`). A model stored before the count of
        library entries was kept is not capped until it is retrained."""
        return (self.model is not None and not self.meta.get("llm_labels")
                and self.meta.get("library_labels", 1) == 0)

    @property
    def field_name(self) -> str:
        """The field whose word lists the cold-start components use ('' for none)."""
        return self.field.field if self.field is not None else ""

    def cold(self, papers: Sequence[Paper]) -> list[ColdFeatures]:
        """Cold-start features (cached per paper text and topics text)."""
        key, field = self.profile.prompts.topics, self.field_name
        out = []
        for paper in papers:
            cache_key = (text_key(paper), paper.categories, key, field)
            found = _COLD.get(cache_key)
            if found is None:
                if len(_COLD) > 100_000:
                    _COLD.clear()
                found = _COLD[cache_key] = cold_features(paper, self.topics, self.field)
            out.append(found)
        return out

    def remembers(self, paper: Paper) -> bool:
        """True when this process holds every feature of the paper (no need to read them)."""
        return ((text_key(paper), paper.categories, self.profile.prompts.topics, self.field_name) in _COLD
                and has_row(paper)
                and has_vector(paper, self.space))

    def dense(self, papers: Sequence[Paper], colds: Sequence[ColdFeatures] | None = None) -> DenseFeatures:
        """Semantic scores and dense model rows (vectors cached per paper text; sentence
        embeddings, with that method, cached in the store too)."""
        embedded = None
        if self.embeddings:
            from papersieve.judges.local.features.embeddings import paper_embeddings

            embedded = paper_embeddings(self.store, papers)
        return dense_features(papers, self.cold(papers) if colds is None else colds, self.topics,
                              embedded, self.space, self.prior.semantic_centre)

    def scores(self, papers: Sequence[Paper]) -> np.ndarray:
        """One score per paper; higher is better: the blend of prior and learned model, and,
        once `model.stacking` has weighed them on enough unseen days, the authors' record."""
        return self.stacked(papers, self.base_scores(papers))

    def stacked(self, papers: Sequence[Paper], base: np.ndarray,
                authors: np.ndarray | None = None) -> np.ndarray:
        """`base` (this ranker's `base_scores` of `papers`) with the authors' record stacked on,
        once the weights are learned (`authors`: the author columns, when already at hand)."""
        stack = Stack.from_meta(self.meta.get("stack"))
        if stack is None or stack.days < MIN_DAYS or not papers:
            return base
        authors = self.author_columns(papers) if authors is None else authors
        return base if authors is None else stacked(stack, stack_rows(base, authors))

    def lifts_picked_authors(self) -> bool:
        """True when the stacking reorders days and raises papers by authors picked before."""
        stack = Stack.from_meta(self.meta.get("stack"))
        return (stack is not None and stack.days >= MIN_DAYS and float(stack.mean[2]) > 0
                and self.model is not None and self.model.picked is not None)

    def author_columns(self, papers: Sequence[Paper]) -> np.ndarray | None:
        """The stacking's author columns of `papers` (None without a model that counts them)."""
        return self.model.author_columns(papers) if self.model is not None else None

    def base_scores(self, papers: Sequence[Paper]) -> np.ndarray:
        """The profile prior blended with the learned model (no stacking)."""
        if not papers:
            return np.zeros(0)
        colds = self.cold(papers)
        cold = self.cold_scores(colds)
        dense = self.dense(papers, colds)
        listed = listed_primary(papers, self.profile.settings.categories)
        if self.prior.pool_days and self.store is not None:
            prior = self.pooled_scores(papers, cold, dense, listed)
        else:
            prior = self.prior_scores(papers, cold, dense.semantic, dense.vectors, listed)
        return combine(papers, prior, self.model, self.labelled_picks, dense.matrix,
                       self.answers_only)

    def cold_scores(self, colds: Sequence[ColdFeatures]) -> np.ndarray:
        """The cold-start score of a batch as the prior weighs it: key phrases weighed by rarity
        with `phrase_idf`, those that count against a paper by `against_weight`."""
        if self.prior.phrase_idf:
            return batch_cold_scores(colds, self.foundational, self.prior.against_weight)
        return plain_cold_scores(colds, self.foundational, self.prior.against_weight)

    def pooled_scores(self, papers: Sequence[Paper], cold: np.ndarray, dense: DenseFeatures,
                      listed: np.ndarray) -> np.ndarray:
        """The prior self-trained with earlier days' papers and the user's answers
        (`scoring.pooled_prior`; the batch's own when the store has neither, or for a batch too
        small to self-train on, which reads nothing). Kept for the last batch: a judge asks for
        the same papers' scores more than once."""
        key = tuple(p.id for p in papers)
        if self._pooled is not None and self._pooled[0] == key:
            return self._pooled[1]
        earlier = self.earlier(papers) if len(papers) >= SELF_TRAIN_MIN_PAPERS else None
        if earlier is None:
            prior = self.prior_scores(papers, cold, dense.semantic, dense.vectors, listed)
        else:
            prior = pooled_prior(papers, cold, dense.semantic, dense.vectors, listed, self.prior,
                                 earlier)
        self._pooled = (key, prior)
        return prior

    def earlier(self, papers: Sequence[Paper]) -> Earlier | None:
        """The earlier days' papers and the answered papers `pooled_scores` reads (None: none)."""
        if self.store is None:
            return None
        batch = {p.id for p in papers}
        labels, liked_or_not = answered(self.store, self.profile.name)
        chosen: list[Paper] = []
        guesses: list[np.ndarray] = []
        vectors: list[np.ndarray] = []
        for day in earlier_days(self.store, papers, self.prior.pool_days) if self.pool_earlier else []:
            colds = self.cold(day)
            cold = self.cold_scores(colds)
            dense = self.dense(day, colds)
            listed = listed_primary(day, self.profile.settings.categories)
            guess = standardise(first_guess(cold, dense.semantic, listed, self.prior))
            keep = [i for i, p in enumerate(day) if p.id not in batch]
            chosen.extend(day[i] for i in keep)
            guesses.append(guess[keep])
            vectors.append(dense.vectors[keep])
        seen = batch | {p.id for p in chosen}
        extra = [p for i, p in liked_or_not.items() if i not in seen]
        if extra:
            chosen.extend(extra)
            guesses.append(np.zeros(len(extra)))
            vectors.append(self.dense(extra).vectors)
        if not chosen and not batch.intersection(labels):
            return None
        width = self.dense(papers[:1]).vectors.shape[1]
        return Earlier(chosen, np.concatenate(guesses) if guesses else np.zeros(0),
                       np.vstack(vectors) if vectors else np.zeros((0, width)), labels)

    def prior_scores(self, papers: Sequence[Paper], cold: np.ndarray, semantic: np.ndarray,
                     vectors: np.ndarray, listed: np.ndarray) -> np.ndarray:
        """The score from the profile alone (`scoring.profile_prior`); a crowd's ranker computes
        the same with the self-training's matrix shared (judges/local/crowd.py)."""
        return profile_prior(papers, cold, semantic, vectors, listed, self.prior)
