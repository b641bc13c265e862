"""Retraining the local judge on everything labelled so far in the store.

Labels: the user's feedback (likes, dislikes, imported likes) and the LLM's own past judgements
(a pick is positive, every other judged paper negative, title-stage rejects too). Before fitting
a new version, the previous version is scored on the labelled days it never saw, which records
how well the ranker agreed with the LLM there (the hybrid judge sizes its share from this).
"""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from papersieve.judges.exploration import explore_rate, explored
from papersieve.judges.local.features.cache import load_cached, save_cached
from papersieve.judges.local.model.learned import train_text_model
from papersieve.judges.local.model.library import BACKGROUND_WEIGHT, background_papers, library_papers
from papersieve.judges.local.model.persist import load_model, save_model
from papersieve.judges.local.model.ranker import Ranker
from papersieve.judges.local.model.stacking import Stack, stack_rows, update
from papersieve.models import Outcome, Paper
from papersieve.profile.loader import Profile
from papersieve.store.db import Store
from papersieve.store.feedback import feedback_labels
from papersieve.store.folding import folded_candidates, folded_labels, folded_paper_ids
from papersieve.store.papers import get_papers, stored_ids

FEEDBACK_WEIGHT = 3.0
HISTORY_DAYS = 30
LABEL_WINDOW_DAYS = 60
"""The LLM's verdicts of the newest 60 label days train the model (the user's feedback always
does): a year of history made every retraining refit 100,000 papers (53 s, 2 GiB)."""
DEFAULT_PICK_RATE = 0.08


@dataclass(frozen=True)
class Labelled:
    """Labelled papers: id -> (target, weight), the LLM's label days, and its pick rate."""

    targets: dict[str, tuple[int, float]]
    days: dict[str, set[str]]
    picks: dict[str, set[str]]
    llm_count: int
    feedback_count: int
    papers: dict[str, Paper] = field(default_factory=dict)
    """Labelled papers the store may not hold: library entries, stand-in negatives."""
    library_count: int = 0
    """Library entries among the positives (not overridden by the user's own mark)."""


@dataclass(frozen=True)
class TrainReport:
    """What one retraining did."""

    version: int
    trained_on: int
    positives: int
    negatives: int
    llm_labels: int
    feedback_labels: int
    days: int
    seconds: float
    changed: bool
    note: str = ""


def _is_pick(relevance: float | None, novelty: float | None, profile: Profile) -> bool:
    cut = profile.settings.cutoffs
    if relevance is None or relevance < cut.relevance:
        return False
    return novelty is None or novelty >= cut.novelty


_LABEL_STAGES = {("abstract", "judged"), ("title", "filtered_by_title")}


def collect_labels(store: Store, profile: Profile) -> Labelled:
    """The labels to train on: the LLM's verdicts of the newest `LABEL_WINDOW_DAYS` label days
    and every piece of feedback, which overrides the LLM on the same paper."""
    rows = [dict(row) for row in store.conn.execute(
        "SELECT j.id, j.paper_id, j.stage, j.outcome, j.relevance, j.novelty, r.date FROM judgements j"
        " LEFT JOIN runs r ON r.id = j.run_id WHERE j.judge = 'llm' AND ((j.stage = 'abstract'"
        " AND j.outcome = 'judged') OR (j.stage = 'title' AND j.outcome = 'filtered_by_title'))"
        " AND (r.profile IS NULL OR r.profile = ?) ORDER BY j.id",
        (profile.name,),
    ).fetchall()]
    # Verdicts of runs folded inside the label window (`[store] fold_label_window`), in the
    # order of their former row ids.
    folded = [{"id": v.id, "paper_id": v.paper_id, "stage": v.stage, "outcome": v.outcome,
               "relevance": v.relevance, "novelty": v.novelty, "date": v.date}
              for v in folded_labels(store, profile.name)
              if v.judge == "llm" and (v.stage, v.outcome) in _LABEL_STAGES]
    if folded:
        rows = sorted(rows + folded, key=lambda row: int(row["id"]))
    targets: dict[str, tuple[int, float]] = {}
    days: dict[str, set[str]] = defaultdict(set)
    picks: dict[str, set[str]] = defaultdict(set)
    window = set(sorted({row["date"] for row in rows if row["date"]})[-LABEL_WINDOW_DAYS:])
    for row in rows:
        if row["date"] and row["date"] not in window:
            continue
        picked = row["outcome"] == "judged" and _is_pick(row["relevance"], row["novelty"], profile)
        targets[row["paper_id"]] = (int(picked), 1.0)
        if row["date"]:
            days[row["date"]].add(row["paper_id"])
            if picked:
                picks[row["date"]].add(row["paper_id"])
    llm_count = len(targets)
    feedback = _stored(store, feedback_labels(store, profile.name))
    for paper_id, label in feedback.items():
        targets[paper_id] = (int(label > 0), FEEDBACK_WEIGHT)
    papers = _library(store, profile, targets)
    library = sum(1 for i in papers if targets[i][0] == 1)
    return Labelled(targets, dict(days), dict(picks), llm_count, len(feedback), papers, library)


def _library(store: Store, profile: Profile, targets: dict[str, tuple[int, float]]) -> dict[str, Paper]:
    """Add the profile's library (positives weighed by recency, after the user's own marks) to
    `targets`, and stand-in negatives when no label is negative; returns their papers."""
    papers: dict[str, Paper] = {}
    for paper, recency in library_papers(store, profile.name):
        if paper.id not in targets or targets[paper.id][1] < FEEDBACK_WEIGHT:
            targets[paper.id] = (1, FEEDBACK_WEIGHT * recency)
            papers[paper.id] = paper
    if targets and all(target for target, _ in targets.values()):
        for paper in background_papers(store, set(targets)):
            targets[paper.id] = (0, BACKGROUND_WEIGHT)
            papers[paper.id] = paper
    return papers


def _stored(store: Store, feedback: dict[str, int]) -> dict[str, int]:
    """The feedback on papers the store holds: a like of a paper not fetched yet stays recorded
    and becomes a label once the paper is seen (until then it changes nothing, not even the
    model's version)."""
    held = stored_ids(store, feedback)
    return {k: v for k, v in feedback.items() if k in held}


def _fingerprint(targets: dict[str, tuple[int, float]]) -> str:
    text = "|".join(f"{k}:{v[0]}:{v[1]}" for k, v in sorted(targets.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def day_candidates(store: Store, profile: str, date: str) -> list[str]:
    """Every candidate of the profile's runs on `date` (empty when no run recorded them)."""
    rows = store.conn.execute(
        "SELECT DISTINCT rc.paper_id FROM run_candidates rc JOIN runs r ON r.id = rc.run_id"
        " WHERE r.profile = ? AND r.date = ?",
        (profile, date),
    )
    found = dict.fromkeys(str(r[0]) for r in rows)
    # A local run's unpicked candidates may be folded at once (`[store] pack_local_runs`).
    for run in store.conn.execute("SELECT r.id FROM runs r JOIN folded_runs f ON f.run_id = r.id"
                                  " WHERE r.profile = ? AND r.date = ?", (profile, date)).fetchall():
        found.update(dict.fromkeys(c.paper_id for c in folded_candidates(store, int(run[0]))))
    return list(found)


def held_back(store: Store, profile: str, date: str) -> set[str]:
    """Candidates of `date` that a hybrid run kept from the LLM."""
    rows = store.conn.execute(
        "SELECT DISTINCT rc.paper_id FROM run_candidates rc JOIN runs r ON r.id = rc.run_id"
        " WHERE r.profile = ? AND r.date = ? AND rc.outcome = ?",
        (profile, date, Outcome.SKIPPED_LOCAL.value),
    )
    held = {str(r[0]) for r in rows}
    # A run folded inside the label window (`[store] fold_label_window`) keeps them in its row.
    return held | folded_paper_ids(store, date, Outcome.SKIPPED_LOCAL.value, profile, date)


def _agreement(store: Store, profile: Profile, ranker: Ranker, date: str, labelled: Labelled,
               stack: Stack | None) -> tuple[list[list[float]], Stack | None]:
    """[position, weight] of each LLM pick of `date` in the ranker's order of that day (0 = top),
    and `stack` updated with the LLM's verdicts of that day (`model.stacking`; unchanged when
    the ranker keeps no author counts). Papers a hybrid run held back are no verdict: they stay
    out of the update.

    On a day the hybrid held papers back, the LLM saw only the exploration sample below the
    cut (the best-ranked held-back paper): a pick found there weighs 1 / its rate, and a
    pick below the cut outside the sample (pinned author) is left out, so recall stays unbiased.
    """
    ids = day_candidates(store, profile.name, date) or sorted(labelled.days[date])
    papers = list(get_papers(store, ids).values())
    picks = labelled.picks.get(date, set())
    if len(papers) < 2 or not picks:
        return [], stack
    authors = ranker.author_columns(papers)
    base = ranker.base_scores(papers)
    if authors is not None:
        judged = np.array([p.id in labelled.days[date] for p in papers])
        rows = stack_rows(base, authors)[judged]
        targets = np.array([p.id in picks for p in papers], dtype=float)[judged]
        stack = update(stack, rows, targets)
    scores = ranker.stacked(papers, base, authors)
    order = np.argsort(-scores, kind="stable")
    position = {papers[i].id: rank / len(papers) for rank, i in enumerate(order)}
    held = held_back(store, profile.name, date)
    cut = min((position[p] for p in held if p in position), default=2.0)
    out = []
    for pick in picks & position.keys():
        where = position[pick]
        if where < cut:
            out.append([where, 1.0])
        elif explored(pick, rate := explore_rate(where, cut)):
            out.append([where, 1.0 / rate])
    return sorted(out), stack


def _unjudged(store: Store, profile: str, labelled: Labelled, known: Iterable[str]) -> list[Paper]:
    """The label days' candidates that are not labels (a hybrid run held them back): unlabelled,
    but their authors count towards how prolific an author is."""
    ids = {i for date in labelled.days for i in day_candidates(store, profile, date)}
    return list(get_papers(store, ids.difference(known)).values())


def _training_rows(store: Store, profile: Profile, papers: list[Paper],
                   oldest_day: str | None) -> np.ndarray:
    """The dense model's input rows of the training papers, their features read from the store
    where it holds them (and the n-gram rows put in the process's cache for the sparse model),
    the others computed and stored for the next retraining."""
    topics = profile.prompts.topics
    builder = Ranker(profile, None, {}, store)
    stored = load_cached(store, [p for p in papers if not builder.remembers(p)], topics,
                         builder.field_name, builder.space)
    missing = [p for p in papers if p.id not in stored]
    computed = dict(zip((p.id for p in missing), builder.cold(missing), strict=True))
    colds = [stored.get(p.id) or computed[p.id] for p in papers]
    rows = builder.dense(papers, colds).matrix
    save_cached(store, papers, colds, topics, oldest_day, builder.field_name, builder.space)
    return rows


def retrain(store: Store, profile: Profile) -> TrainReport:
    """Fit and store a new version on every label so far (a no-op when nothing changed)."""
    started = time.perf_counter()
    labelled = collect_labels(store, profile)
    previous = load_model(store, profile.name)
    meta = dict(previous.meta) if previous else {}
    fingerprint = _fingerprint(labelled.targets)
    method = profile.settings.judge.local_method
    if method != "tfidf":  # switching methods must refit the dense model on the new features
        fingerprint += ":" + method
    if previous is not None and meta.get("fingerprint") == fingerprint:
        return _report(previous.version, labelled, meta, started, changed=False)
    if previous is None and not labelled.targets:  # nothing to learn yet: no empty version
        return _report(0, labelled, meta, started, changed=False)
    history: dict[str, list[list[float]]] = dict(meta.get("agreement", {}))
    seen_days = set(meta.get("days", []))
    prior = Ranker(profile, previous.model if previous else None, meta, store)
    stack = Stack.from_meta(meta.get("stack"))
    for date in sorted(set(labelled.days) - seen_days):
        history[date], stack = _agreement(store, profile, prior, date, labelled, stack)
    papers = {**labelled.papers, **get_papers(store, labelled.targets)}
    usable = [papers[i] for i in labelled.targets if i in papers]
    ys = [labelled.targets[p.id][0] for p in usable]
    model = None
    if 0 < sum(ys) < len(ys):
        dense = _training_rows(store, profile, usable, min(labelled.days, default=None))
        model = train_text_model(usable, ys, [labelled.targets[p.id][1] for p in usable], dense,
                                 _unjudged(store, profile.name, labelled, papers.keys()))
    llm_total = sum(len(v) for v in labelled.days.values())
    meta = {
        "fingerprint": fingerprint,
        "positives": sum(ys),
        # The user's own likes weigh like FEEDBACK_WEIGHT LLM picks in the blend with the prior.
        "evidence": sum(y * labelled.targets[p.id][1] for p, y in zip(usable, ys, strict=True)),
        "negatives": len(ys) - sum(ys),
        "days": sorted(labelled.days),
        "agreement": {d: history[d] for d in sorted(history)[-HISTORY_DAYS:]},
        "pick_rate": (sum(len(v) for v in labelled.picks.values()) / llm_total) if llm_total
        else DEFAULT_PICK_RATE,
        "llm_labels": labelled.llm_count,
        "feedback_labels": labelled.feedback_count,
        "library_labels": labelled.library_count,
    }
    if stack is not None:
        meta["stack"] = stack.to_meta()
    version = save_model(store, profile.name, model, len(usable), meta)
    return _report(version, labelled, meta, started, changed=True)


def _report(version: int, labelled: Labelled, meta: dict[str, object], started: float,
            changed: bool) -> TrainReport:
    positives = int(meta.get("positives", 0))  # type: ignore[call-overload]
    negatives = int(meta.get("negatives", 0))  # type: ignore[call-overload]
    return TrainReport(
        version=version, trained_on=positives + negatives, positives=positives,
        negatives=negatives, llm_labels=labelled.llm_count,
        feedback_labels=labelled.feedback_count, days=len(labelled.days),
        seconds=time.perf_counter() - started, changed=changed,
        note="" if positives else "no positive label yet: the profile alone decides",
    )


