"""Likes and dislikes from the web: recorded through `papersieve.feedback` (the CLI's own call)
for the profile of the page they were given on, which retrains that profile's local judge."""

from __future__ import annotations

import threading

from papersieve.demo import DEMO_PROFILE
from papersieve.errors import ConfigError
from papersieve.feedback import record_feedback
from papersieve.profile import load_profile
from papersieve.profile.loader import Profile, builtin_profile_dir
from papersieve.profile.stored import load_stored_profile
from papersieve.store.db import Store


class Teacher:
    """Records labels for a page's profile and retrains it when the app can rebuild it.

    `served` is the profile given to `papersieve serve` (default: the user's profile, loaded on
    first use); the app can also rebuild the demo's (what `papersieve demo` runs). A like on a
    page of another profile (a group's store) is recorded for that profile, and its next run
    retrains it (pipeline: feedback newer than the model).
    """

    def __init__(self, served: Profile | None = None, *, stored_only: bool = False) -> None:
        self._served = served
        self._stored_only = stored_only
        """The group app: only stored profiles (a member's), never the served or the demo's."""
        self._lock = threading.Lock()  # one retraining at a time; a second click waits its turn

    def served(self) -> Profile:
        """The served profile."""
        if self._served is None:
            self._served = load_profile()
        return self._served

    def record(self, store: Store, paper_id: str, label: int, profile: str) -> None:
        """Record +1 / -1 / 0 for one paper on `profile` and retrain that profile if possible."""
        target = self.profile_named(profile, store)
        with self._lock:
            record_feedback(store, [paper_id], label, source="web", profile=target,
                            profile_name=profile)

    def profile_named(self, name: str, store: Store | None = None) -> Profile | None:
        """The profile called `name` if the app can rebuild it (the served one, the demo's; in
        the group app the stored profile of that name, from `store`)."""
        if self._stored_only:
            return None if store is None else load_stored_profile(store, name)
        served = self.served()
        if name == served.name:
            return served
        if name == DEMO_PROFILE:
            # The same profile `papersieve demo` runs (papersieve.demo.run_demo).
            overrides = {"name": DEMO_PROFILE, "judge.kind": "local"}
            return load_profile(builtin_profile_dir(), overrides=overrides)
        return None


def check_profile_name(name: str, known: set[str]) -> str:
    """`name` when it is a profile this store or app knows, else a one-line error."""
    if name not in known:
        raise ConfigError(f"no profile named {name[:60]!r} here")
    return name
