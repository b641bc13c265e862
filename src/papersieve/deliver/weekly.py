"""Write the weekly digest's files and send it to Slack and email (a weekly profile's one
delivery of the week, on its chosen weekday)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from papersieve.deliver import DeliveryResult
from papersieve.deliver.plain import attempt, send_text_email, send_text_slack
from papersieve.errors import DeliveryError
from papersieve.profile import Profile
from papersieve.render.text import score
from papersieve.render.weekly import render_weekly_json, render_weekly_markdown, weekly_title
from papersieve.store.db import Store
from papersieve.weekly import WeeklyDigest, build_weekly

MAX_SECTION = 3000
"""Slack's limit for one section's text."""


def weekly_paths(out_dir: Path, end: dt.date) -> tuple[Path, Path]:
    """`weekly/<end>.md` and `.json` under the profile's output folder."""
    folder = out_dir / "weekly"
    return folder / f"{end.isoformat()}.md", folder / f"{end.isoformat()}.json"


def write_weekly(week: WeeklyDigest, out_dir: Path) -> tuple[Path, Path]:
    """Write the Markdown and JSON files; a disk error is a DeliveryError naming the file."""
    md, js = weekly_paths(out_dir, week.end)
    try:
        md.parent.mkdir(parents=True, exist_ok=True)
        md.write_text(render_weekly_markdown(week), "utf-8")
        js.write_text(render_weekly_json(week), "utf-8")
    except OSError as err:
        raise DeliveryError(f"cannot write the weekly digest to {md.parent}: {err.strerror}") from err
    return md, js


def slack_texts(week: WeeklyDigest) -> list[str]:
    """The title message, then each topic's papers, packed under Slack's section limit."""
    from papersieve.deliver.slack import clip, escape, link

    texts = [f"*{escape(weekly_title(week))}*\n{len(week.picks)} papers picked on {len(week.days)} days"]
    for topic, picks in week.sections:
        lines = [f"*{escape(topic)}* ({len(picks)})"]
        for p in picks:
            j = p.pick.judgement
            lines.append(f"• {link(p.pick.paper.abs_url, p.pick.paper.title)} ({p.date.isoformat()},"
                         f" relevance {score(j.relevance)})")
        chunk = ""
        for line in lines:
            if chunk and len(chunk) + len(line) + 1 > MAX_SECTION:
                texts.append(chunk)
                chunk = ""
            chunk = f"{chunk}\n{line}" if chunk else clip(line, MAX_SECTION)
        texts.append(chunk)
    return texts


def send_weekly(week: WeeklyDigest, profile: Profile) -> list[DeliveryResult]:
    """Send to every enabled channel; a failure is a result, not an exception."""
    deliver = profile.settings.deliver
    results = []
    if deliver.slack.enabled:
        results.append(attempt("slack", lambda: send_text_slack(slack_texts(week), deliver.slack.channel)))
    if deliver.email.enabled:
        results.append(attempt("email", lambda: send_text_email(
            weekly_title(week), render_weekly_markdown(week), deliver.email)))
    return [DeliveryResult(f"weekly {r.channel}", r.status, r.detail) for r in results]


def weekly_rollup(store: Store, profile: Profile, end: dt.date, out_dir: Path, *, send: bool,
                  record_run: int | None = None,
                  say: Callable[[str], None] = lambda _m: None) -> tuple[WeeklyDigest, list[DeliveryResult]]:
    """Build the week ending on `end`, write its files, send it when `send`; results recorded
    with `record_run` (the day's run) when given."""
    from papersieve.deliver.run import record_delivery

    week = build_weekly(store, profile, end)
    md, _ = write_weekly(week, out_dir)
    say(f"weekly digest {week.start} to {week.end}: {len(week.picks)} papers, {md}")
    results = [DeliveryResult("weekly files", "ok", str(md))]
    if send:
        from papersieve.deliver.run import subscribed_profile

        results += send_weekly(week, subscribed_profile(store, profile))
    if record_run is not None:
        for result in results:
            record_delivery(store, record_run, result)
    return week, results
