"""Option bundles shared by several commands."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def profile_option(func: F) -> F:
    """`--profile DIR`: the profile folder (default: $PAPERSIEVE_HOME/profile or the built-in)."""
    return click.option(
        "--profile", "profile_dir", type=click.Path(path_type=Path, file_okay=False),
        envvar="PAPERSIEVE_PROFILE", default=None,
        help="Profile folder (default: $PAPERSIEVE_HOME/profile, else the built-in default).",
    )(func)


def date_option(func: F) -> F:
    """`--date YYYY-MM-DD`: the announcement date (default: today's announcement)."""
    return click.option(
        "--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
        help="Announcement date YYYY-MM-DD (default: the current announcement).",
    )(func)


def as_date(value: dt.datetime | None) -> dt.date | None:
    """click gives datetimes; the library takes dates."""
    return value.date() if value is not None else None
