"""Column access shared by the dense and sparse coordinate-descent kernels.

A design matrix reaches a kernel as both a dense Fortran-ordered array and CSC
parts; ``is_sparse`` says which one is real (the other is an empty placeholder). The
branch is taken once per column, so one compiled kernel serves both layouts.

Each function here loops over a whole set of columns. Numba inlines small helpers that
take arrays with reference-count updates of every array at every call, which it cannot
always remove: a per-column helper called in a loop made coordinate-descent epochs 7x
slower. Loops over columns therefore live here, called once per set, and the epoch of
coordinate descent (and the proximal Newton step of the classifier) writes its column
loops out.

Dot products are summed with reassociation allowed (``fastmath={'reassoc',
'contract'}`` only, so NaN and inf keep their meaning) to let LLVM vectorize them.
"""

import numpy as np

from .._jit import jit

REASSOCIATE = {"reassoc", "contract"}  # lets LLVM vectorize sums; keeps NaN / inf semantics


def unsigned_indices(A):
    """``(indices, indptr)`` of the compressed sparse matrix ``A`` as the kernels take them.

    They are unsigned (``uint32``, int32 arrays viewed without a copy) when every index and
    offset fits, which spares Numba its negative-index check on each access: that check
    made a loop over stored entries twice as slow. Larger matrices keep int64 indices.
    """
    if A.nnz < 2**32 and max(A.shape) < 2**32:
        return tuple(a.view(np.uint32) if a.dtype == np.int32 else a.astype(np.uint32)
                     for a in (A.indices, A.indptr))
    return A.indices.astype(np.int64, copy=False), A.indptr.astype(np.int64, copy=False)


@jit
def stored_column_ranges(data, indices, indptr, n_columns, by_rows):
    """Smallest and largest stored entry of each of ``n_columns`` columns (``inf`` and
    ``-inf`` for none), and how many are stored, from CSR parts (``by_rows``) or CSC parts.
    One pass over the stored entries: SciPy's ``min(axis=0)`` of a CSR matrix took 18
    times a product with it on news20."""
    low = np.full(n_columns, np.inf)
    high = np.full(n_columns, -np.inf)
    counts = np.zeros(n_columns, dtype=np.int64)
    for outer in range(indptr.shape[0] - 1):
        for s in range(indptr[outer], indptr[outer + 1]):
            j = indices[s] if by_rows else outer
            low[j] = min(low[j], data[s])
            high[j] = max(high[j], data[s])
            counts[j] += 1
    return low, high, counts


@jit(fastmath=REASSOCIATE)
def columns_dot(X, X_data, X_indices, X_indptr, is_sparse, v, features, out):
    """``out[j] = X[:, j] . v`` (in float64) for each ``j`` of ``features``."""
    for j in features:
        total = 0.0
        if is_sparse:
            for k in range(X_indptr[j], X_indptr[j + 1]):
                total += X_data[k] * v[X_indices[k]]
        else:
            for i in range(X.shape[0]):
                total += X[i, j] * v[i]
        out[j] = total


@jit(fastmath=REASSOCIATE)
def columns_axpy(X, X_data, X_indices, X_indptr, is_sparse, coefs, features, v):
    """``v += sum_k coefs[k] * X[:, features[k]]`` in place (zero coefficients skipped)."""
    for k in range(features.shape[0]):
        a = coefs[k]
        if a == 0.0:
            continue
        j = features[k]
        if is_sparse:
            for k_nz in range(X_indptr[j], X_indptr[j + 1]):
                v[X_indices[k_nz]] += a * X_data[k_nz]
        else:
            for i in range(X.shape[0]):
                v[i] += a * X[i, j]


# rows copied together: one cache line per row, 32 KiB, stays in L1 (48 KiB here);
# 1024 rows took 1.2x as long on 2000 x 500 and 10000 x 200, as long on 500 x 5000
PANEL_ROWS = 512


@jit
def copy_to_columns(X, offsets, row_scale, out):
    """``out[i, j] = (X[i, j] - offsets[j]) * row_scale[i]``, rounded to ``out``'s dtype,
    into the Fortran-ordered ``out``, from ``X`` in either order (zero offsets for a plain
    copy; an empty ``row_scale`` for none, which spares its loads: 0.1 ms of 0.75 on
    2000 x 500).

    Column by column within panels of ``PANEL_ROWS`` rows: each column writes contiguously
    and, from a C-ordered ``X``, reads one value from each of the panel's cache lines,
    which stay cached for the next seven columns. Measured against NumPy's assignment and
    square tiles: as fast as either on 2000 x 500, 1.7x faster than NumPy and 3x than tiles
    on wide arrays (72 x 7129), 2x faster than NumPy on tall ones (10000 x 1000). Sums over
    the rows of ``out`` in the same loop made it twice as slow: a panel of a
    Fortran-ordered array has no layout that LLVM vectorizes them in.
    """
    n_samples = X.shape[0]
    for start in range(0, n_samples, PANEL_ROWS):
        stop = min(start + PANEL_ROWS, n_samples)
        _copy_by_columns(X[start:stop], offsets, row_scale[start:stop], out[start:stop])


@jit
def _copy_by_columns(X, offsets, row_scale, out):
    scaled = row_scale.shape[0] > 0
    for j in range(X.shape[1]):
        offset = offsets[j]
        if scaled:
            for i in range(X.shape[0]):  # a loop from 0 to the length: 2-3x faster
                out[i, j] = (X[i, j] - offset) * row_scale[i]
        else:
            for i in range(X.shape[0]):
                out[i, j] = X[i, j] - offset


@jit(fastmath=REASSOCIATE)
def center_scale_columns(A, offset, row_scale, by_columns, columns):
    """``A[i, j] = (A[i, j] - offset[j]) * row_scale[i]`` in place, with column summaries.

    ``by_columns`` says that ``A`` is Fortran-ordered: the loops then run down the
    ``columns`` given, and the others are left as they are. Otherwise they run along its
    rows, over every column. The arithmetic is in ``A``'s dtype (as NumPy's would be); the
    summaries are accumulated in float64.

    Returns
    -------
    sums : ndarray of shape (n_features,)
        ``A^T row_scale`` after the update (zero for the columns left).
    sq_norms : ndarray of shape (n_features,)
        Squared norms of the columns of ``A`` after the update (zero for those left).
    """
    n_samples, n_features = A.shape
    sums = np.zeros(n_features)
    sq_norms = np.zeros(n_features)
    if by_columns:
        for j in columns:
            total = 0.0
            total_sq = 0.0
            for i in range(n_samples):
                value = (A[i, j] - offset[j]) * row_scale[i]
                A[i, j] = value
                total += value * row_scale[i]
                total_sq += value * value
            sums[j] = total
            sq_norms[j] = total_sq
    else:
        for i in range(n_samples):
            for j in range(n_features):
                value = (A[i, j] - offset[j]) * row_scale[i]
                A[i, j] = value
                sums[j] += value * row_scale[i]
                sq_norms[j] += value * value
    return sums, sq_norms


@jit(fastmath=REASSOCIATE)
def column_sums_sq_norms(A, weights):
    """Weighted sums ``A^T weights`` and squared norms ``(A * A)^T weights`` of the columns
    of ``A`` (only read, possibly read-only), accumulated in float64: down its columns, or
    along its rows when it is C-ordered."""
    n_samples, n_features = A.shape
    sums = np.zeros(n_features)
    sq_norms = np.zeros(n_features)
    if A.flags.c_contiguous and not A.flags.f_contiguous:
        for i in range(n_samples):
            weight = weights[i]
            for j in range(n_features):
                value = A[i, j]
                sums[j] += weight * value
                sq_norms[j] += weight * value * value
        return sums, sq_norms
    for j in range(n_features):
        total = 0.0
        total_sq = 0.0
        for i in range(n_samples):
            value = A[i, j]
            total += weights[i] * value
            total_sq += weights[i] * value * value
        sums[j] = total
        sq_norms[j] = total_sq
    return sums, sq_norms


@jit(fastmath=REASSOCIATE)
def centered_column_sq_norms(X, X_data, X_indices, X_indptr, is_sparse, q, offsets, q_norm2):
    """``||X[:, j] - offsets[j] q||^2`` for every column, without cancellation.

    For a sparse column the rows outside its pattern contribute ``offset^2 q_i^2`` each.
    """
    n_features = offsets.shape[0]
    sq_norms = np.empty(n_features)
    for j in range(n_features):
        offset = offsets[j]
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
        sq_norms[j] = total
    return sq_norms


@jit
def csc_layout_of_csr(data, indices, indptr, n_features):
    """Empty CSC parts ``(data, indices, indptr)`` for the CSR matrix ``(data, indices,
    indptr)``: ``indptr`` is final, ``data`` and ``indices`` are left for
    :func:`gather_columns` to fill column by column."""
    col_indptr = np.zeros(n_features + 1, dtype=indptr.dtype)
    for s in range(indices.shape[0]):
        col_indptr[indices[s] + 1] += 1
    for j in range(n_features):
        col_indptr[j + 1] += col_indptr[j]
    return (np.empty(indices.shape[0], dtype=data.dtype),
            np.empty(indices.shape[0], dtype=indices.dtype), col_indptr)


@jit
def gather_columns(data, indices, indptr, selected, col_data, col_indices, col_indptr):
    """Fill the CSC parts of the columns flagged in ``selected`` from the CSR matrix
    ``(data, indices, indptr)`` (see :func:`csc_layout_of_csr`); row indices come out sorted.

    One pass over the CSR matrix that writes only the selected entries: when they are a
    small part of the matrix this costs much less than a conversion to CSC, whose scattered
    writes cost several products with the matrix.
    """
    cursor = col_indptr[:-1].copy()
    for i in range(indptr.shape[0] - 1):
        for s in range(indptr[i], indptr[i + 1]):
            j = indices[s]
            if selected[j]:
                position = cursor[j]
                col_data[position] = data[s]
                col_indices[position] = i
                cursor[j] = position + 1


@jit
def dense_columns(X, X_data, X_indices, X_indptr, is_sparse, features, n_samples):
    """The columns ``features`` of the design (dense ``X``, or CSC parts when
    ``is_sparse``) as the rows of a dense ``(len(features), n_samples)`` array."""
    columns = np.zeros((features.shape[0], n_samples))
    for a in range(features.shape[0]):
        j = features[a]
        if is_sparse:
            for s in range(X_indptr[j], X_indptr[j + 1]):
                columns[a, X_indices[s]] = X_data[s]
        else:
            for i in range(n_samples):
                columns[a, i] = X[i, j]
    return columns


@jit(fastmath=REASSOCIATE)
def row_major_residual_correlations(X, X_mean, q, row_scale, y, w):
    """The residual ``r = y - (S X - q X_mean^T) w`` of the C-ordered ``X``, its rows
    scaled by ``S = diag(row_scale)``, and the correlations ``(S X - q X_mean^T)^T r``, in
    one pass along its rows: each row's product with ``w`` gives its residual, and the
    row, still cached, is added to the correlations (two BLAS products read ``X`` twice)."""
    n_samples, n_features = X.shape
    fitted_offset = 0.0
    for j in range(n_features):
        fitted_offset += X_mean[j] * w[j]
    r = np.empty(n_samples)
    correlations = np.zeros(n_features)
    q_dot_r = 0.0
    for i in range(n_samples):
        fitted = 0.0
        for j in range(n_features):
            fitted += X[i, j] * w[j]
        residual = y[i] - row_scale[i] * fitted + q[i] * fitted_offset
        r[i] = residual
        q_dot_r += q[i] * residual
        scaled = row_scale[i] * residual
        for j in range(n_features):
            correlations[j] += X[i, j] * scaled
    for j in range(n_features):
        correlations[j] -= X_mean[j] * q_dot_r
    return r, correlations
