"""`papersieve eval`: metrics, the JSON shape, and that a day's labels stay hidden until judged."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from papersieve import __version__
from papersieve.cli.main import main
from papersieve.errors import ConfigError
from papersieve.eval import load_days, replay
from papersieve.eval.labels import LabelBook
from papersieve.eval.metrics import (
    day_metrics,
    pick_metrics,
    precision_at_k,
    recall_at_share,
    roc_auc,
)
from papersieve.profile.loader import load_profile
from tests.conftest import DATA
from tests.pgschemas import store_at

SCRATCH_SQLITE = pytest.mark.sqlite_only(
    reason="eval replays in a scratch SQLite store of its own, whatever the store (eval/replay.py)")

LABELS = DATA / "labels" / "gpt4o-picks-dev.jsonl"


def _subset(tmp_path: Path, dates: list[str]) -> tuple[Path, Path]:
    """A candidates folder and a labels file holding only `dates`."""
    folder = tmp_path / "cands"
    folder.mkdir()
    for date in dates:
        for path in (DATA / "candidates").glob(f"arxiv-{date}-*.jsonl"):
            shutil.copy(path, folder / path.name)
    labels = tmp_path / "labels.jsonl"
    lines = [line for line in LABELS.read_text().splitlines() if json.loads(line)["date"] in dates]
    labels.write_text("\n".join(lines) + "\n")
    return folder, labels


def test_metrics_on_a_hand_made_day() -> None:
    assert roc_auc([3, 2, 1, 0], [True, False, True, False]) == 0.75
    assert roc_auc([1, 1], [True, False]) == 0.5
    assert recall_at_share(["a", "b", "c", "d"], {"a", "d"}, 50) == 0.5
    assert precision_at_k(["a", "b", "c"], {"a", "c"}) == 0.5
    metrics = day_metrics({"a": 1.0, "b": 0.5, "c": 0.1}, ["a", "b", "c"], {"a"})
    assert metrics == {"auc": 1.0, "recall_at_30": 1.0, "recall_at_40": 1.0, "recall_at_50": 1.0,
                       "precision_at_k": 1.0}


def test_label_book_refuses_to_go_back(tmp_path: Path) -> None:
    import datetime as dt

    book = LabelBook(LABELS)
    book.reveal(dt.date(2025, 6, 2))
    with pytest.raises(ConfigError):
        book.reveal(dt.date(2025, 5, 27))


@SCRATCH_SQLITE
def test_poisoned_later_labels_do_not_change_earlier_days(tmp_path: Path) -> None:
    dates = ["2025-06-25", "2025-06-26", "2025-06-27"]
    folder, labels = _subset(tmp_path, dates)
    days = load_days(folder)
    honest = replay("local", load_profile(), days, labels).per_day
    poisoned_file = tmp_path / "poisoned.jsonl"
    candidates_last = [p.id for p in days[-1][1]]
    rows = [json.loads(line) for line in labels.read_text().splitlines()]
    rows = [r for r in rows if r["date"] != dates[-1]]
    rows += [{"date": dates[-1], "id": pid, "relevance": 9, "novelty": 9} for pid in candidates_last[:40]]
    poisoned_file.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    poisoned = replay("local", load_profile(), days, poisoned_file).per_day
    assert poisoned[:2] == honest[:2]
    assert poisoned[2] != honest[2]


@SCRATCH_SQLITE
def test_eval_cli_json_shape_and_hybrid_sends_everything_without_history(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, labels = _subset(tmp_path, ["2025-06-26", "2025-06-27"])
    main(["eval", "--candidates", str(folder), "--labels", str(labels), "--judge", "local",
          "--judge", "hybrid", "--json"])
    data = json.loads(capsys.readouterr().out)
    local, hybrid = data["judges"]["local"], data["judges"]["hybrid"]
    assert local["days"] == 2 and len(local["per_day"]) == 2
    assert set(local) >= {"auc", "recall_at_30", "recall_at_40", "recall_at_50", "precision_at_k", "per_day"}
    assert local["per_day"][0]["date"] == "2025-06-26"
    assert 0.5 < local["auc"] <= 1
    assert hybrid["sent_fraction"] == 1.0 and hybrid["recall_of_picks"] == 1.0
    # What the digest would hold, and what the figures were measured with.
    assert {"precision", "recall", "f1"} <= set(local) and 0 < local["f1"] < 1
    assert hybrid["f1"] == 1.0  # without history the hybrid sends all; the LLM's picks are the labels
    assert local["per_day"][0]["picked"] > 0
    assert {k: data[k] for k in ("profile", "papersieve_version", "history", "onboarding")} == {
        "profile": "default", "papersieve_version": __version__,
        "history": "labelled days before each day", "onboarding": None}


def test_pick_metrics_on_a_hand_made_day() -> None:
    assert pick_metrics({"a", "b", "c", "d"}, {"a", "b", "e"}) == {
        "picked": 4.0, "precision": 0.5, "recall": 2 / 3, "f1": 4 / 7}
    assert pick_metrics(set(), {"a"}) == {"picked": 0.0, "precision": None, "recall": 0.0, "f1": 0.0}
    assert pick_metrics(set(), set())["f1"] is None


@SCRATCH_SQLITE
def test_eval_cli_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder, labels = _subset(tmp_path, ["2025-07-03"])
    main(["eval", "--candidates", str(folder), "--labels", str(labels), "--judge", "local",
          "--no-history"])
    out = capsys.readouterr().out
    assert out.splitlines()[0].split()[:3] == ["judge", "days", "auc"]
    assert out.splitlines()[1].split()[:2] == ["local", "1"]
    assert "history: none (profile only)" in out


@SCRATCH_SQLITE
def test_author_list_picks_are_picks_but_no_verdict_on_content(tmp_path: Path) -> None:
    """A label without scores (the labelling system's author list) is recorded as the product
    records a pinned author's paper: selected, but not a label the ranker learns from."""
    import datetime as dt

    from papersieve.eval.labels import Label
    from papersieve.eval.replay import _record_day, label_judgement
    from papersieve.judges.local.model.training import collect_labels
    from papersieve.models import Outcome
    from papersieve.selection import is_selected
    from papersieve.store import open_store
    from papersieve.store.papers import upsert_papers

    folder, labels = _subset(tmp_path, ["2025-06-27"])
    (date, papers), = load_days(folder)
    book = LabelBook(labels).reveal(date)
    author_picks = {pid for pid, label in book.items() if label.relevance is None}
    assert author_picks == {"2506.20702", "2506.21552"}
    profile = load_profile()
    verdict = label_judgement("2506.21552", book["2506.21552"])
    assert verdict.outcome is Outcome.PINNED_AUTHOR and verdict.relevance is None
    assert is_selected(verdict, profile.settings.cutoffs)
    scored = label_judgement("x", Label("x", 9.0, 8.0, "fits"))
    assert scored.outcome is Outcome.JUDGED and scored.relevance == 9.0
    store = open_store(store_at(tmp_path / "s.db"))
    upsert_papers(store, papers, listed_on=date.isoformat())
    _record_day(store, profile, dt.date(2025, 6, 27), papers,
                [label_judgement(p.id, book.get(p.id)) for p in papers])
    learned = collect_labels(store, profile)
    assert author_picks.isdisjoint(learned.targets)
    assert learned.picks["2025-06-27"] == set(book) - author_picks
    outcomes = dict(store.conn.execute(
        "SELECT paper_id, outcome FROM run_candidates WHERE paper_id IN (?, ?)", sorted(author_picks)))
    assert set(outcomes.values()) == {"pinned_author"}
    store.close()
    rows = replay("local", profile, [(date, papers)], labels, history=False).per_day
    assert rows[0]["picks"] == len(book)
