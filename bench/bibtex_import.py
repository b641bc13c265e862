"""How long `import-likes` takes for a large BibTeX export (issue 17: 10k entries took 131 s).

Writes a synthetic export of N entries (a third with an arXiv `eprint`, a third with an arXiv
`url`, a third with only a title, which is looked up in the store's full-text index), into a
temporary PAPERSIEVE_HOME whose store holds one real day (data/candidates), then times
`import_likes` as a whole (reading, matching, recording, retraining the local judge) and, apart,
`read_bibtex` alone.

    .venv/bin/python bench/bibtex_import.py [--entries 30000]
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"
WORDS = ("learning", "model", "neural", "graph", "diffusion", "language", "robust", "adaptive",
         "sparse", "transformer", "policy", "agent", "reward", "bayesian", "kernel")


def export(n: int, seed: int = 0) -> str:
    """N BibTeX entries of the three kinds, in turn."""
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        title = " ".join(rnd.choice(WORDS) for _ in range(8)).title()
        month = i % 12 + 1
        if i % 3 == 0:
            ident = f"eprint = {{25{month:02d}.{i:05d}}},\n  archivePrefix = {{arXiv}},"
        elif i % 3 == 1:
            ident = f"url = {{https://arxiv.org/abs/24{month:02d}.{i:05d}}},"
        else:
            ident = "journal = {Journal of Things},"
        out.append(f"@article{{key{i},\n  title = {{{title}}},\n"
                   f"  author = {{Doe, Jane and Roe, Richard}},\n  {ident}\n  year = {{2025}}\n}}\n")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=30_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["PAPERSIEVE_HOME"] = tmp
        from papersieve.bibtex import read_bibtex
        from papersieve.feedback import import_likes
        from papersieve.profile import load_profile
        from papersieve.sources.jsonl import file_date, listings_from_file
        from papersieve.store import open_store
        from papersieve.store.listings import save_listing

        bib = Path(tmp) / "likes.bib"
        bib.write_text(export(args.entries), encoding="utf-8")
        with open_store() as store:
            day_file = sorted((DATA / "candidates").glob("arxiv-*.jsonl"))[0]
            for listing in listings_from_file(day_file):
                save_listing(store, listing, file_date(day_file))
            started = time.perf_counter()
            entries = read_bibtex(bib)
            read = time.perf_counter() - started
            started = time.perf_counter()
            report = import_likes(store, bib, load_profile())
            whole = time.perf_counter() - started
        print(f"{len(entries)} entries ({bib.stat().st_size / 1e6:.1f} MB): read_bibtex {read:.1f} s;"
              f" import_likes {whole:.1f} s ({len(report.matched)} matched,"
              f" {len(report.unmatched)} unmatched)")


if __name__ == "__main__":
    main()
