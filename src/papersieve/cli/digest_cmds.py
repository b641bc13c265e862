"""`papersieve digest --week`: the week's picks grouped by the profile's topics."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from papersieve.cli.options import DATE, as_date, profile_option
from papersieve.errors import ConfigError
from papersieve.profile.stored import load_profile_ref
from papersieve.store import open_store
from papersieve.today import EASTERN


@click.command()
@click.option("--week", is_flag=True, help="The seven days ending on --end, grouped by topic.")
@click.option("--end", "end", type=DATE, metavar="YYYY-MM-DD", default=None,
              help="Last day of the week (default: today, US Eastern).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Output folder (default: the profile's; files go to weekly/<end>.md and .json).")
@click.option("--send", is_flag=True, help="Also send it to the profile's Slack and email.")
@profile_option
def digest(week: bool, end: dt.datetime | None, out_dir: Path | None, send: bool,
           profile_dir: Path | None) -> None:
    """Write a rollup of stored days: with --week, the week's picks under the profile's topics."""
    from papersieve.deliver.weekly import weekly_rollup

    if not week:
        raise ConfigError("say which rollup: --week (the only one so far)", key="--week")
    profile = load_profile_ref(profile_dir)
    last = as_date(end) or dt.datetime.now(EASTERN).date()
    with open_store() as store:
        rolled, results = weekly_rollup(store, profile, last, out_dir or profile.output_dir, send=send)
    click.echo(f"Week {rolled.start} to {rolled.end} · profile {profile.name} ·"
               f" {len(rolled.picks)} papers from {len(rolled.days)} days")
    for topic, picks in rolled.sections:
        click.echo(f"  {topic}: {len(picks)}")
    for result in results:
        click.echo(f"Delivery {result.channel}: {result.status} ({result.detail})")
    if any(r.status == "failed" for r in results):
        raise SystemExit(4)
