"""Several browser tabs at once on the real server: likes and page loads interleave safely."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from papersieve.store import open_store
from papersieve.web.app import create_app
from tests.servers.web import serve_in_thread
from tests.webdata import DAYS, build_store


def test_concurrent_likes_and_pages_all_succeed(tmp_path: Path) -> None:
    data = build_store(tmp_path / "store.db", hostile=False)
    targets = data.picks[DAYS[0].isoformat()][:6]
    with serve_in_thread(create_app(data.path, token="")) as url, httpx.Client(base_url=url) as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text).group(1)  # type: ignore[union-attr]

        def like(paper_id: str) -> int:
            reply = client.post("/feedback", data={"paper_id": paper_id, "label": "like"},
                                headers={"X-CSRF-Token": token, "HX-Request": "true"}, timeout=120)
            return reply.status_code

        def read(path: str) -> int:
            return client.get(path, timeout=120).status_code

        with ThreadPoolExecutor(max_workers=4) as pool:
            likes = [pool.submit(like, p) for p in targets]
            reads = [pool.submit(read, p) for p in ("/", "/archive", "/runs", "/search?q=learning") * 3]
            statuses = [f.result() for f in likes + reads]
    assert statuses == [200] * len(statuses)
    with open_store(data.path) as store:
        rows = store.conn.execute("SELECT paper_id, label FROM feedback ORDER BY paper_id").fetchall()
    assert [tuple(r) for r in rows] == [(p, 1) for p in sorted(targets)]
