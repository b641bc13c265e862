"""Where papersieve keeps its state. `PAPERSIEVE_HOME` relocates all of it (database, outputs,
default profile); the tests point it at a temporary folder."""

from __future__ import annotations

import os
from pathlib import Path

HOME_ENV = "PAPERSIEVE_HOME"
STORE_ENV = "PAPERSIEVE_DB"

_configured_store = ""
"""The store the command's profile names (`[store] url`), set by the CLI for one command."""


def home_dir() -> Path:
    """The state folder: `$PAPERSIEVE_HOME`, else `$XDG_DATA_HOME/papersieve`, else ~/.papersieve."""
    explicit = os.environ.get(HOME_ENV)
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    if xdg:
        return Path(xdg) / "papersieve"
    return Path.home() / ".papersieve"


def database_path() -> Path:
    """The store: `$PAPERSIEVE_DB`, else the profile's `[store] url` (`use_store_url`), else the
    SQLite file in the state folder. A PostgreSQL URL comes back as a Path of it
    (store.db.postgres_url reads it back)."""
    explicit = os.environ.get(STORE_ENV) or _configured_store
    return Path(explicit).expanduser() if explicit else home_dir() / "papersieve.db"


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
