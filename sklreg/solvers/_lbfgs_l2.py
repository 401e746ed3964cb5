"""L-BFGS on the exact smooth objective of L2-penalized logistic / multinomial regression.

Used for L2 penalties when the exact Newton of :mod:`._newton_l2` does not apply (more than
two classes, or both dimensions large). Every iterate is certified by the duality gap of
:func:`~sklreg._datafits.classification_dual_gap` (intercepts made optimal first), and the
iterations stop as soon as it falls below the target.
"""

import numpy as np
import scipy.optimize

from .._datafits import (
    classification_dual_gap,
    classification_loss,
    classification_probabilities,
    classification_residuals,
)
from ._prox_newton import optimize_intercepts

HISTORY = 20  # L-BFGS memory


def _predictions(X, W, b):
    return np.ascontiguousarray(np.asarray(X @ W.T, dtype=np.float64).T) + b[:, None]


def _gradient(X, R):
    return np.ascontiguousarray(np.asarray(X.T @ R.T, dtype=np.float64).T)


def lbfgs_l2(X, labels, c, W, b, fit_intercept, l2_strength, max_iter, gap_tol):
    """L-BFGS with a certified stop; updates ``W`` (n_blocks, n_features) and ``b`` in place.

    Parameters are those of :func:`~sklreg.solvers._prox_newton.prox_newton`, with the
    design as a matrix (dense or sparse) and ``l2_strength > 0``.

    Returns
    -------
    gap : float
        Duality gap of the returned point.
    n_iter : int
        L-BFGS iterations run.
    """
    n_blocks, n_features = W.shape
    multinomial = n_blocks > 1
    size = n_blocks * n_features

    def split(x):
        return x[:size].reshape(n_blocks, n_features), (x[size:] if fit_intercept else b)

    def value_and_gradient(x):
        W_x, b_x = split(x)
        Z = _predictions(X, W_x, b_x)
        R = classification_residuals(classification_probabilities(Z, multinomial), labels, c)
        G = _gradient(X, R)
        value = classification_loss(Z, labels, c, multinomial) + 0.5 * l2_strength * (
            W_x.ravel() @ W_x.ravel())
        grad = (G + l2_strength * W_x).ravel()
        if fit_intercept:
            grad = np.concatenate([grad, R.sum(axis=1)])
        return value, grad

    best = {"gap": np.inf, "W": W.copy(), "b": b.copy()}

    def certify(x):
        W_x, b_x = split(x)
        b_x = b_x.copy()
        Z = _predictions(X, W_x, b_x)
        if fit_intercept:
            optimize_intercepts(Z, b_x, labels, c)
        R = classification_residuals(classification_probabilities(Z, multinomial), labels, c)
        _, gap = classification_dual_gap(Z, labels, c, _gradient(X, R), W_x, 0.0,
                                         l2_strength)
        if gap < best["gap"]:
            best.update(gap=gap, W=W_x.copy(), b=b_x)
        return gap

    def callback(intermediate_result):
        if certify(intermediate_result.x) <= gap_tol:
            raise StopIteration

    x0 = W.ravel().copy()
    if fit_intercept:
        x0 = np.concatenate([x0, b])
    if certify(x0) <= gap_tol:
        return best["gap"], 0
    result = scipy.optimize.minimize(
        value_and_gradient, x0, jac=True, method="L-BFGS-B", callback=callback,
        options={"maxiter": max_iter, "maxcor": HISTORY, "ftol": 0.0, "gtol": 0.0},
    )
    certify(result.x)
    W[:] = best["W"]
    b[:] = best["b"]
    return best["gap"], int(result.nit)
