"""Profiles kept in the store: one row per profile, its files as a JSON object.

A profile folder and a stored profile hold the same files (profile.toml, the prompt texts,
authors.txt); `profile/loader.profile_from_files` turns either into a `Profile`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from papersieve.errors import ConfigError, StoreError
from papersieve.store.db import Store, utcnow


@dataclass(frozen=True)
class StoredProfile:
    """One stored profile's row."""

    name: str
    files: dict[str, str]
    revision: int
    created_at: str
    updated_at: str


def save_profile(store: Store, name: str, files: Mapping[str, str], *, replace: bool = False) -> int:
    """Store a profile's files under `name`; returns its revision. A name taken is an error
    unless `replace`, which keeps the creation time and bumps the revision (unless the files
    are the same)."""
    text = json.dumps(dict(sorted(files.items())), ensure_ascii=False)
    now = utcnow()
    with store.transaction() as conn:
        row = conn.execute("SELECT revision FROM profiles WHERE name = ?", (name,)).fetchone()
        if row is not None and not replace:
            raise ConfigError(f"a profile named {name!r} is already stored (use --replace to"
                             " overwrite it)")
        if row is None:
            # A name that differs from a stored one only in case would share her output folder
            # (`out/<name>`) on a case-insensitive disk (macOS, Windows): two members' digests in
            # one place. The group app's accounts already compare names without case.
            twin = conn.execute("SELECT name FROM profiles WHERE LOWER(name) = LOWER(?)",
                                (name,)).fetchone()
            if twin is not None:
                raise ConfigError(f"a profile named {twin['name']!r} is already stored, and names"
                                  " that differ only in case share an output folder on macOS and"
                                  " Windows: choose another name")
            conn.execute("INSERT INTO profiles (name, files, revision, created_at, updated_at)"
                         " VALUES (?, ?, 1, ?, ?)", (name, text, now, now))
            return 1
        if conn.execute("SELECT files = ? FROM profiles WHERE name = ?", (text, name)).fetchone()[0]:
            return int(row["revision"])  # the same files again (a scheduled sync): no new revision
        revision = int(row["revision"]) + 1
        conn.execute("UPDATE profiles SET files = ?, revision = ?, updated_at = ? WHERE name = ?",
                     (text, revision, now, name))
        return revision


def stored_profile(store: Store, name: str) -> StoredProfile | None:
    """The stored profile named `name`, or None."""
    row = store.conn.execute(
        "SELECT name, files, revision, created_at, updated_at FROM profiles WHERE name = ?",
        (name,)).fetchone()
    return None if row is None else _row(row)


def stored_profiles(store: Store) -> list[StoredProfile]:
    """Every stored profile, by name."""
    rows = store.conn.execute(
        "SELECT name, files, revision, created_at, updated_at FROM profiles ORDER BY name"
    ).fetchall()
    return [_row(row) for row in rows]


def stored_profile_names(store: Store) -> list[str]:
    """The stored profiles' names, sorted."""
    return [r[0] for r in store.conn.execute("SELECT name FROM profiles ORDER BY name")]


def remove_profile(store: Store, name: str) -> bool:
    """Forget a stored profile (its runs, feedback and collections stay); False if none."""
    with store.transaction() as conn:
        return conn.execute("DELETE FROM profiles WHERE name = ?", (name,)).rowcount > 0


def _row(row: Mapping[str, object]) -> StoredProfile:
    try:
        files = json.loads(str(row["files"]))
    except ValueError:
        files = None
    if not isinstance(files, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
        raise StoreError(f"the stored profile {row['name']!r} is damaged (its files are not a"
                         " JSON object of texts)")
    return StoredProfile(str(row["name"]), files, int(str(row["revision"])),
                         str(row["created_at"]), str(row["updated_at"]))
