"""Proximal Newton with working sets for penalized logistic and multinomial regression.

Solves (``../shared/CONVENTIONS.md``, ``c_i = s_i / S``)

    min_{W, b}  sum_i c_i loss(W x_i + b, y_i) + l1 ||W||_1 + l2 / 2 ||W||^2

with ``W`` of shape (n_blocks, n_features): one block (binary logistic) or one per class
(multinomial softmax). Outer iterations make the intercepts optimal for the current ``W``
(so that the dual point of :func:`~sklreg._datafits.classification_dual_gap` is feasible),
compute the certified duality gap, and grow a working set of features from the nonzero
weights and the largest subdifferential distances. Inner iterations take proximal Newton
steps restricted to the working set: for each block in turn, the datafit is replaced by its
second-order model in that block (Hessian ``diag(c_i p_ik (1 - p_ik))`` in the predictions,
exact for two classes, the block-diagonal part of the softmax Hessian otherwise), the model
plus penalty is minimized by coordinate descent, and a backtracking line search on the true
objective sets the step.
"""

import numpy as np

from .._datafits import (
    classification_dual_gap,
    classification_loss,
    classification_probabilities,
    classification_residuals,
)
from .._jit import jit
from .._penalties import prox_enet, subdiff_distance_enet
from ._columns import (
    REASSOCIATE,
    column_axpy,
    column_dot,
    column_weighted_axpy,
    column_weighted_sq_norm,
)

WS_START = 10  # first working-set size
INNER_TOL_RATIO = 0.3  # working-set solves stop at this fraction of the outer violation
MAX_CD_EPOCHS = 20  # coordinate-descent passes on each quadratic model
CD_TOL_RATIO = 0.3  # ... stopped at this fraction of the working-set violation
MAX_BACKTRACK = 30
ARMIJO = 1e-4
ROUNDING = 1e-15  # relative size of the rounding errors of the objective
MAX_INTERCEPT_NEWTON = 200
MAX_INTERCEPT_STEP = 1.0  # damping: the curvature changes by at most e per unit of b


@jit(fastmath=REASSOCIATE)
def linear_predictions(X, X_data, X_indices, X_indptr, is_sparse, W, b, n_samples):
    """``Z = W X^T + b`` of shape (n_blocks, n_samples), in float64."""
    n_blocks, n_features = W.shape
    Z = np.empty((n_blocks, n_samples))
    for k in range(n_blocks):
        Z[k, :] = b[k]
        for j in range(n_features):
            if W[k, j] != 0.0:
                column_axpy(j, W[k, j], X, X_data, X_indices, X_indptr, is_sparse, Z[k])
    return Z


@jit(fastmath=REASSOCIATE)
def datafit_gradient(X, X_data, X_indices, X_indptr, is_sparse, R, G, features):
    """Fill ``G[:, features]`` with ``R X[:, features]``."""
    for j in features:
        for k in range(R.shape[0]):
            G[k, j] = column_dot(j, X, X_data, X_indices, X_indptr, is_sparse, R[k])


@jit
def optimize_intercepts(Z, b, labels, c):
    """Make the intercepts ``b`` optimal for fixed weights (damped Newton); updates ``Z``, ``b``.

    Runs until the Newton step is at the level of rounding errors, so that the datafit
    derivatives sum to zero in every block (the dual constraint of the intercepts).
    """
    n_blocks, n_samples = Z.shape
    multinomial = n_blocks > 1
    for _ in range(MAX_INTERCEPT_NEWTON):
        P = classification_probabilities(Z, multinomial)
        R = classification_residuals(P, labels, c)
        grad = R.sum(axis=1)
        hess = np.zeros((n_blocks, n_blocks))
        for i in range(n_samples):
            for k in range(n_blocks):
                hess[k, k] += c[i] * P[k, i]
                if multinomial:
                    for m in range(n_blocks):
                        hess[k, m] -= c[i] * P[k, i] * P[m, i]
                else:
                    hess[k, k] -= c[i] * P[k, i] * P[k, i]
        if multinomial:
            # the softmax is invariant along ones: solve on its orthogonal complement
            hess += np.trace(hess) / n_blocks**2 * np.ones((n_blocks, n_blocks))
            grad -= grad.mean()
        if not np.all(np.isfinite(hess)) or np.trace(hess) <= 0.0:
            return
        try:
            step = -np.linalg.solve(hess, grad)
        except Exception:  # noqa: BLE001 - singular curvature (e.g. one class left)
            return
        if multinomial:
            step -= step.mean()
        largest = np.max(np.abs(step))
        if not np.isfinite(largest):
            return
        if largest > MAX_INTERCEPT_STEP:
            step *= MAX_INTERCEPT_STEP / largest
        for k in range(n_blocks):
            b[k] += step[k]
            Z[k] += step[k]
        if largest <= 1e-15 * max(1.0, np.max(np.abs(b))):
            return


@jit
def _block_trial_loss(Z, k, z_k, labels, c):
    """Datafit with block ``k`` of the predictions replaced by ``z_k``."""
    saved = Z[k].copy()
    Z[k] = z_k
    value = classification_loss(Z, labels, c, Z.shape[0] > 1)
    Z[k] = saved
    return value


@jit(fastmath=REASSOCIATE)
def _block_newton_step(X, X_data, X_indices, X_indptr, is_sparse, Z, W, b, labels, c, k,
                       working_set, fit_intercept, l1_strength, l2_strength, cd_tol):
    """One proximal Newton step on block ``k``, restricted to ``working_set`` (and ``b[k]``).

    Returns the decrease of the quadratic model (an estimate of the objective decrease).
    """
    n_blocks, n_samples = Z.shape
    multinomial = n_blocks > 1
    P = classification_probabilities(Z, multinomial)
    r = np.empty(n_samples)
    d = np.empty(n_samples)
    for i in range(n_samples):
        target = labels[i] == (k if multinomial else 1)
        r[i] = c[i] * (P[k, i] - (1.0 if target else 0.0))
        d[i] = c[i] * P[k, i] * (1.0 - P[k, i])
    n_ws = working_set.shape[0]
    hess_diag = np.empty(n_ws)
    for m in range(n_ws):
        hess_diag[m] = column_weighted_sq_norm(working_set[m], X, X_data, X_indices, X_indptr,
                                               is_sparse, d)
    hess_b = d.sum()

    # coordinate descent on  r.(X delta) + 1/2 sum_i d_i (X delta)_i^2 + penalty(w + delta)
    v = r.copy()  # derivative of the model in the predictions: r + d * (X delta)
    delta = np.zeros(n_ws)
    delta_b = 0.0
    for _ in range(MAX_CD_EPOCHS):
        violation = 0.0
        for m in range(n_ws):
            if hess_diag[m] == 0.0:
                continue
            j = working_set[m]
            w_old = W[k, j] + delta[m]
            grad_j = column_dot(j, X, X_data, X_indices, X_indptr, is_sparse, v)
            violation = max(violation, subdiff_distance_enet(w_old, grad_j, l1_strength,
                                                             l2_strength, False))
            step = 1.0 / hess_diag[m]
            w_new = prox_enet(w_old - step * grad_j, step, l1_strength, l2_strength, False)
            if w_new != w_old:
                delta[m] += w_new - w_old
                column_weighted_axpy(j, w_new - w_old, X, X_data, X_indices, X_indptr,
                                     is_sparse, d, v)
        if fit_intercept and hess_b > 0.0:
            grad_b = v.sum()
            violation = max(violation, abs(grad_b))
            shift = -grad_b / hess_b
            delta_b += shift
            v += shift * d
        if violation <= cd_tol:
            break

    X_delta = np.full(n_samples, delta_b)
    penalty_old = 0.0
    penalty_new = 0.0
    for m in range(n_ws):
        j = working_set[m]
        if delta[m] != 0.0:
            column_axpy(j, delta[m], X, X_data, X_indices, X_indptr, is_sparse, X_delta)
        w_old = W[k, j]
        w_new = w_old + delta[m]
        penalty_old += l1_strength * abs(w_old) + 0.5 * l2_strength * w_old * w_old
        penalty_new += l1_strength * abs(w_new) + 0.5 * l2_strength * w_new * w_new
    linear = 0.0
    quadratic = 0.0
    for i in range(n_samples):
        linear += r[i] * X_delta[i]
        quadratic += d[i] * X_delta[i] * X_delta[i]
    model_decrease = -(linear + 0.5 * quadratic + penalty_new - penalty_old)
    descent = linear + penalty_new - penalty_old  # directional derivative bound (< 0)

    loss_old = classification_loss(Z, labels, c, multinomial)
    objective_old = loss_old + penalty_old
    # near the optimum the decrease falls below rounding: the full step is then taken
    rounding = ROUNDING * abs(objective_old)
    t = 1.0
    for _ in range(MAX_BACKTRACK):
        loss_new = _block_trial_loss(Z, k, Z[k] + t * X_delta, labels, c)
        penalty_t = 0.0
        for m in range(n_ws):
            w_t = W[k, working_set[m]] + t * delta[m]
            penalty_t += l1_strength * abs(w_t) + 0.5 * l2_strength * w_t * w_t
        objective_new = loss_new + penalty_t
        if (objective_new <= objective_old + ARMIJO * t * descent
                or (t == 1.0 and objective_new <= objective_old + rounding)):
            for m in range(n_ws):
                W[k, working_set[m]] += t * delta[m]
            b[k] += t * delta_b
            Z[k] += t * X_delta
            return max(model_decrease, 0.0)
        if not descent < 0.0:
            break
        t *= 0.5
    return 0.0


@jit(fastmath=REASSOCIATE)
def prox_newton(X, X_data, X_indices, X_indptr, is_sparse, labels, c, W, b, fit_intercept,
                l1_strength, l2_strength, max_iter, gap_tol):
    """Proximal Newton with working sets and a certified duality-gap stop.

    Parameters
    ----------
    X, X_data, X_indices, X_indptr, is_sparse :
        The design as :func:`sklreg.linear._design.kernel_arrays` gives it (Fortran-ordered
        dense or CSC parts).
    labels : ndarray of shape (n_samples,), int
        Class indices (0 / 1 for the binary problem).
    c : ndarray of shape (n_samples,)
        Sample weights divided by their sum.
    W : ndarray of shape (n_blocks, n_features), float64
        Initial weights, updated in place (one block: binary logistic; one per class:
        multinomial).
    b : ndarray of shape (n_blocks,), float64
        Initial intercepts, updated in place (left at their value when not fitted).
    fit_intercept : bool
        Whether to fit the intercepts.
    l1_strength, l2_strength : float
        ``alpha * l1_ratio`` and ``alpha * (1 - l1_ratio)``.
    max_iter : int
        Maximum number of proximal Newton iterations (one step per block each).
    gap_tol : float
        Absolute duality gap at which to stop. Without penalty there is no feasible dual
        point: the decrease the quadratic model predicts for the last full Newton step is
        used instead.

    Returns
    -------
    gap : float
        Final duality gap (the last Newton decrease without penalty).
    n_iter : int
        Number of proximal Newton iterations run.
    """
    n_blocks, n_features = W.shape
    n_samples = c.shape[0]
    multinomial = n_blocks > 1
    penalized = l1_strength > 0.0 or l2_strength > 0.0
    Z = linear_predictions(X, X_data, X_indices, X_indptr, is_sparse, W, b, n_samples)
    G = np.zeros((n_blocks, n_features))
    scores = np.empty(n_features)
    all_features = np.arange(n_features)
    ws_size = min(WS_START, n_features) if l1_strength > 0.0 else n_features
    newton_decrease = np.inf
    n_iter = 0
    while True:
        if fit_intercept:
            optimize_intercepts(Z, b, labels, c)
        R = classification_residuals(classification_probabilities(Z, multinomial), labels, c)
        datafit_gradient(X, X_data, X_indices, X_indptr, is_sparse, R, G, all_features)
        _, gap = classification_dual_gap(Z, labels, c, G, W, l1_strength, l2_strength)
        if not penalized:
            gap = newton_decrease
        if gap <= gap_tol or n_iter >= max_iter:
            break

        n_nonzero = 0
        max_violation = 0.0
        for j in range(n_features):
            violation = 0.0
            nonzero = False
            for k in range(n_blocks):
                nonzero = nonzero or W[k, j] != 0.0
                violation = max(violation, subdiff_distance_enet(W[k, j], G[k, j], l1_strength,
                                                                 l2_strength, False))
            max_violation = max(max_violation, violation)
            if nonzero:
                n_nonzero += 1
                scores[j] = np.inf
            else:
                scores[j] = violation
        ws_size = min(max(ws_size, 2 * n_nonzero), n_features)
        if ws_size == n_features:
            working_set = all_features
        else:
            working_set = np.sort(np.argsort(-scores)[:ws_size])
        inner_tol = INNER_TOL_RATIO * max_violation

        while n_iter < max_iter:
            newton_decrease = 0.0
            for k in range(n_blocks):
                newton_decrease += _block_newton_step(
                    X, X_data, X_indices, X_indptr, is_sparse, Z, W, b, labels, c, k,
                    working_set, fit_intercept, l1_strength, l2_strength,
                    CD_TOL_RATIO * inner_tol,
                )
            n_iter += 1
            if ws_size == n_features or newton_decrease == 0.0:
                break  # the outer loop computes the full gradient anyway
            R = classification_residuals(classification_probabilities(Z, multinomial), labels,
                                         c)
            datafit_gradient(X, X_data, X_indices, X_indptr, is_sparse, R, G, working_set)
            violation = 0.0
            for j in working_set:
                for k in range(n_blocks):
                    violation = max(violation, subdiff_distance_enet(
                        W[k, j], G[k, j], l1_strength, l2_strength, False))
            if violation <= inner_tol:
                break
    return gap, n_iter
