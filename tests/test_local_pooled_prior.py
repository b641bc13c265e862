"""The local judge before the LLM judged any day (issue 18): the ML field's prior self-trains on
the papers of the listing days before the batch's too, and on the user's likes and dislikes
(`features.earlier`, `model.scoring.pooled_prior`)."""

from __future__ import annotations

import numpy as np
import pytest

from papersieve.judges.local.features.earlier import earlier_days
from papersieve.judges.local.model.ranker import Ranker
from papersieve.profile.loader import load_profile
from papersieve.sources.jsonl import paper_from_record, read_records
from papersieve.store.db import Store
from papersieve.store.feedback import add_feedback
from papersieve.store.papers import upsert_papers
from tests.conftest import DATA

CANDIDATES = DATA / "candidates"


def _day(date: str) -> list:
    path = next(CANDIDATES.glob(f"arxiv-{date}-*.jsonl"))
    return [paper_from_record(r) for r in read_records(path)]


def test_earlier_days_are_the_listing_days_before_the_batchs_own(store: Store) -> None:
    dates = ["2025-06-26", "2025-06-27", "2025-06-30", "2025-07-02", "2025-07-03"]
    days = {d: _day(d) for d in dates}
    for date in dates:
        upsert_papers(store, days[date], listed_on=date)
    batch = days["2025-07-02"]
    found = earlier_days(store, batch, 2)
    first = {p.id for p in days["2025-06-30"]} - {p.id for p in days["2025-06-27"]}
    assert [len(day) for day in found] == [
        len({p.id for p in days["2025-06-27"]} - {p.id for p in days["2025-06-26"]}), len(first)]
    assert {p.id for p in found[1]} == first
    # Never a later day (2025-07-03), nothing for a batch the store does not know.
    assert not {p.id for day in found for p in day} & ({p.id for p in days["2025-07-03"]} - {
        p.id for d in dates[:4] for p in days[d]})
    assert earlier_days(store, batch, 0) == []
    assert earlier_days(store, [], 3) == []


def test_with_no_model_yet_a_dislike_lowers_the_papers_like_it(store: Store) -> None:
    day = _day("2025-07-03")
    upsert_papers(store, day, listed_on="2025-07-03")
    profile = load_profile()
    before = Ranker(profile, None, {}, store).base_scores(day)
    top = [day[i] for i in np.argsort(-before)[:20]]
    # The user dislikes the day's ten best-ranked papers: with no model trained yet (and no LLM
    # verdict), the prior's self-training takes the answers as labels and ranks them lower.
    add_feedback(store, [p.id for p in top[:10]], -1, "teach", profile=profile.name)
    after = Ranker(profile, None, {}, store).base_scores(day)
    disliked = [i for i, p in enumerate(day) if p.id in {q.id for q in top[:10]}]
    # Scores are standardised within the day: the ten fall by 0.3 of the day's spread or more
    # (0.62 when written; before issue 18 feedback changed nothing until a model was trained).
    assert after[disliked].mean() < before[disliked].mean() - 0.3


def test_a_batch_too_small_to_self_train_on_reads_no_earlier_day(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    # A few papers (the web app's paper page, a small offline batch) are not self-trained on:
    # the earlier days' papers would be read and featurised for nothing.
    day = _two_days_refusing_the_earlier(store, monkeypatch)
    scores = Ranker(load_profile(), None, {}, store).base_scores(day[:10])
    assert len(scores) == 10
    with pytest.raises(AssertionError, match="earlier days read"):
        Ranker(load_profile(), None, {}, store).base_scores(day)


def test_a_groups_crowd_reads_no_earlier_day(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """In `run --all` each member's first guess is not pooled with her earlier days: that costs
    ~0.3 s a member a day even with every feature in memory, a thousand members' whole budget
    (issue 19). A member judged alone gets it (the test above)."""
    from papersieve.judges.local.crowd import LocalCrowd

    day = _two_days_refusing_the_earlier(store, monkeypatch)
    profile = load_profile()
    verdicts = LocalCrowd(store, [profile]).judge_for(profile).judge(day).judgements
    assert len(verdicts) == len(day)


def _two_days_refusing_the_earlier(store: Store, monkeypatch: pytest.MonkeyPatch) -> list:
    """2025-07-02 and 2025-07-03 stored; reading earlier days raises. Returns 2025-07-03."""
    day = _day("2025-07-03")
    upsert_papers(store, _day("2025-07-02"), listed_on="2025-07-02")
    upsert_papers(store, day, listed_on="2025-07-03")

    def refuse(*args: object) -> list:
        raise AssertionError("earlier days read")

    monkeypatch.setattr("papersieve.judges.local.model.ranker.earlier_days", refuse)
    return day


def test_a_model_of_many_answers_alone_weighs_at_most_the_cap(store: Store) -> None:
    """Answers are papers the ranker chose (all ranked high): weighed as LLM picks, 100 `teach`
    answers made the following days rank worse than no answer (issue 18, bench/RESULTS.md)."""
    from papersieve.judges.local.model.persist import load_model
    from papersieve.judges.local.model.training import retrain

    day = _day("2025-07-03")
    upsert_papers(store, day, listed_on="2025-07-03")
    profile = load_profile()
    order = np.argsort(-Ranker(profile, None, {}, store).base_scores(day))
    add_feedback(store, [day[i].id for i in order[:30]], 1, "teach", profile=profile.name)
    add_feedback(store, [day[i].id for i in order[30:60]], -1, "teach", profile=profile.name)
    retrain(store, profile)
    stored = load_model(store, profile.name)
    assert stored is not None and stored.model is not None
    ranker = Ranker(profile, stored.model, stored.meta, store)
    prior = Ranker(profile, None, stored.meta, store).base_scores(day)
    learned = stored.model.decision(day, ranker.dense(day).matrix)
    # The blend is (1 - w) x prior + w x learned: w from the scores themselves. 30 likes count as
    # 90 LLM picks, 90 / (90 + 60) = 0.6 without the cap (scoring.ANSWERS_ONLY_WEIGHT, 0.35).
    weight = float(np.dot(ranker.base_scores(day) - prior, learned - prior)
                   / np.dot(learned - prior, learned - prior))
    assert ranker.labelled_picks == 90
    assert weight == pytest.approx(0.35)
    assert ranker.answers_only
    # With an LLM verdict or a library entry among its labels the model is not capped.
    assert not Ranker(profile, stored.model, {**stored.meta, "llm_labels": 5}, store).answers_only
    assert not Ranker(profile, stored.model, {**stored.meta, "library_labels": 2}, store).answers_only
