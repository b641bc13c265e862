"""The local judge's cold scoring (issue 25): key phrases weighed by the day's document frequency,
the semantic score against the centre of the profile's lines, the profile's categories as a prior."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from papersieve.errors import JudgeError
from papersieve.judges.local.features import semantic
from papersieve.judges.local.features.dense import _profile, _similarities
from papersieve.judges.local.features.listing import is_listed, listed_primary
from papersieve.judges.local.features.paper import batch_cold_scores
from papersieve.judges.local.model.ranker import Ranker
from papersieve.judges.local.text.lexicon import GENERAL_PRIOR, LEXICONS, PriorSettings, _read, lexicon_for
from papersieve.models import Paper
from papersieve.profile.loader import Profile, load_profile

TOPICS = """## Relevant Topics

Use the following relevance criteria. Keep **relevant** papers and filter out **irrelevant** ones.

1. Relativistic Jets
   - Relevant: Relativistic jets of active galactic nuclei and their particle acceleration.
   - Irrelevant: Star formation in molecular clouds.

**Keywords:**

- Relevant: Galaxy, Blazar, etc.
- Irrelevant: Protostar, etc.
"""


def _astro(categories: list[str]) -> Profile:
    base = load_profile(None, {"categories": categories})
    return dataclasses.replace(base, prompts=dataclasses.replace(base.prompts, topics=TOPICS))


def _paper(pid: str, title: str, abstract: str, primary: str = "astro-ph.HE") -> Paper:
    return Paper(pid, title, abstract, ("A B",), (primary,))


FILLER = [_paper(f"2604.{i:05d}", f"Galaxy survey number {i}",
                 f"We catalogue galaxy number {i} in a wide survey of the sky.") for i in range(10, 40)]


def test_a_phrase_rare_on_the_day_counts_more_than_one_most_papers_share() -> None:
    # "galaxy" is in every filler paper, "blazar" only in one: each paper below matches one
    # keyword once in the title, so unweighted key phrases scored them alike.
    blazar = _paper("2604.00001", "Blazar variability", "We follow its light curve for a year.")
    galaxy = _paper("2604.00002", "Galaxy variability", "We follow its light curve for a year.")
    ranker = Ranker(_astro(["astro-ph.HE"]), None, {})
    colds = ranker.cold([blazar, galaxy, *FILLER])
    assert colds[0].phrases == colds[1].phrases > 0
    cold = batch_cold_scores(colds, ranker.foundational)
    assert cold[0] > cold[1] > 0


def test_a_paper_filed_under_the_profiles_categories_outranks_the_same_text_cross_listed() -> None:
    text = ("Particle acceleration in blazar jets", "Relativistic jets accelerate particles.")
    own, crossed = _paper("2604.00003", *text), _paper("2604.00004", *text, primary="hep-ph")
    scores = Ranker(_astro(["astro-ph.HE", "astro-ph.GA"]), None, {}).scores([own, crossed, *FILLER])
    assert scores[0] > scores[1]


def test_listing_reads_archives_and_arxiv_aliases() -> None:
    assert is_listed("q-bio.QM", ["q-bio"])
    assert is_listed("cs.NA", ["math.OC", "math.NA"])
    assert is_listed("eess.SY", ["cs.SY"])
    assert not is_listed("q-bioX.QM", ["q-bio"])
    assert not is_listed("cs.LG", ["q-bio"])
    papers = [_paper("1", "a", "b", "q-bio.NC"), _paper("2", "a", "b", "cs.LG"), Paper("3", "a", "b", ())]
    assert listed_primary(papers, ["q-bio"]).tolist() == [1.0, 0.0, 0.0]


def test_semantic_score_prefers_a_paper_near_the_whole_profile_to_one_near_a_single_line() -> None:
    # Two topics (x and y) and a keyword line (x again): a paper exactly on one line against a
    # paper between both topics. The best single line preferred the first (1.0 against 0.71).
    x, y = np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0])
    profile = _profile(np.vstack([x, y]), x[None, :], np.zeros((0, 3)))
    on_one_line, between = x, (x + y) / np.sqrt(2)
    semantic, _ = _similarities(np.vstack([on_one_line, between]), profile)
    assert semantic[1] > semantic[0]


def test_the_ml_field_keeps_the_prior_its_figures_were_measured_with() -> None:
    ml = lexicon_for(["cs.LG", "cs.AI"])
    assert ml is not None
    assert ml.prior == PriorSettings(semantic_weight=0.5, listed_weight=0.0, phrase_idf=False,
                                     semantic_centre=False)
    assert Ranker(load_profile(), None, {"days": ["2025-05-27"]}).prior == ml.prior
    assert Ranker(_astro(["astro-ph.HE"]), None, {}).prior == GENERAL_PRIOR
    assert Ranker(_astro(["astro-ph.HE"]), None, {"days": ["2025-05-27"]}).prior == GENERAL_PRIOR


def test_the_ml_field_before_any_llm_verdict_pools_earlier_days_with_the_general_prior() -> None:
    # Issue 18: with no LLM history (none, or the user's own answers only) the ML field's profiles
    # use the general prior self-trained with 5 earlier listing days, their "against" key phrases
    # not counted (bench/RESULTS.md).
    ml = lexicon_for(["cs.LG", "cs.AI"])
    assert ml is not None
    assert ml.cold_prior == dataclasses.replace(GENERAL_PRIOR, pool_days=5, self_train_mix=1.0,
                                                against_weight=0.0)
    assert Ranker(load_profile(), None, {}).prior == ml.cold_prior
    assert Ranker(load_profile(), None, {"days": []}).prior == ml.cold_prior


def test_a_field_file_with_an_unknown_prior_setting_is_a_clear_error(tmp_path: Path) -> None:
    text = (LEXICONS / "machine-learning.toml").read_text("utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace("prior = { semantic_weight", "prior = { semantic_wieght"), "utf-8")
    with pytest.raises(JudgeError, match="unknown prior settings"):
        _read(bad)


def test_the_feature_cache_tells_joint_vectors_of_another_static_weight_apart(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The store caches paper vectors under the space's fingerprint: a vector made with another
    # weight of the static part must not be read back as this one.
    space = semantic.joint_space()
    before = space.fingerprint()
    monkeypatch.setattr(semantic, "STATIC_WEIGHT", semantic.STATIC_WEIGHT + 0.5)
    assert space.fingerprint() != before
