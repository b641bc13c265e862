"""HTML pages: one per day and the archive (index by month, a page per month), from the JSON
digest dicts. Jinja2 with autoescaping; CSS inline; no request leaves the page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from papersieve.language import direction
from papersieve.render.day_summary import DaySummary, as_summary
from papersieve.render.paths import FEED_NAME, KATEX_SITE_DIR, relative_day_link
from papersieve.render.text import dollars, tldr_view

KATEX = Path(__file__).resolve().parent.parent / "data" / "katex"
"""KaTeX, vendored (its README.md): a site gets a copy in KATEX_SITE_DIR."""


def katex_files() -> list[Path]:
    """Every vendored KaTeX file a site needs, relative to `KATEX`."""
    return sorted(p.relative_to(KATEX) for p in KATEX.rglob("*") if p.is_file() and p.name != "README.md")


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The template environment (autoescape on for every template)."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("papersieve", "render/templates"),
        autoescape=True, trim_blocks=False, keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )


def render_day_html(day: dict[str, Any], root: str = "../", *, nav: bool = True) -> str:
    """A day's page from its JSON dict; `root` is the path from the page to the site root.

    `nav` False leaves out the site links (for an email, which has no site around it).
    """
    candidates = day["candidates"]
    by_id = {c["id"]: c for c in candidates}
    picks = [_pick_view(by_id[pid], day["judge"]) for pid in day["picks"] if pid in by_id]
    usage = day["usage"]
    return environment().get_template("day.html").render(
        title=f"Personalized Daily ArXiv Papers {day['date']}",
        root=root, nav=nav, feed_href=root + FEED_NAME, profile=day["profile"], judge=day["judge"],
        # TeX is rendered on a site page, where KaTeX sits beside it; an email keeps it as typed.
        katex_href=root + KATEX_SITE_DIR + "/" if nav else "",
        model=day["model"], notes=day.get("notes", []), picks=picks,
        candidates=len(candidates),
        usage={**usage, "prompt_cost": dollars(usage["prompt_cost"]),
               "completion_cost": dollars(usage["completion_cost"]),
               "cost": dollars(None if usage["cost"] is None else round(usage["cost"], 2))},
        counts={"total": day["counts"]["total"], "scanned": day["counts"]["scanned"],
                "unique": day["counts"]["deduplicated"]},
        outcomes=sorted(day["counts"]["outcomes"].items()),
        rows=[_row(c) for c in candidates],
    )


def _number(value: float | None) -> str:
    if value is None:
        return "–"
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def _pick_view(c: dict[str, Any], judge: str) -> dict[str, Any]:
    novelty = _number(c["novelty"])
    if c["novelty"] is None and c["judge"] == "local":
        novelty = "n/a (local judge)"
    language = c.get("language", "")
    return {"id": c["id"], "url": c["url"], "title": c["title"], "authors": ", ".join(c["authors"]),
            "abstract": c["abstract"], "comment": c["comment"], "pinned": c["pinned"],
            "code": c.get("code", []), "lang": language, "dir": direction(language),
            "tldr": tldr_view(c.get("tldr", ""), c.get("tldr_kind", ""), language),
            "relevance": _number(c["relevance"]), "novelty": novelty}


def _row(c: dict[str, Any]) -> dict[str, Any]:
    return {"url": c["url"], "title": c["title"] or c["id"], "outcome": c["outcome"],
            "relevance": _number(c["relevance"]), "novelty": _number(c["novelty"])}


def day_summary(day: dict[str, Any] | DaySummary, root: str = "") -> dict[str, Any]:
    """What the archive pages show of one day (a day JSON or its summary)."""
    summary = as_summary(day)
    date = dt.date.fromisoformat(summary.date)
    return {"date": summary.date, "href": root + relative_day_link(date),
            "relevant": len(summary.picks), "candidates": summary.candidates,
            "judge": summary.judge, "model": summary.model,
            "titles": [summary.picked[p]["title"] for p in summary.picks if p in summary.picked]}


def render_index_html(days: Sequence[dict[str, Any] | DaySummary], profile: str) -> str:
    """The archive: months, newest first, each with its days."""
    months: dict[str, list[dict[str, Any]]] = {}
    for day in days:
        summary = day_summary(day)
        months.setdefault(summary["date"][:7], []).append(summary)
    return environment().get_template("index.html").render(
        title=f"papersieve digests ({profile})", root="", nav=True, feed_href=FEED_NAME,
        months=[{"name": m, "href": f"{m}/index.html", "days": d} for m, d in months.items()],
    )


def render_group_index_html(members: Sequence[tuple[str, dict[str, Any] | None]]) -> str:
    """The root page of a group's site (`run --all --out DIR`): each member's folder, with her
    latest day when her site has one (`members`: name and latest day's JSON, or None)."""
    views = []
    for name, latest in members:
        view: dict[str, Any] = {"name": name, "href": f"{name}/index.html", "latest": ""}
        if latest is not None:
            summary = day_summary(latest, root=f"{name}/")
            view.update(latest=summary["date"], latest_href=summary["href"],
                        picks=summary["relevant"], candidates=summary["candidates"])
        views.append(view)
    return environment().get_template("group_index.html").render(
        title="papersieve digests of the group", root="", nav=False, members=views)


def render_month_html(month: str, days: Sequence[dict[str, Any] | DaySummary]) -> str:
    """A month's page: each day with its picks' titles."""
    return environment().get_template("month.html").render(
        title=f"Digests of {month}", root="../", nav=True, feed_href="../" + FEED_NAME,
        days=[day_summary(d, root="../") for d in days],
    )
