"""The store's SQL on PostgreSQL: statements written for SQLite, translated once each and cached.

The store's modules write SQLite's dialect: `?` placeholders, `x'00'` blobs, `INSERT OR IGNORE`,
`INSERT OR REPLACE`, `cursor.lastrowid`, `X COLLATE NOCASE`, `json_each`, `WHERE 1`,
`CROSS JOIN ... ON`, `x IS ?`, `?1` parameters, `temp.` tables. `translate` rewrites each
statement into PostgreSQL's (a pure function of the text and of what the catalog says about the
table it inserts into; the connection caches it). The few scalar functions SQLite has and
PostgreSQL lacks under the same name (two-argument MAX/MIN, `date(day, modifier)`, the abstract
packing functions) are created in the schema by the PostgreSQL migrations (store/pgschema.py)
instead. What cannot be translated this way (FTS5's MATCH) is written for each dialect by its
caller, which asks `Store.postgres`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

Catalog = Callable[[str], "TableInfo"]


@dataclass(frozen=True)
class TableInfo:
    """What a translation needs to know of a table: its generated key and its unique keys."""

    identity: str = ""
    """The column filled from a sequence (SQLite's INTEGER PRIMARY KEY), '' when none."""
    unique_keys: tuple[tuple[str, ...], ...] = ()
    """Primary key first, then each UNIQUE constraint's columns."""


@dataclass(frozen=True)
class Statement:
    """One translated statement: its text and, for an INSERT, the column RETURNING hands back."""

    sql: str
    returns_id: bool = False
    numbered: bool = False
    """Written with `?1`, `?2`: its parameters are passed as {"p1": ..., "p2": ...}."""
    lists: tuple[tuple[int, int], ...] = ()
    """`x IN (?, ?, ...)` lists of positional parameters, as (first parameter, how many): `as_arrays`
    is the same statement with each as one array parameter (`x = ANY(%s)`)."""
    as_arrays: str = ""


def arrays(statement: Statement, parameters: list[object]) -> tuple[str, list[object]] | None:
    """The statement with each `IN (?, ?, ...)` list as one array parameter, and its parameters
    (each list's values as one Python list), when every list holds only strings or only
    integers; else None (the statement is run as written). One text for any length of list:
    psycopg parses it once (a list of 500 was parsed again at every call, in Python) and the
    server reads one parameter instead of 500."""
    if not statement.lists:
        return None
    out: list[object] = []
    at = 0
    for start, length in statement.lists:
        values = parameters[start:start + length]
        if not (all(type(v) is str for v in values) or all(type(v) is int for v in values)):
            return None
        out += parameters[at:start]
        out.append(values)
        at = start + length
    out += parameters[at:]
    return statement.as_arrays, out


_INSERT = re.compile(
    r"^\s*INSERT\s+(?:OR\s+(IGNORE|REPLACE)\s+)?INTO\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(([^)]*)\)",
    re.IGNORECASE)
_NOCASE = re.compile(r"([A-Za-z_][A-Za-z0-9_.]*)\s+COLLATE\s+NOCASE", re.IGNORECASE)
_JSON_EACH = re.compile(r"json_each\(([^()]*)\)", re.IGNORECASE)
_WHERE_1 = re.compile(r"\bWHERE\s+1\b(?!\s*[=<>!])", re.IGNORECASE)
_BLOB = re.compile(r"(?<![\w'])[xX]'([0-9A-Fa-f]*)'")
_CROSS_ON = re.compile(r"\bCROSS\s+JOIN(\s+[\w.]+(?:\s+(?:AS\s+)?\w+)?\s+ON)\b", re.IGNORECASE)
_IS_PARAM = re.compile(r"\bIS\s+(NOT\s+)?\?", re.IGNORECASE)
_NUMBERED = re.compile(r"\?(\d+)")
_TEMP = re.compile(r"\btemp\.(?=\w)", re.IGNORECASE)
_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_][A-Za-z0-9_]*)")
_IN_LIST = re.compile(r"\b(NOT\s+)?IN\s*\(\s*%s(?:\s*,\s*%s)+\s*\)", re.IGNORECASE)


def translate(sql: str, catalog: Catalog, named: bool = False) -> Statement:
    """`sql` (SQLite's dialect) in PostgreSQL's; `named` for `:name` parameters. The connection
    caches the result per statement text."""
    numbered = not named and bool(_NUMBERED.search(sql))
    if numbered:
        sql, named = _NUMBERED.sub(r":p\1", sql), True
    text = _IS_PARAM.sub(lambda m: "IS DISTINCT FROM ?" if m.group(1) else "IS NOT DISTINCT FROM ?", sql)
    text = _placeholders(_BLOB.sub(r"'\\x\1'::bytea", text), named)
    text = _NOCASE.sub(r"lower(\1)", text)
    text = _JSON_EACH.sub(r"json_array_elements_text((\1)::json) AS value", text)
    text = _WHERE_1.sub("WHERE true", text)
    text = _CROSS_ON.sub(r"JOIN\1", text)  # SQLite's join-order hint, with an ON
    text = _TEMP.sub("pg_temp.", text)
    insert = _INSERT.match(text)
    if insert is None:
        lists, as_arrays = ((), "") if named else _in_lists(text)
        return Statement(text, numbered=numbered, lists=lists, as_arrays=as_arrays)
    conflict, table, columns = insert.group(1), insert.group(2), insert.group(3)
    info = catalog(table.lower())
    text = _drop_or(text, insert)
    if conflict and conflict.upper() == "IGNORE":
        text = _before_returning(text, " ON CONFLICT DO NOTHING")
    elif conflict:
        text = _before_returning(text, _upsert(table, [c.strip() for c in columns.split(",")], info))
    returns = bool(info.identity) and "RETURNING" not in text.upper()
    if returns:
        text = text.rstrip().rstrip(";") + f" RETURNING {info.identity}"
    return Statement(text, returns, numbered)


def _drop_or(text: str, insert: re.Match[str]) -> str:
    """`INSERT OR X INTO` -> `INSERT INTO`."""
    head = re.sub(r"^\s*INSERT\s+OR\s+(IGNORE|REPLACE)\s+INTO", "INSERT INTO", insert.group(0),
                  flags=re.IGNORECASE)
    return head + text[insert.end():]


def _upsert(table: str, columns: list[str], info: TableInfo) -> str:
    """SQLite's REPLACE (delete the conflicting row, insert the new one) as an upsert on the first
    unique key whose columns the statement names."""
    for key in info.unique_keys:
        if set(key) <= set(columns):
            rest = [c for c in columns if c not in key]
            if not rest:
                return f" ON CONFLICT ({', '.join(key)}) DO NOTHING"
            sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in rest)
            return f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET {sets}"
    raise ValueError(f"INSERT OR REPLACE INTO {table}: no unique key among its columns {columns}")


def _before_returning(text: str, clause: str) -> str:
    match = re.search(r"\bRETURNING\b", text, re.IGNORECASE)
    if match is None:
        return text.rstrip().rstrip(";") + clause
    return text[:match.start()].rstrip() + clause + " " + text[match.start():]


def _placeholders(sql: str, named: bool) -> str:
    """`?` -> `%s` (or `:name` -> `%(name)s`) outside quotes, every literal `%` doubled."""
    out: list[str] = []
    for part, quoted in _split_quoted(sql):
        part = part.replace("%", "%%")
        if not quoted:
            part = _NAMED.sub(r"%(\1)s", part) if named else part.replace("?", "%s")
        out.append(part)
    return "".join(out)


def _in_lists(sql: str) -> tuple[tuple[tuple[int, int], ...], str]:
    """The `IN (%s, %s, ...)` lists of a translated positional statement, as (first parameter,
    how many), and the statement with each as `= ANY(%s)` (`NOT IN`: `<> ALL(%s)`)."""
    lists: list[tuple[int, int]] = []
    out: list[str] = []
    count = 0
    for part, quoted in _split_quoted(sql):
        if quoted:
            out.append(part)
            continue
        if "%%" in part:  # a literal % (an operator): `%s` cannot be counted simply
            return (), ""
        at = 0
        for match in _IN_LIST.finditer(part):
            before = part[at:match.start()]
            count += before.count("%s")
            length = match.group(0).count("%s")
            lists.append((count, length))
            count += length
            out.append(before + ("<> ALL(%s)" if match.group(1) else "= ANY(%s)"))
            at = match.end()
        count += part[at:].count("%s")
        out.append(part[at:])
    return tuple(lists), "".join(out) if lists else ""


def _split_quoted(sql: str) -> list[tuple[str, bool]]:
    """The statement in pieces, each inside or outside '...' or "..." quotes."""
    pieces: list[tuple[str, bool]] = []
    pattern = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"")
    at = 0
    for match in pattern.finditer(sql):
        pieces.append((sql[at:match.start()], False))
        pieces.append((match.group(0), True))
        at = match.end()
    pieces.append((sql[at:], False))
    return pieces
