"""`papersieve fetch` and `papersieve backfill`: thin wrappers around `papersieve.ingest`.

cli/main.py imports this module only when one of these commands runs, so imports stay here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal, cast

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress as RichProgress
from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn

from papersieve import ingest
from papersieve.candidates import kept_entries, select_candidates
from papersieve.cli.options import (
    DATE,
    as_date,
    date_option,
    profile_option,
)
from papersieve.errors import ConfigError
from papersieve.ingest import DayFetch, Progress
from papersieve.models import ListingStatus
from papersieve.profile import Profile
from papersieve.profile.settings import known_categories, preprint_subjects
from papersieve.profile.stored import load_profile_ref
from papersieve.store import Store, open_store
from papersieve.store.runs import papers_judged_before
from papersieve.today import check_not_future


@contextmanager
def _progress_display(label: str) -> Iterator[Progress]:
    """A rich spinner on stderr; each progress message updates it and is kept as a log line."""
    console = Console(stderr=True)
    with RichProgress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                      console=console, transient=True) as bar:
        task = bar.add_task(label, total=None)

        def report(message: str) -> None:
            bar.update(task, description=escape(message))  # the column reads markup
            bar.console.print(message, style="dim", markup=False, highlight=False)

        yield report


@click.command()
@date_option
@click.option("--category", "categories", multiple=True, metavar="CAT",
              help="Fetch this category instead of the profile's (repeatable).")
@profile_option
@click.option("--source", type=click.Choice(["rss", "atom"]), default="rss", show_default=True,
              help="Which daily feed format to read.")
@click.option("--from-file", "files", multiple=True,
              type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Read a saved RSS/Atom feed file instead of the network (repeatable).")
@click.option("--offline", "--offline-dir", "offline_dir",
              type=click.Path(path_type=Path, file_okay=False, exists=True), default=None,
              help="Read arxiv-<date>-<cat>.jsonl candidate files from DIR (as `run --offline`;"
                   " needs --date).")
def fetch(day: dt.datetime | None, categories: tuple[str, ...], profile_dir: Path | None,
          source: str, files: tuple[Path, ...], offline_dir: Path | None) -> None:
    """Fetch a day's arXiv listings, store them, and print the day's counts."""
    known = known_categories() | preprint_subjects()
    unknown = [c for c in categories if c not in known and c.lower() not in known]
    if unknown:
        raise ConfigError(f"unknown arXiv category {unknown[0]!r} (see arxiv.org/category_taxonomy)",
                          key="--category")
    overrides = {"categories": list(categories)} if categories else None
    profile = load_profile_ref(profile_dir, overrides)
    date = as_date(day)
    if offline_dir is not None and date is None:
        raise click.UsageError("--offline needs --date")
    if date is not None:
        check_not_future(date, what="the day asked for")
    with open_store() as store, _progress_display("fetching") as progress:
        if files:
            fetched = ingest.load_feed_files(store, files, date, progress=progress)
        elif offline_dir is not None and date is not None:
            fetched = ingest.load_offline_day(store, offline_dir, date, profile.settings.categories)
        else:
            fetched = ingest.fetch_day(store, profile, date, progress=progress,
                                       source=cast(Literal["rss", "atom"], source))
        seen = papers_judged_before(store, profile.name, fetched.date)
    _print_day(fetched, profile.settings.announce_types, profile.settings.primary_only, seen)


def _print_day(fetched: DayFetch, announce_types: tuple[str, ...], primary_only: bool,
               seen: frozenset[str]) -> None:
    if fetched.status is ListingStatus.NO_ANNOUNCEMENT:
        click.echo(f"{fetched.message.capitalize()} (recorded).")
        return
    if fetched.status is ListingStatus.STALE:
        click.echo(f"Warning: {fetched.message} (recorded; try again later).")
    cands = select_candidates(fetched.date, fetched.listings, announce_types, primary_only, seen)
    click.echo(f"Listing date: {fetched.date}")
    click.echo(f"Total arXiv papers: {cands.counts.total}")
    click.echo(f"Total scanned papers: {cands.counts.scanned}")
    click.echo(f"Deduplicated papers: {cands.counts.unique}")
    cats = [listing.category for listing in fetched.listings]
    for listing in fetched.listings:
        kept = kept_entries(listing, announce_types, primary_only, cats)
        click.echo(f"  {listing.category}: {len(listing.entries)} entries, {len(kept)} scanned"
                   + (f" ({listing.status.value})" if listing.status is not ListingStatus.OK else ""))
    if cands.seen_before:
        click.echo(f"Judged on an earlier day (not judged again): {len(cands.seen_before)}")
    click.echo(f"New candidates: {len(cands.papers)}")


@click.command()
@click.option("--from", "start", type=DATE, metavar="YYYY-MM-DD", required=True, help="First day.")
@click.option("--to", "end", type=DATE, metavar="YYYY-MM-DD", required=True,
              help="Last day (inclusive).")
@click.option("--via", type=click.Choice(["api", "oai"]), default="api", show_default=True,
              help="arXiv query API (by submission date) or OAI-PMH (by record datestamp).")
@click.option("--run", "run_days", is_flag=True,
              help="Also judge each fetched day and write its digest (like `papersieve run --date`).")
@profile_option
def backfill(start: dt.datetime, end: dt.datetime, via: str, run_days: bool,
             profile_dir: Path | None) -> None:
    """Fetch past days; listings are marked approximate (submission dates are not announcements)."""
    profile = load_profile_ref(profile_dir)
    with open_store() as store:
        with _progress_display("backfill") as progress:
            days = ingest.backfill(store, profile, start.date(), end.date(), progress=progress,
                                   via=cast(Literal["api", "oai"], via))
        for fetched in days:
            click.echo(f"{fetched.date}: {fetched.total} entries, {fetched.status.value}"
                       f" (approximate) - {fetched.message}")
        if run_days:
            _run_backfilled(store, profile, days)


def _run_backfilled(store: Store, profile: Profile, days: list[DayFetch]) -> None:
    """Judge and render every backfilled day that has papers, oldest first."""
    from papersieve.pipeline import run_day

    for fetched in days:
        if fetched.status is not ListingStatus.OK:
            continue
        report = run_day(store, profile, fetched.date)
        where = f" -> {report.outputs[0]}" if report.outputs else ""
        picks = len(report.digest.picks) if report.digest else 0
        click.echo(f"{fetched.date}: {report.status}, {picks} picks{where}")
