"""Direct and iterative solvers for the ridge (L2) and unpenalized least-squares problem.

All of them solve, for every column of ``Y`` at once,

    min_W  1/2 ||Y - Xc W||^2 + l2 / 2 ||W||^2,     Xc = A - q mean^T,

on the same implicitly centered design as :mod:`sklreg.solvers._cd` (``mean`` is all
zeros when ``A`` was centered beforehand). ``A`` may be a dense array or a scipy sparse
matrix; only products with it are used.
"""

import threading
from contextlib import nullcontext
from functools import lru_cache

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, lsqr

from .._jit import jit
from ._columns import REASSOCIATE, unsigned_indices

DENSIFY_DENSITY = 0.5  # sparse products by BLAS on the densified matrix from this density
# a column whose centered squared norm is below this fraction of its uncentered one (nearly
# constant: its offset dwarfs its spread) lost that many digits in A^T A - S mean mean^T;
# its row and column of the Gram matrix are formed from the explicitly centered column
CENTERING_CANCELLATION = 1e-4
# products of fewer multiply-adds run on one BLAS thread: with the other core busy, a
# threaded syrk of 331 x 65 (1.4e6) waited for the scheduler, 24 ms against 0.1 ms
SERIAL_BLAS_MULTIPLY_ADDS = 2e7


@lru_cache(maxsize=1)
def _threadpool_controller():
    from threadpoolctl import ThreadpoolController  # (a dependency of scikit-learn)

    return ThreadpoolController()


def serial_blas():
    """A context with BLAS on one thread, for products too small to gain from more; in
    the main thread only.

    OpenBLAS's thread pool is process-wide: threads that limited and restored it at once
    left it limited (their saved and restored sizes interleaved), so other threads leave
    it alone.
    """
    if threading.current_thread() is not threading.main_thread():
        return nullcontext()
    return _threadpool_controller().limit(limits=1, user_api="blas")


def _solve_psd(K, B, l2):
    """Solve ``(K + l2 I) Z = B`` for a symmetric positive semi-definite ``K``.

    Cholesky when ``K + l2 I`` is numerically positive definite; otherwise an
    eigendecomposition, giving the minimum-norm solution when ``l2 == 0`` and ``K`` is
    singular.
    """
    diagonal = np.arange(K.shape[0])
    if l2 > 0.0:
        K_reg = K.copy()
        K_reg[diagonal, diagonal] += l2
        try:
            factor = scipy.linalg.cho_factor(K_reg, overwrite_a=True, check_finite=False)
            return scipy.linalg.cho_solve(factor, B, check_finite=False)
        except np.linalg.LinAlgError:
            pass
    eigvals, eigvecs = scipy.linalg.eigh(K, check_finite=False)
    eigvals = eigvals + l2
    cutoff = max(eigvals.max(initial=0.0), 0.0) * max(K.shape) * np.finfo(np.float64).eps
    inv = np.zeros_like(eigvals)
    keep = eigvals > cutoff
    inv[keep] = 1.0 / eigvals[keep]
    return eigvecs @ (inv[:, None] * (eigvecs.T @ B))


def _symmetric_product(A, transpose_first):
    """``A^T A`` (``transpose_first``) or ``A A^T`` of a dense array, by BLAS ``syrk``."""
    A = np.asarray(A, dtype=np.float64)
    if 0 in A.shape:  # BLAS rejects a zero leading dimension
        size = A.shape[1] if transpose_first else A.shape[0]
        return np.zeros((size, size))
    if not (A.flags.f_contiguous or A.flags.c_contiguous):
        A = np.asfortranarray(A)
    size, inner = (A.shape[1], A.shape[0]) if transpose_first else A.shape
    if size * size * inner / 2 < SERIAL_BLAS_MULTIPLY_ADDS:
        with serial_blas():
            return _syrk(A, transpose_first)
    return _syrk(A, transpose_first)


def _syrk(A, transpose_first):
    """:func:`_symmetric_product` of an array in either memory order."""
    if A.flags.f_contiguous:
        K = scipy.linalg.blas.dsyrk(1.0, A, trans=int(transpose_first))
    else:  # A.T is Fortran-ordered: A^T A = (A^T)(A^T)^T
        K = scipy.linalg.blas.dsyrk(1.0, A.T, trans=int(not transpose_first))
    _mirror_upper(K)
    return K


@jit
def _mirror_upper(K):
    """Copy the upper triangle of the square ``K`` onto its lower one, in place (syrk
    forms the upper one only): a tenth of the time of NumPy's triangle indexing."""
    for i in range(K.shape[0]):
        for j in range(i + 1, K.shape[0]):
            K[j, i] = K[i, j]


@jit(fastmath=REASSOCIATE)
def _sum_of_outer_products(data, indices, indptr, size):
    """``sum_s v_s v_s^T`` (dense ``size x size``) over the slices ``v_s`` of a compressed
    sparse matrix: ``A^T A`` from CSR parts, ``A A^T`` from CSC parts.

    Each slice adds its pairs of stored entries to one triangle (or the other, by the order
    of its indices); the sum is symmetrized at the end. Duplicate indices are summed.
    """
    K = np.zeros((size, size))
    for s in range(indptr.shape[0] - 1):
        start, end = indptr[s], indptr[s + 1]
        for a in range(start, end):
            i = indices[a]
            v = data[a]
            K[i, i] += v * v
            for b in range(a + 1, end):
                j = indices[b]
                if j == i:  # a duplicate entry: its cross terms are on the diagonal
                    K[i, i] += 2.0 * v * data[b]
                else:
                    K[i, j] += v * data[b]
    for i in range(size):
        for j in range(i + 1, size):
            total = K[i, j] + K[j, i]
            K[i, j] = total
            K[j, i] = total
    return K


@jit
def difference_minus_outer(M, P, u, v):
    """``M - P - u v^T``, in one pass (NumPy takes three, with a temporary outer
    product)."""
    D = np.empty(M.shape)
    for i in range(M.shape[0]):
        u_i = u[i]
        for j in range(M.shape[1]):
            D[i, j] = M[i, j] - P[i, j] - u_i * v[j]
    return D


@jit(fastmath=REASSOCIATE)
def centered_row_products(A, offset, row_scale, V, order, bounds, Z, P):
    """Products of parts of the rows of ``(A - offset) * row_scale[:, None]`` (``A`` C-ordered)
    and of ``V``, in one pass over those rows, without gathering them.

    Part ``k`` is the rows ``order[bounds[k]:bounds[k + 1]]``. For each, with ``C`` its
    rows centered and scaled: ``C^T V`` (transposed, ``V``'s columns first), the squared
    norms of ``C``'s columns and ``V^T V`` on its rows, stacked on a first axis. When
    ``Z`` (as ``A``) and ``P`` (one row per entry of ``order``) are not empty, the centered
    rows are also written to them: to ``Z`` in place, to ``P`` part after part.
    """
    n_features, n_columns = A.shape[1], V.shape[1]
    n_parts = bounds.shape[0] - 1
    write_rows, write_parts = Z.shape[0] > 0, P.shape[0] > 0
    AV = np.zeros((n_parts, n_columns, n_features))
    sq_norms = np.zeros((n_parts, n_features))
    VV = np.zeros((n_parts, n_columns, n_columns))
    row = np.empty(n_features)
    for k in range(n_parts):
        for r in range(bounds[k], bounds[k + 1]):
            i = order[r]
            for j in range(n_features):
                value = (A[i, j] - offset[j]) * row_scale[i]
                row[j] = value
                sq_norms[k, j] += value * value
            if write_rows:
                for j in range(n_features):
                    Z[i, j] = row[j]
            if write_parts:
                for j in range(n_features):
                    P[r, j] = row[j]
            for a in range(n_columns):
                v = V[i, a]
                for j in range(n_features):
                    AV[k, a, j] += v * row[j]
                for b in range(n_columns):
                    VV[k, a, b] += v * V[i, b]
    return AV, sq_norms, VV


def _sparse_symmetric_product(A, transpose_first):
    """``A^T A`` (``transpose_first``) or ``A A^T`` of a sparse matrix, dense float64.

    A matrix dense enough to take no more memory densified goes through BLAS.
    """
    if A.nnz >= DENSIFY_DENSITY * A.shape[0] * A.shape[1]:
        return _symmetric_product(A.toarray(), transpose_first)
    A = A.tocsr() if transpose_first else A.tocsc()
    size = A.shape[1] if transpose_first else A.shape[0]
    return _sum_of_outer_products(A.data.astype(np.float64, copy=False), *unsigned_indices(A),
                                  size)


def symmetric_products(A):
    """``A^T A`` and ``A A^T`` as dense float64 arrays (lazily, as functions).

    Products of float32 data are summed in float64; dense ``A`` goes through BLAS
    ``syrk``, sparse ``A`` through a compiled sum of outer products (several times faster
    than a sparse-sparse product densified afterwards).
    """
    if sp.issparse(A):
        return (lambda: _sparse_symmetric_product(A, True),
                lambda: _sparse_symmetric_product(A, False))
    return (lambda: _symmetric_product(A, True)), (lambda: _symmetric_product(A, False))


def centered_gram(A, X_mean, sqrt_sw, Y):
    """``Xc^T Xc`` and ``Xc^T Y`` of the implicitly centered design, in float64.

    Parameters
    ----------
    A : ndarray or sparse matrix of shape (n_samples, n_features)
        Row-weighted design.
    X_mean : ndarray of shape (n_features,)
        Implicit column offsets (zeros when ``A`` is already centered).
    sqrt_sw : ndarray of shape (n_samples,)
        Square roots of the sample weights.
    Y : ndarray of shape (n_samples, n_targets), float64
        Centered, row-weighted targets.

    Returns
    -------
    G : ndarray of shape (n_features, n_features), C order
    B : ndarray of shape (n_features, n_targets)
    """
    G = np.ascontiguousarray(symmetric_products(A)[0]())
    if np.any(X_mean != 0.0):
        G -= float(sqrt_sw @ sqrt_sw) * np.outer(X_mean, X_mean)
    B = np.asarray(A.T @ Y, dtype=np.float64) - np.outer(X_mean, sqrt_sw @ Y)
    recenter_cancelled(A, X_mean, sqrt_sw, Y, G, B)
    return G, B


def recenter_cancelled(A, X_mean, sqrt_sw, Y, G, B, uncentered=None):
    """Recompute in place the rows and columns of a centered Gram matrix that cancelled.

    ``G = A^T A - S mean mean^T`` loses the digits of a nearly constant column (an offset
    much larger than its spread): its centered norm can even come out negative, and
    coordinate descent on such a ``G`` diverges. The rows and columns (and rows of
    ``B = Xc^T Y``) of the columns whose centered squared norm is below
    ``CENTERING_CANCELLATION`` times their uncentered one are formed from those columns
    centered explicitly (dense), as a dense design's columns of large offsets are.
    Arguments as in :func:`centered_gram`, with its ``G`` and ``B``; ``uncentered``, when
    given, holds the squared norms the rounding of ``G`` scales with, in place of those of
    ``A``'s columns (for a ``G`` formed as a difference of larger Gram matrices); ``A``
    may then be a function giving the design, called only if a column cancelled.
    """
    if uncentered is None:
        if not np.any(X_mean != 0.0):
            return
        uncentered = G.diagonal() + float(sqrt_sw @ sqrt_sw) * X_mean**2
    cancelled = np.flatnonzero(G.diagonal() <= CENTERING_CANCELLATION * uncentered)
    if not cancelled.size:
        return
    A = A() if callable(A) else A
    columns = A[:, cancelled]
    columns = columns.toarray() if sp.issparse(columns) else np.asarray(columns)
    Xc = columns.astype(np.float64) - np.outer(sqrt_sw, X_mean[cancelled])
    cross = np.asarray(A.T @ Xc, dtype=np.float64) - np.outer(X_mean, sqrt_sw @ Xc)
    G[:, cancelled] = cross
    G[cancelled, :] = cross.T
    G[np.ix_(cancelled, cancelled)] = Xc.T @ Xc
    B[cancelled] = Xc.T @ Y


def _centered_system(A, X_mean, sqrt_sw, Y):
    """The smaller of the two ridge systems of the implicitly centered design.

    Returns ``(K, B, back)``: ridge solves ``(K + l2 I) Z = B`` and ``W = back(Z)``, with
    ``K = Xc^T Xc`` (``back`` the identity) when there are no more features than samples,
    else ``K = Xc Xc^T`` and ``back(Z) = Xc^T Z``.
    """
    n_samples, n_features = A.shape
    if n_features <= n_samples:
        K, B = centered_gram(A, X_mean, sqrt_sw, Y)
        return K, B, lambda Z: Z
    K = symmetric_products(A)[1]()
    centered = np.any(X_mean != 0.0)
    if centered:
        AX_mean = np.asarray(A @ X_mean, dtype=np.float64)
        K -= np.outer(AX_mean, sqrt_sw) + np.outer(sqrt_sw, AX_mean)
        K += (X_mean @ X_mean) * np.outer(sqrt_sw, sqrt_sw)

    def back(Z):
        return np.asarray(A.T @ Z, dtype=np.float64) - np.outer(X_mean, sqrt_sw @ Z)

    return K, Y, back


def ridge_cholesky(A, X_mean, sqrt_sw, Y, l2):
    """Ridge by a factorization of the smaller of ``Xc^T Xc`` and ``Xc Xc^T``.

    Parameters
    ----------
    A : ndarray or sparse matrix of shape (n_samples, n_features)
        Row-weighted design.
    X_mean : ndarray of shape (n_features,)
        Implicit column offsets (zeros when ``A`` is already centered).
    sqrt_sw : ndarray of shape (n_samples,)
        Square roots of the sample weights (the vector ``q``).
    Y : ndarray of shape (n_samples, n_targets), float64
        Centered, row-weighted targets.
    l2 : float
        L2 strength (0 gives the minimum-norm least-squares solution: for a dense ``A``,
        by LAPACK's SVD-based ``gelsd`` on the centered design, since the normal equations
        square its condition number; polynomial features with a condition number of 2e9
        ended at 5 times the optimal objective through them).

    Returns
    -------
    W : ndarray of shape (n_features, n_targets), float64
    """
    if l2 == 0.0 and not sp.issparse(A):
        centered = np.asarray(A, dtype=np.float64) - np.outer(sqrt_sw, X_mean)
        return scipy.linalg.lstsq(centered, Y, check_finite=False, lapack_driver="gelsd")[0]
    K, B, back = _centered_system(A, X_mean, sqrt_sw, Y)
    return back(_solve_psd(K, B, l2))


def ridge_spectral(A, X_mean, sqrt_sw, Y):
    """Ridge for many strengths from one eigendecomposition (for L2 paths).

    Parameters are those of :func:`ridge_cholesky`, without ``l2``.

    Returns
    -------
    solve : callable
        ``solve(l2)`` gives ``W`` of shape (n_features, n_targets) for any ``l2 >= 0``
        (the minimum-norm least-squares solution at 0).
    """
    return spectral_ridge(*_centered_system(A, X_mean, sqrt_sw, Y))


def spectral_ridge(K, B, back=None):
    """:func:`ridge_spectral` of the system ``(K + l2 I) Z = B``, ``W = back(Z)`` (the
    identity when None): of a centered design's ``X^T X`` and ``X^T Y`` already formed, for
    example."""
    eigvals, eigvecs = scipy.linalg.eigh(K, check_finite=False)
    projected = eigvecs.T @ B
    cutoff = max(eigvals.max(initial=0.0), 0.0) * max(K.shape) * np.finfo(np.float64).eps

    def solve(l2):
        shifted = eigvals + l2
        inverse = np.zeros_like(shifted)
        keep = shifted > cutoff
        inverse[keep] = 1.0 / shifted[keep]
        Z = eigvecs @ (inverse[:, None] * projected)
        return Z if back is None else back(Z)

    return solve


def ridge_lsqr(A, X_mean, sqrt_sw, Y, l2, tol, max_iter, W_init=None):
    """Ridge by LSQR on the implicitly centered operator (for large sparse designs).

    Parameters
    ----------
    A, X_mean, sqrt_sw, Y, l2 :
        As in :func:`ridge_cholesky`.
    tol : float
        ``atol`` and ``btol`` of LSQR.
    max_iter : int
        Iteration limit of LSQR, per target.
    W_init : ndarray of shape (n_features, n_targets), optional
        Starting point.

    Returns
    -------
    W : ndarray of shape (n_features, n_targets), float64
    n_iter : ndarray of shape (n_targets,), int
    converged : ndarray of shape (n_targets,), bool
        False where LSQR stopped at ``max_iter`` before its tolerance.
    """
    n_samples, n_features = A.shape
    # lsqr's stopping tests add an absolute eps to ||[Xc; sqrt(l2) I]|| ||residual||, which
    # stopped it early (silently, without a penalty) on designs or targets of magnitude
    # ~1e-25: solve at unit Frobenius norm of the operator and unit norm of each target,
    # the same problem rescaled (its tests are invariant to both scalings)
    squares = A.data @ A.data if sp.issparse(A) else np.einsum("ij,ij->", A, A)
    centered = squares - (sqrt_sw @ sqrt_sw) * (X_mean @ X_mean)
    frobenius2 = (centered if centered > squares * 1e-12 else squares) + n_features * l2
    scale = 1.0 / np.sqrt(frobenius2) if frobenius2 > 0.0 else 1.0
    damp = scale * np.sqrt(l2)
    # The damped problem as plain least squares on [Xc; sqrt(l2) I]: scipy's lsqr would
    # otherwise damp x - x0 instead of x when given a starting point.
    operator = LinearOperator(
        (n_samples + n_features, n_features),
        matvec=lambda v: np.concatenate(
            [scale * (A @ v.ravel() - sqrt_sw * (X_mean @ v.ravel())), damp * v.ravel()]
        ),
        rmatvec=lambda u: (
            scale * (A.T @ u[:n_samples] - X_mean * (sqrt_sw @ u[:n_samples]))
            + damp * u[n_samples:]
        ),
        dtype=np.float64,
    )
    n_targets = Y.shape[1]
    W = np.zeros((n_features, n_targets))
    n_iter = np.zeros(n_targets, dtype=np.int64)
    converged = np.ones(n_targets, dtype=bool)
    for k in range(n_targets):
        norm = np.linalg.norm(Y[:, k])
        norm = norm if norm > 0.0 else 1.0
        x0 = None if W_init is None else W_init[:, k] / (norm * scale)
        target = np.concatenate([Y[:, k] / norm, np.zeros(n_features)])
        result = lsqr(operator, target, atol=tol, btol=tol, iter_lim=max_iter, x0=x0)
        W[:, k] = result[0] * (norm * scale)
        n_iter[k] = result[2]
        converged[k] = result[1] != 7  # lsqr's istop 7: the iteration limit
    return W, n_iter, converged
