"""Similar papers: the stored papers nearest in the local judge's semantic space, computed once
per paper into `paper_vectors`, refreshed when papers are added or their text changes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from starlette.testclient import TestClient

from papersieve.judges.local.features import semantic
from papersieve.store import open_store
from papersieve.web.app import create_app
from papersieve.web.similar import fill_vectors, forget, nearest
from tests.webdata import DAYS, build_store

BASE = "http://127.0.0.1:8000"
TEX_PAPER = "2505.20817"


def brute_force(path: Path, paper_id: str, k: int) -> list[str]:
    """The nearest papers by computing every vector afresh (what the index must agree with)."""
    with open_store(path) as store:
        rows = store.conn.execute("SELECT id, title, abstract FROM papers ORDER BY pk").fetchall()
    ids = [r[0] for r in rows]
    vectors = semantic.load_space().embed([f"{r[1]}. {r[2]}" for r in rows])
    scores = vectors @ vectors[ids.index(paper_id)]
    order = [ids[i] for i in np.argsort(-scores, kind="stable") if ids[i] != paper_id]
    return order[:k]


def test_nearest_agrees_with_brute_force_and_fills_vectors_once(tmp_path: Path) -> None:
    data = build_store(tmp_path / "store.db", hostile=False)
    with open_store(data.path) as store:
        found = nearest(store, False, TEX_PAPER, 10)
        stored = store.conn.execute("SELECT COUNT(*) FROM paper_vectors").fetchone()[0]
        assert stored == store.conn.execute("SELECT COUNT(*) FROM papers").fetchone()[0]
        assert fill_vectors(store) == 0  # nothing left to compute
    assert [p for p, _ in found][:5] == brute_force(data.path, TEX_PAPER, 5)
    scores = [s for _, s in found]
    assert scores == sorted(scores, reverse=True) and 0 < scores[-1] <= scores[0] <= 1.0001
    assert TEX_PAPER not in [p for p, _ in found]


def test_new_papers_and_changed_abstracts_are_seen(tmp_path: Path) -> None:
    data = build_store(tmp_path / "store.db", hostile=False)
    target = data.picks[DAYS[0].isoformat()][0]
    with open_store(data.path) as store:
        before = nearest(store, False, target, 3)
        twin_text = store.conn.execute("SELECT title, abstract FROM papers WHERE id = ?",
                                       (target,)).fetchone()
        # A paper fetched later with the same text is the nearest of all.
        with store.transaction() as conn:
            conn.execute(
                "INSERT INTO papers (id, title, abstract, authors, categories, content_hash, updated_at)"
                " VALUES ('2601.00001', ?, ?, '[]', '[\"cs.LG\"]', 'x', 'now')", tuple(twin_text))
        after = nearest(store, False, target, 3)
        assert after[0][0] == "2601.00001" and after[0][1] > 0.99 and after[1:] == before[:2]
        # Its text changes to something else: its old vector is dropped and recomputed.
        with store.transaction() as conn:
            conn.execute("UPDATE papers SET title = 'Protein folding', abstract = 'Enzyme kinetics"
                         " in yeast cells.' WHERE id = '2601.00001'")
        again = nearest(store, False, target, 3)
    assert again == before
    forget(data.path)


def test_paper_page_and_more_like_this_page(tmp_path: Path) -> None:
    data = build_store(tmp_path / "store.db", hostile=False)
    with TestClient(create_app(data.path, token=""), base_url=BASE) as client:
        paper = client.get(f"/paper/{TEX_PAPER}").text
        more = client.get(f"/similar/{TEX_PAPER}")
        today = client.get("/").text
        missing = client.get("/similar/2601.99999")
    section = paper.split('id="similar"', 1)[1].split("</section>", 1)[0]
    listed = section.count("<li>")
    assert listed == 8 and f'href="/similar/{TEX_PAPER}"' in section
    assert more.status_code == 200 and more.text.count("<li>") == 30
    first = brute_force(data.path, TEX_PAPER, 1)[0]
    assert section.index(f'href="/paper/{first}"') < section.index("</li>")
    assert today.count('class="more-like"') == today.count('<article class="paper"') > 0
    assert missing.status_code == 404
