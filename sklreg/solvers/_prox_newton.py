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
objective sets the step. Where the model is flat (more active features than the rank of
their columns), coordinate descent alone crawls along the flat directions at a constant
rate: after every epoch, and once more for the whole step, the model is minimized exactly
along the displacement just made (see :func:`_extrapolate_epoch`). Correlated columns slow
it down too: every ``ANDERSON_DEPTH`` epochs its iterates are extrapolated (see
:func:`_anderson_model_step`). Near-duplicate columns make the model flat along their
differences, with its minimizer at a kink, and weak penalties leave multinomial models
ill-conditioned: once the signs of the weights hold over an epoch (and the work pays, as in
the regression descent), the model is minimized on their support by Newton steps (see
:func:`_model_support_newton`).
"""

import numpy as np

from .._datafits import (
    _sigmoid,
    classification_dual_gap,
    classification_loss,
    classification_loss_change,
    classification_probabilities,
    classification_residuals,
)
from .._jit import copy_matrix, copy_vector, jit
from .._penalties import prox_enet, subdiff_distance_enet
from ._cd import (
    ANDERSON_DEPTH,
    SHUFFLE_MIN_SAMPLES_PER_FEATURE,
    anderson_extrapolation,
    column_entries,
    heap_argsort,
    largest_scores,
    newton_step_pays,
    orthant_newton_point,
    settled_support,
)
from ._columns import REASSOCIATE, csc_layout_of_csr, dense_columns, gather_columns
from ._small_linalg import cholesky_solve, solve_lower, solve_small

WS_START = 10  # first working-set size
INNER_TOL_RATIO = 0.3  # working-set solves stop at this fraction of the outer violation
MAX_CD_EPOCHS = 100  # coordinate-descent passes on each quadratic model
CD_TOL_RATIO = 0.3  # ... stopped at this fraction of the working-set violation
# ... and that fraction shrinks by this factor after every model that one epoch solved: on
# correlated features (pairwise 0.8), small violations coexist with a large gap (their sum
# weighted by |w|), and one-epoch steps then crawled (gap 5e-2 after 1000 steps; LIBLINEAR's
# newGLMNET tightens its inner tolerance the same way)
CD_TOL_SHRINK = 0.25
# After a model on which coordinate descent used all MAX_CD_EPOCHS, on a working set with at
# least SHUFFLE_MIN_SAMPLES_PER_FEATURE samples per feature, the coordinates are visited in a
# fresh random order every epoch (as LIBLINEAR does): the cyclic order crawls on correlated
# columns (1000 x 300, pairwise 0.8: 541 -> 62 ms), while on working sets near n_samples
# (flat directions: arcene) the extrapolation along a cyclic epoch's displacement is what
# converges, and a random order took up to 16x longer there.
SLOW_WINDOW_DECREASE = 0.1  # Anderson when a window of epochs cut the violation less
MAX_BACKTRACK = 30
ARMIJO = 1e-4
ROUNDING = 1e-15  # relative size of the rounding errors of the objective
# after a rejected Newton step, a step changes a prediction by at most TRUST_MAX /
# TRUST_FACTOR through each weight and intercept, that divided by TRUST_FACTOR at each
# further rejection and multiplied (up to TRUST_MAX) at each acceptance
TRUST_MAX = 100.0
TRUST_FACTOR = 10.0
MAX_INTERCEPT_NEWTON = 200
CONVERGED_INTERCEPT_STEP = 1e-8  # the error after such a step is below rounding
MAX_INTERCEPT_STEP = 1.0  # damping: the curvature changes by at most e per unit of b
# the intercepts' Newton takes 1 - p of the binary probabilities below this from the logit:
# as a difference it keeps no digit once p rounds to 1 (logits above 37), and on separable
# data with every margin that large, the negatives alone then pulled the intercept down by
# the full damped step at every iteration (training objective 47 instead of 4e-15)
SMALL_COMPLEMENT = 1e-8
# with a penalty, coordinate descent on the quadratic model gives each weight at least this
# fraction of sum_i c_i x_ij^2 as its curvature: where every sample of a column has a
# probability rounded to 1 the model's curvature there is exactly zero, and that weight was
# skipped for good, however hard the penalty pulled it (news20 subsets of 300-1000 documents,
# 20 classes: gaps stuck near 0.3 of the null objective). With the floor, a weight the
# penalty pulls goes to zero (the flat model's minimizer), and the line search takes it
CURVATURE_FLOOR = 1e-12
INTERCEPT_UNITS_SLACK = 1e4  # see _newton_step


@jit(fastmath=REASSOCIATE)
def linear_predictions(X, X_data, X_indices, X_indptr, is_sparse, W, b, n_samples):
    """``Z = W X^T + b`` of shape (n_blocks, n_samples), in float64."""
    n_blocks, n_features = W.shape
    Z = np.empty((n_blocks, n_samples))
    for k in range(n_blocks):
        Z[k, :] = b[k]
        for j in range(n_features):
            w = W[k, j]
            if w == 0.0:
                continue
            if is_sparse:
                for s in range(X_indptr[j], X_indptr[j + 1]):
                    Z[k, X_indices[s]] += w * X_data[s]
            else:
                for i in range(n_samples):
                    Z[k, i] += w * X[i, j]
    return Z


@jit(fastmath=REASSOCIATE)
def datafit_gradient(X, X_data, X_indices, X_indptr, is_sparse, R, G, features):
    """Fill ``G[:, features]`` with ``R X[:, features]``."""
    n_blocks, n_samples = R.shape
    for j in features:
        for k in range(n_blocks):
            total = 0.0
            if is_sparse:
                for s in range(X_indptr[j], X_indptr[j + 1]):
                    total += X_data[s] * R[k, X_indices[s]]
            else:
                for i in range(n_samples):
                    total += X[i, j] * R[k, i]
            G[k, j] = total


@jit(fastmath=REASSOCIATE)
def row_predictions(data, indices, indptr, W, b):
    """``Z = W X^T + b`` of shape (n_blocks, n_samples) for the CSR matrix ``X``.

    With several blocks, the products run on the transposes, whose blocks are contiguous
    for each feature and sample: one pass over ``X`` instead of one per block (2.5x faster
    for twenty classes on news20).
    """
    n_blocks = W.shape[0]
    n_samples = indptr.shape[0] - 1
    if n_blocks == 1:
        Z = np.empty((1, n_samples))
        for i in range(n_samples):
            total = b[0]
            for s in range(indptr[i], indptr[i + 1]):
                total += data[s] * W[0, indices[s]]
            Z[0, i] = total
        return Z
    W_t = np.ascontiguousarray(W.T)
    Z_t = np.empty((n_samples, n_blocks))
    for i in range(n_samples):
        for k in range(n_blocks):
            Z_t[i, k] = b[k]
        for s in range(indptr[i], indptr[i + 1]):
            j = indices[s]
            for k in range(n_blocks):
                Z_t[i, k] += data[s] * W_t[j, k]
    return np.ascontiguousarray(Z_t.T)


@jit
def row_gradient(data, indices, indptr, R, G):
    """Fill ``G`` with ``R X`` for the CSR matrix ``X`` (on the transposes for several
    blocks, as :func:`row_predictions`)."""
    n_blocks, n_samples = R.shape
    if n_blocks == 1:
        G[:] = 0.0
        for i in range(n_samples):
            r = R[0, i]
            if r != 0.0:
                for s in range(indptr[i], indptr[i + 1]):
                    G[0, indices[s]] += r * data[s]
        return
    R_t = np.ascontiguousarray(R.T)
    G_t = np.zeros((G.shape[1], n_blocks))
    for i in range(n_samples):
        for s in range(indptr[i], indptr[i + 1]):
            j = indices[s]
            for k in range(n_blocks):
                G_t[j, k] += data[s] * R_t[i, k]
    for k in range(n_blocks):
        for j in range(G.shape[1]):
            G[k, j] = G_t[j, k]


@jit
def optimize_intercepts(Z, b, labels, c, P):
    """Make the intercepts ``b`` optimal for fixed weights (damped Newton); updates ``Z``, ``b``
    and ``P`` in place.

    Runs until the Newton step is at the level of rounding errors, so that the datafit
    derivatives sum to zero in every block (the dual constraint of the intercepts). ``P``
    holds the probabilities at ``Z`` (:func:`~sklreg._datafits.classification_probabilities`)
    on input, and at the final ``Z`` on output. A step ``s`` shifts every sample's
    predictions alike, so it moves the probabilities without an ``exp`` per sample:
    ``p_k exp(s_k) / sum_m p_m exp(s_m)``.
    """
    n_blocks, n_samples = Z.shape
    multinomial = n_blocks > 1
    growth = np.zeros(n_blocks)  # exp(s) - 1 of the last step s, not yet applied to P
    grad = np.zeros(n_blocks)
    hess = np.zeros((n_blocks, n_blocks))
    # c_i P_ki, for the Hessian's sum of outer products as one matrix product (a loop
    # over the K^2 pairs per sample took a third of multinomial L-BFGS fits, 10 classes)
    weighted = np.empty((n_blocks, n_samples) if multinomial else (0, 0))
    for _ in range(MAX_INTERCEPT_NEWTON):
        grad[:] = 0.0
        hess[:] = 0.0
        if not multinomial:  # one pass over the samples a step, without temporaries
            for i in range(n_samples):
                _shift_probabilities(P, i, growth, multinomial)
                p = P[0, i]
                # 1 - p from the logit where its subtraction would lose the digits that
                # balance the confident positives against the negatives
                q = 1.0 - p if p < 1.0 - SMALL_COMPLEMENT else _sigmoid(-Z[0, i])
                grad[0] += c[i] * (-q if labels[i] == 1 else p)
                hess[0, 0] += c[i] * p * q
        else:
            for i in range(n_samples):
                _shift_probabilities(P, i, growth, multinomial)
                for k in range(n_blocks):
                    weighted[k, i] = c[i] * P[k, i]
                    grad[k] += weighted[k, i]
            products = np.dot(weighted, P.T)
            for k in range(n_blocks):
                for m in range(n_blocks):
                    hess[k, m] = -products[k, m]
                hess[k, k] += grad[k]
            for i in range(n_samples):
                grad[labels[i]] -= c[i]
        step, done = intercept_newton_step(grad, hess, b)
        growth[:] = 0.0
        for k in range(step.shape[0]):
            for i in range(n_samples):
                Z[k, i] += step[k]
            growth[k] = np.expm1(step[k])
        if done:
            break
    if np.any(growth != 0.0):  # the last step
        for i in range(n_samples):
            _shift_probabilities(P, i, growth, multinomial)


@jit(inline="always")
def _shift_probabilities(P, i, growth, multinomial):
    """Sample ``i``'s probabilities after a shift ``s`` of its predictions, from
    ``growth = exp(s) - 1``: ``p_k exp(s_k) / sum_m p_m exp(s_m)`` (one block:
    ``p e^s / (1 - p + p e^s)``)."""
    if not multinomial:
        P[0, i] *= (1.0 + growth[0]) / (1.0 + P[0, i] * growth[0])
        return
    normalizer = 0.0
    for k in range(P.shape[0]):
        P[k, i] *= 1.0 + growth[k]
        normalizer += P[k, i]
    for k in range(P.shape[0]):
        P[k, i] /= normalizer


@jit
def intercept_newton_step(grad, hess, b):
    """A damped Newton step on the intercepts from their gradient and Hessian; updates ``b``.

    Shared by :func:`optimize_intercepts` and the CUDA solver (which reduces ``grad`` and
    ``hess`` on the device). ``hess`` is modified. Returns the step taken (empty when the
    curvature is unusable, ``b`` then unchanged) and whether the iterations are done: the
    step is unusable, or at most :data:`CONVERGED_INTERCEPT_STEP` (relative to ``|b|``),
    so that the intercepts' error after it, of the order of its square (the logistic and
    softmax losses' third derivatives are bounded by their second), is at the level of
    rounding. (A test of the step against ``1e-15 |b|`` needed one more pass, and never
    passed on 20000 samples, where the rounding of the gradient's sum is above that.)
    """
    n_blocks = grad.shape[0]
    multinomial = n_blocks > 1
    if multinomial:
        # the softmax is invariant along ones: solve on its orthogonal complement
        hess += np.trace(hess) / n_blocks**2 * np.ones((n_blocks, n_blocks))
        grad = grad - grad.mean()
    if not np.all(np.isfinite(hess)) or np.trace(hess) <= 0.0:
        return np.empty(0), True
    step = -solve_small(hess, grad)
    if step.shape[0] == 0:  # singular curvature (e.g. one class left)
        return step, True
    if multinomial:
        step -= step.mean()
    largest = np.max(np.abs(step))
    if not np.isfinite(largest):
        return np.empty(0), True
    if largest > MAX_INTERCEPT_STEP:
        step *= MAX_INTERCEPT_STEP / largest
    for k in range(n_blocks):
        b[k] += step[k]
    return step, largest <= CONVERGED_INTERCEPT_STEP * max(1.0, np.max(np.abs(b)))


# inlined into its only caller: compiled there once, not compiled alone and then
# optimized again with the caller (see sklreg/_jit.py)
@jit(fastmath=REASSOCIATE, inline="always")
def _newton_step(X, X_data, X_indices, X_indptr, is_sparse, Z, P, W, b, labels, c,
                 working_set, fit_intercept, l1_strength, l2_strength, cd_tol, shuffle,
                 trust_radius=np.inf):
    """One proximal Newton step on the weights of ``working_set`` (and the intercepts).

    The datafit's second-order model in the predictions ``Z`` has the Hessian
    ``c_i (diag(p_i) - p_i p_i^T)`` per sample (``c_i p_i (1 - p_i)`` for one block). With
    ``D = X Delta^T`` (the change of the predictions) and ``u_i = sum_k p_ik D_ki``, the
    model's derivative in ``Z_ki`` is ``R_ki + c_i p_ik (D_ki - u_i)``: coordinate descent
    keeps ``D`` and ``u`` up to date in O(nnz) per coordinate. A backtracking line search on
    the objective then sets the step. Returns the decrease of the quadratic model and the
    number of coordinate-descent epochs run on it. With ``shuffle``, every epoch visits the
    working set in a new random order (Numba's generator), otherwise in its order.

    ``P`` holds the probabilities at ``Z`` (:func:`classification_probabilities`); the
    step updates it with ``Z``, ``W`` and ``b``. A finite ``trust_radius`` bounds the change
    each weight (times its column's largest entry) and intercept can make to a prediction
    (coordinate descent on the model within that box, without the extrapolations): where
    the model's curvature vanishes (saturated probabilities) its minimizer can lie so far
    out that no backtracked step decreases the objective.

    Returns ``(decrease, n_epochs, accepted)``: whether the line search took a step.
    """
    n_blocks, n_samples = Z.shape
    multinomial = n_blocks > 1
    R = classification_residuals(P, labels, c)
    CP = np.empty_like(P)
    hess = np.empty_like(P)  # diagonal of the per-sample Hessians
    for k in range(n_blocks):
        for i in range(n_samples):
            CP[k, i] = c[i] * P[k, i]
            hess[k, i] = CP[k, i] * (1.0 - P[k, i])
    n_ws = working_set.shape[0]
    hess_diag = np.empty((n_blocks, n_ws))
    weight_radius = np.full(n_ws, trust_radius)  # in weights: the radius over max |x_ij|
    for m in range(n_ws):
        j = working_set[m]
        if trust_radius < np.inf:
            largest = 0.0
            if is_sparse:
                for s in range(X_indptr[j], X_indptr[j + 1]):
                    largest = max(largest, abs(X_data[s]))
            else:
                for i in range(n_samples):
                    largest = max(largest, abs(X[i, j]))
            if largest > 0.0:
                weight_radius[m] = trust_radius / largest
        floor = 0.0  # sum_i c_i x_ij^2, summed with the first block's curvature
        for k in range(n_blocks):
            total = 0.0
            if is_sparse:
                for s in range(X_indptr[j], X_indptr[j + 1]):
                    i = X_indices[s]
                    square = X_data[s] * X_data[s]
                    total += hess[k, i] * square
                    if k == 0:
                        floor += c[i] * square
            else:
                for i in range(n_samples):
                    square = X[i, j] * X[i, j]
                    total += hess[k, i] * square
                    if k == 0:
                        floor += c[i] * square
            hess_diag[k, m] = total
        if l1_strength > 0.0 or l2_strength > 0.0:
            for k in range(n_blocks):
                hess_diag[k, m] = max(hess_diag[k, m], CURVATURE_FLOOR * floor)
    hess_b = hess.sum(axis=1)
    # the intercepts' violation towards the units of the weights' (those of X R, against R):
    # the square root of the ratio of their mean curvatures, times INTERCEPT_UNITS_SLACK,
    # capped at 1. Compared raw, it set the stop of coordinate descent alone on features of
    # size 1e-8 (2x the epochs), and never let it stop at 1e-20 (every model ran
    # MAX_CD_EPOCHS: 100 steps unconverged); converted fully, on sets whose column norms
    # differ from sqrt(n_samples) (arcene, dorothea, dna: ratios 0.1 to 100) the models
    # stopped at other points, for 10-20% more Newton steps
    intercept_units = np.ones(n_blocks)
    for k in range(n_blocks):
        total = 0.0
        n_curved = 0
        for m in range(n_ws):
            if hess_diag[k, m] > 0.0:
                total += hess_diag[k, m]
                n_curved += 1
        if n_curved and hess_b[k] > 0.0:
            intercept_units[k] = min(
                1.0, INTERCEPT_UNITS_SLACK * np.sqrt(total / n_curved / hess_b[k]))
    # for one block, u stays zero and the model's curvature is hess itself
    curvature = CP if multinomial else hess

    D = np.zeros((n_blocks, n_samples))
    u = np.zeros(n_samples)
    delta = np.zeros((n_blocks, n_ws))
    delta_b = np.zeros(n_blocks)
    # the previous epoch's end point, for the extrapolation along the epoch's displacement
    D_prev = np.zeros((n_blocks, n_samples))
    u_prev = np.zeros(n_samples)
    delta_prev = np.zeros((n_blocks, n_ws))
    delta_b_prev = np.zeros(n_blocks)
    breakpoints = np.empty(n_blocks * n_ws)
    kink_sizes = np.empty(n_blocks * n_ws)
    history = np.empty((ANDERSON_DEPTH + 1, n_blocks * (n_ws + 1)))  # rows: delta, delta_b
    n_history = 0
    window_violation = np.inf  # the violation when the history's first row was recorded
    order = np.arange(n_ws)
    # Newton steps on the model's support (no trust region): the signs of the weights at
    # the last epoch, descent work since the last step and the violation's rate
    support_newton = l1_strength > 0.0 and trust_radius == np.inf
    signs = np.sign(W[:, working_set]).ravel().astype(np.int8)
    newton_tried = n_ws < 0  # False, not the literal: settled_support compiles once
    epoch_entries = n_blocks * column_entries(is_sparse, X_indptr, n_samples, working_set)
    descent_entries = 0.0
    previous_violation = np.inf
    for epoch in range(MAX_CD_EPOCHS):
        # from the third epoch on (the first one makes the bulk of the step), in O(n_samples)
        if epoch >= 2 and trust_radius == np.inf:
            _extrapolate_epoch(W, working_set, R, curvature, c, D, u, delta, delta_b, D_prev,
                               u_prev, delta_prev, delta_b_prev, l1_strength, l2_strength,
                               multinomial, breakpoints, kink_sizes)
        if epoch >= 1:
            copy_matrix(D_prev, D)
            copy_vector(u_prev, u)
            copy_matrix(delta_prev, delta)
            copy_vector(delta_b_prev, delta_b)
        violation = 0.0
        if shuffle:
            np.random.shuffle(order)  # noqa: NPY002 (Numba's per-thread generator)
        for m in order:
            j = working_set[m]
            for k in range(n_blocks):
                if hess_diag[k, m] == 0.0:
                    continue
                w_old = W[k, j] + delta[k, m]
                # the quadratic model's derivative (see the docstring), without reading the
                # zeros of u for one block (a tenth of a binary solve)
                grad = 0.0
                if is_sparse and multinomial:
                    for s in range(X_indptr[j], X_indptr[j + 1]):
                        i = X_indices[s]
                        grad += X_data[s] * (R[k, i] + curvature[k, i] * (D[k, i] - u[i]))
                elif is_sparse:
                    for s in range(X_indptr[j], X_indptr[j + 1]):
                        i = X_indices[s]
                        grad += X_data[s] * (R[k, i] + curvature[k, i] * D[k, i])
                elif multinomial:
                    for i in range(n_samples):
                        grad += X[i, j] * (R[k, i] + curvature[k, i] * (D[k, i] - u[i]))
                else:
                    for i in range(n_samples):
                        grad += X[i, j] * (R[k, i] + curvature[k, i] * D[k, i])
                violation = max(violation, subdiff_distance_enet(w_old, grad, l1_strength,
                                                                 l2_strength, False))
                step = 1.0 / hess_diag[k, m]
                w_new = prox_enet(w_old - step * grad, step, l1_strength, l2_strength, False)
                w_new = min(max(w_new, W[k, j] - weight_radius[m]),
                            W[k, j] + weight_radius[m])
                if w_new != w_old:
                    change = w_new - w_old
                    delta[k, m] += change
                    if w_new == 0.0:
                        delta[k, m] = -W[k, j]  # exactly zero, for _extrapolate_epoch
                    if is_sparse:
                        for s in range(X_indptr[j], X_indptr[j + 1]):
                            i = X_indices[s]
                            D[k, i] += change * X_data[s]
                            if multinomial:
                                u[i] += change * P[k, i] * X_data[s]
                    else:
                        for i in range(n_samples):
                            D[k, i] += change * X[i, j]
                            if multinomial:
                                u[i] += change * P[k, i] * X[i, j]
        if fit_intercept:
            for k in range(n_blocks):
                if hess_b[k] <= 0.0:
                    continue
                grad = 0.0
                for i in range(n_samples):
                    grad += R[k, i] + curvature[k, i] * (D[k, i] - u[i])
                violation = max(violation, abs(grad) * intercept_units[k])
                change = -grad / hess_b[k]
                change = min(max(change, -trust_radius - delta_b[k]),
                             trust_radius - delta_b[k])
                delta_b[k] += change
                for i in range(n_samples):
                    D[k, i] += change
                if multinomial:
                    u += change * P[k]
        if violation <= cd_tol:
            break
        descent_entries += epoch_entries
        if support_newton:
            support, newton_tried = settled_support(
                signs, (W[:, working_set] + delta).ravel(), newton_tried)
            remaining = np.inf  # epochs to cd_tol at the last epoch's rate
            # (no rate when the ratio rounds to 1; cd_tol shrinks to 0 over many steps)
            rate = np.log(previous_violation / violation) if violation > 0.0 else 0.0
            if 0.0 < cd_tol < violation and rate > 0.0:
                remaining = np.log(violation / cd_tol) / rate
            # for several blocks: the model's Hessian has a rank up to (n_blocks - 1)
            # n_samples, and costs two products (1.5^2 ~ 2) and those with the other
            # blocks' probabilities (about n_blocks - 1 more weights)
            n_support = support.shape[0]
            if multinomial:
                rank = (n_blocks - 1) * n_samples
                newton_size = int(1.5 * n_support) + n_blocks - 1
            else:
                rank, newton_size = n_samples, n_support
            if (0 < n_support < rank - fit_intercept
                    and newton_step_pays(n_samples, newton_size,
                                         min(descent_entries, remaining * epoch_entries))):
                newton_tried = True
                descent_entries = 0.0
                if _model_support_newton(X, X_data, X_indices, X_indptr, is_sparse, W,
                                         working_set, support, R, P, c, curvature,
                                         fit_intercept, D, u, delta, delta_b, l1_strength,
                                         l2_strength):
                    # no extrapolation along the Newton step, nor Anderson across it
                    copy_matrix(D_prev, D)
                    copy_vector(u_prev, u)
                    copy_matrix(delta_prev, delta)
                    copy_vector(delta_b_prev, delta_b)
                    n_history = 0
                    previous_violation = np.inf
                    continue
        previous_violation = violation
        if n_history == 0:
            window_violation = violation
        for k in range(n_blocks):
            for m in range(n_ws):
                history[n_history, k * n_ws + m] = delta[k, m]
            history[n_history, n_blocks * n_ws + k] = delta_b[k]
        n_history += 1
        if n_history == ANDERSON_DEPTH + 1:
            # only where coordinate descent crawls: elsewhere it converges as fast without,
            # and the extrapolation's small linear solve would only add its rounding
            if (violation > SLOW_WINDOW_DECREASE * window_violation
                    and trust_radius == np.inf):
                _anderson_model_step(X, X_data, X_indices, X_indptr, is_sparse, W,
                                     working_set, R, curvature, P, c, D, u, delta, delta_b,
                                     history, l1_strength, l2_strength, multinomial)
            n_history = 0
    # the same along the whole step: when the gradient is optimal but for a flat direction
    # (the violation left has a component that no change of predictions can cancel),
    # consecutive Newton steps are otherwise equal translations along it
    if trust_radius == np.inf:
        D_prev[:] = 0.0
        u_prev[:] = 0.0
        delta_prev[:] = 0.0
        delta_b_prev[:] = 0.0
        _hold_zero_weights(X, X_data, X_indices, X_indptr, is_sparse, W, working_set, P,
                           delta, D_prev, u_prev, delta_prev)
        _extrapolate_epoch(W, working_set, R, curvature, c, D, u, delta, delta_b, D_prev,
                           u_prev, delta_prev, delta_b_prev, l1_strength, l2_strength,
                           multinomial, breakpoints, kink_sizes)

    # penalty change summed per weight (not as a difference of totals, see the line search)
    penalty_old = 0.0
    penalty_change = 0.0
    for k in range(n_blocks):
        for m in range(n_ws):
            w_old = W[k, working_set[m]]
            w_new = w_old + delta[k, m]
            penalty_old += l1_strength * abs(w_old) + 0.5 * l2_strength * w_old * w_old
            penalty_change += (l1_strength * (abs(w_new) - abs(w_old))
                               + 0.5 * l2_strength * delta[k, m] * (w_old + w_new))
    n_epochs = epoch + 1
    linear = 0.0
    quadratic = 0.0
    for i in range(n_samples):
        for k in range(n_blocks):
            linear += R[k, i] * D[k, i]
            quadratic += curvature[k, i] * D[k, i] * D[k, i]
        quadratic -= c[i] * u[i] * u[i]  # zero for one block
    model_decrease = -(linear + 0.5 * quadratic + penalty_change)
    descent = linear + penalty_change  # directional derivative bound (< 0)

    # near the optimum the decrease falls below rounding: the full step is then taken. The
    # objective's change is summed per sample and per weight: the difference of the two
    # objectives would carry the rounding errors of both sums (~sqrt(n_samples) eps), which
    # rejects the last steps of a tight solve. (The objective only scales that level: it is
    # computed when a full step fails.)
    P_new = np.empty_like(P)
    t = 1.0
    for _ in range(MAX_BACKTRACK):
        penalty_t = 0.0
        for k in range(n_blocks):
            for m in range(n_ws):
                w_old = W[k, working_set[m]]
                w_t = w_old + t * delta[k, m]
                penalty_t += (l1_strength * (abs(w_t) - abs(w_old))
                              + 0.5 * l2_strength * t * delta[k, m] * (w_old + w_t))
        change = classification_loss_change(Z, P, D, t, labels, c, multinomial,
                                            P_new) + penalty_t
        accepted = change <= ARMIJO * t * descent
        if not accepted and t == 1.0:
            objective_old = classification_loss(Z, labels, c, multinomial) + penalty_old
            accepted = change <= ROUNDING * abs(objective_old)
        if accepted:
            for k in range(n_blocks):
                for m in range(n_ws):
                    W[k, working_set[m]] += t * delta[k, m]
                b[k] += t * delta_b[k]
            for k in range(n_blocks):
                for i in range(n_samples):
                    Z[k, i] += t * D[k, i]
                    P[k, i] = P_new[k, i]
            return max(model_decrease, 0.0), n_epochs, True
        if not descent < 0.0:  # no step to take on the working set
            return 0.0, n_epochs, True
        t *= 0.5
    return 0.0, n_epochs, False


@jit(fastmath=REASSOCIATE)
def _model_support_newton(X, X_data, X_indices, X_indptr, is_sparse, W, working_set, support,
                          R, P, c, curvature, fit_intercept, D, u, delta, delta_b,
                          l1_strength, l2_strength):
    """Minimize the quadratic model of :func:`_newton_step` over the weights of ``support``
    (positions in the flattened ``(n_blocks, len(working_set))`` weights, all nonzero) with
    their signs kept, the other weights fixed, and over the intercepts; updates ``delta``,
    ``delta_b``, ``D`` and ``u``.

    Coordinate descent crawls along the flat directions of near-duplicate columns (a
    correlation of 1 - 1e-12: 100 epochs per model and gaps stuck near 1e-8 of the null
    objective), where the model's minimizer lies at a kink: one of the twins at zero. It
    crawls too on the ill-conditioned models of weakly penalized multinomial fits (a class
    of one sample: 100 epochs per model, 165 Newton steps to a gap of 1e-6 where exact
    models take 16). The step centers each column with the curvature of its block,
    eliminates the intercepts (one of them fixed for several blocks: the model does not
    change when all of them shift), goes to
    :func:`~sklreg.solvers._cd.orthant_newton_point` on the support, drops the weights that
    it stops at (exactly zero) and repeats on the rest until a step is not stopped, so that
    every twin that must reach zero does in one call. Each segment lowers the model; the
    result is kept only when the model's value is lower. Returns whether it is.

    Without an L2 penalty, a feature whose weights are nonzero in every block makes the
    support's model flat along their common shift (the softmax does not change, nor the
    L1 penalty when as many of them are positive as negative): its weight of smallest
    magnitude is then kept fixed, which :func:`_recenter_classes` then optimizes.
    """
    n_blocks, n_samples = D.shape
    multinomial = n_blocks > 1
    n_ws = working_set.shape[0]
    if multinomial and l2_strength == 0.0:
        in_support = np.zeros(n_blocks * n_ws, dtype=np.bool_)
        in_support[support] = True
        for m in range(n_ws):
            smallest = -1
            for a in range(n_blocks):
                position = a * n_ws + m
                if not in_support[position]:
                    smallest = -1
                    break
                if (smallest < 0 or abs(W[a, working_set[m]] + delta[a, m])
                        < abs(W[smallest, working_set[m]] + delta[smallest, m])):
                    smallest = a
            if smallest >= 0:
                in_support[smallest * n_ws + m] = False
        support = np.flatnonzero(in_support)
    k = support.shape[0]
    if k == 0:
        return False
    blocks = support // n_ws
    positions = support % n_ws
    features = working_set[positions]
    # the model's Hessian in the predictions of sample i, entry (a, b): curvature[a, i] if
    # a == b, minus c_i p_ia p_ib for several blocks (its diagonal: hess)
    hess = curvature.copy()
    if multinomial:
        hess -= c * P * P
    # rows: the support's columns, centered with their block's curvature
    columns = dense_columns(X, X_data, X_indices, X_indptr, is_sparse, features, n_samples)
    means = np.zeros(k)
    if fit_intercept:
        for a in range(k):
            h_sum = hess[blocks[a]].sum()
            if h_sum > 0.0:
                means[a] = np.dot(columns[a], hess[blocks[a]]) / h_sum
                for i in range(n_samples):
                    columns[a, i] -= means[a]
    # the smooth model's derivative in the predictions
    model_residual = np.empty((n_blocks, n_samples))
    for a in range(n_blocks):
        for i in range(n_samples):
            model_residual[a, i] = R[a, i] + curvature[a, i] * (D[a, i] - u[i])
    # the free intercepts: those of curved blocks, but the most probable block's for several
    # blocks
    fixed = np.argmax(P @ c) if multinomial else -1
    n_free = 0
    intercepts = np.empty(n_blocks, dtype=np.int64)
    if fit_intercept:
        for a in range(n_blocks):
            if a != fixed and hess[a].sum() > 0.0:
                intercepts[n_free] = a
                n_free += 1
    intercepts = intercepts[:n_free]
    # the weights' Hessian, their gradient, and their mixed curvature with the intercepts
    curved = np.empty((k, n_samples))
    for a in range(k):
        for i in range(n_samples):
            curved[a, i] = columns[a, i] * curvature[blocks[a], i]
    # the diagonal part couples the weights of a block only: the support is sorted, so
    # each block's weights are a contiguous range
    H = np.zeros((k, k))
    start = 0
    while start < k:
        end = start
        while end < k and blocks[end] == blocks[start]:
            end += 1
        block = curved[start:end] @ columns[start:end].T
        for a in range(end - start):
            for e in range(end - start):
                H[start + a, start + e] = block[a, e]
        start = end
    gradient = np.empty(k)
    for a in range(k):
        gradient[a] = np.dot(columns[a], model_residual[blocks[a]])
    cross = np.zeros((k, n_free))
    for a in range(k):
        for f in range(n_free):
            if intercepts[f] == blocks[a]:
                cross[a, f] = curved[a].sum()
    intercepts_hessian = np.zeros((n_free, n_free))
    intercepts_gradient = np.empty(n_free)
    for f in range(n_free):
        intercepts_hessian[f, f] = curvature[intercepts[f]].sum()
        intercepts_gradient[f] = model_residual[intercepts[f]].sum()
    if multinomial:  # minus the products weighted by c_i p_ia p_ib
        weighted = np.empty((k, n_samples))  # the columns times c p of their block
        scaled = np.empty((k, n_samples))  # ... times p
        for a in range(k):
            for i in range(n_samples):
                scaled[a, i] = columns[a, i] * P[blocks[a], i]
                weighted[a, i] = scaled[a, i] * c[i]
        H -= weighted @ scaled.T
        free_probabilities = np.empty((n_free, n_samples))
        for f in range(n_free):
            for i in range(n_samples):
                free_probabilities[f, i] = P[intercepts[f], i]
        cross -= weighted @ free_probabilities.T
        intercepts_hessian -= (free_probabilities * c) @ free_probabilities.T
    L = np.empty((n_free, n_free))  # the intercepts' Cholesky factor
    if n_free:
        try:
            L = np.linalg.cholesky(intercepts_hessian)
        except Exception:  # noqa: BLE001 - numerically singular
            return False
        # the intercepts at their optimum for the weights: H - C H_b^-1 C^T, g - C H_b^-1 g_b
        solved = solve_lower(L, cross.T)  # L^-1 C^T
        H -= solved.T @ solved
        gradient -= solved.T @ solve_lower(L, intercepts_gradient.reshape((n_free, 1))).ravel()
    current = np.empty(k)
    for a in range(k):
        current[a] = W[blocks[a], features[a]] + delta[blocks[a], positions[a]]
    # minimizer v of the support's quadratic: H v = H current - gradient - l1 signs (the
    # first two terms are the same at every point: the face solves reuse them)
    linear_part = H @ current - gradient
    for a in range(k):
        H[a, a] += l2_strength
    point = current.copy()
    kept = np.arange(k)
    moved = False
    for _ in range(k):
        rhs = linear_part[kept] - l1_strength * np.sign(point[kept])
        face_point = orthant_newton_point(np.ascontiguousarray(H[kept][:, kept]), rhs,
                                          point[kept])
        if face_point.shape[0] == 0:
            break
        for a in range(kept.shape[0]):
            point[kept[a]] = face_point[a]
        moved = True
        if np.all(face_point != 0.0):
            break
        kept = kept[face_point != 0.0]
        if kept.shape[0] == 0:
            break
    new_delta = delta.copy()
    change = np.empty(k)
    for a in range(k):
        # from the point itself, so that a weight stopped at zero is exactly zero (a
        # rounding residue of the opposite sign had the next epoch's extrapolation amplify
        # its removal 1e13 times: predictions off by 1e-2, gaps stuck near 1e-7)
        new_delta[blocks[a], positions[a]] = point[a] - W[blocks[a], features[a]]
        change[a] = new_delta[blocks[a], positions[a]] - delta[blocks[a], positions[a]]
    if not moved or not np.any(change != 0.0):
        return False
    # the predictions change by the centered columns' product plus the intercepts' change
    # in the centered parametrization; the intercepts' own change subtracts means.change
    new_D = D.copy()
    for a in range(k):
        for i in range(n_samples):
            new_D[blocks[a], i] += change[a] * columns[a, i]
    new_delta_b = delta_b.copy()
    for a in range(k):
        new_delta_b[blocks[a]] -= means[a] * change[a]
    if n_free:
        centered_shift = -cholesky_solve(L, intercepts_gradient + cross.T @ change)
        for f in range(n_free):
            for i in range(n_samples):
                new_D[intercepts[f], i] += centered_shift[f]
            new_delta_b[intercepts[f]] += centered_shift[f]
    new_u = np.zeros(n_samples)
    if multinomial:
        for a in range(n_blocks):
            for i in range(n_samples):
                new_u[i] += P[a, i] * new_D[a, i]
    if not (_model_value(W, working_set, R, curvature, c, new_D, new_u, new_delta,
                         l1_strength, l2_strength, multinomial)
            < _model_value(W, working_set, R, curvature, c, D, u, delta, l1_strength,
                           l2_strength, multinomial)):
        return False
    copy_matrix(D, new_D)
    copy_vector(u, new_u)
    copy_matrix(delta, new_delta)
    copy_vector(delta_b, new_delta_b)
    return True


@jit(fastmath=REASSOCIATE)
def _model_value(W, working_set, R, curvature, c, D, u, delta, l1_strength, l2_strength,
                 multinomial):
    """The quadratic model of :func:`_newton_step` at ``delta`` (its predictions' change
    ``D`` and ``u``), plus the penalty of the working set's weights, up to a constant."""
    n_blocks, n_samples = D.shape
    linear = 0.0
    quadratic = 0.0
    for i in range(n_samples):
        for k in range(n_blocks):
            linear += R[k, i] * D[k, i]
            quadratic += curvature[k, i] * D[k, i] * D[k, i]
        if multinomial:
            quadratic -= c[i] * u[i] * u[i]
    penalty = 0.0
    for k in range(n_blocks):
        for m in range(working_set.shape[0]):
            w = W[k, working_set[m]] + delta[k, m]
            penalty += l1_strength * abs(w) + 0.5 * l2_strength * w * w
    return linear + 0.5 * quadratic + penalty


@jit(fastmath=REASSOCIATE)
def _anderson_model_step(X, X_data, X_indices, X_indptr, is_sparse, W, working_set, R,
                         curvature, P, c, D, u, delta, delta_b, history, l1_strength,
                         l2_strength, multinomial):
    """Anderson extrapolation of the last iterates of coordinate descent on the quadratic
    model (rows of ``history``: ``delta`` then ``delta_b``, flattened).

    Correlated columns make coordinate descent on the model converge at a slow linear rate
    (a percent per epoch on news20's twenty classes). The extrapolated point replaces
    ``delta``, ``delta_b``, ``D`` and ``u`` only when it lowers the model plus penalty, so
    the step keeps its descent property.
    """
    # positive=False, not as the literal: anderson_extrapolation compiles once (1.4 s)
    extrapolated = anderson_extrapolation(history, history.shape[0] < 0)
    if extrapolated.shape[0] == 0:
        return
    n_blocks, n_samples = D.shape
    n_ws = working_set.shape[0]
    new_delta = extrapolated[:n_blocks * n_ws].copy().reshape(n_blocks, n_ws)
    new_delta_b = extrapolated[n_blocks * n_ws:].copy()
    new_D = D.copy()
    new_u = u.copy()
    _add_column_changes(X, X_data, X_indices, X_indptr, is_sparse, working_set, P,
                        new_delta - delta, new_D, new_u)
    for k in range(n_blocks):
        change = new_delta_b[k] - delta_b[k]
        if change != 0.0:
            for i in range(n_samples):
                new_D[k, i] += change
            if multinomial:
                new_u += change * P[k]
    new_value = _model_value(W, working_set, R, curvature, c, new_D, new_u, new_delta,
                             l1_strength, l2_strength, multinomial)
    if new_value < _model_value(W, working_set, R, curvature, c, D, u, delta, l1_strength,
                                l2_strength, multinomial):
        copy_matrix(delta, new_delta)
        copy_vector(delta_b, new_delta_b)
        copy_matrix(D, new_D)
        copy_vector(u, new_u)


@jit(fastmath=REASSOCIATE)
def _add_column_changes(X, X_data, X_indices, X_indptr, is_sparse, working_set, P, changes,
                        D, u):
    """``D[k] += changes[k, m] X[:, working_set[m]]`` for every block ``k`` and weight
    ``m`` (zero changes skipped), and for several blocks ``u += changes[k, m] P[k] X[:, j]``:
    the change of the model's predictions when ``delta`` changes by ``changes``."""
    n_blocks, n_samples = D.shape
    multinomial = n_blocks > 1
    for m in range(working_set.shape[0]):
        j = working_set[m]
        for k in range(n_blocks):
            change = changes[k, m]
            if change == 0.0:
                continue
            if is_sparse:
                for s in range(X_indptr[j], X_indptr[j + 1]):
                    i = X_indices[s]
                    D[k, i] += change * X_data[s]
                    if multinomial:
                        u[i] += change * P[k, i] * X_data[s]
            else:
                for i in range(n_samples):
                    D[k, i] += change * X[i, j]
                    if multinomial:
                        u[i] += change * P[k, i] * X[i, j]


@jit
def _hold_zero_weights(X, X_data, X_indices, X_indptr, is_sparse, W, working_set, P, delta,
                       D_prev, u_prev, delta_prev):
    """Take the weights at exactly zero out of the displacement ``delta - delta_prev`` that
    :func:`_extrapolate_epoch` extrapolates (out of ``D - D_prev`` and ``u - u_prev`` too),
    so that they stay at zero; ``P`` holds the probabilities that weigh the columns in
    ``u``.

    Along the whole Newton step, a weight that coordinate descent set to zero was moved off
    it, its L1 cost paid by the others' decrease, and no descent followed to set it back:
    over the later steps its sign alternated and its size shrank (7e-21, where the optimum
    has a zero).
    """
    held = np.zeros_like(delta)
    for m in range(working_set.shape[0]):
        for k in range(delta.shape[0]):
            if W[k, working_set[m]] + delta[k, m] == 0.0:
                held[k, m] = delta[k, m] - delta_prev[k, m]
                delta_prev[k, m] = delta[k, m]
    _add_column_changes(X, X_data, X_indices, X_indptr, is_sparse, working_set, P, held,
                        D_prev, u_prev)


@jit
def _extrapolate_epoch(W, working_set, R, curvature, c, D, u, delta, delta_b, D_prev, u_prev,
                       delta_prev, delta_b_prev, l1_strength, l2_strength, multinomial,
                       breakpoints, kink_sizes):
    """Minimize the quadratic model exactly along the last epoch's displacement; updates
    ``delta``, ``delta_b``, ``D``, ``u``.

    Where the model is flat (collinear columns in the working set, more of them than
    samples), coordinate descent moves along the flat direction by the same amount at every
    epoch, so that an L1 slope along it takes a number of epochs proportional to the
    distance to the next kink. The displacement ``e`` of the last epoch is then that
    direction: ``t -> model(delta + t e)`` is convex and piecewise quadratic, with kinks
    where a weight crosses zero, and is minimized exactly over ``t >= 0`` by walking the
    kinks in order. Weights that land on a kink are set to exactly zero. ``breakpoints``
    and ``kink_sizes`` are work arrays of size ``n_blocks * n_ws``.
    """
    n_blocks, n_samples = D.shape
    n_ws = working_set.shape[0]
    # slope and curvature of the smooth part along e (its change of predictions D - D_prev)
    slope = 0.0
    curv = 0.0
    for i in range(n_samples):
        du = u[i] - u_prev[i]
        for k in range(n_blocks):
            dz = D[k, i] - D_prev[k, i]
            slope += dz * (R[k, i] + curvature[k, i] * (D[k, i] - u[i]))
            curv += curvature[k, i] * dz * dz
        curv -= c[i] * du * du  # zero for one block
    # penalty: right derivative at t = 0 and the kinks ahead
    n_kinks = 0
    step_norm = 0.0
    for k in range(n_blocks):
        for m in range(n_ws):
            e = delta[k, m] - delta_prev[k, m]
            if e == 0.0:
                continue
            step_norm = max(step_norm, abs(e))
            w = W[k, working_set[m]] + delta[k, m]
            slope += l2_strength * w * e
            curv += l2_strength * e * e
            if w == 0.0 or (w > 0.0) == (e > 0.0):
                slope += l1_strength * abs(e)
            else:
                slope -= l1_strength * abs(e)
                breakpoints[n_kinks] = -w / e
                kink_sizes[n_kinks] = abs(e)
                n_kinks += 1
    if step_norm == 0.0 or not slope < 0.0:
        return
    order = heap_argsort(breakpoints[:n_kinks])
    t = 0.0
    t_best = -1.0
    for r in range(n_kinks):
        t_kink = breakpoints[order[r]]
        if curv > 0.0 and t - slope / curv <= t_kink:
            t_best = t - slope / curv
            break
        slope += curv * (t_kink - t)
        t = t_kink
        slope += 2.0 * l1_strength * kink_sizes[order[r]]
        if slope >= 0.0:
            t_best = t
            break
    if t_best < 0.0:
        if not curv > 0.0:
            return  # no minimizer along e: leave it to the line search of the next step
        t_best = t - slope / curv
    if not t_best > 0.0 or not np.isfinite(t_best):
        return
    for k in range(n_blocks):
        for m in range(n_ws):
            e = delta[k, m] - delta_prev[k, m]
            if e == 0.0:
                continue
            w = W[k, working_set[m]] + delta[k, m]
            if w != 0.0 and (w > 0.0) != (e > 0.0) and -w / e <= t_best:
                if -w / e == t_best:
                    delta[k, m] = -W[k, working_set[m]]  # lands on the kink: exactly zero
                    continue
            delta[k, m] += t_best * e
        delta_b[k] += t_best * (delta_b[k] - delta_b_prev[k])
        for i in range(n_samples):
            D[k, i] += t_best * (D[k, i] - D_prev[k, i])
    for i in range(n_samples):
        u[i] += t_best * (u[i] - u_prev[i])


@jit
def _best_class_shift(a, l1_strength, l2_strength):
    """``argmin_t sum_k l1 |a_k - t| + l2 / 2 (a_k - t)^2``, the one nearest zero.

    Zero, the common case, is recognized from the subdifferential at ``t = 0`` in O(n);
    otherwise a sorted copy of ``a`` is made (see :func:`~sklreg.solvers._cd.heap_argsort`).
    """
    n = a.shape[0]
    n_above = 0
    n_below = 0
    total = 0.0
    for k in range(n):
        n_above += a[k] > 0.0
        n_below += a[k] < 0.0
        total += a[k]
    # the derivative at 0 lies in l1 (n_below - n_above) - l2 total +- l1 (n - n_above - n_below)
    if (abs(l1_strength * (n_below - n_above) - l2_strength * total)
            <= l1_strength * (n - n_above - n_below)):
        return 0.0
    order = heap_argsort(a)
    ranked = np.empty(n)
    for m in range(n):
        ranked[m] = a[order[m]]
    if l2_strength == 0.0:  # the point of the median interval nearest zero
        return min(max(0.0, ranked[(n - 1) // 2]), ranked[n // 2])
    total = ranked.sum()
    for m in range(n + 1):  # between ranked[m - 1] and ranked[m]: m coordinates below t
        t = (total - l1_strength * (2 * m - n) / l2_strength) / n
        if (m == 0 or t >= ranked[m - 1]) and (m == n or t <= ranked[m]):
            return t
    for m in range(n):  # at a kink: the subdifferential contains 0
        below = (l2_strength * (n * ranked[m] - total) + l1_strength * (2 * m - n + 1)
                 - l1_strength)
        above = below + 2.0 * l1_strength
        if below <= 0.0 <= above:
            return ranked[m]
    return 0.0


@jit(fastmath=REASSOCIATE)
def _recenter_classes(X, X_data, X_indices, X_indptr, is_sparse, Z, W, l1_strength,
                      l2_strength, features):
    """Subtract from each column of ``W`` the shift that minimizes its penalty.

    The softmax is invariant when the same vector is added to every class row, so this
    lowers the objective for free; with a weak L2 penalty the objective is nearly flat along
    that direction, where Newton steps would otherwise crawl. ``Z`` is shifted accordingly.
    With pure L1 any point of the median interval is optimal: the one nearest zero moves
    the fewest weights (on 150 x 10 with 5 classes and alpha 3e-6, without intercept,
    proximal Newton needed 900 iterations without the shift, 17 with it).
    """
    shift = np.zeros(Z.shape[1])
    for j in features:
        t = _best_class_shift(W[:, j].copy(), l1_strength, l2_strength)
        if t != 0.0:
            for k in range(W.shape[0]):
                W[k, j] -= t
            if is_sparse:
                for s in range(X_indptr[j], X_indptr[j + 1]):
                    shift[X_indices[s]] -= t * X_data[s]
            else:
                for i in range(Z.shape[1]):
                    shift[i] -= t * X[i, j]
    for k in range(Z.shape[0]):
        for i in range(Z.shape[1]):
            Z[k, i] += shift[i]


@jit(fastmath=REASSOCIATE)
def prox_newton(X, X_data, X_indices, X_indptr, is_sparse, by_rows, labels, c, W, b,
                fit_intercept, l1_strength, l2_strength, max_iter, gap_tol):
    """Proximal Newton with working sets and a certified duality-gap stop.

    Parameters
    ----------
    X, X_data, X_indices, X_indptr, is_sparse :
        The design as :func:`sklreg.linear._design.kernel_arrays` gives it (Fortran-ordered
        dense or CSC parts), or CSR parts when ``by_rows``.
    by_rows : bool
        ``X_data, X_indices, X_indptr`` are the parts of a CSR matrix. The full products
        then run along its rows, and the columns of the working sets are gathered from it
        as they join, which costs less than a conversion to CSC when they are few.
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
    # the columns the working sets use: those of X, or the ones gathered so far from its rows
    gathered = np.zeros(n_features if by_rows else 0, dtype=np.bool_)
    joining = np.zeros_like(gathered)
    if by_rows:
        Z = row_predictions(X_data, X_indices, X_indptr, W, b)
        C_data, C_indices, C_indptr = csc_layout_of_csr(X_data, X_indices, X_indptr,
                                                        n_features)
    else:
        Z = linear_predictions(X, X_data, X_indices, X_indptr, is_sparse, W, b, n_samples)
        C_data, C_indices, C_indptr = X_data, X_indices, X_indptr
    G = np.zeros((n_blocks, n_features))
    scores = np.empty(n_features)
    all_features = np.arange(n_features)
    ws_size = min(WS_START, n_features) if l1_strength > 0.0 else n_features
    newton_decrease = np.inf
    trust_radius = np.inf
    cd_tol_ratio = CD_TOL_RATIO
    # not the constant False: a literal argument would compile _newton_step twice (6 s)
    shuffle = n_features < 0
    n_iter = 0
    P = classification_probabilities(Z, multinomial)  # then kept up to date with Z
    corrected_at = -1  # the iteration whose predictions were last recomputed
    best_dual = -np.inf
    while True:
        if fit_intercept:
            optimize_intercepts(Z, b, labels, c, P)
        R = classification_residuals(P, labels, c)
        if by_rows:
            row_gradient(X_data, X_indices, X_indptr, R, G)
        else:
            datafit_gradient(X, X_data, X_indices, X_indptr, is_sparse, R, G, all_features)
        primal, gap = classification_dual_gap(Z, P, labels, c, G, W, l1_strength,
                                              l2_strength)
        if penalized:
            # every dual point's value bounds the optimum from below: the best one yet
            # certifies (where the gradient converges slowly, as near separable or
            # rank-deficient data at tiny alpha, the dual points of successive iterates
            # can be 1000x apart in gap)
            best_dual = max(best_dual, primal - gap)
            gap = max(primal - best_dual, 0.0)
        else:
            gap = newton_decrease
        if gap <= gap_tol or n_iter >= max_iter:
            # the steps update Z incrementally, and its drift from X W^T + b (rounding,
            # amplified by the extrapolations along an epoch's tiny displacement: 0.13 on
            # features of size 1e-40, where the gap came out 0 at a suboptimality of 6e-5)
            # is a wrong primal: the gap of the dual point above is corrected by the loss
            # change to the true predictions (summed per sample: exact when there is none)
            if by_rows:
                Z_true = row_predictions(X_data, X_indices, X_indptr, W, b)
            else:
                Z_true = linear_predictions(X, X_data, X_indices, X_indptr, is_sparse, W, b,
                                            n_samples)
            P_true = np.empty_like(P)
            drift = classification_loss_change(Z, P, Z_true - Z, 1.0, labels, c, multinomial,
                                               P_true)
            Z, P = Z_true, P_true
            if penalized:
                gap = max(gap + drift, 0.0)
            if gap <= gap_tol or n_iter >= max_iter or n_iter == corrected_at:
                break  # (once per iteration: the intercepts' update drifts by rounding)
            corrected_at = n_iter
            continue  # from the true predictions (intercepts, gradient and gap again)

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
            working_set = largest_scores(all_features, scores, ws_size)
        inner_tol = INNER_TOL_RATIO * max_violation
        if by_rows:
            n_joining = 0
            for j in working_set:
                joining[j] = not gathered[j]
                n_joining += joining[j]
            if n_joining:
                gather_columns(X_data, X_indices, X_indptr, joining, C_data, C_indices,
                               C_indptr)
                for j in working_set:
                    gathered[j] = True
                    joining[j] = False

        while n_iter < max_iter:
            newton_decrease, n_epochs, accepted = _newton_step(
                X, C_data, C_indices, C_indptr, is_sparse, Z, P, W, b, labels, c,
                working_set, fit_intercept, l1_strength, l2_strength,
                cd_tol_ratio * inner_tol, shuffle, trust_radius,
            )
            n_iter += 1
            # after a rejected step, the next ones move each prediction by at most a radius,
            # shrunk at each rejection and grown back (to TRUST_MAX) at each acceptance
            if not accepted:  # (and no decrease to certify an unpenalized fit with)
                trust_radius = min(trust_radius, TRUST_MAX) / TRUST_FACTOR
                newton_decrease = np.inf
            elif trust_radius < np.inf:
                trust_radius = min(trust_radius * TRUST_FACTOR, TRUST_MAX)
            if n_epochs == 1:
                cd_tol_ratio *= CD_TOL_SHRINK
            elif (n_epochs == MAX_CD_EPOCHS and not shuffle and SHUFFLE_MIN_SAMPLES_PER_FEATURE
                  * working_set.shape[0] <= n_samples):
                shuffle = True
                np.random.seed(0)  # noqa: NPY002 (a fit's shuffles are reproducible)
            if multinomial and penalized:  # (a common shift: P unchanged)
                _recenter_classes(X, C_data, C_indices, C_indptr, is_sparse, Z, W,
                                  l1_strength, l2_strength, working_set)
            if ws_size == n_features or newton_decrease == 0.0:
                break  # the outer loop computes the full gradient anyway
            R = classification_residuals(P, labels, c)
            datafit_gradient(X, C_data, C_indices, C_indptr, is_sparse, R, G, working_set)
            violation = 0.0
            for j in working_set:
                for k in range(n_blocks):
                    violation = max(violation, subdiff_distance_enet(
                        W[k, j], G[k, j], l1_strength, l2_strength, False))
            if violation <= inner_tol:
                break
    return gap, n_iter
