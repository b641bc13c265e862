"""`run --all --judge-ahead` (issue 19): the local crowd's judging done ahead in a second
process gives every member the day one process gives her; judgements made for other papers or
before her judge's inputs changed are not taken. The feeds are the loopback arXiv of
tests/servers."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from papersieve import group, group_ahead
from papersieve.group import fetch_group_day, restrict, run_all, stored_members, union_profile
from papersieve.group_ahead import JudgeAhead
from papersieve.judges.local.crowd import LocalCrowd
from papersieve.pipeline import profile_candidates
from papersieve.prefilter.rules import prefilter
from papersieve.render.paths import SITE_INDEX_NAME
from papersieve.store import Store, open_store
from papersieve.store.feedback import add_feedback
from tests.servers.feed_server import FeedServer
from tests.test_group_run import feeds, run_cli
from tests.test_group_workers import _picks, _verdicts, group_of_five

__all__ = ["feeds"]  # the fixture, imported for these tests


def _site_files(folder: Path) -> list[bytes]:
    """Every output file's bytes, without the site's index (it records the day files' mtimes)."""
    return [p.read_bytes() for p in sorted(folder.rglob("*.*")) if p.name != SITE_INDEX_NAME]


def test_judging_ahead_gives_every_member_the_day_one_process_gives(
        tmp_path: Path, feeds: FeedServer, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(group_ahead, "MIN_MEMBERS", 1)
    group_of_five(tmp_path)
    profiles, _ = stored_members(store)
    said: list[str] = []
    ahead = run_all(store, profiles, deliver=False, out_dir=tmp_path / "ahead", judge_ahead=True,
                    progress=said.append)
    assert ahead.exit_code == 0 and len(ahead.members) == 5
    assert any(s.endswith(" of 5 members' judgements made ahead in a second process") for s in said)
    assert gc.get_freeze_count() == 0  # the run's objects back with the collector (a web app
    # or a notebook calling run_all lives on)
    with open_store(tmp_path / "alone.db") as alone:
        one = run_all(alone, profiles, deliver=False, out_dir=tmp_path / "one")
        assert _verdicts(alone) == _verdicts(store)
    assert _picks(ahead) == _picks(one) and any(_picks(one).values())
    for name in ("alice", "erin"):
        assert _site_files(tmp_path / "ahead" / name) == _site_files(tmp_path / "one" / name)


def test_judgements_made_ahead_are_taken_only_for_the_same_papers_and_inputs(
        tmp_path: Path, feeds: FeedServer, store: Store) -> None:
    group_of_five(tmp_path)
    profiles, _ = stored_members(store)
    fetched = fetch_group_day(store, union_profile(profiles), None, None, lambda _m: None)

    def day_of(profile: group.Profile) -> group.DayFetch:
        return restrict(fetched, profile.settings.categories)

    crowd = LocalCrowd(store, profiles)
    ahead = JudgeAhead(store, crowd, profiles, day_of)
    try:
        assert ahead.wait_until_done(120)
        assert ahead._working.value == group_ahead._DONE  # every member judged ahead, none reached
        assert len(ahead._results) == 5  # received without the run asking (the pipe holds 64 KB)
        papers = {p.name: prefilter(profile_candidates(store, p, day_of(p)).papers, p).to_judge
                  for p in profiles}
        by_name = {p.name: p for p in profiles}
        own = {name: crowd.judge_for(by_name[name]).judge(papers[name]) for name in papers}
        for name in ("alice", "bob"):  # the same papers, the store unchanged: the same judgements
            taken = ahead.take(name, papers[name])
            assert taken is not None and taken.judgements == own[name].judgements
            assert taken.notes == own[name].notes
        assert ahead.take("carol", papers["carol"][1:]) is None  # other papers
        add_feedback(store, [papers["dave"][0].id], 1, "web", profile="dave")
        assert ahead.take("dave", papers["dave"]) is None  # a like since: judged again
        assert ahead.take("nobody", papers["erin"]) is None
        assert ahead.used == 2
    finally:
        ahead.close()


def test_the_process_ahead_stays_at_most_lead_members_ahead_of_the_run(
        tmp_path: Path, feeds: FeedServer, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its judgements wait in the run's memory: a day's worth of them must not."""
    monkeypatch.setattr(group_ahead, "LEAD", 1)
    group_of_five(tmp_path)
    profiles, _ = stored_members(store)
    fetched = fetch_group_day(store, union_profile(profiles), None, None, lambda _m: None)

    def day_of(profile: group.Profile) -> group.DayFetch:
        return restrict(fetched, profile.settings.categories)

    ahead = JudgeAhead(store, LocalCrowd(store, profiles), profiles, day_of)
    try:
        assert not ahead.wait_until_done(3)  # held back after the first member
        assert ahead._sent.value == 1
        first = profiles[0]
        assert ahead.take(first.name, prefilter(profile_candidates(store, first, day_of(first)).papers,
                                                first).to_judge) is not None
        assert not ahead.wait_until_done(3)
        assert ahead._sent.value == 2  # one more once the run reached her
    finally:
        ahead.close()


def test_judge_ahead_from_the_command_line(tmp_path: Path, feeds: FeedServer, store: Store,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(group_ahead, "MIN_MEMBERS", 1)
    refused = run_cli("run", "--judge-ahead", "--no-deliver")
    assert refused.exit_code == 2 and "--judge-ahead judges a group's profiles" in refused.output
    group_of_five(tmp_path)
    done = run_cli("run", "--all", "--judge-ahead", "--no-deliver", "--out", str(tmp_path / "site"))
    assert done.exit_code == 0, done.output
    assert sorted(p.name for p in (tmp_path / "site").iterdir() if p.is_dir()) == [
        "alice", "bob", "carol", "dave", "erin"]
    assert "members' judgements made ahead in a second process" in done.output


@pytest.mark.parametrize(("options", "cores", "ahead"), [
    ((), 2, True), (("--no-judge-ahead",), 2, False), ((), 1, False), (("--workers", "2"), 2, False),
    (("--judge-ahead",), 1, True)])
def test_run_all_judges_ahead_by_itself_given_a_second_core(
        tmp_path: Path, feeds: FeedServer, store: Store, monkeypatch: pytest.MonkeyPatch,
        options: tuple[str, ...], cores: int, ahead: bool) -> None:
    """A group need not know the option: with 20 local members or more (1 here) and a second
    core, `run --all` uses it, unless told not to or given --workers."""
    from papersieve.cli import run_cmds

    monkeypatch.setattr(group_ahead, "MIN_MEMBERS", 1)
    monkeypatch.setattr(run_cmds, "cores", lambda: cores)
    group_of_five(tmp_path)
    done = run_cli("run", "--all", *options, "--no-deliver", "--out", str(tmp_path / "site"))
    assert done.exit_code == 0, done.output
    assert ("of 5 members' judgements made ahead in a second process" in done.output) == ahead
    assert len([p for p in (tmp_path / "site").iterdir() if p.is_dir()]) == 5


def test_a_process_ahead_that_cannot_read_the_store_leaves_the_run_to_judge_everyone(
        tmp_path: Path, feeds: FeedServer, store: Store, monkeypatch: pytest.MonkeyPatch,
        capfd: pytest.CaptureFixture[str]) -> None:
    from papersieve.errors import StoreError

    def refused(*_args: object, **_kwargs: object) -> Store:
        raise StoreError("cannot open the store to read it")

    monkeypatch.setattr(group_ahead, "MIN_MEMBERS", 1)
    monkeypatch.setattr(group_ahead, "open_store", refused)  # in the forked process
    group_of_five(tmp_path)
    profiles, _ = stored_members(store)
    said: list[str] = []
    report = run_all(store, profiles, deliver=False, out_dir=tmp_path / "out", judge_ahead=True,
                     progress=said.append)
    assert report.exit_code == 0 and all(m.report is not None for m in report.members)
    assert "0 of 5 members' judgements made ahead in a second process" in said
    assert "Traceback" not in capfd.readouterr().err
