"""Coordinate descent on the Gram matrix, for designs with many more samples than features.

With ``G = X^T X``, ``b = X^T y`` and ``q = b - G w = X^T r`` maintained, a coordinate
update costs the size of a working set instead of ``O(n_samples)``, and the duality gap
comes from the three summaries of :func:`~sklreg._datafits.quadratic_dual_gap` at
``O(n_features)``:

    ||r||^2 = ||y||^2 - w.b - w.q,    r.y = ||y||^2 - w.b.

That subtraction loses relative accuracy when ``||r||^2 << ||y||^2``, so the gap found here
only decides when to stop; the result is certified with a bound on the rounding
(:func:`gram_gap_bound`, through
:func:`~sklreg.linear._least_squares.gram_certified_gap`) or on the design itself.
:func:`enet_gram_path` runs a warm-started path of fits, each certified by that bound, in
one call.
"""

import math

import numpy as np

from .._datafits import (
    STALLED_GAP_DECREASE,
    STOP_BELOW_ROUNDING,
    conjugate_scale,
    enet_conjugate_term,
    gradient_rounding,
    penalty_below_rounding,
    quadratic_dual_gap,
    quadratic_gap_from_sums,
    stationary_to_rounding,
)
from .._jit import copy_vector, jit
from .._penalties import prox_enet, subdiff_distance_enet
from ._cd import (
    ANDERSON_DEPTH,
    INNER_TOL_RATIO,
    NEWTON_WORK_RATIO,
    SHUFFLE_AFTER_EPOCHS,
    WS_FILLED,
    WS_START,
    anderson_extrapolation,
    extrapolate_along_path,
    largest_scores,
    orthant_newton_point,
    settled_support,
    work_to_converge,
)
from ._columns import REASSOCIATE

INNER_MAX_EPOCHS = 10  # epochs between outer iterations (q recomputed: no rounding drift)
GATHER_COST = 4  # an update of q through the working set's indices, per contiguous one


@jit(fastmath=REASSOCIATE)
def _refresh_gradient(G, b, w, q):
    """``q = b - G w`` from scratch: a contiguous pass over the row of each nonzero weight
    (``G`` symmetric: rows are columns)."""
    copy_vector(q, b)
    for k in np.flatnonzero(w):
        w_k = w[k]
        for i in range(q.shape[0]):
            q[i] -= w_k * G[k, i]


@jit(fastmath=REASSOCIATE)
def _refresh_working_gradient(G, b, w, q, working_set, update_all):
    """``q = b - G w`` on the working set (everywhere when ``update_all``), ``w`` zero
    outside it."""
    if update_all:
        _refresh_gradient(G, b, w, q)
        return
    for j in working_set:
        q[j] = b[j]
    for k in np.flatnonzero(w):
        w_k = w[k]
        for j in working_set:
            q[j] -= w_k * G[k, j]


@jit(fastmath=REASSOCIATE)
def _gram_gap(b, y_norm2, w, q, l1_strength, l2_strength, positive):
    """Duality gap from the Gram summaries, with ``q = b - G w``."""
    w_dot_b = w @ b
    r_norm2 = max(y_norm2 - w_dot_b - w @ q, 0.0)
    return quadratic_dual_gap(q, r_norm2, y_norm2 - w_dot_b, w, l1_strength, l2_strength,
                              positive)[1]


@jit(fastmath=REASSOCIATE)
def _gram_epoch(G, w, q, visits, l1_strength, l2_strength, positive, random_selection,
                update_all):
    """One pass of coordinate descent over ``visits`` (a working set, in visiting order),
    keeping ``q = b - G w`` up to date on those features only, or on all of them when
    ``update_all`` (a contiguous loop, vectorized: faster on a large working set).

    Returns the largest subdifferential distance met along the pass (each measured just
    before its coordinate's update).
    """
    n_visits = visits.shape[0]
    violation = 0.0
    for k in range(n_visits):
        if random_selection:
            j = visits[np.random.randint(0, n_visits)]  # noqa: NPY002
        else:
            j = visits[k]
        if G[j, j] == 0.0:
            continue
        violation = max(violation, subdiff_distance_enet(w[j], -q[j], l1_strength,
                                                         l2_strength, positive))
        step = 1.0 / G[j, j]
        new_w_j = prox_enet(w[j] + step * q[j], step, l1_strength, l2_strength, positive)
        if new_w_j != w[j]:
            delta = new_w_j - w[j]
            if update_all:
                for i in range(q.shape[0]):
                    q[i] -= delta * G[j, i]
            else:
                for i in visits:
                    q[i] -= delta * G[j, i]
            w[j] = new_w_j
    return violation


@jit(fastmath=REASSOCIATE)
def _working_objective(w, b, q, y_norm2, working_set, l1_strength, l2_strength):
    """``1/2 ||y - X w||^2 + l1 ||w||_1 + l2 / 2 ||w||^2`` from the Gram summaries
    ``1/2 (||y||^2 - w.b - w.q)``, for ``w`` zero outside ``working_set``."""
    value = 0.5 * y_norm2
    for j in working_set:
        value += (-0.5 * w[j] * (b[j] + q[j]) + l1_strength * abs(w[j])
                  + 0.5 * l2_strength * w[j] * w[j])
    return value


@jit
def _support_newton_step(G, b, w, q, support, l1_strength, l2_strength):
    """Newton step on the weights of ``support`` (all the nonzero ones), signs fixed (see
    :func:`~sklreg.solvers._cd.orthant_newton_point`): on that orthant the objective is
    ``1/2 v.(G_SS + l2 I)v - v.(b_S - l1 s)``. It replaces ``w`` only when the objective
    decreases. ``q`` is ``b - G w`` at ``w`` on entry. Returns whether ``w`` changed
    (``q`` is then stale).
    """
    k = support.shape[0]
    H = np.empty((k, k))
    rhs = np.empty(k)
    current = np.empty(k)
    for a in range(k):
        j = support[a]
        current[a] = w[j]
        rhs[a] = b[j] - l1_strength * np.sign(w[j])
        for c in range(k):
            H[a, c] = G[j, support[c]]
        H[a, a] += l2_strength
    point = orthant_newton_point(H, rhs, current)
    if point.shape[0] == 0:
        return False
    # objectives from the Gram summaries, 1/2 w.G w = 1/2 w.(b - q) at the current point
    # (in this order, without reassociation: squares of weights far from 1 would overflow)
    change = 0.0
    for a in range(k):
        j = support[a]
        G_point = -l2_strength * point[a]
        for c in range(k):
            G_point += H[a, c] * point[c]
        change += (0.5 * point[a] * G_point - point[a] * b[j]
                   + l1_strength * abs(point[a]) + 0.5 * l2_strength * point[a] * point[a])
        change -= (0.5 * current[a] * (b[j] - q[j]) - current[a] * b[j]
                   + l1_strength * abs(current[a]) + 0.5 * l2_strength * current[a] * current[a])
    if not change < 0.0:
        return False
    for a in range(k):
        w[support[a]] = point[a]
    return True


@jit(fastmath=REASSOCIATE)
def enet_gram_coordinate_descent(G, b, y_norm2, w, l1_strength, l2_strength, positive, max_iter,
                                 gap_tol, random_selection, seed, q_start):
    """Elastic-net coordinate descent on ``G = X^T X`` with working sets and Anderson
    acceleration.

    Outer iterations form ``q = b - G w`` over all the features, the duality gap from it,
    and a working set of the nonzero weights and the largest optimality violations (as
    :func:`~sklreg.solvers._cd.enet_coordinate_descent` does on the design). Inner epochs
    run on the working set and keep ``q`` on it alone: an update costs the working set's
    size rather than ``n_features``. They stop once the working set's violations fall below
    ``INNER_TOL_RATIO`` times the outer one, or after ``INNER_MAX_EPOCHS``, extrapolated
    every ``ANDERSON_DEPTH`` epochs. Once the signs of the weights hold over a whole outer
    iteration, a Newton step on their support (a Cholesky solve on ``G``'s block, see
    :func:`~sklreg.solvers._cd.orthant_newton_point`) lands on the solution when the support
    is right; it is taken when its cost is within ``NEWTON_WORK_RATIO`` times both the
    updates since the last one and those descent still needs at its last rate, and counts
    as an epoch. When the penalty is far below the rounding of ``X^T r``, descent stops
    (unconverged) at the unpenalized solution, as
    :func:`~sklreg.solvers._cd.enet_coordinate_descent` does.

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
        Maximum number of epochs (passes over a working set).
    gap_tol : float
        Absolute duality gap at which to stop.
    random_selection : bool
        Draw coordinates uniformly at random instead of cycling. Cycling turns to a new
        seeded random permutation per epoch once ``SHUFFLE_AFTER_EPOCHS`` epochs have run in
        all (the kernel on the design counts them per working set, and shuffles only
        working sets with few features per sample).
    seed : int
        Seed of the coordinate draws.
    q_start : ndarray of shape (n_features,) or (0,)
        ``b - G w`` at the initial ``w`` when known (see :func:`_extrapolated_gradient`),
        for the first outer iteration; formed afresh when empty, and before returning.

    Returns
    -------
    gap : float
        Duality gap from the Gram summaries (to be certified on the design).
    n_iter : int
        Number of epochs run.
    q : ndarray of shape (n_features,)
        ``b - G w`` at the returned ``w``, formed afresh (no drift from the updates).
    """
    n_features = w.shape[0]
    if random_selection:
        np.random.seed(seed)  # noqa: NPY002 (Numba's per-thread generator)
    shuffle = False
    q = np.empty(n_features)
    scores = np.empty(n_features)
    all_features = np.arange(n_features)
    ws_size = min(WS_START, n_features)
    previous_working_set = np.empty(0, dtype=all_features.dtype)
    history = np.empty((ANDERSON_DEPTH + 1, 0))
    n_history = 0
    gap = np.inf
    n_iter = 0
    signs = np.zeros(n_features, dtype=np.int8)  # of w at the last outer iteration
    newton_tried = False  # on the current signs
    descent_work = 0.0  # multiply-adds of the updates of q since the last Newton step
    work = 0.0  # all of them
    previous_gap, previous_work = np.inf, 0.0
    # a penalty far below the rounding of X^T r (see enet_coordinate_descent)
    rounding = gradient_rounding(np.trace(G), y_norm2)
    uncertifiable = penalty_below_rounding(l1_strength, l2_strength,
                                           STOP_BELOW_ROUNDING * rounding, gap_tol)
    given_q = q_start.shape[0] > 0
    while True:
        if given_q:
            copy_vector(q, q_start)
        else:
            _refresh_gradient(G, b, w, q)
        gap = _gram_gap(b, y_norm2, w, q, l1_strength, l2_strength, positive)
        if gap <= gap_tol or n_iter >= max_iter:
            if not given_q:
                break
            given_q = False  # the q returned is formed afresh, and its gap checked again
            continue
        given_q = False
        if (uncertifiable and gap >= (1.0 - STALLED_GAP_DECREASE) * previous_gap
                and stationary_to_rounding(q, w, l2_strength, all_features, rounding)):
            break
        remaining_work = work_to_converge(gap, previous_gap, gap_tol, work - previous_work)
        previous_gap, previous_work = gap, work

        # signs unchanged over a whole outer iteration: the support is likely found, and a
        # Newton step on it lands on the solution (see NEWTON_WORK_RATIO)
        support, newton_tried = settled_support(signs, w, newton_tried)
        k = float(support.size)
        if 0 < k and k**3 / 3.0 <= NEWTON_WORK_RATIO * min(descent_work, remaining_work):
            newton_tried = True
            descent_work = 0.0
            n_iter += 1
            if _support_newton_step(G, b, w, q, support, l1_strength, l2_strength):
                n_history = 0
                _refresh_gradient(G, b, w, q)
                gap = _gram_gap(b, y_norm2, w, q, l1_strength, l2_strength, positive)
                if gap <= gap_tol or n_iter >= max_iter:
                    break

        n_nonzero = 0
        max_violation = 0.0
        for j in range(n_features):
            violation = subdiff_distance_enet(w[j], -q[j], l1_strength, l2_strength, positive)
            max_violation = max(max_violation, violation)
            if w[j] != 0.0:
                n_nonzero += 1
                scores[j] = np.inf
            else:
                scores[j] = violation
        growth = 4 if n_nonzero >= WS_FILLED * ws_size else 2
        ws_size = min(max(WS_START, growth * n_nonzero), n_features)
        if ws_size == n_features:
            working_set = all_features.copy()
        else:
            working_set = largest_scores(all_features, scores, ws_size)
        inner_tol = INNER_TOL_RATIO * max_violation
        update_all = GATHER_COST * ws_size >= n_features

        # the iterates of an unchanged working set keep their history across outer passes
        if not (working_set.shape[0] == history.shape[1]
                and np.array_equal(working_set, previous_working_set)):
            history = np.empty((ANDERSON_DEPTH + 1, ws_size))
            n_history = 0
        previous_working_set = working_set
        visits = working_set.copy()
        inner_epochs = 0
        while n_iter < max_iter and inner_epochs < INNER_MAX_EPOCHS:
            if not shuffle and not random_selection and n_iter >= SHUFFLE_AFTER_EPOCHS:
                shuffle = True
                np.random.seed(0)  # noqa: NPY002
            if shuffle:
                np.random.shuffle(visits)  # noqa: NPY002
            violation = _gram_epoch(G, w, q, visits, l1_strength, l2_strength, positive,
                                    random_selection, update_all)
            n_iter += 1
            epoch_work = ws_size * (n_features if update_all else ws_size)
            descent_work += epoch_work
            work += epoch_work
            inner_epochs += 1
            if violation <= inner_tol:
                break
            # q kept on all the features: the gap costs O(n_features), checked every epoch
            # (violations can stall above inner_tol on near-duplicate columns, the gap not)
            if update_all and _gram_gap(b, y_norm2, w, q, l1_strength, l2_strength,
                                        positive) <= gap_tol:
                break
            for k in range(ws_size):
                history[n_history, k] = w[working_set[k]]
            n_history += 1
            if n_history == ANDERSON_DEPTH + 1:
                n_history = 0
                extrapolated = anderson_extrapolation(history, positive)
                if extrapolated.shape[0] == 0:
                    continue
                current = w.copy()
                current_q = q.copy()
                for k in range(ws_size):
                    w[working_set[k]] = extrapolated[k]
                _refresh_working_gradient(G, b, w, q, working_set, update_all)
                if (_working_objective(w, b, q, y_norm2, working_set, l1_strength,
                                       l2_strength)
                        >= _working_objective(current, b, current_q, y_norm2, working_set,
                                              l1_strength, l2_strength)):
                    copy_vector(w, current)
                    copy_vector(q, current_q)
    return gap, n_iter, q


@jit
def gram_gap_bound(q, w, b, y_norm2, norms, n_samples, l1_strength, l2_strength, positive):
    """Duality gap of ``w`` from the Gram summaries, with a bound on their rounding added.

    ``q = X^T r = b - G w`` is known up to ``delta_j = u spread norms_j``, with ``u = (2
    n_features + 4 n_samples + 12) eps`` and ``spread = norms.|w| + ||y||``: it covers the
    rounding of ``G`` and ``b`` (``norms``, the uncentered column norms, bound what the
    implicit centering cancels) and of the product, through ``|G_jk| <= sqrt(G_jj G_kk)``.
    The dual point is scaled, and the conjugate bounded, with ``|q_j| + delta_j``;
    ``||r||^2 = ||y||^2 - w.b - w.q`` and ``r.y = ||y||^2 - w.b`` are each within ``2 u
    spread^2``, added twice to the gap.

    Returns
    -------
    gap : float
        The bound.
    l1_norm, ridge, dual_norm, conjugate : float
        The sums of :func:`~sklreg._datafits.quadratic_gap_from_sums` besides ``||r||^2``
        and ``r.y``, to form the gap from a residual computed on the design instead.
    """
    n_features = w.shape[0]
    spread = math.sqrt(y_norm2)
    for j in range(n_features):
        spread += norms[j] * abs(w[j])
    unit_bound = (2.0 * n_features + 4.0 * n_samples + 12.0) * np.finfo(np.float64).eps
    inv_root = conjugate_scale(l2_strength)
    l1_norm = ridge = conjugate = w_dot_b = w_dot_q = 0.0
    dual_norm = 0.0
    for j in range(n_features):
        delta = unit_bound * spread * norms[j]
        if positive:
            dual_norm = max(dual_norm, q[j] - l2_strength * w[j] + delta)
            correlation = q[j] + delta
        else:
            dual_norm = max(dual_norm, abs(q[j] - l2_strength * w[j]) + delta)
            correlation = abs(q[j]) + delta
        if l2_strength > 0.0:
            conjugate += enet_conjugate_term(correlation, l1_strength, inv_root, True)
        l1_norm += abs(w[j])
        ridge += l2_strength * w[j] * w[j]
        w_dot_b += w[j] * b[j]
        w_dot_q += w[j] * q[j]
    rounding = 2.0 * unit_bound * spread * spread
    gap = quadratic_gap_from_sums(max(y_norm2 - w_dot_b - w_dot_q, 0.0), y_norm2 - w_dot_b,
                                  l1_norm, ridge, dual_norm, conjugate, l1_strength,
                                  l2_strength)[1]
    return gap + 2.0 * rounding, l1_norm, ridge, dual_norm, conjugate


@jit(fastmath=REASSOCIATE)
def _extrapolated_gradient(G, q_previous, q_before, w, w_previous, w_before, ratio):
    """``b - G w`` at the start ``w`` that :func:`~._cd.extrapolate_along_path` formed
    from ``w_previous`` and ``w_before`` with step ``ratio``, from their own ``q_previous``
    and ``q_before``: ``q`` is affine in the weights, so the extrapolated point's is the
    same combination of theirs (``O(n_features)``), plus a row of ``G`` for each weight
    that starts at zero instead of its extrapolated value."""
    q = np.empty(q_previous.shape[0])
    for i in range(q.shape[0]):
        q[i] = q_previous[i] + ratio * (q_previous[i] - q_before[i])
    for j in range(w.shape[0]):
        shift = w_previous[j] + ratio * (w_previous[j] - w_before[j]) - w[j]
        if shift != 0.0:
            for i in range(q.shape[0]):
                q[i] += shift * G[j, i]
    return q


@jit
def enet_gram_path(G, b, y_norm2, w, l1_strengths, l2_strengths, positive, max_iter, gap_tol,
                   retarget, random_selection, seed, norms, n_samples, W, gaps, n_iter,
                   w_before, strengths_before):
    """:func:`enet_gram_coordinate_descent` along a path, each fit certified by
    :func:`gram_gap_bound`, until one is not.

    Fit ``i`` starts from fit ``i - 1``'s solution (``w`` for the first), extrapolated
    along the path from the solution before it (:func:`~._cd.extrapolate_along_path`;
    for the first fit, ``w_before``, empty if none, and the total strengths ``l1 + l2`` of
    ``w_before`` and ``w`` in ``strengths_before``), and runs to ``gap_tol``; when the
    rounding bound lifts its gap over ``gap_tol``, more descent to ``retarget * gap_tol``
    follows (within ``max_iter`` epochs in all). Its weights, gap and epochs go to
    ``W[i]``, ``gaps[i]``, ``n_iter[i]``. ``w`` is updated in place.

    Returns
    -------
    n_certified : int
        The fits certified, the first ones. The next (if any) needs a certificate on the
        design, or ran out of epochs: ``w`` is where its descent stopped, after
        ``n_iter[n_certified]`` epochs.
    """
    start = w.copy()  # the solution before the first fit's
    before = w_before
    strength_before, strength_previous = strengths_before[0], strengths_before[1]
    no_q = np.empty(0)
    q_previous = q_before = no_q  # b - G w at the last two solutions, once both known
    for i in range(l1_strengths.shape[0]):
        l1_strength, l2_strength = l1_strengths[i], l2_strengths[i]
        if i > 0:  # w is fit i - 1's solution
            before = start if i == 1 else W[i - 2]
            strength_before = strength_previous
            strength_previous = l1_strengths[i - 1] + l2_strengths[i - 1]
        ratio = extrapolate_along_path(w, before, l1_strength + l2_strength,
                                       strength_previous, strength_before)
        q_start = no_q
        if i > 1 and ratio > 0.0:
            q_start = _extrapolated_gradient(G, q_previous, q_before, w, W[i - 1], W[i - 2],
                                             ratio)
        _, epochs, q = enet_gram_coordinate_descent(G, b, y_norm2, w, l1_strength,
                                                    l2_strength, positive, max_iter, gap_tol,
                                                    random_selection, seed, q_start)
        gap = gram_gap_bound(q, w, b, y_norm2, norms, n_samples, l1_strength, l2_strength,
                             positive)[0]
        if gap > gap_tol and epochs < max_iter:
            _, more, q = enet_gram_coordinate_descent(G, b, y_norm2, w, l1_strength,
                                                      l2_strength, positive, max_iter - epochs,
                                                      retarget * gap_tol, random_selection,
                                                      seed, no_q)
            epochs += more
            gap = gram_gap_bound(q, w, b, y_norm2, norms, n_samples, l1_strength,
                                 l2_strength, positive)[0]
        n_iter[i] = epochs
        if not gap <= gap_tol:
            return i
        W[i] = w
        gaps[i] = gap
        q_before, q_previous = q_previous, q
    return l1_strengths.shape[0]
