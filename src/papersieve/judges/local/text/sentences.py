"""Sentences of an abstract, split where a sentence ends and nowhere else.

Not boundaries: abbreviations (`e.g.`, `i.e.`, `et al.`, `vs.`, `Fig.`, initials), decimals
(`3.5`), versions and ids (`v2.1`, `2507.01335`), and anything inside TeX math (`$O(n \\log n)$`,
`\\(..\\)`, `\\[..\\]`) or braces. A boundary is `.`, `!` or `?` (closing quotes and brackets
allowed) followed by white space and a sentence-like start (not a lower-case letter).
pysbd was tried first: 8 ms an abstract, and it dropped `$O` from `$O(n \\log n)$`.
"""

from __future__ import annotations

import re

_MATH = re.compile(r"\$\$.+?\$\$|\$[^$]+\$|\\\(.+?\\\)|\\\[.+?\\\]|\{[^{}]*\}", re.DOTALL)
_ABBREVIATIONS = frozenset({
    "e.g", "i.e", "et al", "al", "vs", "cf", "fig", "figs", "eq", "eqs", "sec", "ref", "refs",
    "resp", "approx", "dr", "prof", "vol", "viz", "i.i.d", "w.r.t", "a.k.a", "mr", "ms", "jr",
    "inc", "ltd",
})
_END = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s+[^\sa-z])")
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)\.$")
_ENUMERATOR = re.compile(r"(?:^|[;:,(]\s*)\(?\d{1,2}\.$")
_HIDDEN = "\x00"


def split_sentences(text: str) -> list[str]:
    """The sentences of `text`, each stripped, in order (nothing of the text is lost or changed
    but the white space between sentences)."""
    flat = " ".join(text.split())
    masked = _MATH.sub(lambda m: m.group(0).replace(".", _HIDDEN).replace("!", _HIDDEN)
                       .replace("?", _HIDDEN), flat)
    out: list[str] = []
    start = 0
    for match in _END.finditer(masked):
        if _abbreviation(masked[start:match.end()]):
            continue
        out.append(flat[start:match.end()].strip())
        start = match.end()
    tail = flat[start:].strip()
    if tail:
        out.append(tail)
    return [s for s in out if s]


def _abbreviation(upto: str) -> bool:
    """True when the period that ends `upto` belongs to an abbreviation, an initial or a list
    number ("1. MLP; 2. Random Forest")."""
    if not upto.endswith("."):
        return False
    if _ENUMERATOR.search(upto.strip()):  # a list's "1." or "; 2.", not an end
        return True
    found = _WORD_BEFORE.search(upto)
    if found is None:
        return False
    word = found.group(1)
    if len(word) == 1 and word.isupper():  # an initial: "J. Smith"
        return True
    return word.lower().rstrip(".") in _ABBREVIATIONS or word.lower() in _ABBREVIATIONS
