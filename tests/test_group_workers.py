"""`run --all --workers N` (issue 19): the local crowd's profiles spread over forked processes on
one machine give every member the day one process gives her; a worker that dies fails only its
own profiles. The feeds are the loopback arXiv of tests/servers."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from papersieve import group
from papersieve.group import run_all, share_out, stored_members
from papersieve.models import Judgement
from papersieve.store import Store, open_store
from tests.servers.feed_server import FeedServer
from tests.test_group_run import add_profile, feeds, run_cli

__all__ = ["feeds"]  # the fixture, imported for these tests


def group_of_five(tmp_path: Path) -> None:
    add_profile(tmp_path, "alice", ["cs.LG", "cs.AI"], "1. Large language model agents\n")
    add_profile(tmp_path, "bob", ["cs.LG"], "1. Reinforcement learning for robots\n")
    add_profile(tmp_path, "carol", ["cs.AI"], "1. Planning and reasoning\n")
    add_profile(tmp_path, "dave", ["cs.LG", "cs.AI"], "1. Graph neural networks\n")
    add_profile(tmp_path, "erin", ["cs.LG"], "1. Diffusion models for images\n")


def _verdicts(store: Store) -> dict[str, list[tuple[str, str, float | None, str]]]:
    out: dict[str, list[tuple[str, str, float | None, str]]] = {}
    for row in store.conn.execute(
            "SELECT r.profile, j.paper_id, rc.outcome, j.relevance, j.comment FROM run_candidates rc"
            " JOIN runs r ON r.id = rc.run_id LEFT JOIN judgements j ON j.id = rc.judgement_id"
            " ORDER BY r.profile, rc.paper_id"):
        out.setdefault(row[0], []).append((row[1], row[2], row[3], row[4]))
    return out


def _picks(report: group.GroupReport) -> dict[str, list[Judgement]]:
    return {m.name: [p.judgement for p in m.report.digest.picks]
            for m in report.members if m.report is not None and m.report.digest is not None}


def test_two_workers_give_every_member_the_day_one_process_gives(
        tmp_path: Path, feeds: FeedServer, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(group, "MIN_SHARE", 1)
    group_of_five(tmp_path)
    profiles, _ = stored_members(store)
    said: list[str] = []
    together = run_all(store, profiles, deliver=False, out_dir=tmp_path / "two", workers=2,
                       progress=said.append)
    assert together.exit_code == 0 and [m.name for m in together.members] == [
        "alice", "bob", "carol", "dave", "erin"]
    # This process ran three of the five; a forked worker ran the other two.
    assert "5 profiles in 2 processes" in said
    assert [s for s in said if s.startswith("profile ")] == [
        "profile alice (1 of 3)", "profile bob (2 of 3)", "profile carol (3 of 3)"]
    with open_store(tmp_path / "alone.db") as alone:
        one = run_all(alone, profiles, deliver=False, out_dir=tmp_path / "one")
        assert _verdicts(alone) == _verdicts(store)
    assert _picks(together) == _picks(one) and any(_picks(one).values())
    for name in ("dave", "erin"):  # the worker's members have their Markdown digest too
        written = (tmp_path / "two" / name).rglob("*.md")
        assert [p.read_text("utf-8") for p in written] == [
            p.read_text("utf-8") for p in (tmp_path / "one" / name).rglob("*.md")]


def test_a_worker_that_dies_fails_only_its_own_members(
        tmp_path: Path, feeds: FeedServer, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(group, "MIN_SHARE", 1)
    group_of_five(tmp_path)
    profiles, _ = stored_members(store)
    real = group.run_member

    def dies_on_erin(member_store: Store, profile: group.Profile, *args: object,
                     **kwargs: object) -> group.MemberOutcome:
        if profile.name == "erin":
            os._exit(9)  # a worker killed mid-share (the OOM killer, a SIGKILL)
        return real(member_store, profile, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(group, "run_member", dies_on_erin)
    report = run_all(store, profiles, deliver=False, out_dir=tmp_path / "out", workers=2)
    outcomes = {m.name: m.error for m in report.members}
    # dave's day was in the same uncommitted batch as erin's (group.in_batches): gone with the
    # worker, so his outcome says so, and the store holds no half of it for a rerun to trip on.
    died = "its worker process ended without an outcome (exit code 9)"
    assert outcomes == {"alice": "", "bob": "", "carol": "", "dave": died, "erin": died}
    assert report.exit_code == 2
    runs = {r[0]: r[1] for r in store.conn.execute("SELECT profile, status FROM runs")}
    locks = store.conn.execute("SELECT COUNT(*) FROM run_locks").fetchone()[0]
    assert runs == {"alice": "done", "bob": "done", "carol": "done"} and locks == 0


def test_outcomes_committed_one_by_one_survive_a_worker_that_dies(
        tmp_path: Path, feeds: FeedServer, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(group, "MIN_SHARE", 1)
    monkeypatch.setattr(group, "RECORD_BATCH", 1)
    group_of_five(tmp_path)
    profiles, _ = stored_members(store)
    real = group.run_member

    def dies_on_erin(member_store: Store, profile: group.Profile, *args: object,
                     **kwargs: object) -> group.MemberOutcome:
        if profile.name == "erin":
            os._exit(9)
        return real(member_store, profile, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(group, "run_member", dies_on_erin)
    report = run_all(store, profiles, deliver=False, out_dir=tmp_path / "out", workers=2)
    outcomes = {m.name: m.error for m in report.members}
    assert outcomes == {"alice": "", "bob": "", "carol": "", "dave": "",
                        "erin": "its worker process ended without an outcome (exit code 9)"}


def test_no_worker_for_a_small_group_an_in_memory_store_or_other_judges(
        tmp_path: Path, feeds: FeedServer, store: Store) -> None:
    group_of_five(tmp_path)
    profiles, _ = stored_members(store)
    judges, _ = group.crowd_judges(store, profiles, lambda _message: None)
    assert share_out(store, profiles, judges, 2) == (profiles, [])  # 5 < 2 x MIN_SHARE
    many = profiles * group.MIN_SHARE
    judges, _ = group.crowd_judges(store, profiles, lambda _message: None)
    here, shares = share_out(store, many, judges, 2)
    assert len(here) == len(shares[0]) == len(many) // 2
    assert share_out(store, many, lambda _profile: None, 2) == (many, [])  # not a group's crowd
    with open_store(":memory:") as memory:
        assert share_out(memory, many, judges, 2) == (many, [])


def test_workers_need_all(tmp_path: Path) -> None:
    result = run_cli("run", "--workers", "2", "--no-deliver")
    assert result.exit_code == 2 and "--workers spreads a group's profiles" in result.output


def _transactions_after_the_fetch(store: Store, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The transactions begun on the store's connection once the group's day is fetched."""
    seen: list[str] = []
    store.conn.set_trace_callback(
        lambda sql: seen.append(sql) if sql.strip().upper() == "BEGIN IMMEDIATE" else None)
    fetch = group.fetch_group_day

    def fetched_then_counted(*args: object, **kwargs: object) -> object:
        day = fetch(*args, **kwargs)  # type: ignore[arg-type]
        seen.clear()
        return day

    monkeypatch.setattr(group, "fetch_group_day", fetched_then_counted)
    return seen


def test_a_batch_of_local_profiles_is_one_transaction(
        tmp_path: Path, feeds: FeedServer, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    group_of_five(tmp_path)
    profiles, _ = stored_members(store)
    with open_store(tmp_path / "batched.db") as batched, open_store(tmp_path / "single.db") as single:
        monkeypatch.setattr(group, "RECORD_BATCH", 1)
        one_by_one = _transactions_after_the_fetch(single, monkeypatch)
        run_all(single, profiles, deliver=False, out_dir=tmp_path / "single")
        alone = len(one_by_one)
        monkeypatch.setattr(group, "RECORD_BATCH", 25)
        together = _transactions_after_the_fetch(batched, monkeypatch)
        run_all(batched, profiles, deliver=False, out_dir=tmp_path / "batched")
        assert _verdicts(batched) == _verdicts(single) and len(_verdicts(single)) == 5
    # Alone, each profile's day is several transactions (lock, run, judgements, outcomes,
    # finish, ...); in a batch, the five local profiles' days are one.
    assert alone >= 5 * 5 and len(together) == 1


def test_a_member_whose_day_is_sent_out_commits_on_her_own(
        tmp_path: Path, feeds: FeedServer, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """A sent email must stay recorded as sent (a rerun after a crash would send it again): a
    member with a channel is never in an uncommitted batch."""
    from tests.servers.smtp_server import SmtpServer
    from tests.test_group_run import email_toml

    with SmtpServer() as smtp:
        add_profile(tmp_path, "alice", ["cs.LG"], "1. Large language model agents\n",
                    email_toml(smtp.port, "alice@example.org"))
        add_profile(tmp_path, "bob", ["cs.LG"], "1. Reinforcement learning for robots\n")
        add_profile(tmp_path, "carol", ["cs.AI"], "1. Planning and reasoning\n")
        profiles, _ = stored_members(store)
        in_batch: dict[str, bool] = {}
        real = group.run_member

        def noting(member_store: Store, profile: group.Profile, *args: object,
                   **kwargs: object) -> group.MemberOutcome:
            in_batch[profile.name] = member_store.conn.in_transaction
            return real(member_store, profile, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(group, "run_member", noting)
        report = run_all(store, profiles, out_dir=tmp_path / "out")
    assert report.exit_code == 0 and [m["To"] for m in smtp.handler.messages] == ["alice@example.org"]
    assert in_batch == {"alice": False, "bob": True, "carol": True}


def test_a_batch_the_store_cannot_commit_is_its_members_failure(
        tmp_path: Path, feeds: FeedServer, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    group_of_five(tmp_path)
    profiles, _ = stored_members(store)
    fetch = group.fetch_group_day

    def fetched_then_full(*args: object, **kwargs: object) -> object:
        day = fetch(*args, **kwargs)  # type: ignore[arg-type]

        def full() -> None:
            raise sqlite3.OperationalError("database or disk is full")

        store.conn.commit = full  # type: ignore[method-assign]
        return day

    monkeypatch.setattr(group, "fetch_group_day", fetched_then_full)
    report = run_all(store, profiles, deliver=False, out_dir=tmp_path / "out")
    del store.conn.commit
    failed = f"not recorded: cannot write the store at {store.location}: database or disk is full"
    assert {m.name: m.error for m in report.members} == {p.name: failed for p in profiles}
    assert report.exit_code == 2
    assert store.conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 0  # rolled back whole
