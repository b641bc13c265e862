"""Feedback: like / dislike / import-likes / feedback, in the library and on the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from papersieve.cli.main import main
from papersieve.errors import ConfigError
from papersieve.feedback import import_likes, list_feedback, normalise_title, record_feedback
from papersieve.profile.loader import load_profile
from papersieve.sources.jsonl import paper_from_record, read_records
from papersieve.store import open_store
from papersieve.store.db import Store
from papersieve.store.library import library_examples
from papersieve.store.papers import upsert_papers
from tests.conftest import DATA

DAY = DATA / "candidates" / "arxiv-2025-07-03-cs.LG+cs.AI.jsonl"


@pytest.fixture()
def store() -> Store:
    opened = open_store()
    upsert_papers(opened, [paper_from_record(r) for r in read_records(DAY)])
    return opened


def test_like_and_dislike_record_and_retrain(store: Store) -> None:
    ids = [r["id"] for r in read_records(DAY)][:3]
    result = record_feedback(store, [f"https://arxiv.org/abs/{ids[0]}v2", ids[1]], 1, "web")
    assert result.recorded == (ids[0], ids[1]) and result.unknown == ()
    assert result.train is not None and result.train.positives == 2
    result = record_feedback(store, [ids[2], "2512.99999"], -1)
    assert result.unknown == ("2512.99999",)
    assert result.train is not None and result.train.negatives == 1 and result.train.version == 2
    # Feedback on a paper not fetched yet is kept but teaches nothing until the paper is seen.
    again = record_feedback(store, ["2512.99998"], 1)
    assert again.train is not None and not again.train.changed and again.train.version == 2
    assert again.train.feedback_labels == 3
    rows = {r.paper_id: (r.label, r.source) for r in list_feedback(store)}
    assert rows == {ids[0]: (1, "web"), ids[1]: (1, "web"), ids[2]: (-1, "cli"), "2512.99999": (-1, "cli"),
                    "2512.99998": (1, "cli")}
    record_feedback(store, [ids[0]], -1)
    assert {r.paper_id: r.label for r in list_feedback(store)}[ids[0]] == -1


def test_bad_ids_and_labels_are_one_line_errors(store: Store) -> None:
    with pytest.raises(ConfigError, match="not an arXiv identifier"):
        record_feedback(store, ["not-an-id"], 1)
    with pytest.raises(ConfigError, match="label"):
        record_feedback(store, ["2507.00001"], 5)


def test_import_likes_from_bibtex_and_zotero(store: Store, tmp_path: Path) -> None:
    records = read_records(DAY)
    by_title = records[10]
    bib = tmp_path / "likes.bib"
    bib.write_text(
        "@article{a, title={{Attention} Is All You Need}, eprint={1706.03762v7},"
        " archivePrefix={arXiv}, primaryClass={cs.CL}}\n"
        f"@misc{{b, title={{Something}}, url={{https://arxiv.org/abs/{records[0]['id']}}}}}\n"
        f"@article{{c, title={{Other}}, doi={{10.48550/arXiv.{records[1]['id']}}}}}\n"
        # Zotero / Better BibTeX: no arXiv fields, the title in braces with a TeX accent.
        f"@article{{d, title = {{{by_title['title']}}}, journaltitle={{Proc. X}}, date={{2025}}}}\n"
        "@book{e, title={A Book Nobody Indexed}, publisher={P}}\n"
    )
    report = import_likes(store, bib, load_profile())
    assert report.entries == 5 and report.examples == 5 and report.new == 5
    # Only papers the store holds are "in the store"; the others are kept with their own text
    # (before: 1706.03762 was reported as liked, and its title thrown away).
    assert set(report.matched) == {records[0]["id"], records[1]["id"], by_title["id"]}
    assert report.by == {"url": 1, "doi": 1, "title": 1}
    assert report.unmatched == ("Attention Is All You Need", "A Book Nobody Indexed")
    kept = {e.key: (e.title, e.paper_id) for e in library_examples(store, "default")}
    assert kept["1706.03762"] == ("Attention Is All You Need", "1706.03762")
    assert kept["title:a book nobody indexed"] == ("A Book Nobody Indexed", "")
    assert list_feedback(store) == []  # a library is examples, not clicks


def test_normalise_title() -> None:
    assert normalise_title("{Attention} Is \\emph{All} You Need!") == "attention is all you need"


def test_cli_commands(store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ids = [r["id"] for r in read_records(DAY)][:2]
    main(["like", ids[0]])
    main(["dislike", ids[1]])
    bib = tmp_path / "x.bib"
    bib.write_text("@misc{x, title={T}, eprint={2501.00001}}\n")
    main(["import-likes", "--offline", str(bib)])
    main(["feedback"])
    out = capsys.readouterr().out
    assert f"Liked 1 paper(s): {ids[0]}" in out
    assert f"Disliked 1 paper(s): {ids[1]}" in out
    assert ("1 entries (bibtex): 1 library examples for profile default (1 new); 0 in the store"
            " (none), 1 not in the store (their own title and abstract teach)") in out
    lines = [line for line in out.splitlines() if line.startswith(("+1", "-1"))]
    assert [line.split()[:2] for line in lines] == [["-1", ids[1]], ["+1", ids[0]]]
    main(["like", ids[0]])  # again: one more mark, still two papers
    main(["db"])
    out = capsys.readouterr().out
    assert "feedback marks (each like or dislike, history included): 3" in out
    assert "papers liked or disliked now: 2" in out


def test_a_file_without_bibtex_entries_is_a_clear_error(
        store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    not_bib = tmp_path / "profile.toml"
    not_bib.write_text('name = "me"\n[judge]\nkind = "local"\n')
    with pytest.raises(SystemExit) as stop:
        main(["import-likes", str(not_bib)])
    assert stop.value.code == 2
    assert capsys.readouterr().err == (f"error: {not_bib}: no BibTeX entry in it (export the"
                                       " library or collection as BibTeX: @article{...} records)\n")
    assert list_feedback(store) == []


def test_fuzzy_title_match_needs_most_words_in_common(store: Store, tmp_path: Path) -> None:
    stored = [paper_from_record(r) for r in read_records(DAY)]
    paper = next(p for p in stored if len([w for w in normalise_title(p.title).split() if len(w) > 2]) >= 9)
    words = normalise_title(paper.title).split()
    near = " ".join(words) + " revisited"
    # Four of its words: every one is in the stored title (the full-text search finds it), but
    # a title this short and different names another paper.
    other = " ".join([w for w in words if len(w) > 2][:4])
    bib = tmp_path / "fuzzy.bib"
    bib.write_text(f"@article{{a, title={{{near}}}}}\n@article{{b, title={{{other}}}}}\n")
    report = import_likes(store, bib, load_profile())
    assert report.matched == (paper.id,) and report.by == {"search": 1}
    assert report.unmatched == (other,)


def test_feedback_on_a_paper_not_seen_yet_counts_once_it_is_stored(store: Store) -> None:
    from papersieve.judges.local import retrain

    future = paper_from_record(read_records(DATA / "candidates" / "arxiv-2025-07-02-cs.LG+cs.AI.jsonl")[0])
    known = [r["id"] for r in read_records(DAY)][:2]
    first = record_feedback(store, known, 1).train
    assert first is not None and first.positives == 2
    early = record_feedback(store, [future.id], -1)
    assert early.unknown == (future.id,)
    assert early.train is not None and not early.train.changed and early.train.version == first.version
    upsert_papers(store, [future])
    later = retrain(store, load_profile())
    assert later.changed and later.version == first.version + 1
    assert later.negatives == 1 and later.feedback_labels == 3


def test_a_local_run_picks_up_a_like_of_a_paper_it_has_just_stored() -> None:
    """`like` before the paper was fetched: the local run that stores it retrains the ranker."""
    from click.testing import CliRunner

    from papersieve.cli.main import cli
    from papersieve.judges.local.model.persist import load_model

    later = read_records(DATA / "candidates" / "arxiv-2025-07-03-cs.LG+cs.AI.jsonl")[5]["id"]
    runner = CliRunner()
    liked = runner.invoke(cli, ["like", later])
    assert liked.exit_code == 0, liked.output
    assert f"not in the store yet (kept, used once seen): {later}" in liked.output
    with open_store() as opened:
        assert load_model(opened, load_profile().name) is None
    run = runner.invoke(cli, ["run", "--offline", str(DATA / "candidates"), "--date", "2025-07-03",
                              "--no-deliver"])
    assert run.exit_code == 0, run.output
    assert "local-tfidf-v0" in run.output
    with open_store() as opened:
        model = load_model(opened, load_profile().name)
    assert model is not None and model.version == 1
    assert model.meta["feedback_labels"] == 1 and model.meta["positives"] == 1


def test_arxiv_doi_is_read_from_the_url_field_and_keeps_old_style_case(
        store: Store, tmp_path: Path) -> None:
    """A doi.org address of an arXiv DOI in `url` (as some exports write it) names the paper;
    an old-style DOI keeps its subject class as written (math.GT, not math.gt)."""
    records = read_records(DAY)
    bib = tmp_path / "doi.bib"
    bib.write_text(
        f"@misc{{a, title={{A}}, url={{https://doi.org/10.48550/arXiv.{records[0]['id']}}}}}\n"
        "@misc{b, title={B}, doi={10.48550/arXiv.math.GT/0309136}}\n"
    )
    report = import_likes(store, bib, load_profile())
    assert report.matched == (records[0]["id"],) and report.by == {"url": 1}
    assert {e.paper_id for e in library_examples(store, "default")} == {records[0]["id"],
                                                                        "math.GT/0309136"}


@pytest.mark.parametrize(("text", "message"), [
    # An undefined @string macro (a bare word as a value): bibtexparser raised UndefinedString.
    ("@article{a, title=Bare, eprint={2507.00029}}\n", "undefined @string macro 'bare'"),
    # A broken entry among good ones: bibtexparser skipped it without a word.
    ("@article{a, title={X}, eprint={2507.00029}}\n@article{b title = Y, eprint={2507.00390}}\n"
     "@article{c, title={Z}, eprint={2507.00002}}\n",
     "1 of 3 entries could not be read (the first at line 2)"),
])
def test_a_malformed_bibtex_file_is_a_clear_error_and_imports_nothing(
        store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str,
        message: str) -> None:
    bib = tmp_path / "bad.bib"
    bib.write_text(text)
    with pytest.raises(SystemExit) as stop:
        main(["import-likes", str(bib)])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {bib}: ") and message in err and err.count("\n") == 1
    assert list_feedback(store) == []


def test_duplicate_keys_and_comments_are_not_taken_for_broken_entries(
        store: Store, tmp_path: Path) -> None:
    bib = tmp_path / "ok.bib"
    bib.write_text("@comment{jabref-meta: x}\n@string{me = {Me}}\n"
                   "@misc{a, title={A}, eprint={2507.00029}}\n@misc{a, title={B}, eprint={2507.00390}}\n")
    report = import_likes(store, bib, load_profile())
    assert report.entries == 2 and {e.paper_id for e in library_examples(store, "default")} == {
        "2507.00029", "2507.00390"}
