"""Collections: named sets of papers a person files papers under (apart from likes), a day ranked
by one of them, and exports of a collection or of the likes as BibTeX and CSL-JSON."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass

import bibtexparser
from bibtexparser.model import Entry, Field

from papersieve.errors import PapersieveError
from papersieve.ids import is_doi
from papersieve.store.db import Store, utcnow
from papersieve.web.queries import LATEST_LABEL, Item, item_from_row

MAX_NAME = 80
"""Characters in a collection's name."""


class CollectionError(PapersieveError):
    """A collection name or paper that cannot be filed (the message says why, in one line)."""


@dataclass(frozen=True)
class Collection:
    """A profile's collection and how many papers it holds."""

    id: int
    name: str
    size: int
    profile: str = "default"


def clean_name(raw: str) -> str:
    """A collection name: spaces collapsed, 1 to MAX_NAME printable characters."""
    name = " ".join(raw.split())
    if not name:
        raise CollectionError("a collection needs a name")
    if len(name) > MAX_NAME or not name.isprintable():
        raise CollectionError(f"a collection name is at most {MAX_NAME} printable characters")
    return name


_SIZE = "(SELECT COUNT(*) FROM collection_papers p WHERE p.collection_id = c.id)"


def all_collections(store: Store, profile: str) -> list[Collection]:
    """The profile's collections with their sizes, by name."""
    rows = store.conn.execute(
        f"SELECT c.id, c.name, {_SIZE}, c.profile FROM collections c WHERE c.profile = ?"
        " ORDER BY c.name COLLATE NOCASE", (profile,))
    return [Collection(int(r[0]), str(r[1]), int(r[2]), str(r[3])) for r in rows]


def profiles_with_collections(store: Store) -> dict[str, int]:
    """Every profile that has a collection, with how many it has."""
    return {str(r[0]): int(r[1]) for r in store.conn.execute(
        "SELECT profile, COUNT(*) FROM collections GROUP BY profile ORDER BY profile")}


def find(store: Store, name: str, profile: str) -> Collection | None:
    """The profile's collection called `name` (any case), or None."""
    row = store.conn.execute(
        f"SELECT c.id, c.name, {_SIZE}, c.profile FROM collections c WHERE c.profile = ?"
        " AND lower(c.name) = lower(?)",
        (profile, " ".join(name.split()))).fetchone()
    return Collection(int(row[0]), str(row[1]), int(row[2]), str(row[3])) if row is not None else None


def file_paper(store: Store, name: str, paper_id: str, profile: str, *,
               remove: bool = False) -> Collection:
    """Add a paper to the profile's collection `name` (created on first use), or take it out."""
    name = clean_name(name)
    if store.conn.execute("SELECT 1 FROM papers WHERE id = ?", (paper_id,)).fetchone() is None:
        raise CollectionError(f"no paper {paper_id!r} in the store")
    with store.transaction() as conn:
        if not remove:
            conn.execute("INSERT OR IGNORE INTO collections (profile, name, created_at) VALUES (?, ?, ?)",
                         (profile, name, utcnow()))
        # Any case: SQLite's column is COLLATE NOCASE, PostgreSQL's unique index is on lower(name).
        found = conn.execute("SELECT id FROM collections WHERE profile = ? AND lower(name) = lower(?)",
                             (profile, name)).fetchone()
        if found is None:
            raise CollectionError(f"no collection called {name!r}")
        if remove:
            conn.execute("DELETE FROM collection_papers WHERE collection_id = ? AND paper_id = ?",
                         (found[0], paper_id))
        else:
            conn.execute("INSERT OR IGNORE INTO collection_papers (collection_id, paper_id, added_at)"
                         " VALUES (?, ?, ?)", (found[0], paper_id, utcnow()))
    collection = find(store, name, profile)
    assert collection is not None
    return collection


def papers_in(store: Store, collection: Collection) -> list[Item]:
    """A collection's papers, the latest filed first, with the label given on its profile."""
    rows = store.conn.execute(
        f"SELECT p.*, {LATEST_LABEL.format(col='p.id')} AS label FROM collection_papers c"
        " JOIN papers p ON p.id = c.paper_id WHERE c.collection_id = ? ORDER BY c.added_at DESC, p.id",
        (collection.profile, collection.id))
    return [item_from_row(r) for r in rows]


def liked(store: Store, profile: str) -> list[Item]:
    """The papers whose latest label on `profile` is a like."""
    rows = store.conn.execute(
        f"SELECT p.*, {LATEST_LABEL.format(col='p.id')} AS label FROM papers p"
        " WHERE p.id IN (SELECT paper_id FROM feedback WHERE profile = ?) ORDER BY p.id",
        (profile, profile))
    return [item for item in map(item_from_row, rows) if item.label == 1]


def collections_of(store: Store, paper_id: str, profile: str) -> list[str]:
    """The names of the profile's collections a paper is filed under."""
    return [str(r[0]) for r in store.conn.execute(
        "SELECT c.name FROM collection_papers p JOIN collections c ON c.id = p.collection_id"
        " WHERE p.paper_id = ? AND c.profile = ? ORDER BY c.name COLLATE NOCASE", (paper_id, profile))]


def _year_month(item: Item, first_listed: dict[str, str]) -> tuple[int, int, int] | None:
    day = first_listed.get(item.paper_id)
    if not day:
        return None
    date = dt.date.fromisoformat(day[:10])
    return date.year, date.month, date.day


def _key(item: Item) -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", item.paper_id)


def _braced(text: str) -> str:
    """Text for a BibTeX value in braces: unbalanced braces, which would end it early, removed."""
    depth, out = 0, []
    for char in text:
        if char == "{":
            depth += 1
        elif char == "}":
            if depth == 0:
                continue
            depth -= 1
        out.append(char)
    text = "".join(out)
    while depth:  # drop unclosed opening braces from the right
        at = text.rfind("{")
        text, depth = text[:at] + text[at + 1:], depth - 1
    return "{" + text + "}"


def bibtex(items: list[Item], first_listed: dict[str, str]) -> str:
    """The papers as BibTeX @misc entries with eprint fields (what arXiv's own export gives)."""
    library = bibtexparser.Library()  # type: ignore[attr-defined]
    for item in items:
        fields = [Field("title", _braced(item.title)),
                  Field("author", _braced(" and ".join(item.authors)))]
        when = _year_month(item, first_listed)
        if when:
            fields.append(Field("year", str(when[0])))
        if is_doi(item.paper_id):
            fields.append(Field("doi", _braced(item.paper_id)))
        else:
            fields += [Field("eprint", _braced(item.paper_id)), Field("archivePrefix", "{arXiv}")]
            if item.categories:
                fields.append(Field("primaryClass", _braced(item.categories[0])))
        fields.append(Field("url", _braced(item.abs_url)))
        library.add(Entry("misc", _key(item), fields))
    text: str = bibtexparser.write_string(library)  # type: ignore[attr-defined]
    return text


def csl_json(items: list[Item], first_listed: dict[str, str]) -> str:
    """The papers as CSL-JSON (what Zotero and citation processors read)."""
    records = []
    for item in items:
        record: dict[str, object] = {
            "id": item.paper_id, "type": "article", "title": item.title,
            "author": [_name(a) for a in item.authors], "URL": item.abs_url,
        }
        if is_doi(item.paper_id):
            record["DOI"] = item.paper_id
        else:
            record.update({"DOI": f"10.48550/arXiv.{item.paper_id}", "number": f"arXiv:{item.paper_id}",
                           "publisher": "arXiv", "genre": "Preprint"})
        when = _year_month(item, first_listed)
        if when:
            record["issued"] = {"date-parts": [list(when)]}
        records.append(record)
    return json.dumps(records, ensure_ascii=False, indent=2) + "\n"


def _name(author: str) -> dict[str, str]:
    parts = author.strip().rsplit(" ", 1)
    if len(parts) == 2 and parts[0] and parts[1]:
        return {"given": parts[0], "family": parts[1]}
    return {"literal": author.strip()}


def first_listed(store: Store, items: list[Item]) -> dict[str, str]:
    """Each paper's first listing day (the date in an export)."""
    if not items:
        return {}
    marks = ",".join("?" * len(items))
    return {str(r[0]): str(r[1]) for r in store.conn.execute(
        f"SELECT id, first_listed FROM papers WHERE id IN ({marks}) AND first_listed IS NOT NULL",
        [i.paper_id for i in items])}
