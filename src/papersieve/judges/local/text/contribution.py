"""The abstract's sentence that states the paper's contribution (what it does), for the local
judge's extractive TL;DR.

Each sentence is scored by cue phrases the way abstracts are written: "we propose", "in this
paper", "we show" state the contribution; "however", "recent", "remains a challenge" set out the
background; a sentence that shares the title's stems (the local judge's word features) more likely
names the paper's own method. The best sentence wins; ties go to the earlier one. The first sentence
counts a little less: abstracts open with the background far more often than with the contribution
(bench/tldr_labels.jsonl, measured in bench/RESULTS.md).
"""

from __future__ import annotations

import re

from papersieve.judges.local.text.sentences import split_sentences
from papersieve.judges.local.text.words import stems

_STRONG = re.compile(
    r"\b(we|this (paper|work|study|article|letter)|in this (paper|work|study)|here,? we|our "
    r"(work|paper)) (\w+ )?(propose|present|introduce|develop|design|describe|formulate|put forward"
    r"|contribute|offer|devise|construct|build|establish|derive|prove|provide|release|create"
    r"|address|tackle|study|investigate|explore|examine|analy[sz]e|consider|report|demonstrate"
    r"|show|find|argue|frame|extend|leverage|apply|adapt|benchmark|revisit|identify|use|focus)",
    re.IGNORECASE)
_MEDIUM = re.compile(
    r"\b(we|this paper|this work|our (method|approach|framework|model|system|algorithm|results?"
    r"|analysis|experiments?))\b|\b(called|named|dubbed|termed|coined)\b|\bnovel\b|\bto this end\b"
    r"|\bto address (this|these)\b|\bin this (paper|work)\b",
    re.IGNORECASE)
_BACKGROUND = re.compile(
    r"\b(however|recent(ly)?|has been|have been|remains?|challeng\w*|existing|despite|although"
    r"|while|widely|limited|limitations?|suffers?|lacks?|typically|often|traditional(ly)?"
    r"|conventional(ly)?|increasingly|crucial|essential|important|prior (work|methods))\b",
    re.IGNORECASE)
_RESULT = re.compile(r"\b(experiments?|results?|outperform\w*|achiev\w*|state-of-the-art|sota)\b",
                     re.IGNORECASE)


def contribution_sentence(title: str, abstract: str) -> str:
    """The sentence of `abstract` that best states what the paper does ("" for no abstract)."""
    sentences = split_sentences(abstract)
    if not sentences:
        return ""
    title_stems = set(stems(title))
    scored = [(_score(s, i, title_stems), -i, s) for i, s in enumerate(sentences)]
    return max(scored)[2]


def _score(sentence: str, position: int, title_stems: set[str]) -> float:
    score = 0.0
    if _STRONG.search(sentence):
        score += 3.0
    elif _MEDIUM.search(sentence):
        score += 1.5
    score -= 0.75 * min(len(_BACKGROUND.findall(sentence)), 2)
    if _RESULT.search(sentence):
        score += 0.25
    words = set(stems(sentence))
    if title_stems and words:
        score += 1.5 * len(words & title_stems) / len(title_stems)
    if position == 0:
        score -= 0.5
    return score
