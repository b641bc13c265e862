"""The local judge for a crowd: many profiles, one day, the paper side computed once.

`LocalCrowd(store, profiles)` hands out one `Judge` per profile (`judge_for`), each giving exactly
the judgements `LocalJudge` gives that profile for the same papers. What the profiles share is
computed once for all of them:

- each paper is tokenised and stemmed once, and looked up once in one index holding every
  profile's key phrases (`_PhraseIndex`), instead of once per profile;
- the field word lists' parts of the cold-start features are computed once per paper and field;
- a batch of papers that several profiles judge (the same candidates) has its TF-IDF rows and
  their Gram matrix computed once: each profile's self-training then takes its rows of that
  matrix (bit for bit the product it would have computed alone, see `_Batch`);
- the semantic vectors and hashed n-grams are the process's caches (`features`), shared already.

Retraining (`retrain_waiting`) is for the profiles whose labels are newer than their model only,
oldest waiting label first, and starts no new retraining once `train_budget` seconds have gone
by; the others wait for the next day. Its judges say `trains_itself`, so the pipeline leaves
retraining to the crowd.
"""

from __future__ import annotations

import operator
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from papersieve.judges.interface import Judge, JudgeResult, Progress, ProgressCallback
from papersieve.judges.local.features.coldstart import (
    _STOP,
    ABSTRACT_WEIGHT,
    KIND_WEIGHT,
    TITLE_WEIGHT,
    Match,
    _matcher,
)
from papersieve.judges.local.features.paper import (
    ColdFeatures,
    cached_rows,
    cold_features,
    term_counts,
    text_key,
)
from papersieve.judges.local.features.semantic import paper_vectors
from papersieve.judges.local.judge import LocalJudge
from papersieve.judges.local.model.learned import TextModel, fit_idf, tfidf
from papersieve.judges.local.model.ranker import Ranker
from papersieve.judges.local.model.scoring import (
    DUAL_MAX_ROWS,
    MIN_AGREEMENT,
    SELF_TRAIN_MIN_PAPERS,
    SELF_TRAIN_RIDGE,
    _pseudo_labels,
    _solve,
    first_guess,
    profile_prior,
    rank_agreement,
    self_trained,
    self_trained_dense,
    standardise,
)
from papersieve.judges.local.model.training import TrainReport, retrain
from papersieve.judges.local.text.lexicon import FieldLexicon
from papersieve.judges.local.text.topics import TopicTerms, parse_topics
from papersieve.judges.local.text.words import stem, words
from papersieve.models import Paper
from papersieve.profile.loader import Profile
from papersieve.store.db import Store
from papersieve.store.feedback import feedback_profiles, waiting_to_learn

TRAIN_BUDGET = 60.0
"""Seconds of retraining a crowd starts per day by default (`judge.train_budget`)."""
BATCHES_KEPT = 4
"""Distinct batches whose TF-IDF rows and Gram matrix are kept (profiles with the same
categories judge the same candidates one after another)."""
_NO_FIELD = ColdFeatures(0.0, 0.0, 0.0, 0.0, (), ())
_NO_TOPICS = TopicTerms((), ())
TextKey = tuple[str, str, str]
Hits = tuple[set[int], set[int]]
"""Indices of a profile's terms found in a paper's title and in its abstract."""


class _PhraseIndex:
    """Every profile's key phrases in one index, as `coldstart` matches them for one profile: a
    one-word phrase by set lookup, a longer one by substring when its first word is present."""

    def __init__(self, topics: Sequence[TopicTerms]) -> None:
        self.matchers = [_matcher(t) for t in topics]
        self.single: dict[str, list[tuple[int, tuple[int, ...]]]] = {}
        self.multi: dict[str, list[tuple[int, tuple[tuple[int, str], ...]]]] = {}
        for who, matcher in enumerate(self.matchers):
            for word, terms in matcher.single.items():
                self.single.setdefault(word, []).append((who, terms))
            for first, phrases in matcher.multi.items():
                self.multi.setdefault(first, []).append((who, phrases))

    def _found(self, content: list[str]) -> dict[int, set[int]]:
        present = set(content)
        hits: dict[int, set[int]] = {}
        for word in present.intersection(self.single):
            for who, terms in self.single[word]:
                hits.setdefault(who, set()).update(terms)
        starts = present.intersection(self.multi)
        if "" in self.multi:
            starts.add("")
        if starts:
            padded = " " + " ".join(content) + " "
            for word in starts:
                for who, phrases in self.multi[word]:
                    found = {i for i, phrase in phrases if phrase in padded}
                    if found:
                        hits.setdefault(who, set()).update(found)
        return hits

    def hits(self, paper: Paper) -> dict[int, Hits]:
        """Profile index -> its terms found in the paper's title and abstract (hits only)."""
        title = [w for w in map(stem, words(paper.title)) if w not in _STOP]
        abstract = [w for w in map(stem, words(paper.abstract)) if w not in _STOP]
        in_title, in_abstract = self._found(title), self._found(abstract)
        return {who: (in_title.get(who, set()), in_abstract.get(who, set()))
                for who in in_title.keys() | in_abstract.keys()}

    def cold(self, who: int, hits: Hits, base: ColdFeatures) -> ColdFeatures:
        """The profile's cold-start features of a paper with these hits (`coldstart.score_stems`
        and `paper.cold_features`, the field parts taken from `base`)."""
        in_title, in_abstract = hits
        terms = self.matchers[who].terms
        matches: list[Match] = []
        total = 0.0
        for i in sorted(in_title | in_abstract):
            weight = (TITLE_WEIGHT if i in in_title else 0.0) + (ABSTRACT_WEIGHT if i in in_abstract else 0.0)
            signed = weight * KIND_WEIGHT[terms[i].kind]
            matches.append(Match(terms[i], signed))
            total += signed
        return ColdFeatures(total, base.application, base.theory, base.category, tuple(matches),
                            base.application_hits)


@dataclass(frozen=True)
class _Batch:
    """One batch's TF-IDF rows and their Gram matrix. Entry (i, j) of `rows @ rows.T` is summed
    over row i's columns in the same order whichever rows are multiplied, so a profile's kernel
    `gram[picked][:, picked]` equals `rows[picked] @ rows[picked].T` bit for bit."""

    rows: object
    gram: np.ndarray


@dataclass
class _Day:
    """What the crowd has computed for the papers it has seen."""

    hits: dict[TextKey, dict[int, Hits]] = field(default_factory=dict)
    fields: dict[tuple[TextKey, tuple[str, ...], str], ColdFeatures] = field(default_factory=dict)
    colds: dict[tuple[int, TextKey], ColdFeatures] = field(default_factory=dict)
    batches: dict[tuple[str, ...], _Batch] = field(default_factory=dict)
    view: list[_View] = field(default_factory=list)
    """The last batch of papers asked about (at most one: profiles judge it one after another)."""


@dataclass
class _View:
    """One batch of papers (the very Paper objects) as the crowd's profiles see it: each field's
    part of the cold-start features, once per field, and which profiles have key-phrase hits
    in which of the batch's papers, so that a profile's features are the field's list with its
    few hit papers replaced (no pass over every paper per profile)."""

    papers: tuple[Paper, ...]
    keys: list[TextKey]
    by_who: dict[int, list[int]]
    """Profile -> positions of the batch's papers where it has a key-phrase hit."""
    fields: dict[str, list[ColdFeatures]] = field(default_factory=dict)

    def holds(self, papers: Sequence[Paper]) -> bool:
        """True when `papers` are this batch's very objects, in order."""
        return len(papers) == len(self.papers) and all(map(operator.is_, papers, self.papers))


class Ahead(Protocol):
    """Judgements made ahead of time by another process (`group_ahead.JudgeAhead`)."""

    def take(self, profile: str, papers: Sequence[Paper]) -> JudgeResult | None:
        """The profile's judgements of exactly `papers`, made from the store as it is now;
        None when there are none (then the judge judges them itself)."""


class LocalCrowd:
    """The local judge for many profiles over one day's papers (see the module docstring)."""

    ahead: Ahead | None = None

    def __init__(self, store: Store, profiles: Sequence[Profile], *,
                 train_budget: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.profiles = {p.name: p for p in profiles}
        self._order = {name: i for i, name in enumerate(self.profiles)}
        self.topics = [parse_topics(p.prompts.topics) for p in self.profiles.values()]
        self._rankers = [Ranker(p, None, {}) for p in self.profiles.values()]
        self._fields = [r.field for r in self._rankers]
        self._index = _PhraseIndex(self.topics)
        self._day = _Day()
        self._feedback: dict[str, int] | None = None
        self.train_budget = (min((p.settings.judge.train_budget for p in profiles), default=TRAIN_BUDGET)
                             if train_budget is None else train_budget)
        self.clock = clock

    def judge_for(self, profile: Profile) -> Judge:
        """The judge of one of the crowd's profiles (KeyError for a profile it does not hold)."""
        return CrowdJudge(self, self._order[profile.name], self.profiles[profile.name])

    def prepare(self, papers: Sequence[Paper]) -> None:
        """Tokenise the papers not seen yet and look them up for every profile at once."""
        for paper in papers:
            key = text_key(paper)
            if key not in self._day.hits:
                self._day.hits[key] = self._index.hits(paper)

    def warm(self, papers: Sequence[Paper]) -> None:
        """Compute what every profile reads of `papers` now (the phrase hits, each semantic
        space's vectors, the n-gram rows), before a group's work is shared among processes."""
        self.prepare(papers)
        for space in dict.fromkeys(r.space for r in self._rankers):
            paper_vectors(papers, space)
        cached_rows(papers)

    def cold(self, who: int, papers: Sequence[Paper]) -> list[ColdFeatures]:
        """Profile `who`'s cold-start features of `papers`, as `Ranker.cold` gives them."""
        view = self._view(papers)
        lexicon = self._fields[who]
        if lexicon is None:
            out = [_NO_FIELD] * len(papers)
        else:
            base = view.fields.get(lexicon.field)
            if base is None:
                base = view.fields[lexicon.field] = [
                    self._field_part(p, k, lexicon) for p, k in zip(papers, view.keys, strict=True)]
            out = list(base)
        for i in view.by_who.get(who, ()):
            out[i] = self._cold(who, papers[i], view.keys[i])
        return out

    def _view(self, papers: Sequence[Paper]) -> _View:
        """The batch's view (`_View`), made when the batch differs from the last one."""
        if self._day.view and self._day.view[0].holds(papers):
            return self._day.view[0]
        self.prepare(papers)
        keys = [text_key(p) for p in papers]
        by_who: dict[int, list[int]] = {}
        for i, key in enumerate(keys):
            for who in self._day.hits[key]:
                by_who.setdefault(who, []).append(i)
        view = _View(tuple(papers), keys, by_who)
        self._day.view[:] = [view]
        return view

    def _cold(self, who: int, paper: Paper, key: TextKey) -> ColdFeatures:
        """A paper with a key-phrase hit of profile `who`: the hits on the field's part."""
        found = self._day.colds.get((who, key))
        if found is not None:
            return found
        base = self._field_part(paper, key, self._fields[who])
        found = self._day.colds[(who, key)] = self._index.cold(who, self._day.hits[key][who], base)
        return found

    def _field_part(self, paper: Paper, key: TextKey, lexicon: FieldLexicon | None) -> ColdFeatures:
        if lexicon is None:
            return _NO_FIELD
        # The category prior reads the categories, which a later listing may change.
        where = (key, paper.categories, lexicon.field)
        found = self._day.fields.get(where)
        if found is None:
            found = self._day.fields[where] = cold_features(paper, _NO_TOPICS, lexicon)
        return found

    def batch(self, papers: Sequence[Paper]) -> _Batch:
        """The batch's TF-IDF rows and Gram matrix, computed once per distinct batch."""
        key = tuple(p.id for p in papers)
        found = self._day.batches.get(key)
        if found is None:
            counts = term_counts(papers)
            rows = tfidf(counts, fit_idf(counts))
            gram = np.asarray((rows @ rows.T).todense())
            if len(self._day.batches) >= BATCHES_KEPT:
                self._day.batches.pop(next(iter(self._day.batches)))
            found = self._day.batches[key] = _Batch(rows, gram)
        return found

    def feedback_counts(self) -> dict[str, int]:
        """Likes and dislikes per profile, read once per crowd (for the no-history note)."""
        if self._feedback is None:
            self._feedback = feedback_profiles(self.store)
        return self._feedback

    def retrain_waiting(self) -> CrowdTraining:
        """Retrain the crowd's profiles that have labels newer than their model, oldest waiting
        label first, starting none once `train_budget` seconds have gone by."""
        waiting = waiting_to_learn(self.store)
        due = sorted((since, name) for name, since in waiting.items()
                     if name in self.profiles and self.profiles[name].settings.judge.kind != "llm")
        started = self.clock()
        reports: dict[str, TrainReport] = {}
        failed: dict[str, str] = {}
        deferred: list[str] = []
        for _, name in due:
            if self.clock() - started >= self.train_budget:
                deferred.append(name)
                continue
            try:
                reports[name] = retrain(self.store, self.profiles[name])
            except Exception as err:  # one profile's failed retraining must not stop the others
                failed[name] = str(err) or repr(err)
        return CrowdTraining(reports, deferred, failed)


@dataclass(frozen=True)
class CrowdTraining:
    """What one day's retraining did: the profiles retrained (in order), those left for the next
    day because the budget was spent, and those whose retraining failed."""

    retrained: dict[str, TrainReport]
    deferred: list[str]
    failed: dict[str, str]


class CrowdRanker(Ranker):
    """A profile's ranker reading the crowd's shared features."""

    def __init__(self, crowd: LocalCrowd, who: int, profile: Profile, model: TextModel | None,
                 meta: dict[str, object], store: Store) -> None:
        super().__init__(profile, model, meta, store)
        # No earlier days in a group's first guesses: self-training each member's with the
        # papers of her 5 earlier listing days costs ~0.3 s a member on a 215-paper day even with
        # every feature in memory (bench/RESULTS.md, issue 18 onboarding), the whole budget of a
        # thousand members' day (issue 19); a member judged alone gets them. Her answers count.
        self.pool_earlier = False
        self.crowd = crowd
        self.who = who
        self.topics = crowd.topics[who]
        self._last: tuple[tuple[Paper, ...], list[ColdFeatures]] = ((), [])

    def cold(self, papers: Sequence[Paper]) -> list[ColdFeatures]:
        """Cold-start features from the crowd's one pass over the papers (the judge asks three
        times for the same papers: scores, evidence, comments)."""
        last, colds = self._last
        if not (len(last) == len(papers) and all(map(operator.is_, last, papers))):
            colds = self.crowd.cold(self.who, papers)
            self._last = (tuple(papers), colds)
        return colds

    def prior_scores(self, papers: Sequence[Paper], cold: np.ndarray, semantic: np.ndarray,
                     vectors: np.ndarray, listed: np.ndarray) -> np.ndarray:
        """`scoring.profile_prior` with the sparse self-training on the shared Gram matrix."""
        if len(papers) < SELF_TRAIN_MIN_PAPERS:
            return profile_prior(papers, cold, semantic, vectors, listed, self.prior)
        base = first_guess(cold, semantic, listed, self.prior)
        prior = standardise(base)
        sparse = standardise(self._self_trained(papers, base))
        dense = standardise(self_trained_dense(vectors, base))
        if rank_agreement(sparse, dense) < MIN_AGREEMENT:
            return prior
        return standardise(prior + self.prior.self_train_mix * (sparse + dense))

    def _self_trained(self, papers: Sequence[Paper], prior: np.ndarray) -> np.ndarray:
        picked, y = _pseudo_labels(prior)
        if len(picked) > DUAL_MAX_ROWS:
            return self_trained(papers, prior)
        batch = self.crowd.batch(papers)
        features: object = batch.rows
        train = features[picked]  # type: ignore[index]
        kernel = batch.gram[np.ix_(picked, picked)].astype(np.float64)
        kernel[np.diag_indices_from(kernel)] += SELF_TRAIN_RIDGE
        dual = _solve(kernel, y - y.mean())
        return np.asarray(features @ (train.T @ dual)).ravel()  # type: ignore[operator]


class CrowdJudge(LocalJudge):
    """`LocalJudge` for one profile of a crowd: the same judgements, shared features."""

    trains_itself = True

    def __init__(self, crowd: LocalCrowd, who: int, profile: Profile) -> None:
        super().__init__(profile, crowd.store)
        self.crowd = crowd
        self.who = who

    def ranker(self) -> Ranker:
        """The crowd's ranker of the newest stored model version."""
        stored = self._current()
        if stored is None:
            return CrowdRanker(self.crowd, self.who, self.profile, None, {}, self.store)
        return CrowdRanker(self.crowd, self.who, self.profile, stored.model, stored.meta, self.store)

    def feedback_counts(self) -> dict[str, int]:
        """Likes and dislikes per profile, read once for the whole crowd."""
        return self.crowd.feedback_counts()

    def judge(self, papers: Sequence[Paper], run_id: int | None = None,
              progress: ProgressCallback | None = None) -> JudgeResult:
        """`LocalJudge.judge`, or the same judgements made ahead by another process."""
        ahead = self.crowd.ahead
        done = ahead.take(self.profile.name, papers) if ahead is not None else None
        if done is None:
            return super().judge(papers, run_id, progress)
        if progress is not None:
            progress(Progress(len(papers), len(papers), message="local judge done"))
        return done
