"""The email's body: the picks only (title, authors, scores, the one-line reason) and a link to
the full day, in HTML and in plain text.

The day's page holds every candidate and the abstracts: as an email it was 102-290 KB on real
days, and Gmail clips a message past 102 KB. deliver/email.py keeps the message under its size
limit; a day with so many picks that they do not fit ends with "...and N more".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from papersieve.language import direction
from papersieve.models import Digest, Pick
from papersieve.render.html import environment
from papersieve.render.text import novelty_text, score, title_line, tldr_view

MAX_AUTHORS = 6
MAX_COMMENT = 400


@dataclass(frozen=True)
class EmailBody:
    """The two parts of the email, and how many picks they leave to the day's page."""

    text: str
    html: str
    more: int = 0


def email_body(digest: Digest, page_url: str = "", keep: int | None = None,
               unsubscribe: str = "") -> EmailBody:
    """The body with the first `keep` picks (default all); the rest are named as "...and N more".
    `unsubscribe`: the reader's own unsubscribe link, at the end (deliver/unsubscribe.py)."""
    return _render(digest, page_url, len(digest.picks) if keep is None else max(keep, 0),
                   unsubscribe)


def _render(digest: Digest, page_url: str, keep: int, unsubscribe: str = "") -> EmailBody:
    picks = [_view(p) for p in digest.picks[:keep]]
    more = len(digest.picks) - len(picks)
    html = environment().get_template("email.html").render(
        title=title_line(digest), picks=picks, more=more, candidates=len(digest.judgements),
        judge=digest.judge, model=digest.model, notes=digest.notes, page_url=page_url,
        unsubscribe=unsubscribe)
    text = _text(digest, picks, more, page_url)
    if unsubscribe:
        text += f"\nUnsubscribe from these emails: {unsubscribe}\n"
    return EmailBody(text, html, more)


def _view(pick: Pick) -> dict[str, Any]:
    paper, j = pick.paper, pick.judgement
    authors = ", ".join(paper.authors[:MAX_AUTHORS])
    if len(paper.authors) > MAX_AUTHORS:
        authors += f" and {len(paper.authors) - MAX_AUTHORS} more"
    comment = j.comment if len(j.comment) <= MAX_COMMENT else j.comment[:MAX_COMMENT - 1] + "…"
    return {"url": paper.abs_url, "title": paper.title, "authors": authors, "comment": comment,
            "relevance": score(j.relevance), "novelty": novelty_text(j), "pinned": pick.pinned,
            "lang": j.language, "dir": direction(j.language),
            "tldr": tldr_view(j.tldr, j.tldr_kind, j.language)}


def _text(digest: Digest, picks: Sequence[dict[str, Any]], more: int, page_url: str) -> str:
    lines = [title_line(digest), "",
             f"{len(picks) + more} {'pick' if len(picks) + more == 1 else 'picks'} of"
             f" {len(digest.judgements)} candidates"
             f" · {digest.judge} judge ({digest.model})"]
    if page_url:
        lines.append(f"The full day: {page_url}")
    lines += [f"Note: {note}" for note in digest.notes]
    if not picks:
        lines += ["", "No paper passed the cutoffs today."]
    for i, p in enumerate(picks, 1):
        lines += ["", f"{i}. {p['title']}" + (" (pinned author)" if p["pinned"] else ""),
                  f"   {p['url']}", f"   {p['authors']}",
                  f"   Relevance {p['relevance']} · Novelty {p['novelty']}"]
        if p["tldr"]["text"]:
            lines.append(f"   {p['tldr']['label']}: {p['tldr']['text']}")
        if p["comment"]:
            lines.append(f"   {p['comment']}")
    if more:
        lines += ["", f"…and {more} more" + (f": {page_url}" if page_url else ".")]
    return "\n".join(lines) + "\n"
