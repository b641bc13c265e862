"""When a scheduler should run papersieve, and which days arXiv announces.

arXiv rebuilds its daily feeds at midnight US Eastern (04:00 UTC in summer time, 05:00 UTC in
winter time; `lastBuildDate` in the recorded feeds, and arXiv's feed documentation), and a feed
then serves that listing date for 24 hours. A listing date is a weekday (Monday to Friday);
weekends and arXiv's holidays have none. The first run of a day must start inside that window in
both summer and winter time, with room for a scheduler that starts it late (GitHub Actions
often does, by up to an hour or more); the second is a catch-up run later the same day.
The GitHub workflow, the printed cron line and the systemd timer all take their hours from here.
"""

from __future__ import annotations

import datetime as dt
import shlex
from dataclasses import dataclass
from pathlib import Path

RUN_TIMES_UTC: tuple[dt.time, ...] = (dt.time(6, 17), dt.time(15, 43))
"""The first run of each weekday (after the feed rebuild, summer or winter), then the catch-up."""


@dataclass(frozen=True)
class Command:
    """What a scheduler starts: one papersieve run on one home, of the profile in `profile_dir`,
    or (None) of every profile kept in the store (`run --all`: a group's installation)."""

    home: Path
    executable: str
    profile_dir: Path | None

    def arguments(self) -> tuple[str, ...]:
        """The run's arguments after the executable."""
        if self.profile_dir is None:
            return ("run", "--all")
        return ("run", "--profile", str(self.profile_dir))

    def shell(self) -> str:
        """The command line, with the home set explicitly (schedulers start a bare environment)."""
        return (f"PAPERSIEVE_HOME={shlex.quote(str(self.home))} {shlex.quote(self.executable)} "
                + " ".join(shlex.quote(arg) for arg in self.arguments()))


def cron_lines(command: Command) -> list[str]:
    """crontab lines equivalent to the workflow's schedule (`CRON_TZ=UTC` first)."""
    log = shlex.quote(str(command.home / "run.log"))
    return ["CRON_TZ=UTC"] + [f"{t.minute} {t.hour} * * 1-5 {command.shell()} >> {log} 2>&1"
                              for t in RUN_TIMES_UTC]


def systemd_units(command: Command, name: str) -> dict[str, str]:
    """A systemd user service and timer (file name -> text) running `command` on the schedule.

    `Persistent=true` makes systemd start a run that was due while the machine was off as soon
    as it is on again; `papersieve run` then catches up the announcement days it missed.
    """
    calendars = "\n".join(f"OnCalendar=Mon..Fri *-*-* {t:%H:%M}:00 UTC" for t in RUN_TIMES_UTC)
    service = (
        "[Unit]\n"
        f"Description=papersieve daily arXiv digest ({name})\n"
        "Wants=network-online.target\n"
        "After=network-online.target\n\n"
        "[Service]\n"
        "Type=oneshot\n"
        f"Environment=PAPERSIEVE_HOME={_systemd_quote(str(command.home))}\n"
        f"ExecStart={' '.join(_systemd_quote(w) for w in (command.executable, *command.arguments()))}\n"
        # 3 (stale feed), 4 (a delivery failed) and 5 (judged in part) are outcomes, not crashes.
        "SuccessExitStatus=3 4 5\n"
    )
    timer = (
        "[Unit]\n"
        f"Description=papersieve daily arXiv digest ({name}), every weekday\n\n"
        "[Timer]\n"
        f"{calendars}\n"
        "Persistent=true\n\n"
        "[Install]\n"
        "WantedBy=timers.target\n"
    )
    return {f"{name}.service": service, f"{name}.timer": timer}


def _systemd_quote(text: str) -> str:
    """A word for a systemd unit line: double-quoted when it has spaces or quotes."""
    if text and not any(c in text for c in ' "\\\'$%'):
        return text
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%").replace("$", "$$")
    return f'"{escaped}"'


def is_weekday(day: dt.date) -> bool:
    """Monday to Friday: the days that can have a listing."""
    return day.weekday() < 5


def weekdays_between(after: dt.date, before: dt.date) -> list[dt.date]:
    """The weekdays strictly between `after` and `before`, oldest first."""
    days = (after + dt.timedelta(days=n) for n in range(1, (before - after).days))
    return [day for day in days if is_weekday(day)]


def current_day(now: dt.datetime | None = None) -> dt.date:
    """The date the daily feeds serve now: the US Eastern date (they change at midnight there)."""
    from zoneinfo import ZoneInfo

    moment = now or dt.datetime.now(dt.UTC)
    return moment.astimezone(ZoneInfo("America/New_York")).date()


def last_announcement_day(today: dt.date, holidays: frozenset[dt.date] = frozenset()) -> dt.date:
    """The newest weekday on or before `today` that is not a holiday."""
    day = today
    while not is_weekday(day) or day in holidays:
        day -= dt.timedelta(days=1)
    return day
