"""The authors' record stacked with the ranker's score (`judges.local.model.stacking`): weights
learned from the LLM's verdicts on days the model had not seen, one day at a time."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import numpy as np

from papersieve.judges.local import retrain
from papersieve.judges.local.model.learned import TextModel, picked_authors
from papersieve.judges.local.model.persist import load_model
from papersieve.judges.local.model.ranker import Ranker
from papersieve.judges.local.model.stacking import MIN_DAYS, PRIOR_MEAN, Stack, initial, stack_rows, update
from papersieve.models import Paper
from papersieve.profile.loader import load_profile
from papersieve.store import open_store
from tests.labelled_history import record_llm_day, small_trained_model
from tests.pgschemas import store_at


def _day(seed: int, author_signal: float) -> tuple[np.ndarray, np.ndarray]:
    """Rows of a synthetic day where a pick depends on the score and, by `author_signal`, on
    the picked-author column."""
    rng = np.random.default_rng(seed)
    n = 400
    scores = rng.normal(size=n)
    picked = np.log1p(rng.poisson(0.4, size=n).astype(float))
    seen = np.log1p(rng.poisson(2.0, size=n).astype(float))
    logit = -3.0 + 1.5 * scores + author_signal * picked
    targets = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(float)
    return stack_rows(scores, np.c_[picked, seen]), targets


def test_weights_learn_what_the_authors_say_day_by_day() -> None:
    stack = None
    for seed in range(6):
        stack = update(stack, *_day(seed, author_signal=1.5))
    assert stack is not None and stack.days == 6
    assert stack.mean[2] > 0.8  # picked authors: learned from the days
    assert abs(stack.mean[3]) < 0.5  # the seen counts say nothing here
    assert stack.mean[1] > 1.0  # the score keeps its weight
    quiet = None
    for seed in range(6):
        quiet = update(quiet, *_day(seed, author_signal=0.0))
    assert quiet is not None and abs(quiet.mean[2]) < 0.3


def test_one_update_per_day_matches_fitting_all_days_at_once() -> None:
    """Laplace's approximation carried from day to day: the same weights, nearly, as one fit of
    every day's rows (so no day's rows need keeping)."""
    days = [_day(seed, 1.0) for seed in range(4)]
    stepwise = None
    for rows, targets in days:
        stepwise = update(stepwise, rows, targets)
    together = update(None, np.vstack([r for r, _ in days]), np.concatenate([t for _, t in days]))
    assert stepwise is not None
    assert np.allclose(stepwise.mean, together.mean, atol=0.05)


def test_stack_survives_the_metadata_and_rejects_bad_entries() -> None:
    stack = update(None, *_day(1, 1.0))
    again = Stack.from_meta(stack.to_meta())
    assert again is not None and again.days == 1 and np.allclose(again.mean, stack.mean, atol=1e-5)
    assert Stack.from_meta(None) is None
    assert Stack.from_meta({"mean": [1, 2], "precision": [[1]], "days": 1}) is None
    assert Stack.from_meta({"mean": "x", "precision": [], "days": 1}) is None
    assert np.allclose(initial().mean, PRIOR_MEAN)


def _paper(pid: str, *authors: str) -> Paper:
    return Paper(pid, f"Title {pid}", "An abstract.", tuple(authors), ("cs.LG",))


def test_picked_authors_counts_the_most_picked_author() -> None:
    from papersieve.judges.local.features.prolific import count_authors

    names, counts = count_authors([_paper("1", "Ann Lee"), _paper("2", "Ann Lee", "Bo Chen")])
    column = np.expm1(picked_authors([_paper("3", "Bo Chen", "Ann Lee"), _paper("4", "New One"),
                                      _paper("5")], names, counts))
    assert np.allclose(column.ravel(), [2, 0, 0])


def test_a_stacked_ranker_lifts_papers_of_picked_authors_once_it_has_seen_days() -> None:
    small = small_trained_model(160)
    model = small.model
    assert model.picked is not None and model.authors is not None
    loaded = TextModel.from_bytes(model.to_bytes())
    assert loaded.picked is not None and np.array_equal(loaded.picked[1], model.picked[1])
    picks = [p for p, t in zip(small.papers, small.targets, strict=True) if t]
    author = picks[0].authors[0]
    twin = [dataclasses.replace(p, id=f"x{i}") for i, p in enumerate(small.papers[1:3])]
    by_author = dataclasses.replace(twin[0], id="by-author", authors=(author,))
    stranger = dataclasses.replace(twin[0], id="stranger", authors=("Nobody Known",))
    batch = [by_author, stranger, *small.papers[:60]]
    lifting = update(None, *_day(0, 2.0)).to_meta()
    profile = load_profile()
    meta = {"positives": 40}
    young = Ranker(profile, model, {**meta, "stack": {**lifting, "days": MIN_DAYS - 1}})
    plain = young.scores(batch)
    assert np.array_equal(plain, young.base_scores(batch))  # too few days: nothing stacked
    grown = Ranker(profile, model, {**meta, "stack": {**lifting, "days": MIN_DAYS}}).scores(batch)
    # The same text: the paper by a picked author now leads the other by much more (the
    # learned model alone sees its authors only as a dense input among many).
    plain_gap = (plain[0] - plain[1]) / plain.std()
    assert (grown[0] - grown[1]) / grown.std() > plain_gap + 0.2
    # A version saved before the picked authors (no counts) is scored as before.
    older = Ranker(profile, dataclasses.replace(model, picked=None),
                   {**meta, "stack": {**lifting, "days": MIN_DAYS}})
    assert np.array_equal(older.scores(batch), older.base_scores(batch))


def test_retraining_updates_the_stack_on_each_new_unseen_day(tmp_path: Path) -> None:
    small = small_trained_model(320)
    papers, targets = small.papers, small.targets
    store = open_store(store_at(tmp_path / "s.db"))
    profile = load_profile()
    days = [papers[i * 80:(i + 1) * 80] for i in range(4)]
    for i, day in enumerate(days):
        picks = {p.id for p, t in zip(papers[i * 80:(i + 1) * 80], targets[i * 80:(i + 1) * 80],
                                      strict=True) if t}
        record_llm_day(store, dt.date(2025, 6, 2 + i), day, picks)
        retrain(store, profile)
    stored = load_model(store, profile.name)
    assert stored is not None
    stack = Stack.from_meta(stored.meta.get("stack"))
    # Day 1 was learned with no model before it; days 2-4 each scored by a version unseen.
    assert stack is not None and stack.days == 3
    store.close()


def test_the_comment_names_the_author_only_when_the_stacking_lifts_authors() -> None:
    from papersieve.judges.local.explain import comment_for

    small = small_trained_model(160)
    picks = [p for p, t in zip(small.papers, small.targets, strict=True) if t]
    author = picks[0].authors[0]
    count = sum(author in p.authors for p in picks)
    paper = dataclasses.replace(small.papers[1], id="by-author",
                                authors=("Someone Else", author))
    profile = load_profile()
    lifting = {"positives": 40, "stack": {**update(None, *_day(0, 2.0)).to_meta(), "days": MIN_DAYS}}
    named = comment_for(Ranker(profile, small.model, lifting), [paper], [])[0]
    many = "paper" if count == 1 else "papers"
    assert f"by {author}, with {count} {many} picked or liked before" in named.replace("By ", "by ")
    young = {**lifting, "stack": {**lifting["stack"], "days": MIN_DAYS - 1}}  # type: ignore[dict-item]
    assert author not in comment_for(Ranker(profile, small.model, young), [paper], [])[0]
    ignoring = update(None, *_day(0, -2.0)).to_meta()  # authors picked before count against
    assert author not in comment_for(
        Ranker(profile, small.model, {"positives": 40, "stack": {**ignoring, "days": MIN_DAYS}}),
        [paper], [])[0]
