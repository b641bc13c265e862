"""Profiles kept in the store (issue 19): `papersieve profile add|list|export|remove`, and
`--profile NAME` naming a stored profile in every command."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from papersieve.cli.main import cli, main
from papersieve.profile.loader import init_profile, load_profile
from papersieve.profile.stored import load_profile_ref
from papersieve.store import open_store
from papersieve.store.profiles import save_profile, stored_profile_names


def folder_with_topics(tmp_path: Path, topics: str) -> Path:
    folder = init_profile(tmp_path / "folder")
    (folder / "topics.txt").write_text(topics, "utf-8")
    return folder


def invoke(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_a_stored_profile_is_the_folder_it_came_from_under_its_new_name(tmp_path: Path) -> None:
    folder = folder_with_topics(tmp_path, "1. Coral reef ecology\n")
    assert "Stored profile alice (revision 1)" in invoke("profile", "add", "alice", str(folder))
    stored = load_profile_ref("alice")
    original = load_profile(folder)
    assert stored.name == "alice" and original.name == "default"
    assert stored.prompts == original.prompts and stored.settings.categories == original.settings.categories
    assert stored.folder is None
    assert invoke("profile", "list").startswith("alice\trevision 1\t")


def test_export_writes_back_the_same_files(tmp_path: Path) -> None:
    folder = folder_with_topics(tmp_path, "1. Gravitational waves\n")
    invoke("profile", "add", "bob", str(folder))
    invoke("profile", "export", "bob", str(tmp_path / "out"))
    for name in ("profile.toml", "topics.txt", "system.txt", "authors.txt"):
        assert (tmp_path / "out" / name).read_text("utf-8") == (folder / name).read_text("utf-8")


def test_commands_take_a_stored_profile_by_name(tmp_path: Path) -> None:
    folder = folder_with_topics(tmp_path, "1. Coral reef ecology: reef bleaching, symbiosis\n")
    invoke("profile", "add", "carol", str(folder))
    assert "reef bleaching" in invoke("topics", "--profile", "carol")


def test_a_name_taken_is_refused_unless_replace(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    folder = folder_with_topics(tmp_path, "1. One\n")
    invoke("profile", "add", "dana", str(folder))
    with pytest.raises(SystemExit) as stop:
        main(["profile", "add", "dana", str(folder)])
    assert stop.value.code == 2
    assert capsys.readouterr().err == ("error: a profile named 'dana' is already stored (use"
                                       " --replace to overwrite it)\n")
    (folder / "topics.txt").write_text("1. Two\n", "utf-8")
    assert "(revision 2)" in invoke("profile", "add", "dana", str(folder), "--replace")
    assert load_profile_ref("dana").prompts.topics == "1. Two"


@pytest.mark.parametrize(("file", "text", "message"), [
    ("profile.toml", "categories = [", "not valid TOML"),
    ("topics.txt", "\n\n", "topics.txt: prompt file is empty"),
    ("profile.toml", "judge = { kind = \"oracle\" }\n", "judge.kind"),
])
def test_an_invalid_profile_is_refused_and_nothing_is_stored(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], file: str, text: str,
        message: str) -> None:
    folder = folder_with_topics(tmp_path, "1. One\n")
    (folder / file).write_text(text, "utf-8")
    with pytest.raises(SystemExit) as stop:
        main(["profile", "add", "erin", str(folder)])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1
    with open_store() as store:
        assert stored_profile_names(store) == []


@pytest.mark.parametrize("name", ["-x", "a b", "../up", "é"])
def test_a_name_that_is_not_a_profile_name_is_refused(tmp_path: Path, name: str,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["profile", "add", "--", name, str(folder_with_topics(tmp_path, "1. One\n"))])
    assert stop.value.code == 2 and "name" in capsys.readouterr().err


def test_an_unknown_name_says_so_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["topics", "--profile", "nobody"])
    assert stop.value.code == 2
    assert capsys.readouterr().err == ("error: nobody: profile folder does not exist, and the store"
                                       " holds no profile of that name (`papersieve profile list`"
                                       " shows them)\n")


def test_a_damaged_stored_profile_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    with open_store() as store:
        save_profile(store, "frank", {"profile.toml": ""})
        with store.transaction() as conn:
            conn.execute("UPDATE profiles SET files = '{not json' WHERE name = 'frank'")
    with pytest.raises(SystemExit) as stop:
        main(["topics", "--profile", "frank"])
    assert stop.value.code == 2
    assert "stored profile 'frank' is damaged" in capsys.readouterr().err


def test_remove_forgets_only_the_profile(tmp_path: Path) -> None:
    invoke("profile", "add", "gina", str(folder_with_topics(tmp_path, "1. One\n")))
    assert invoke("profile", "remove", "gina") == "Removed profile gina\n"
    with open_store() as store:
        assert stored_profile_names(store) == []
