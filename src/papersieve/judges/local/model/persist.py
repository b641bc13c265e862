"""Versioned local models in the store's `local_models` table."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from papersieve.judges.local.model.learned import TextModel
from papersieve.store.db import Store, utcnow

METHOD = "tfidf"


@dataclass(frozen=True)
class StoredModel:
    """One saved version: the arrays (None when nothing was learned yet) and its metadata."""

    version: int
    trained_on: int
    model: TextModel | None
    meta: dict[str, Any] = field(default_factory=dict)


def save_model(store: Store, profile: str, model: TextModel | None, trained_on: int,
               meta: dict[str, Any], method: str = METHOD) -> int:
    """Store a new version; returns its number (1, 2, ...)."""
    with store.transaction() as conn:
        row = conn.execute(
            "SELECT COALESCE(MAX(version), 0) FROM local_models WHERE profile = ? AND method = ?",
            (profile, method),
        ).fetchone()
        version = int(row[0]) + 1
        conn.execute(
            "INSERT INTO local_models (profile, method, version, trained_on, meta, blob, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (profile, method, version, trained_on, json.dumps(meta),
             model.to_bytes() if model is not None else None, utcnow()),
        )
    return version


def latest_version(store: Store, profile: str, method: str = METHOD) -> int:
    """The newest version number, 0 when none."""
    row = store.conn.execute(
        "SELECT COALESCE(MAX(version), 0) FROM local_models WHERE profile = ? AND method = ?",
        (profile, method),
    ).fetchone()
    return int(row[0])


def load_model(store: Store, profile: str, method: str = METHOD) -> StoredModel | None:
    """The newest stored version, or None."""
    row = store.conn.execute(
        "SELECT * FROM local_models WHERE profile = ? AND method = ? ORDER BY version DESC LIMIT 1",
        (profile, method),
    ).fetchone()
    if row is None:
        return None
    blob = row["blob"]
    model = TextModel.from_bytes(bytes(blob)) if blob is not None else None
    return StoredModel(int(row["version"]), int(row["trained_on"]), model, json.loads(row["meta"]))
