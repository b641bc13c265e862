"""`papersieve init` and `papersieve db`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from papersieve.cli.options import profile_option
from papersieve.home import home_dir
from papersieve.profile import init_profile, load_profile
from papersieve.profile.loader import WORKFLOW_PATH
from papersieve.profile.stored import load_profile_ref
from papersieve.rebuild import rebuild_from_site
from papersieve.schedule import RUN_TIMES_UTC, Command, cron_lines, systemd_units
from papersieve.store import open_store, open_store_to_read
from papersieve.store.db import store_exists
from papersieve.store.profiles import stored_profile_names
from papersieve.store.retention import prune_store, store_size, vacuum
from papersieve.store.search_index import rebuild_search_index, search_index_kept
from papersieve.store.stats import store_counts


@click.command()
@click.argument("folder", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option("--force", is_flag=True, help="Overwrite an existing profile.")
@click.option("--systemd", is_flag=True,
              help="Also write a systemd user service and timer ($XDG_CONFIG_HOME/systemd/user).")
@click.option("--field", metavar="ARXIV", default=None,
              help="Write topics.txt and categories for this arXiv archive or category (astro-ph,"
                   " hep-th, q-bio.NC...) instead of the default machine-learning ones.")
def init(folder: Path | None, force: bool, systemd: bool, field: str | None) -> None:
    """Write an editable copy of the default profile to FOLDER ($PAPERSIEVE_HOME/profile)."""
    target = init_profile(folder, force=force, field=field).resolve()
    click.echo(f"Profile written to {target}")
    click.echo("Edit profile.toml and topics.txt, then run: papersieve run --profile " + str(target))
    click.echo(f"GitHub Actions workflow: {target / WORKFLOW_PATH} (make this folder a repository"
               " and set its variable PAPERSIEVE_PACKAGE to a pip requirement for papersieve,"
               " to run it daily and publish the site to Pages)")
    command = scheduled_command(target)
    if command.profile_dir is None:
        click.echo("The store holds stored profiles: the schedule below runs them all"
                   " (`papersieve run --all`; add this one with `papersieve profile add NAME "
                   + str(target) + "`)")
    if systemd:
        name = "papersieve-group" if command.profile_dir is None else \
            f"papersieve-{load_profile(target).name}"
        for path in write_systemd_units(command, name):
            click.echo(f"systemd unit: {path}")
        click.echo(f"Start it with: systemctl --user daemon-reload && systemctl --user enable --now"
                   f" {name}.timer")
    times = " and ".join(f"{t:%H:%M}" for t in RUN_TIMES_UTC)
    click.echo(f"Or schedule it with cron ({times} UTC, Monday to Friday: after arXiv's feeds"
               " change at midnight US Eastern, then a catch-up):")
    click.echo(cron_line(target))


def cron_line(profile_dir: Path | None) -> str:
    """The crontab lines equivalent to the workflow's schedule (cron runs in UTC here).

    cron starts jobs with a bare environment and PATH, so the line names this installation's
    executable and this state folder: a `papersieve` found elsewhere, or the default home, would
    run another installation against another store than the one the user set up.
    """
    return "\n".join(cron_lines(scheduled_command(profile_dir)))


def scheduled_command(profile_dir: Path | None) -> Command:
    """This installation's executable on this home, for the profile in `profile_dir`; when the
    store holds stored profiles (a group's installation) or `profile_dir` is None, for all of
    them (`run --all`)."""
    group = profile_dir is None or _holds_stored_profiles()
    return Command(home_dir().expanduser().absolute(), _executable(), None if group else profile_dir)


def _holds_stored_profiles() -> bool:
    # store_exists, not the file's existence: a PostgreSQL store has no file (init said "no").
    if not store_exists():
        return False
    with open_store_to_read() as store:
        return bool(stored_profile_names(store))


def write_systemd_units(command: Command, name: str) -> list[Path]:
    """Write the service and timer into the user's systemd folder; returns their paths."""
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    folder = Path(config) / "systemd" / "user"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for file_name, text in systemd_units(command, name).items():
        (folder / file_name).write_text(text, "utf-8")
        written.append(folder / file_name)
    return written


def _executable() -> str:
    """The `papersieve` script beside this interpreter (a virtualenv's bin), else the bare name."""
    script = Path(sys.executable).parent / "papersieve"
    return str(script) if script.is_file() else "papersieve"


@click.command()
@click.option("--vacuum", "do_vacuum", is_flag=True,
              help="Prune raw LLM replies older than [store] keep_raw_days (and old abstracts with"
                   " keep_text_days, old runs with compact_after_days), then compact the file.")
@click.option("--reindex", is_flag=True,
              help="Rebuild the word search's index where it is not kept ([store] search_index ="
                   " false, the GitHub Actions workflow's store).")
@click.option("--from-site", "site", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Record the days of a published site (its YYYY-MM/YYYY-MM-DD.json) that the store"
                   " lacks, e.g. after the store was lost.")
@profile_option
def db(do_vacuum: bool, reindex: bool, site: Path | None, profile_dir: Path | None) -> None:
    """Show where the SQLite store is and basic counts."""
    opener = open_store if site is not None or do_vacuum or reindex else open_store_to_read
    with opener() as store:
        if reindex:
            click.echo(f"Search index: {rebuild_search_index(store)} papers indexed again"
                       if not search_index_kept(store) else "Search index: kept, nothing to do")
        if site is not None:
            added = rebuild_from_site(store, site, warn=lambda w: click.echo(f"warning: {w}", err=True))
            click.echo(f"Rebuilt {len(added)} day(s) from {site}"
                       + (f": {added[0][1]} to {added[-1][1]}" if added else ""))
        if do_vacuum:
            kept = load_profile_ref(profile_dir).settings.store
            keep = kept.keep_raw_days
            before = store_size(store)  # pruning already gives pages back (auto_vacuum)
            counts = prune_store(store, keep, keep_text_days=kept.keep_text_days,
                                 compact_after_days=kept.compact_after_days,
                                 cache_features=kept.cache_features,
                                 search_index=kept.search_index,
                                 fold_label_window=kept.fold_label_window)
            _, after = vacuum(store)
            click.echo(f"Pruned {counts['raw replies']} raw LLM replies older than {keep} days"
                       if keep else "Raw LLM replies kept ([store] keep_raw_days = 0)")
            if kept.keep_text_days:
                click.echo(f"Emptied {counts['abstracts']} abstracts of papers last listed"
                           f" {kept.keep_text_days} or more days ago (the site keeps them)")
            if kept.compact_after_days:
                click.echo(f"Folded {counts['folded candidates']} unpicked candidates and"
                           f" {counts['folded listing entries']} listing entries of days"
                           f" {kept.compact_after_days} or more days old into compact rows")
            click.echo(f"Vacuumed: {before / 1e6:.1f} MB -> {after / 1e6:.1f} MB")
        click.echo(f"Store: {store.location}")
        click.echo(f"Schema version: {store.schema_version()}")
        for name, value in store_counts(store).items():
            click.echo(f"{name}: {value}")
