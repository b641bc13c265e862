"""Build the latent semantic space shipped with the local judge (`src/papersieve/data/lsa-*.npz`).

Source: the title and abstract of every paper in the unlabelled candidate files of the 69 listing
days in `shared/data/realworld/daizedong-gpt4o-period/candidates/` and the three days of
`data/realworld/` (cs.LG and cs.AI, new and cross-listed, ~20,000 papers; arXiv metadata, CC0).
No label is read: the space only knows which words occur together in machine-learning abstracts.

It fits TF-IDF (uni- and bigrams, sublinear tf, the 12,000 most frequent terms that occur in at
least 5 papers and at most half of them) and a 128-dimensional truncated SVD (LSA), and stores
the vocabulary, the IDF and the projection (float16) as plain arrays (no pickle).

    .venv/bin/python bench/build_semantic_space.py [--corpus DIR ...] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from papersieve.judges.local.features.semantic import (
    DIMENSIONS,
    MAX_DF,
    MIN_DF,
    NGRAMS,
    SPACE_PATH,
    STOP_WORDS,
    TOKEN_PATTERN,
    VOCABULARY,
)
from papersieve.models import Paper
from papersieve.sources.jsonl import paper_from_record, read_records

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = (REPO.parent / "shared" / "data" / "realworld" / "daizedong-gpt4o-period" / "candidates",
                  REPO / "data" / "realworld")


def corpus(folders: list[Path]) -> list[Paper]:
    """Every distinct paper of the candidate files in `folders` (first version seen wins)."""
    seen: dict[str, Paper] = {}
    for folder in folders:
        for path in sorted(folder.glob("arxiv-*.jsonl")):
            for record in read_records(path):
                paper = paper_from_record(record)
                seen.setdefault(paper.id, paper)
    return list(seen.values())


def build(papers: list[Paper], seed: int = 0) -> dict[str, Any]:
    """Vocabulary, IDF and the LSA projection fitted on `papers`' titles and abstracts."""
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(
        sublinear_tf=True, stop_words=STOP_WORDS, min_df=MIN_DF, max_df=MAX_DF, ngram_range=NGRAMS,
        max_features=VOCABULARY, token_pattern=TOKEN_PATTERN, dtype=np.float32,
    )
    matrix = vectorizer.fit_transform([f"{p.title}. {p.abstract}" for p in papers])
    svd = TruncatedSVD(DIMENSIONS, algorithm="randomized", n_iter=7, random_state=seed).fit(matrix)
    terms = vectorizer.get_feature_names_out()
    return {
        "terms": np.asarray(terms, dtype=str),
        "idf": vectorizer.idf_.astype(np.float32),
        "components": svd.components_.T.astype(np.float16),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, action="append")
    parser.add_argument("--out", type=Path, default=SPACE_PATH)
    args = parser.parse_args()
    folders = args.corpus or [f for f in DEFAULT_CORPUS if f.is_dir()]
    started = time.perf_counter()
    papers = corpus(folders)
    arrays = build(papers)
    about = {"source": [str(f) for f in folders], "papers": len(papers), "labels_used": False,
             "dimensions": DIMENSIONS, "vocabulary": len(arrays["terms"])}
    np.savez_compressed(args.out, about=np.asarray(json.dumps(about)), **arrays)
    print("command: .venv/bin/python " + " ".join(sys.argv))
    print(f"{len(papers)} papers, {len(arrays['terms'])} terms x {DIMENSIONS} dims -> {args.out}"
          f" ({args.out.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - started:.1f}s")


if __name__ == "__main__":
    main()
