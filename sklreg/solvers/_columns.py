"""Column access shared by the dense and sparse coordinate-descent kernels.

A design matrix reaches a kernel as both a dense Fortran-ordered array and CSC
parts; ``is_sparse`` says which one is real (the other is an empty placeholder). The
branch is taken once per column, so one compiled kernel serves both layouts.

Dot products are summed with reassociation allowed (``fastmath={'reassoc',
'contract'}`` only, so NaN and inf keep their meaning) to let LLVM vectorize them. The
helpers are inlined into their callers, which take the flags from the caller: every
kernel that calls them is compiled with ``fastmath=REASSOCIATE`` too.
"""

import numpy as np

from .._jit import jit

REASSOCIATE = {"reassoc", "contract"}  # lets LLVM vectorize sums; keeps NaN / inf semantics
_REDUCE = jit(fastmath=REASSOCIATE, inline="always")


@_REDUCE
def column_dot(j, X, X_data, X_indices, X_indptr, is_sparse, v):
    """``X[:, j] . v`` in float64."""
    total = 0.0
    if is_sparse:
        for k in range(X_indptr[j], X_indptr[j + 1]):
            total += X_data[k] * v[X_indices[k]]
    else:
        for i in range(X.shape[0]):
            total += X[i, j] * v[i]
    return total


@_REDUCE
def centered_column_sq_norm(j, X, X_data, X_indices, X_indptr, is_sparse, q, offset, q_norm2):
    """``||X[:, j] - offset * q||^2`` in float64, without cancellation for large offsets.

    For a sparse column the rows outside its pattern contribute ``offset^2 q_i^2`` each.
    """
    total = 0.0
    if is_sparse:
        q_pattern = 0.0
        for k in range(X_indptr[j], X_indptr[j + 1]):
            q_i = q[X_indices[k]]
            centered = X_data[k] - offset * q_i
            total += centered * centered
            q_pattern += q_i * q_i
        total += offset * offset * max(q_norm2 - q_pattern, 0.0)
    else:
        for i in range(X.shape[0]):
            centered = X[i, j] - offset * q[i]
            total += centered * centered
    return total


@jit(inline="always")
def column_axpy(j, a, X, X_data, X_indices, X_indptr, is_sparse, v):
    """``v += a * X[:, j]`` in place."""
    if is_sparse:
        for k in range(X_indptr[j], X_indptr[j + 1]):
            v[X_indices[k]] += a * X_data[k]
    else:
        for i in range(X.shape[0]):
            v[i] += a * X[i, j]


LAYOUT_BLOCK = 64  # square tiles for copying between row and column layouts


@jit(fastmath=REASSOCIATE)
def center_scale_columns(X, offset, row_scale, out):
    """``out[i, j] = (X[i, j] - offset[j]) * row_scale[i]``; return ``out^T row_scale``.

    Copies in square tiles, so a C-ordered ``X`` lands in a Fortran-ordered ``out`` without
    the strided pass a plain NumPy assignment makes. The arithmetic is in ``out``'s dtype
    (as NumPy's would be); the returned column sums are accumulated in float64.
    """
    n_samples, n_features = X.shape
    sums = np.zeros(n_features)
    for i_start in range(0, n_samples, LAYOUT_BLOCK):
        i_stop = min(i_start + LAYOUT_BLOCK, n_samples)
        for j_start in range(0, n_features, LAYOUT_BLOCK):
            j_stop = min(j_start + LAYOUT_BLOCK, n_features)
            for j in range(j_start, j_stop):
                total = 0.0
                for i in range(i_start, i_stop):
                    value = (X[i, j] - offset[j]) * row_scale[i]
                    out[i, j] = value
                    total += value * row_scale[i]
                sums[j] += total
    return sums
