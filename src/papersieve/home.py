"""Where papersieve keeps its state. `PAPERSIEVE_HOME` relocates all of it (database, outputs,
default profile); the tests point it at a temporary folder."""

from __future__ import annotations

import os
from pathlib import Path

HOME_ENV = "PAPERSIEVE_HOME"


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
    """The SQLite store (`$PAPERSIEVE_DB` overrides it)."""
    explicit = os.environ.get("PAPERSIEVE_DB")
    return Path(explicit).expanduser() if explicit else home_dir() / "papersieve.db"


def default_profile_dir() -> Path:
    """Where `papersieve init` writes the default profile when no folder is given."""
    return home_dir() / "profile"


def outputs_dir(profile_name: str) -> Path:
    """Default output folder of a profile."""
    return home_dir() / "out" / profile_name
