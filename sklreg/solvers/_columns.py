"""Column access shared by the dense and sparse coordinate-descent kernels.

A design matrix reaches a kernel as both a dense Fortran-ordered array and CSC
parts; ``is_sparse`` says which one is real (the other is an empty placeholder). The
branch is taken once per column, so one compiled kernel serves both layouts.

Dot products are summed with reassociation allowed (``fastmath={'reassoc',
'contract'}`` only, so NaN and inf keep their meaning) to let LLVM vectorize them. The
helpers are inlined into their callers, which take the flags from the caller: every
kernel that calls them is compiled with ``fastmath=REASSOCIATE`` too.
"""

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


@_REDUCE
def column_weighted_sq_norm(j, X, X_data, X_indices, X_indptr, is_sparse, weights):
    """``sum_i weights_i X[i, j]^2`` in float64."""
    total = 0.0
    if is_sparse:
        for k in range(X_indptr[j], X_indptr[j + 1]):
            total += weights[X_indices[k]] * X_data[k] * X_data[k]
    else:
        for i in range(X.shape[0]):
            total += weights[i] * X[i, j] * X[i, j]
    return total


@jit(inline="always")
def column_weighted_axpy(j, a, X, X_data, X_indices, X_indptr, is_sparse, weights, v):
    """``v += a * weights * X[:, j]`` in place."""
    if is_sparse:
        for k in range(X_indptr[j], X_indptr[j + 1]):
            v[X_indices[k]] += a * weights[X_indices[k]] * X_data[k]
    else:
        for i in range(X.shape[0]):
            v[i] += a * weights[i] * X[i, j]
