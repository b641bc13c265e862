"""`papersieve teach`: answer about ten papers chosen to teach the profile's local judge most."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from papersieve.cli.options import profile_option
from papersieve.judges.local.questions import QUESTIONS
from papersieve.models import Paper
from papersieve.onboarding import RECENT_DAYS, answer, questions
from papersieve.profile.stored import load_profile_ref
from papersieve.store import open_store

KEYS = {"l": 1, "y": 1, "+": 1, "d": -1, "n": -1, "-": -1, "s": 0, "": 0}


@click.command()
@click.option("--count", type=click.IntRange(1, 100), default=QUESTIONS, show_default=True,
              help="How many papers to ask about.")
@click.option("--days", type=click.IntRange(1, 60), default=RECENT_DAYS, show_default=True,
              help="Newest listing days in the store to choose from.")
@click.option("--list", "list_only", is_flag=True,
              help="Only print the chosen papers (the default when not on a terminal).")
@profile_option
def teach(count: int, days: int, list_only: bool, profile_dir: Path | None) -> None:
    """Teach the profile: like or dislike papers chosen to learn most (uncertain and diverse).

    On a terminal, each paper is shown with its abstract: answer l (like), d (dislike), s (skip)
    or q (stop). Otherwise, or with --list, the chosen papers are printed; answer them with
    `papersieve like ID` / `dislike ID`.
    """
    profile = load_profile_ref(profile_dir)
    with open_store() as store:
        chosen = questions(store, profile, count, days)
        if not chosen:
            click.echo("No paper to ask about: fetch a day first (papersieve fetch or run).")
            return
        if list_only or not (sys.stdin.isatty() and sys.stdout.isatty()):
            click.echo(f"{len(chosen)} papers to teach profile {profile.name} (papersieve like ID"
                       " / dislike ID):")
            for paper in chosen:
                click.echo(f"{paper.id}  {paper.title}")
            return
        likes, dislikes = _ask(chosen)
        if not likes and not dislikes:
            click.echo("Nothing answered: nothing recorded.")
            return
        report = answer(store, profile, likes, dislikes)
    click.echo(f"Recorded {len(likes)} likes and {len(dislikes)} dislikes for profile"
               f" {profile.name}; local judge model v{report.version}.")


def _ask(chosen: list[Paper]) -> tuple[list[str], list[str]]:
    likes: list[str] = []
    dislikes: list[str] = []
    for number, paper in enumerate(chosen, start=1):
        click.echo(f"\n[{number}/{len(chosen)}] {paper.title} ({paper.id})")
        click.echo(click.wrap_text(paper.abstract[:900], width=100, initial_indent="  ",
                                   subsequent_indent="  "))
        reply = click.prompt("like (l), dislike (d), skip (s), quit (q)", default="s",
                             show_default=False).strip().lower()[:1]
        if reply == "q":
            break
        label = KEYS.get(reply, 0)
        (likes if label > 0 else dislikes if label < 0 else []).append(paper.id)
    return likes, dislikes
