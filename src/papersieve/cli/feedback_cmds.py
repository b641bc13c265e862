"""`papersieve like`, `dislike`, `import-likes` and `feedback`."""

from __future__ import annotations

from pathlib import Path

import click

from papersieve.cli.options import profile_option
from papersieve.feedback import FeedbackResult, ImportReport, list_feedback, record_feedback
from papersieve.feedback import import_likes as import_likes_file
from papersieve.profile.stored import load_profile_ref
from papersieve.store import open_store, open_store_to_read
from papersieve.store.feedback import feedback_profiles


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
        _echo_result(record_feedback(store, ids, 1, "cli", load_profile_ref(profile_dir)), "Liked")


@click.command()
@click.argument("ids", nargs=-1, required=True)
@profile_option
def dislike(ids: tuple[str, ...], profile_dir: Path | None) -> None:
    """Mark papers as disliked (arXiv ids or URLs); the local judge learns from them."""
    with open_store() as store:
        _echo_result(record_feedback(store, ids, -1, "cli", load_profile_ref(profile_dir)), "Disliked")


@click.command("import-likes")
@click.argument("file", required=False, type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--zotero", is_flag=True,
              help="Read your live Zotero library (web API; ZOTERO_USER_ID and ZOTERO_API_KEY from"
                   " the environment) instead of a file.")
@click.option("--group", "group_id", metavar="ID", help="With --zotero: a group library's id.")
@click.option("--collection", "include", multiple=True, metavar="NAME",
              help="With --zotero: only items of this collection (name or key; repeatable).")
@click.option("--exclude-collection", "exclude", multiple=True, metavar="NAME",
              help="With --zotero: leave out items of this collection (repeatable).")
@click.option("--offline", is_flag=True,
              help="Do not look up missing abstracts of arXiv papers on the arXiv API.")
@profile_option
def import_likes(file: Path | None, zotero: bool, group_id: str | None, include: tuple[str, ...],
                 exclude: tuple[str, ...], offline: bool, profile_dir: Path | None) -> None:
    """Teach the profile your library: a BibTeX, CSL-JSON or Zotero RDF export, or --zotero.

    Every entry's own title and abstract becomes a liked example of the profile, whether or not
    the store holds the paper; the newest additions weigh most (as zotero-arxiv-daily does).
    """
    from papersieve.feedback import teach_library
    from papersieve.sources.arxiv_lookup import lookup_abstracts

    if (file is None) == (not zotero):
        raise click.UsageError("give a library FILE or --zotero (not both)")
    if not zotero and (group_id or include or exclude):
        raise click.UsageError("--group, --collection and --exclude-collection need --zotero")
    profile = load_profile_ref(profile_dir)
    lookup = None if offline else lookup_abstracts
    if zotero:
        from papersieve.zotero import library_from_env, read_zotero

        library = library_from_env(group_id, include, exclude)
        entries = read_zotero(library)
        with open_store() as store:
            report = teach_library(store, entries, "zotero", profile, library.prefix, lookup)
    else:
        assert file is not None
        with open_store() as store:
            report = import_likes_file(store, file, profile, lookup)
    echo_import(report)


def echo_import(report: ImportReport) -> None:
    """What an import did, in a few lines."""
    how = ", ".join(f"{n} by {k}" for k, n in sorted(report.by.items()))
    click.echo(f"{report.entries} entries ({report.format}): {report.examples} library examples"
               f" for profile {report.profile} ({report.new} new); {len(report.matched)} in the"
               f" store ({how or 'none'}), {len(report.unmatched)} not in the store (their own"
               " title and abstract teach)")
    if report.looked_up or report.lookup_note:
        click.echo(f"abstracts looked up on arXiv: {report.looked_up}"
                   + (f" ({report.lookup_note})" if report.lookup_note else ""))
    if report.without_text:
        click.echo(f"skipped {len(report.without_text)} without a title: "
                   + " ".join(report.without_text[:10]))
    if report.train is not None:
        click.echo(f"local judge: model v{report.train.version}, trained on"
                   f" {report.train.trained_on} labelled papers ({report.train.positives} positive)")


@click.command()
@click.option("--pull", is_flag=True,
              help="First read the 👍/👎 presses (Telegram) and reactions (Slack) of the chats the"
                   " profile delivers to, as every `run` does at its start.")
@profile_option
def feedback(pull: bool, profile_dir: Path | None) -> None:
    """List the profile's liked and disliked papers, newest first (--pull: read the chats first)."""
    if pull:
        _pull(profile_dir)
        return
    name = load_profile_ref(profile_dir).name
    with open_store_to_read() as store:
        rows = list_feedback(store, name)
        others = {k: v for k, v in feedback_profiles(store).items() if k != name}
    if not rows:
        click.echo(f"No feedback on profile {name} yet (papersieve like ID, dislike ID, teach).")
    if others:
        click.echo("Other profiles' feedback (not used by this one): "
                   + ", ".join(f"{k} {v}" for k, v in others.items()))
    for row in rows:
        mark = "+1" if row.label > 0 else "-1"
        click.echo(f"{mark} {row.paper_id}  {row.created_at[:10]}  {row.source:<6}  {row.title or ''}")


def _pull(profile_dir: Path | None) -> None:
    from papersieve.chatfeedback import pull_feedback

    profile = load_profile_ref(profile_dir)
    with open_store() as store:
        reports = pull_feedback(store, profile, click.echo)
    if not reports:
        click.echo("No chat to read: set [deliver.telegram] enabled (with buttons) or"
                   " [deliver.slack] enabled and feedback in profile.toml.")
    if any(r.error for r in reports):
        raise SystemExit(4)
