"""`papersieve profile add|list|export|remove`: profiles kept in the store (issue 19)."""

from __future__ import annotations

from pathlib import Path

import click

from papersieve.cli.options import use_profile_store
from papersieve.cli.profile_cmds import cron_line
from papersieve.errors import ConfigError
from papersieve.home import database_path
from papersieve.profile.loader import (
    PROFILE_FILE,
    PROFILE_FILE_NAMES,
    builtin_profile_dir,
    profile_from_files,
    read_profile_folder,
    store_url_setting,
    write_profile_folder,
)
from papersieve.profile.settings import check_profile_name
from papersieve.store import open_store, open_store_to_read
from papersieve.store.db import masked_url, postgres_url
from papersieve.store.profiles import (
    remove_profile,
    save_profile,
    stored_profile,
    stored_profile_names,
    stored_profiles,
)
from papersieve.store.unsubscribes import resubscribe, unsubscribed


@click.group()
def profile() -> None:
    """Profiles kept in the store: a group's members, each with her own topics and deliveries.

    `--profile NAME` in every command then names a stored profile (a folder of that name wins).
    """
    use_profile_store(None)


@profile.command("add")
@click.argument("name")
@click.argument("folder", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option("--replace", is_flag=True, help="Overwrite a stored profile of that name.")
def add(name: str, folder: Path | None, replace: bool) -> None:
    """Store the profile in FOLDER (default: the built-in one) under NAME."""
    try:
        check_profile_name(name)
    except ValueError as err:
        raise ConfigError(str(err), path=name) from None
    source = folder.expanduser() if folder is not None else builtin_profile_dir()
    if not source.is_dir():
        raise ConfigError("profile folder does not exist", path=str(source))
    files = read_profile_folder(source)
    if PROFILE_FILE not in files:
        raise ConfigError("no profile.toml in this folder (create one with `papersieve init`)",
                          path=str(source))
    profile_from_files(files, name)  # the same checks as a run: nothing invalid is stored
    _refuse_another_store(source)
    with open_store() as store:
        revision = save_profile(store, name, files, replace=replace)
        count = len(stored_profile_names(store))
    click.echo(f"Stored profile {name} (revision {revision}) from {source}")
    if count == 1:
        click.echo("Run every stored profile with `papersieve run --all` (one fetch for all);"
                   " schedule it with cron (UTC, Monday to Friday):")
        click.echo(cron_line(None))
    else:
        click.echo(f"The store holds {count} profiles: `papersieve run --all` runs them all.")


def _refuse_another_store(source: Path) -> None:
    """A folder's `[store] url` chooses the store of the commands run with that folder. A stored
    profile lives in the store it is added to, and runs there whatever its `[store] url` says: one
    naming another store would be silently ignored (the profile filed where its owner did not mean
    it), so it is refused unless it names this very store."""
    url = store_url_setting(source)
    here = database_path()
    if not url or postgres_url(url) == postgres_url(here):
        return
    where = masked_url(postgres_url(here)) if postgres_url(here) else str(here)
    raise ConfigError(
        f"names {masked_url(url)}, but a stored profile lives in the store it is added to ({where})"
        " and runs there: leave [store] url out, or add the profile to that store with"
        " PAPERSIEVE_DB=URL papersieve profile add ...",
        path=str(source / PROFILE_FILE), key="store.url")


@profile.command("list")
def list_() -> None:
    """List the stored profiles."""
    with open_store_to_read() as store:
        rows = stored_profiles(store)
    if not rows:
        click.echo("No stored profiles (add one with `papersieve profile add NAME DIR`).")
        return
    for row in rows:
        try:
            loaded = profile_from_files(row.files, row.name)
        except ConfigError as err:
            # One stored profile that no longer loads (stored by an older version, before a
            # check it fails) is listed as such: it stopped the listing of the others.
            click.echo(f"{row.name}\trevision {row.revision}\t{row.updated_at}\t"
                       f"does not load: {err}")
            continue
        click.echo(f"{row.name}\trevision {row.revision}\t{row.updated_at}\t"
                   f"{','.join(loaded.settings.categories)}\t{loaded.settings.judge.kind}")


@profile.command("export")
@click.argument("name")
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@click.option("--force", is_flag=True, help="Overwrite the profile files already in FOLDER.")
def export(name: str, folder: Path, force: bool) -> None:
    """Write the stored profile NAME into FOLDER as a profile folder."""
    with open_store_to_read() as store:
        row = stored_profile(store, name)
    if row is None:
        raise ConfigError("the store holds no profile of that name", path=name)
    target = folder.expanduser()
    # Any file of the profile already there is the folder owner's: a topics.txt without a
    # profile.toml beside it was overwritten without --force.
    taken = [target / file for file in PROFILE_FILE_NAMES if (target / file).exists()]
    if taken and not force:
        what = "a profile already exists here" if taken[0].name == PROFILE_FILE else "this file exists"
        raise ConfigError(f"{what} (use --force to overwrite)", path=str(taken[0]))
    written = write_profile_folder(row.files, target)
    click.echo(f"Wrote {len(written)} files of profile {name} to {target}")


@profile.command("resubscribe")
@click.argument("name")
@click.argument("address")
def resubscribe_(name: str, address: str) -> None:
    """Send the stored profile NAME's emails to ADDRESS again, after it unsubscribed through the
    link in an email (the link can only turn emails off)."""
    with open_store() as store:
        if stored_profile(store, name) is None:
            raise ConfigError("the store holds no profile of that name", path=name)
        if not resubscribe(store, name, address):
            gone = sorted(unsubscribed(store, name))
            raise ConfigError(f"this address has not unsubscribed from profile {name}"
                              + (f" (unsubscribed: {', '.join(gone)})" if gone else ""),
                              path=address)
    click.echo(f"{address} gets the emails of profile {name} again (if [deliver.email] to lists it)")


@profile.command("remove")
@click.argument("name")
def remove(name: str) -> None:
    """Forget the stored profile NAME (its runs, feedback and history stay in the store)."""
    with open_store() as store:
        if not remove_profile(store, name):
            raise ConfigError("the store holds no profile of that name", path=name)
    click.echo(f"Removed profile {name}")
