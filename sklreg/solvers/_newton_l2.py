"""Exact Newton for L2-penalized binary logistic regression (small ``min(n, p)``).

Coordinate descent on the quadratic models converges slowly on ill-conditioned designs
(raw microarray data, ``p >> n``); with an L2 penalty only, the Newton system

    [X^T D X + l2 I   X^T d] [dw]     [g  ]
    [d^T X            sum d] [db] = - [g_b]

is solved exactly instead: directly when ``p <= n``, through the ``n x n`` Woodbury
identity with the Gram matrix ``X X^T`` otherwise (the intercept by a Schur complement).
A backtracking line search on the objective globalizes the steps; the stop is the
certified duality gap of :func:`~sklreg._datafits.classification_dual_gap`.
"""

import numpy as np
import scipy.linalg
import scipy.sparse as sp

from .._datafits import (
    classification_dual_gap,
    classification_loss,
    classification_loss_change,
    classification_probabilities,
    classification_residuals,
)
from ._direct import symmetric_products
from ._prox_newton import ARMIJO, MAX_BACKTRACK, ROUNDING, optimize_intercepts

# largest n_samples (below n_features) solved this way: measured against L-BFGS (about 10
# Newton against 15-200 L-BFGS iterations), Newton was 3-5x faster at 62 and 100 (colon,
# arcene), as fast at 72 (leukemia), and 2-7x slower from 180 up (dna one-vs-rest,
# dorothea's 800, synthetic 600 x 3000 to 5000 x 1000, raw-scaled too). With more samples
# than features, L-BFGS needs 5-7 iterations on well-conditioned data, each O(n p) against
# Newton's O(n p^2): Newton was 2-3.5x slower from 5000 x 30 to 100000 x 20
MAX_DIRECT_SIZE = 128


def direct_newton_applies(X, n_blocks, l1_strength, l2_strength):
    """Whether :func:`newton_l2` should solve this problem."""
    return (n_blocks == 1 and l1_strength == 0.0 and l2_strength > 0.0
            and X.shape[0] <= min(MAX_DIRECT_SIZE, X.shape[1]))


def l2_backtracking(Z, P, D, labels, c, w, direction, l2_strength, descent):
    """Armijo backtracking from ``t = 1`` on ``loss(Z + t D) + l2 / 2 ||w + t direction||^2``.

    ``P`` holds the probabilities at ``Z``, ``D`` the change of the predictions along
    ``direction`` (intercepts included), and ``descent`` the directional derivative (< 0).
    The change of the objective is summed term by term
    (:func:`~sklreg._datafits.classification_loss_change`): a difference of totals drowns in
    their rounding near the optimum. A full step whose change is at that rounding level is
    accepted. Returns the step length and the probabilities at ``Z + t D``, or
    ``(None, None)`` when no step decreases the objective.
    """
    multinomial = Z.shape[0] > 1
    w_dot_d, d_dot_d = w @ direction, direction @ direction
    P_new = np.empty_like(P)
    t = 1.0
    for _ in range(MAX_BACKTRACK):
        change = (classification_loss_change(Z, P, D, t, labels, c, multinomial, P_new)
                  + l2_strength * t * (w_dot_d + 0.5 * t * d_dot_d))
        if change <= ARMIJO * t * descent:
            return t, P_new
        # the objective only scales the rounding level: evaluated when a full step fails
        if t == 1.0 and change <= ROUNDING * abs(
                classification_loss(Z, labels, c, multinomial) + 0.5 * l2_strength * (w @ w)):
            return t, P_new
        t *= 0.5
    return None, None


def _dot(A, B):
    product = A @ B
    return product.toarray() if sp.issparse(product) else np.asarray(product)


def newton_l2(X, labels, c, w, b, fit_intercept, l2_strength, max_iter, gap_tol):
    """Newton's method with a certified stop; updates ``w`` (n_features,) and ``b`` (1,).

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        Design (float32 or float64).
    labels : ndarray of shape (n_samples,), int64
        0 / 1 class indices.
    c : ndarray of shape (n_samples,)
        Sample weights divided by their sum.
    w : ndarray of shape (n_features,), float64
        Initial weights, updated in place.
    b : ndarray of shape (1,), float64
        Initial intercept, updated in place.
    fit_intercept : bool
        Whether to fit the intercept.
    l2_strength : float
        ``alpha`` (> 0).
    max_iter : int
        Maximum number of Newton iterations.
    gap_tol : float
        Absolute duality gap at which to stop.

    Returns
    -------
    gap : float
    n_iter : int
    """
    n_samples, n_features = X.shape
    wide = n_features > n_samples
    gram = symmetric_products(X)[1]() if wide else None
    W = w.reshape(1, -1)
    Z = (_dot(X, w) + b[0]).reshape(1, -1)
    P = classification_probabilities(Z, False)
    n_iter = 0
    while True:
        if fit_intercept:
            optimize_intercepts(Z, b, labels, c, P)
        R = classification_residuals(P, labels, c)
        G = _dot(R, X).reshape(1, -1)
        _, gap = classification_dual_gap(Z, P, labels, c, G, W, 0.0, l2_strength)
        if gap <= gap_tol or n_iter >= max_iter:
            return gap, n_iter
        n_iter += 1

        d = c * P[0] * (1.0 - P[0])
        grad = G[0] + l2_strength * w
        grad_b = R[0].sum()

        if wide:
            sqrt_d = np.sqrt(d)
            system = sqrt_d[:, None] * gram * sqrt_d[None, :]
            system[np.diag_indices_from(system)] += l2_strength
            factor = scipy.linalg.cho_factor(system)

            def solve(v, factor=factor, sqrt_d=sqrt_d):
                inner = scipy.linalg.cho_solve(factor, sqrt_d * _dot(X, v))
                return (v - _dot(sqrt_d * inner, X).ravel()) / l2_strength
        else:
            sqrt_d = np.sqrt(d)[:, None]
            hessian = symmetric_products(
                X.multiply(sqrt_d).tocsr() if sp.issparse(X) else sqrt_d * X)[0]()
            hessian[np.diag_indices_from(hessian)] += l2_strength
            factor = scipy.linalg.cho_factor(hessian)

            def solve(v, factor=factor):
                return scipy.linalg.cho_solve(factor, v)

        step_w = -solve(grad)
        step_b = 0.0
        if fit_intercept:
            h = _dot(d, X).ravel()  # X^T d
            inv_h = solve(h)
            schur = d.sum() - h @ inv_h
            if schur > 0.0:
                step_b = (-grad_b - h @ step_w) / schur
                step_w -= step_b * inv_h

        D = (_dot(X, step_w) + step_b).reshape(1, -1)
        t, P = l2_backtracking(Z, P, D, labels, c, w, step_w, l2_strength,
                               R[0] @ D[0] + l2_strength * (w @ step_w))
        if t is None:
            return gap, n_iter
        w += t * step_w
        b[0] += t * step_b
        Z += t * D
