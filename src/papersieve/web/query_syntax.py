"""The search box's syntax, read into an FTS5 query (SQLite) or a to_tsquery text (PostgreSQL)
that can never carry the user's own operators.

    diffusion model          both words (anywhere in title, abstract or authors)
    "diffusion model"        the phrase
    diffusion OR flow        either word (OR joins the words or phrases beside it)
    diffusion NOT robot      diffusion, without robot (also written -robot)
    title:diffusion          in the title (title:"a phrase" too); author:hinton in the authors
    category:cs.LG           listed in a category (-category:cs.RO: not in it)
    diffu*                   words that start with diffu (at most MAX_PREFIX_TERMS in a search)

Every word or phrase reaches MATCH as a quoted FTS5 string (`"diffusion"`, `"it""s"`), and the
operators between them are written here, never copied from the input: a query the user types can
only ask for words. A query that cannot be read raises `QuerySyntaxError` with one line saying why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from papersieve.errors import PapersieveError
from papersieve.store.pgschema import MARKUP_CHARS

MAX_TERMS = 12
"""Words or phrases in one search; more narrow nothing down and each one costs a pass."""
MAX_PREFIX_TERMS = 3
"""`word*` terms in one search: a short prefix expands to thousands of index terms (review: 13 s
of CPU on the demo store, 190 s on 25k papers, for `m* d* l* ...` repeated)."""

FIELDS = {"title": "title", "author": "authors", "authors": "authors", "abstract": "abstract"}
"""Search-box fields and the FTS5 column each one searches."""
CATEGORY_FIELDS = ("category", "cat")
TS_WEIGHTS = {"title": "A", "authors": "B", "abstract": "D"}
"""On PostgreSQL, the weight each column's words carry in a paper's tsvector (store/pgschema.py)."""

_MARKUP_AS_SPACE = str.maketrans({c: " " for c in MARKUP_CHARS})

# A token: an optional "-", an optional field:, then a "phrase" or a bare word.
_TOKEN = re.compile(r'(-?)([A-Za-z]+:)?(?:"([^"]*)("?)|([^\s"]+))')


class QuerySyntaxError(PapersieveError):
    """A search the parser cannot read; the message says why in one line."""


class SearchTooBroad(QuerySyntaxError):
    """A search with more terms or prefix terms than allowed."""


@dataclass(frozen=True)
class Term:
    """One word or phrase, in one column or all of them."""

    text: str
    column: str = ""
    prefix: bool = False

    def fts(self) -> str:
        quoted = '"' + self.text.replace('"', '""') + '"' + ("*" if self.prefix else "")
        return f"{self.column} : {quoted}" if self.column else quoted

    def tsquery(self) -> str:
        """The term as an operand of PostgreSQL's to_tsquery: quoted (several words become a
        phrase), `:*` for a prefix, the column as the weight its words carry (store/pgschema.py)."""
        words = self.text.translate(_MARKUP_AS_SPACE)  # as the index reads them (MARKUP_CHARS)
        quoted = "'" + words.replace("\\", "\\\\").replace("'", "''") + "'"
        label = ("*" if self.prefix else "") + TS_WEIGHTS.get(self.column, "")
        return f"{quoted}:{label}" if label else quoted


@dataclass
class ParsedQuery:
    """What a search asks for: AND of OR-groups, minus the excluded terms, plus categories."""

    groups: list[list[Term]] = field(default_factory=list)
    excluded: list[Term] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    not_categories: list[str] = field(default_factory=list)

    def fts(self) -> str:
        """The FTS5 MATCH expression ('' when the search has no words, only categories)."""
        if not self.groups:
            return ""
        wanted = " AND ".join(_either(group) for group in self.groups)
        if not self.excluded:
            return wanted
        return f"({wanted}) NOT " + _either(self.excluded)

    def tsquery(self) -> str:
        """The same search as text for PostgreSQL's to_tsquery ('' without words)."""
        if not self.groups:
            return ""
        wanted = " & ".join(_either_ts(group) for group in self.groups)
        if not self.excluded:
            return wanted
        return f"({wanted}) & !" + _either_ts(self.excluded)

    def terms(self) -> list[Term]:
        return [t for group in self.groups for t in group] + self.excluded


def _either(terms: list[Term]) -> str:
    if len(terms) == 1:
        return terms[0].fts()
    return "(" + " OR ".join(t.fts() for t in terms) + ")"


def _either_ts(terms: list[Term]) -> str:
    if len(terms) == 1:
        return terms[0].tsquery()
    return "(" + " | ".join(t.tsquery() for t in terms) + ")"


def parse_query(text: str) -> ParsedQuery:
    """Read the search box; raise `QuerySyntaxError` (one line) when it cannot be read."""
    parsed = ParsedQuery()
    pending_or = False
    negate_next = False
    for token in _tokens(text):
        if token == "OR":
            if not parsed.groups or pending_or or negate_next:
                raise QuerySyntaxError("OR needs a word or phrase on each side")
            pending_or = True
            continue
        if token == "NOT":
            if negate_next:
                raise QuerySyntaxError("NOT needs a word or phrase after it")
            negate_next = True
            continue
        negative, item = _item(token)
        if item is None:  # punctuation alone ("-", "&"): no word to look for
            continue
        negative = negative or negate_next
        negate_next = False
        if isinstance(item, str):  # a category
            if pending_or:
                raise QuerySyntaxError("category: cannot be joined with OR")
            (parsed.not_categories if negative else parsed.categories).append(item)
            continue
        if negative:
            if pending_or:
                raise QuerySyntaxError("OR cannot join an excluded word")
            parsed.excluded.append(item)
        elif pending_or:
            parsed.groups[-1].append(item)
        else:
            parsed.groups.append([item])
        pending_or = False
    if pending_or:
        raise QuerySyntaxError("OR needs a word or phrase on each side")
    if negate_next:
        raise QuerySyntaxError("NOT needs a word or phrase after it")
    if parsed.excluded and not parsed.groups:
        raise QuerySyntaxError("search for at least one word as well as the ones to leave out")
    _check_size(parsed)
    return parsed


def _tokens(text: str) -> list[str]:
    # A control character (a NUL ends SQLite's reading of the query: "unterminated string") is a
    # space: nothing a person types into a search box.
    text = "".join(c if c.isprintable() else " " for c in text)
    if text.count('"') % 2:
        raise QuerySyntaxError('a quote (") is not closed: put a phrase between two quotes')
    return [m.group(0) for m in _TOKEN.finditer(text)]


def _item(token: str) -> tuple[bool, Term | str | None]:
    """One token as (excluded?, a term or a category name)."""
    match = _TOKEN.fullmatch(token)
    assert match is not None  # every token came from this pattern
    minus, name, phrase, _, word = match.groups()
    negative = minus == "-"
    name = (name or "")[:-1].lower()
    if not name and word and word.endswith(":") and word[:-1].lower() in (*FIELDS, *CATEGORY_FIELDS):
        raise QuerySyntaxError(f"{word} needs a word after it, with no space: {word}diffusion")
    if name and name not in FIELDS and name not in CATEGORY_FIELDS:
        known = ", ".join(f"{f}:" for f in ("title", "author", "abstract", "category"))
        raise QuerySyntaxError(f"unknown field {name + ':'!r}: use {known}")
    if phrase is not None:
        text, prefix = phrase.strip(), False
        if not text:
            raise QuerySyntaxError('an empty phrase ("") has nothing to search for')
    else:
        prefix = word.endswith("*") and len(word.rstrip("*")) > 0
        text = word.rstrip("*") if prefix else word
        if not text.strip("*"):
            raise QuerySyntaxError("a * ends a word: diffu* finds the words that start with diffu")
    if name in CATEGORY_FIELDS:
        return negative, text
    if not any(c.isalnum() for c in text):
        return negative, None
    return negative, Term(text, FIELDS.get(name, ""), prefix)


def _check_size(parsed: ParsedQuery) -> None:
    terms = parsed.terms()
    prefixes = sum(t.prefix for t in terms)
    if len(terms) > MAX_TERMS or prefixes > MAX_PREFIX_TERMS:
        raise SearchTooBroad(
            f"too many words to search for ({len(terms)}, {prefixes} of them prefix* words):"
            f" at most {MAX_TERMS}, and {MAX_PREFIX_TERMS} prefix* words")
