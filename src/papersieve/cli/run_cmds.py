"""`papersieve run` and `papersieve demo`: thin wrappers around pipeline.run_day."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.status import Status

from papersieve.catchup import catch_up
from papersieve.chatfeedback import PullReport, pull_feedback
from papersieve.cli.options import as_date, date_option, profile_option
from papersieve.errors import ConfigError, StoreError
from papersieve.ingest import DayFetch, fetch_day
from papersieve.pipeline import RunReport, run_day
from papersieve.profile.settings import StoreSettings
from papersieve.profile.stored import load_profile_ref
from papersieve.render.paths import FEED_NAME, INDEX_NAME, dated_path
from papersieve.render.text import dollars
from papersieve.store import Store, open_store
from papersieve.store.retention import prune_store, vacuum

PROGRESS_INTERVAL = 10.0
"""Seconds between progress lines when stderr is not a terminal."""


@click.command()
@profile_option
@date_option
@click.option("--no-title-stage", is_flag=True, help="Send every abstract to the LLM (skip the title pass).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Output folder (default: the profile's outputs.dir, else $PAPERSIEVE_HOME/out/<profile>).")
@click.option("--offline", "offline_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Read the day from arxiv-<date>-<category>.jsonl files instead of the feeds.")
@click.option("--no-deliver", is_flag=True, help="Write the files but send no Slack message or email.")
@click.option("--redeliver", is_flag=True,
              help="Send Slack and email again even if an earlier run of this day delivered them.")
@click.option("--all", "all_profiles", is_flag=True,
              help="Every profile kept in the store (`papersieve profile add`), from one fetch;"
                   " --out then holds one folder per profile.")
@click.option("--ray", "ray_address", default=None, metavar="auto|ADDRESS",
              help="With --all: run the profiles as tasks on a Ray cluster (`auto`: the local one,"
                   " started if need be); needs the PostgreSQL store.")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="With --all: run the local-judge profiles in this many processes on this"
                   " machine (one per core; each forked after the day's shared work).")
@click.option("--judge-ahead/--no-judge-ahead", default=None,
              help="With --all: judge the local-judge profiles ahead in one more process (the"
                   " second core), the store written by this one; the same digests. Default:"
                   " on with 20 or more of them, a second core and no --workers.")
def run(profile_dir: Path | None, day: dt.datetime | None, no_title_stage: bool,
        out_dir: Path | None, offline_dir: Path | None, no_deliver: bool, redeliver: bool,
        all_profiles: bool, ray_address: str | None, workers: int, judge_ahead: bool | None) -> None:
    """Do the whole day: fetch, prefilter, judge, select, render, deliver.

    With no --date, announcement days missed since the last run are run first (up to
    `[schedule] catch_up_days`, through the arXiv API when the feeds have moved on).
    Exit codes: 0 done (or no announcement that day), 2 error, 3 stale feed, 4 a delivery failed,
    5 judged in part (more than judge.max_failed_share of the papers failed or were not judged).
    With --all, each stored profile's outcome is listed and the exit code is the worst of them
    (2 when a profile could not run its day). --ray spreads the profiles over a Ray cluster.
    """
    if ray_address is not None and not all_profiles:
        raise click.UsageError("--ray spreads a group's profiles: use it with --all")
    if workers > 1 and (not all_profiles or ray_address is not None):
        raise click.UsageError("--workers spreads a group's profiles over this machine's cores:"
                               " use it with --all (and without --ray)")
    if judge_ahead and (not all_profiles or ray_address is not None):
        raise click.UsageError("--judge-ahead judges a group's profiles in a second process:"
                               " use it with --all (and without --ray)")
    if all_profiles:
        if profile_dir is not None:
            raise click.UsageError("--all runs every stored profile: leave out --profile")
        run_group(as_date(day), title_stage=False if no_title_stage else None, out_dir=out_dir,
                  offline_dir=offline_dir, deliver=not no_deliver, redeliver=redeliver,
                  ray_address=ray_address, workers=workers,
                  judge_ahead=judge_ahead if judge_ahead is not None else workers == 1 and cores() >= 2)
        return
    profile = load_profile_ref(profile_dir)
    console = Console(stderr=True, highlight=False)
    earlier: list[RunReport] = []
    notes: list[str] = []
    fetched: DayFetch | None = None
    pulled: list[PullReport] = []
    with open_store() as store, console.status("starting") as status, Heartbeat(console) as beat:
        say = _progress(console, status, beat)
        if not no_deliver and offline_dir is None:
            pulled = pull_feedback(store, profile, say)
        if day is None and offline_dir is None:
            # The current day comes from the feeds themselves; the days missed before it are
            # run first, in date order, so that each day's "seen before" sees the ones before.
            fetched = fetch_day(store, profile, progress=say)
            earlier, notes = catch_up(store, profile, fetched.date, out_dir=out_dir, progress=say,
                                      deliver=not no_deliver)
        report = run_day(store, profile, as_date(day), title_stage=False if no_title_stage else None,
                         out_dir=out_dir, offline_dir=offline_dir, progress=say,
                         deliver=not no_deliver, fetched=fetched, redeliver=redeliver)
        _prune(store, [profile.settings.store])
    for caught_up in earlier:
        print_summary(caught_up, profile.name)
    for note in notes:
        click.echo(f"Catch-up: {note}")
    print_summary(report, profile.name)
    for pull in pulled:
        click.echo(pull.summary)
    exit_code = report.exit_code or next((r.exit_code for r in earlier if r.exit_code), 0)
    if exit_code:
        # SystemExit, not ctx.exit: `main` runs click with standalone_mode=False, where click
        # would turn ctx.exit into a return value that the console script alone acts on.
        raise SystemExit(exit_code)


def cores() -> int:
    """The CPUs this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def run_group(day: dt.date | None, *, title_stage: bool | None, out_dir: Path | None,
              offline_dir: Path | None, deliver: bool, redeliver: bool,
              ray_address: str | None = None, workers: int = 1, judge_ahead: bool = False) -> None:
    """`run --all`: every stored profile's day (group.py; on Ray with `ray_address`,
    group_ray.py), each profile's summary, then one line per profile; exits with the worst
    profile's code."""
    from papersieve.group import run_all, stored_members

    console = Console(stderr=True, highlight=False)
    with open_store() as store, console.status("starting") as status, Heartbeat(console) as beat:
        profiles, broken = stored_members(store)
        if not profiles and not broken:
            raise ConfigError("the store holds no profile: add one with `papersieve profile add"
                              " NAME DIR`, or run one profile with --profile")
        say = _progress(console, status, beat)
        if ray_address is not None:
            from papersieve.group_ray import run_all_on_ray

            report = run_all_on_ray(store, profiles, day, address=ray_address,
                                    offline_dir=offline_dir, deliver=deliver, out_dir=out_dir,
                                    title_stage=title_stage, redeliver=redeliver, progress=say,
                                    failed=broken)
        else:
            report = run_all(store, profiles, day, offline_dir=offline_dir, deliver=deliver,
                             out_dir=out_dir, title_stage=title_stage, redeliver=redeliver,
                             progress=say, failed=broken, workers=workers, judge_ahead=judge_ahead)
        if profiles:
            _prune(store, [p.settings.store for p in profiles])
    if out_dir is not None and report.members:
        _group_page(out_dir, [m.name for m in report.members])
    for note in report.notes:
        click.echo(f"Note: {note}")
    for member in report.members:
        for caught_up in member.reports:
            print_summary(caught_up, member.name)
            click.echo()
        for note in member.notes:
            click.echo(note)
    click.echo(f"Group: {len(report.members)} profiles, day {report.date}")
    for member in report.members:
        click.echo(f"  {member.line()}")
    if report.exit_code:
        raise SystemExit(report.exit_code)


def _group_page(out_dir: Path, names: list[str]) -> None:
    """The group site's root page (`DIR/index.html`, each member's site under `DIR/<name>/`);
    a failure to write it is a warning: every member's day is done and recorded."""
    from papersieve.deliver.files import write_group_index
    from papersieve.errors import DeliveryError

    def warn(message: str) -> None:
        click.echo(f"warning: {message}", err=True)

    try:
        write_group_index(out_dir, names, warn)
    except DeliveryError as err:
        warn(str(err))


def _prune(store: Store, kept: list[StoreSettings]) -> None:
    """The pruning after a run (`store/retention.py`) with the settings of the profiles that ran;
    the store is shared, so what one of them keeps is kept. With `[store] vacuum_after_run` (the
    GitHub Actions workflow's) the file is then rewritten without its free and half-empty pages
    (a PostgreSQL store gets a plain VACUUM, which does not stop its readers);
    a store another process holds is left as it is, with a warning (the next run tries again)."""
    prune_store(store, _longest([k.keep_raw_days for k in kept]),
                keep_text_days=_longest([k.keep_text_days for k in kept]),
                compact_after_days=_longest([k.compact_after_days for k in kept]),
                cache_features=any(k.cache_features for k in kept),
                search_index=any(k.search_index for k in kept),
                fold_label_window=all(k.fold_label_window for k in kept))
    if any(k.vacuum_after_run for k in kept):
        try:
            vacuum(store, rewrite=False)
        except (StoreError, sqlite3.OperationalError) as err:
            click.echo(f"warning: the store was not compacted: {err}", err=True)


def _longest(days: list[int]) -> int:
    """The store is shared: what it keeps is kept as long as the profile that keeps it longest
    asks (0 keeps it for ever)."""
    return 0 if 0 in days else max(days)


@click.command()
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Output folder (default: $PAPERSIEVE_HOME/out/demo).")
def demo(out_dir: Path | None) -> None:
    """Run the pipeline on a real bundled arXiv day (2025-07-03, cs.LG + cs.AI), offline, no key."""
    from papersieve.demo import run_demo

    console = Console(stderr=True, highlight=False)
    with open_store() as store, console.status("starting") as status:
        report = run_demo(store, out_dir, progress=_progress(console, status))
    print_summary(report, "demo")


def _progress(console: Console, status: Status, beat: Heartbeat | None = None) -> Callable[[str], None]:
    """Judging progress updates the spinner line (or, off a terminal, the heartbeat's line);
    every other step is printed once."""

    def say(message: str) -> None:
        if message.startswith("judging:"):
            status.update(escape(message))  # a status line reads markup: "[/x]" was a MarkupError
            if beat is not None:
                beat.latest = message
        else:
            # A warning names a file: never break its path across lines. Off a terminal (a log)
            # no line is broken: an address or a server split in two escaped a grep of the log.
            console.print(message, markup=False,
                          soft_wrap=message.startswith("warning:") or not console.is_terminal)

    return say


class Heartbeat:
    """Off a terminal (cron, CI) the spinner shows nothing: print the latest progress line every
    `interval` seconds instead, so a long judging stage is not 12 silent minutes."""

    def __init__(self, console: Console, interval: float = PROGRESS_INTERVAL) -> None:
        self.console = console
        self.interval = interval
        self.latest = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="progress", daemon=True)

    def __enter__(self) -> Heartbeat:
        if not self.console.is_terminal:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            if self.latest:
                # One line each in a log file: not wrapped at the console's width.
                self.console.print(self.latest, markup=False, soft_wrap=True)


def print_summary(report: RunReport, profile: str) -> None:
    """The closing summary: counts, picks, tokens, dollars and where the outputs are."""
    if report.status not in ("done", "partial") or report.digest is None:
        label = {"no_announcement": "No announcement", "stale": "Stale feed"}.get(report.status, "")
        message = report.message
        if label and message.lower().startswith(label.lower()):  # not "No announcement: no ..."
            click.echo(message[:1].upper() + message[1:])
        else:
            click.echo(f"{label or report.status}: {message}")
        for d in report.deliveries:
            click.echo(f"Delivery {d.channel}: {d.status} ({d.detail})")
        return
    digest = report.digest
    counts, usage = digest.counts, digest.usage
    outcomes: dict[str, int] = {}
    for j in digest.judgements:
        outcomes[j.outcome.value] = outcomes.get(j.outcome.value, 0) + 1
    lines = [
        f"Day {digest.date} · profile {profile} · {digest.judge} judge ({digest.model})",
        f"Papers: {counts.total} listed, {counts.scanned} scanned, {counts.unique} unique,"
        f" {len(digest.judgements)} candidates",
        "Outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())),
        f"Picks: {len(digest.picks)}",
        f"Tokens: {usage.total_tokens} ({usage.prompt_tokens} prompt + {usage.completion_tokens}"
        f" completion), cost {dollars(usage.cost)}; this run spent {report.run_usage.total_tokens}"
        f" tokens, {dollars(report.run_usage.cost)}",
    ]
    lines += [f"Note: {note}" for note in report.notes]
    lines += [f"Delivery {d.channel}: {d.status} ({d.detail})" for d in report.deliveries]
    if report.out_dir is not None:
        written = set(report.outputs)
        for label, ext in (("Digest", "md"), ("Web page", "html"), ("JSON", "json")):
            path = dated_path(report.out_dir, digest.date, ext)
            if path in written:
                lines.append(f"{label}: {path}")
        lines.append(f"All outputs{_site_parts(report.out_dir, written)}: {report.out_dir}")
    click.echo("\n".join(lines))


def _site_parts(out_dir: Path, written: set[Path]) -> str:
    """Which shared files this run wrote, e.g. " (site with archive, latest.*, feed.atom)".

    Named from the files themselves: with `formats = ["markdown"]` there is no site or feed, and
    a rerun of an older day leaves `latest.*` alone.
    """
    names = {path.name for path in written if path.parent == out_dir}
    parts = [label for label, present in (
        ("site with archive", INDEX_NAME in names),
        ("latest.*", any(name.startswith("latest.") for name in names)),
        (FEED_NAME, FEED_NAME in names),
    ) if present]
    return f" ({', '.join(parts)})" if parts else ""
