"""The weekly digest as Markdown (also the email's text) and JSON."""

from __future__ import annotations

import json
from typing import Any

from papersieve.ids import is_doi
from papersieve.render.text import novelty_text, score, tldr_view
from papersieve.tldr import LLM
from papersieve.weekly import WeeklyDigest, WeeklyPick


def weekly_title(week: WeeklyDigest) -> str:
    """`Weekly digest <profile>, <start> to <end>`."""
    return f"Weekly digest {week.profile}, {week.start.isoformat()} to {week.end.isoformat()}"


def render_weekly_markdown(week: WeeklyDigest) -> str:
    """Title, counts, then one section per topic with its papers."""
    days = len(week.days)
    lines = [f"# {weekly_title(week)}", "",
             f"{len(week.picks)} papers picked on {days} day{'s' if days != 1 else ''} of the week."]
    if not week.picks:
        lines += ["", "Nothing was picked this week."]
    for topic, picks in week.sections:
        lines += ["", f"## {topic} ({len(picks)})"]
        for p in picks:
            lines += ["", _entry(p)]
    return "\n".join(lines) + "\n"


def _entry(p: WeeklyPick) -> str:
    paper, judgement = p.pick.paper, p.pick.judgement
    label = "DOI" if is_doi(paper.id) else "arXiv"
    head = (f"- [{paper.title}]({paper.abs_url}) ({p.date.isoformat()}, {label} {paper.id})\n"
            f"  Relevance {score(judgement.relevance)}, novelty {novelty_text(judgement)}"
            + "".join(f" · [code]({url})" for url in paper.code_links))
    tldr = tldr_view(judgement.tldr, judgement.tldr_kind, judgement.language)
    return (head + (f"\n  {judgement.comment}" if judgement.comment else "")
            + (f"\n  {tldr['label']}: {tldr['text']}" if tldr["text"] else ""))


def weekly_dict(week: WeeklyDigest) -> dict[str, Any]:
    """Everything in the weekly digest, as plain data."""
    return {
        "profile": week.profile, "start": week.start.isoformat(), "end": week.end.isoformat(),
        "days": [d.isoformat() for d in week.days],
        "sections": [{"topic": topic, "papers": [_paper(p) for p in picks]}
                     for topic, picks in week.sections],
    }


def _paper(p: WeeklyPick) -> dict[str, Any]:
    paper, judgement = p.pick.paper, p.pick.judgement
    return {"id": paper.id, "date": p.date.isoformat(), "title": paper.title, "url": paper.abs_url,
            "authors": list(paper.authors), "relevance": judgement.relevance,
            "novelty": judgement.novelty, "comment": judgement.comment,
            **({"tldr": judgement.tldr, "tldr_kind": judgement.tldr_kind or LLM} if judgement.tldr else {}),
            "code": list(paper.code_links), "topic_from": p.matched_by}


def render_weekly_json(week: WeeklyDigest) -> str:
    """The JSON file."""
    return json.dumps(weekly_dict(week), ensure_ascii=False, indent=2) + "\n"
