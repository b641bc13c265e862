"""The Markdown digest equals the seed digests byte for byte, given the same inputs."""

from __future__ import annotations

import dataclasses

import pytest

from papersieve.models import Outcome
from papersieve.profile.settings import CutoffSettings
from papersieve.render.markdown import render_markdown
from papersieve.selection import select
from tests.seedfiles import PROMPT_MARK, seed_digest, seed_text

DAYS = ["2025-07-02", "2025-07-03"]


@pytest.mark.parametrize("date", DAYS)
def test_markdown_equals_the_seed_whole_file(date: str) -> None:
    digest = seed_digest(date)
    assert len(digest.picks) == digest.counts.relevant
    assert render_markdown(digest) == seed_text(date)


@pytest.mark.parametrize("date", DAYS)
def test_part_above_the_prompt_does_not_depend_on_the_prompt(date: str) -> None:
    digest = dataclasses.replace(seed_digest(date), prompt=dataclasses.replace(
        seed_digest(date).prompt, user="Topics first\n\n[PAPER LIST HERE]"))
    above = seed_text(date).split(PROMPT_MARK)[0]
    rendered = render_markdown(digest)
    assert rendered.split(PROMPT_MARK)[0] == above
    assert rendered.endswith("> Topics first\n> \n> [PAPER LIST HERE]")


@pytest.mark.parametrize("date", DAYS)
def test_the_seed_order_is_our_sort_order(date: str) -> None:
    # Ties (same relevance and novelty) kept the seed system's judging order, which we cannot
    # know; the sort is stable, so given that order our selection reproduces the seed's exactly.
    digest = seed_digest(date)
    picks = select(reversed(digest.judgements), digest.papers, CutoffSettings())
    keys = [(p.judgement.relevance, p.judgement.novelty) for p in picks]
    assert keys == [(p.judgement.relevance, p.judgement.novelty) for p in digest.picks]
    picks = select(digest.judgements, digest.papers, CutoffSettings())
    assert [p.paper.id for p in picks] == [p.paper.id for p in digest.picks]
    assert all(p.judgement.outcome is Outcome.JUDGED for p in picks)
