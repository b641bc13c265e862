"""The local judge outside machine learning (issue 25): no ML word list outside its field."""

from __future__ import annotations

from papersieve.judges.local.model.ranker import Ranker
from papersieve.judges.local.text.lexicon import field_lexicons, lexicon_for
from papersieve.models import Paper
from papersieve.profile.loader import load_profile

GALAXY = Paper("2604.00001", "Turbulence in the gas discs of galaxy clusters",
               "We measure turbulence and fluid motions in the hot gas of galaxy clusters from"
               " X-ray spectra.", ("A B",), ("astro-ph.GA",))


def test_ml_word_lists_live_in_data_with_their_field_named() -> None:
    (lexicon,) = field_lexicons()
    assert lexicon.field == "machine learning"
    assert "galaxy" in lexicon.application_words
    assert lexicon_for(["cs.LG", "cs.AI"]) == lexicon
    assert lexicon_for(["astro-ph.GA", "astro-ph.HE"]) is None


def test_astronomy_profile_with_the_default_header_does_not_count_galaxies_as_applications() -> None:
    # The default topics header asks for foundational work; for an astro-ph profile that must not
    # switch on the machine-learning lists in which "galaxy", "fluid" and "turbulence" are
    # applications and astro-ph an application category.
    astro = load_profile(None, {"categories": ["astro-ph.GA"]})
    assert Ranker(astro, None, {}).foundational
    (cold,) = Ranker(astro, None, {}).cold([GALAXY])
    assert (cold.application, cold.theory, cold.category) == (0.0, 0.0, 0.0)
    assert cold.score(True) == cold.phrases


def test_ml_profile_keeps_its_field_lists() -> None:
    (cold,) = Ranker(load_profile(), None, {}).cold([GALAXY])
    # title: turbulence, galaxy (twice each); abstract: turbulence, fluid, galaxy, x-ray
    assert cold.application == 2 * 2 + 4
    assert cold.application_hits == ("turbulence", "galaxy", "x ray", "fluid")
    assert cold.category == -1.0
