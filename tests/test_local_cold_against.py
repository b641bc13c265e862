"""The ML field's prior before any LLM verdict does not count the profile's "against" key phrases
(issue 18, `PriorSettings.against_weight`): on the 25 labelled days the LLM picked many papers
that match them (reasoning, reinforcement learning), and counting them lowered the no-history
ranking (mean AUC of days 2-25 0.871 -> 0.881 without them; bench/RESULTS.md). A comment then
does not name them either; with LLM history the field's own prior counts them as before."""

from __future__ import annotations

from papersieve.judges.local.explain import comment_for
from papersieve.judges.local.features.paper import batch_cold_scores, plain_cold_scores
from papersieve.judges.local.model.ranker import Ranker
from papersieve.models import Paper
from papersieve.profile.loader import load_profile

ABSTRACT = "We study quantization of transformers {} and report what changes in the weights."
FILLER = [Paper(f"2605.{i:05d}", f"Graph kernels number {i}", f"We count graphs of size {i}.",
                ("A B",), ("cs.LG",)) for i in range(10, 70)]


def _pair() -> list[Paper]:
    # The same paper twice, once with one of the default profile's Irrelevant keywords
    # ("reinforcement learning") where the other has a neutral phrase.
    with_against = Paper("2605.00001", "Quantized transformers",
                         ABSTRACT.format("for reinforcement learning"), ("A B",), ("cs.LG",))
    without = Paper("2605.00002", "Quantized transformers",
                    ABSTRACT.format("for numerical learning"), ("A B",), ("cs.LG",))
    return [with_against, without, *FILLER]


def test_the_ml_cold_prior_does_not_lower_a_paper_for_an_against_phrase() -> None:
    ranker = Ranker(load_profile(), None, {})
    papers = _pair()
    colds = ranker.cold(papers)
    assert any(m.weight < 0 for m in colds[0].matches)  # the phrase is found, and counts against
    # With the field's prior as before (against phrases count): the paper is lower.
    counted = batch_cold_scores(colds, ranker.foundational)
    assert counted[0] < counted[1]
    cold = ranker.cold_scores(colds)
    assert cold[0] == cold[1]


def test_the_unweighted_key_phrase_score_takes_the_against_weight_too() -> None:
    ranker = Ranker(load_profile(), None, {})
    colds = ranker.cold(_pair())
    counted = plain_cold_scores(colds, ranker.foundational)
    assert counted[0] < counted[1]
    ignored = plain_cold_scores(colds, ranker.foundational, against=0.0)
    assert ignored[0] == ignored[1]
    weighed = batch_cold_scores(colds, ranker.foundational, against=0.0)
    assert weighed[0] == weighed[1]


def test_with_llm_history_the_field_prior_still_counts_them() -> None:
    ranker = Ranker(load_profile(), None, {"days": ["2025-05-27"]})
    papers = _pair()
    colds = ranker.cold(papers)
    cold = ranker.cold_scores(colds)
    assert cold[0] < cold[1]


def test_a_comment_names_an_against_phrase_only_when_it_counted() -> None:
    papers = _pair()
    cold_start = comment_for(Ranker(load_profile(), None, {}), papers[:1], [])[0]
    with_history = comment_for(Ranker(load_profile(), None, {"days": ["2025-05-27"]}), papers[:1], [])[0]
    assert "reinforcement learning" not in cold_start.lower()
    assert "reinforcement learning" in with_history.lower()
