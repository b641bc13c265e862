"""The local judge's reasons name only what moved the score; topics split on "/" into whole
alternatives, and `papersieve topics` shows what the judge derived."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from papersieve.cli.main import cli
from papersieve.judges.local import LocalJudge
from papersieve.judges.local.text.topics import (
    parse_topics,
    slash_alternatives,
    slash_compounds,
)
from papersieve.models import Judgement, Paper
from papersieve.profile.loader import init_profile, load_profile
from papersieve.store import open_store
from tests.pgschemas import store_at

PLAIN_TOPICS = """1. Wireless Networks for Robots
   - Relevant: channel estimation, beamforming, feature/dictionary learning for radio maps.
   - Irrelevant: optical networks.
"""


def test_application_words_are_not_named_when_the_profile_does_not_ask_for_foundational_work(
        tmp_path: Path) -> None:
    # Before: "against: robot, manipulation" although the lexicon counts only for a profile
    # that asks for foundational (not application-driven) work: the words changed nothing.
    folder = tmp_path / "p"
    init_profile(folder)
    (folder / "topics.txt").write_text(PLAIN_TOPICS, "utf-8")
    paper = Paper("2501.00003", "Beamforming for robot manipulation in 6G buildings",
                  "We study channel estimation for robot manipulation and games.", ("A B",), ("cs.LG",))
    comment = LocalJudge(load_profile(folder), open_store(store_at(tmp_path / "s.db"))).judge([paper]) \
        .judgements[0].comment
    assert comment == ('Matches your topic "Wireless Networks for Robots" ("beamforming",'
                       ' "channel estimation").')


def test_the_profiles_own_irrelevant_phrases_are_named_against(tmp_path: Path) -> None:
    # A signal-processing profile (eess.SP): its irrelevant phrases count before any LLM day.
    # (The ML field's no-history prior does not count them, nor name them: issue 18, session 12,
    # tests/test_local_cold_against.py.)
    folder = tmp_path / "p"
    init_profile(folder)
    (folder / "topics.txt").write_text(PLAIN_TOPICS, "utf-8")
    paper = Paper("2501.00004", "Beamforming over optical networks", "Optical networks.", ("A B",),
                  ("eess.SP",))
    profile = load_profile(folder, {"categories": ["eess.SP"]})
    comment = LocalJudge(profile, open_store(store_at(tmp_path / "s.db"))).judge([paper]) \
        .judgements[0].comment
    assert comment.endswith('; against it: "optical networks".')


def test_slash_lists_become_full_alternatives() -> None:
    assert slash_alternatives("feature/dictionary learning") == ["feature learning",
                                                                 "dictionary learning"]
    assert slash_alternatives("architectural analysis/innovations") == [
        "architectural analysis", "architectural innovations"]
    assert slash_alternatives("LLM behavior/interpretability") == ["LLM behavior",
                                                                   "LLM interpretability"]
    assert slash_alternatives("spatial/temporal/graph modeling") == [
        "spatial modeling", "temporal modeling", "graph modeling"]
    assert slash_alternatives("no slash here") == ["no slash here"]
    # A four-word alternative is rarely found as such: each option also stands with the word it
    # binds to.
    assert slash_compounds("theoretical insights into LLM behavior/interpretability") == [
        "LLM behavior", "LLM interpretability"]
    assert slash_compounds("foundational research in molecular/protein modeling") == [
        "molecular modeling", "protein modeling"]
    assert slash_compounds("analysis/innovations") == []


def test_the_default_topics_have_no_half_phrase_from_a_slash() -> None:
    # Before: "feature/dictionary learning" gave the key phrase "feature" (in a fifth of all
    # candidates) and "sparse/contrastive methods" gave "sparse".
    phrases = {t.text.lower() for t in parse_topics(load_profile().prompts.topics).terms
               if t.kind == "relevant"}
    assert {"feature learning", "dictionary learning", "sparse methods",
            "contrastive methods"} <= phrases
    assert "feature" not in phrases


def test_topics_command_prints_what_the_judge_derived(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    init_profile(folder)
    (folder / "topics.txt").write_text(PLAIN_TOPICS, "utf-8")
    result = CliRunner().invoke(cli, ["topics", "--profile", str(folder)])
    assert result.exit_code == 0, result.output
    assert result.output == (
        "1. Wireless Networks for Robots\n"
        "   key phrases: wireless networks robots; channel estimation; beamforming; feature"
        " learning radio maps; dictionary learning radio maps; feature learning; dictionary"
        " learning\n"
        "   counts against: optical networks\n"
        "Phrases that count against: matched word for word only once the LLM has judged one of"
        " this profile's days; before that (the no-key judge) only the Keywords lines count,"
        " against papers near them in meaning (measured: the word matches disagreed with the"
        " LLM's own picks, bench/RESULTS.md, issue 18). Your dislikes count from the first.\n"
        "Application words (robot, games, 6g, ...): not used (the topics do not ask for"
        " foundational rather than application-driven work)\n")


def test_topics_command_says_against_phrases_count_where_the_fields_prior_counts_them(
    tmp_path: Path,
) -> None:
    """A field whose no-history prior counts the phrases (eess.SP): no such caveat."""
    folder = tmp_path / "p"
    init_profile(folder)
    (folder / "topics.txt").write_text(PLAIN_TOPICS, "utf-8")
    (folder / "profile.toml").write_text('categories = ["eess.SP"]\n', "utf-8")
    result = CliRunner().invoke(cli, ["topics", "--profile", str(folder)])
    assert result.exit_code == 0, result.output
    assert "   counts against: optical networks\n" in result.output
    assert "Phrases that count against" not in result.output


def test_a_topic_spelled_out_finds_papers_that_write_its_acronym(tmp_path: Path) -> None:
    """A new user's one-line topic "Large language model agents" picked none of the real day's
    13 papers on LLM agents (all "Matches none of your topics"): papers write "LLM". The key
    phrases now hold the acronym's form as well, and the day's clearest paper is picked."""
    assert {t.phrase for t in parse_topics("1. Large language model agents\n").terms} == {
        "larg languag model agent", "llm agent"}
    # A text that uses both forms chose its phrases itself: nothing is added.
    both = parse_topics("1. Large Language Models (LLMs)\n   - Relevant: LLM agents.\n")
    assert {t.phrase for t in both.terms} == {"larg languag model", "llm", "llm agent"}
    # And the other way round.
    assert "reinforcement learn robot" in {t.phrase for t in parse_topics("1. RL for robots\n").terms}

    verdicts = _real_day_verdicts(tmp_path, "1. Large language model agents\n")
    collusion = verdicts["2507.01413"]  # "Evaluating LLM Agent Collusion in Double Auctions"
    assert collusion.relevance is not None and collusion.relevance >= 8, collusion.comment
    assert '"llm agents"' in collusion.comment


def test_a_topic_known_by_its_name_alone_counts_the_parts_of_its_name(tmp_path: Path) -> None:
    """Three new users' one-line topics ("Diffusion models for image generation", "Graph
    neural networks for molecules", "Reinforcement learning for robots") got no pick on a real
    day with papers on each: the whole name was the only key phrase, and no paper writes it."""
    names = parse_topics("1. Diffusion models for image generation\n2. Reinforcement learning"
                         " for robots\n")
    assert {t.text for t in names.terms} == {
        "Diffusion models image generation", "Diffusion models", "image generation",
        "Reinforcement learning robots", "Reinforcement learning", "RL robots", "RL"}
    # A part of one word ("robots") is too common to stand alone; a topic with its own
    # "Relevant:" line is read from that line, as before.
    described = parse_topics("1. Diffusion models for image generation\n   - Relevant: score matching.\n")
    assert {t.text for t in described.terms} == {"Diffusion models image generation", "score matching"}

    verdicts = _real_day_verdicts(tmp_path, "1. Graph neural networks for molecules\n")
    # "Rotational Sampling: A Plug-and-Play Encoder for Rotation-Invariant 3D Molecular GNNs"
    molecular = verdicts["2507.01073"]
    assert molecular.relevance is not None and molecular.relevance >= 8, molecular.comment


def _real_day_verdicts(tmp_path: Path, topics: str) -> dict[str, Judgement]:
    """The local judge's verdicts on the real day 2025-07-03 (data/candidates) for a profile
    with these topics and no history."""
    from papersieve.eval.labels import load_days

    folder = tmp_path / "p"
    init_profile(folder)
    (folder / "topics.txt").write_text(topics, "utf-8")
    day = next(papers for date, papers in load_days(Path(__file__).parents[1] / "data" / "candidates")
               if str(date) == "2025-07-03")
    return {j.paper_id: j for j in LocalJudge(load_profile(folder), open_store(tmp_path / "s.db"))
            .judge(list(day)).judgements}
