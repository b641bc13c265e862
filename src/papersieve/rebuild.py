"""A store rebuilt from a published site, after the store itself was lost (an evicted cache).

Each day's JSON (`YYYY-MM/YYYY-MM-DD.json`) holds every candidate with its outcome, scores,
comment, judge and model, and the paper's title, abstract, authors and categories. Read back as
a finished run, it gives the local ranker the LLM's past verdicts to learn from, the cross-day
"seen before" its papers, the catch-up its newest day, and a rerun of the day its judgement cache
(same judge, model, prompt hash and paper text: no new LLM call).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from papersieve.digests import save_run_details
from papersieve.errors import ConfigError
from papersieve.models import DayCounts, Judgement, Outcome, PromptText, Usage
from papersieve.render.day_files import Warn, read_days
from papersieve.sources.jsonl import paper_from_record
from papersieve.store.db import Store
from papersieve.store.judgements import save_judgements
from papersieve.store.papers import upsert_papers
from papersieve.store.runs import finish_run, record_outcomes, start_run

FORMAT = "papersieve-digest/1"
REBUILT = "rebuilt from the site's JSON"


def rebuild_from_site(store: Store, site: Path, warn: Warn | None = None) -> list[tuple[str, dt.date]]:
    """Record every day of `site` that the store has no finished run of; oldest first.

    Returns the (profile, date) pairs added. A file that is not a papersieve day is skipped.
    """
    if not site.is_dir():
        raise ConfigError("no such site folder", path=str(site))
    added = []
    for day in reversed(read_days(site, warn or (lambda _: None))):
        if day.get("format") != FORMAT:
            continue
        date = dt.date.fromisoformat(day["date"])
        profile = str(day.get("profile") or "default")
        if _finished(store, profile, date) or not _valid(day):
            continue
        _record_day(store, profile, date, day)
        added.append((profile, date))
    return added


def _valid(day: dict[str, Any]) -> bool:
    """Every candidate has an id, a title and a known outcome (else the day is left out)."""
    outcomes = {o.value for o in Outcome}
    candidates = day.get("candidates")
    return isinstance(candidates, list) and all(
        isinstance(c, dict) and c.get("id") and isinstance(c.get("title"), str)
        and c.get("outcome") in outcomes for c in candidates)


def _finished(store: Store, profile: str, date: dt.date) -> bool:
    row = store.conn.execute(
        "SELECT 1 FROM runs WHERE profile = ? AND date = ? AND status = 'done' LIMIT 1",
        (profile, date.isoformat())).fetchone()
    return row is not None


def _record_day(store: Store, profile: str, date: dt.date, day: dict[str, Any]) -> None:
    candidates: list[dict[str, Any]] = day["candidates"]
    papers = {str(c["id"]): paper_from_record(c) for c in candidates}
    upsert_papers(store, papers.values(), listed_on=date.isoformat())
    prompt_hash = str(day.get("prompt_hash") or "")
    run_id = start_run(store, profile, date, str(day.get("judge") or ""), str(day.get("model") or ""),
                       prompt_hash)
    outcomes = []
    for c in candidates:
        outcome = Outcome(c["outcome"])
        verdict = Judgement(str(c["id"]), outcome, str(c.get("judge") or ""), str(c.get("model") or ""),
                            prompt_hash, c.get("relevance"), c.get("novelty"),
                            str(c.get("comment") or ""), str(c.get("detail") or ""),
                            str(c.get("tldr") or ""), str(c.get("tldr_kind") or ""),
                            str(c.get("language") or ""))
        [judgement_id] = save_judgements(store, [verdict], papers, run_id, _stage(verdict))
        outcomes.append((verdict.paper_id, outcome, judgement_id, bool(c.get("picked")), c.get("rank")))
    record_outcomes(store, run_id, outcomes)
    counts = day.get("counts") or {}
    usage = _usage(day.get("usage") or {})
    finish_run(store, run_id, "done", DayCounts(int(counts.get("total", 0)), int(counts.get("scanned", 0)),
                                                int(counts.get("deduplicated", 0)),
                                                int(counts.get("relevant", 0))),
               usage, message=REBUILT)
    prompt = day.get("prompt") or {}
    text = PromptText(str(prompt.get("system") or ""), str(prompt.get("user") or "")) if prompt else None
    save_run_details(store, run_id, usage, text, [*day.get("notes", []), REBUILT], "")


def _usage(data: dict[str, Any]) -> Usage:
    """The day's tokens and dollars, so that a rerun's digest shows what the day cost."""
    def cost(key: str) -> float | None:
        value = data.get(key, 0.0)
        return None if value is None else float(value)

    return Usage(int(data.get("prompt_tokens", 0)), int(data.get("completion_tokens", 0)),
                 int(data.get("cached_tokens", 0)), cost("prompt_cost"), cost("completion_cost"))


def _stage(verdict: Judgement) -> str:
    """The LLM stage a verdict came from, as the judge records it (the local ranker's labels)."""
    if verdict.judge != "llm":
        return ""
    if verdict.outcome is Outcome.FILTERED_TITLE:
        return "title"
    return "abstract" if verdict.outcome is Outcome.JUDGED else ""
