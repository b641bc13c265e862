"""Small formatting rules shared by every renderer (scores, dollars, absent values)."""

from __future__ import annotations

from collections.abc import Callable

from papersieve.language import direction
from papersieve.models import Digest, Judgement
from papersieve.tldr import EXTRACTIVE
from papersieve.tldr import label as tldr_label

LOCAL_JUDGES = frozenset({"local"})


def dollars(value: float | None) -> str:
    """The seed's dollars: `$` + Python's `round(x, 2)` as printed ($0.07, $0.3, $0.0).

    An unknown price is "unknown", never $0.
    """
    if value is None:
        return "unknown"
    return f"${round(value, 2)}"


def score(value: float | None) -> str:
    """A score as the seed prints it: whole numbers without a decimal point."""
    if value is None:
        return "n/a"
    return str(int(value)) if float(value).is_integer() else str(value)


def novelty_text(judgement: Judgement) -> str:
    """The novelty score, or why there is none (the local judge cannot score novelty)."""
    if judgement.novelty is not None:
        return score(judgement.novelty)
    if judgement.judge in LOCAL_JUDGES:
        return "n/a (local judge)"
    return "n/a"


def lang_attrs(tag: str) -> dict[str, str]:
    """`lang` and `dir` of a text the judge wrote in language `tag` ({} for the page's own)."""
    return {"lang": tag, "dir": direction(tag)} if tag else {}


def tldr_view(tldr: str, kind: str, language: str) -> dict[str, str]:
    """What a page shows of a TL;DR: its text, its label (extractive ones say so) and its language
    (an extractive TL;DR is the abstract's English sentence, whatever the profile's language)."""
    if not tldr:
        return {"text": "", "label": "", "lang": "", "dir": ""}
    tag = "" if kind == EXTRACTIVE else language
    return {"text": tldr, "label": tldr_label(kind), "lang": tag,
            "dir": lang_attrs(tag).get("dir", "")}


def total_cost(digest: Digest) -> float | None:
    """The run's dollars, or None when any price is unknown."""
    return digest.usage.cost


def title_line(digest: Digest) -> str:
    """The seed's title, with the listing date."""
    return f"Personalized Daily ArXiv Papers {digest.date.isoformat()}"


def fit_escaped(text: str, limit: int, escape: Callable[[str], str],
                measure: Callable[[str], int] = len) -> str:
    """`text` escaped, at most `limit` long by `measure`: cut before escaping (ending with … when
    cut), so that an entity such as `&amp;` is never split. One cut for every chat's markup."""
    escaped = escape(text)
    if measure(escaped) <= limit:
        return escaped
    low, high = 0, min(len(text), limit)  # the longest prefix whose escaped form fits
    while low < high:
        middle = (low + high + 1) // 2
        if measure(escape(text[:middle])) <= limit - 1:
            low = middle
        else:
            high = middle - 1
    return escape(text[:low]) + "…"
