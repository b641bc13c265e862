"""`papersieve eval`: replay labelled days and measure the local and hybrid judges."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import click

from papersieve import __version__
from papersieve.cli.options import profile_option
from papersieve.eval import JUDGES, LabelBook, load_days, replay
from papersieve.eval.labels import coverage
from papersieve.eval.replay import HYBRID_KEYS, METRIC_KEYS, PICK_KEYS
from papersieve.profile.stored import load_profile_ref


def _fmt(value: object) -> str:
    return f"{value:.3f}" if isinstance(value, float) else "-"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _note_coverage(unlisted: list[str], unlabelled: list[str], as_empty: bool) -> None:
    """Say on stderr which days the labels and the candidates do not share."""
    if unlisted:
        click.echo(f"note: labels of {_plural(len(unlisted), 'day')} with no candidate file were"
                   f" left out: {', '.join(unlisted)}", err=True)
    if unlabelled and as_empty:
        has = "has" if len(unlabelled) == 1 else "have"
        click.echo(f"note: {_plural(len(unlabelled), 'candidate day')} {has} no label, counted as"
                   f" a day without picks: {', '.join(unlabelled)}", err=True)
    elif unlabelled:
        click.echo(f"note: {_plural(len(unlabelled), 'candidate day')} with no label left out"
                   f" (--unlabelled-as-empty counts them as days without picks):"
                   f" {', '.join(unlabelled)}", err=True)


def _progress(total: int) -> Callable[[str, dict[str, object]], None]:
    """One line per replayed day on stderr (a replay of many days takes minutes)."""
    done: dict[str, int] = {}

    def line(kind: str, row: dict[str, object]) -> None:
        done[kind] = done.get(kind, 0) + 1
        click.echo(f"eval {kind}: day {done[kind]}/{total} {row['date']}, {row['candidates']}"
                   f" candidates, {row['picks']} picks, judge picked {int(row['picked'])},"  # type: ignore[call-overload]
                   f" AUC {_fmt(row.get('auc'))}, F1 {_fmt(row.get('f1'))}", err=True)
    return line


@click.command("eval")
@click.option("--candidates", "candidates", required=True,
              type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="Folder of candidate files arxiv-YYYY-MM-DD-*.jsonl.")
@click.option("--labels", "labels", required=True,
              type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="JSON lines with date and id of each pick (optionally relevance, novelty). Labelled"
                   " days with no candidate file are left out and named on stderr, and so are"
                   " candidate days with no label (unless --unlabelled-as-empty).")
@click.option("--unlabelled-as-empty", is_flag=True,
              help="Count a candidate day with no label as a day without picks (default: leave"
                   " it out, since labels may simply be missing for it).")
@click.option("--judge", "judges", multiple=True, type=click.Choice(JUDGES),
              help="Judge to replay (repeat for several; default: local and hybrid).")
@click.option("--no-history", is_flag=True, help="Judge every day from the profile alone.")
@click.option("--onboarding", type=click.IntRange(0, 1000), default=0, metavar="N",
              help="First simulate a new user answering N papers of the first day chosen as"
                   " `papersieve teach` chooses them (from that day's labels); the replay starts"
                   " on the next day.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--per-day", is_flag=True, help="Also print each day's figures.")
@profile_option
def eval_(candidates: Path, labels: Path, unlabelled_as_empty: bool, judges: tuple[str, ...],
          no_history: bool, onboarding: int, as_json: bool, per_day: bool,
          profile_dir: Path | None) -> None:
    """Replay labelled days in date order; a judge learns only from the days before each one.

    Besides the ranking (AUC, recall of picks in the top share, precision at k) it measures what
    the digest would hold: precision, recall and F1 of the judge's own picks at the profile's
    cutoffs against the labels' picks."""
    profile = load_profile_ref(profile_dir)
    days = load_days(candidates)
    unlisted, unlabelled = coverage(days, LabelBook(labels), candidates, labels)
    _note_coverage(unlisted, unlabelled, unlabelled_as_empty)
    if not unlabelled_as_empty:
        days = [(date, papers) for date, papers in days if date.isoformat() not in unlabelled]
    on_day = _progress(len(days))
    results = {name: replay(name, profile, days, labels, history=not no_history,
                            onboarding=onboarding, on_day=on_day).summary()
               for name in (judges or JUDGES)}
    if as_json:
        click.echo(json.dumps({
            "profile": profile.name, "papersieve_version": __version__,
            "history": "none" if no_history else "labelled days before each day",
            "onboarding": onboarding or None,
            "unlabelled_days": "as empty" if unlabelled_as_empty else "left out",
            "judges": results}, indent=2))
        return
    keys = METRIC_KEYS + PICK_KEYS + HYBRID_KEYS
    click.echo(f"{'judge':<8} {'days':>4} " + " ".join(f"{k:>15}" for k in keys))
    for name, summary in results.items():
        click.echo(f"{name:<8} {summary['days']:>4} " + " ".join(f"{_fmt(summary.get(k)):>15}" for k in keys))
        if per_day:
            for row in summary["per_day"]:  # type: ignore[attr-defined]
                click.echo(f"  {row['date']} " + " ".join(f"{_fmt(row.get(k)):>15}" for k in keys))
    click.echo("history: " + ("none (profile only)" if no_history else "the labelled days before each day"))
    for name, summary in results.items():
        if isinstance(asked := summary.get("onboarding"), dict):
            click.echo(f"onboarding ({name}): {asked['asked']} papers of {asked['date']} answered"
                       f" ({asked['liked']} liked, {asked['disliked']} disliked); that day is not"
                       " measured")
