"""`papersieve like`, `dislike`, `import-likes` and `feedback`."""

from __future__ import annotations

from pathlib import Path

import click

from papersieve.cli.options import profile_option
from papersieve.feedback import FeedbackResult, list_feedback, record_feedback
from papersieve.feedback import import_likes as import_likes_file
from papersieve.profile.loader import load_profile
from papersieve.store import open_store, open_store_to_read


def _echo_result(result: FeedbackResult, verb: str) -> None:
    click.echo(f"{verb} {len(result.recorded)} paper(s): {' '.join(result.recorded)}")
    if result.unknown:
        click.echo(f"not in the store yet (kept, used once seen): {' '.join(result.unknown)}")
    if result.train is not None:
        click.echo(f"local judge: model v{result.train.version}, trained on {result.train.trained_on}"
                   f" labelled papers ({result.train.positives} positive)")


@click.command()
@click.argument("ids", nargs=-1, required=True)
@profile_option
def like(ids: tuple[str, ...], profile_dir: Path | None) -> None:
    """Mark papers as liked (arXiv ids or URLs); the local judge learns from them."""
    with open_store() as store:
        _echo_result(record_feedback(store, ids, 1, "cli", load_profile(profile_dir)), "Liked")


@click.command()
@click.argument("ids", nargs=-1, required=True)
@profile_option
def dislike(ids: tuple[str, ...], profile_dir: Path | None) -> None:
    """Mark papers as disliked (arXiv ids or URLs); the local judge learns from them."""
    with open_store() as store:
        _echo_result(record_feedback(store, ids, -1, "cli", load_profile(profile_dir)), "Disliked")


@click.command("import-likes")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@profile_option
def import_likes(file: Path, profile_dir: Path | None) -> None:
    """Import liked papers from a BibTeX file or a Zotero (Better BibTeX) export."""
    with open_store() as store:
        report = import_likes_file(store, file, load_profile(profile_dir))
    how = ", ".join(f"{n} by {k}" for k, n in sorted(report.by.items()))
    click.echo(f"{report.entries} entries: {len(report.matched)} liked ({how or 'none'}),"
               f" {len(report.unmatched)} not matched")
    for title in report.unmatched[:20]:
        click.echo(f"  not matched: {title}")


@click.command()
@click.option("--pull", is_flag=True,
              help="First read the 👍/👎 presses (Telegram) and reactions (Slack) of the chats the"
                   " profile delivers to, as every `run` does at its start.")
@profile_option
def feedback(pull: bool, profile_dir: Path | None) -> None:
    """List your liked and disliked papers, newest first (--pull: read the chats first)."""
    if pull:
        _pull(profile_dir)
        return
    with open_store_to_read() as store:
        rows = list_feedback(store)
    if not rows:
        click.echo("No feedback yet (papersieve like ID, dislike ID, import-likes FILE.bib).")
    for row in rows:
        mark = "+1" if row.label > 0 else "-1"
        click.echo(f"{mark} {row.paper_id}  {row.created_at[:10]}  {row.source:<6}  {row.title or ''}")


def _pull(profile_dir: Path | None) -> None:
    from papersieve.chatfeedback import pull_feedback

    profile = load_profile(profile_dir)
    with open_store() as store:
        reports = pull_feedback(store, profile, click.echo)
    if not reports:
        click.echo("No chat to read: set [deliver.telegram] enabled (with buttons) or"
                   " [deliver.slack] enabled and feedback in profile.toml.")
    if any(r.error for r in reports):
        raise SystemExit(4)
