"""Read a profile's topics text into weighted terms for the cold-start scorer.

The default topics.txt (the seed system's) has numbered topics, each with a "Relevant:" and an
"Irrelevant:" line, then a keyword block with "Relevant", "Irrelevant" and "Application" lists.
Any other text still works: unstructured lines count as relevant descriptions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from papersieve.judges.local.text.words import stem_text

_TOPIC = re.compile(r"^\s*\d+[.)]\s*(?P<name>.+?)\s*$")
_LABELLED = re.compile(r"^\s*[-*]?\s*(?P<kind>relevant|irrelevant|application)s?\s*:\s*(?P<text>.*)$", re.I)
_STOP = frozenset({
    "a", "an", "and", "or", "the", "of", "for", "to", "in", "on", "with", "by", "as", "at", "from",
    "into", "like", "etc", "e", "g", "eg", "i", "ie", "other", "new", "existing", "certain", "task",
    "tasks", "without", "lacking", "their", "them", "themselves", "work", "research",
})


_STEMMED_STOP = frozenset(stem_text(" ".join(_STOP)).split())


@dataclass(frozen=True)
class Term:
    """A stemmed phrase and what it says about a paper that contains it."""

    phrase: str
    """Stemmed words joined by spaces."""
    kind: str
    """relevant, irrelevant or application."""
    topic: str
    """The topic it came from ('' for the keyword block)."""
    text: str
    """The phrase as written in the profile (for comments)."""


@dataclass(frozen=True)
class Topic:
    """One numbered topic with its relevant and irrelevant descriptions."""

    name: str
    relevant: str
    irrelevant: str


@dataclass(frozen=True)
class TopicTerms:
    """Everything the cold-start scorer reads from the topics text."""

    topics: tuple[Topic, ...]
    terms: tuple[Term, ...]


def parse_topics(text: str) -> TopicTerms:
    """Topics with their descriptions, and the key phrases of every labelled line."""
    topics: list[Topic] = []
    terms: list[Term] = []
    current: dict[str, str] | None = None
    for raw in text.splitlines():
        line = raw.strip().strip("*").strip()
        heading = _TOPIC.match(line)
        labelled = _LABELLED.match(line)
        if heading and not labelled:
            current = {"name": heading.group("name").strip("*: "), "relevant": "", "irrelevant": ""}
            topics.append(Topic(current["name"], "", ""))
            terms.extend(_phrases(current["name"], "relevant", current["name"]))
            continue
        if labelled:
            kind = labelled.group("kind").lower()
            topic = current["name"] if current is not None and "keyword" not in text_before(text, raw) else ""
            terms.extend(_phrases(labelled.group("text"), kind, topic))
            if current is not None and topic and kind in ("relevant", "irrelevant"):
                current[kind] = (current[kind] + " " + labelled.group("text")).strip()
                topics[-1] = Topic(current["name"], current["relevant"], current["irrelevant"])
        elif line.lower().startswith("keyword"):
            current = None
    if not terms:
        # Free text with no structure: every line describes what is relevant.
        for raw in text.splitlines():
            line = raw.strip("#*-> \t")
            terms.extend(_phrases(line, "relevant", ""))
            terms.extend(t for part in name_parts(line) for t in _phrases(part, "relevant", ""))
    for named in topics:
        if not named.relevant:
            # A topic known by its name alone: its parts are key phrases too.
            terms.extend(t for part in name_parts(named.name) for t in _phrases(part, "relevant", named.name))
    return TopicTerms(tuple(topics), tuple(_dedupe(terms + acronym_variants(terms, text))))


ACRONYMS: tuple[tuple[str, str], ...] = (
    ("MLLM", "multimodal large language model"), ("LLM", "large language model"),
    ("VLM", "vision-language model"), ("RLHF", "reinforcement learning from human feedback"),
    ("RL", "reinforcement learning"), ("GNN", "graph neural network"),
    ("NLP", "natural language processing"), ("MoE", "mixture of experts"),
    ("SSM", "state space model"), ("VAE", "variational autoencoder"),
    ("GAN", "generative adversarial network"), ("CNN", "convolutional neural network"),
    ("RAG", "retrieval-augmented generation"), ("LoRA", "low-rank adaptation"),
)
"""Acronyms papers use for what a profile may spell out, and the other way round."""


def _content_stems(text: str) -> str:
    return " ".join(w for w in stem_text(text).split() if w not in _STEMMED_STOP)


def _written(short: str, long: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Patterns of each form as a phrase's text writes it (stop words are left out of it)."""
    content = [w for w in re.split(r"[\s-]+", long) if w.lower() not in _STOP]
    spelled = r"\b" + r"[\s-]+".join(re.escape(w) + r"s?" for w in content) + r"\b"
    return re.compile(rf"\b{re.escape(short)}s?\b", re.I), re.compile(spelled, re.I)


def acronym_variants(terms: list[Term], text: str) -> list[Term]:
    """Key phrases with a spelled-out term as its acronym ("Large language model agents" ->
    "LLM agents"), or an acronym spelled out, when the topics text never uses the other form:
    a profile written in one form must still find papers that write the other. A text that uses
    both forms already says which phrases it means, and gets nothing added."""
    padded = f" {_content_stems(text)} "
    out: list[Term] = []
    for short, long in ACRONYMS:
        stems_short, stems_long = _content_stems(short), _content_stems(long)
        has_short, has_long = f" {stems_short} " in padded, f" {stems_long} " in padded
        if has_short == has_long:
            continue
        old, new = (stems_long, stems_short) if has_long else (stems_short, stems_long)
        pattern_short, pattern_long = _written(short, long)
        for term in terms:
            phrase = f" {term.phrase.strip()} "
            if f" {old} " not in phrase:
                continue
            variant = phrase.replace(f" {old} ", f" {new} ").strip()
            written = pattern_long.sub(short, term.text) if has_long else pattern_short.sub(long, term.text)
            out.append(Term(variant, term.kind, term.topic, written))
    return out


_JOINING = re.compile(r"\b(?:for|in|of|on|with|via|using|from|to|under|over|through|toward|towards"
                      r"|across|between|by|at|into|against|beyond|without)\b", re.I)


def name_parts(name: str) -> list[str]:
    """The parts of a topic's name joined by a preposition, of two words or more: "Diffusion
    models for image generation" -> "Diffusion models", "image generation". For a topic with
    no description the whole name, four words or more, is rarely written as such in a paper,
    and a paper on "graph neural networks" is evidence for "Graph neural networks for
    molecules". A part of one word ("molecules", "effects") is too common to count alone."""
    parts = [p.strip(" ,;:.()") for p in _JOINING.split(name)]
    if len(parts) < 2:
        return []
    return [p for p in parts
            if len([w for w in p.split() if w.lower().strip("-") not in _STOP]) >= 2]


def text_before(text: str, line: str) -> str:
    """The lower-cased text before `line` (to tell the keyword block from topic lines)."""
    index = text.find(line)
    head = text[:index].lower() if index >= 0 else ""
    return head[head.rfind("\n\n") :] if "keywords" not in head else "keyword"


_SLASHED = re.compile(r"(?P<left>[\w-]+)/(?P<right>[\w-]+(?:/[\w-]+)*)")


def slash_alternatives(part: str) -> list[str]:
    """A phrase with "a/b" in it as its full alternatives: "feature/dictionary learning" ->
    "feature learning", "dictionary learning"; "LLM behavior/interpretability" -> "LLM
    behavior", "LLM interpretability" (splitting at the slash made "feature" a key phrase)."""
    found = _SLASHED.search(part)
    if found is None:
        return [part]
    head, tail = part[: found.start()], part[found.end() :]
    options = [found.group("left"), *found.group("right").split("/")]
    return [alt for option in options for alt in slash_alternatives(f"{head}{option}{tail}")]


def slash_compounds(part: str) -> list[str]:
    """The slashed words each with the word they bind to: "efficient/scalable model training" ->
    "efficient model", "scalable model"; "LLM behavior/interpretability" -> "LLM behavior", "LLM
    interpretability" (a full alternative of four words is rarely found as such in a paper)."""
    found = _SLASHED.search(part)
    if found is None:
        return []
    head, tail = part[: found.start()].split(), part[found.end() :].split()
    options = [found.group("left"), *found.group("right").split("/")]
    if tail:
        return [f"{option} {tail[0]}" for option in options]
    return [f"{head[-1]} {option}" for option in options] if head else []


def _phrases(text: str, kind: str, topic: str) -> list[Term]:
    """Split a description into short phrases: on commas, parentheses, 'or'/'and'; "a/b c"
    becomes the full alternatives "a c" and "b c"."""
    out: list[Term] = []
    cleaned = re.sub(r"\b(e\.g\.|i\.e\.|etc\.?|like)\b", ",", text, flags=re.I)
    parts = re.split(r"[,;():.]|\bor\b|\band\b", cleaned)
    for part in (alt for piece in parts for alt in [*slash_alternatives(piece),
                                                     *slash_compounds(piece)]):
        words = [w for w in part.replace("/", " ").strip().split() if w.lower().strip("-") not in _STOP]
        if not words or len(words) > 4:
            continue
        phrase = stem_text(" ".join(words)).strip()
        if len(phrase) >= 3:
            out.append(Term(phrase, kind, topic, " ".join(words)))
    return out


def _dedupe(terms: list[Term]) -> list[Term]:
    seen: set[tuple[str, str]] = set()
    unique = []
    for term in terms:
        key = (term.phrase, term.kind)
        if key not in seen:
            seen.add(key)
            unique.append(term)
    return unique
