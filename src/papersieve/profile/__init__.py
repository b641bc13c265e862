"""A profile: what one person asked for (a folder with profile.toml and prompt files)."""

from papersieve.profile.loader import (
    PROMPT_FILES,
    Profile,
    PromptFiles,
    init_profile,
    load_profile,
)
from papersieve.profile.settings import (
    CutoffSettings,
    EmailSettings,
    FilterSettings,
    JudgeSettings,
    OutputSettings,
    ProfileSettings,
    SlackSettings,
)

__all__ = [
    "PROMPT_FILES",
    "CutoffSettings",
    "EmailSettings",
    "FilterSettings",
    "JudgeSettings",
    "OutputSettings",
    "Profile",
    "ProfileSettings",
    "PromptFiles",
    "SlackSettings",
    "init_profile",
    "load_profile",
]
