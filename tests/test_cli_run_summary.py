"""The closing lines of `papersieve run` name only the files the run wrote."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from papersieve.cli.main import cli
from tests.conftest import DATA

CANDIDATES = DATA / "candidates"


def _profile(tmp_path: Path, formats: str | None = None) -> Path:
    folder = tmp_path / "me"
    assert CliRunner().invoke(cli, ["init", str(folder)]).exit_code == 0
    if formats is not None:
        toml = folder / "profile.toml"
        toml.write_text(toml.read_text("utf-8").replace(
            'formats = ["markdown", "json", "html", "atom"]', f"formats = {formats}"), "utf-8")
    return folder


def _last_line(profile: Path, out: Path, date: str) -> str:
    result = CliRunner().invoke(cli, ["run", "--profile", str(profile), "--offline", str(CANDIDATES),
                                      "--date", date, "--out", str(out), "--no-deliver"])
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()[-1]


def test_markdown_only_claims_no_site_and_no_feed(tmp_path: Path) -> None:
    """It said "All outputs (site with archive, latest.*, feed.atom)" with neither site nor feed."""
    out = tmp_path / "out"
    line = _last_line(_profile(tmp_path, '["markdown"]'), out, "2025-07-03")
    assert line == f"All outputs (latest.*): {out}"
    assert not (out / "index.html").exists() and not (out / "feed.atom").exists()


def test_every_format_names_the_site_latest_and_feed_and_an_older_day_not_latest(tmp_path: Path) -> None:
    out = tmp_path / "out"
    profile = _profile(tmp_path)
    assert _last_line(profile, out, "2025-07-03") == \
        f"All outputs (site with archive, latest.*, feed.atom): {out}"
    assert _last_line(profile, out, "2025-07-02") == f"All outputs (site with archive, feed.atom): {out}"
