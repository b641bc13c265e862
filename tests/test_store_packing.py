"""Abstracts stored compressed (store/textpack.py, migration 8): a schema-6 store made by the
previous papersieve migrates in place and reads back identically, and the papers view behaves
like the table it replaced."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from papersieve.errors import StoreError
from papersieve.models import Paper
from papersieve.store import Store, open_store
from papersieve.store.migrations import MIGRATIONS
from papersieve.store.papers import get_paper, upsert_papers
from papersieve.store.textpack import TAG_V1, pack_text, unpack_text
from tests.store_snapshot import observe

FIXTURE = Path(__file__).parent / "fixtures" / "store-v6"
DICTIONARY_SHA256 = "85390179e3d72f84332c7a5c5e5d979290eef24a667bf5e1fa5f6265bb71d666"


def v6_store(tmp_path: Path) -> Path:
    db = tmp_path / "store.db"
    with gzip.open(FIXTURE / "store.db.gz", "rb") as packed, db.open("wb") as raw:
        shutil.copyfileobj(packed, raw)
    return db


def fts_integrity(store: Store) -> None:
    """FTS5's own check of the index against its content (the papers view): raises if they differ."""
    store.conn.execute("INSERT INTO papers_fts(papers_fts, rank) VALUES ('integrity-check', 1)")


@pytest.mark.sqlite_only(reason="builds a schema-6 SQLite file by hand to migrate it")
def test_a_schema_6_store_migrates_in_place_and_reads_back_identically(tmp_path: Path) -> None:
    expected = json.loads((FIXTURE / "observed.json").read_text("utf-8"))
    assert expected.pop("schema") == 6
    db = v6_store(tmp_path)
    raw_abstracts = _abstract_bytes(db)
    with open_store(db) as store:
        assert store.schema_version() == len(MIGRATIONS)
        seen = json.loads(json.dumps(observe(store), ensure_ascii=False, default=str))
        kinds = dict(store.conn.execute(
            "SELECT typeof(abstract), COUNT(*) FROM papers_data GROUP BY 1").fetchall())
        packed = store.conn.execute("SELECT SUM(length(abstract)) FROM papers_data").fetchone()[0]
        fts_integrity(store)
    assert seen["digests"] == expected["digests"]  # every digest rebuilds byte for byte
    # A search hit's item has gained fields since (the TL;DR's, migration 10): those are compared
    # as what a schema-6 judgement migrates to, the rest as the old code read them.
    added = {"tldr": "", "tldr_kind": "", "language": ""}
    for found in seen["searches"]:
        for hit in found["hits"]:
            assert {k: hit[0].pop(k) for k in added if k in hit[0]} in ({}, added)
    assert seen["searches"] == expected["searches"]
    # Feedback belongs to a profile since migration 11: the CLI's marks went to `default`.
    assert [row.pop("profile") for row in seen["feedback"]] == ["default"] * len(seen["feedback"])
    # A run names its prompt's stored text since migration 18: '' for one that keeps the text in
    # its own row, as a migrated run does until the next pruning moves it.
    assert [row.pop("prompt_text_key") for row in seen["runs"]] == [""] * len(seen["runs"])
    # And its number of candidates since migration 17: None (counted from its rows) before.
    assert [row.pop("candidates") for row in seen["runs"]] == [None] * len(seen["runs"])
    assert seen == expected
    assert kinds == {"blob": 215}
    assert packed < 0.45 * raw_abstracts  # 1.3 KB abstracts: ~35% with the dictionary


def _abstract_bytes(db: Path) -> int:
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT SUM(length(CAST(abstract AS BLOB))) FROM papers").fetchone()[0])
    finally:
        conn.close()


@pytest.mark.sqlite_only(reason="the packed abstracts and their FTS5 index, SQLite only")
def test_writes_through_the_view_keep_the_index_in_step(tmp_path: Path) -> None:
    with open_store(tmp_path / "store.db") as store:
        paper = Paper(id="2507.00001", title="Sparse probes", abstract="We probe sparse autoencoders.",
                      authors=("A. Author",), categories=("cs.LG",), version=1)
        upsert_papers(store, [paper], "2025-07-01")
        with store.transaction() as conn:
            conn.execute("UPDATE papers SET abstract = 'Dense probes of transformers.' WHERE id = ?",
                         (paper.id,))
            conn.execute(
                "INSERT INTO papers (id, title, abstract, authors, categories, content_hash,"
                " updated_at) VALUES ('2507.00002', 'T', 'Kernel ridge regression.', '[]', '[]',"
                " 'h', 'now')")
        stored = get_paper(store, paper.id)
        assert stored is not None and stored.abstract == "Dense probes of transformers."

        def found(word: str) -> list[str]:
            return [str(r[0]) for r in store.conn.execute(
                "SELECT p.id FROM papers_fts JOIN papers p ON p.pk = papers_fts.rowid"
                " WHERE papers_fts MATCH ? ORDER BY p.id", (word,))]

        assert found("transformers") == ["2507.00001"] and found("autoencoders") == []
        assert found("ridge") == ["2507.00002"]
        fts_integrity(store)
        with store.transaction() as conn:
            conn.execute("DELETE FROM papers WHERE id = '2507.00002'")
        assert found("ridge") == [] and get_paper(store, "2507.00002") is None
        fts_integrity(store)


@pytest.mark.sqlite_only(reason="the packed abstracts, SQLite only (PostgreSQL stores text)")
def test_an_abstract_is_redacted_before_it_is_compressed(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-4242-secret-token")
    with open_store(tmp_path / "store.db") as store:
        paper = Paper(id="2507.00003", title="Leak", abstract="the key xoxb-4242-secret-token here",
                      authors=(), categories=("cs.LG",))
        upsert_papers(store, [paper])
        stored = get_paper(store, paper.id)
    assert stored is not None and stored.abstract == "the key [redacted SLACK_BOT_TOKEN] here"


@given(st.text(max_size=3000))
def test_packed_text_round_trips(text: str) -> None:
    packed = pack_text(text)
    assert packed is not None and packed[0] == TAG_V1
    assert unpack_text(packed) == text


def test_text_stored_before_packing_reads_as_it_is() -> None:
    assert unpack_text("an abstract from schema 6") == "an abstract from schema 6"
    assert unpack_text(None) is None and pack_text(None) is None


@pytest.mark.parametrize("damaged", [b"", b"\x07abc", bytes([TAG_V1]) + b"\xff\xfe garbage"])
def test_a_damaged_packed_abstract_is_a_store_error(damaged: bytes) -> None:
    with pytest.raises(StoreError, match="a stored abstract is damaged"):
        unpack_text(damaged)


def test_the_released_dictionary_never_changes() -> None:
    """Rows packed with tag 1 can only be read with these exact bytes: a new dictionary needs a
    new file and a new tag (bench/build_abstract_dictionary.py)."""
    from importlib import resources

    data = resources.files("papersieve").joinpath("data/abstracts-v1.zdict").read_bytes()
    assert hashlib.sha256(data).hexdigest() == DICTIONARY_SHA256
