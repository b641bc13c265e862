"""`papersieve init` and `papersieve db`."""

from __future__ import annotations

from pathlib import Path

import click

from papersieve.profile import init_profile
from papersieve.store import open_store
from papersieve.store.stats import store_counts


@click.command()
@click.argument("folder", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option("--force", is_flag=True, help="Overwrite an existing profile.")
def init(folder: Path | None, force: bool) -> None:
    """Write an editable copy of the default profile to FOLDER ($PAPERSIEVE_HOME/profile)."""
    target = init_profile(folder, force=force)
    click.echo(f"Profile written to {target}")
    click.echo("Edit profile.toml and topics.txt, then run: papersieve run --profile " + str(target))


@click.command()
def db() -> None:
    """Show where the SQLite store is and basic counts."""
    with open_store() as store:
        click.echo(f"Store: {store.path}")
        click.echo(f"Schema version: {store.schema_version()}")
        for name, value in store_counts(store).items():
            click.echo(f"{name}: {value}")
