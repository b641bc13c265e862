"""`papersieve status`: is the profile's store up to date with arXiv's announcement days?"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from papersieve.catchup import behind
from papersieve.cli.options import profile_option
from papersieve.profile.stored import load_profile_ref
from papersieve.schedule import current_day, last_announcement_day
from papersieve.store import open_store


@click.command()
@profile_option
def status(profile_dir: Path | None) -> None:
    """Say whether the newest stored day is the last announcement day, and why not if known."""
    profile = load_profile_ref(profile_dir)
    holidays = frozenset(profile.settings.schedule.holidays)
    last = last_announcement_day(current_day(), holidays)
    with open_store() as store:
        state = behind(store, profile, last + dt.timedelta(days=1))
    click.echo(f"Profile: {profile.name}")
    click.echo(f"Last announcement day: {last} (US Eastern; weekends and [schedule] holidays skipped)")
    if state.newest is None:
        click.echo("Newest stored day: none (no finished run yet)")
        return
    click.echo(f"Newest stored day: {state.newest}")
    if state.newest >= last:
        click.echo("Up to date.")
        return
    click.echo(f"Behind: {len(state.missed)} announcement day(s) not run since {state.newest}"
               " (`papersieve run` catches up the newest [schedule] catch_up_days of them)")
    for day in state.missed:
        reason = state.reasons.get(day, "no run at all (the scheduler did not start one?)")
        click.echo(f"  {day}: {reason}")

