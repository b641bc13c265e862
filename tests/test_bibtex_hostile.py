"""Hostile BibTeX for `import-likes`: chained @string doublings, deep brace nesting, and fuzzed
text; each ends in an import or in one line of error, never a blow-up or a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from papersieve.bibtex import MAX_VALUE, read_bibtex, split_concatenation
from papersieve.cli.main import main
from papersieve.errors import PapersieveError
from papersieve.feedback import import_likes, list_feedback
from papersieve.profile import load_profile
from papersieve.store import Store
from papersieve.store.library import library_examples


def doublings(levels: int) -> str:
    """The review's file: each @string twice the one before, the last one used as a title."""
    lines = ['@string{s0 = "xx"}']
    lines += [f"@string{{s{i} = s{i - 1} # s{i - 1}}}" for i in range(1, levels + 1)]
    lines.append(f"@article{{k, title = s{levels}, eprint = {{2507.00001}}}}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("levels", [20, 40])
def test_chained_string_doublings_are_refused_in_one_line(
        store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str], levels: int) -> None:
    bib = tmp_path / "bomb.bib"
    bib.write_text(doublings(levels))
    with pytest.raises(SystemExit) as stop:
        main(["import-likes", str(bib)])
    assert stop.value.code == 2
    # s0 has 2 characters, s16 2**17: the first past the budget.
    assert capsys.readouterr().err == (
        f"error: {bib}: @string s16: the value grows past {MAX_VALUE:,} characters (chained"
        " @string macros?): nothing was imported\n")
    assert list_feedback(store) == []


def test_strings_within_the_budget_are_expanded(tmp_path: Path) -> None:
    bib = tmp_path / "ok.bib"
    bib.write_text(doublings(10) + '@misc{m, title = "A # B" # { and {#} } # 2020, month = jan}\n')
    first, second = read_bibtex(bib)
    assert first["title"] == "x" * 2**11 and first["eprint"] == "2507.00001"
    assert (second["title"], second["month"]) == ("A # B and {#} 2020", "January")


def test_deep_brace_nesting_in_a_title_is_read(store: Store, tmp_path: Path) -> None:
    bib = tmp_path / "deep.bib"
    bib.write_text("@article{k, title = {" + "{" * 3000 + "deep" + "}" * 3000 + "},"
                   " eprint = {2507.00002}}\n")
    report = import_likes(store, bib, load_profile())
    assert report.examples == 1
    assert [(e.title, e.paper_id) for e in library_examples(store, "default")] == [("deep", "2507.00002")]


def test_split_concatenation() -> None:
    assert split_concatenation('a # "b # c" # {d # {e}} # 12') == ["a", '"b # c"', "{d # {e}}", "12"]
    assert split_concatenation("  {x}  ") == ["{x}"]
    assert split_concatenation("") == []


BIB_ALPHABET = st.sampled_from([*'@{}()"#=, \n\\%', "article", "string", "comment", "preamble",
                                "title", "eprint", "s0", "2507.00001", "jan", "x"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.lists(BIB_ALPHABET, max_size=80).map("".join) | st.text(max_size=200))
def test_fuzzed_bibtex_reads_or_fails_in_one_line(tmp_path: Path, text: str) -> None:
    bib = tmp_path / "fuzz.bib"
    bib.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        entries = read_bibtex(bib)
    except PapersieveError as err:
        assert "\n" not in str(err)
    else:
        assert entries and all(isinstance(e["id"], str) for e in entries)
