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
    assert capsys.readouterr().err == f"error: {bad}: cannot read candidates (not UTF-8 text)\n"
