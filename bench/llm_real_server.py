"""The `llm` judge against a real OpenAI-compatible server: calls, wall time and failed share.

A day of N papers (the first N candidates of 2025-07-02, cs.LG + cs.AI, from data/candidates) is
run through the real CLI (`papersieve run --offline ... --no-deliver`) against a server already
started, e.g. `../shared/tools/llama-server/serve --port 18091` (llama-cpp-python, SmolLM2-135M,
CPU). No model name is set: the run finds its own (or, for code that cannot, sends its default).
Any papersieve install can be measured (`--papersieve /work/main/.venv/bin/papersieve` for the code
before a change); `--limit` stops a run that would not end (its figures are then "at least").

Run: .venv/bin/python bench/llm_real_server.py --url http://127.0.0.1:18091/v1 --papers 8
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DAY = "2025-07-02"
SOURCE = REPO / "data" / "candidates" / f"arxiv-{DAY}-cs.LG+cs.AI.jsonl"


def write_day(folder: Path, papers: int) -> None:
    """An offline folder holding the day's first `papers` candidates."""
    folder.mkdir(parents=True)
    lines = [line for line in SOURCE.read_text("utf-8").splitlines() if line.strip()]
    (folder / SOURCE.name).write_text("\n".join(lines[:papers]) + "\n", "utf-8")


def measure(papersieve: str, url: str, papers: int, title_stage: bool, limit: float) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        write_day(Path(tmp) / "day", papers)
        env = {**os.environ, "PAPERSIEVE_HOME": str(home), "OPENAI_API_KEY": "sk-local",
               "OPENAI_BASE_URL": url}
        env.pop("PAPERSIEVE_MODEL", None)
        args = [papersieve, "run", "--offline", str(Path(tmp) / "day"), "--date", DAY,
                "--no-deliver", "--out", str(Path(tmp) / "out")]
        if not title_stage:
            args.append("--no-title-stage")
        started = time.monotonic()
        try:
            done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=limit)
            exit_code: object = done.returncode
            tail = (done.stdout + done.stderr).strip().splitlines()[-3:]
        except subprocess.TimeoutExpired:
            exit_code, tail = f"killed after {limit:g} s", []
        wall = time.monotonic() - started
        return {"papers": papers, "title_stage": title_stage, "wall_s": round(wall, 1),
                "exit": exit_code, **_from_store(home), "tail": tail}


def _from_store(home: Path) -> dict[str, object]:
    found = list(home.rglob("*.db"))
    if not found:
        return {"calls": 0}
    conn = sqlite3.connect(found[0])
    calls = conn.execute("SELECT status, COUNT(*) FROM llm_calls GROUP BY status").fetchall()
    outcomes = Counter(dict(conn.execute(
        "SELECT outcome, COUNT(*) FROM judgements WHERE stage = 'abstract' GROUP BY outcome").fetchall()))
    total = sum(outcomes.values())
    judged = outcomes.get("judged", 0)
    return {"calls": sum(n for _, n in calls), "calls_by_status": dict(calls),
            "outcomes": dict(outcomes),
            "failed_share": round(1 - judged / total, 2) if total else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:18091/v1")
    parser.add_argument("--papers", type=int, nargs="+", default=[8, 24])
    parser.add_argument("--papersieve", default=str(REPO / ".venv" / "bin" / "papersieve"))
    parser.add_argument("--title-stage", action="store_true")
    parser.add_argument("--limit", type=float, default=1800.0, help="seconds before a run is killed")
    args = parser.parse_args()
    for n in args.papers:
        print(json.dumps(measure(args.papersieve, args.url, n, args.title_stage, args.limit)), flush=True)


if __name__ == "__main__":
    main()
