"""The migrations on PostgreSQL: each one is the SQLite script of store/migrations.py, translated.

One set of migrations serves both stores. `postgres_script(n)` turns migration n's SQLite script
into PostgreSQL's statement by statement: column types (INTEGER -> BIGINT, INTEGER PRIMARY KEY ->
an identity column, REAL -> DOUBLE PRECISION, BLOB -> BYTEA), the rest (tables, indexes, ADD
COLUMN, plain UPDATEs) as written. A statement only SQLite has (an FTS5 table, a trigger, a view, a
statement calling a Python function of the connection) is left out, and the migration must then
have its PostgreSQL counterpart in `POSTGRES_EXTRA`, run after the translated statements; a
migration with such a statement and no counterpart stops with an error naming it, and
tests/test_store_dialects.py checks that both stores end with the same tables and columns.

Why a translator and not a second copy of every script: most migrations are plain DDL, and a
hand-kept copy drifts (a column added on one side only); here adding a table or a column is one
SQLite script, and only what SQLite does its own way is written twice, side by side below.
"""

from __future__ import annotations

import re
import sqlite3

from papersieve.errors import StoreError
from papersieve.store.migrations import MIGRATIONS

FTS_CONFIG = "papersieve"
"""The text search configuration: English stemming like FTS5's porter tokenizer, no stop words
(FTS5 has none: "the" must find what it finds there)."""

TSVECTOR = (
    "setweight(to_tsvector('papersieve'::regconfig, coalesce(title, '')), 'A')"
    " || setweight(to_tsvector('papersieve'::regconfig, coalesce(authors, '')), 'B')"
    " || setweight(to_tsvector('papersieve'::regconfig, coalesce(abstract, '')), 'D')"
)
"""A paper's words: title weighted A, authors B, abstract D (the search's column filters), as
migration 1 made them; migration 19 reads them as TSVECTOR_TEXT does."""

MARKUP_CHARS = "<>&/"
"""What PostgreSQL's text parser reads as markup, a path or an entity, and FTS5 as separators:
`<script>alert(1)</script>` was a tag, a blank and a tag (no word at all), `a<b and c>d` lost
`b and c`, `TCP/IP` became one path. The search reads them as spaces on both sides (the words
indexed, web/query_syntax.py's terms)."""
_SPACED = f"translate(coalesce({{0}}, ''), '{MARKUP_CHARS}', '{' ' * len(MARKUP_CHARS)}')"
TSVECTOR_TEXT = (
    f"setweight(to_tsvector('papersieve'::regconfig, {_SPACED.format('title')}), 'A')"
    f" || setweight(to_tsvector('papersieve'::regconfig, {_SPACED.format('authors')}), 'B')"
    f" || setweight(to_tsvector('papersieve'::regconfig, {_SPACED.format('abstract')}), 'D')"
)
"""A paper's words since migration 19: TSVECTOR over the text with MARKUP_CHARS read as spaces."""

POSTGRES_EXTRA: dict[int, str] = {
    1: f"""
-- What SQLite has built in or per connection: two-argument MAX/MIN, and the abstract packing
-- functions (store/textpack.py) as the identity: PostgreSQL compresses long values itself (TOAST)
-- and its text search reads the abstract inside the server, so abstracts are stored as text.
CREATE FUNCTION max(a text, b text) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT GREATEST(a, b)';
CREATE FUNCTION min(a text, b text) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT LEAST(a, b)';
CREATE FUNCTION max(a bigint, b bigint) RETURNS bigint LANGUAGE sql IMMUTABLE
    AS 'SELECT GREATEST(a, b)';
CREATE FUNCTION min(a bigint, b bigint) RETURNS bigint LANGUAGE sql IMMUTABLE AS 'SELECT LEAST(a, b)';
-- date(day, '-N days'): SQLite's date arithmetic on ISO day strings.
CREATE FUNCTION date(d text, modifier text) RETURNS text LANGUAGE sql IMMUTABLE
    AS $$SELECT to_char(d::date + modifier::interval, 'YYYY-MM-DD')$$;
CREATE FUNCTION papersieve_pack(t text) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT t';
CREATE FUNCTION papersieve_unpack(t text) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT t';

-- Full-text search (SQLite: the FTS5 table papers_fts): a generated tsvector and its GIN index.
CREATE TEXT SEARCH DICTIONARY papersieve_stem (TEMPLATE = snowball, LANGUAGE = english);
CREATE TEXT SEARCH CONFIGURATION {FTS_CONFIG} (COPY = english);
ALTER TEXT SEARCH CONFIGURATION {FTS_CONFIG} ALTER MAPPING
    FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part WITH papersieve_stem;
ALTER TABLE papers ADD COLUMN fts tsvector GENERATED ALWAYS AS ({TSVECTOR}) STORED;
CREATE INDEX papers_fts ON papers USING gin (fts);

-- SQLite's implicit rowid, which digests.py orders a run's candidates by (insertion order).
ALTER TABLE run_candidates ADD COLUMN rowid BIGINT GENERATED ALWAYS AS IDENTITY;
""",
    8: """
-- The `papers` view over papers_data (abstracts stay text here, see migration 1).
CREATE VIEW papers AS SELECT pk, id, title, papersieve_unpack(abstract) AS abstract, authors,
    categories, primary_category, comment, latest_version, content_hash, first_listed, updated_at
    FROM papers_data;
""",
    9: """
-- A paper whose title or abstract changes loses its vector (SQLite: trigger paper_vectors_stale).
CREATE FUNCTION paper_vectors_stale() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM paper_vectors WHERE paper_pk = OLD.pk;
    RETURN NEW;
END $$;
CREATE TRIGGER paper_vectors_stale AFTER UPDATE OF title, abstract ON papers_data FOR EACH ROW
    WHEN (OLD.title IS DISTINCT FROM NEW.title OR OLD.abstract IS DISTINCT FROM NEW.abstract)
    EXECUTE FUNCTION paper_vectors_stale();
-- Collection names are unique whatever their case (SQLite: COLLATE NOCASE on the column).
CREATE UNIQUE INDEX collections_name_nocase ON collections (lower(name));
""",
    15: """
-- Collection names unique per profile whatever their case (SQLite: COLLATE NOCASE in the rebuilt
-- table's UNIQUE (profile, name)), the old table's index having gone with it.
CREATE UNIQUE INDEX collections_profile_name_nocase ON collections (profile, lower(name));
-- has_code of papers already stored (SQLite: a Python function of the connection) is left NULL:
-- the search reads a NULL flag from the paper's text (web/search.py `_code_pks`).
""",
    16: """
-- The search index of kept text only (SQLite: triggers that keep an unsearchable row out of the
-- FTS5 table). Here the tsvector is generated from the row itself, so an emptied abstract leaves
-- the index by itself (its title and authors stay findable); the flag is kept for the same reads.
COMMENT ON COLUMN papers_data.searchable IS 'whether the search index holds the row (SQLite)';
""",
    18: """
-- Nothing: old papers' rows are packed on SQLite only (store/retention.py); here their text stays
-- text (TOAST compresses long values) and the view of migration 8 reads it as it is. The search
-- index is each row's generated tsvector, always kept (store/search_index.py).
""",
    19: f"""
-- The `papers` view writable, as SQLite's is through its INSTEAD OF triggers: a view whose columns
-- are plain columns of papers_data is updatable by PostgreSQL itself, and papersieve_unpack is the
-- identity here (migration 1), so the view of migration 8 loses its calls. An INSERT through it
-- leaves has_code NULL, as on SQLite (the search reads such a row's text, web/search.py).
CREATE OR REPLACE VIEW papers AS SELECT pk, id, title, abstract, authors, categories,
    primary_category, comment, latest_version, content_hash, first_listed, updated_at
    FROM papers_data;
-- The search index reads `<`, `>`, `&` and `/` as spaces, as FTS5 does (MARKUP_CHARS): a title
-- written as HTML was not found by its words. PostgreSQL 15 cannot change a generated column's
-- expression, so the column and its index are made again.
DROP INDEX papers_fts;
ALTER TABLE papers_data DROP COLUMN fts;
ALTER TABLE papers_data ADD COLUMN fts tsvector GENERATED ALWAYS AS ({TSVECTOR_TEXT}) STORED;
CREATE INDEX papers_fts ON papers_data USING gin (fts);
""",
}

_SQLITE_ONLY = re.compile(
    r"^\s*(CREATE\s+VIRTUAL\s+TABLE|CREATE\s+TRIGGER|DROP\s+TRIGGER|CREATE\s+VIEW|DROP\s+VIEW|PRAGMA)"
    r"|\btypeof\s*\(|\bpapers_fts\b|\bpapersieve_has_code\s*\(", re.IGNORECASE)
_TYPES = (
    # Types are written in capitals in the migrations, names in lower case (`blob BLOB`).
    (re.compile(r"\bINTEGER\s+PRIMARY\s+KEY(\s+AUTOINCREMENT)?"),
     "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"),
    (re.compile(r"\bINTEGER\b"), "BIGINT"),
    (re.compile(r"\bREAL\b"), "DOUBLE PRECISION"),
    (re.compile(r"\bBLOB\b"), "BYTEA"),
    (re.compile(r"\s+COLLATE\s+NOCASE\b", re.IGNORECASE), ""),
)


def postgres_script(number: int) -> list[str]:
    """Migration `number` (1-based) as PostgreSQL statements."""
    statements: list[str] = []
    skipped: list[str] = []
    for statement in split_statements(MIGRATIONS[number - 1]):
        code = _without_comments(statement)
        if not code.strip():
            continue
        if _SQLITE_ONLY.search(code):
            skipped.append(code.strip())
            continue
        statements.append(_types(code) if _is_ddl(code) else code)
    if skipped and number not in POSTGRES_EXTRA:
        raise StoreError(f"migration {number} has statements only SQLite runs ({skipped[0][:60]}...)"
                         " and no PostgreSQL counterpart in store/pgschema.py POSTGRES_EXTRA")
    if number in POSTGRES_EXTRA:
        statements.extend(split_statements(POSTGRES_EXTRA[number], dollar_quoted=True))
    return statements


def split_statements(script: str, *, dollar_quoted: bool = False) -> list[str]:
    """A script's statements. SQLite's own completeness test knows triggers' BEGIN ... END;
    PostgreSQL's function bodies are $$-quoted, which it does not know."""
    if dollar_quoted:
        parts = re.split(r"(\$\$.*?\$\$)", script, flags=re.DOTALL)
        statements, pending = [], ""
        for index, part in enumerate(parts):
            if index % 2:
                pending += part
                continue
            pieces = _without_comments(part).split(";")  # a ";" in a comment ends nothing
            pending += pieces[0]
            for piece in pieces[1:]:
                statements.append(pending + ";")
                pending = piece
        rest = _without_comments(pending)
        return [s for s in statements if _without_comments(s).strip()] + ([pending] if rest.strip() else [])
    statements, pending = [], ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending)
            pending = ""
    if _without_comments(pending).strip():
        raise StoreError(f"incomplete SQL statement in a migration: {pending.strip()[:60]}")
    return statements


def _without_comments(statement: str) -> str:
    return "\n".join(line.split("--", 1)[0] if "'" not in line.split("--", 1)[0] else line
                     for line in statement.splitlines())


def _is_ddl(code: str) -> bool:
    return bool(re.match(r"\s*(CREATE\s+TABLE|ALTER\s+TABLE)", code, re.IGNORECASE))


def _types(code: str) -> str:
    for pattern, replacement in _TYPES:
        code = pattern.sub(replacement, code)
    return code
