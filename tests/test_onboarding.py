"""Onboarding by active learning (issue 18): the papers asked about sit near the judge's cutoff
and are not all alike; `papersieve teach`, the web's Teach me page and `eval --onboarding N`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from starlette.testclient import TestClient

from papersieve.cli.main import main
from papersieve.feedback import list_feedback
from papersieve.judges.local import LocalJudge
from papersieve.judges.local.questions import BAND, choose_questions
from papersieve.onboarding import answer, questions
from papersieve.profile.loader import load_profile
from papersieve.sources.jsonl import paper_from_record, read_records
from papersieve.store.db import Store
from papersieve.store.papers import upsert_papers
from papersieve.web.app import create_app
from tests.conftest import DATA
from tests.test_eval_replay import _subset

DAY = DATA / "candidates" / "arxiv-2025-07-03-cs.LG+cs.AI.jsonl"


@pytest.fixture()
def day_store(store: Store) -> Store:
    upsert_papers(store, [paper_from_record(r) for r in read_records(DAY)], listed_on="2025-07-03")
    return store


def test_questions_sit_near_the_cutoff_and_differ(day_store: Store) -> None:
    papers = [paper_from_record(r) for r in read_records(DAY)]
    ranker = LocalJudge(load_profile(), day_store).ranker()
    chosen = choose_questions(ranker, papers, 10, 0.08)
    assert len(chosen) == 10 == len({p.id for p in chosen})
    scores = ranker.scores(papers)
    place = {papers[i].id: rank / len(papers) for rank, i in enumerate(np.argsort(-scores))}
    assert all(abs(place[p.id] - 0.08) <= BAND * 0.08 for p in chosen)
    # Not the ten nearest the cutoff (those are often on one subject): less alike than them.
    nearest = sorted(papers, key=lambda p: abs(place[p.id] - 0.08))[:10]

    def likeness(group: list) -> float:
        vectors = ranker.dense(group).vectors
        sims = vectors @ vectors.T
        return float(sims[np.triu_indices(len(group), 1)].mean())

    assert likeness(chosen) < likeness(nearest)


def test_teach_lists_the_chosen_papers_and_answers_teach_the_profile(
        day_store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    main(["teach", "--count", "4"])  # not a terminal: prints the papers
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "4 papers to teach profile default (papersieve like ID / dislike ID):"
    ids = [line.split()[0] for line in out[1:]]
    assert len(ids) == 4
    report = answer(day_store, load_profile(), ids[:2], ids[2:])
    assert report.feedback_labels == 4 and report.positives == 2 and report.negatives == 2
    assert {(r.paper_id, r.label, r.source) for r in list_feedback(day_store, "default")} == {
        (ids[0], 1, "teach"), (ids[1], 1, "teach"), (ids[2], -1, "teach"), (ids[3], -1, "teach")}
    # Answered papers are not asked again.
    assert not set(ids) & {p.id for p in questions(day_store, load_profile(), 10)}


def test_the_teach_me_page_asks_and_records_for_its_profile(day_store: Store) -> None:
    with TestClient(create_app(token=""), base_url="http://127.0.0.1") as client:
        page = client.get("/teach").text
        ids = re.findall(r'<input type="hidden" name="paper_id" value="([^"]+)">', page)
        assert len(ids) == 10
        assert page.count('<input type="hidden" name="profile" value="default">') == 10
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        reply = client.post("/feedback", data={"paper_id": ids[0], "label": "like",
                                               "profile": "default"},
                            headers={"X-CSRF-Token": token, "HX-Request": "true"})
        assert reply.status_code == 200 and 'aria-pressed="true"' in reply.text
        assert client.get("/teach?profile=nobody").status_code == 404
    assert [(r.paper_id, r.label) for r in list_feedback(day_store, "default")] == [(ids[0], 1)]


def test_eval_onboarding_answers_the_first_day_then_replays_the_rest(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder, labels = _subset(tmp_path, ["2025-07-02", "2025-07-03"])
    main(["eval", "--candidates", str(folder), "--labels", str(labels), "--judge", "local",
          "--no-history", "--onboarding", "6", "--json"])
    result = json.loads(capsys.readouterr().out)["judges"]["local"]
    asked = result["onboarding"]
    assert asked["date"] == "2025-07-02" and asked["asked"] == 6
    assert asked["liked"] + asked["disliked"] == 6
    assert [d["date"] for d in result["per_day"]] == ["2025-07-03"]
