"""L-BFGS on the exact smooth objective of L2-penalized logistic / multinomial regression.

Used for L2 penalties when the direct exact Newton of :mod:`._newton_l2` does not apply
(more than two classes, more than ``MAX_DIRECT_SIZE`` samples, or more samples than
features), and after dual coordinate descent; exact Newton takes over when L-BFGS has not
converged after :func:`~sklreg.solvers._newton_l2.newton_fallback_after` iterations and its
steps are affordable. The intercepts are profiled out: after every step they are made
optimal (:func:`~sklreg.solvers._prox_newton.optimize_intercepts`), so the
iterations minimize the smooth strongly convex ``f(W) = min_b P(W, b)``, whose gradient is
``g = G + l2 W`` there, and every iterate is dual feasible. The duality gap of the dual point
``-R`` is then exactly ``||g||^2 / (2 l2)`` (Fenchel-Young equality and ``sum R = 0``); once
that falls below the target, the gap is certified by
:func:`~sklreg._datafits.classification_dual_gap` (per sample, the smaller of two dual
points), which costs no further product with the design.

The design is not centered: each direction carries the intercepts' first-order response
(:func:`_intercept_response`), so that the line search follows ``f`` even on features far
from the origin, and the Jacobi test below uses ``f``'s curvatures. The probabilities at
the current point come from the line search (and the intercepts' Newton): no ``exp`` per
sample beyond the line search's.

On dense designs with badly scaled columns, the initial inverse Hessian of each iteration is
the Jacobi scaling ``1 / diag(Hessian)`` at the starting point (times the usual
Barzilai-Borwein factor) instead of a multiple of the identity.

Without curvature pairs (the first iteration, a restart), the step is scaled to minimize the
quadratic model along it, so that the line search starts at the right length whatever the
scale of the features (a unit gradient step on features of size 1e6 was beyond 30 halvings).

An iteration costs two products with the design: ``X D^T`` for the search direction ``D``,
after which the line search on ``Z + t X D^T`` is ``O(n_samples)`` a trial, and ``R X`` for
the gradient at the new point.
"""

import numpy as np
import scipy.sparse as sp

from .._datafits import (
    classification_dual_gap,
    classification_probabilities,
    classification_residuals,
)
from .._jit import jit
from ._columns import REASSOCIATE, unsigned_indices
from ._newton_l2 import l2_backtracking
from ._prox_newton import optimize_intercepts, row_gradient, row_predictions

HISTORY = 10  # L-BFGS memory (pairs of steps and gradient changes)
FLOAT_TINY = np.finfo(np.float64).tiny  # the smallest normal float64
# Jacobi-scaled initial Hessian for dense designs whose per-column curvatures have deciles 1
# and 9 more than this ratio apart: unscaled features (column scales from lognormal(0, 2),
# ratio 4e4) took 1000 - 3000 iterations, 20 - 30 scaled; on sparse text (rare words) and on
# better scaled data (zipcode centered: ratio 13) the scaling took up to 8x more iterations
JACOBI_SPREAD = 50.0
SPREAD_SAMPLE = 2000  # rows on which a spread is looked for first


def product_operands(X):
    """``X`` as :func:`design_predictions` and :func:`design_gradient` take it: ``(X, data,
    indices, indptr)``, with the parts of a CSR ``X`` (indices unsigned, converted once)
    for the compiled row loops, else ``(X, None, None, None)``."""
    if sp.issparse(X) and X.format == "csr":
        return (X, X.data, *unsigned_indices(X))
    return X, None, None, None


def design_predictions(operands, W):
    """``W X^T`` (n_blocks, n_samples), C order, of the :func:`product_operands` of ``X``:
    a dense product written in that order is up to 3x faster than ``(X W^T)^T``; on CSR
    parts, the compiled row loops of :func:`~sklreg.solvers._prox_newton.row_predictions`
    (0.70 against scipy's 0.84 ms on news20, 1.9 against 2.6 ms on news20_tfidf)."""
    X, data, indices, indptr = operands
    if data is not None:
        return row_predictions(data, indices, indptr, W, np.zeros(W.shape[0]))
    if sp.issparse(X):
        return np.ascontiguousarray(np.asarray(X @ W.T, dtype=np.float64).T)
    return np.asarray(W @ X.T, dtype=np.float64, order="C")


def design_gradient(operands, R):
    """``R X`` (n_blocks, n_features), C order, of the :func:`product_operands` of ``X``; on
    CSR parts by the compiled :func:`~sklreg.solvers._prox_newton.row_gradient` (0.92
    against scipy's 1.09 ms on news20, 2.7 against 3.1 ms on news20_tfidf)."""
    X, data, indices, indptr = operands
    if data is not None:
        G = np.empty((R.shape[0], X.shape[1]))
        row_gradient(data, indices, indptr, R, G)
        return G
    if sp.issparse(X):
        return np.ascontiguousarray(np.asarray(X.T @ R.T, dtype=np.float64).T)
    return np.asarray(R @ X, dtype=np.float64, order="C")


def _column_curvatures(X, weights, fit_intercept):
    """``sum_i h_ik x_ij^2`` (block-major), with an intercept minus
    ``(sum_i h_ik x_ij)^2 / sum_i h_ik`` (the columns centered by their ``h``-weighted
    means: the profiled objective's)."""
    if weights.shape[0] == 1:  # without the temporary X * X: 3x faster
        curvature = np.einsum("ij,ij,i->j", X, X, weights[0])
    else:
        curvature = np.asarray((X * X).T @ weights.T, dtype=np.float64).T.ravel()
    if fit_intercept:
        weight_sums = weights.sum(axis=1, keepdims=True)
        means = (weights @ X) / np.where(weight_sums > 0.0, weight_sums, 1.0)
        curvature = np.maximum(curvature - (weight_sums * means**2).ravel(), 0.0)
    return curvature


def _jacobi_scaling(X, P, c, l2_strength, fit_intercept):
    """``1 / diag(Hessian)`` at the probabilities ``P`` for a dense design whose column
    curvatures are spread (deciles over :data:`JACOBI_SPREAD` apart), otherwise None.

    The diagonal is ``sum_i h_ik x_ij^2 + l2`` with ``h_ik = c_i p_ik (1 - p_ik)``
    (:func:`_column_curvatures`). The spread is first tested on every
    ``n_samples // SPREAD_SAMPLE``-th row: well scaled data then costs no pass over X.
    """
    if sp.issparse(X):
        return None
    weights = c * P * (1.0 - P)
    stride = max(X.shape[0] // SPREAD_SAMPLE, 1)
    for rows in ([slice(None, None, stride)] if stride > 1 else []) + [slice(None)]:
        curvature = _column_curvatures(X[rows], weights[:, rows], fit_intercept)
        low, high = np.quantile(curvature, [0.1, 0.9])
        if not high > JACOBI_SPREAD * low:
            return None
    return 1.0 / (curvature + l2_strength)


def _intercept_response(P, D, c, multinomial):
    """The intercepts' change that keeps them optimal, to first order, when the predictions
    change by ``D`` (``-H_bb^+ H_bz D``, ``H`` the datafit's Hessian at ``P``).

    With it added, ``D`` has no component along the intercepts in the Hessian's metric:
    the line search then follows the profiled objective, whatever the features' offsets
    (on uncentered features, a step on the weights alone shifts every prediction).
    """
    if not multinomial:
        weights = c * P[0] * (1.0 - P[0])
        total = weights.sum()
        return np.array([-(weights @ D[0]) / total if total > 0.0 else 0.0])
    PD = P * D
    cross = (PD - P * PD.sum(axis=0)) @ c
    intercepts = np.diag(P @ c) - (P * c) @ P.T
    return -np.linalg.pinv(intercepts, hermitian=True) @ cross


def _curvature_along(P, D, c, multinomial):
    """Second derivative of the datafit along prediction changes ``D``."""
    if not multinomial:
        return float(c @ (P[0] * (1.0 - P[0]) * D[0] ** 2))
    PD = P * D
    return float(c @ ((PD * D).sum(axis=0) - PD.sum(axis=0) ** 2))


class _Memory:
    """The last :data:`HISTORY` pairs ``(s, y)`` of steps and gradient changes, as the rows
    of two ring buffers (with ``1 / y^T s``), for :func:`_two_loop`."""

    def __init__(self, size):
        self.steps = np.empty((HISTORY, size))
        self.changes = np.empty((HISTORY, size))
        self.rhos = np.empty(HISTORY)
        self.n_pairs = 0
        self.newest = -1

    def append(self, step, change, change_dot_step):
        self.newest = (self.newest + 1) % HISTORY
        self.steps[self.newest] = step
        self.changes[self.newest] = change
        self.rhos[self.newest] = 1.0 / change_dot_step
        self.n_pairs = min(self.n_pairs + 1, HISTORY)

    def clear(self):
        self.n_pairs = 0


@jit(fastmath=REASSOCIATE)
def _gradient_and_change(G, w, l2_strength, gradient, step, change):
    """The gradient ``g = G + l2 w`` at the new point (returned), and, when the previous
    ``gradient`` is given (not empty), its change ``y = g - gradient`` written to ``change``,
    with ``y.s`` for the last ``step`` and ``y.y``; and ``g.g``. One pass: as NumPy
    expressions these took a tenth of an iteration on sparse text (60346 features)."""
    new = np.empty(w.shape[0])
    paired = gradient.shape[0] > 0
    change_dot_step = change_dot_change = gradient_sq = 0.0
    for j in range(w.shape[0]):
        g = G[j] + l2_strength * w[j]
        new[j] = g
        gradient_sq += g * g
        if paired:
            y = g - gradient[j]
            change[j] = y
            change_dot_step += y * step[j]
            change_dot_change += y * y
    return new, change_dot_step, change_dot_change, gradient_sq


@jit
def _advance(w, direction, t, step, Z, D):
    """``step = t direction``, ``w += step`` and ``Z += t D``, in place."""
    for j in range(w.shape[0]):
        step[j] = t * direction[j]
        w[j] += step[j]
    for k in range(Z.shape[0]):
        for i in range(Z.shape[1]):
            Z[k, i] += t * D[k, i]


@jit(fastmath=REASSOCIATE)
def _two_loop(gradient, steps, changes, rhos, n_pairs, newest, scaling):
    """``-H g``: the L-BFGS direction from the ``n_pairs`` pairs of the ring buffers, the
    newest in row ``newest``.

    The initial inverse Hessian is ``gamma I`` (``gamma = s^T y / y^T y``), or
    ``gamma diag(scaling)`` (``gamma = s^T y / y^T diag(scaling) y``, and 1 before any
    pair) when a Jacobi scaling is given (an empty ``scaling`` for none). Compiled: the
    same loops in NumPy cost 2 ms an iteration on news20 (60346 features).
    """
    history, size = steps.shape
    q = gradient.copy()
    coefficients = np.empty(n_pairs)
    for k in range(n_pairs):  # newest first
        row = (newest - k + history) % history
        a = 0.0
        for j in range(size):
            a += steps[row, j] * q[j]
        a *= rhos[row]
        for j in range(size):
            q[j] -= a * changes[row, j]
        coefficients[k] = a
    scaled = scaling.shape[0] > 0
    gamma = 1.0
    if n_pairs > 0:
        y_norm2 = 0.0  # in the metric of the scaling
        for j in range(size):
            y_j = changes[newest, j]
            y_norm2 += y_j * y_j * scaling[j] if scaled else y_j * y_j
        gamma = 1.0 / (rhos[newest] * y_norm2)
    if scaled:
        for j in range(size):
            q[j] *= gamma * scaling[j]
    else:
        for j in range(size):
            q[j] *= gamma
    for k in range(n_pairs - 1, -1, -1):  # oldest first
        row = (newest - k + history) % history
        y_dot_q = 0.0
        for j in range(size):
            y_dot_q += changes[row, j] * q[j]
        factor = coefficients[k] - rhos[row] * y_dot_q
        for j in range(size):
            q[j] += factor * steps[row, j]
    return -q


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
    w = W.astype(np.float64).ravel()
    operands = product_operands(X)
    if w.any():
        Z = design_predictions(operands, w.reshape(n_blocks, n_features)) + b[:, None]
    else:  # a cold start: the same predictions without a product
        Z = np.repeat(b[:, None].astype(np.float64), X.shape[0], axis=1)
    P = classification_probabilities(Z, multinomial)  # then from the line searches
    memory = _Memory(w.shape[0])
    gradient, scaling = np.empty(0), None
    step, change = np.empty_like(w), np.empty_like(w)
    n_iter = 0
    while True:
        if fit_intercept:
            optimize_intercepts(Z, b, labels, c, P)
        R = classification_residuals(P, labels, c)
        if not gradient.shape[0]:
            scaling = _jacobi_scaling(X, P, c, l2_strength, fit_intercept)
        G = design_gradient(operands, R)
        paired = gradient.shape[0] > 0
        gradient, change_dot_step, change_dot_change, gradient_sq = _gradient_and_change(
            G.ravel(), w, l2_strength, gradient, step, change)
        # always, up to rounding (strong convexity); and both of the pair's products normal
        # floats: along a direction the data leave flat, at an L2 strength near the
        # smallest float, y^T y underflowed to 0 (the two-loop recursion divided by it) and
        # 1 / y^T s could overflow
        if paired and change_dot_step >= FLOAT_TINY and change_dot_change >= FLOAT_TINY:
            memory.append(step, change, change_dot_step)
        # with optimal intercepts, the gap of the dual point -R is exactly ||g||^2 / (2 l2):
        # the full (per-sample) gap is evaluated only once that says the target is reached
        if gradient_sq <= 2.0 * l2_strength * gap_tol or n_iter >= max_iter:
            W[:] = w.reshape(n_blocks, n_features)
            _, gap = classification_dual_gap(Z, P, labels, c, G, W, 0.0, l2_strength)
            # a zero gradient is the optimum: no direction to take (a gap_tol of 0, from
            # a null objective of 0 when the samples are of one class, is never reached)
            if gap <= gap_tol or n_iter >= max_iter or not gradient.any():
                return gap, n_iter
        n_iter += 1

        direction = _two_loop(gradient, memory.steps, memory.changes, memory.rhos,
                              memory.n_pairs, memory.newest,
                              np.empty(0) if scaling is None else scaling)
        descent = gradient @ direction
        if not descent < 0.0:  # a stale memory: restart from the steepest descent
            memory.clear()
            direction = -gradient
            descent = -(gradient @ gradient)
        if not memory.n_pairs:
            # to a largest entry of one before the products: the gradient has the units of
            # X and D those of X^2, whose squares in the step's curvature overflow on
            # features of size 1e80 (underflow to a zero curvature at 1e-100)
            largest = np.abs(direction).max()
            direction /= largest
            descent /= largest
        D = design_predictions(operands, direction.reshape(n_blocks, n_features))
        intercept_shift = np.zeros(n_blocks)
        if fit_intercept:  # along the profiled objective (descent unchanged: g_b = 0)
            intercept_shift = _intercept_response(P, D, c, multinomial)
            D += intercept_shift[:, None]
        if not memory.n_pairs:  # no curvature pair yet: minimize the quadratic model along it
            scale = -descent / (_curvature_along(P, D, c, multinomial)
                                + l2_strength * (direction @ direction))
            direction *= scale
            intercept_shift *= scale
            D *= scale
            descent *= scale
        t, P_next = l2_backtracking(Z, P, D, labels, c, w, direction, l2_strength, descent)
        if t is None:  # no decrease left to find at this precision
            W[:] = w.reshape(n_blocks, n_features)
            return classification_dual_gap(Z, P, labels, c, G, W, 0.0, l2_strength)[1], n_iter
        _advance(w, direction, t, step, Z, D)
        b += t * intercept_shift
        P = P_next
