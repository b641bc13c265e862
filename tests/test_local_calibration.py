"""Relevance on an absolute scale: a profile about a field absent from the day gets no picks."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from papersieve.eval.labels import load_days
from papersieve.judges.local import LocalJudge
from papersieve.models import Paper
from papersieve.profile.loader import Profile, init_profile, load_profile
from papersieve.store import open_store
from tests.conftest import DATA
from tests.pgschemas import store_at

CORAL = Path(__file__).parent / "fixtures" / "profiles" / "coral-reefs-topics.txt"


@pytest.fixture(scope="module")
def five_days() -> list[tuple[dt.date, list[Paper]]]:
    return load_days(DATA / "candidates")[:5]


def _profile(folder: Path, topics: Path | None) -> Profile:
    init_profile(folder)
    if topics is not None:
        shutil.copyfile(topics, folder / "topics.txt")
    return load_profile(folder)


def _picks(profile: Profile, days: list[tuple[dt.date, list[Paper]]], store_path: Path) -> int:
    store = open_store(store_at(store_path))
    judge = LocalJudge(profile, store)
    total = 0
    for _, papers in days:
        result = judge.judge(papers)
        total += sum((j.relevance or 0) >= judge.cutoff for j in result.judgements)
    store.close()
    return total


def test_a_profile_about_an_absent_field_gets_almost_no_picks(
        five_days: list[tuple[dt.date, list[Paper]]], tmp_path: Path) -> None:
    # Before: relevance was a quantile of the day, so the coral profile got 68 picks on these
    # days, as many as the default profile.
    coral = _profile(tmp_path / "coral", CORAL)
    assert _picks(coral, five_days, tmp_path / "coral.db") <= 2
    default = _profile(tmp_path / "default", None)
    assert _picks(default, five_days, tmp_path / "default.db") >= 40


def test_a_day_with_nothing_on_topic_says_so(five_days: list[tuple[dt.date, list[Paper]]],
                                            tmp_path: Path) -> None:
    coral = _profile(tmp_path / "coral", CORAL)
    store = open_store(store_at(tmp_path / "s.db"))
    _, papers = five_days[0]
    result = LocalJudge(coral, store).judge(papers)
    assert max(j.relevance or 0 for j in result.judgements) <= 5
    assert f"local judge: nothing on your topics today (none of the {len(papers)} papers" \
           " matched a key phrase of your topics closely enough to pick)" in result.notes


def test_a_one_paper_day_with_nothing_on_topic_says_so_in_the_singular(
        five_days: list[tuple[dt.date, list[Paper]]], tmp_path: Path) -> None:
    coral = _profile(tmp_path / "coral", CORAL)
    store = open_store(store_at(tmp_path / "s.db"))
    _, papers = five_days[0]
    result = LocalJudge(coral, store).judge(papers[:1])
    assert "local judge: nothing on your topics today (the one paper did not match a key phrase" \
           " of your topics closely enough to pick)" in result.notes
