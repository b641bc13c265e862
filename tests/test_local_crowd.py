"""The local judge for a crowd (issue 19): the same judgements as each profile's own LocalJudge,
the paper side computed once; retraining only for profiles with new labels, within a budget."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from papersieve.eval.labels import LabelBook, load_days
from papersieve.judges.local import LocalJudge, retrain
from papersieve.judges.local.crowd import LocalCrowd
from papersieve.judges.local.features.paper import cold_features
from papersieve.judges.local.model.persist import latest_version
from papersieve.judges.local.model.ranker import Ranker
from papersieve.models import Paper
from papersieve.pipeline import run_day
from papersieve.profile.fields import field_template
from papersieve.profile.loader import Profile, builtin_profile_dir, profile_from_files, read_profile_folder
from papersieve.store.db import Store
from papersieve.store.feedback import add_feedback, waiting_to_learn
from papersieve.store.papers import upsert_papers
from tests.conftest import DATA
from tests.labelled_history import record_llm_day

CANDIDATES = DATA / "candidates"
LABELS = DATA / "labels" / "gpt4o-picks-dev.jsonl"


@pytest.fixture(scope="module")
def days() -> list[tuple[dt.date, list[Paper]]]:
    return load_days(CANDIDATES)[:3]


def _profile(name: str, topics: str | None = None, **overrides: object) -> Profile:
    files = read_profile_folder(builtin_profile_dir())
    if topics is not None:
        files["topics.txt"] = topics
    return profile_from_files(files, name, {"judge.kind": "local", **overrides})


def _crowd_profiles(store: Store, days: list[tuple[dt.date, list[Paper]]]) -> list[Profile]:
    """Five different profiles: the default one trained on two LLM days, one taught by likes
    and dislikes, one with a library-free field template of another science, a mixed one, and
    one with no history at all."""
    book = LabelBook(LABELS)
    trained = _profile("ml")
    for date, papers in days[:2]:
        record_llm_day(store, date, papers, set(book.reveal(date)), profile="ml")
    liker = _profile("nlp", field_template("cs.CL").topics)
    earlier = days[1][1]
    upsert_papers(store, earlier, listed_on=days[1][0].isoformat())
    add_feedback(store, [p.id for p in earlier[:30:3]], 1, "test", profile="nlp")
    add_feedback(store, [p.id for p in earlier[1:30:3]], -1, "test", profile="nlp")
    for profile in (trained, liker):
        assert retrain(store, profile).changed
    astro = _profile("galaxies", field_template("astro-ph.GA").topics)
    brains = _profile("brains", field_template("q-bio.NC").topics + "\n" + field_template("cs.NE").topics)
    fresh = _profile("fresh", field_template("cs.CV").topics, **{"outputs.tldr": True})
    return [trained, liker, astro, brains, fresh]


def test_a_crowd_judges_exactly_as_each_profiles_own_local_judge(
        days: list, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    # One difference by design: a member judged alone pools her first guess with her earlier
    # listing days (issue 18), a crowd does not (tests/test_local_pooled_prior.py); compared here
    # with no earlier day to pool.
    monkeypatch.setattr("papersieve.judges.local.model.ranker.earlier_days", lambda *args: [])
    profiles = _crowd_profiles(store, days)
    crowd = LocalCrowd(store, profiles)
    papers = days[2][1]
    batches = {"the day": papers, "every other paper": papers[::2], "a small batch": papers[:20]}
    for what, batch in batches.items():
        for profile in profiles:
            alone = LocalJudge(profile, store).judge(batch)
            together = crowd.judge_for(profile).judge(batch)
            assert together == alone, f"{profile.name}, {what}"
    day = {p.name: crowd.judge_for(p).judge(papers).judgements for p in profiles}
    assert [day[p.name][0].model for p in profiles] == ["local-tfidf-v1"] * 2 + ["local-tfidf-v0"] * 3
    # The profiles really differ: the comparison is not of five copies of one ranking.
    tops = {name: max(js, key=lambda j: float(j.detail.split()[-1])).paper_id for name, js in day.items()}
    assert len(set(tops.values())) >= 4


def test_profiles_with_the_same_candidates_share_one_batch(days: list, store: Store) -> None:
    profiles = [_profile("a"), _profile("b", field_template("cs.CL").topics)]
    crowd = LocalCrowd(store, profiles)
    papers = days[0][1]
    for profile in profiles:
        crowd.judge_for(profile).judge(papers)
    assert list(crowd._day.batches) == [tuple(p.id for p in papers)]


class Ticking:
    """A clock that moves 10 s each time it is read: each retraining 'takes' 10 s."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 10.0
        return self.now - 10.0


def _like(store: Store, profile: str, paper: Paper, when: str) -> None:
    add_feedback(store, [paper.id], 1, "test", profile=profile)
    with store.transaction() as conn:
        conn.execute("UPDATE feedback SET created_at = ? WHERE profile = ? AND paper_id = ?",
                     (when, profile, paper.id))


def test_retraining_is_oldest_labels_first_within_the_budget(days: list, store: Store) -> None:
    date, papers = days[0]
    upsert_papers(store, papers, listed_on=date.isoformat())
    profiles = [_profile(name) for name in ("ann", "bob", "cy", "dee")]
    # bob's label has waited longest, then cy's, then ann's; dee has none.
    for i, name in enumerate(("bob", "cy", "ann")):
        _like(store, name, papers[i], f"2026-01-0{i + 1}T00:00:00+00:00")
    assert set(waiting_to_learn(store)) == {"ann", "bob", "cy"}
    first = LocalCrowd(store, profiles, train_budget=25, clock=Ticking()).retrain_waiting()
    assert list(first.retrained) == ["bob", "cy"] and first.deferred == ["ann"]
    assert [latest_version(store, n) for n in ("ann", "bob", "cy", "dee")] == [0, 1, 1, 0]
    # Next day bob has a new label; ann's, older, comes first.
    _like(store, "bob", papers[5], "2026-12-31T00:00:00+00:00")
    second = LocalCrowd(store, profiles, train_budget=15, clock=Ticking()).retrain_waiting()
    assert list(second.retrained) == ["ann"] and second.deferred == ["bob"]
    assert [latest_version(store, n) for n in ("ann", "bob", "cy", "dee")] == [1, 1, 1, 0]


def test_the_budget_defaults_to_the_strictest_profiles(store: Store) -> None:
    crowd = LocalCrowd(store, [_profile("a", **{"judge.train_budget": 30}), _profile("b")])
    assert crowd.train_budget == 30


def test_a_crowd_judge_leaves_retraining_to_the_crowd(days: list, store: Store, tmp_path: Path) -> None:
    date, papers = days[0]
    upsert_papers(store, papers, listed_on=date.isoformat())
    profile = _profile("ann", **{"outputs.formats": []})
    _like(store, "ann", papers[0], "2026-01-01T00:00:00+00:00")
    crowd = LocalCrowd(store, [profile], train_budget=0)
    report = run_day(store, profile, date, offline_dir=CANDIDATES, out_dir=tmp_path / "out",
                     deliver=False, judge=crowd.judge_for(profile))
    assert report.status == "done" and report.digest is not None and report.digest.picks
    # No format asked for: no file at all (a group's member reads her day in the web app).
    assert report.outputs == () and not (tmp_path / "out").exists()
    assert latest_version(store, "ann") == 0  # the budget was spent: it waits for the next day
    assert crowd.retrain_waiting().deferred == ["ann"]


def test_a_paper_listed_again_with_other_cross_lists_gets_their_category_prior(days: list) -> None:
    # 2505.20162 is listed on 2025-05-27 under cs.AI alone and on 2025-05-29 with cs.CL, cs.CR
    # and cs.LG: the local judge's process cache used to keep the first listing's prior.
    first, again = (next(p for p in papers if p.id == "2505.20162") for _, papers in
                    (days[0], load_days(CANDIDATES)[2]))
    assert first.categories != again.categories
    ranker = Ranker(_profile("ml"), None, {})
    ranker.cold([first])
    assert ranker.cold([again]) == [cold_features(again, ranker.topics, ranker.field)]
