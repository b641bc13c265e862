"""Prompts, batch sizes and prices."""

from __future__ import annotations

from pathlib import Path

import pytest

from papersieve.errors import ConfigError
from papersieve.judges.llm.batching import adaptive_batch_size, halves, make_batches
from papersieve.judges.llm.pricing import price_for, price_table, usage_with_cost
from papersieve.judges.llm.prompts import (
    PLACEHOLDER,
    build_request,
    prompt_hash,
    prompt_text,
    request_hash,
)
from papersieve.models import Paper
from papersieve.profile import load_profile
from tests.seedfiles import PROMPT_MARK, SEEDS

PAPER = Paper("2507.00002", "Hypertokens", "Large Language Models exhibit\n  remarkable skills.",
              ("Ada Lovelace", "Alan Turing"))


def test_user_prompt_order_and_placeholder() -> None:
    prompts = load_profile().prompts
    text = prompt_text(prompts)
    assert text.system == prompts.system
    assert text.user == "\n\n".join([prompts.topics, prompts.criteria, "## Papers\n\n" + PLACEHOLDER,
                                     prompts.instructions_abstract])
    request = build_request(prompts, [PAPER], "abstract")
    head, papers_and_instructions = request.user.split("## Papers\n\n")
    assert head == prompts.topics + "\n\n" + prompts.criteria + "\n\n"
    assert papers_and_instructions.endswith("\n</paper>\n\n" + prompts.instructions_abstract)
    assert (
        '<paper id="2507.00002">\nArXiv ID: 2507.00002\nTitle: Hypertokens\n'
        "Authors: Ada Lovelace and Alan Turing\n"
        "Abstract: Large Language Models exhibit remarkable skills.\n</paper>"
    ) in request.user


def test_same_prompt_as_the_seed_digest_printed_in_its_own_order() -> None:
    """The seed sent Topics, Criteria, Papers, Instructions but printed them in another order."""
    seed = (SEEDS / "digest-2025-07-02.md").read_text("utf-8").split(PROMPT_MARK)[1]
    quoted = seed.split("## User Prompt\n\n")[1]
    seed_user = "\n".join(line[2:] if line.startswith("> ") else line[1:] for line in
                          quoted.rstrip("\n").splitlines())
    prompts = load_profile().prompts
    printed_by_seed = [prompts.instructions_abstract, prompts.criteria, "## Papers\n\n" + PLACEHOLDER,
                       prompts.topics]
    assert seed_user == "\n\n".join(printed_by_seed)
    assert prompt_text(prompts).user == "\n\n".join(
        [printed_by_seed[3], printed_by_seed[1], printed_by_seed[2], printed_by_seed[0]])


def test_title_stage_prompt_has_titles_only_and_its_own_instructions() -> None:
    prompts = load_profile().prompts
    request = build_request(prompts, [PAPER], "title")
    assert "Abstract:" not in request.user and "Authors:" not in request.user
    assert request.user.endswith(prompts.instructions_title)
    assert request.paper_ids == ("2507.00002",)


def test_hashes_are_deterministic_and_depend_on_model_and_stage() -> None:
    prompts = load_profile().prompts
    assert prompt_hash(prompts, "gpt-4o", "abstract") == prompt_hash(prompts, "gpt-4o", "abstract")
    assert prompt_hash(prompts, "gpt-4o", "abstract") != prompt_hash(prompts, "gpt-4o", "title")
    assert prompt_hash(prompts, "gpt-4o", "abstract") != prompt_hash(prompts, "gpt-4.1", "abstract")
    one = build_request(prompts, [PAPER], "abstract")
    two = build_request(prompts, [PAPER], "abstract")
    assert request_hash(one, "gpt-4o", 0.0, 0) == request_hash(two, "gpt-4o", 0.0, 0)


def test_adaptive_batches_as_the_seed_system() -> None:
    assert [adaptive_batch_size(4, n) for n in (1, 32, 33, 64, 65, 128, 244, 300)] == [
        4, 4, 8, 8, 12, 12, 16, 20]
    assert make_batches(list(range(5)), 2) == [(0, 1), (2, 3), (4,)]
    assert halves([1, 2, 3]) == [(1, 2), (3,)] and halves([1]) == [(1,)]


def test_prices_shipped_user_file_and_unknown_model(papersieve_home: Path) -> None:
    assert price_for("gpt-4o") is not None
    gpt4o = price_table()["gpt-4o"]
    assert (gpt4o.prompt, gpt4o.cached_prompt, gpt4o.completion) == (2.50, 1.25, 10.00)
    assert price_for("gpt-4o-2024-08-06") == gpt4o
    assert price_for("my-llama") is None
    # The seed digest of 2025-07-02: 33705 prompt + 3738 completion tokens cost $0.08 + $0.04.
    usage = usage_with_cost(33705, 3738, 0, gpt4o)
    assert round(usage.prompt_cost or 0, 2) == 0.08 and round(usage.completion_cost or 0, 2) == 0.04
    unknown = usage_with_cost(100, 10, 0, None)
    assert unknown.cost is None and unknown.prompt_cost is None
    (papersieve_home / "prices.toml").write_text(
        '[models."my-llama"]\nprompt = 0.0\ncompletion = 0.0\n[models."gpt-4o"]\nprompt = 5\n'
        "cached_prompt = 2\ncompletion = 20\n")
    assert price_for("my-llama") is not None and price_table()["gpt-4o"].prompt == 5
    assert usage_with_cost(100, 10, 0, price_for("my-llama")).cost == 0.0
    (papersieve_home / "prices.toml").write_text('[models."x"]\nprompt = "cheap"\n')
    with pytest.raises(ConfigError, match=r"models\.x"):
        price_table()
