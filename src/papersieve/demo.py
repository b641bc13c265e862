"""`papersieve demo`: the whole pipeline on a real bundled arXiv day, offline and with no key.

The day is the cs.LG + cs.AI listing of 2025-07-03 (data/demo/README.md cites its source). It
runs under its own profile name, "demo", so that it never counts as a day of the user's own
profile (cross-day dedup, history).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from papersieve.home import outputs_dir
from papersieve.pipeline import RunReport, run_day
from papersieve.profile import load_profile
from papersieve.profile.loader import builtin_profile_dir
from papersieve.store.db import Store

DEMO_DATE = dt.date(2025, 7, 3)
DEMO_PROFILE = "demo"


def demo_data_dir() -> Path:
    """The bundled day's JSON-lines files."""
    return Path(str(resources.files("papersieve").joinpath("data/demo")))


def run_demo(store: Store, out_dir: Path | None = None,
             progress: Callable[[str], None] | None = None) -> RunReport:
    """Run the bundled day with the local judge; outputs go to `$PAPERSIEVE_HOME/out/demo`."""
    profile = load_profile(builtin_profile_dir(), overrides={"name": DEMO_PROFILE,
                                                            "judge.kind": "local"})
    return run_day(store, profile, DEMO_DATE, offline_dir=demo_data_dir(),
                   out_dir=out_dir or outputs_dir(DEMO_PROFILE), progress=progress, deliver=False)
