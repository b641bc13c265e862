"""Feedback belongs to one profile (issue 18): likes on one profile train that profile only, a
new profile claims no one else's likes, and migration 7 gives old rows their profile."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from papersieve.cli.main import main
from papersieve.feedback import list_feedback, record_feedback
from papersieve.judges.local import LocalJudge, retrain
from papersieve.profile.loader import Profile, builtin_profile_dir, load_profile
from papersieve.sources.jsonl import paper_from_record, read_records
from papersieve.store import open_store
from papersieve.store.db import Store, _statements
from papersieve.store.migrations import MIGRATIONS
from papersieve.store.papers import upsert_papers
from tests.conftest import DATA

DAY = DATA / "candidates" / "arxiv-2025-07-03-cs.LG+cs.AI.jsonl"


def named(name: str) -> Profile:
    return load_profile(builtin_profile_dir(), overrides={"name": name, "judge.kind": "local"})


@pytest.fixture()
def day_store(store: Store) -> Store:
    upsert_papers(store, [paper_from_record(r) for r in read_records(DAY)])
    return store


def test_likes_on_one_profile_do_not_train_another(day_store: Store) -> None:
    ids = [r["id"] for r in read_records(DAY)]
    mine, other = named("mine"), named("other")
    result = record_feedback(day_store, ids[:3], 1, "cli", mine)
    record_feedback(day_store, ids[3:6], -1, "cli", mine)
    assert result.train is not None and result.train.feedback_labels == 3
    report = retrain(day_store, other)
    # Before: feedback was global, so `other` learned the 6 labels given on `mine`.
    assert report.feedback_labels == 0 and report.trained_on == 0
    assert {r.paper_id for r in list_feedback(day_store, "mine")} == set(ids[:6])
    assert list_feedback(day_store, "other") == []


def test_a_new_profile_says_it_has_no_history_of_its_own(
        day_store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    ids = [r["id"] for r in read_records(DAY)]
    record_feedback(day_store, ids[:13], 1, "cli", named("default"))
    papers = [paper_from_record(r) for r in read_records(DAY)][:60]
    fresh = LocalJudge(named("coral"), day_store).judge(papers)
    # The 13 likes belong to `default`: the new profile starts from its own text, and says whose
    # the likes are (before: "no labelled history yet" and nothing else).
    assert fresh.notes == ("local judge: no labelled history yet, scores come from the profile"
                           " text alone (the store's likes and dislikes belong to other profiles:"
                           " default 13; papersieve teach or import-likes teaches this one)",)
    assert LocalJudge(named("default"), day_store).judge(papers).notes == ()
    coral = Path(os.environ["PAPERSIEVE_HOME"]).parent / "coral"
    main(["init", str(coral)])
    toml = coral / "profile.toml"
    toml.write_text(toml.read_text().replace('name = "default"', 'name = "coral"'))
    capsys.readouterr()
    main(["feedback", "--profile", str(coral)])
    assert capsys.readouterr().out == ("No feedback on profile coral yet (papersieve like ID,"
                                       " dislike ID, teach).\nOther profiles' feedback (not used"
                                       " by this one): default 13\n")


@pytest.mark.sqlite_only(reason="builds a version-6 SQLite file by hand to migrate it")
def test_migration_7_gives_old_feedback_the_profile_it_was_recorded_under(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    for script in MIGRATIONS[:6]:
        for statement in _statements(script):
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 6")
    conn.execute("INSERT INTO papers (id, title, abstract, authors, categories, content_hash,"
                 " updated_at) VALUES ('2507.00001', 'T', 'A', '[]', '[]', 'h', 'x')")
    conn.execute("INSERT INTO runs (id, profile, date, judge, status, started_at) VALUES"
                 " (1, 'demo', '2025-07-03', 'local', 'done', '2025-07-04T08:00:00Z'),"
                 " (2, 'late', '2025-07-04', 'local', 'done', '2025-07-05T08:00:00Z')")
    conn.execute("INSERT INTO run_candidates (run_id, paper_id, outcome) VALUES"
                 " (1, '2507.00001', 'judged'), (2, '2507.00001', 'judged')")
    conn.executemany("INSERT INTO feedback (paper_id, label, source, created_at) VALUES (?, ?, ?, ?)",
                     [("2507.00001", 1, "web", "2025-07-04T09:00:00Z"),
                      ("2507.00001", -1, "cli", "2025-07-04T09:00:00Z"),
                      ("2507.00002", 1, "web", "2025-07-04T09:00:00Z")])
    conn.commit()
    conn.close()
    with open_store(path) as store:
        rows = [tuple(r) for r in store.conn.execute(
            "SELECT paper_id, source, profile FROM feedback ORDER BY id")]
    # The web like went to the profile whose finished run showed the paper then (not the later
    # run's); the CLI row and a web row the runs never showed go to `default`.
    assert rows == [("2507.00001", "web", "demo"), ("2507.00001", "cli", "default"),
                    ("2507.00002", "web", "default")]


def test_a_like_recorded_without_retraining_teaches_the_profile_before_its_next_run(
        day_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """A web like on a page of a profile the app cannot rebuild is recorded for that profile
    only; its next run retrains it before judging (before: the run judged with the old model)."""
    from click.testing import CliRunner

    from papersieve.cli.main import cli

    ids = [r["id"] for r in read_records(DAY)]
    record_feedback(day_store, ids[:3], 1, "web", profile_name="default")
    record_feedback(day_store, ids[3:6], -1, "web", profile_name="default")
    monkeypatch.setenv("PAPERSIEVE_JUDGE", "local")
    run = CliRunner().invoke(cli, ["run", "--offline", str(DATA / "candidates"), "--date",
                                   "2025-07-03", "--no-deliver"])
    assert run.exit_code == 0, run.output
    assert "local-tfidf-v1" in run.output
