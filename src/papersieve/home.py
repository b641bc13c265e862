"""Where papersieve keeps its state. `PAPERSIEVE_HOME` relocates all of it (database, outputs,
default profile); the tests point it at a temporary folder."""

from __future__ import annotations

import os
import re
from pathlib import Path

from papersieve.errors import ConfigError

HOME_ENV = "PAPERSIEVE_HOME"
STORE_ENV = "PAPERSIEVE_DB"

_configured_store = ""
"""The store the command's profile names (`[store] url`), set by the CLI for one command."""


def home_dir() -> Path:
    """The state folder: `$PAPERSIEVE_HOME`, else `$XDG_DATA_HOME/papersieve`, else ~/.papersieve."""
    explicit = os.environ.get(HOME_ENV)
    if explicit:
        return Path(_checked(explicit, HOME_ENV)).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    if xdg:
        return Path(xdg) / "papersieve"
    return Path.home() / ".papersieve"


def database_path() -> Path:
    """The store: `$PAPERSIEVE_DB`, else the profile's `[store] url` (`use_store_url`), else the
    SQLite file in the state folder. A PostgreSQL URL comes back as a Path of it
    (store.db.postgres_url reads it back)."""
    explicit = os.environ.get(STORE_ENV) or _configured_store
    if not explicit:
        return home_dir() / "papersieve.db"
    named = STORE_ENV if os.environ.get(STORE_ENV) else "the profile's [store] url"
    scheme = _SCHEME.match(_checked(explicit, named))
    if scheme and scheme.group(1).lower() not in ("postgres", "postgresql"):
        # `sqlite:///x.db` (SQLAlchemy's form) became a folder named "sqlite:" in the current one.
        raise ConfigError(f"{named}: a postgresql:// URL or the path of a SQLite file, not a"
                          f" {scheme.group(1)}:// URL")
    return Path(explicit).expanduser()


_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):/")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _checked(value: str, named: str) -> str:
    """`value` itself, or a ConfigError when it holds a control character: a pasted line end
    made a store file named "x\\n.db". The value is not repeated: a URL may hold a password."""
    if _CONTROL.search(value):
        raise ConfigError(f"{named} holds a control character (a line end pasted with it?)")
    return value


def use_store_url(url: str) -> None:
    """Make `url` (a profile's `[store] url`; '' for none) the store of this process's command,
    below PAPERSIEVE_DB and above the state folder's file."""
    global _configured_store
    _configured_store = url


def default_profile_dir() -> Path:
    """Where `papersieve init` writes the default profile when no folder is given."""
    return home_dir() / "profile"


def outputs_dir(profile_name: str) -> Path:
    """Default output folder of a profile."""
    return home_dir() / "out" / profile_name
