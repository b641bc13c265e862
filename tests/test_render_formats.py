"""Every renderer's whole output, compared with reviewed golden files (tests/golden/)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from papersieve.render.atom import render_atom
from papersieve.render.html import render_day_html, render_index_html, render_month_html
from papersieve.render.json_out import digest_dict, render_json
from papersieve.render.markdown import render_markdown
from tests.digestfixtures import sample_digest

GOLDEN = Path(__file__).parent / "golden"


def outputs() -> dict[str, str]:
    """Golden file name -> the renderer's output today."""
    llm, local = sample_digest(), sample_digest(judge="local")
    day = digest_dict(llm)
    return {
        "sample.md": render_markdown(llm),
        "sample-local.md": render_markdown(local),
        "sample.json": render_json(llm),
        "sample.html": render_day_html(day),
        "sample-local.html": render_day_html(digest_dict(local)),
        "sample.atom": render_atom([day], "default", "https://me.github.io/papers/"),
        "index.html": render_index_html([day], "default"),
        "month.html": render_month_html("2025-07", [day]),
    }


@pytest.mark.parametrize("name", sorted(outputs()))
def test_whole_output_equals_the_golden_file(name: str) -> None:
    rendered = outputs()[name]
    if os.environ.get("PAPERSIEVE_UPDATE_GOLDEN"):
        (GOLDEN / name).write_text(rendered, "utf-8")
    assert rendered == (GOLDEN / name).read_text("utf-8")


def test_local_judge_has_no_novelty_and_says_so_everywhere() -> None:
    out = outputs()
    assert "**Novelty:** n/a (local judge)" in out["sample-local.md"]
    assert "Novelty n/a (local judge)" in out["sample-local.html"]
    assert "No LLM prompt was sent" in out["sample-local.md"]


def test_unknown_cost_is_unknown_never_zero() -> None:
    import dataclasses

    from papersieve.models import Usage

    digest = dataclasses.replace(sample_digest(), usage=Usage(1000, 100, 0, None, None))
    md = render_markdown(digest)
    assert "| **Cost**     | unknown  | unknown      | unknown |" in md
    assert "$0" not in md.split("# Paper Selection Prompt")[0]
    assert "unknown" in render_day_html(digest_dict(digest))
