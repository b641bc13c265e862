"""BERT's uncased WordPiece split (the vocabulary of all-MiniLM-L6-v2), without a tokenizer library.

Lower-case, accents stripped, words split on white space and punctuation, then each word cut
greedily into the longest pieces the vocabulary holds ("##" marks a piece inside a word). A word
that cannot be cut is dropped (BERT would give [UNK], which carries no meaning here). This is the
split Hugging Face's `BertTokenizer(do_lower_case=True)` makes, minus CJK handling.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping

MAX_WORD = 100
"""Longer words are dropped, as BERT's tokenizer does."""

_SPLIT = re.compile(r"\w+|[^\w\s]", re.UNICODE)


def _normalise(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


def _pieces(word: str, vocabulary: Mapping[str, int]) -> tuple[int, ...]:
    """The word's pieces (longest first match), or () when some part has no piece."""
    if len(word) > MAX_WORD:
        return ()
    found: list[int] = []
    start = 0
    while start < len(word):
        end = len(word)
        while end > start:
            piece = word[start:end] if start == 0 else "##" + word[start:end]
            index = vocabulary.get(piece)
            if index is not None:
                found.append(index)
                break
            end -= 1
        if end == start:
            return ()
        start = end
    return tuple(found)


def wordpiece_ids(vocabulary: Mapping[str, int]) -> Callable[[str], list[int]]:
    """A function: text -> the vocabulary indices of its pieces (each word's cut is cached)."""
    cache: dict[str, tuple[int, ...]] = {}

    def ids(text: str) -> list[int]:
        out: list[int] = []
        for word in _SPLIT.findall(_normalise(text)):
            cut = cache.get(word)
            if cut is None:
                if len(cache) > 500_000:
                    cache.clear()
                cut = cache[word] = _pieces(word, vocabulary)
            out.extend(cut)
        return out

    return ids
