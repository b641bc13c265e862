"""`papersieve profile add|list|export|remove`: profiles kept in the store (issue 19)."""

from __future__ import annotations

from pathlib import Path

import click

from papersieve.cli.options import use_profile_store
from papersieve.cli.profile_cmds import cron_line
from papersieve.errors import ConfigError
from papersieve.profile.loader import (
    PROFILE_FILE,
    builtin_profile_dir,
    profile_from_files,
    read_profile_folder,
    write_profile_folder,
)
from papersieve.store import open_store, open_store_to_read
from papersieve.store.profiles import (
    remove_profile,
    save_profile,
    stored_profile,
    stored_profile_names,
    stored_profiles,
)


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
    source = folder.expanduser() if folder is not None else builtin_profile_dir()
    if not source.is_dir():
        raise ConfigError("profile folder does not exist", path=str(source))
    files = read_profile_folder(source)
    if PROFILE_FILE not in files:
        raise ConfigError("no profile.toml in this folder (create one with `papersieve init`)",
                          path=str(source))
    profile_from_files(files, name)  # the same checks as a run: nothing invalid is stored
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


@profile.command("list")
def list_() -> None:
    """List the stored profiles."""
    with open_store_to_read() as store:
        rows = stored_profiles(store)
    if not rows:
        click.echo("No stored profiles (add one with `papersieve profile add NAME DIR`).")
        return
    for row in rows:
        loaded = profile_from_files(row.files, row.name)
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
    if (target / PROFILE_FILE).exists() and not force:
        raise ConfigError("a profile already exists here (use --force to overwrite)",
                          path=str(target / PROFILE_FILE))
    written = write_profile_folder(row.files, target)
    click.echo(f"Wrote {len(written)} files of profile {name} to {target}")


@profile.command("remove")
@click.argument("name")
def remove(name: str) -> None:
    """Forget the stored profile NAME (its runs, feedback and history stay in the store)."""
    with open_store() as store:
        if not remove_profile(store, name):
            raise ConfigError("the store holds no profile of that name", path=name)
    click.echo(f"Removed profile {name}")
