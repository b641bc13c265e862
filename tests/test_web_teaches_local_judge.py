"""A like from the web changes the next local ranking (the demo day, the local judge)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from starlette.testclient import TestClient

from papersieve.demo import run_demo
from papersieve.judges.local import LocalJudge
from papersieve.models import Paper
from papersieve.profile import load_profile
from papersieve.profile.loader import Profile, builtin_profile_dir
from papersieve.store import open_store
from papersieve.store.db import Store
from papersieve.store.papers import get_papers
from papersieve.web.app import create_app


def demo_profile() -> Profile:
    return load_profile(builtin_profile_dir(), overrides={"name": "demo", "judge.kind": "local"})


def positions(store: Store, papers: list[Paper]) -> dict[str, int]:
    """Each paper's place (0 = top) in the local judge's order, as the next run would rank them."""
    _, raw, _ = LocalJudge(demo_profile(), store).score(papers)
    order = np.argsort(-raw, kind="stable")
    return {papers[i].id: place for place, i in enumerate(order)}


def places_in(store: Store, run_id: int) -> dict[str, int]:
    """Each candidate's place (0 = top) by the local score recorded with its judgement in a run."""
    rows = store.conn.execute(
        "SELECT c.paper_id, j.detail FROM run_candidates c JOIN judgements j ON j.id = c.judgement_id"
        " WHERE c.run_id = ?", (run_id,)).fetchall()
    scores = {r[0]: float(re.fullmatch(r"local score (-?[\d.]+)", r[1]).group(1)) for r in rows}  # type: ignore[union-attr]
    return {pid: place for place, pid in enumerate(sorted(scores, key=lambda p: (-scores[p], p)))}


def test_likes_from_the_web_change_the_next_local_ranking(papersieve_home: Path) -> None:
    with open_store() as store:
        first = run_demo(store)
        assert first.run_id is not None
        ids = [r[0] for r in store.conn.execute(
            "SELECT paper_id FROM run_candidates WHERE run_id = ?", (first.run_id,))]
        papers = list(get_papers(store, ids).values())
        before = positions(store, papers)
    ranked = sorted(before, key=before.__getitem__)
    liked, disliked = ranked[-40:-34], ranked[30:36]  # lift six from the bottom, push six down

    with TestClient(create_app(token=""), base_url="http://127.0.0.1") as client:
        page = client.get("/").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        assert '<input type="hidden" name="profile" value="demo">' in page  # the digest's profile
        for label, chosen in (("like", liked), ("dislike", disliked)):
            for paper_id in chosen:
                form = {"paper_id": paper_id, "label": label, "profile": "demo"}
                reply = client.post("/feedback", data=form,
                                    headers={"X-CSRF-Token": token, "HX-Request": "true"})
                assert reply.status_code == 200

    with open_store() as store:
        after = positions(store, papers)
        second = run_demo(store)
        assert second.run_id is not None
        old, new = places_in(store, first.run_id), places_in(store, second.run_id)
    assert all(after[p] < before[p] for p in liked), [(before[p], after[p]) for p in liked]
    assert all(after[p] > before[p] for p in disliked), [(before[p], after[p]) for p in disliked]
    # The next run of the day, judged by the retrained local judge, scores them accordingly.
    assert all(new[p] < old[p] for p in liked), [(old[p], new[p]) for p in liked]
    assert all(new[p] > old[p] for p in disliked), [(old[p], new[p]) for p in disliked]
