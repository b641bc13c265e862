"""Sentence embeddings (all-MiniLM-L6-v2, the `embeddings` extra) of every labelled day's paper.

Computes each distinct paper of `data/candidates` once on the CPU, states the speed in papers per
second, and writes them (float16, by content hash) to `artifacts/embeddings-minilm.npz`, the
bench cache that `bench/eval_quality.py --method embeddings` preloads.

    .venv/bin/python bench/embed_cache.py [--limit N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from papersieve.judges.local.features import embeddings
from papersieve.sources.jsonl import paper_from_record, read_records

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / "artifacts" / "embeddings-minilm.npz"


def labelled_papers(folder: Path) -> list:  # type: ignore[type-arg]
    """Distinct papers (by content hash) of the candidate files in `folder`."""
    papers = {}
    for path in sorted(folder.glob("arxiv-*.jsonl")):
        for record in read_records(path):
            paper = paper_from_record(record)
            papers.setdefault(paper.content_hash, paper)
    return list(papers.values())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=0)
    args = parser.parse_args()
    import torch

    papers = labelled_papers(REPO / "data" / "candidates")
    if args.limit:
        papers = papers[: args.limit]
    started = time.perf_counter()
    embeddings.encode(["warm up"])
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    vectors = embeddings.encode([embeddings.paper_text(p) for p in papers])
    seconds = time.perf_counter() - started
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(CACHE, hashes=np.array([p.content_hash for p in papers]),
                        vectors=vectors.astype(np.float16))
    print(f"{embeddings.MODEL}: model loaded in {loaded:.1f}s; {len(papers)} papers in {seconds:.1f}s"
          f" = {len(papers) / seconds:.1f} papers/s on {torch.get_num_threads()} CPU threads -> {CACHE}")
    print("command: .venv/bin/python " + " ".join(sys.argv))


if __name__ == "__main__":
    main()
