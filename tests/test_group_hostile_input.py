"""Hostile input on the group's paths (issue 19, session 13's trial as a new user): profile names,
email addresses, `profile add` twice, `profile export` into a folder that holds files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from papersieve.cli.main import main
from papersieve.profile.loader import init_profile
from papersieve.store import open_store
from papersieve.store.profiles import stored_profile_names
from papersieve.store.unsubscribes import unsubscribe, unsubscribed


def folder_with_email(tmp_path: Path, to: str, sender: str = "papersieve@lab.example") -> Path:
    folder = init_profile(tmp_path / "folder")
    toml = (folder / "profile.toml").read_text("utf-8")
    start = toml.index("[deliver.email]")
    end = toml.index("[schedule]")
    block = ("[deliver.email]\nenabled = true\nhost = \"127.0.0.1\"\nport = 2525\n"
             f"security = \"none\"\nsender = {json.dumps(sender)}\nto = [{json.dumps(to)}]\n\n")
    (folder / "profile.toml").write_text(toml[:start] + block + toml[end:], "utf-8")
    return folder


def refused(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """`papersieve ARGS` ends with exit 2 and one line on stderr: that line."""
    with pytest.raises(SystemExit) as stop:
        main(args)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    return err


@pytest.mark.parametrize(("to", "sender"), [
    ("eve@lab.example\nBcc: victim@evil.example", "papersieve@lab.example"),
    ("eve@lab.example\r\n", "papersieve@lab.example"),
    ("eve@lab.example", "papersieve@lab.example\nBcc: victim@evil.example"),
])
def test_an_email_address_with_a_line_break_is_refused_when_stored(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], to: str, sender: str) -> None:
    # It was stored, then its run was a traceback (ValueError from the email library) and, in
    # `run --all`, the member's whole day failed.
    folder = folder_with_email(tmp_path, to, sender)
    err = refused(["profile", "add", "eve", str(folder)], capsys)
    assert "deliver.email" in err and "line break" in err
    assert "victim" not in err  # the value is never repeated
    with open_store() as store:
        assert stored_profile_names(store) == []


@pytest.mark.parametrize("to", ["not an address", "@lab.example", "eve@", "eve"])
def test_text_that_is_no_email_address_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], to: str) -> None:
    err = refused(["profile", "add", "eve", str(folder_with_email(tmp_path, to))], capsys)
    assert "deliver.email.to" in err and "not an email address" in err


@pytest.mark.parametrize("to", ["eve@lab.example", "Eve Example <eve@lab.example>"])
def test_an_address_with_or_without_a_display_name_is_kept(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], to: str) -> None:
    assert main(["profile", "add", "eve", str(folder_with_email(tmp_path, to))]) in (0, None)
    with open_store() as store:
        assert stored_profile_names(store) == ["eve"]


def test_a_name_too_long_for_an_output_folder_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A 300-character name was stored; every run of hers then failed ("File name too long"
    # writing out/<name>) and `run --all` exited 2.
    folder = init_profile(tmp_path / "folder")
    err = refused(["profile", "add", "x" * 300, str(folder)], capsys)
    assert "1 to 64 letters, digits" in err
    assert main(["profile", "add", "x" * 64, str(folder)]) in (0, None)


@pytest.mark.parametrize("name", ["my profile", "zoë", "../evil"])
def test_a_bad_name_says_what_a_name_may_hold(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str) -> None:
    err = refused(["profile", "add", "--", name, str(init_profile(tmp_path / "folder"))], capsys)
    assert "a profile name is 1 to 64 letters" in err and "should match pattern" not in err


def test_a_name_differing_only_in_case_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # `alice` and `ALICE` were both stored: one output folder on macOS or Windows.
    folder = init_profile(tmp_path / "folder")
    assert main(["profile", "add", "alice", str(folder)]) in (0, None)
    err = refused(["profile", "add", "ALICE", str(folder)], capsys)
    assert "'alice' is already stored" in err and "differ only in case" in err
    assert main(["profile", "add", "--replace", "alice", str(folder)]) in (0, None)
    with open_store() as store:
        assert stored_profile_names(store) == ["alice"]


def test_export_does_not_overwrite_a_topics_file_without_force(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A folder holding the user's own topics.txt (and no profile.toml) was written over.
    assert main(["profile", "add", "alice", str(init_profile(tmp_path / "folder"))]) in (0, None)
    target = tmp_path / "mine"
    target.mkdir()
    (target / "topics.txt").write_text("my own notes\n", "utf-8")
    err = refused(["profile", "export", "alice", str(target)], capsys)
    assert "topics.txt" in err and "--force" in err
    assert (target / "topics.txt").read_text("utf-8") == "my own notes\n"
    assert not (target / "profile.toml").exists()
    assert main(["profile", "export", "--force", "alice", str(target)]) in (0, None)
    assert (target / "topics.txt").read_text("utf-8") != "my own notes\n"


def test_user_add_for_a_member_whose_profile_is_stored_says_how_to_give_it_to_her(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The README's group section stores `alice` with `profile add`; then `user add alice` said
    # only "the name 'alice' is taken: choose another".
    monkeypatch.setenv("PAPERSIEVE_USER_PASSWORD", "alice-password-1")
    assert main(["profile", "add", "alice", str(init_profile(tmp_path / "folder"))]) in (0, None)
    capsys.readouterr()
    err = refused(["user", "add", "alice"], capsys)
    assert "`papersieve user add alice --profile alice` gives it to her" in err
    assert main(["user", "add", "alice", "--profile", "alice"]) in (0, None)
    assert "Created member alice, owning profile alice" in capsys.readouterr().out
    err = refused(["user", "add", "Alice"], capsys)  # now hers: the name is simply taken
    assert "is taken" in err


def test_an_address_that_unsubscribed_can_be_sent_to_again(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The link can only turn emails off, and nothing turned them back on (a click by mistake, a
    # mail provider's one-click POST): `run` said "skipped" for ever.
    folder = folder_with_email(tmp_path, "alice@lab.example")
    assert main(["profile", "add", "alice", str(folder)]) in (0, None)
    with open_store() as store:
        unsubscribe(store, "alice", "Alice@Lab.example")
    capsys.readouterr()
    assert main(["profile", "resubscribe", "alice", "alice@lab.example"]) in (0, None)
    assert "alice@lab.example gets the emails of profile alice again" in capsys.readouterr().out
    with open_store() as store:
        assert unsubscribed(store, "alice") == frozenset()
    err = refused(["profile", "resubscribe", "alice", "alice@lab.example"], capsys)
    assert "has not unsubscribed from profile alice" in err
    assert "no profile of that name" in refused(["profile", "resubscribe", "bob", "b@x.org"], capsys)


def test_profile_list_shows_a_stored_profile_that_no_longer_loads_and_the_others(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A profile stored before a check it now fails (an address with a line break) stopped
    # `profile list` at its row: the members after it were not listed.
    good = init_profile(tmp_path / "good")
    bad = folder_with_email(tmp_path, "eve@lab.example\nBcc: x@y.org")
    from papersieve.profile.loader import read_profile_folder
    from papersieve.store.profiles import save_profile

    with open_store() as store:
        save_profile(store, "eve", read_profile_folder(bad))  # as an older version stored it
    assert main(["profile", "add", "zed", str(good)]) in (0, None)
    capsys.readouterr()
    assert main(["profile", "list"]) in (0, None)
    eve, zed = capsys.readouterr().out.splitlines()
    assert eve.startswith("eve\trevision 1\t") and "does not load: " in eve and "line break" in eve
    assert zed.startswith("zed\trevision 1\t") and zed.endswith("\tcs.LG,cs.AI\tllm")
