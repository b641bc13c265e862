"""Honest one-line comments: which topics and terms drove a local score, the nearest liked paper."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from papersieve.judges.local.features.dense import profile_vectors
from papersieve.judges.local.features.paper import ColdFeatures, term_counts
from papersieve.judges.local.features.semantic import paper_vectors
from papersieve.judges.local.model.learned import fit_idf, tfidf
from papersieve.judges.local.model.ranker import Ranker
from papersieve.models import Paper
from papersieve.store.db import Store
from papersieve.store.feedback import feedback_labels
from papersieve.store.papers import get_papers

MIN_SIMILARITY = 0.2


def liked_papers(store: Store, profile: str) -> list[Paper]:
    """The stored papers the user currently likes on this profile."""
    liked = [pid for pid, label in feedback_labels(store, profile).items() if label > 0]
    found = get_papers(store, liked)
    return [found[pid] for pid in liked if pid in found]


def _terms(cold: ColdFeatures) -> str:
    by_topic: dict[str, list[str]] = defaultdict(list)
    against: list[str] = []
    for match in sorted(cold.matches, key=lambda m: -abs(m.weight)):
        if match.weight > 0:
            by_topic[match.term.topic or "keywords"].append(match.term.text.lower())
        else:
            against.append(match.term.text.lower())
    parts = [f"{topic} ({', '.join(dict.fromkeys(words[:3]))})" for topic, words in
             list(by_topic.items())[:3]]
    text = "matched " + "; ".join(parts) if parts else "no topic term matched"
    against.extend(cold.application_hits[:3])
    if against:
        text += "; against: " + ", ".join(dict.fromkeys(against[:4]))
    return text


def _nearest_liked(papers: Sequence[Paper], liked: Sequence[Paper], ranker: Ranker) -> list[str]:
    if not liked:
        return [""] * len(papers)
    counts = term_counts([*papers, *liked])
    idf = ranker.model.idf if ranker.model is not None else fit_idf(counts)
    rows = tfidf(counts, idf)
    sims = np.asarray((rows[: len(papers)] @ rows[len(papers) :].T).todense())
    out = []
    for i, paper in enumerate(papers):
        j = int(sims[i].argmax())
        near = liked[j]
        ok = sims[i, j] >= MIN_SIMILARITY and near.id != paper.id
        out.append(f"; closest liked paper: {near.title} ({near.id}, similarity {sims[i, j]:.2f})"
                   if ok else "")
    return out


def _nearest_topic(ranker: Ranker, papers: Sequence[Paper]) -> list[str]:
    """The numbered topic each paper is closest to in meaning (the semantic space), with the
    cosine: what drives a score when no key phrase matched."""
    topics = ranker.topics.topics
    lines = profile_vectors(ranker.topics).topics
    if not topics or len(lines) != len(topics) or not papers:
        return [""] * len(papers)
    similarity = paper_vectors(papers) @ lines.T
    best = similarity.argmax(axis=1)
    return [f"; nearest topic in meaning: {topics[int(b)].name} ({similarity[i, b]:.2f})"
            for i, b in enumerate(best)]


def comment_for(ranker: Ranker, papers: Sequence[Paper], liked: Sequence[Paper]) -> list[str]:
    """One comment per paper: the terms, the topic nearest in meaning, the learned part's size,
    the nearest liked paper."""
    colds = ranker.cold(papers)
    topic = _nearest_topic(ranker, papers)
    learned = (f"; learned from {int(ranker.meta.get('positives', 0))} liked or picked of "
               f"{int(ranker.meta.get('positives', 0)) + int(ranker.meta.get('negatives', 0))}"
               " labelled papers") if ranker.model is not None else "; profile text only"
    near = _nearest_liked(papers, liked, ranker)
    return [f"Local ranker (no novelty score): {_terms(c)}{t}{learned}{n}."
            for c, t, n in zip(colds, topic, near, strict=True)]
