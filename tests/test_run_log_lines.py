"""`run` off a terminal (cron's `>> run.log 2>&1`, CI): each progress line is one line of the
log, however long. They were cut at 80 columns, so a failed member's address and SMTP server
were split across lines ("bob@lab.example: email via" / "127.0.0.1:18259 failed"), and a grep
of the log for either missed it (session 13's trial of the group features)."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from papersieve.cli.run_cmds import _progress

FAILED = ("email failed: 1 of 1 recipients failed: bob@lab.example: email via 127.0.0.1:18259"
          " failed: [Errno 111] Connection refused")


def test_a_long_line_is_one_line_in_a_log() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=False, width=80, highlight=False)
    with console.status("starting") as status:
        say = _progress(console, status)
        say(FAILED)
        say("note: no API key is configured (set OPENAI_API_KEY): using the local judge instead of"
            " the llm judge; it scores relevance only (no novelty) and costs nothing")
    lines = out.getvalue().splitlines()
    assert lines[0] == FAILED
    assert lines[1].endswith("and costs nothing") and len(lines) == 2


def test_a_terminal_still_wraps_to_its_width() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=80, highlight=False, color_system=None)
    say = _progress(console, console.status("starting"))
    say(FAILED)
    assert len(out.getvalue().splitlines()) == 2


def test_fetch_prints_a_message_with_brackets_as_it_is(
        capsys: pytest.CaptureFixture[str]) -> None:
    # `papersieve fetch` printed its progress as rich markup: "[bold]" vanished and "[/x]" (a
    # folder named "feeds[/old]") was a MarkupError traceback.
    from papersieve.cli.fetch_cmds import _progress_display

    message = "reading feeds[/old]/day.xml: [Errno 2] [bold] No such file"
    with _progress_display("fetching") as report:
        report(message)
    assert message in capsys.readouterr().err


def test_a_judging_line_with_brackets_is_shown_as_it_is() -> None:
    # The spinner's status line reads rich markup: a server's text in it ("[/v1]") was a
    # MarkupError traceback on a terminal.
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=200, highlight=False, color_system=None)
    with console.status("starting") as status:
        say = _progress(console, status)
        say("judging: 3/4 papers (title call 2: HTTP 404 from [/v1] [bold])")
        assert "[/v1] [bold]" in str(status.renderable.text)
