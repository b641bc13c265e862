"""The group web app's accounts in the store: users (argon2 hashes only), invite links (their
secret's SHA-256 only) and which user owns which stored profile (migration 13).

The rules (who may sign in, what a link is worth) live in `papersieve.web.accounts`; this module
is only their SQL, so that another store keeps the same interface.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from papersieve.errors import ConfigError
from papersieve.store.db import Store, utcnow
from papersieve.store.profiles import save_profile


@dataclass(frozen=True)
class User:
    """One account."""

    id: int
    name: str
    password_hash: str
    is_admin: bool
    session_epoch: int
    created_at: str


@dataclass(frozen=True)
class Invite:
    """One invite link as stored (never its secret)."""

    id: int
    created_at: str
    expires_at: str
    used_at: str | None
    used_by: str | None


_NAMED = "lower(name) = lower(?)"
"""A user's name in any case (SQLite's column is COLLATE NOCASE; PostgreSQL compares exactly)."""


def _user(row: sqlite3.Row) -> User:
    return User(int(row["id"]), str(row["name"]), str(row["password_hash"]), bool(row["is_admin"]),
                int(row["session_epoch"]), str(row["created_at"]))


def add_user(store: Store, name: str, password_hash: str, *, is_admin: bool = False,
             profiles: Sequence[str] = ()) -> User:
    """Create a user owning `profiles`; a name taken (any case) is a ConfigError."""
    with store.transaction() as conn:
        return _insert_user(conn, name, password_hash, is_admin, profiles)


def _insert_user(conn: sqlite3.Connection, name: str, password_hash: str, is_admin: bool,
                 profiles: Sequence[str]) -> User:
    if conn.execute(f"SELECT 1 FROM users WHERE {_NAMED}", (name,)).fetchone() is not None:
        raise ConfigError(f"the name {name!r} is taken: choose another")
    cursor = conn.execute(
        "INSERT INTO users (name, password_hash, is_admin, created_at) VALUES (?, ?, ?, ?)",
        (name, password_hash, int(is_admin), utcnow()))
    user_id = int(cursor.lastrowid or 0)
    for profile in profiles:
        owner = conn.execute("SELECT user_id FROM user_profiles WHERE profile = ?",
                             (profile,)).fetchone()
        if owner is not None:
            raise ConfigError(f"the profile {profile!r} already belongs to another user")
        conn.execute("INSERT INTO user_profiles (profile, user_id) VALUES (?, ?)", (profile, user_id))
    row = conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
    return _user(row)


def user_named(store: Store, name: str) -> User | None:
    """The user called `name` (any case), or None."""
    row = store.conn.execute(f"SELECT * FROM users WHERE {_NAMED}", (name,)).fetchone()
    return None if row is None else _user(row)


def user_by_id(store: Store, user_id: int) -> User | None:
    """The user with this id, or None."""
    row = store.conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
    return None if row is None else _user(row)


def all_users(store: Store) -> list[User]:
    """Every user, by name."""
    return [_user(r) for r in store.conn.execute("SELECT * FROM users ORDER BY name")]


def count_admins(store: Store) -> int:
    """How many admins the store has."""
    return int(store.conn.execute("SELECT COUNT(*) FROM users WHERE is_admin = 1").fetchone()[0])


def set_password_hash(store: Store, user_id: int, password_hash: str) -> None:
    """Replace a user's hash (argon2's parameters grew)."""
    with store.transaction() as conn:
        conn.execute("UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id))


def end_sessions(store: Store, user_id: int) -> None:
    """Bump the user's session epoch: every session cookie made before stops working."""
    with store.transaction() as conn:
        conn.execute("UPDATE users SET session_epoch = session_epoch + 1 WHERE id = ?", (user_id,))


def remove_user(store: Store, name: str) -> bool:
    """Forget a user (her profiles stay in the store, owned by nobody); False if none."""
    with store.transaction() as conn:
        return conn.execute(f"DELETE FROM users WHERE {_NAMED}", (name,)).rowcount > 0


def owned_profiles(store: Store, user_id: int) -> tuple[str, ...]:
    """The profiles this user owns, by name."""
    rows = store.conn.execute(
        "SELECT profile FROM user_profiles WHERE user_id = ? ORDER BY profile", (user_id,))
    return tuple(str(r[0]) for r in rows)


def profile_owner(store: Store, profile: str) -> int | None:
    """The id of the user owning `profile`, or None."""
    row = store.conn.execute("SELECT user_id FROM user_profiles WHERE profile = ?",
                             (profile,)).fetchone()
    return None if row is None else int(row[0])


def add_invite(store: Store, secret_hash: str, created_by: int | None, expires_at: str) -> int:
    """Store a new invite link (its secret's hash); returns its id."""
    with store.transaction() as conn:
        cursor = conn.execute(
            "INSERT INTO invites (secret_hash, created_by, created_at, expires_at)"
            " VALUES (?, ?, ?, ?)", (secret_hash, created_by, utcnow(), expires_at))
        return int(cursor.lastrowid or 0)


def open_invite(store: Store, secret_hash: str, now: str) -> int | None:
    """The id of the unused, unexpired invite with this hash, or None."""
    row = store.conn.execute(
        "SELECT id FROM invites WHERE secret_hash = ? AND used_at IS NULL AND expires_at > ?",
        (secret_hash, now)).fetchone()
    return None if row is None else int(row[0])


def accept_invite(store: Store, secret_hash: str, now: str, name: str, password_hash: str,
                  profile_files: Mapping[str, str]) -> User:
    """Use an invite once: in one transaction, mark it used, create the user and her own stored
    profile (named after her, holding `profile_files`). An invite already used or expired, or a
    name taken, is a ConfigError, and nothing is written."""
    with store.transaction() as conn:
        used = conn.execute(
            "UPDATE invites SET used_at = ? WHERE secret_hash = ? AND used_at IS NULL"
            " AND expires_at > ?", (now, secret_hash, now)).rowcount
        if used != 1:
            raise ConfigError(INVALID_INVITE)
        user = _insert_user(conn, name, password_hash, False, ())
        save_profile(store, name, profile_files)
        conn.execute("INSERT INTO user_profiles (profile, user_id) VALUES (?, ?)", (name, user.id))
        conn.execute("UPDATE invites SET used_by = ? WHERE secret_hash = ?", (user.id, secret_hash))
        return user


INVALID_INVITE = ("this invite link is not valid: it was used already, has expired, or never"
                  " existed (ask for a new one)")


def invites_of(store: Store, user_id: int, limit: int = 50) -> list[Invite]:
    """The newest invites this user made, with who used each."""
    rows = store.conn.execute(
        "SELECT i.id, i.created_at, i.expires_at, i.used_at, u.name AS used_by FROM invites i"
        " LEFT JOIN users u ON u.id = i.used_by WHERE i.created_by = ? ORDER BY i.id DESC LIMIT ?",
        (user_id, limit)).fetchall()
    return [Invite(int(r["id"]), str(r["created_at"]), str(r["expires_at"]), r["used_at"],
                   r["used_by"]) for r in rows]


def profile_names_in_use(store: Store) -> set[str]:
    """Every profile name the store knows: stored profiles and profiles with runs or feedback."""
    rows = store.conn.execute(
        "SELECT name FROM profiles UNION SELECT DISTINCT profile FROM runs"
        " UNION SELECT DISTINCT profile FROM feedback")
    return {str(r[0]).lower() for r in rows}
