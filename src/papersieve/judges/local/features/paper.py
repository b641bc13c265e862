"""What the local judge reads from a paper: cold-start components and hashed text n-grams.

The n-gram features come from a stateless `HashingVectorizer`, so a paper's row never changes
and is computed once per process (cached by content hash); IDF weights are fitted per model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from papersieve.judges.local.features.coldstart import Match, score_stems
from papersieve.judges.local.text.lexicon import FieldLexicon
from papersieve.judges.local.text.topics import Term, TopicTerms
from papersieve.judges.local.text.words import ngram_analyzer, stem, words
from papersieve.models import Paper

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

N_FEATURES = 2**18
# Weights of the cold-start components: key phrases, application words (against), theory words,
# category prior. Set from what the profile text says, not fitted to labels.
COLD_WEIGHTS = (1.0, -1.0, 1.0, 2.0)


@dataclass(frozen=True)
class ColdFeatures:
    """The cold-start components of one paper and the phrases behind them."""

    phrases: float
    application: float
    theory: float
    category: float
    matches: tuple[Match, ...]
    application_hits: tuple[str, ...]

    def score(self, foundational: bool) -> float:
        """The cold-start score: phrases alone, or all components for a foundational profile."""
        return COLD_WEIGHTS[0] * self.phrases + self.field_score(foundational)

    def field_score(self, foundational: bool) -> float:
        """The field word lists' and category prior's part of `score` (0 unless foundational)."""
        if not foundational:
            return 0.0
        parts = (self.application, self.theory, self.category)
        return sum(w * v for w, v in zip(COLD_WEIGHTS[1:], parts, strict=True))


def batch_cold_scores(colds: Sequence[ColdFeatures], foundational: bool,
                      against: float = 1.0) -> np.ndarray:
    """The cold-start scores of a batch, each key phrase weighted by how rare it is among the
    batch's papers (log((n + 1) / (df + 0.5)), df = papers of the batch that contain it).

    A phrase that most of the day's papers contain says little about which of them the profile
    wants: on an astro-ph day "galaxy" or "star formation" matches half the listing (issue 25).
    The word lists' and category parts stay as `ColdFeatures.score` gives them. `against`
    multiplies the phrases that count against a paper (irrelevant, application)."""
    n = len(colds)
    frequency: dict[Term, int] = {}
    for cold in colds:
        for match in cold.matches:
            frequency[match.term] = frequency.get(match.term, 0) + 1
    weight = {term: float(np.log((n + 1) / (df + 0.5))) * (against if term.kind != "relevant" else 1.0)
              for term, df in frequency.items()}
    return np.array([COLD_WEIGHTS[0] * sum(m.weight * weight[m.term] for m in c.matches)
                     + c.field_score(foundational) for c in colds], dtype=float)


def plain_cold_scores(colds: Sequence[ColdFeatures], foundational: bool,
                      against: float = 1.0) -> np.ndarray:
    """`ColdFeatures.score` of each paper, the phrases that count against it multiplied by
    `against`."""
    if against == 1.0:
        return np.array([c.score(foundational) for c in colds], dtype=float)
    return np.array([COLD_WEIGHTS[0] * sum(m.weight * (against if m.weight < 0 else 1.0)
                                           for m in c.matches)
                     + c.field_score(foundational) for c in colds], dtype=float)


_Lexicon = tuple[dict[str, tuple[int, ...]], dict[str, tuple[tuple[int, str], ...]]]


def _lexicon(entries: Sequence[str]) -> _Lexicon:
    # Single words match by set membership; a multi-word entry by substring of the padded text,
    # tried only when its first word is present (it cannot match otherwise).
    single: dict[str, list[int]] = {}
    multi: dict[str, list[tuple[int, str]]] = {}
    for i, entry in enumerate(entries):
        if entry.count(" ") == 2:
            single.setdefault(entry.strip(), []).append(i)
        else:
            multi.setdefault(entry.split()[0], []).append((i, entry))
    return ({k: tuple(v) for k, v in single.items()}, {k: tuple(v) for k, v in multi.items()})


@dataclass(frozen=True)
class _Compiled:
    """A field's word lists, padded and indexed for matching."""

    application: tuple[str, ...]
    application_index: _Lexicon
    theory: tuple[str, ...]
    theory_index: _Lexicon


@lru_cache(maxsize=8)
def _compiled(field: FieldLexicon) -> _Compiled:
    app = tuple(" " + w.replace("-", " ") + " " for w in field.application_words)
    theory = tuple(" " + w.replace("-", " ") + " " for w in field.theory_words)
    return _Compiled(app, _lexicon(app), theory, _lexicon(theory))


def _hits(tokens: list[str], lexicon_words: Sequence[str], compiled: _Lexicon) -> list[str]:
    """The lexicon's entries found in `tokens`, in lexicon order."""
    single, multi = compiled
    present = set(tokens)
    found = [i for w in present.intersection(single) for i in single[w]]
    starts = present.intersection(multi)
    if starts:
        padded = " " + " ".join(tokens) + " "
        found.extend(i for w in starts for i, entry in multi[w] if entry in padded)
    return [lexicon_words[i].strip() for i in sorted(found)]


def _category_prior(paper: Paper, field: FieldLexicon) -> float:
    primary = paper.primary_category or ""
    prior = 0.0
    if primary in field.theory_categories:
        prior += 1.0
    if primary.startswith(field.application_prefixes):
        prior -= 1.0
    if any(c in field.theory_categories for c in paper.categories[1:]):
        prior += 0.5
    return prior


def cold_features(paper: Paper, topics: TopicTerms, field: FieldLexicon | None) -> ColdFeatures:
    """Cold-start components of one paper (a title hit counts twice an abstract hit); the
    application, theory and category parts only with a field's word lists (else zero)."""
    title, abstract = words(paper.title), words(paper.abstract)
    phrase = score_stems(list(map(stem, title)), list(map(stem, abstract)), topics)
    if field is None:
        return ColdFeatures(phrase.score, 0.0, 0.0, 0.0, phrase.matches, ())
    lists = _compiled(field)
    app_title = _hits(title, lists.application, lists.application_index)
    app_abs = _hits(abstract, lists.application, lists.application_index)
    th_title = _hits(title, lists.theory, lists.theory_index)
    th_abs = _hits(abstract, lists.theory, lists.theory_index)
    return ColdFeatures(
        phrases=phrase.score,
        application=2.0 * len(app_title) + len(app_abs),
        theory=2.0 * len(th_title) + len(th_abs),
        category=_category_prior(paper, field),
        matches=phrase.matches,
        application_hits=tuple(dict.fromkeys(app_title + app_abs)),
    )


def paper_text(paper: Paper) -> str:
    """The text the n-gram model reads: the title twice (it matters more), abstract, categories."""
    cats = " ".join("cat_" + c.replace(".", "_").replace("-", "_") for c in paper.categories[:1])
    return f"{paper.title}. {paper.title}. {paper.abstract} {cats}"


TOKEN_PATTERN = r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b"


def hashed_columns(tokens: Sequence[str]) -> np.ndarray:
    """The column of each token in the hashed space: scikit-learn's `HashingVectorizer` columns
    (signed 32-bit MurmurHash3 of the UTF-8 bytes, seed 0, |h| mod n), computed with `mmh3` so
    that judging a day needs no scikit-learn import; tests check both agree."""
    import mmh3

    hashes = np.array(list(map(mmh3.hash, tokens)), dtype=np.int64)
    columns = np.abs(hashes) % N_FEATURES
    columns[hashes == -(2**31)] = (2**31 - 1 - (N_FEATURES - 1)) % N_FEATURES
    return columns


def hashed_counts(texts: Sequence[str]) -> csr_matrix:
    """Uni- and bigram counts of `texts` in the hashed space (columns sorted in each row).
    Each text's tokens are hashed as soon as they are made: holding every token of a 24,000-paper
    training set at once took ~800 MB."""
    from scipy.sparse import csr_matrix as csr

    analyze = ngram_analyzer(TOKEN_PATTERN)
    columns = [hashed_columns(analyze(text)) for text in texts]
    indptr = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum([len(c) for c in columns], out=indptr[1:])
    flat = np.concatenate(columns) if columns else np.zeros(0, dtype=np.int64)
    matrix = csr((np.ones(len(flat)), flat, indptr), shape=(len(texts), N_FEATURES))
    matrix.sum_duplicates()
    return matrix


K = TypeVar("K", str, tuple[str, str, str])
Row = tuple[np.ndarray, np.ndarray]
"""One text's hashed n-grams: (column indices, counts), sorted by column."""
CACHE_LIMIT = 200_000
"""Most rows a process keeps per cache (past it the cache is emptied, keeping the batch)."""


_ROWS: dict[tuple[str, str, str], Row] = {}
"""Text key -> the paper's (column indices, counts), sorted by column."""


def text_key(paper: Paper) -> tuple[str, str, str]:
    """What the features depend on: id, title and abstract (and the primary category via id)."""
    return (paper.id, paper.title, paper.abstract)


def _rows_of(cache: dict[K, Row], keys: Sequence[K], papers: Sequence[Paper],
             text: Callable[[Paper], str]) -> list[Row]:
    """The rows of the papers' `text` (one per key), made only for keys `cache` lacks."""
    missing = {k: p for k, p in zip(keys, papers, strict=True) if k not in cache}
    if missing and len(cache) + len(missing) > CACHE_LIMIT:  # bound the memory; keep this batch
        cache.clear()
        missing = dict(zip(keys, papers, strict=True))
    if missing:
        matrix = hashed_counts([text(p) for p in missing.values()])
        ptr = matrix.indptr
        for i, key in enumerate(missing):
            cache[key] = (matrix.indices[ptr[i]:ptr[i + 1]], matrix.data[ptr[i]:ptr[i + 1]])
    return [cache[k] for k in keys]


def _stack(rows: Sequence[Row]) -> csr_matrix:
    """One sparse matrix with `rows` as its rows."""
    from scipy.sparse import csr_matrix as csr

    if not rows:
        return csr((0, N_FEATURES))
    indptr = np.zeros(len(rows) + 1, dtype=np.int32)
    np.cumsum([len(r[0]) for r in rows], out=indptr[1:])
    return csr((np.concatenate([r[1] for r in rows]), np.concatenate([r[0] for r in rows]), indptr),
               shape=(len(rows), N_FEATURES))


def cached_rows(papers: Sequence[Paper]) -> list[Row]:
    """Each paper's hashed n-grams as (columns, counts), computed once per process."""
    # Keyed by the text itself: hashing str is cached by Python, unlike Paper.content_hash.
    return _rows_of(_ROWS, [text_key(p) for p in papers], papers, paper_text)


def has_row(paper: Paper) -> bool:
    """True when this process already holds the paper's n-gram row."""
    return text_key(paper) in _ROWS


def remember_rows(rows: dict[tuple[str, str, str], Row]) -> None:
    """Take n-gram rows computed earlier (the store's feature cache) into the process's cache."""
    if len(_ROWS) + len(rows) > CACHE_LIMIT:
        _ROWS.clear()
    _ROWS.update(rows)


_TITLE_ROWS: dict[str, Row] = {}
"""Title -> its hashed n-grams."""


def title_counts(papers: Sequence[Paper]) -> csr_matrix:
    """Hashed uni- and bigram counts of the titles alone, one row per paper (cached by title)."""
    return _stack(_rows_of(_TITLE_ROWS, [p.title for p in papers], papers, lambda p: p.title))


def term_counts(papers: Sequence[Paper]) -> csr_matrix:
    """Hashed uni- and bigram counts, one row per paper (rows cached by content hash)."""
    return _stack(cached_rows(papers))
