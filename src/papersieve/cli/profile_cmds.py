"""`papersieve init` and `papersieve db`."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click

from papersieve.home import home_dir
from papersieve.profile import init_profile
from papersieve.profile.loader import WORKFLOW_PATH
from papersieve.store import open_store_to_read
from papersieve.store.stats import store_counts


@click.command()
@click.argument("folder", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option("--force", is_flag=True, help="Overwrite an existing profile.")
def init(folder: Path | None, force: bool) -> None:
    """Write an editable copy of the default profile to FOLDER ($PAPERSIEVE_HOME/profile)."""
    target = init_profile(folder, force=force).resolve()
    click.echo(f"Profile written to {target}")
    click.echo("Edit profile.toml and topics.txt, then run: papersieve run --profile " + str(target))
    click.echo(f"GitHub Actions workflow: {target / WORKFLOW_PATH} (make this folder a repository"
               " and set its variable PAPERSIEVE_PACKAGE to a pip requirement for papersieve,"
               " to run it daily and publish the site to Pages)")
    click.echo("Or schedule it with cron (01:30 UTC, Monday to Friday, after arXiv's announcement):")
    click.echo(cron_line(target))


def cron_line(profile_dir: Path) -> str:
    """The crontab line equivalent to the workflow's schedule (cron runs in UTC here).

    cron starts jobs with a bare environment and PATH, so the line names this installation's
    executable and this state folder: a `papersieve` found elsewhere, or the default home, would
    run another installation against another store than the one the user set up.
    """
    home = home_dir().expanduser().absolute()
    return (f"CRON_TZ=UTC\n30 1 * * 1-5 PAPERSIEVE_HOME={shlex.quote(str(home))}"
            f" {shlex.quote(_executable())} run --profile {shlex.quote(str(profile_dir))}"
            f" >> {shlex.quote(str(home / 'run.log'))} 2>&1")


def _executable() -> str:
    """The `papersieve` script beside this interpreter (a virtualenv's bin), else the bare name."""
    script = Path(sys.executable).parent / "papersieve"
    return str(script) if script.is_file() else "papersieve"


@click.command()
def db() -> None:
    """Show where the SQLite store is and basic counts."""
    with open_store_to_read() as store:
        click.echo(f"Store: {store.path}")
        click.echo(f"Schema version: {store.schema_version()}")
        for name, value in store_counts(store).items():
            click.echo(f"{name}: {value}")
