"""`papersieve eval`: its inputs (bad files, ids, days without candidates) and that a day's own
labels cannot reach the judge of that day."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from papersieve.cli.main import main
from papersieve.eval import load_days, replay
from papersieve.profile.loader import load_profile
from tests.conftest import DATA

SCRATCH_SQLITE = pytest.mark.sqlite_only(
    reason="eval replays in a scratch SQLite store of its own, whatever the store (eval/replay.py)")

LABELS = DATA / "labels" / "gpt4o-picks-dev.jsonl"
DATES = ["2025-06-25", "2025-06-26", "2025-06-27"]


def _candidates(tmp_path: Path, dates: list[str]) -> Path:
    folder = tmp_path / "cands"
    folder.mkdir()
    for date in dates:
        for path in (DATA / "candidates").glob(f"arxiv-{date}-*.jsonl"):
            shutil.copy(path, folder / path.name)
    return folder


def _label_rows(dates: list[str]) -> list[dict[str, object]]:
    rows = [json.loads(line) for line in LABELS.read_text().splitlines()]
    return [r for r in rows if r["date"] in dates]


def _write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@SCRATCH_SQLITE
@pytest.mark.parametrize("kind", ["local", "hybrid"])
def test_a_days_own_labels_do_not_reach_its_judge(tmp_path: Path, kind: str) -> None:
    """The last day's labels name 30 papers the LLM did not pick. Judged blind, they rank
    like the ordinary rejects they are (AUC about 0.4); had the day's labels been learned
    before judging it (recorded and retrained first), they would rank near the top (0.95)."""
    folder = _candidates(tmp_path, DATES)
    days = load_days(folder)
    rows = _label_rows(DATES)
    real = {r["id"] for r in rows if r["date"] == DATES[-1]}
    fake = [p.id for p in days[-1][1] if p.id not in real][::5][:30]
    rows = [r for r in rows if r["date"] != DATES[-1]]
    rows += [{"date": DATES[-1], "id": pid, "relevance": 9, "novelty": 9} for pid in fake]
    last = replay(kind, load_profile(), days, _write(tmp_path / "p.jsonl", rows)).per_day[-1]
    assert last["picks"] == 30
    assert isinstance(last["auc"], float) and last["auc"] < 0.6


def test_labels_that_are_not_utf8_are_a_one_line_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _candidates(tmp_path, DATES[-1:])
    labels = tmp_path / "labels.jsonl"
    labels.write_bytes(b'\xff\xfe{"date": "2025-06-27", "id": "2506.20702"}\n')
    with pytest.raises(SystemExit) as stop:
        main(["eval", "--candidates", str(folder), "--labels", str(labels), "--judge", "local"])
    assert stop.value.code == 2
    assert capsys.readouterr().err == f"error: {labels}: cannot read labels (not UTF-8 text)\n"


def test_a_candidate_file_that_is_not_utf8_is_a_one_line_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "cands"
    folder.mkdir()
    bad = folder / "arxiv-2025-06-27-cs.LG.jsonl"
    bad.write_bytes(b"\xff\xfe{}\n")
    with pytest.raises(SystemExit) as stop:
        main(["eval", "--candidates", str(folder), "--labels", str(LABELS)])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    # sources.jsonl.read_records checks every candidate file, for eval as for run --offline
    assert err.startswith("error: not UTF-8 text") and err.endswith(f"{bad}\n") and err.count("\n") == 1


@SCRATCH_SQLITE
def test_label_ids_are_read_like_any_arxiv_id(tmp_path: Path) -> None:
    """A picks file may name a paper with its version, an arXiv: prefix or its URL."""
    folder = _candidates(tmp_path, DATES[-1:])
    days = load_days(folder)
    rows = _label_rows(DATES[-1:])
    styled = [dict(r, id=f"arXiv:{r['id']}v2" if i % 2 else f"https://arxiv.org/abs/{r['id']}")
              for i, r in enumerate(rows)]
    plain = replay("local", load_profile(), days, _write(tmp_path / "a.jsonl", rows), history=False)
    other = replay("local", load_profile(), days, _write(tmp_path / "b.jsonl", styled), history=False)
    assert other.per_day == plain.per_day and plain.per_day[0]["picks"] == len(rows)


def test_a_label_id_that_is_no_arxiv_id_is_a_one_line_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _candidates(tmp_path, DATES[-1:])
    labels = _write(tmp_path / "l.jsonl", [{"date": DATES[-1], "id": "2506.20702"},
                                           {"date": DATES[-1], "id": "paper-7"}])
    with pytest.raises(SystemExit) as stop:
        main(["eval", "--candidates", str(folder), "--labels", str(labels), "--judge", "local"])
    assert stop.value.code == 2
    assert capsys.readouterr().err == (f"error: {labels}: line 2 needs a date and an id"
                                       " (not an arXiv identifier: 'paper-7')\n")


@SCRATCH_SQLITE
def test_labelled_days_without_candidates_are_named_and_none_at_all_is_an_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _candidates(tmp_path, DATES[-1:])
    main(["eval", "--candidates", str(folder), "--labels", str(_write(tmp_path / "l.jsonl",
          _label_rows(DATES))), "--judge", "local", "--no-history", "--json"])
    out, err = capsys.readouterr()
    assert json.loads(out)["judges"]["local"]["days"] == 1
    assert err.splitlines()[0] == ("note: labels of 2 days with no candidate file were left out:"
                                   " 2025-06-25, 2025-06-26")
    assert err.splitlines()[1].startswith("eval local: day 1/1 2025-06-27, ")
    elsewhere = _write(tmp_path / "m.jsonl", _label_rows(DATES[:2]))
    with pytest.raises(SystemExit) as stop:
        main(["eval", "--candidates", str(folder), "--labels", str(elsewhere), "--judge", "local"])
    assert stop.value.code == 2
    assert capsys.readouterr().err == (f"error: {elsewhere}: no labelled day has a candidate file"
                                       f" in {folder} (labels 2025-06-25 to 2025-06-26,"
                                       " candidates 2025-06-27 to 2025-06-27)\n")
    empty = _write(tmp_path / "e.jsonl", [])
    with pytest.raises(SystemExit):
        main(["eval", "--candidates", str(folder), "--labels", str(empty), "--judge", "local"])
    assert capsys.readouterr().err == (f"error: {empty}: no label in it (JSON lines with at least"
                                       " date and id)\n")


@SCRATCH_SQLITE
def test_a_candidate_day_without_labels_has_no_recall_of_picks(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A day whose labels hold no pick has no recall to measure (it was counted as 1.0)."""
    folder = _candidates(tmp_path, DATES[1:])
    labels = _write(tmp_path / "l.jsonl", _label_rows(DATES[1:2]))
    main(["eval", "--candidates", str(folder), "--labels", str(labels), "--judge", "hybrid",
          "--json", "--unlabelled-as-empty"])
    out, err = capsys.readouterr()
    hybrid = json.loads(out)["judges"]["hybrid"]
    first, second = hybrid["per_day"]
    assert second["picks"] == 0 and second["recall_of_picks"] is None and second["auc"] is None
    assert second["sent_fraction"] == 1.0 and second["recall"] is None
    assert second["f1"] == (0.0 if second["picked"] else None)
    assert hybrid["recall_of_picks"] == first["recall_of_picks"]
    assert err.splitlines()[0] == ("note: 1 candidate day has no label, counted as a day without"
                                   " picks: 2025-06-27")


@SCRATCH_SQLITE
def test_a_candidate_day_without_labels_is_left_out_by_default(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Before: it was replayed as a day on which the LLM picked nothing, which pulled every mean
    # towards what a day without labels (a gap in the labelling, often) happened to give.
    folder = _candidates(tmp_path, DATES[1:])
    labels = _write(tmp_path / "l.jsonl", _label_rows(DATES[1:2]))
    main(["eval", "--candidates", str(folder), "--labels", str(labels), "--judge", "local",
          "--json"])
    out, err = capsys.readouterr()
    report = json.loads(out)
    assert [d["date"] for d in report["judges"]["local"]["per_day"]] == [DATES[1]]
    lines = err.splitlines()
    assert len(lines) == 2
    assert lines[0] == ("note: 1 candidate day with no label left out (--unlabelled-as-empty"
                        " counts them as days without picks): 2025-06-27")
    assert lines[1].startswith(f"eval local: day 1/1 {DATES[1]}, ")


@pytest.mark.parametrize("line, expected", [
    ("[" * 100_000, "line 2 is nested too deeply to be a label"),
    ('{"date": "2025-06-27", "id": "2506.20702", "relevance": ' + "9" * 400 + "}", None),
], ids=["deep-nesting", "huge-score"])
@SCRATCH_SQLITE
def test_a_hostile_label_line_is_a_one_line_error_or_no_score(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str, expected: str | None) -> None:
    """100k nested `[` was a RecursionError, a 400-digit score an OverflowError."""
    folder = _candidates(tmp_path, DATES[-1:])
    labels = tmp_path / "l.jsonl"
    labels.write_text(json.dumps({"date": DATES[-1], "id": "2506.20702"}) + "\n" + line + "\n")
    if expected is None:
        main(["eval", "--candidates", str(folder), "--labels", str(labels), "--judge", "local"])
        return
    with pytest.raises(SystemExit) as stop:
        main(["eval", "--candidates", str(folder), "--labels", str(labels), "--judge", "local"])
    assert stop.value.code == 2
    assert capsys.readouterr().err == f"error: {labels}: {expected}\n"
