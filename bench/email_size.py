"""Bytes of the digest email on the largest real day in data/ (2025-05-27: 817 candidates, 84
picks by the seed system's gpt-4o), before and after the slim body.

Before: the Markdown digest as the plain part and the day's whole page (every candidate) as the
HTML part. After: render/email_body.py (the picks, a link to the full day). Gmail clips a message
past 102 KB. Prints each part's size and the whole message's (as sent, MIME-encoded).

Run: .venv/bin/python bench/email_size.py
"""

from __future__ import annotations

import sys
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.labelled_digest import LARGEST_DAY, labelled_digest

from papersieve.deliver.email import build_message
from papersieve.profile.settings import EmailSettings
from papersieve.render.html import render_day_html
from papersieve.render.json_out import digest_dict
from papersieve.render.markdown import render_markdown


def main() -> None:
    digest = labelled_digest()
    settings = EmailSettings(enabled=True, host="127.0.0.1", sender="me@example.org", to=("you@example.org",))
    old = EmailMessage()
    old.set_content(render_markdown(digest) + "\n")
    old.add_alternative(render_day_html(digest_dict(digest), root="", nav=False), subtype="html")
    new = build_message(digest, settings, f"https://me.github.io/papers/2025-05/{LARGEST_DAY}.html")
    print(f"day {LARGEST_DAY}: {len(digest.judgements)} candidates, {len(digest.picks)} picks")
    for name, message in (("before", old), ("after", new)):
        parts = {p.get_content_type(): len(p.get_content().encode()) for p in message.iter_parts()}
        print(f"{name}: plain {parts['text/plain'] / 1000:.1f} KB, html {parts['text/html'] / 1000:.1f} KB,"
              f" message as sent {len(message.as_bytes()) / 1000:.1f} KB")


if __name__ == "__main__":
    main()
