"""A profile named on the command line: a folder, or a profile kept in the store (issue 19).

`--profile X` is a folder when X is one; otherwise, when the store holds a profile named X, that
one. A group's installation keeps every member's profile in the store (`papersieve profile add`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from papersieve.errors import ConfigError
from papersieve.profile.loader import Profile, load_profile, profile_from_files
from papersieve.store.db import Store, open_store_to_read, store_exists
from papersieve.store.profiles import stored_profile


def load_profile_ref(ref: Path | str | None, overrides: dict[str, Any] | None = None,
                     store: Store | None = None) -> Profile:
    """The profile `ref` names: a folder, else a stored profile's name; None is the default."""
    if ref is None or Path(ref).expanduser().is_dir():
        return load_profile(ref, overrides)
    name = str(ref)
    if store is not None:
        found = load_stored_profile(store, name, overrides)
    elif "/" not in name and store_exists():
        with open_store_to_read() as opened:
            found = load_stored_profile(opened, name, overrides)
    else:
        found = None
    if found is None:
        raise ConfigError("profile folder does not exist, and the store holds no profile of that name"
                          " (`papersieve profile list` shows them)", path=name)
    return found


def load_stored_profile(store: Store, name: str,
                        overrides: dict[str, Any] | None = None) -> Profile | None:
    """The stored profile `name` as a Profile, or None when the store holds none of that name."""
    row = stored_profile(store, name)
    return None if row is None else profile_from_files(row.files, row.name, overrides)
