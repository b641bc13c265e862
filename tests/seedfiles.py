"""Rebuild a seed digest's inputs (papers, scores, counts, tokens, prompt) from the seed file."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from pathlib import Path

from papersieve.authors import normalise_name
from papersieve.models import DayCounts, Digest, Judgement, Outcome, Paper, Pick, PromptText, Usage
from papersieve.sources.jsonl import paper_from_record

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "data" / "seeds"
REALWORLD = REPO / "data" / "realworld"
PROMPT_MARK = "# Paper Selection Prompt"
GPT4O_PRICES = (2.50, 10.0)  # dollars per 1M prompt / completion tokens (DESIGN.md)


def seed_text(date: str) -> str:
    """The seed digest of a day, as bytes decoded."""
    return (SEEDS / f"digest-{date}.md").read_text("utf-8")


def realworld_papers(date: str) -> dict[str, Paper]:
    """Every paper of the day's cs.LG and cs.AI listings, by id."""
    papers: dict[str, Paper] = {}
    for category in ("cs.LG", "cs.AI"):
        for line in (REALWORLD / f"arxiv-{date}-{category}.jsonl").read_text("utf-8").splitlines():
            if line.strip():
                paper = paper_from_record(json.loads(line))
                papers.setdefault(paper.id, paper)
    return papers


def _number(text: str, label: str) -> int:
    match = re.search(rf"^{re.escape(label)}: (\d+)$", text, re.M)
    assert match, label
    return int(match.group(1))


def seed_papers(text: str, listed: dict[str, Paper]) -> list[Paper]:
    """The papers of every section as the seed system read them, in the seed's order.

    The seed read the RSS feed, whose text differs from the JSON-lines files (made from the arXiv
    API) in two ways only: abstracts keep the feed's runs of spaces at paragraph breaks, and
    authors keep TeX accents and parenthesised notes. The JSON-lines paper is the base; the seed's
    title, authors and abstract replace its text after checking they say the same thing.
    """
    pattern = re.compile(
        r"^## \d+\. \[(.*?)\]\(https://arxiv.org/abs/(\S+)\) <a id=\"link\d+\"></a>\n\n"
        r"\*\*ArXiv ID:\*\* \S+\n\n\*\*Authors:\*\* (.*?)\n\n\*\*Abstract:\*\* (.*?)\n\n"
        r"\*\*Comment:", re.S | re.M)
    papers = []
    for title, pid, authors, abstract in pattern.findall(text):
        base = listed[pid]
        names = tuple(authors.split(", "))
        assert title == base.title
        assert " ".join(abstract.split()) == base.abstract
        assert [normalise_name(n) for n in names] == [normalise_name(n) for n in base.authors] \
            or pid == "2507.01043"  # feed split "Theo (Moe) Putterman" into two names
        papers.append(dataclasses.replace(base, abstract=abstract, authors=names))
    return papers


def seed_judgements(text: str) -> list[Judgement]:
    """The scores and comments of every section, in the seed's order."""
    pattern = re.compile(
        r"\*\*ArXiv ID:\*\* (\S+)\n.*?\*\*Comment:\*\* (.*?)\n\n"
        r"\*\*Relevance:\*\* (\d+)\n\*\*Novelty:\*\* (\d+)", re.S)
    return [Judgement(pid, Outcome.JUDGED, "llm", "gpt-4o", "", float(rel), float(nov), comment)
            for pid, comment, rel, nov in pattern.findall(text)]


def seed_prompt(text: str) -> PromptText:
    """The system and user prompt printed under `# Paper Selection Prompt`, unquoted."""
    tail = text[text.index(PROMPT_MARK):]
    system = tail.split("## System Prompt\n\n", 1)[1].split("\n\n## User Prompt\n\n", 1)[0]
    user = tail.split("## User Prompt\n\n", 1)[1]
    return PromptText(_unquote(system), _unquote(user))


def _unquote(block: str) -> str:
    return "\n".join(line.removeprefix("> ") for line in block.split("\n"))


def seed_usage(text: str) -> Usage:
    """Tokens from the table, dollars recomputed from gpt-4o's prices."""
    match = re.search(r"\*\*Token\*\* +\| (\d+) +\| (\d+) +\|", text)
    assert match
    prompt, completion = int(match.group(1)), int(match.group(2))
    return Usage(prompt, completion, 0, prompt * GPT4O_PRICES[0] / 1e6,
                 completion * GPT4O_PRICES[1] / 1e6)


def seed_digest(date: str) -> Digest:
    """A Digest holding exactly what the seed of `date` was made from."""
    text = seed_text(date)
    papers = realworld_papers(date)
    papers.update({p.id: p for p in seed_papers(text, papers)})
    judgements = seed_judgements(text)
    picks = tuple(Pick(papers[j.paper_id], j) for j in judgements)
    counts = DayCounts(_number(text, "Total arXiv papers"), _number(text, "Total scanned papers"),
                       len(papers), _number(text, "Total relevant papers"))
    return Digest(dt.date.fromisoformat(date), "gpt-4o", counts, seed_usage(text), picks,
                  seed_prompt(text), tuple(judgements), papers)
