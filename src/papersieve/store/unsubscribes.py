"""Addresses unsubscribed from a profile's emails (the link in each email, issue 19)."""

from __future__ import annotations

from papersieve.store.db import Store, utcnow


def unsubscribe(store: Store, profile: str, address: str) -> bool:
    """Record that `address` wants no more of `profile`'s emails; False if it already did."""
    with store.transaction() as conn:
        return conn.execute(
            "INSERT OR IGNORE INTO email_unsubscribes (profile, address, created_at)"
            " VALUES (?, ?, ?)", (profile, address.lower(), utcnow())).rowcount > 0


def unsubscribed(store: Store, profile: str) -> frozenset[str]:
    """The addresses (lower case) unsubscribed from `profile`'s emails."""
    rows = store.conn.execute("SELECT address FROM email_unsubscribes WHERE profile = ?", (profile,))
    return frozenset(str(r[0]) for r in rows)


def resubscribe(store: Store, profile: str, address: str) -> bool:
    """Undo an unsubscription (the profile's owner asked again); False if there was none."""
    with store.transaction() as conn:
        return conn.execute("DELETE FROM email_unsubscribes WHERE profile = ? AND address = ?",
                            (profile, address.lower())).rowcount > 0
