"""The group bench's inputs: a day of ~1,000 real papers and N profiles with varied topics.

The day: the real listings of 2025-07-01 and 2025-07-02 (`/work/shared/data/realworld`,
`arxiv-<date>-<category>.jsonl` for cs.LG, cs.AI, cs.CL, cs.CV, stat.ML; see that folder's README
for their sources) merged per category into one day dated 2025-07-02: 1,013 distinct papers.

The profiles: one per arXiv category of `src/papersieve/data/categories.txt`, its topics written by
`papersieve init --field` from `data/field-descriptions.toml`, then variants mixing two categories'
topics, until N. Every profile reads the day's five categories, so each judges the whole day
(the issue's 1,000 profiles x 1,000 papers); `own_categories=True` gives each profile its own
field's categories instead (then most profiles have no paper that day).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path

REALWORLD = Path(os.environ.get("PAPERSIEVE_REALWORLD", "/work/shared/data/realworld"))
DAY = dt.date(2025, 7, 2)
SOURCE_DAYS = ("2025-07-01", "2025-07-02")
CATEGORIES = ("cs.LG", "cs.AI", "cs.CL", "cs.CV", "stat.ML")
REPO = Path(__file__).resolve().parent.parent


def build_day(folder: Path) -> int:
    """Write arxiv-2025-07-02-<category>.jsonl files merging the two source days; returns the
    number of distinct papers."""
    folder.mkdir(parents=True, exist_ok=True)
    seen: set[str] = set()
    for category in CATEGORIES:
        lines: list[str] = []
        ids: set[str] = set()
        for day in SOURCE_DAYS:
            for line in (REALWORLD / f"arxiv-{day}-{category}.jsonl").read_text("utf-8").splitlines():
                if not line.strip():
                    continue
                paper_id = json.loads(line)["id"]
                if paper_id not in ids:
                    ids.add(paper_id)
                    lines.append(line)
        seen |= ids
        (folder / f"arxiv-{DAY.isoformat()}-{category}.jsonl").write_text("\n".join(lines) + "\n",
                                                                         "utf-8")
    return len(seen)


def categories() -> list[str]:
    """Every category (not archive) of the shipped taxonomy list that has a description."""
    from papersieve.profile.fields import descriptions

    text = (REPO / "src" / "papersieve" / "data" / "categories.txt").read_text("utf-8")
    known = descriptions()
    return [c for c in (line.strip() for line in text.splitlines())
            if c and not c.startswith("#") and "." in c and c in known]


def _topic_lines(topics: str) -> list[str]:
    """The numbered topic blocks of a field template's topics text."""
    body = topics.split("**Keywords:**")[0]
    return [block.strip() for block in re.split(r"\n\s*\n", body) if re.match(r"^\d+\.", block.strip())]


def _mixed(first: str, second: str) -> str:
    """One topics text holding both fields' topics (renumbered) and both keyword lists."""
    from papersieve.profile.fields import field_template

    a, b = field_template(first).topics, field_template(second).topics
    blocks = [*_topic_lines(a), *_topic_lines(b)]
    numbered = [re.sub(r"^\d+\.", f"{i}.", block) for i, block in enumerate(blocks, 1)]
    keywords = [line for text in (a, b) for line in text.splitlines() if line.startswith("- Relevant")]
    relevant = ", ".join(k.removeprefix("- Relevant: ").removesuffix(", etc.") for k in keywords)
    head = a.split("1.")[0]
    return head + "\n\n".join(numbered) + f"\n\n**Keywords:**\n\n- Relevant: {relevant}, etc.\n"


def profile_topics(n: int) -> list[tuple[str, str, tuple[str, ...]]]:
    """(name, topics text, the field's categories) for n profiles: one per category, then
    pairs of categories (i, i + k) for k = 1, 2, ..."""
    from papersieve.profile.fields import field_template

    cats = categories()
    out: list[tuple[str, str, tuple[str, ...]]] = []
    for cat in cats[:n]:
        out.append((f"p-{cat}", field_template(cat).topics, (cat,)))
    step = 1
    while len(out) < n:
        for i, cat in enumerate(cats):
            if len(out) >= n:
                break
            other = cats[(i + step) % len(cats)]
            out.append((f"p-{cat}-and-{other}", _mixed(cat, other), (cat, other)))
        step += 1
    return out
