"""Raw LLM replies are pruned after `[store] keep_raw_days`; `db --vacuum` compacts the file."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from papersieve.cli.main import main
from papersieve.judges.local.model.training import LABEL_WINDOW_DAYS
from papersieve.models import Paper
from papersieve.profile import init_profile
from papersieve.store import Store
from papersieve.store.feedback import add_feedback
from papersieve.store.llm_calls import CallRecord, calls_by_request_hash, record_call
from papersieve.store.papers import upsert_papers
from papersieve.store.retention import (
    FEATURE_DAYS,
    prune_feature_cache,
    prune_model_versions,
    prune_raw_replies,
    prune_store,
)
from tests.conftest import DATA


def _call(store: Store, raw: str, days_ago: int) -> int:
    call_id = record_call(store, CallRecord("h", "gpt-4o", "abstract", ("2507.00001",), "ok",
                                            prompt_tokens=900, completion_tokens=120, raw_reply=raw))
    when = (dt.datetime.now(dt.UTC) - dt.timedelta(days=days_ago)).replace(microsecond=0).isoformat()
    with store.transaction() as conn:
        conn.execute("UPDATE llm_calls SET created_at = ? WHERE id = ?", (when, call_id))
    return call_id


def _rows(store: Store) -> list[tuple[str, int, int]]:
    rows = store.conn.execute("SELECT raw_reply, prompt_tokens, completion_tokens FROM llm_calls"
                              " ORDER BY id").fetchall()
    return [(r[0], r[1], r[2]) for r in rows]


def _run(*args: str) -> Result:
    return CliRunner().invoke(click.Command("papersieve", callback=lambda: main(list(args))), [])


def test_raw_replies_older_than_keep_days_are_emptied_and_the_rest_is_kept(store: Store) -> None:
    _call(store, "old reply", 40)
    _call(store, "recent reply", 10)
    assert prune_raw_replies(store, 0) == 0
    assert prune_raw_replies(store, 30) == 1
    assert _rows(store) == [("", 900, 120), ("recent reply", 900, 120)]
    assert prune_raw_replies(store, 30) == 0
    assert prune_raw_replies(store, 5) == 1
    assert _rows(store)[1][0] == ""


def test_old_calls_keep_their_papers_in_a_packed_list(store: Store) -> None:
    if store.postgres:
        pytest.skip("PostgreSQL compresses long values itself (TOAST): the list stays text")
    ids = tuple(f"2507.{n:05d}" for n in range(40))
    old = record_call(store, CallRecord("h", "gpt-4o", "title", ids, "ok", raw_reply="reply"))
    record_call(store, CallRecord("h", "gpt-4o", "title", ids, "ok", raw_reply="reply"))
    with store.transaction() as conn:
        conn.execute("UPDATE llm_calls SET created_at = '2020-01-01T00:00:00+00:00' WHERE id = ?", (old,))
    assert prune_raw_replies(store, 30) == 1
    stored = dict(store.conn.execute("SELECT id, length(CAST(paper_ids AS BLOB)) FROM llm_calls"))
    assert stored[old] < stored[old + 1] / 3  # 520 bytes of JSON
    assert [call.paper_ids for call in calls_by_request_hash(store, "h")] == [ids, ids]


@pytest.mark.sqlite_only(reason="the SQLite file's size after VACUUM")
def test_db_vacuum_prunes_by_the_profile_setting_and_shrinks_the_file(
    tmp_path: Path, store: Store,
) -> None:
    folder = tmp_path / "p"
    init_profile(folder)
    (folder / "profile.toml").write_text("[store]\nkeep_raw_days = 7\n", "utf-8")
    for n in range(40):
        _call(store, "x" * 50_000, 8 + n)
    _call(store, "kept", 1)
    result = _run("db", "--vacuum", "--profile", str(folder))
    assert result.exit_code == 0, result.output
    assert "Pruned 40 raw LLM replies older than 7 days" in result.stdout
    sizes = result.stdout.split("Vacuumed: ")[1].split("\n")[0]
    before, after = (float(part.split()[0]) for part in sizes.split(" -> "))
    assert before > 1.5 and after < 0.8  # an empty store: a page for each of ~90 tables and indexes
    assert [raw for raw, _, _ in _rows(store)].count("kept") == 1


def test_run_prunes_old_raw_replies(tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERSIEVE_JUDGE", "local")
    _call(store, "a reply from last year", 400)
    _call(store, "yesterday's reply", 1)
    result = _run("run", "--offline", str(DATA / "candidates"), "--date", "2025-05-27",
                  "--out", str(tmp_path / "out"), "--no-deliver")
    assert result.exit_code == 0, result.output
    assert [raw for raw, _, _ in _rows(store)] == ["", "yesterday's reply"]


def test_only_the_newest_local_model_version_is_kept(store: Store) -> None:
    with store.transaction() as conn:
        for profile in ("me", "you"):
            for version in range(1, 6 if profile == "me" else 3):
                conn.execute("INSERT INTO local_models (profile, method, version, trained_on, blob,"
                             " created_at) VALUES (?, 'tfidf', ?, 10, x'00', '2026-01-01')",
                             (profile, version))
    assert prune_model_versions(store) == 5
    rows = store.conn.execute("SELECT profile, version FROM local_models ORDER BY profile, version")
    assert [(r[0], r[1]) for r in rows] == [("me", 5), ("you", 2)]


def test_cached_features_leave_with_the_training_window_unless_the_paper_has_feedback(
    store: Store,
) -> None:
    now = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    for pid, listed in (("2601.00001", "2026-01-05"), ("2601.00002", "2026-01-05"),
                        ("2605.00001", "2026-05-20")):
        upsert_papers(store, [Paper(pid, "t", "a", ("A",), ("cs.LG",))], listed_on=listed)
        with store.transaction() as conn:
            conn.execute("INSERT INTO local_features (paper_id, kind, content_hash, data)"
                         " VALUES (?, 'ngrams/1', 'h', x'00')", (pid,))
    add_feedback(store, ["2601.00002"], 1, "cli", profile="default")
    assert FEATURE_DAYS > LABEL_WINDOW_DAYS
    assert prune_feature_cache(store, now=now) == 1
    kept = [r[0] for r in store.conn.execute("SELECT paper_id FROM local_features ORDER BY paper_id")]
    assert kept == ["2601.00002", "2605.00001"]
    # `[store] cache_features = false` (the workflow's): nothing stays for the next run.
    assert prune_store(store, 30, now, cache_features=False)["cached features"] == 2
    assert store.conn.execute("SELECT COUNT(*) FROM local_features").fetchone()[0] == 0


@pytest.mark.sqlite_only(reason="SQLite's free pages (auto_vacuum)")
def test_pruning_gives_the_freed_pages_back_to_the_disk(store: Store) -> None:
    """A new store is made with auto_vacuum: the pages that pruning empties leave the file
    (a cache upload after each run carries the store), without waiting for `db --vacuum`."""
    for n in range(60):
        _call(store, f"{n} " + "an old raw reply " * 600, 40)
    pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
    assert prune_store(store, 30)["raw replies"] == 60
    assert store.conn.execute("PRAGMA freelist_count").fetchone()[0] == 0
    assert store.conn.execute("PRAGMA page_count").fetchone()[0] <= pages - 60  # a page a reply


def test_an_old_verdicts_unread_created_at_is_emptied_with_the_raw_replies(store: Store) -> None:
    """Nothing reads `judgements.created_at` (a run's date says when a verdict was given): 25
    bytes a row of a year's store."""
    upsert_papers(store, [Paper("2507.00001", "T", "A", ("X",), ("cs.LG",), 1)], listed_on="2025-07-01")
    stamps = {"old": dt.datetime.now(dt.UTC) - dt.timedelta(days=40),
              "recent": dt.datetime.now(dt.UTC) - dt.timedelta(days=10)}
    with store.transaction() as conn:
        for name, when in stamps.items():
            conn.execute("INSERT INTO judgements (paper_id, judge, stage, outcome, comment, created_at)"
                         " VALUES ('2507.00001', 'llm', 'abstract', 'judged', ?, ?)",
                         (name, when.replace(microsecond=0).isoformat()))
    prune_raw_replies(store, 30)
    kept = dict(store.conn.execute("SELECT comment, created_at FROM judgements").fetchall())
    assert kept["old"] == "" and kept["recent"] == stamps["recent"].replace(microsecond=0).isoformat()


@pytest.mark.sqlite_only(reason="SQLite's page size")
def test_a_new_store_has_8_kb_pages_and_vacuum_moves_an_older_one_to_them(tmp_path: Path) -> None:
    """8 KB pages: a year's store 2% smaller (bench/RESULTS.md). An older file changes at its
    next vacuum (the workflow's runs vacuum each time), keeping its rows and its WAL mode; one
    that another connection holds is vacuumed as it is."""
    from papersieve.store import open_store
    from papersieve.store.retention import vacuum

    with open_store(tmp_path / "new.db") as new:
        assert new.conn.execute("PRAGMA page_size").fetchone()[0] == 8192
    old_path = tmp_path / "old.db"
    raw = sqlite3.connect(old_path)
    raw.execute("PRAGMA page_size=4096")
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("CREATE TABLE bystander (x INTEGER)")
    raw.close()
    with open_store(old_path) as old:
        upsert_papers(old, [Paper("2507.00001", "T", "A", ("X",), ("cs.LG",), 1)], listed_on="2025-07-01")
        assert old.conn.execute("PRAGMA page_size").fetchone()[0] == 4096
        old.conn.execute("PRAGMA busy_timeout=200")  # not the 30 s a run waits
        other = sqlite3.connect(old_path)  # a reader holding the file
        other.execute("BEGIN")
        other.execute("SELECT COUNT(*) FROM bystander").fetchone()
        vacuum(old)
        assert old.conn.execute("PRAGMA page_size").fetchone()[0] == 4096
        assert old.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        other.close()
        vacuum(old)
        assert old.conn.execute("PRAGMA page_size").fetchone()[0] == 8192
        assert old.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert old.conn.execute("SELECT title FROM papers").fetchone()[0] == "T"


def test_kept_raw_replies_are_packed_and_read_back_as_they_were(store: Store) -> None:
    """The replies kept for audit are compressed by the pruning (0.58 -> 0.07 MB in a year's store)."""
    reply = "\n".join(json.dumps({"id": f"2507.{n:05d}", "relevance": n % 10, "novelty": 3,
                                  "comment": "Relevant to the agents topic."}) for n in range(30))
    _call(store, reply, 2)
    _call(store, "old reply", 40)
    counts = prune_store(store, 30)
    assert [call.raw_reply for call in calls_by_request_hash(store, "h")] == [reply, ""]
    if store.postgres:
        assert counts["raw replies packed"] == 0  # TOAST compresses it
        return
    assert counts["raw replies packed"] == 1
    stored = store.conn.execute("SELECT length(CAST(raw_reply AS BLOB)) FROM llm_calls"
                                " ORDER BY id").fetchone()[0]
    assert stored < len(reply) / 3
    assert prune_store(store, 30)["raw replies packed"] == 0
