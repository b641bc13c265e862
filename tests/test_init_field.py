"""`papersieve init --field`: a topics template and categories for any arXiv archive or category."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from papersieve.cli.main import cli, main
from papersieve.judges.local.text.lexicon import wants_foundational
from papersieve.judges.local.text.topics import parse_topics
from papersieve.profile import load_profile
from papersieve.profile.fields import descriptions
from papersieve.profile.settings import known_categories


def test_every_known_category_and_archive_has_a_description() -> None:
    assert set(descriptions()) == {c for c in known_categories() if ":" not in c}


def test_init_field_archive_writes_one_topic_per_subcategory(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["init", str(tmp_path / "astro"), "--field", "astro-ph"])
    assert result.exit_code == 0, result.output
    profile = load_profile(tmp_path / "astro")
    assert profile.settings.categories == ("astro-ph",)
    topics = parse_topics(profile.prompts.topics)
    assert [t.name for t in topics.topics] == [
        "Cosmology and Extragalactic Astrophysics", "Earth and Planetary Astrophysics",
        "Astrophysics of Galaxies", "High Energy Astrophysical Phenomena",
        "Instrumentation and Methods for Astrophysics", "Solar and Stellar Astrophysics"]
    assert not wants_foundational(profile.prompts.topics)
    # the rest of profile.toml is the default's, comments included
    text = (tmp_path / "astro" / "profile.toml").read_text("utf-8")
    assert tomllib.loads(text)["categories"] == ["astro-ph"] and "# papersieve profile." in text


def test_init_field_category_writes_one_topic_and_its_keywords(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["init", str(tmp_path / "he"), "--field", "astro-ph.HE"])
    assert result.exit_code == 0, result.output
    profile = load_profile(tmp_path / "he")
    assert profile.settings.categories == ("astro-ph.HE",)
    parsed = parse_topics(profile.prompts.topics)
    (topic,) = parsed.topics
    assert topic.name == "High Energy Astrophysical Phenomena"
    assert "gamma-ray bursts" in topic.relevant
    # a placeholder for the researcher: no key phrase the judge would hold against a paper
    assert topic.irrelevant.startswith("Papers that only mention these subjects in passing")
    assert [t for t in parsed.terms if t.kind != "relevant"] == []
    assert "- Relevant: High Energy Astrophysical Phenomena, Neutron stars and pulsars," in (
        profile.prompts.topics)


@pytest.mark.parametrize("field", ["astro", "cs.XX", "biorxiv:neuroscience"])
def test_unknown_field_is_a_one_line_error_and_writes_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], field: str) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["init", str(tmp_path / "p"), "--field", field])
    assert stop.value.code == 2
    assert capsys.readouterr().err == (
        f"error: unknown arXiv field '{field}' (an archive such as astro-ph or a category such as"
        " astro-ph.HE; see https://arxiv.org/category_taxonomy)\n")
    assert not (tmp_path / "p").exists()
