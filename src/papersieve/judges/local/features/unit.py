"""Scaling rows to unit length, sparse or dense, with numpy and scipy only.

The judge's scoring path avoids importing scikit-learn: that import alone (it pulls in
scipy.stats) took longer than judging a whole day. Zero rows stay zero, as with
`sklearn.preprocessing.normalize`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix


def unit_rows(matrix: csr_matrix) -> csr_matrix:
    """Each row of a CSR matrix divided by its Euclidean length (a copy)."""
    result = matrix.astype(np.result_type(matrix.dtype, np.float32), copy=True)
    counts = np.diff(result.indptr)
    rows = np.repeat(np.arange(result.shape[0]), counts)
    lengths = np.sqrt(np.bincount(rows, weights=np.square(result.data, dtype=np.float64),
                                  minlength=result.shape[0]))
    lengths[lengths == 0] = 1.0
    result.data /= np.repeat(lengths, counts).astype(result.dtype)
    return result


def unit_vectors(array: np.ndarray) -> np.ndarray:
    """Each row of a dense array divided by its Euclidean length (zero rows stay zero)."""
    lengths = np.linalg.norm(array, axis=1, keepdims=True)
    lengths[lengths == 0] = 1.0
    result: np.ndarray = array / lengths
    return result
