"""Every LLM call: what was asked (request hash, model, stage, papers), what it cost and what came
back (tokens, cost, latency, status, finish reason, error, raw reply)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from papersieve.store.db import Store, utcnow
from papersieve.store.textpack import unpack_text


@dataclass(frozen=True)
class CallRecord:
    """One call as recorded."""

    request_hash: str
    model: str
    stage: str
    paper_ids: tuple[str, ...]
    status: str
    """`ok` (a reply came back) or `error`."""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    cost: float | None = None
    latency_ms: int = 0
    finish_reason: str = ""
    error: str = ""
    raw_reply: str = ""
    run_id: int | None = None


MAX_RAW_REPLY = 64 * 1024
"""Characters of a raw reply kept in the store; a reply is ~1 KB, a hostile one was 30 MB."""


def capped_reply(text: str, limit: int = MAX_RAW_REPLY) -> str:
    """`text`, or its first `limit` characters and a marker saying how many were dropped."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}\n[papersieve: {len(text) - limit} more characters not stored]"


def record_call(store: Store, call: CallRecord) -> int:
    """Insert one call (its raw reply capped, `capped_reply`); returns its row id."""
    with store.transaction() as conn:
        cursor = conn.execute(
            "INSERT INTO llm_calls (run_id, request_hash, model, stage, paper_ids, prompt_tokens,"
            " completion_tokens, cached_tokens, cost, latency_ms, status, finish_reason, error,"
            " raw_reply, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (call.run_id, call.request_hash, call.model, call.stage, json.dumps(list(call.paper_ids)),
             call.prompt_tokens, call.completion_tokens, call.cached_tokens, call.cost,
             call.latency_ms, call.status, call.finish_reason, call.error,
             capped_reply(call.raw_reply), utcnow()),
        )
        return int(cursor.lastrowid or 0)


def _from_row(row: sqlite3.Row) -> CallRecord:
    return CallRecord(
        request_hash=row["request_hash"], model=row["model"], stage=row["stage"],
        # Packed once the call is older than `[store] keep_raw_days` (store/retention.py).
        paper_ids=tuple(json.loads(unpack_text(row["paper_ids"]) or "[]")), status=row["status"],
        prompt_tokens=row["prompt_tokens"], completion_tokens=row["completion_tokens"],
        cached_tokens=row["cached_tokens"], cost=row["cost"], latency_ms=row["latency_ms"],
        finish_reason=row["finish_reason"], error=row["error"],
        raw_reply=unpack_text(row["raw_reply"]) or "",  # packed by the pruning after its run
        run_id=row["run_id"],
    )


def calls_by_request_hash(store: Store, request_hash: str) -> list[CallRecord]:
    """Every call with this request hash, oldest first."""
    rows = store.conn.execute(
        "SELECT * FROM llm_calls WHERE request_hash = ? ORDER BY id", (request_hash,)
    ).fetchall()
    return [_from_row(r) for r in rows]


def calls_for_run(store: Store, run_id: int | None, stages: Sequence[str] = ()) -> list[CallRecord]:
    """The calls of one run (None: calls made outside a run), oldest first, optionally by stage."""
    sql = "SELECT * FROM llm_calls WHERE run_id IS ?"
    params: list[object] = [run_id]
    if stages:
        sql += f" AND stage IN ({', '.join('?' for _ in stages)})"
        params.extend(stages)
    return [_from_row(r) for r in store.conn.execute(sql + " ORDER BY id", params)]


def count_calls(store: Store) -> int:
    """How many calls the store has recorded."""
    return int(store.conn.execute("SELECT COUNT(*) FROM llm_calls").fetchone()[0])
