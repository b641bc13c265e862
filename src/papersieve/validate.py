"""One validator for the numbers and dates that come from outside: feeds, candidate files, URLs.

Python integers have no size, SQLite's do (8 bytes), and `date.fromisoformat` accepts far less
than a feed may hold. An arXiv version `v123456789012345678901234567890` reached SQLite as an
OverflowError, an OAI datestamp `2025-13-45` reached the caller as a bare ValueError, and
`/search?page=99999999999999999999` made the web app answer a bare 500. Every such value now
passes through here first and fails as one clear line naming what it was.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
from typing import TypeVar

from papersieve.errors import ConfigError, PapersieveError

T = TypeVar("T")

SQLITE_MAX_INT = 2**63 - 1
"""The largest integer an SQLite column holds."""
MAX_VERSION = 1_000
"""arXiv versions are small (the most-revised papers have a few dozen); anything above is junk."""
MAX_PAGE = 100_000
"""More result pages than any store holds at 20 papers a page."""

_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:$|[T ])")


class OutsideValueError(PapersieveError):
    """A number or date from outside that is not what it claims to be, or out of range."""


def bounded_int(value: object, *, what: str, low: int = 0, high: int = SQLITE_MAX_INT) -> int:
    """`value` (an int, or decimal digits as text) as an int in `[low, high]`."""
    if isinstance(value, bool):
        raise OutsideValueError(f"{what} must be a whole number, not {value!r}")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdecimal():
        text = value.strip()
        # int() of a million digits is slow, and no number that long is in range anyway.
        number = int(text) if len(text.lstrip("0")) <= len(str(high)) else high + 1
        if number > high:
            raise OutsideValueError(f"{what} must be between {low} and {high}, not {_short(text)}")
    else:
        raise OutsideValueError(f"{what} must be a whole number, not {str(value)[:40]!r}")
    if not low <= number <= high:
        raise OutsideValueError(f"{what} must be between {low} and {high}, not {_short(number)}")
    return number


def env_number(name: str, default: T, *, high: float, zero: bool = False) -> float | T:
    """A number setting from the environment (seconds, megabytes): `default` when it is unset
    or blank, else a finite number above 0 (from 0 with `zero`) and at most `high`, or one line
    of ConfigError. `PAPERSIEVE_LOCK_LEASE=1e309` was an OverflowError traceback and `nan` a
    ValueError one; `PAPERSIEVE_HTTP_INTERVAL=fast` was silently the default."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not ((value >= 0 if zero else value > 0) and value <= high):  # NaN fails both
        kind = "a number from 0" if zero else "a positive number"
        raise ConfigError(f"{name} must be {kind} up to {high:g}, not {_short(raw)!r}")
    return value


def _short(value: object) -> str:
    if isinstance(value, int) and value.bit_length() > 256:  # str() refuses 4,300+ digits
        return "a number of more than 77 digits"
    text = str(value)
    return text if len(text) <= 24 else f"{text[:20]}..."


def version_number(value: object) -> int:
    """An arXiv version number (the `N` of `vN`)."""
    return bounded_int(value, what="arXiv version", low=1, high=MAX_VERSION)


def page_number(value: object) -> int:
    """A result page number from a URL."""
    return bounded_int(value, what="page", low=1, high=MAX_PAGE)


def row_id(value: object, what: str = "id") -> int:
    """A store row id from a URL or a file."""
    return bounded_int(value, what=what, low=1)


def outside_date(text: str, *, what: str) -> dt.date:
    """A date written `YYYY-MM-DD` (a time may follow, as in OAI-PMH datestamps)."""
    match = _DATE.match(text.strip())
    if match is None:
        raise OutsideValueError(f"{what} is not a date (YYYY-MM-DD): {text[:40]!r}")
    year, month, day = (int(part) for part in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError as err:
        raise OutsideValueError(f"{what} is not a calendar date ({err}): {text[:40]!r}") from err
