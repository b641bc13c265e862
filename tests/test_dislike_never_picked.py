"""A paper the user disliked is never picked again, not even on a rerun of its day."""

from __future__ import annotations

from click.testing import CliRunner

from papersieve.cli.main import cli
from papersieve.store import open_store
from tests.conftest import DATA

DATE = "2025-07-03"


def _picked(date: str) -> list[str]:
    with open_store() as store:
        rows = store.conn.execute(
            "SELECT rc.paper_id FROM run_candidates rc JOIN runs r ON r.id = rc.run_id"
            " WHERE r.id = (SELECT MAX(id) FROM runs WHERE date = ?) AND rc.picked = 1"
            " ORDER BY rc.rank", (date,)).fetchall()
    return [str(r[0]) for r in rows]


def test_a_disliked_pick_is_not_picked_on_a_rerun() -> None:
    # Before: the rerun reused the day's judgement (relevance 8 or more) and picked it again.
    runner = CliRunner()
    args = ["run", "--offline", str(DATA / "candidates"), "--date", DATE, "--no-deliver"]
    first = runner.invoke(cli, args)
    assert first.exit_code == 0, first.output
    picks = _picked(DATE)
    assert len(picks) >= 3
    disliked = runner.invoke(cli, ["dislike", picks[0]])
    assert disliked.exit_code == 0, disliked.output
    again = runner.invoke(cli, args)
    assert again.exit_code == 0, again.output
    after = _picked(DATE)
    assert picks[0] not in after
    assert after  # the day still has its other picks
