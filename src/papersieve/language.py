"""The language a profile wants its comments and TL;DRs in: a BCP 47 tag, checked with
`langcodes` (IETF's registry), with its English name for the prompt and its writing direction for
the pages (`dir="rtl"` for Arabic, Hebrew, Persian, ...)."""

from __future__ import annotations

from functools import lru_cache

import langcodes

DEFAULT = "en"

RTL_SCRIPTS = frozenset({"Arab", "Hebr", "Syrc", "Thaa", "Nkoo", "Adlm", "Rohg", "Mand", "Samr",
                         "Mend", "Yezi"})
"""ISO 15924 scripts written right to left (Unicode's bidi class R / AL of their letters)."""


def check_tag(tag: str) -> str:
    """`tag` in its standard form (`zh-hant-tw` -> `zh-Hant-TW`); ValueError with a one-line
    reason for anything that is not a well-formed, registered BCP 47 tag."""
    text = tag.strip()
    if not text or not langcodes.tag_is_valid(text):
        raise ValueError(f"{tag!r} is not a BCP 47 language tag (write it as en, zh, ja, ar,"
                         " pt-BR, zh-Hant, ...)")
    return langcodes.standardize_tag(text)


@lru_cache(maxsize=64)
def language_name(tag: str) -> str:
    """The language's English name (`Chinese`, `Portuguese (Brazil)`)."""
    return str(langcodes.Language.get(tag).display_name("en"))


@lru_cache(maxsize=64)
def is_rtl(tag: str) -> bool:
    """True when the language is written right to left (its script, explicit or likely)."""
    if not tag:
        return False
    script = langcodes.Language.get(tag).maximize().script
    return script in RTL_SCRIPTS


def is_english(tag: str) -> bool:
    """True for `en` and its regional forms (and for no tag at all)."""
    return not tag or langcodes.Language.get(tag).language == "en"


def direction(tag: str) -> str:
    """`rtl` or `ltr`, for a `dir` attribute."""
    return "rtl" if is_rtl(tag) else "ltr"
