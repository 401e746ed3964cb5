"""Dense solves of the small systems inside the kernels (intercepts, Anderson weights).

Written out as loops rather than calling ``np.linalg.solve``: its Numba implementation
(copies, checks and error messages for every layout of its arguments) took about 9 s of
the first compilation of the classifier's solver, for systems of a few unknowns. The
large systems (Newton steps on a support) keep LAPACK's Cholesky factorization.
"""

import numpy as np

from .._jit import jit


@jit
def solve_small(A, b):
    """The solution of ``A x = b`` by Gaussian elimination with partial pivoting.

    Parameters
    ----------
    A : ndarray of shape (n, n)
    b : ndarray of shape (n,)

    Returns
    -------
    x : ndarray of shape (n,)
        Empty when a pivot is zero (``A`` singular, as LAPACK's ``gesv`` tells it) or the
        solution is not finite. ``A`` and ``b`` are left unchanged.
    """
    n = A.shape[0]
    M = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            M[i, j] = A[i, j]
    x = np.empty(n)
    for i in range(n):
        x[i] = b[i]
    for col in range(n):
        pivot_row = col
        for row in range(col + 1, n):
            if abs(M[row, col]) > abs(M[pivot_row, col]):
                pivot_row = row
        if M[pivot_row, col] == 0.0:
            return np.empty(0)
        if pivot_row != col:
            for j in range(col, n):
                M[col, j], M[pivot_row, j] = M[pivot_row, j], M[col, j]
            x[col], x[pivot_row] = x[pivot_row], x[col]
        for row in range(col + 1, n):
            factor = M[row, col] / M[col, col]
            for j in range(col + 1, n):
                M[row, j] -= factor * M[col, j]
            x[row] -= factor * x[col]
    for row in range(n - 1, -1, -1):
        total = x[row]
        for j in range(row + 1, n):
            total -= M[row, j] * x[j]
        x[row] = total / M[row, row]
    for i in range(n):
        if not np.isfinite(x[i]):
            return np.empty(0)
    return x


@jit
def solve_lower(L, B):
    """``L^-1 B`` for a lower triangular ``L`` of shape (n, n) and ``B`` of shape (n, m)."""
    n, m = B.shape
    X = np.empty((n, m))
    for k in range(m):
        for i in range(n):
            total = B[i, k]
            for j in range(i):
                total -= L[i, j] * X[j, k]
            X[i, k] = total / L[i, i]
    return X


@jit
def cholesky_solve(L, b):
    """``(L L^T)^-1 b`` for a lower triangular ``L`` of shape (n, n) and ``b`` of shape (n,)."""
    n = b.shape[0]
    x = np.empty(n)
    for i in range(n):
        total = b[i]
        for j in range(i):
            total -= L[i, j] * x[j]
        x[i] = total / L[i, i]
    for i in range(n - 1, -1, -1):
        total = x[i]
        for j in range(i + 1, n):
            total -= L[j, i] * x[j]
        x[i] = total / L[i, i]
    return x
