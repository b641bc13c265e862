"""The parts of `[outputs] tldr` and `language`: sentence splitting, the contribution sentence,
the 30-word cut, the reply parser, the schema and prompt additions, the language tag, the store."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest

from papersieve.cli.main import main
from papersieve.judges.llm.parsing import parse_abstract_reply
from papersieve.judges.llm.prompts import output_requests, with_output_requests
from papersieve.judges.llm.structured import batch_schema
from papersieve.judges.local import LocalJudge
from papersieve.judges.local.text.contribution import contribution_sentence
from papersieve.judges.local.text.sentences import split_sentences
from papersieve.language import check_tag, is_rtl
from papersieve.models import DayCounts, Digest, Judgement, Outcome, Paper, Pick, PromptText, Usage
from papersieve.profile import load_profile
from papersieve.render.json_out import digest_dict
from papersieve.render.markdown import render_markdown
from papersieve.store.db import Store
from papersieve.store.judgements import judgement_from_row, save_judgements
from papersieve.store.papers import upsert_papers
from papersieve.tldr import cut_words

ABSTRACT = (
    "Large language models (LLMs) reason well, e.g. on math, as Smith et al. (2024) showed with "
    "3.5x gains. However, they remain costly at inference time. We propose SkipThink, a method "
    "that runs in $O(n \\log n)$ time. Experiments on 4 benchmarks (Fig. 2) show 1.8 points of gain."
)


def test_sentences_do_not_end_at_abbreviations_decimals_tex_initials_or_list_numbers() -> None:
    assert split_sentences(ABSTRACT) == [
        "Large language models (LLMs) reason well, e.g. on math, as Smith et al. (2024) showed "
        "with 3.5x gains.",
        "However, they remain costly at inference time.",
        "We propose SkipThink, a method that runs in $O(n \\log n)$ time.",
        "Experiments on 4 benchmarks (Fig. 2) show 1.8 points of gain.",
    ]
    assert split_sentences("Four methods: 1. MLP; 2. Random Forest. J. R. Smith agreed. Why? "
                           "Because $a.b. C$ holds!") == [
        "Four methods: 1. MLP; 2. Random Forest.", "J. R. Smith agreed.", "Why?",
        "Because $a.b. C$ holds!"]
    assert split_sentences("   ") == []


def test_the_contribution_sentence_is_what_the_paper_does_not_the_background() -> None:
    assert contribution_sentence("SkipThink", ABSTRACT) == (
        "We propose SkipThink, a method that runs in $O(n \\log n)$ time.")
    no_cue = ("Graphs are everywhere. Sparse attention over graph neighbourhoods scales to "
              "millions of nodes. It is fast.")
    assert contribution_sentence("Sparse attention for large graphs", no_cue) == (
        "Sparse attention over graph neighbourhoods scales to millions of nodes.")
    assert contribution_sentence("Anything", "") == ""


def test_a_tldr_is_cut_at_a_word_boundary_to_30_words() -> None:
    long = " ".join(f"w{i}" for i in range(45))
    assert cut_words(long) == " ".join(f"w{i}" for i in range(30)) + "…"
    assert cut_words("  fits\n in   thirty words ") == "fits in thirty words"
    chinese = "本文提出一种方法，" * 12
    cut = cut_words(chinese)
    assert len(cut) <= 61 and cut.endswith("…") and chinese.startswith(cut[:-1])


def test_the_parser_reads_a_tldr_cuts_it_and_takes_a_missing_one_as_none() -> None:
    words = " ".join(["word"] * 40)
    reply = "\n".join([
        json.dumps({"ARXIVID": "2507.00001", "COMMENT": "c", "TLDR": words, "RELEVANCE": 9,
                    "NOVELTY": 8}),
        json.dumps({"ARXIVID": "2507.00002", "COMMENT": "c", "RELEVANCE": 5, "NOVELTY": 5}),
    ])
    parsed = parse_abstract_reply(reply, ["2507.00001", "2507.00002"])
    assert parsed.items["2507.00001"].tldr == " ".join(["word"] * 30) + "…"
    assert parsed.items["2507.00002"].tldr == "" and parsed.problems == []
    keyed = json.dumps({"2507.00003": {"COMMENT": "该文", "TLDR": "提出新方法。", "RELEVANCE": 7,
                                       "NOVELTY": 6}}, ensure_ascii=False)
    assert parse_abstract_reply(keyed, ["2507.00003"]).items["2507.00003"].tldr == "提出新方法。"


def test_the_schema_and_the_prompt_change_only_when_asked() -> None:
    plain = batch_schema("abstract", ["2507.00001"])
    asked = batch_schema("abstract", ["2507.00001"], tldr=True)
    assert plain["properties"]["2507.00001"]["required"] == ["COMMENT", "RELEVANCE", "NOVELTY"]
    assert asked["properties"]["2507.00001"]["properties"]["TLDR"] == {"type": "string"}
    prompts = load_profile(None).prompts
    assert output_requests(False, "en") == "" and output_requests(False, "en-GB") == ""
    assert with_output_requests(prompts, False, "en") is prompts
    zh = with_output_requests(prompts, False, "zh").instructions_abstract
    assert zh.endswith("\n- Write COMMENT in Chinese (BCP 47 language tag zh). Keep ARXIVID, the"
                       " field names and the scores as they are.")


@pytest.mark.parametrize("junk", ["xx-junk", "english", "12", "", "zh--CN"])
def test_a_bad_language_tag_is_a_one_line_error(tmp_path: Path, junk: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "profile.toml").write_text(f'[outputs]\nlanguage = "{junk}"\n', "utf-8")
    with pytest.raises(SystemExit) as info:
        main(["status", "--profile", str(folder)])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "outputs.language" in err and "not a BCP 47 language tag" in err


def test_language_tags_are_standardised_and_know_their_direction() -> None:
    assert check_tag("zh-hant-tw") == "zh-Hant-TW" and check_tag("pt_BR") == "pt-BR"
    assert [is_rtl(t) for t in ("ar", "he", "fa-IR", "ur", "zh", "ja", "en", "")] == [
        True, True, True, True, False, False, False, False]


def test_the_local_judge_gives_an_extractive_tldr_and_says_it_writes_english(store: Store) -> None:
    paper = Paper("2507.00001", "SkipThink: cheaper reasoning", ABSTRACT, ("A. Author",), ("cs.LG",))
    profile = load_profile(None, {"outputs.tldr": True, "outputs.language": "zh"})
    result = LocalJudge(profile, store).judge([paper])
    [judgement] = result.judgements
    assert judgement.tldr == "We propose SkipThink, a method that runs in $O(n \\log n)$ time."
    assert (judgement.tldr_kind, judgement.language) == ("extractive", "")
    assert [n for n in result.notes if "English" in n] == [
        "local judge: its comments are written in English (outputs.language = zh applies to the"
        " LLM judge only)"]
    off = LocalJudge(load_profile(None), store).judge([paper])
    assert off.judgements[0].tldr == "" and not any("English" in n for n in off.notes)


def digest_with(judgement: Judgement, tldr_in_markdown: bool = False) -> Digest:
    paper = Paper("2507.00001", "T", "An abstract.", ("A",), ("cs.LG",))
    return Digest(dt.date(2025, 7, 2), "gpt-4o", DayCounts(1, 1, 1), Usage(), (Pick(paper, judgement),),
                  PromptText("s", "u"), (judgement,), {paper.id: paper},
                  tldr_in_markdown=tldr_in_markdown)


def test_markdown_shows_the_tldr_only_when_asked_and_json_only_when_there_is_one() -> None:
    bare = Judgement("2507.00001", Outcome.JUDGED, "llm", "gpt-4o", "h", 9, 8, "Matches 2.")
    with_tldr = dataclasses.replace(bare, tldr="Does X; finds Y.", tldr_kind="llm", language="ar")
    assert render_markdown(digest_with(with_tldr)) == render_markdown(digest_with(bare))
    shown = render_markdown(digest_with(with_tldr, tldr_in_markdown=True))
    assert "**Abstract:** An abstract.\n\n**TL;DR:** Does X; finds Y.\n\n**Comment:** Matches 2.\n" in shown
    extractive = dataclasses.replace(with_tldr, tldr_kind="extractive")
    assert "**TL;DR (extractive):** Does X" in render_markdown(digest_with(extractive, True))
    [plain] = digest_dict(digest_with(bare))["candidates"]
    assert not {"tldr", "tldr_kind", "language"} & set(plain)
    [full] = digest_dict(digest_with(with_tldr))["candidates"]
    assert (full["tldr"], full["tldr_kind"], full["language"]) == ("Does X; finds Y.", "llm", "ar")


def test_the_store_keeps_the_tldr_its_kind_and_language(store: Store) -> None:
    paper = Paper("2507.00001", "T", "A.", ("A",))
    judgement = Judgement("2507.00001", Outcome.JUDGED, "llm", "m", "h", 9, 8, "コメント",
                          tldr="要約。", tldr_kind="llm", language="ja")
    upsert_papers(store, [paper])
    [row_id] = save_judgements(store, [judgement], {paper.id: paper})
    row = store.conn.execute("SELECT * FROM judgements WHERE id = ?", (row_id,)).fetchone()
    assert judgement_from_row(row) == judgement
