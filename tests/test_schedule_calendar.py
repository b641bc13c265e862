"""The schedule checked against the calendar of a real year, as GitHub's cron would fire it.

arXiv rebuilds each daily feed at midnight US Eastern and the feed then serves that listing date
for a day, so the listing a run reads is the Eastern date of the instant it starts (none on
Saturday and Sunday). Every weekday listing of the year must be read exactly once by the first
run, also when GitHub starts it late, on both sides of the daylight-saving changes; the second
run reads the same day again, later.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from croniter import croniter

from papersieve.cli.main import cli
from papersieve.schedule import RUN_TIMES_UTC

EASTERN = ZoneInfo("America/New_York")
UTC = dt.UTC
YEAR = 2026
LATE = dt.timedelta(hours=3)
"""How late GitHub may start a scheduled run and still have it read the right day."""


def _workflow_crons(tmp_path: Path) -> list[str]:
    folder = tmp_path / "me"
    assert CliRunner().invoke(cli, ["init", str(folder)]).exit_code == 0
    text = (folder / ".github" / "workflows" / "papersieve.yml").read_text("utf-8")
    return re.findall(r'- cron: "([^"]+)"', text)


def _firings(expression: str, year: int) -> list[dt.datetime]:
    """Every instant `expression` fires in `year` (GitHub evaluates cron in UTC)."""
    start = dt.datetime(year, 1, 1, tzinfo=UTC) - dt.timedelta(seconds=1)
    it = croniter(expression, start)
    out = []
    while (when := it.get_next(dt.datetime)).year == year:
        out.append(when)
    return out


def _listing_read(instant: dt.datetime) -> dt.date | None:
    """The listing date the feeds serve at `instant` (None on a weekend: an empty feed)."""
    day = instant.astimezone(EASTERN).date()
    return day if day.weekday() < 5 else None


def _weekdays(year: int) -> list[dt.date]:
    first = dt.date(year, 1, 1)
    days = (first + dt.timedelta(days=n) for n in range((dt.date(year + 1, 1, 1) - first).days))
    return [day for day in days if day.weekday() < 5]


def _reads(expression: str, delay: dt.timedelta) -> list[dt.date | None]:
    return [_listing_read(when + delay) for when in _firings(expression, YEAR)]


def _check_reads_every_weekday_once(expression: str) -> None:
    for delay in (dt.timedelta(0), dt.timedelta(minutes=59), LATE):
        reads = _reads(expression, delay)
        assert None not in reads, f"{expression} (+{delay}) reads an empty weekend feed"
        assert reads == _weekdays(YEAR), f"{expression} (+{delay}) misses or repeats a listing"


def test_the_first_run_reads_every_weekday_listing_once_in_summer_and_winter(tmp_path: Path) -> None:
    first, _ = _workflow_crons(tmp_path)
    _check_reads_every_weekday_once(first)
    # Both sides of the 2026 changes (8 March, 1 November): the Fridays around them are read.
    reads = set(_reads(first, dt.timedelta(0)))
    assert {dt.date(2026, 3, 6), dt.date(2026, 3, 13), dt.date(2026, 10, 30),
            dt.date(2026, 11, 6)} <= reads


def test_the_catch_up_run_reads_the_same_day_later(tmp_path: Path) -> None:
    first, second = _workflow_crons(tmp_path)
    _check_reads_every_weekday_once(second)
    for a, b in zip(_firings(first, YEAR), _firings(second, YEAR), strict=True):
        assert a < b and _listing_read(a) == _listing_read(b)


def test_the_old_schedule_missed_fridays() -> None:
    """The schedule this replaces (01:30 UTC) read the day before: Monday the empty weekend."""
    with pytest.raises(AssertionError):
        _check_reads_every_weekday_once("30 1 * * 1-5")
    reads = set(_reads("30 1 * * 1-5", dt.timedelta(0)))
    fridays = [d for d in _weekdays(YEAR) if d.weekday() == 4]
    assert reads.isdisjoint(fridays)


def test_cron_line_systemd_timer_and_workflow_share_the_hours(
    tmp_path: Path, papersieve_home: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    expected = [f"{t.minute} {t.hour} * * 1-5" for t in RUN_TIMES_UTC]
    assert _workflow_crons(tmp_path) == expected
    result = CliRunner().invoke(cli, ["init", "--systemd", str(tmp_path / "other")])
    assert result.exit_code == 0, result.output
    cron = [line for line in result.output.splitlines() if line.endswith("2>&1")]
    assert [" ".join(line.split()[:5]) for line in cron] == expected
    units = tmp_path / "config" / "systemd" / "user"
    timer = (units / "papersieve-default.timer").read_text("utf-8")
    service = (units / "papersieve-default.service").read_text("utf-8")
    calendars = re.findall(r"^OnCalendar=(.*)$", timer, re.M)
    assert calendars == [f"Mon..Fri *-*-* {t:%H:%M}:00 UTC" for t in RUN_TIMES_UTC]
    assert "Persistent=true" in timer
    assert f"Environment=PAPERSIEVE_HOME={papersieve_home}" in service
    assert re.search(rf"^ExecStart=\S+papersieve run --profile {tmp_path / 'other'}$", service, re.M)
    assert "SuccessExitStatus=3 4 5" in service
    assert "systemctl --user daemon-reload && systemctl --user enable --now papersieve-default.timer" \
        in result.output


def test_systemd_reads_the_timer_calendar_as_the_cron_line(tmp_path: Path) -> None:
    """systemd's own parser, when the machine has it: the same weekday instants as cron."""
    analyze = Path("/usr/bin/systemd-analyze")
    if not analyze.exists():
        pytest.skip("systemd-analyze is not installed")
    for t in RUN_TIMES_UTC:
        spec = f"Mon..Fri *-*-* {t:%H:%M}:00 UTC"
        done = subprocess.run([str(analyze), "calendar", "--iterations=10", spec,
                               "--base-time=2026-03-05 00:00:00 UTC"],
                              capture_output=True, text=True, check=False, timeout=30,
                              env={"TZ": "UTC", "SYSTEMD_COLORS": "0"})
        if done.returncode != 0 and "base-time" in done.stderr:
            pytest.skip("this systemd-analyze has no --base-time")
        assert done.returncode == 0, done.stderr
        seen = re.findall(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC", done.stdout)
        start = dt.datetime(2026, 3, 5, tzinfo=UTC)  # the week of the 8 March DST change
        cron = croniter(f"{t.minute} {t.hour} * * 1-5", start)
        expected = [cron.get_next(dt.datetime).strftime("%Y-%m-%d %H:%M:%S") for _ in range(10)]
        assert seen == expected
