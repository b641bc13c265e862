"""The PostgreSQL store (issue 20): the same day's digest as SQLite, the run lock's guarantees,
redaction, the schema of both dialects, and the migrations' translation.

Tests marked `postgres` need a server (tests/pgschemas.py: PAPERSIEVE_TEST_DB, else a throwaway
cluster when PostgreSQL is installed, else they skip with the reason); the translation tests run
everywhere.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from papersieve.errors import RunLockedError, StoreError
from papersieve.pipeline import run_day
from papersieve.profile import load_profile
from papersieve.profile.loader import builtin_profile_dir
from papersieve.store import Store, open_store, pgschema
from papersieve.store.locks import acquire_lock, release_lock, renewing
from papersieve.store.migrations import MIGRATIONS
from papersieve.store.pgsql import TableInfo, translate
from tests.conftest import DATA

DAY = dt.date(2025, 7, 3)
NO_TABLES = TableInfo()


def _day(store: Store, out: Path) -> dict[str, str]:
    profile = load_profile(builtin_profile_dir(), {"judge.kind": "local", "name": "same"})
    report = run_day(store, profile, DAY, offline_dir=DATA / "candidates", out_dir=out, deliver=False)
    assert report.digest is not None and report.digest.picks
    return {p.relative_to(out).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(out.rglob("*.md"))}


@pytest.mark.postgres
def test_the_offline_day_gives_the_same_digest_on_both_stores(pg_url: str, tmp_path: Path) -> None:
    with open_store(tmp_path / "lite.db") as lite:
        expected = _day(lite, tmp_path / "lite")
    with open_store(pg_url) as pg:
        assert pg.postgres
        got = _day(pg, tmp_path / "pg")
        # A rerun reuses what the first run recorded, as on SQLite.
        again = _day(pg, tmp_path / "pg2")
        runs = pg.conn.execute("SELECT COUNT(*) FROM runs WHERE status = 'done'").fetchone()[0]
    assert expected and got == expected
    assert again == expected
    assert runs == 2


@pytest.mark.postgres
def test_one_run_per_profile_and_day_across_connections(pg_url: str) -> None:
    with open_store(pg_url) as first, open_store(pg_url) as second:
        assert acquire_lock(first, "alice", DAY) is None
        # The same process on another connection: the row is this pid's, so it is "left by this
        # process" and broken; another host's live lock is respected.
        first.conn.execute("UPDATE run_locks SET host = 'elsewhere'")
        with pytest.raises(RunLockedError, match="another run of profile 'alice'"):
            acquire_lock(second, "alice", DAY)
        assert acquire_lock(second, "bob", DAY) is None
        first.conn.execute("UPDATE run_locks SET host = ''")
        release_lock(first, "alice", DAY)
        release_lock(second, "bob", DAY)
        assert first.conn.execute("SELECT COUNT(*) FROM run_locks").fetchone()[0] == 0


@pytest.mark.postgres
def test_writers_queue_one_at_a_time_as_on_sqlite(pg_url: str) -> None:
    """A read-then-write inside transaction() is not interleaved with another's: twenty threads
    each read a counter and write it back plus one, and none of the increments is lost."""
    with open_store(pg_url) as store:
        store.conn.execute("INSERT INTO chat_cursors (key, value, updated_at) VALUES ('n', '0', '')")

    def bump() -> None:
        with open_store(pg_url) as own, own.transaction() as conn:
            value = int(conn.execute("SELECT value FROM chat_cursors WHERE key = 'n'").fetchone()[0])
            conn.execute("UPDATE chat_cursors SET value = ? WHERE key = 'n'", (str(value + 1),))

    threads = [threading.Thread(target=bump) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with open_store(pg_url) as store:
        assert store.conn.execute("SELECT value FROM chat_cursors").fetchone()[0] == "20"


@pytest.mark.postgres
def test_secrets_never_reach_the_postgres_store(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "sk-test-0123456789abcdefSECRET"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    with open_store(pg_url) as store, store.transaction() as conn:
        conn.execute("INSERT INTO chat_cursors (key, value, updated_at) VALUES (?, ?, ?)",
                     ("k", f"reply with {secret} inside", "now"))
        conn.executemany("INSERT INTO chat_cursors (key, value, updated_at) VALUES (?, ?, ?)",
                         [("m", secret, "now")])
    with open_store(pg_url) as store:
        values = [r["value"] for r in store.conn.execute("SELECT value FROM chat_cursors ORDER BY key")]
    assert len(values) == 2
    assert not any(secret in v for v in values)


@pytest.mark.postgres
def test_both_stores_have_the_same_tables_and_columns(pg_url: str, tmp_path: Path) -> None:
    with open_store(tmp_path / "lite.db") as lite:
        names = [r[0] for r in lite.conn.execute(
            "SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') AND name NOT LIKE 'papers_fts%'"
            " AND name NOT LIKE 'sqlite_%'")]
        expected = {t: {r[1] for r in lite.conn.execute(f"PRAGMA table_info({t})")} for t in names}
    with open_store(pg_url) as pg:
        rows = pg.conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name <> 'papersieve_schema'").fetchall()
        version = pg.schema_version()
    got: dict[str, set[str]] = {}
    for table, column in rows:
        got.setdefault(table, set()).add(column)
    # PostgreSQL's own additions: the text search vector, and SQLite's implicit rowid made explicit.
    got["papers_data"] -= {"fts"}
    got["run_candidates"] -= {"rowid"}
    assert got == expected
    assert version == len(MIGRATIONS)


@pytest.mark.postgres
def test_a_wrong_server_is_a_one_line_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"cannot open the store at postgresql://who:\*\*\*@127.0.0.1:9/x"):
        open_store("postgresql://who:hunter2@127.0.0.1:9/x?connect_timeout=2")


def test_a_migration_with_sqlite_only_statements_needs_its_postgres_counterpart(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pgschema, "MIGRATIONS", [*MIGRATIONS, "CREATE TRIGGER t AFTER INSERT ON runs"
                                                 " BEGIN SELECT 1; END;\nCREATE TABLE x (a INTEGER);\n"])
    with pytest.raises(StoreError, match="no PostgreSQL counterpart"):
        pgschema.postgres_script(len(MIGRATIONS) + 1)


def test_a_plain_migration_is_translated_without_a_counterpart(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pgschema, "MIGRATIONS", [*MIGRATIONS, (
        "-- a note\nCREATE TABLE things (\n    id INTEGER PRIMARY KEY,\n    blob BLOB NOT NULL,\n"
        "    score REAL, name TEXT NOT NULL COLLATE NOCASE\n);\n"
        "ALTER TABLE runs ADD COLUMN tries INTEGER NOT NULL DEFAULT 0;\n")])
    statements = [" ".join(s.split()) for s in pgschema.postgres_script(len(MIGRATIONS) + 1)]
    assert statements == [
        "CREATE TABLE things ( id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
        " blob BYTEA NOT NULL, score DOUBLE PRECISION, name TEXT NOT NULL );",
        "ALTER TABLE runs ADD COLUMN tries BIGINT NOT NULL DEFAULT 0;",
    ]


def test_a_semicolon_in_a_counterparts_comment_ends_no_statement() -> None:
    """Two counterparts written after the merges had "; the ..." in a comment, which became a
    statement of its own ("syntax error at or near 'the'") on every new PostgreSQL store."""
    script = "-- one; two\nCREATE INDEX i ON t (a); -- three; four\nCOMMENT ON TABLE t IS 'x';\n"
    statements = [s.strip() for s in pgschema.split_statements(script, dollar_quoted=True)]
    assert statements == ["CREATE INDEX i ON t (a);", "COMMENT ON TABLE t IS 'x';"]


def test_every_released_migration_translates() -> None:
    for number in range(1, len(MIGRATIONS) + 1):
        assert pgschema.postgres_script(number)


@pytest.mark.parametrize(("sqlite", "postgres"), [
    ("SELECT * FROM t WHERE a = ? AND b = '?' AND c LIKE '%x'",
     "SELECT * FROM t WHERE a = %s AND b = '?' AND c LIKE '%%x'"),
    ("SELECT name FROM c ORDER BY c.name COLLATE NOCASE", "SELECT name FROM c ORDER BY lower(c.name)"),
    ("SELECT 1 FROM json_each(p.categories) WHERE value = ?",
     "SELECT 1 FROM json_array_elements_text((p.categories)::json) AS value WHERE value = %s"),
    ("SELECT * FROM papers p WHERE 1 AND x = ?", "SELECT * FROM papers p WHERE true AND x = %s"),
    ("SELECT a FROM x CROSS JOIN runs r ON r.id = x.run", "SELECT a FROM x JOIN runs r ON r.id = x.run"),
    ("SELECT id FROM j WHERE relevance IS ? AND novelty IS NOT ?",
     "SELECT id FROM j WHERE relevance IS NOT DISTINCT FROM %s AND novelty IS DISTINCT FROM %s"),
    ("UPDATE m SET blob = x'00ff'", "UPDATE m SET blob = '\\x00ff'::bytea"),
    ("INSERT OR IGNORE INTO v (a, b) VALUES (?, ?)",
     "INSERT INTO v (a, b) VALUES (%s, %s) ON CONFLICT DO NOTHING"),
])
def test_statements_translate(sqlite: str, postgres: str) -> None:
    assert translate(sqlite, lambda _table: NO_TABLES).sql == postgres


def test_insert_or_replace_becomes_an_upsert_on_the_key_it_names() -> None:
    info = TableInfo("id", (("id",), ("paper_pk",)))
    statement = translate("INSERT OR REPLACE INTO paper_vectors (paper_pk, space, vector) VALUES (?, ?, ?)",
                          lambda _table: info)
    assert statement.sql == (
        "INSERT INTO paper_vectors (paper_pk, space, vector) VALUES (%s, %s, %s) ON CONFLICT (paper_pk)"
        " DO UPDATE SET space = EXCLUDED.space, vector = EXCLUDED.vector RETURNING id")
    assert statement.returns_id
    named = translate("SELECT MAX(a) FROM f WHERE profile = :p OR owner = :p", lambda _t: NO_TABLES, True)
    assert named.sql == "SELECT MAX(a) FROM f WHERE profile = %(p)s OR owner = %(p)s"


def test_sqlite_errors_keep_their_classes_on_postgres() -> None:
    import psycopg

    from papersieve.store.pgconn import sqlite_error

    assert isinstance(sqlite_error(psycopg.errors.UniqueViolation("dup")), sqlite3.IntegrityError)
    interrupted = sqlite_error(psycopg.errors.QueryCanceled("canceling statement"))
    assert isinstance(interrupted, sqlite3.OperationalError) and str(interrupted) == "interrupted"
    assert isinstance(sqlite_error(psycopg.errors.UndefinedTable("no")), sqlite3.OperationalError)


@pytest.mark.postgres
def test_a_live_run_renews_its_lease_on_postgres(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The renewer thread opens its own connection: a sqlite3 file named like the URL, before."""
    monkeypatch.setenv("PAPERSIEVE_LOCK_LEASE", "1")
    with open_store(pg_url) as store:
        acquire_lock(store, "alice", DAY)
        first = store.conn.execute("SELECT expires_at FROM run_locks").fetchone()[0]
        with renewing(store, "alice", DAY):
            for _ in range(100):
                if store.conn.execute("SELECT expires_at FROM run_locks").fetchone()[0] != first:
                    break
                threading.Event().wait(0.1)
        assert store.conn.execute("SELECT expires_at FROM run_locks").fetchone()[0] > first


SEARCHES = ("diffusion", "diffusion model", '"language models"', "graph OR graphs", "reinforcement -robot",
            "title:transformer", "author:wang", "optim*", "title:learn* OR abstract:kernel",
            "category:cs.AI agents", "-category:cs.LG reasoning", "model's")


@pytest.mark.postgres
def test_the_search_language_finds_the_same_papers_on_both_stores(pg_url: str, tmp_path: Path) -> None:
    from papersieve.web.queries import SearchFilters
    from papersieve.web.search import search

    def hits(store: Store) -> dict[str, tuple[int, list[str], str]]:
        _day(store, tmp_path / str(id(store)))
        found = {}
        for text in SEARCHES:
            results = search(store, SearchFilters(text=text, per_page=500, sort="date"))
            marked = next((h.title_marked for h in results.hits if "\x02" in h.title_marked), "")
            found[text] = (results.total, [h.item.paper_id for h in results.hits], marked.count("\x02") > 0)
            # Best match first: bm25 and ts_rank order differently, but rank the same papers.
            ranked = search(store, SearchFilters(text=text, per_page=500))
            assert sorted(h.item.paper_id for h in ranked.hits) == sorted(found[text][1])
        return found

    with open_store(tmp_path / "lite.db") as lite:
        expected = hits(lite)
    with open_store(pg_url) as pg:
        got = hits(pg)
    assert {t: n for t, (n, _, _) in expected.items()} == {t: n for t, (n, _, _) in got.items()}
    assert [t for t, (n, _, _) in expected.items() if not n] == []
    assert got == expected


@pytest.mark.postgres
def test_the_web_cost_guard_stops_a_long_statement_on_postgres(pg_url: str) -> None:
    """SQLite's progress handler cannot run inside PostgreSQL: the guard's time limit becomes the
    server's statement_timeout, and a stopped statement is the same "interrupted" error."""
    from papersieve.web.guard import QueryGuard, is_interrupted

    with open_store(pg_url) as store:
        guard = QueryGuard(store.conn, cpu_seconds=0.2)
        guard.serve("a GET", None, limited=True)
        with pytest.raises(sqlite3.OperationalError) as stopped:
            store.conn.execute("SELECT pg_sleep(5)")
        assert is_interrupted(stopped.value)
        guard.serve("a POST", None, limited=False)
        assert store.conn.execute("SELECT pg_sleep(0.3), 1").fetchone()[1] == 1


@pytest.mark.postgres
def test_the_web_cost_guard_budget_is_planned_cost_on_postgres(pg_url: str) -> None:
    """SQLite's budget counts VM steps, which PostgreSQL has not: a read whose planned cost would
    take the request past the budget is refused unrun (the same "interrupted"), smaller reads after
    it still run, and a new request has the budget again (the page budget did not hold at all)."""
    from papersieve.web.guard import COST_PER_STEP, QueryGuard, is_interrupted

    big = "SELECT COUNT(*) FROM generate_series(1, 1000000) a, generate_series(1, 1000) b"
    with open_store(pg_url) as store:
        guard = QueryGuard(store.conn, budget=2)
        request = object()
        guard.serve(request, None, limited=True)
        with pytest.raises(sqlite3.OperationalError) as refused:
            store.conn.execute(big)
        assert is_interrupted(refused.value)
        guard.serve(request, None, limited=True)  # the same request: its small reads still run
        assert store.conn.execute("SELECT 1").fetchone()[0] == 1
        assert 0 < store.conn.cost_used <= 2 * COST_PER_STEP  # type: ignore[attr-defined]
        guard.serve(object(), None, limited=True)
        assert store.conn.cost_used == 0  # type: ignore[attr-defined]
        guard.serve(object(), None, limited=False)  # a POST: no budget
        assert store.conn.execute("SELECT COUNT(*) FROM generate_series(1, 10) a").fetchone()[0] == 10


def test_numbered_parameters_and_temp_tables_translate() -> None:
    statement = translate("DELETE FROM temp.pruned WHERE a < ?1 OR b >= ?1 AND c = ?2", lambda _t: NO_TABLES)
    assert statement.sql == "DELETE FROM pg_temp.pruned WHERE a < %(p1)s OR b >= %(p1)s AND c = %(p2)s"
    assert statement.numbered


def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False,
                          env={**os.environ, **env})


def test_a_sqlite_store_never_loads_psycopg(tmp_path: Path) -> None:
    done = _python("import sys\nfrom papersieve.cli.main import main\n"
                   "from papersieve.store import open_store\n"
                   f"open_store({str(tmp_path / 'x.db')!r}).close()\nprint('psycopg' in sys.modules)")
    assert done.stdout == "False\n", done.stderr


def test_a_postgres_url_without_psycopg_is_a_one_line_error(tmp_path: Path) -> None:
    code = ("import sys\nsys.modules['psycopg'] = None\nfrom papersieve.cli.main import main\n"
            "sys.argv = ['papersieve', 'db']\nmain()")
    done = _python(code, PAPERSIEVE_DB="postgresql://who@127.0.0.1:9/x", PAPERSIEVE_HOME=str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.startswith("error: a PostgreSQL store needs psycopg 3: pip install"), done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.postgres
def test_db_shows_a_postgres_store_without_its_password(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from papersieve.cli.main import cli

    # trust authentication accepts any password: the URL carries one, as a user's might.
    monkeypatch.setenv("PAPERSIEVE_DB", pg_url.replace("papersieve@", "papersieve:hunter2@", 1))
    result = CliRunner().invoke(cli, ["db"])
    assert result.exit_code == 0, result.output
    assert "Store: postgresql://papersieve:***@127.0.0.1" in result.output
    assert "hunter2" not in result.output
