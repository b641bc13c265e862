"""A real day's Digest from data/: the day's cs.LG + cs.AI candidates (data/candidates) with
what the seed system's gpt-4o picked that day (data/labels/gpt4o-picks-dev.jsonl) as the picks,
every other candidate judged 3 / 3. Used to measure deliveries on real day sizes."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from papersieve.models import DayCounts, Digest, Judgement, Outcome, Paper, Pick, PromptText, Usage
from papersieve.sources.jsonl import paper_from_record, read_records

DATA = Path(__file__).resolve().parent.parent / "data"
LARGEST_DAY = "2025-05-27"
"""The labelled day with the most candidates (817) and the most picks (84)."""


def labelled_digest(date: str = LARGEST_DAY) -> Digest:
    """The Digest of one labelled day, as the LLM judge would have made it."""
    papers: dict[str, Paper] = {}
    for record in read_records(DATA / "candidates" / f"arxiv-{date}-cs.LG+cs.AI.jsonl"):
        paper = paper_from_record(record)
        papers.setdefault(paper.id, paper)
    labels = [json.loads(line) for line in (DATA / "labels" / "gpt4o-picks-dev.jsonl")
              .read_text("utf-8").splitlines() if line.strip()]
    picked = {r["id"]: r for r in labels if r["date"] == date and r["id"] in papers}
    judgements = tuple(
        Judgement(pid, Outcome.JUDGED, "llm", "gpt-4o", "h",
                  float(picked[pid]["relevance"]) if pid in picked else 3.0,
                  float(picked[pid]["novelty"]) if pid in picked else 3.0,
                  str(picked[pid]["comment"]) if pid in picked else "Not related to the topics.")
        for pid in papers)
    by_id = {j.paper_id: j for j in judgements}
    picks = tuple(Pick(papers[pid], by_id[pid]) for pid in picked)
    return Digest(dt.date.fromisoformat(date), "gpt-4o", DayCounts(len(papers), len(papers),
                  len(papers), len(picks)), Usage(100_000, 10_000, 0, 0.25, 0.1), picks,
                  PromptText("system", "user"), judgements, papers, profile="me")
