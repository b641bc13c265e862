"""Entry point. Commands are imported only when called, so `papersieve --help` starts fast."""

from __future__ import annotations

import importlib
import sqlite3
import sys
from typing import Any

import click

from papersieve import __version__
from papersieve.errors import PapersieveError

# name -> (module, attribute, one-line help). The help is here so that --help imports nothing.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "init": ("papersieve.cli.profile_cmds", "init", "Write an editable profile folder."),
    "profile": ("papersieve.cli.profiles_cmds", "profile",
                "Keep profiles in the store: add, list, export, remove (a group's members)."),
    "db": ("papersieve.cli.profile_cmds", "db",
           "Show where the store is and what it holds (--vacuum: prune and compact it)."),
    "fetch": ("papersieve.cli.fetch_cmds", "fetch", "Fetch and store a day's arXiv listings."),
    "backfill": ("papersieve.cli.fetch_cmds", "backfill",
                 "Fetch past days through the arXiv API or OAI-PMH (approximate)."),
    "judge": ("papersieve.cli.judge_cmds", "judge", "Judge a stored day's candidates."),
    "run": ("papersieve.cli.run_cmds", "run", "Do the whole day: fetch, judge, render, deliver."),
    "digest": ("papersieve.cli.digest_cmds", "digest",
               "Write the week's picks grouped by your topics (--week)."),
    "demo": ("papersieve.cli.run_cmds", "demo",
             "Run the whole pipeline on a bundled real arXiv day, offline, with no key."),
    "topics": ("papersieve.cli.topics_cmds", "topics",
               "Show what the local judge derived from the topics file."),
    "like": ("papersieve.cli.feedback_cmds", "like", "Mark papers as liked."),
    "dislike": ("papersieve.cli.feedback_cmds", "dislike", "Mark papers as disliked."),
    "import-likes": ("papersieve.cli.feedback_cmds", "import_likes",
                     "Teach the profile your library (BibTeX, CSL-JSON, Zotero RDF, --zotero)."),
    "teach": ("papersieve.cli.teach_cmds", "teach",
              "Like or dislike about ten papers chosen to teach the profile most."),
    "feedback": ("papersieve.cli.feedback_cmds", "feedback", "List your feedback."),
    "eval": ("papersieve.cli.eval_cmds", "eval_", "Replay labelled days and measure the judges."),
    "serve": ("papersieve.cli.serve_cmds", "serve", "Serve the local web app."),
    "user": ("papersieve.cli.user_cmds", "user",
             "Accounts of the group web app (serve --group): add, list, remove."),
    "status": ("papersieve.cli.status_cmds", "status",
               "Say whether the store is behind arXiv's announcement days, and why."),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        spec = COMMANDS.get(cmd_name)
        if spec is None:
            return None
        module = importlib.import_module(spec[0])
        command = getattr(module, spec[1])
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="papersieve")
def cli() -> None:
    """papersieve reads the day's new arXiv papers and keeps the ones that matter to you.

    State lives in $PAPERSIEVE_HOME (default $XDG_DATA_HOME/papersieve if XDG_DATA_HOME is set,
    else ~/.papersieve). Start with `papersieve demo`.
    """
    from papersieve.home import use_store_url
    from papersieve.redact import check_secrets

    check_secrets()  # before any command sends anything (a one-line error, the value not shown)
    use_store_url("")  # until a command's profile names one (`[store] url`, cli/options.py)


def main(argv: list[str] | None = None) -> Any:
    """Run the CLI; a PapersieveError becomes `error: <one line>` and exit code 2.

    Everything the process prints (messages, errors, a traceback) goes through the redactor.
    """
    from papersieve.redact import install_stream_redaction

    install_stream_redaction()
    try:
        return cli.main(args=argv, prog_name="papersieve", standalone_mode=False)
    except PapersieveError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(2)
    except sqlite3.DatabaseError as err:
        from papersieve.store.db import damaged_store

        damaged = damaged_store(err)
        if damaged is None:
            raise  # any other database error is a bug: keep its traceback
        click.echo(f"error: {damaged}", err=True)
        sys.exit(2)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as err:
        err.show()
        sys.exit(err.exit_code)
    except click.exceptions.Exit as err:
        sys.exit(err.exit_code)
    finally:
        _settle_console()


def _settle_console() -> None:
    """Say once, on stderr, that the command's output was lost; exit 2 if nothing else failed."""
    from papersieve.redact import settle_console

    lost = settle_console()
    if lost is None:
        return
    click.echo(f"error: the command's output could not be written ({lost.strerror or lost})", err=True)
    pending = sys.exc_info()[1]
    if pending is None or (isinstance(pending, SystemExit) and pending.code in (0, None)):
        sys.exit(2)
