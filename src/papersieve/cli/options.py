"""Option bundles shared by several commands."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from papersieve.today import ARXIV_FIRST_DAY

F = TypeVar("F", bound=Callable[..., Any])


def profile_option(func: F) -> F:
    """`--profile DIR`: the profile folder (default: $PAPERSIEVE_HOME/profile or the built-in).
    Its `[store] url` becomes the command's store (PAPERSIEVE_DB wins)."""
    return click.option(
        "--profile", "profile_dir", type=click.Path(path_type=Path, file_okay=False),
        envvar="PAPERSIEVE_PROFILE", default=None, callback=_use_profile_store,
        help="Profile folder (default: $PAPERSIEVE_HOME/profile, else the built-in default).",
    )(func)


def _use_profile_store(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    use_profile_store(value)
    return value


def use_profile_store(profile_dir: Path | None) -> None:
    """The store of the command: the `[store] url` of the profile folder (None: the one in
    $PAPERSIEVE_HOME), when PAPERSIEVE_DB names none. Also for the commands without --profile
    (`profile ...`, `user ...`)."""
    from papersieve.home import use_store_url
    from papersieve.profile.loader import store_url_setting

    use_store_url(store_url_setting(profile_dir))


class IsoDate(click.ParamType[dt.datetime]):
    """A YYYY-MM-DD date, given to the command as a datetime at midnight.

    click.DateTime said "'2025-02-30' does not match the format '%Y-%m-%d'" for a date that
    matches the format but is not in the calendar; this says which of the two went wrong.
    """

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> dt.datetime:
        if isinstance(value, dt.datetime):
            return value
        text = str(value).strip()
        match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
        if match is None:
            self.fail(f"{text!r} is not a date in the form YYYY-MM-DD", param, ctx)
        try:
            year, month, day = (int(part) for part in match.groups())
            when = dt.datetime(year, month, day)
        except ValueError as err:
            self.fail(f"{text!r} is not a calendar date ({err})", param, ctx)
        if when.date() < ARXIV_FIRST_DAY:
            # Week arithmetic on year 1 was an OverflowError traceback (`digest --week --end
            # 0001-01-03`), and a backfill asked the API for 1900.
            self.fail(f"{text!r} is before arXiv's first announcement ({ARXIV_FIRST_DAY})",
                      param, ctx)
        return when


DATE = IsoDate()


def date_option(func: F) -> F:
    """`--date YYYY-MM-DD`: the announcement date (default: today's announcement)."""
    return click.option(
        "--date", "day", type=DATE, metavar="YYYY-MM-DD", default=None,
        help="Announcement date (default: the current announcement).",
    )(func)


def as_date(value: dt.datetime | None) -> dt.date | None:
    """click gives datetimes; the library takes dates."""
    return value.date() if value is not None else None
