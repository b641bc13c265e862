"""Honest one-line comments a researcher would write: which of her topics a paper matches and by
which words, which liked paper it resembles, which author picked or liked before lifted it, what
counted against it - and nothing that did not move its score (application words count only for
a profile that asks for foundational work)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from papersieve.judges.local.features.dense import profile_vectors
from papersieve.judges.local.features.paper import ColdFeatures, term_counts
from papersieve.judges.local.features.semantic import paper_vectors
from papersieve.judges.local.model.calibration import MIN_SIMILARITY as CLOSE_IN_MEANING
from papersieve.judges.local.model.learned import fit_idf, picked_authors, tfidf
from papersieve.judges.local.model.ranker import Ranker
from papersieve.judges.local.text.topics import TopicTerms
from papersieve.models import Paper
from papersieve.store.db import Store
from papersieve.store.feedback import feedback_labels
from papersieve.store.papers import get_papers

MIN_SIMILARITY = 0.2
"""Least TF-IDF cosine for a liked paper to be named as one this paper resembles."""
MAX_TOPICS = 2
MAX_WORDS = 3


def liked_papers(store: Store, profile: str) -> list[Paper]:
    """The stored papers the user currently likes on this profile."""
    liked = [pid for pid, label in feedback_labels(store, profile).items() if label > 0]
    found = get_papers(store, liked)
    return [found[pid] for pid in liked if pid in found]


def _quoted(words: Sequence[str]) -> str:
    return ", ".join(f'"{w}"' for w in dict.fromkeys(words[:MAX_WORDS]))


def _matched(cold: ColdFeatures) -> str:
    """'your topic "Model Compression" ("quantization", "pruning")', strongest topic first."""
    by_topic: dict[str, list[str]] = defaultdict(list)
    for match in sorted(cold.matches, key=lambda m: -m.weight):
        if match.weight > 0:
            by_topic[match.term.topic or ""].append(match.term.text.lower())
    parts = [f'your topic "{topic}" ({_quoted(words)})' if topic else
             f"your keywords {_quoted(words)}" for topic, words in by_topic.items()]
    return " and ".join(parts[:MAX_TOPICS])


def _against(cold: ColdFeatures, foundational: bool, phrases: bool = True) -> str:
    """The profile's own irrelevant phrases found (when they count: `phrases`), then (for a
    profile that asks for foundational work, the only one whose score they lower) the
    application words."""
    words = [m.term.text.lower() for m in sorted(cold.matches, key=lambda m: m.weight)
             if m.weight < 0] if phrases else []
    if foundational:
        words.extend(cold.application_hits)
    return _quoted(words) if words else ""


def _resembles(papers: Sequence[Paper], liked: Sequence[Paper], ranker: Ranker) -> list[str]:
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
        out.append(f'"{near.title}", a paper you liked' if ok else "")
    return out


def _picked_author(papers: Sequence[Paper], ranker: Ranker) -> list[str]:
    """For each paper, its author with the most positive labels (picks, likes) before, as
    'Ann Lee, with 3 papers picked or liked before', when the ranker's stacking lifts such
    papers; else ''."""
    if not ranker.lifts_picked_authors() or ranker.model is None or ranker.model.picked is None:
        return [""] * len(papers)
    names, counts = ranker.model.picked
    column = np.rint(np.expm1(picked_authors(papers, names, counts)[:, 0])).astype(int)
    out = []
    for paper, most in zip(papers, column, strict=True):
        if most <= 0:
            out.append("")
            continue
        alone = [Paper(paper.id, "", "", (name,)) for name in paper.authors]
        each = np.rint(np.expm1(picked_authors(alone, names, counts)[:, 0])).astype(int)
        papers_word = "paper" if most == 1 else "papers"
        out.append(f"{paper.authors[int(each.argmax())]}, with {most} {papers_word} picked or"
                   " liked before")
    return out


def nearest_topics(topics: TopicTerms, papers: Sequence[Paper], space: str) -> list[tuple[str, float]]:
    """The numbered topic each paper is closest to in meaning (the semantic space), with the
    cosine in `space` ('' and 0 for a profile without numbered topics)."""
    lines = profile_vectors(topics, space).topics
    if not topics.topics or len(lines) != len(topics.topics) or not papers:
        return [("", 0.0)] * len(papers)
    similarity = paper_vectors(papers, space) @ lines.T
    best = similarity.argmax(axis=1)
    return [(topics.topics[int(b)].name, float(similarity[i, b])) for i, b in enumerate(best)]


def sentence(matched: str, near: tuple[str, float], liked: str, against: str, learned: bool,
             author: str = "") -> str:
    """One sentence from the parts that moved the score (`author`: the author picked or liked
    before that lifted it, with how often)."""
    reasons = []
    if matched:
        reasons.append(f"Matches {matched}")
    elif near[0] and near[1] >= CLOSE_IN_MEANING:
        reasons.append(f'Close in meaning to your topic "{near[0]}", without its key phrases')
    if liked:
        reasons.append(("resembles " if reasons else "Resembles ") + liked)
    if author:
        reasons.append(("by " if reasons else "By ") + author)
    if not reasons:
        reasons.append("Matches none of your topics" + (" (ranked by what you and the LLM picked"
                                                          " before)" if learned else ""))
    text = "; ".join(reasons)
    return text + (f"; against it: {against}." if against else ".")


def comment_for(ranker: Ranker, papers: Sequence[Paper], liked: Sequence[Paper]) -> list[str]:
    """One sentence per paper: the topics and words matched, or the topic nearest in meaning,
    the liked paper it resembles, and what counted against it."""
    colds = ranker.cold(papers)
    near = nearest_topics(ranker.topics, papers, ranker.space)
    learned = ranker.model is not None
    # Likes move a score only through the learned model.
    similar = _resembles(papers, liked if learned else [], ranker)
    authors = _picked_author(papers, ranker)
    foundational = ranker.foundational
    phrases_against = ranker.prior.against_weight > 0  # a prior may not count them (issue 18)
    # Most papers match none of a profile's phrases: nothing to sort or quote (a group's day
    # writes a million of these comments).
    return [sentence(_matched(c) if c.matches else "", n, s,
                     _against(c, foundational, phrases_against)
                     if c.matches or (foundational and c.application_hits) else "", learned, a)
            for c, n, s, a in zip(colds, near, similar, authors, strict=True)]


def describe_topics(text: str, categories: Sequence[str] = ()) -> list[str]:
    """What the local judge reads from a topics text, as lines for `papersieve topics`: each
    topic's key phrases and what counts against, then the keyword block, then whether the
    built-in application and theory word lists apply; `categories` (the profile's) name the
    field, whose prior before the first LLM day may not count the phrases against (issue 18)."""
    from papersieve.judges.local.text.lexicon import lexicon_for, wants_foundational
    from papersieve.judges.local.text.topics import parse_topics

    derived = parse_topics(text)
    headings = {t.name: f"{i}. {t.name}" for i, t in enumerate(derived.topics, start=1)}
    groups: dict[str, dict[str, list[str]]] = {name: defaultdict(list) for name in headings}
    for term in derived.terms:
        group = groups.setdefault(term.topic, defaultdict(list))
        group["key phrases" if term.kind == "relevant" else "counts against"].append(term.text.lower())
    lines = []
    for topic, kinds in groups.items():
        lines.append(headings.get(topic, "Keywords" if topic == "" else topic))
        lines.extend(f"   {kind}: {'; '.join(dict.fromkeys(words))}"
                     for kind, words in sorted(kinds.items(), key=lambda kv: kv[0] != "key phrases"))
    field = lexicon_for(categories)
    if field is not None and field.cold_prior is not None and field.cold_prior.against_weight == 0 \
            and any("counts against" in kinds for kinds in groups.values()):
        lines.append("Phrases that count against: matched word for word only once the LLM has"
                     " judged one of this profile's days; before that (the no-key judge) only the"
                     " Keywords lines count, against papers near them in meaning (measured: the"
                     " word matches disagreed with the LLM's own picks, bench/RESULTS.md, issue 18)."
                     " Your dislikes count from the first.")
    if wants_foundational(text):
        lines.append("Application words (robot, games, 6g, ...): count against a paper, theory words"
                     " (theorem, convergence, ...) for it (the topics ask for foundational work)")
    else:
        lines.append("Application words (robot, games, 6g, ...): not used (the topics do not ask for"
                     " foundational rather than application-driven work)")
    return lines
