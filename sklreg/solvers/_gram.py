"""Coordinate descent on the Gram matrix, for designs with many more samples than features.

With ``G = X^T X``, ``b = X^T y`` and ``q = b - G w = X^T r`` maintained, a coordinate
update costs ``O(n_features)`` instead of ``O(n_samples)``, and the duality gap comes from
the three summaries of :func:`~sklreg._datafits.quadratic_dual_gap` at ``O(n_features)``:

    ||r||^2 = ||y||^2 - w.b - w.q,    r.y = ||y||^2 - w.b.

That subtraction loses relative accuracy when ``||r||^2 << ||y||^2``, so the gap found here
only decides when to stop; the caller certifies the result with a bound on the rounding
(:func:`~sklreg.linear._least_squares.gram_certified_gap`) or on the design itself.
"""

import numpy as np

from .._datafits import quadratic_dual_gap
from .._jit import jit
from .._penalties import prox_enet
from ._cd import ANDERSON_DEPTH, SHUFFLE_AFTER_EPOCHS, anderson_extrapolation
from ._columns import REASSOCIATE

REFRESH_EPOCHS = 10  # recompute q = b - G w from scratch this often (rounding drift)


@jit(fastmath=REASSOCIATE)
def _refresh_gradient(G, b, w, q):
    """``q = b - G w`` from scratch (``G`` symmetric: rows are columns)."""
    for j in range(w.shape[0]):
        total = 0.0
        for k in range(w.shape[0]):
            if w[k] != 0.0:
                total += G[j, k] * w[k]
        q[j] = b[j] - total


@jit(fastmath=REASSOCIATE)
def _gram_objective(w, b, q, y_norm2, l1_strength, l2_strength):
    """``1/2 ||y - X w||^2 + l1 ||w||_1 + l2 / 2 ||w||^2`` from the Gram summaries."""
    value = 0.5 * (y_norm2 - w @ b - w @ q)
    for j in range(w.shape[0]):
        value += l1_strength * abs(w[j]) + 0.5 * l2_strength * w[j] * w[j]
    return value


@jit(fastmath=REASSOCIATE)
def enet_gram_coordinate_descent(G, b, y_norm2, w, l1_strength, l2_strength, positive, max_iter,
                                 gap_tol, random_selection, seed):
    """Elastic-net coordinate descent on ``G = X^T X`` with Anderson acceleration.

    Parameters
    ----------
    G : ndarray of shape (n_features, n_features), C order
        Gram matrix of the (centered, row-weighted) design.
    b : ndarray of shape (n_features,)
        ``X^T y``.
    y_norm2 : float
        ``||y||^2``.
    w : ndarray of shape (n_features,), float64
        Initial weights, updated in place.
    l1_strength, l2_strength : float
        Penalty strengths, on the scale of the datafit.
    positive : bool
        Constrain the weights to be non-negative.
    max_iter : int
        Maximum number of epochs.
    gap_tol : float
        Absolute duality gap at which to stop.
    random_selection : bool
        Draw coordinates uniformly at random instead of cycling (which turns to a new
        random permutation per epoch after ``SHUFFLE_AFTER_EPOCHS`` epochs, seeded: see
        :func:`~sklreg.solvers._cd.enet_coordinate_descent`).
    seed : int
        Seed of the coordinate draws.

    Returns
    -------
    gap : float
        Duality gap from the Gram summaries (to be certified on the design).
    n_iter : int
        Number of epochs run.
    """
    n_features = w.shape[0]
    if random_selection:
        np.random.seed(seed)  # noqa: NPY002 (Numba's per-thread generator)
    q = np.empty(n_features)
    _refresh_gradient(G, b, w, q)
    exact = True  # q recomputed since the last update
    history = np.empty((ANDERSON_DEPTH + 1, n_features))
    n_history = 0
    visits = np.arange(n_features)
    gap = np.inf
    n_iter = 0
    while True:
        w_dot_b = w @ b
        r_norm2 = max(y_norm2 - w_dot_b - w @ q, 0.0)
        _, gap, _, _ = quadratic_dual_gap(q, r_norm2, y_norm2 - w_dot_b, w, l1_strength,
                                          l2_strength, positive)
        if gap <= gap_tol and not exact:
            _refresh_gradient(G, b, w, q)  # decide on an exact q, not a drifted one
            exact = True
            continue
        if gap <= gap_tol or n_iter >= max_iter:
            break

        if n_iter >= SHUFFLE_AFTER_EPOCHS and not random_selection:
            if n_iter == SHUFFLE_AFTER_EPOCHS:
                np.random.seed(0)  # noqa: NPY002
            np.random.shuffle(visits)  # noqa: NPY002
        for k in range(n_features):
            if random_selection:
                j = np.random.randint(0, n_features)  # noqa: NPY002
            else:
                j = visits[k]
            if G[j, j] == 0.0:
                continue
            step = 1.0 / G[j, j]
            new_w_j = prox_enet(w[j] + step * q[j], step, l1_strength, l2_strength, positive)
            if new_w_j != w[j]:
                delta = new_w_j - w[j]
                for i in range(n_features):
                    q[i] -= delta * G[j, i]
                w[j] = new_w_j
                exact = False
        n_iter += 1
        if n_iter % REFRESH_EPOCHS == 0:
            _refresh_gradient(G, b, w, q)
            exact = True

        history[n_history] = w
        n_history += 1
        if n_history == ANDERSON_DEPTH + 1:
            n_history = 0
            extrapolated = anderson_extrapolation(history, positive)
            if extrapolated.shape[0] == 0:
                continue
            q_extrapolated = np.empty(n_features)
            _refresh_gradient(G, b, extrapolated, q_extrapolated)
            if _gram_objective(extrapolated, b, q_extrapolated, y_norm2, l1_strength,
                               l2_strength) < _gram_objective(w, b, q, y_norm2, l1_strength,
                                                              l2_strength):
                w[:] = extrapolated
                q[:] = q_extrapolated
                exact = True
    return gap, n_iter
