"""Reference computations for the tests, in plain NumPy (independent of sklreg's kernels)."""

import numpy as np
import scipy.sparse as sp


def objective(X, y, coef, intercept, alpha, l1_ratio, sample_weight=None):
    """The CONVENTIONS.md least-squares objective, in float64, for one target."""
    X = X.toarray() if sp.issparse(X) else np.asarray(X)
    X = X.astype(np.float64)
    coef = np.asarray(coef, dtype=np.float64)
    sw = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight, float)
    residual = y - X @ coef - intercept
    datafit = 0.5 * np.sum(sw * residual**2) / sw.sum()
    return datafit + alpha * (l1_ratio * np.abs(coef).sum() + 0.5 * (1 - l1_ratio) * coef @ coef)


def centered(X, y, sample_weight=None, fit_intercept=True):
    """Weighted-centered dense X and y (unchanged without intercept) and the weights."""
    X = X.toarray() if sp.issparse(X) else np.asarray(X)
    X = X.astype(np.float64)
    sw = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight, float)
    if fit_intercept:
        X = X - sw @ X / sw.sum()
        y = y - sw @ y / sw.sum()
    return X, y, sw


def alpha_max(X, y, l1_ratio=1.0, sample_weight=None, fit_intercept=True):
    """Smallest alpha at which the zero vector is optimal."""
    Xc, yc, sw = centered(X, y, sample_weight, fit_intercept)
    return np.max(np.abs(Xc.T @ (sw * yc))) / (sw.sum() * l1_ratio)


def kkt_violation(
    X, y, coef, intercept, alpha, l1_ratio, sample_weight=None, positive=False, fit_intercept=True
):
    """Largest violation of the optimality conditions of the elastic-net problem.

    With ``g = X^T diag(s) r / S - alpha (1 - l1_ratio) w`` (r the residual), the
    conditions are ``g_j = alpha l1_ratio sign(w_j)`` where ``w_j != 0`` and
    ``|g_j| <= alpha l1_ratio`` (``g_j <= ...`` when positive) where ``w_j == 0``.
    """
    X = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float64)
    sw = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight, float)
    coef = np.asarray(coef, dtype=np.float64)
    residual = y - X @ coef - intercept
    grad = X.T @ (sw * residual) / sw.sum() - alpha * (1 - l1_ratio) * coef
    lam = alpha * l1_ratio
    nonzero = coef != 0
    violation_nonzero = np.abs(grad[nonzero] - lam * np.sign(coef[nonzero]))
    zero_grad = grad[~nonzero] if positive else np.abs(grad[~nonzero])
    violation_zero = np.maximum(zero_grad - lam, 0.0)
    intercept_violation = abs(np.sum(sw * residual) / sw.sum()) if fit_intercept else 0.0
    return max(violation_nonzero.max(initial=0.0), violation_zero.max(initial=0.0),
               intercept_violation)
