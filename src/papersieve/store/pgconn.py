"""A PostgreSQL connection (psycopg 3) that offers the part of sqlite3's API the store uses.

The store's modules, and the few call sites above them, were written against `sqlite3.Connection`:
`execute` / `executemany` with `?` parameters, rows addressable by name and by index,
`cursor.lastrowid`, `in_transaction`, `commit` / `rollback`, sqlite3's exception classes. This
wrapper gives them the same, so that both stores run the same code:

- statements are translated once each (store/pgsql.py) and cached per connection; a list of
  `x IN (?, ?, ...)` of strings or of integers is passed as one array (`x = ANY(%s)`);
- string parameters pass through the redactor, as in `db.RedactingConnection`; `bool`, `date` and
  `datetime` parameters become what sqlite3 stores for them (0/1, ISO text);
- `BEGIN IMMEDIATE` (SQLite: take the one write lock now) becomes BEGIN plus a transaction-scoped
  advisory lock of this store (database and schema): writers queue one at a time exactly as they
  do on SQLite, so every read-then-write inside `Store.transaction()` keeps its guarantee;
- psycopg's errors are raised as the sqlite3 classes of the same PEP 249 kind (a cancelled
  statement is `OperationalError("interrupted")`, as SQLite's progress handler gives);
- `PRAGMA user_version` reads and sets the schema number kept in `papersieve_schema`.

It is typed as a `sqlite3.Connection` where it is handed out (`as_sqlite`): a structural stand-in,
not a subclass.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from functools import lru_cache
from typing import Any, cast

import psycopg
from psycopg import pq
from psycopg.adapt import Loader

from papersieve.redact import redact_params
from papersieve.store.pgsql import Statement, TableInfo, arrays, translate

WRITE_LOCK = 0x70617065
"""First key of the advisory lock that serialises a store's writers (the second is its schema)."""
SCHEMA_TABLE = "papersieve_schema"

_ERRORS: tuple[tuple[type[psycopg.Error], type[sqlite3.Error]], ...] = (
    (psycopg.errors.ReadOnlySqlTransaction, sqlite3.OperationalError),  # "readonly database"
    (psycopg.IntegrityError, sqlite3.IntegrityError),
    (psycopg.DataError, sqlite3.DataError),
    (psycopg.NotSupportedError, sqlite3.NotSupportedError),
    (psycopg.InternalError, sqlite3.InternalError),
    (psycopg.OperationalError, sqlite3.OperationalError),
    (psycopg.ProgrammingError, sqlite3.OperationalError),  # SQLite: "no such table", syntax
    (psycopg.InterfaceError, sqlite3.InterfaceError),
    (psycopg.DatabaseError, sqlite3.DatabaseError),
)


def sqlite_error(err: psycopg.Error) -> sqlite3.Error:
    """The sqlite3 exception of the same kind as `err`, with its message."""
    if isinstance(err, psycopg.errors.QueryCanceled):
        return sqlite3.OperationalError("interrupted")
    message = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    for pg_class, lite_class in _ERRORS:
        if isinstance(err, pg_class):
            return lite_class(message)
    return sqlite3.Error(message)


Buffer = bytes | bytearray | memoryview


class _NumericLoader(Loader):
    """NUMERIC (what SUM over integers gives) as int when whole, else float: SQLite's answer."""

    def load(self, data: Buffer) -> int | float:
        value = Decimal(bytes(data).decode("ascii"))
        return int(value) if value == value.to_integral_value() else float(value)


class Row(tuple[Any, ...]):
    """A result row addressable by column name and by index, like sqlite3.Row."""

    _names: tuple[str, ...] = ()
    _index: Mapping[str, int] = {}

    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        if isinstance(key, str):
            try:
                return tuple.__getitem__(self, self._index[key.lower()])
            except KeyError:
                raise IndexError(f"No item with that key: {key}") from None
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._names)


@lru_cache(maxsize=1024)
def _row_class(names: tuple[str, ...]) -> type[Row]:
    index: dict[str, int] = {}
    for position, name in enumerate(names):
        index.setdefault(name.lower(), position)
    return type("Row", (Row,), {"_names": names, "_index": index})


def _row_factory(cursor: psycopg.Cursor[Any]) -> Callable[[Sequence[Any]], Row]:
    names = tuple(column.name for column in cursor.description or ())
    cls = _row_class(names)
    return lambda values: cls(values)


class Cursor:
    """The result of one statement: rows (None / [] when it returned none) and its row id."""

    def __init__(self, inner: psycopg.Cursor[Any] | None, lastrowid: int | None = None) -> None:
        self._inner = inner
        self.lastrowid = lastrowid

    @property
    def rowcount(self) -> int:
        return self._inner.rowcount if self._inner is not None else -1

    @property
    def description(self) -> Any:
        return self._inner.description if self._inner is not None else None

    def fetchone(self) -> Any:
        if self._inner is None or self._inner.description is None:
            return None
        return self._inner.fetchone()

    def fetchall(self) -> list[Any]:
        if self._inner is None or self._inner.description is None:
            return []
        return self._inner.fetchall()

    def fetchmany(self, size: int = 1) -> list[Any]:
        if self._inner is None or self._inner.description is None:
            return []
        return self._inner.fetchmany(size)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())

    def close(self) -> None:
        if self._inner is not None:
            self._inner.close()


class PgConnection:
    """One psycopg connection in autocommit mode; transactions are the statements BEGIN/COMMIT."""

    def __init__(self, conninfo: str, *, read_only: bool = False) -> None:
        try:
            self._conn = psycopg.connect(conninfo, autocommit=True, row_factory=_row_factory)
        except psycopg.Error as err:
            raise sqlite_error(err) from err
        self._conn.adapters.register_loader("numeric", _NumericLoader)
        self._statements: dict[tuple[str, bool], Statement] = {}
        self._tables: dict[str, TableInfo] = {}
        self.read_only = read_only
        self._limit_ms = 0
        self.cost_budget = 0.0
        """The planned cost this request's reads may add up to (0: no limit; `limit_statements`)."""
        self.cost_used = 0.0
        self.row_factory: Any = None
        self.text_factory: Any = None
        if read_only:
            self.execute("SET default_transaction_read_only = on")

    @property
    def raw(self) -> psycopg.Connection[Any]:
        """The psycopg connection (for the PostgreSQL-only code paths)."""
        return self._conn

    @property
    def in_transaction(self) -> bool:
        return self._conn.info.transaction_status != pq.TransactionStatus.IDLE

    def execute(self, sql: str, parameters: Any = (), /) -> Cursor:
        special = self._special(sql.strip())
        if special is not None:
            return special
        named = isinstance(parameters, Mapping)
        statement = self._statement(sql, named)
        if statement.numbered:
            parameters = {f"p{i}": value for i, value in enumerate(parameters, start=1)}
        text, values = statement.sql, _params(parameters)
        collapsed = arrays(statement, values) if statement.lists else None
        if collapsed is not None:
            text, values = collapsed
        if self.cost_budget and _READ.match(text):
            self._spend(text, values)
        cursor = self._conn.cursor()
        try:
            cursor.execute(text, values, prepare=False)
        except psycopg.Error as err:
            raise sqlite_error(err) from err
        if statement.returns_id:
            row = cursor.fetchone()
            return Cursor(None, int(row[0]) if row else None)
        return Cursor(cursor)

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> Cursor:
        rows = list(parameters)
        if not rows:
            return Cursor(None)
        named = isinstance(rows[0], Mapping)
        statement = self._statement(sql, named)
        text = statement.sql
        if statement.returns_id:
            text = text[:text.rindex(" RETURNING ")]
        cursor = self._conn.cursor()
        try:
            cursor.executemany(text, [_params(row) for row in rows])
        except psycopg.Error as err:
            raise sqlite_error(err) from err
        return Cursor(cursor)

    def executescript(self, script: str, /) -> Cursor:
        """Only SQLite maintenance scripts (PRAGMA ...) reach this: nothing to do here."""
        return Cursor(None)

    def commit(self) -> None:
        if self.in_transaction:
            self._run("COMMIT")

    def rollback(self) -> None:
        if self.in_transaction:
            self._run("ROLLBACK")

    def close(self) -> None:
        self._conn.close()

    def create_function(self, name: str, narg: int, func: Any, *, deterministic: bool = False) -> None:
        """SQLite runs Python functions inside its statements; PostgreSQL cannot, so the few the
        store uses exist as SQL functions in the schema (store/pgschema.py)."""

    def set_progress_handler(self, handler: Any, n: int) -> None:
        """The web's cost guard (web/guard.py) uses `statement_timeout` on PostgreSQL instead."""

    def limit_statements(self, seconds: float, cost: float = 0.0, *, new_request: bool = False) -> None:
        """The web's cost guard: stop any statement running longer than `seconds`, and refuse a
        read whose planned cost (EXPLAIN's total, PostgreSQL's own measure of work: about a page
        read per unit) would take the request's reads past `cost` (0: no limit); `new_request`
        starts the count again. A refused read raises the "interrupted" error a stopped one does."""
        self.cost_budget = max(cost, 0.0)
        if new_request:
            self.cost_used = 0.0
        milliseconds = max(int(seconds * 1000), 0)
        if milliseconds != self._limit_ms:
            self._run("SELECT set_config('statement_timeout', %s, false)", (str(milliseconds),))
            self._limit_ms = milliseconds

    def _spend(self, sql: str, values: Any) -> None:
        """Refuse the read `sql` (its parameters as sent) unrun when its planned cost would take
        the request past `cost_budget`."""
        cursor = self._conn.cursor()
        try:
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql, values, prepare=False)
            plan = cursor.fetchone()
        except psycopg.Error as err:
            raise sqlite_error(err) from err
        cost = float(plan[0][0]["Plan"]["Total Cost"]) if plan else 0.0
        if self.cost_used + cost > self.cost_budget:
            raise sqlite3.OperationalError("interrupted")  # not run: what is left stays for the rest
        self.cost_used += cost

    def interrupt(self) -> None:
        self._conn.cancel_safe()

    def _statement(self, sql: str, named: bool) -> Statement:
        key = (sql, named)
        found = self._statements.get(key)
        if found is None:
            try:
                found = translate(sql, self._table, named)
            except ValueError as err:
                raise sqlite3.OperationalError(str(err)) from err
            self._statements[key] = found
        return found

    def _special(self, sql: str) -> Cursor | None:
        upper = sql.upper().rstrip(";").strip()
        if upper in ("BEGIN IMMEDIATE", "BEGIN EXCLUSIVE"):
            self._run("BEGIN")
            self._run("SELECT pg_advisory_xact_lock(%s, hashtext(current_schema()))", (WRITE_LOCK,))
            return Cursor(None)
        if upper.startswith("PRAGMA"):
            return self._pragma(upper)
        return None

    def _pragma(self, upper: str) -> Cursor:
        if upper == "PRAGMA USER_VERSION":
            cursor = self._run(f"SELECT version FROM {SCHEMA_TABLE}")
            return cursor if cursor.description else Cursor(None)
        if upper.startswith("PRAGMA USER_VERSION"):
            number = int(upper.split("=", 1)[1])
            self._run(f"UPDATE {SCHEMA_TABLE} SET version = %s", (number,))
        return Cursor(None)  # SQLite's file settings (WAL, auto_vacuum, ...) mean nothing here

    def _run(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        cursor = self._conn.cursor()
        try:
            cursor.execute(sql, params or None)
        except psycopg.Error as err:
            raise sqlite_error(err) from err
        return Cursor(cursor)

    def _table(self, name: str) -> TableInfo:
        info = self._tables.get(name)
        if info is None:
            info = self._tables[name] = self._describe(name)
        return info

    def _describe(self, name: str) -> TableInfo:
        cursor = self._conn.cursor()
        cursor.execute("SELECT a.attname FROM pg_attribute a WHERE a.attrelid = to_regclass(%s)"
                       " AND a.attnum > 0 AND a.attidentity <> ''", (name,))
        identity = cursor.fetchone()
        cursor.execute(
            "SELECT ARRAY(SELECT a.attname::text FROM unnest(i.indkey) WITH ORDINALITY k(n, o)"
            " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n ORDER BY k.o)"
            " FROM pg_index i WHERE i.indrelid = to_regclass(%s) AND i.indisunique"
            " ORDER BY i.indisprimary DESC, i.indexrelid", (name,))
        keys = tuple(tuple(row[0]) for row in cursor.fetchall())
        return TableInfo(identity[0] if identity else "", keys)


_READ = re.compile(r"\s*(SELECT|WITH)\b", re.IGNORECASE)
"""The statements the cost budget weighs: reads (what a GET runs; its few writes are small)."""


def _params(parameters: Any) -> Any:
    redacted = redact_params(parameters)
    if isinstance(redacted, Mapping):
        return {k: _value(v) for k, v in redacted.items()}
    return [_value(v) for v in redacted]


def _value(value: Any) -> Any:
    """What sqlite3 would have stored for `value` (its default adapters, booleans as integers)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def as_sqlite(conn: PgConnection) -> sqlite3.Connection:
    """`conn` where the store's code expects a sqlite3 connection (it offers the part they use)."""
    return cast(sqlite3.Connection, conn)
