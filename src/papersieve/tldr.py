"""A paper's TL;DR: what it does and finds, in at most `MAX_WORDS` words.

Two kinds: `llm` (the LLM judge wrote it in the same call as its scores, `[outputs] tldr`) and
`extractive` (the local judge picked the abstract's contribution sentence; every output says so).
"""

from __future__ import annotations

import re

MAX_WORDS = 30
CJK_CHARS_PER_WORD = 2
"""Chinese and Japanese are written without spaces: 30 words are taken as 60 characters."""
LLM = "llm"
EXTRACTIVE = "extractive"
ELLIPSIS = "…"

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
_CJK_BREAK = "，。、；：！？,.;:!? "


def cut_words(text: str, limit: int = MAX_WORDS) -> str:
    """`text` on one line, cut at a word boundary to at most `limit` words (an ellipsis marks a
    cut); text in a script without spaces is cut at `limit` x 2 characters, at a punctuation mark
    when one is near."""
    flat = " ".join(text.split())
    if len(_CJK.findall(flat)) > len(flat) // 3:
        return _cut_chars(flat, limit * CJK_CHARS_PER_WORD)
    words = flat.split(" ")
    if len(words) <= limit:
        return flat
    return " ".join(words[:limit]).rstrip(",;:") + ELLIPSIS


def _cut_chars(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    head = text[:limit]
    stop = max(head.rfind(c) for c in _CJK_BREAK)
    if stop >= limit // 2:
        head = head[: stop + 1]
    return head.rstrip("，、；：,;: ") + ELLIPSIS


def label(kind: str) -> str:
    """How an output names a TL;DR of this kind."""
    return "TL;DR (extractive)" if kind == EXTRACTIVE else "TL;DR"
