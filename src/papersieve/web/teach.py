"""Likes and dislikes from the web: recorded through `papersieve.feedback` (the CLI's own call),
which retrains the local judge of the profile whose digest showed the paper."""

from __future__ import annotations

import threading

from papersieve.demo import DEMO_PROFILE
from papersieve.feedback import record_feedback
from papersieve.judges.local import retrain
from papersieve.profile import load_profile
from papersieve.profile.loader import Profile, builtin_profile_dir
from papersieve.store.db import Store


class Teacher:
    """Records labels and knows which profiles to retrain.

    `served` is the profile given to `papersieve serve` (default: the user's profile, loaded on
    first use). A paper last shown in another profile's digest retrains that profile too when the
    app can rebuild it: the served one, or the demo's (what `papersieve demo` runs).
    """

    def __init__(self, served: Profile | None = None) -> None:
        self._served = served
        self._lock = threading.Lock()  # one retraining at a time; a second click waits its turn

    def served(self) -> Profile:
        """The served profile."""
        if self._served is None:
            self._served = load_profile()
        return self._served

    def record(self, store: Store, paper_id: str, label: int) -> None:
        """Record +1 / -1 for one paper and retrain the profiles that rank it."""
        target = self.profile_named(last_profile(store, paper_id))
        with self._lock:
            record_feedback(store, [paper_id], label, source="web", profile=target)
            served = self.served()
            if served.name != target.name:
                retrain(store, served)

    def profile_named(self, name: str | None) -> Profile:
        """The profile called `name` if the app can rebuild it, else the served one."""
        served = self.served()
        if name == DEMO_PROFILE and served.name != DEMO_PROFILE:
            # The same profile `papersieve demo` runs (papersieve.demo.run_demo).
            overrides = {"name": DEMO_PROFILE, "judge.kind": "local"}
            return load_profile(builtin_profile_dir(), overrides=overrides)
        return served


def last_profile(store: Store, paper_id: str) -> str | None:
    """The profile of the newest finished run that had this paper as a candidate."""
    row = store.conn.execute(
        "SELECT r.profile FROM run_candidates c JOIN runs r ON r.id = c.run_id"
        " WHERE c.paper_id = ? AND r.status = 'done' ORDER BY r.date DESC, r.id DESC LIMIT 1",
        (paper_id,),
    ).fetchone()
    return str(row[0]) if row is not None else None
