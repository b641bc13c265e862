"""`x IN (?, ?, ...)` on the PostgreSQL store: one array parameter whatever the list's length
(bench/RESULTS.md, "run --all for 1,000 profiles on SQLite, PostgreSQL and Ray"), with the same
rows as SQLite.

A group's day looks up its 1,013 papers in lists of 500 placeholders; psycopg parsed each such
statement again at every call (it caches none over 50 parameters) and the server planned 500
parameters. Tests marked `postgres` need a server (tests/pgschemas.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from papersieve.store import Store, open_store
from papersieve.store.pgsql import TableInfo, arrays, translate

QUERIES: list[tuple[str, list[Any]]] = [
    ("SELECT id FROM t WHERE name IN (?, ?, ?) ORDER BY id", ["a", "c", "zz"]),
    ("SELECT id FROM t WHERE name IN (" + ", ".join("?" * 500) + ") ORDER BY id",
     [f"n{i}" for i in range(500)]),
    ("SELECT name FROM t WHERE id IN (?,?,?,?) ORDER BY name", [1, 3, 3, 99]),
    ("SELECT id FROM t WHERE id > ? AND name NOT IN (?, ?) AND name != '?, ?' AND id < ? ORDER BY id",
     [0, "a", "b", 50]),
    # None among the values, or values of two types: passed as they are (SQLite's NULL rules)
    ("SELECT id FROM t WHERE name IN (?, ?) ORDER BY id", [None, "b"]),
    ("SELECT id FROM t WHERE name NOT IN (?, ?) ORDER BY id", [None, "b"]),
    ("SELECT COUNT(*) FROM t WHERE id IN (SELECT id FROM t WHERE name IN (?, ?)) AND id IN (?, ?)",
     ["a", "b", 1, 2]),
]


def _filled(store: Store) -> Store:
    with store.transaction() as conn:
        conn.execute("CREATE TABLE t (id BIGINT, name TEXT)")
        conn.executemany("INSERT INTO t (id, name) VALUES (?, ?)",
                         [(1, "a"), (2, "b"), (3, "c"), (4, "?, ?"), *((i, f"n{i}") for i in range(10, 60))])
    return store


def _answers(store: Store) -> list[list[tuple[Any, ...]]]:
    return [[tuple(row) for row in store.conn.execute(sql, params)] for sql, params in QUERIES]


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The statement texts psycopg is asked to run."""
    import psycopg

    texts: list[str] = []
    execute = psycopg.Cursor.execute

    def recording(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        texts.append(str(query))
        return execute(self, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", recording)
    yield texts


@pytest.mark.postgres
def test_in_lists_give_the_same_rows_on_both_stores(pg_url: str, tmp_path: Path) -> None:
    with open_store(tmp_path / "lite.db") as lite:
        expected = _answers(_filled(lite))
    with open_store(pg_url) as pg:
        got = _answers(_filled(pg))
    assert got == expected
    assert expected[0] == [(1,), (3,)] and len(expected[1]) == 50 and expected[4] == [(2,)]


@pytest.mark.postgres
def test_an_in_list_is_one_array_parameter_whatever_its_length(pg_url: str, sent: list[str]) -> None:
    with open_store(pg_url) as pg:
        _filled(pg)
        sent.clear()
        for size in (3, 100, 500):
            ids = [f"n{i}" for i in range(size)]
            pg.conn.execute(f"SELECT id FROM t WHERE name IN ({', '.join('?' * size)})", ids).fetchall()
    assert len(sent) == 3
    assert len(set(sent)) == 1, sent
    assert sent[0] == "SELECT id FROM t WHERE name = ANY(%s)"


def test_the_lists_are_found_among_other_parameters_and_quotes() -> None:
    statement = translate("SELECT a FROM t WHERE x = ? AND y IN (?, ?,?) AND z = 'IN (?, ?)'"
                          " AND w NOT IN (?, ?) AND q IN (?)", lambda _table: TableInfo())
    assert statement.lists == ((1, 3), (4, 2))
    assert statement.as_arrays == ("SELECT a FROM t WHERE x = %s AND y = ANY(%s) AND z = 'IN (?, ?)'"
                                   " AND w <> ALL(%s) AND q IN (%s)")
    assert arrays(statement, [1, "a", "b", "c", 5, 6, "q"]) == (
        statement.as_arrays, [1, ["a", "b", "c"], [5, 6], "q"])
    assert arrays(statement, [1, "a", 2, "c", 5, 6, "q"]) is None  # two types: as written
    assert arrays(statement, [1, "a", "b", "c", True, 6, "q"]) is None  # a bool is no integer here
    named = translate("SELECT a FROM t WHERE y IN (:a, :b)", lambda _table: TableInfo(), named=True)
    assert named.lists == ()
