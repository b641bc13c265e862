"""Catch-up: announcement days that were never run (the machine was off, the job did not start).

`run` with no date runs the current day; before it, the weekdays between the newest day this
profile finished and today that have no finished run are run in date order (weekends and the
profile's `[schedule] holidays` are not missed days, nor is a day recorded as "no announcement").
A day whose listing is stored (fetched, then the run stopped) is run from the store; otherwise the
daily feeds have moved on, and the day is fetched through the arXiv API backfill, marked
approximate as `backfill` marks it. At most `[schedule] catch_up_days` days are caught up, the
newest ones; each gets a note.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from papersieve.errors import PapersieveError
from papersieve.ingest import backfill, stored_day
from papersieve.pipeline import RunReport, run_day
from papersieve.profile import Profile
from papersieve.schedule import weekdays_between
from papersieve.store.db import Store
from papersieve.store.runs import finish_run, start_run

FINISHED = ("done", "no_announcement")
"""Run statuses that settle a day; a stale, failed or interrupted day is run again."""


@dataclass(frozen=True)
class Behind:
    """How far a profile's store is behind the announcement days, and why if a run said so."""

    newest: dt.date | None
    """The newest day this profile finished (None: it never finished one)."""
    missed: tuple[dt.date, ...]
    """Weekdays after `newest` and before today with no finished run, oldest first."""
    reasons: dict[dt.date, str] = field(default_factory=dict)
    """The last unfinished run's status and message per missed day, when there was one."""


def newest_finished_day(store: Store, profile: str) -> dt.date | None:
    """The newest day with a finished (done or "no announcement") run of this profile."""
    row = store.conn.execute(
        f"SELECT MAX(date) FROM runs WHERE profile = ? AND status IN ({_marks(FINISHED)})",
        (profile, *FINISHED)).fetchone()
    return dt.date.fromisoformat(row[0]) if row and row[0] else None


def behind(store: Store, profile: Profile, today: dt.date) -> Behind:
    """The missed announcement days before `today` (today itself is the normal run's)."""
    name = profile.name
    newest = newest_finished_day(store, name)
    if newest is None:
        return Behind(None, ())
    holidays = set(profile.settings.schedule.holidays)
    finished = _days_with(store, name, FINISHED, newest)
    missed = tuple(day for day in weekdays_between(newest, today)
                   if day not in holidays and day not in finished)
    return Behind(newest, missed, _reasons(store, name, missed))


def _days_with(store: Store, profile: str, statuses: tuple[str, ...], after: dt.date) -> set[dt.date]:
    rows = store.conn.execute(
        f"SELECT DISTINCT date FROM runs WHERE profile = ? AND date > ? AND status IN ({_marks(statuses)})",
        (profile, after.isoformat(), *statuses)).fetchall()
    return {dt.date.fromisoformat(row[0]) for row in rows}


def _reasons(store: Store, profile: str, days: tuple[dt.date, ...]) -> dict[dt.date, str]:
    reasons = {}
    for day in days:
        row = store.conn.execute(
            "SELECT status, message FROM runs WHERE profile = ? AND date = ? ORDER BY id DESC LIMIT 1",
            (profile, day.isoformat())).fetchone()
        if row is not None:
            reasons[day] = f"{row['status']}: {row['message']}" if row["message"] else row["status"]
    return reasons


def _marks(values: tuple[str, ...]) -> str:
    return ", ".join("?" for _ in values)


@dataclass(frozen=True)
class CatchUpPlan:
    """The days to run now, oldest first, and a note for the ones left out."""

    days: tuple[dt.date, ...]
    notes: tuple[str, ...]


def plan_catch_up(store: Store, profile: Profile, today: dt.date) -> CatchUpPlan:
    """The newest `catch_up_days` missed days; the older ones are named in a note."""
    missed = behind(store, profile, today).missed
    bound = profile.settings.schedule.catch_up_days
    kept = missed[len(missed) - bound:] if bound else ()
    left = missed[: len(missed) - len(kept)]
    notes: tuple[str, ...] = ()
    if left:
        notes = (f"{len(left)} older missed day(s) not caught up ({left[0]} to {left[-1]},"
                 f" beyond catch_up_days = {bound}): run `papersieve backfill --from {left[0]}"
                 f" --to {left[-1]} --run`",)
    return CatchUpPlan(kept, notes)


def prepare_day(store: Store, profile: Profile, day: dt.date,
                say: Callable[[str], None]) -> str:
    """Make sure the missed `day` has a stored listing; returns the note that says from where.

    Raises `PapersieveError` when the API backfill fails (the caller notes it and goes on).
    """
    if stored_day(store, profile, day) is not None:
        return f"caught up missed day {day} from its stored listing"
    fetched = backfill(store, profile, day, day, via="api", progress=say)
    status = fetched[0].status.value if fetched else "nothing"
    return (f"caught up missed day {day} through the arXiv API ({status}; approximate: by"
            " submission date, not by announcement)")


def catch_up(
    store: Store, profile: Profile, today: dt.date, *, out_dir: Path | None = None,
    progress: Callable[[str], None] | None = None, deliver: bool = True,
) -> tuple[list[RunReport], list[str]]:
    """Run the planned missed days in date order; returns their reports and the notes.

    A day the API backfill could not fetch is noted and skipped: a missed day never stops the
    current day's run.
    """
    say = progress or (lambda _message: None)
    plan = plan_catch_up(store, profile, today)
    notes = list(plan.notes)
    reports = []
    for day in plan.days:
        try:
            note = prepare_day(store, profile, day, say)
        except PapersieveError as err:
            notes.append(f"missed day {day} not caught up: {err}")
            continue
        notes.append(note)
        say(f"note: {note}")
        if stored_day(store, profile, day) is None:
            reports.append(_no_listing(store, profile, day))
        else:
            reports.append(run_day(store, profile, day, out_dir=out_dir, progress=say, deliver=deliver))
    return reports, notes


def _no_listing(store: Store, profile: Profile, day: dt.date) -> RunReport:
    """Record a missed day whose backfill found no paper as "no announcement"."""
    message = f"no announcement for {day} (the arXiv API has no paper submitted that day)"
    run_id = start_run(store, profile.name, day, profile.settings.judge.kind)
    finish_run(store, run_id, "no_announcement", message=message)
    return RunReport("no_announcement", day, message, run_id)
