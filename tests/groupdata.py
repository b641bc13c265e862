"""A group's store for the accounts tests: the web tests' two real days (tests/webdata.py), plus
two members' stored profiles (alice, bob) with runs of their own, an admin (ada), and a like of
bob's. Written only through the store's and the accounts' own functions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from papersieve.models import DayCounts, Outcome, Usage
from papersieve.store import open_store
from papersieve.store.db import Store
from papersieve.store.feedback import add_feedback
from papersieve.store.profiles import save_profile
from papersieve.store.runs import finish_run, record_outcomes, start_run
from papersieve.web.accounts import create_user, default_profile_files
from tests.webdata import DAYS, WebData, build_store

PASSWORDS = {"ada": "ada-admin-password-1", "alice": "alice-password-12", "bob": "bob-password-123"}
SESSION_KEY = b"k" * 8 + b"Qw3rTy7uIo9pAsDfGhJkLzXcVbNm0123"


@dataclass
class GroupData:
    """The store and what the tests need to know about it."""

    web: WebData
    runs: dict[str, dict[str, int]] = field(default_factory=dict)
    """Run ids per member profile, per day."""
    picks: dict[str, list[str]] = field(default_factory=dict)
    """Each member profile's picks on the latest day."""
    bob_liked: str = ""

    @property
    def path(self) -> Path:
        return self.web.path


def build_group_store(path: Path) -> GroupData:
    """The web tests' store, then the members, their profiles and runs, and bob's like."""
    data = GroupData(build_store(path, hostile=False))
    latest = DAYS[-1].isoformat()
    shared = data.web.picks[latest]
    data.picks = {"alice": shared[:3], "bob": shared[3:6]}
    with open_store(data.web.path) as store:
        for name in ("alice", "bob"):
            save_profile(store, name, default_profile_files())
            data.runs[name] = {}
            for day in DAYS:
                data.runs[name][day.isoformat()] = _copy_run(
                    store, data.web.runs[day.isoformat()], name, day, data.picks[name])
            create_user(store, name, PASSWORDS[name], profiles=(name,))
        create_user(store, "ada", PASSWORDS["ada"], is_admin=True)
        data.bob_liked = data.picks["bob"][0]
        add_feedback(store, [data.bob_liked], 1, "web", profile="bob")
    return data


def _copy_run(store: Store, source: int, profile: str, day: dt.date, picks: list[str]) -> int:
    """A finished run of `profile` with `source`'s candidates and judgements, picking `picks`."""
    run_id = start_run(store, profile, day, "llm", "gpt-4o", f"hash-{profile}")
    rows = store.conn.execute(
        "SELECT paper_id, outcome, judgement_id FROM run_candidates WHERE run_id = ?", (source,)
    ).fetchall()
    rank = {pid: i for i, pid in enumerate(picks, 1)}
    record_outcomes(store, run_id, [
        (r["paper_id"], Outcome(r["outcome"]), r["judgement_id"], r["paper_id"] in rank,
         rank.get(r["paper_id"])) for r in rows])
    counts = DayCounts(total=len(rows), scanned=len(rows), unique=len(rows), relevant=len(picks))
    finish_run(store, run_id, "done", counts, Usage(1000, 100, 0, 0.01, 0.001))
    return run_id
