"""Coordinate descent for the elastic-net least-squares problem (dense and sparse).

Solves, for one target,

    min_w  1/2 ||y - (A - q mean^T) w||^2 + l1 ||w||_1 + l2 / 2 ||w||^2

where ``A`` is the (row-weighted) design, ``q = sqrt(sample_weight)`` and ``mean`` the
weighted column means. Centering is implicit (``mean`` may be all zeros when the design
was centered beforehand, as a weighted dense one is), so sparse designs keep their sparsity:
the kernel keeps the uncentered residual ``r_s = y - A w`` and the scalar
``t = q . r_s``, from which the centered residual's inner products follow exactly:

    (A_j - mean_j q) . r = A_j . r_s - mean_j t,     ||r||^2 = ||r_s||^2 - t^2 / S,

with ``S = q . q`` (valid since ``y`` is centered whenever ``mean`` is non-zero).
"""

import math

import numpy as np

from .._datafits import (
    STALLED_GAP_DECREASE,
    STOP_BELOW_ROUNDING,
    gradient_rounding,
    penalty_below_rounding,
    quadratic_dual_gap,
    stationary_to_rounding,
)
from .._jit import copy_vector, jit
from .._penalties import prox_enet, subdiff_distance_enet
from ._columns import REASSOCIATE, columns_axpy, columns_dot, dense_columns
from ._small_linalg import solve_small

WS_START = 10  # first working-set size
WS_FILLED = 0.9  # support / working-set size from which the working set grows 4x, not 2x
INNER_TOL_RATIO = 0.3  # inner solves stop at this fraction of the outer violation
# ... or once their epochs have visited this many times as many columns as an outer pass
# does: the next outer pass may take a Newton step. Support sizes above the data's rank
# (n < p, tiny alpha) crawled without one: an inner solve of 14500 epochs on 27 x 30
INNER_MAX_PASSES = 10
ANDERSON_DEPTH = 5  # epochs between Anderson extrapolations
# epochs on one working set after which the cyclic order turns to a fresh random permutation
# per epoch, when there are at least SHUFFLE_MIN_SAMPLES_PER_FEATURE samples per working-set
# feature: cyclic descent crawls on columns with a common factor (pairwise correlation 0.8,
# 1000 x 300 elastic net: 24000 epochs cyclic, 400 with this switch), while where the working
# set nears n_samples (flat directions: leukemia, dense_corr) a random order took 2-15x
# longer, and on AR(1) columns with offsets (no intercept) cyclic descent converged in
# 120 - 180 epochs, which a switch after 100 stretched to 280 - 860
SHUFFLE_AFTER_EPOCHS = 300
SHUFFLE_MIN_SAMPLES_PER_FEATURE = 2
# once the signs of the weights hold over an outer iteration, a Newton step on their support
# (see orthant_newton_point) is taken when its cost is within this ratio of the descent work
# since the last one (ski rental: at most that much is wasted when descent would have
# finished alone), and of the work descent still needs at its last rate of convergence; its
# matrix products and factorization run several times faster per multiply-add than
# descent over the columns (see newton_step_pays)
NEWTON_WORK_RATIO = 4.0
SCREENING_MARGIN = 1e-9  # relative, on l1, for the rounding of the Gap Safe test
NEWTON_MAX_ENTRIES = 1 << 24  # of the support's columns copied for its Newton step (128 MiB)
# a support's column is a combination of the previous ones when its squared distance to
# their span is within this fraction of its squared norm (see _independent_support)
DEPENDENT_PIVOT = 1e-10


@jit(fastmath=REASSOCIATE)
def residual(X, X_data, X_indices, X_indptr, is_sparse, X_mean, sw_sum, y, w):
    """Uncentered residual ``r_s = y - A w`` and ``t = q . r_s`` (see the module docstring)."""
    r = y.copy()
    columns_axpy(X, X_data, X_indices, X_indptr, is_sparse, -w, np.arange(w.shape[0]), r)
    t = -sw_sum * (X_mean @ w)  # q . y == 0 whenever X_mean is non-zero (y centered)
    return r, t


@jit(fastmath=REASSOCIATE)
def residual_summaries(X, X_data, X_indices, X_indptr, is_sparse, X_mean, sw_sum, sqrt_sw, y, r,
                       t, XTr, features):
    """Fill ``XTr[features]`` with the centered ``X^T r``; return ``||r||^2`` and ``r . y``.

    The centered residual ``r_s - q t / S`` is formed explicitly, so that a large column
    offset cannot cancel the certificate's terms away.
    """
    shift = t / sw_sum if sw_sum > 0.0 else 0.0
    centered = np.empty_like(r)
    for i in range(r.shape[0]):
        centered[i] = r[i] - sqrt_sw[i] * shift
    q_dot_r = 0.0
    r_norm2 = 0.0
    r_dot_y = 0.0
    for i in range(r.shape[0]):
        q_dot_r += sqrt_sw[i] * centered[i]
        r_norm2 += centered[i] * centered[i]
        r_dot_y += centered[i] * y[i]
    columns_dot(X, X_data, X_indices, X_indptr, is_sparse, centered, features, XTr)
    for j in features:
        XTr[j] -= X_mean[j] * q_dot_r
    return r_norm2, r_dot_y


@jit(fastmath=REASSOCIATE)
def residual_objective(sw_sum, sqrt_sw, r, t, w, l1_strength, l2_strength):
    """The objective at ``w``, from its residual ``r_s`` and ``t`` (centered as by
    :func:`residual_summaries`)."""
    shift = t / sw_sum if sw_sum > 0.0 else 0.0
    r_norm2 = 0.0
    for i in range(r.shape[0]):
        centered = r[i] - sqrt_sw[i] * shift
        r_norm2 += centered * centered
    l1_norm = 0.0
    ridge = 0.0
    for j in range(w.shape[0]):
        l1_norm += abs(w[j])
        ridge += l2_strength * w[j] * w[j]
    return 0.5 * r_norm2 + l1_strength * l1_norm + 0.5 * ridge


@jit
def gap_safe_discards(XTr_j, w_j, lipschitz_j, l1_strength, l2_strength, positive, radius,
                      scale):
    """Whether the Gap Safe sphere proves feature ``j`` zero at the optimum.

    The dual point is ``scale`` times the residual of the lasso on the augmented design
    ``[X; sqrt(l2) I]``; every dual optimum lies within ``radius`` of it, so a feature
    whose correlation with the whole sphere stays below ``l1`` is zero at the optimum.
    """
    corr = scale * (XTr_j - l2_strength * w_j)
    if not positive:
        corr = abs(corr)
    # with a margin for the rounding of corr: at an exact solution (a Newton step's), the
    # sphere shrinks to a point and the features of the support sit on the boundary
    return (corr + radius * np.sqrt(lipschitz_j + l2_strength)
            < l1_strength * (1.0 - SCREENING_MARGIN))


@jit(fastmath=REASSOCIATE)
def _cd_epoch(X, X_data, X_indices, X_indptr, is_sparse, X_mean, sw_sum, w, r, t, lipschitz,
              features, l1_strength, l2_strength, positive, random_selection):
    """One pass of coordinate descent over ``features``; updates ``w`` and ``r`` in place.

    On a dense design, the update of ``r`` by one coordinate and the product of the next
    coordinate's column with the updated ``r`` run in one loop: one pass over ``r`` per
    coordinate instead of two (epochs where most weights move: 1.2x faster on 2000 x 500,
    1.4x on 10000 x 200).

    Returns the new ``t`` and the largest subdifferential distance met along the pass (each
    measured just before its coordinate's update: a cheap optimality estimate).
    """
    n_features = features.shape[0]
    violation = 0.0
    if n_features == 0:
        return t, violation
    # the column loops are written out here: through the inlined helpers of _columns,
    # Numba keeps reference-count updates of the five arrays in this loop (atomic
    # operations on every coordinate: epochs 7x slower)
    if random_selection:
        j_next = features[np.random.randint(0, n_features)]  # noqa: NPY002
    else:
        j_next = features[0]
    dense_dot = 0.0  # the next column's product with r, when dense
    if not is_sparse:
        for i in range(X.shape[0]):
            dense_dot += X[i, j_next] * r[i]
    for k in range(n_features):
        j = j_next
        XTr_j = dense_dot
        has_next = k + 1 < n_features
        if has_next:
            if random_selection:
                j_next = features[np.random.randint(0, n_features)]  # noqa: NPY002
            else:
                j_next = features[k + 1]
        w_j = w[j]
        if lipschitz[j] == 0.0:
            new_w_j = 0.0
        else:
            if is_sparse:
                XTr_j = 0.0
                for k_nz in range(X_indptr[j], X_indptr[j + 1]):
                    XTr_j += X_data[k_nz] * r[X_indices[k_nz]]
            XTr_j -= X_mean[j] * t
            violation = max(violation, subdiff_distance_enet(
                w_j, -XTr_j, l1_strength, l2_strength, positive))
            step = 1.0 / lipschitz[j]
            new_w_j = prox_enet(w_j + step * XTr_j, step, l1_strength, l2_strength, positive)
        dense_dot = 0.0
        if new_w_j != w_j:
            delta = new_w_j - w_j
            if is_sparse:
                for k_nz in range(X_indptr[j], X_indptr[j + 1]):
                    r[X_indices[k_nz]] -= delta * X_data[k_nz]
            elif has_next:
                for i in range(X.shape[0]):
                    r_i = r[i] - delta * X[i, j]
                    r[i] = r_i
                    dense_dot += X[i, j_next] * r_i
            else:
                for i in range(X.shape[0]):
                    r[i] -= delta * X[i, j]
            t -= delta * sw_sum * X_mean[j]
            w[j] = new_w_j
        elif has_next and not is_sparse:
            for i in range(X.shape[0]):
                dense_dot += X[i, j_next] * r[i]
    return t, violation


@jit
def _kth_smallest(values, k):
    """The ``k``-th smallest (from 0) of ``values``, which it reorders (Hoare's selection).

    Linear time on average; ``values`` must hold no NaN. Written out rather than
    ``np.partition``, whose Numba implementation (with its sort and ``np.unique``) took
    10 s of the first compilation of every solver calling it.
    """
    low = 0
    high = values.shape[0] - 1
    while low < high:
        # the median of three as the pivot: sorted or constant runs stay linear
        a, b, c = values[low], values[(low + high) // 2], values[high]
        pivot = max(min(a, b), min(max(a, b), c))
        i = low
        j = high
        while i <= j:
            while values[i] < pivot:
                i += 1
            while pivot < values[j]:
                j -= 1
            if i <= j:
                values[i], values[j] = values[j], values[i]
                i += 1
                j -= 1
        # values[low:j + 1] <= pivot <= values[i:high + 1], and pivot in between
        if k <= j:
            high = j
        elif k >= i:
            low = i
        else:
            break
    return values[k]


@jit
def heap_argsort(values):
    """The indices that sort ``values`` (no NaN) in increasing order (heapsort: O(n log n)
    in every case; ties in no particular order).

    Written out rather than ``np.argsort`` / ``np.sort``, whose Numba quicksort took 3 s
    of the first compilation of ``LinearClassifier('l1')``.
    """
    n = values.shape[0]
    order = np.arange(n)
    for root in range(n // 2 - 1, -1, -1):
        _sift_down(values, order, root, n)
    for end in range(n - 1, 0, -1):
        order[0], order[end] = order[end], order[0]
        _sift_down(values, order, 0, end)
    return order


@jit(inline="always")
def _sift_down(values, order, root, end):
    """Restore the max-heap order of ``values[order[root:end]]`` below ``root``."""
    while True:
        child = 2 * root + 1
        if child >= end:
            return
        if child + 1 < end and values[order[child]] < values[order[child + 1]]:
            child += 1
        if not values[order[root]] < values[order[child]]:
            return
        order[root], order[child] = order[child], order[root]
        root = child


@jit
def largest_scores(features, scores, size):
    """The ``size`` features of largest score, in their order in ``features``.

    Linear time (a selection, not a sort): this runs at every outer iteration over all
    the features that screening kept. Ties at the threshold are taken first come; NaN
    scores (from a non-finite gradient) rank below every other.
    """
    ranks = np.empty_like(scores)
    for k in range(scores.shape[0]):
        ranks[k] = scores[k] if not np.isnan(scores[k]) else -np.inf
    threshold = _kth_smallest(ranks.copy(), scores.shape[0] - size)
    n_above = 0
    for k in range(scores.shape[0]):
        n_above += ranks[k] > threshold
    n_ties = size - n_above  # features at the threshold, taken first come
    selected = np.empty(size, dtype=features.dtype)
    n_selected = 0
    for k in range(scores.shape[0]):
        if ranks[k] > threshold or (ranks[k] == threshold and n_ties > 0):
            if ranks[k] == threshold:
                n_ties -= 1
            selected[n_selected] = features[k]
            n_selected += 1
    return selected


@jit
def _working_set_objective(w_features, r, t, sw_sum, l1_strength, l2_strength):
    """Objective, up to the penalty of the coordinates outside the working set.

    ``w_features`` holds the working set's weights; ``r`` and ``t`` the residual they give.
    """
    value = 0.0
    for i in range(r.shape[0]):
        value += r[i] * r[i]
    if sw_sum > 0.0:
        value -= t * t / sw_sum
    value *= 0.5
    for k in range(w_features.shape[0]):
        w_k = w_features[k]
        value += l1_strength * abs(w_k) + 0.5 * l2_strength * w_k * w_k  # no w_k**2 overflow
    return value


@jit
def extrapolate_along_path(w, w_before, strength, strength_previous, strength_before):
    """Move ``w``, the solution at penalty strength ``strength_previous`` (``l1 + l2``), in
    place to a starting point for ``strength``, on the line through it and ``w_before``,
    the solution at ``strength_before`` (nothing when ``w_before`` is empty).

    While the support and signs hold, the lasso solution is affine in the strength (the
    elastic net's is smooth in it): the next fit of a path then starts nearly solved. The
    step is at most the last one, and a weight at zero or predicted to change sign starts
    at zero. On 100-alpha paths on Gram matrices it took a fifth to a third off the time
    of the paths (tall and near-square designs, correlated columns). Returns the step as a
    fraction of the last one (0 when ``w`` is left as it is).
    """
    if w_before.shape[0] == 0 or strength_previous == strength_before:
        return 0.0
    ratio = min((strength - strength_previous) / (strength_previous - strength_before), 1.0)
    if not ratio > 0.0:  # (also NaN) not further along the same direction
        return 0.0
    for j in range(w.shape[0]):
        predicted = w[j] + ratio * (w[j] - w_before[j])
        w[j] = predicted if predicted * w[j] > 0.0 else 0.0
    return ratio


@jit
def work_to_converge(gap, previous_gap, gap_tol, work_done):
    """Work still needed to bring ``gap`` down to ``gap_tol`` at the linear rate at which
    ``work_done`` brought ``previous_gap`` to ``gap``; ``inf`` when that rate is unknown
    (or ``gap_tol`` is zero: never converges)."""
    if 0.0 < gap_tol < gap < previous_gap < np.inf:
        return work_done * np.log(gap / gap_tol) / np.log(previous_gap / gap)
    return np.inf


@jit
def column_entries(is_sparse, X_indptr, n_samples, features):
    """Entries of the columns ``features`` a pass of descent visits (stored ones when
    sparse)."""
    if not is_sparse:
        return float(n_samples * features.shape[0])
    entries = 0.0
    for j in features:
        entries += X_indptr[j + 1] - X_indptr[j]
    return entries


@jit
def newton_step_pays(n_samples, support_size, descent_entries):
    """Whether a Newton step on a support of ``support_size`` features is worth taking
    after ``descent_entries`` column entries of descent since the last one (ski rental,
    see ``NEWTON_WORK_RATIO``).

    The step copies the support's columns densely: its products cost
    ``n_samples * k^2`` multiply-adds and its factorization ``k^3 / 6``, whatever the
    columns' sparsity, while a pass of descent over a sparse column costs its stored
    entries only.
    """
    k = float(support_size)
    return (0 < k and n_samples * k <= NEWTON_MAX_ENTRIES
            and n_samples * k * k + k**3 / 6.0 <= NEWTON_WORK_RATIO * descent_entries)


@jit
def settled_support(signs, w, newton_tried):
    """The support of ``w`` when its signs are those stored in ``signs`` (at the last outer
    iteration) and no Newton step was tried on them yet, else an empty array; and whether
    one was tried on the current signs. Stores the signs of ``w`` in ``signs``."""
    changed = False
    for j in range(w.shape[0]):
        sign = np.int8(np.sign(w[j]))
        if sign != signs[j]:
            changed = True
            signs[j] = sign
    if changed or newton_tried:
        return np.empty(0, dtype=np.int64), newton_tried and not changed
    return np.flatnonzero(w), False


@jit
def _independent_support(H, rhs, current):
    """Move ``current`` along directions of ``H d = 0`` until the weights left nonzero
    have independent columns; for :func:`orthant_newton_point` where ``H`` is singular.

    Along such a direction the quadratic ``1/2 v.H v - rhs.v`` is linear: each move goes
    the way it does not increase, until a weight reaches zero and leaves (with any that
    reach it at the same step). The directions come from a Cholesky factorization of
    ``H`` on the weights kept, column by column: a column whose pivot (its squared
    distance to the previous columns' span) is within ``DEPENDENT_PIVOT`` of its diagonal
    entry is their combination, ``d`` one on it and minus its coefficients on them.

    Returns
    -------
    point : ndarray of shape (k,)
        The weights moved, exactly zero where they left.
    kept : ndarray of int
        Positions of the weights left nonzero, in order.
    L : ndarray of shape (k, k)
        Cholesky factor of ``H[kept][:, kept]`` in its leading block.
    found : bool
        False when a direction moved no weight towards zero (the quadratic is then
        unbounded below, or flat, along it: no penalty).
    """
    k = current.shape[0]
    point = current.copy()
    kept = np.arange(k)
    L = np.zeros((k, k))
    start = 0  # the rows of L before it are factored
    while True:
        dependent = -1
        for a in range(start, kept.shape[0]):
            for b in range(a):
                value = H[kept[a], kept[b]]
                for c in range(b):
                    value -= L[a, c] * L[b, c]
                L[a, b] = value / L[b, b]
            pivot = H[kept[a], kept[a]]
            for c in range(a):
                pivot -= L[a, c] * L[a, c]
            if not pivot > DEPENDENT_PIVOT * H[kept[a], kept[a]]:
                dependent = a
                break
            L[a, a] = np.sqrt(pivot)
        if dependent < 0:
            return point, kept, L, True
        # column a = sum_c beta_c column c, c < a: L[:a, :a]^T beta = L[a, :a]
        a = dependent
        d = np.zeros(kept.shape[0])
        d[a] = 1.0
        for c in range(a - 1, -1, -1):
            beta = L[a, c]
            for e in range(c + 1, a):
                beta += L[e, c] * d[e]
            d[c] = -beta / L[c, c]
        slope = 0.0  # of the quadratic along d
        for b in range(a + 1):
            H_point = 0.0
            for c in range(kept.shape[0]):
                H_point += H[kept[b], kept[c]] * point[kept[c]]
            slope += (H_point - rhs[kept[b]]) * d[b]
        if slope > 0.0:
            d = -d
        step = np.inf
        leaving = -1
        for b in range(a + 1):
            value = point[kept[b]]
            if value * d[b] < 0.0 and -value / d[b] < step:
                step = -value / d[b]
                leaving = b
        if leaving < 0:  # a flat direction along which no weight reaches zero
            return point, kept, L, False
        # the weights reaching zero together with the leaving one (to rounding: on or
        # across zero) leave too, exactly zero
        first_left = a + 1
        for b in range(a + 1):
            value = point[kept[b]]
            moved = value + step * d[b]
            if b == leaving or moved * value <= 0.0:
                moved = 0.0
                first_left = min(first_left, b)
            point[kept[b]] = moved
        kept = kept[point[kept] != 0.0]
        start = first_left  # the rows from it on are factored again


@jit
def _truncated_newton_point(L, rhs, start, kept):
    """``start`` moved on the weights ``kept`` towards the solution of ``L L^T v = rhs``
    restricted to them (``L`` factors ``H[kept][:, kept]`` in its leading block), stopping
    where a weight first reaches zero (set exactly to zero there); an empty array when no
    step is possible or the point is not finite."""
    m = kept.shape[0]
    target = np.empty(m)
    for a in range(m):
        target[a] = rhs[kept[a]]
        for c in range(a):
            target[a] -= L[a, c] * target[c]
        target[a] /= L[a, a]
    for a in range(m - 1, -1, -1):
        for c in range(a + 1, m):
            target[a] -= L[c, a] * target[c]
        target[a] /= L[a, a]
    step = 1.0
    for a in range(m):
        value = start[kept[a]]
        if target[a] * value <= 0.0:
            step = min(step, value / (value - target[a]))
    if not step > 0.0:
        return np.empty(0)
    point = start.copy()
    for a in range(m):
        j = kept[a]
        point[j] = start[j] + step * (target[a] - start[j])
        if target[a] * start[j] <= 0.0 and start[j] / (start[j] - target[a]) <= step:
            point[j] = 0.0
    if not np.all(np.isfinite(point)):
        return np.empty(0)
    return point


@jit
def _quadratic_value(H, rhs, v):
    """``1/2 v.H v - rhs.v``."""
    return 0.5 * (v @ (H @ v)) - rhs @ v


@jit
def orthant_newton_point(H, rhs, current):
    """Step from ``current`` towards the minimizer of ``1/2 v.H v - rhs.v``, stopping where a
    coordinate first reaches zero (set exactly to zero there).

    On the orthant of the signs of ``current`` (all nonzero), the elastic-net objective
    restricted to a support is such a quadratic (``H`` the Gram matrix of its columns plus
    ``l2 I``, ``rhs`` their products with the target minus ``l1`` times the signs); it
    decreases all along the segment to its minimizer, so the point returned lowers the
    objective as far as the signs allow. Where the support has more weights than the
    data's rank (``H`` singular), the quadratic has no minimizer: weights first leave it
    along the directions it is flat in (see :func:`_independent_support`). When a faint
    ``l2`` (within ``DEPENDENT_PIVOT`` of the columns' squared norms) keeps ``H``
    positive definite, those directions are curved and its minimizer exists: of the two
    points, the one of lower value is returned. Returns an empty array when the point is
    not finite, or when it has a flat direction along which no weight reaches zero.
    """
    k = current.shape[0]
    independent = True
    factored = True
    try:
        L = np.linalg.cholesky(H)
        for a in range(k):
            independent &= L[a, a] * L[a, a] > DEPENDENT_PIVOT * H[a, a]
    except Exception:  # noqa: BLE001 - singular
        independent = False
        factored = False
    if independent:
        return _truncated_newton_point(L, rhs, current, np.arange(k))
    # dependent columns on the support, or curved by a faint l2 only
    newton = np.empty(0)
    if factored:
        newton = _truncated_newton_point(L, rhs, current, np.arange(k))
    moved, kept, L_kept, found = _independent_support(H, rhs, current)
    if not found:
        return newton
    point = _truncated_newton_point(L_kept, rhs, moved, kept)
    if (newton.shape[0] and (point.shape[0] == 0 or _quadratic_value(H, rhs, newton)
                             < _quadratic_value(H, rhs, point))):
        return newton
    return point


# inlined into its only caller: compiled there once, not compiled alone and then
# optimized again with the caller (see sklreg/_jit.py)
@jit(fastmath=REASSOCIATE, inline="always")
def _support_newton_step(X, X_data, X_indices, X_indptr, is_sparse, X_mean, sw_sum, sqrt_sw,
                         w, r, t, support, l1_strength, l2_strength):
    """Newton step on the weights of ``support`` (all the nonzero ones), signs fixed (see
    :func:`orthant_newton_point`), on the centered columns copied densely. It replaces
    ``w`` and ``r`` only when the objective decreases. Returns whether it did, and the new
    ``t``.
    """
    n_samples, k = r.shape[0], support.shape[0]
    shift = t / sw_sum if sw_sum > 0.0 else 0.0
    centered_r = r - sqrt_sw * shift
    # rows: the centered columns of the support
    columns = dense_columns(X, X_data, X_indices, X_indptr, is_sparse, support, n_samples)
    for a in range(k):
        j = support[a]
        if X_mean[j] != 0.0:
            for i in range(n_samples):
                columns[a, i] -= sqrt_sw[i] * X_mean[j]
    H = columns @ columns.T
    current = np.empty(k)
    for a in range(k):
        current[a] = w[support[a]]
    # the minimizer v of the support's quadratic solves (H + l2 I) v = C^T y - l1 s, with
    # C^T y = C^T r + H w
    rhs = columns @ centered_r + H @ current - l1_strength * np.sign(current)
    for a in range(k):
        H[a, a] += l2_strength
    point = orthant_newton_point(H, rhs, current)
    if point.shape[0] == 0:
        return False, t
    deltas = point - current
    r_new = r.copy()
    columns_axpy(X, X_data, X_indices, X_indptr, is_sparse, -deltas, support, r_new)
    t_new = t
    for a in range(k):
        t_new -= deltas[a] * sw_sum * X_mean[support[a]]
    if not (_working_set_objective(point, r_new, t_new, sw_sum, l1_strength, l2_strength)
            < _working_set_objective(current, r, t, sw_sum, l1_strength, l2_strength)):
        return False, t
    copy_vector(r, r_new)
    for a in range(k):
        w[support[a]] = point[a]
    return True, t_new


@jit(fastmath=REASSOCIATE)
def anderson_extrapolation(history, positive):
    """Anderson extrapolation of the iterates in the rows of ``history``.

    Returns the affine combination of ``history[1:]`` that minimizes the norm of the
    combined differences, clipped at zero when ``positive``; an empty array when the
    differences are zero or numerically singular.
    """
    diffs = history[1:] - history[:-1]
    largest = np.max(np.abs(diffs)) if diffs.size else 0.0
    if not largest > 0.0:
        return np.empty(0)
    # scaled by a power of two (exact, the combination unchanged): the products of the
    # differences of weights far from 1 (X and y of very different scales) would overflow
    # or underflow
    diffs *= math.ldexp(1.0, -max(math.frexp(largest)[1], -1000))
    gram = diffs @ diffs.T
    trace = np.trace(gram)
    if not trace > 0.0:
        return np.empty(0)
    for k in range(gram.shape[0]):
        gram[k, k] += 1e-10 * trace
    z = solve_small(gram, np.ones(gram.shape[0]))
    if z.shape[0] == 0:  # numerically singular: skip this extrapolation
        return z
    total = z.sum()
    if total == 0.0 or not np.isfinite(total):
        return np.empty(0)
    extrapolated = (z / total) @ history[1:]
    if positive:
        extrapolated = np.maximum(extrapolated, 0.0)
    return extrapolated


@jit
def moved_off_zero(features, current, extrapolated):
    """The ``features`` where ``extrapolated`` is nonzero and ``current``, the last iterate
    of descent, is zero.

    The combination of earlier iterates moves such a weight off zero by as little as
    1e-11 where its gradient is a twentieth of the L1 bound, and a fit whose gap met its
    tolerance right there reported it: :func:`enet_coordinate_descent` then runs descent
    over these weights, which sets back to exactly zero those whose gradient is within the
    L1 bound.
    """
    moved = np.empty(features.shape[0], dtype=features.dtype)
    n_moved = 0
    for k in range(current.shape[0]):
        if current[k] == 0.0 and extrapolated[k] != 0.0:
            moved[n_moved] = features[k]
            n_moved += 1
    return moved[:n_moved]


# inlined into its only caller: compiled there once, not compiled alone and then
# optimized again with the caller (see sklreg/_jit.py)
@jit(fastmath=REASSOCIATE, inline="always")
def _anderson_step(X, X_data, X_indices, X_indptr, is_sparse, X_mean, sw_sum, w, r, t,
                   features, history, l1_strength, l2_strength, positive):
    """Anderson extrapolation of the last iterates of ``w[features]`` (rows of ``history``).

    The extrapolated point replaces ``w`` (and ``r``) only when it lowers the objective,
    so coordinate descent keeps its descent property. Returns the new ``t``, and the
    features whose weights the point taken moved off zero where descent had left them
    (see :func:`moved_off_zero`).
    """
    none_moved = features[:0]
    extrapolated = anderson_extrapolation(history, positive)
    if extrapolated.shape[0] == 0:
        return t, none_moved
    current = history[-1]
    deltas = extrapolated - current
    r_new = r.copy()
    columns_axpy(X, X_data, X_indices, X_indptr, is_sparse, -deltas, features, r_new)
    t_new = t
    for k in range(features.shape[0]):
        t_new -= deltas[k] * sw_sum * X_mean[features[k]]
    new_value = _working_set_objective(extrapolated, r_new, t_new, sw_sum, l1_strength,
                                       l2_strength)
    if new_value < _working_set_objective(current, r, t, sw_sum, l1_strength, l2_strength):
        copy_vector(r, r_new)
        for k in range(features.shape[0]):
            w[features[k]] = extrapolated[k]
        return t_new, moved_off_zero(features, current, extrapolated)
    return t, none_moved


@jit(fastmath=REASSOCIATE)
def enet_coordinate_descent(
    X,
    X_data,
    X_indices,
    X_indptr,
    is_sparse,
    X_mean,
    sw_sum,
    sqrt_sw,
    lipschitz,
    y,
    w,
    l1_strength,
    l2_strength,
    positive,
    max_iter,
    gap_tol,
    random_selection,
    seed,
    max_work=np.inf,
):
    """Coordinate descent with working sets, Gap Safe screening and Anderson acceleration.

    Outer iterations compute the duality gap over the features not yet screened out
    (the certificate: screened features are zero at the optimum, so this is a valid gap of
    the full problem), discard features with the Gap Safe sphere, and build a working set
    from the nonzero weights and the largest optimality violations. Inner iterations run
    coordinate descent on the working set, extrapolated every ``ANDERSON_DEPTH`` epochs,
    until its violations fall below ``INNER_TOL_RATIO`` times the outer one, or for the
    work of ``INNER_MAX_PASSES`` outer passes. Cyclic
    descent visits the working set in order, until ``SHUFFLE_AFTER_EPOCHS`` epochs have run
    (across outer passes) on one working set of at most
    ``n_samples / SHUFFLE_MIN_SAMPLES_PER_FEATURE`` features; from then on every epoch
    visits it in a new random order (seeded: the fit stays reproducible). Once the signs of
    the weights hold over a whole outer iteration, a Newton step on their support (see
    :func:`orthant_newton_point`) lands on the solution when the support is right; it is
    taken when its cost is within ``NEWTON_WORK_RATIO`` times both the descent work since
    the last one and the work descent still needs at its last rate (see
    :func:`newton_step_pays`), and counts as an epoch. When the penalty is far below the
    rounding of ``X^T r`` (``STOP_BELOW_ROUNDING`` times its estimate, see
    :func:`~sklreg._datafits.penalty_below_rounding`), no dual point can certify
    ``gap_tol``: descent stops, unconverged, once the gradient is within that rounding and
    the gap fell by less than ``STALLED_GAP_DECREASE`` over an outer iteration.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), Fortran order
        Dense design (an empty placeholder when ``is_sparse``).
    X_data, X_indices, X_indptr : ndarray
        CSC parts of the sparse design (empty placeholders when dense).
    is_sparse : bool
        Which of the two representations is used.
    X_mean : ndarray of shape (n_features,)
        Column offsets removed implicitly (zeros when the design is centered).
    sw_sum : float
        ``q . q``, the sum of sample weights the rows were scaled with.
    sqrt_sw : ndarray of shape (n_samples,)
        ``q``, the square roots of the sample weights.
    lipschitz : ndarray of shape (n_features,)
        Squared norms of the centered columns (see
        :func:`~sklreg.solvers._columns.centered_column_sq_norms`).
    y : ndarray of shape (n_samples,), float64
        Target (centered when ``X_mean`` is non-zero).
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
        Draw coordinates uniformly at random instead of cycling.
    seed : int
        Seed of the coordinate draws.
    max_work : float, default=inf
        Stop (unconverged) once this many column passes (dot products or updates of a
        column) have been spent.

    Returns
    -------
    gap : float
        Final duality gap of ``w``, from the best dual point met at an outer iteration
        (every one bounds the optimum from below: a working-set epoch can raise the gap of
        its own dual point while it lowers the objective). ``w`` is the last iterate, of
        the lowest objective met; or, where screening zeroed weights and the epochs after
        did not make up for it, the earlier iterate of lowest objective.
    n_iter : int
        Number of epochs run.
    remaining_work : float
        When stopped unconverged (by ``max_work`` or ``max_iter``), the column passes still
        needed at the rate of the last outer iteration (linear convergence of the gap);
        ``inf`` when it is not known.
    """
    n_features = w.shape[0]
    n_samples = y.shape[0]
    if random_selection:
        np.random.seed(seed)  # noqa: NPY002 (Numba's per-thread generator)
    shuffle = False

    r, t = residual(X, X_data, X_indices, X_indptr, is_sparse, X_mean, sw_sum, y, w)
    active = np.arange(n_features)  # features not screened out, in increasing order
    n_active = n_features
    XTr = np.zeros(n_features)
    scores = np.empty(n_features)
    discarded = np.empty(n_features, dtype=active.dtype)
    discarded_w = np.empty(n_features)
    ws_size = min(WS_START, n_features)
    gap = np.inf
    n_iter = 0
    work = 0.0
    previous_gap = np.inf
    previous_work = 0.0
    previous_working_set = np.empty(0, dtype=active.dtype)
    history = np.empty((ANDERSON_DEPTH + 1, 0))
    n_history = 0
    working_set_epochs = 0  # run on the current working set (across outer passes)
    best_primal = np.inf  # the lowest objective met at an outer iteration, at best_w
    best_w = np.empty_like(w)
    best_dual = -np.inf  # the largest dual objective met at an outer iteration
    signs = np.zeros(n_features, dtype=np.int8)  # of w at the last outer iteration
    newton_tried = False  # on the current signs
    # weights the last extrapolation moved off zero, when no epoch ran since
    moved = np.empty(0, dtype=active.dtype)
    descent_entries = 0.0  # column entries visited by descent since the last Newton step
    entries_per_pass = float(n_samples)  # over a column of the working set, on average
    # a penalty far below the rounding of X^T r: no dual point will certify gap_tol, and
    # the descent stops at the unpenalized solution (to rounding), where the gap stalls
    rounding = gradient_rounding(np.sum(lipschitz), y @ y)
    uncertifiable = penalty_below_rounding(l1_strength, l2_strength,
                                           STOP_BELOW_ROUNDING * rounding, gap_tol)
    while True:
        features = active[:n_active]
        r_norm2, r_dot_y = residual_summaries(
            X, X_data, X_indices, X_indptr, is_sparse, X_mean, sw_sum, sqrt_sw, y, r, t, XTr,
            features,
        )
        primal, gap, lasso_gap, scale = quadratic_dual_gap(
            XTr, r_norm2, r_dot_y, w, l1_strength, l2_strength, positive
        )
        # every dual point met bounds the optimum from below (those of the problems reduced
        # by screening too: their optimum is the full one's)
        best_dual = max(best_dual, primal - gap)
        gap = min(gap, max(primal - best_dual, 0.0))
        if primal <= best_primal:
            best_primal = primal
            copy_vector(best_w, w)
        work += n_active
        if moved.shape[0] > 0 and gap <= gap_tol and n_iter < max_iter and work < max_work:
            # converged at an extrapolated point: descent over the weights it moved off
            # zero sets back to exactly zero those the optimum has at zero (see
            # moved_off_zero). Its steps only lower the objective, so the best dual point
            # still certifies the result: the new gap needs the objective, not X^T r (a
            # point reported even should rounding lift its objective a hair over this one's)
            best_primal = np.inf
            # in order, each visited once: random_order is False, typed as a run-time bool
            # (the literal False compiled a second copy of the epoch, 1.1 s cold)
            random_order = moved.shape[0] < 0
            t, _ = _cd_epoch(X, X_data, X_indices, X_indptr, is_sparse, X_mean, sw_sum, w, r,
                             t, lipschitz, moved, l1_strength, l2_strength, positive, random_order)
            n_iter += 1
            work += moved.shape[0]
            moved = moved[:0]
            primal = residual_objective(sw_sum, sqrt_sw, r, t, w, l1_strength, l2_strength)
            gap = max(primal - best_dual, 0.0)
            if gap <= gap_tol:
                break
            continue
        if gap <= gap_tol or n_iter >= max_iter or work >= max_work:
            break
        if (uncertifiable and gap >= (1.0 - STALLED_GAP_DECREASE) * previous_gap
                and stationary_to_rounding(XTr, w, l2_strength, features, rounding)):
            break
        remaining_passes = work_to_converge(gap, previous_gap, gap_tol, work - previous_work)
        previous_gap, previous_work = gap, work

        support, newton_tried = settled_support(signs, w, newton_tried)
        if newton_step_pays(n_samples, support.size,
                            min(descent_entries, remaining_passes * entries_per_pass)):
            newton_tried = True
            descent_entries = 0.0
            n_iter += 1
            work += float(support.size) ** 2 / NEWTON_WORK_RATIO
            stepped, t = _support_newton_step(
                X, X_data, X_indices, X_indptr, is_sparse, X_mean, sw_sum, sqrt_sw, w, r, t,
                support, l1_strength, l2_strength)
            if stepped:
                n_history = 0
                continue  # to its gap

        if l1_strength > 0.0:
            radius = np.sqrt(2.0 * lasso_gap)
            n_kept = 0
            n_discarded = 0
            for k in range(n_active):
                j = active[k]
                if not gap_safe_discards(XTr[j], w[j], lipschitz[j], l1_strength,
                                         l2_strength, positive, radius, scale):
                    active[n_kept] = j
                    n_kept += 1
                    continue
                if w[j] != 0.0:  # put back into the residual, removed below
                    discarded[n_discarded] = j
                    discarded_w[n_discarded] = w[j]
                    n_discarded += 1
                    t += w[j] * sw_sum * X_mean[j]
                    w[j] = 0.0
                XTr[j] = 0.0  # the gap of the reduced problem certifies the full one
            columns_axpy(X, X_data, X_indices, X_indptr, is_sparse, discarded_w[:n_discarded],
                         discarded[:n_discarded], r)
            n_active = n_kept
            features = active[:n_active]

        n_nonzero = 0
        max_violation = 0.0
        for k in range(n_active):
            j = features[k]
            violation = subdiff_distance_enet(w[j], -XTr[j], l1_strength, l2_strength,
                                              positive)
            max_violation = max(max_violation, violation)
            if w[j] != 0.0:
                n_nonzero += 1
                scores[k] = np.inf
            else:
                scores[k] = violation
        # rebuilt, not only grown: twice the support, four times while the support fills
        # the previous working set (a large support is reached in half the outer passes)
        growth = 4 if n_nonzero >= WS_FILLED * ws_size else 2
        ws_size = min(max(WS_START, growth * n_nonzero), n_active)
        if ws_size == n_active:
            working_set = features.copy()
        else:
            working_set = largest_scores(features, scores[:n_active], ws_size)
        inner_tol = INNER_TOL_RATIO * max_violation

        # the iterates of an unchanged working set keep their history across outer passes
        if not (working_set.shape[0] == history.shape[1]
                and np.array_equal(working_set, previous_working_set)):
            history = np.empty((ANDERSON_DEPTH + 1, working_set.shape[0]))
            n_history = 0
            working_set_epochs = 0
        previous_working_set = working_set
        visits = working_set.copy()
        working_set_entries = column_entries(is_sparse, X_indptr, n_samples, working_set)
        entries_per_pass = working_set_entries / max(working_set.shape[0], 1)
        inner_epochs = 0
        while n_iter < max_iter:
            if (not shuffle and not random_selection
                    and working_set_epochs == SHUFFLE_AFTER_EPOCHS
                    and SHUFFLE_MIN_SAMPLES_PER_FEATURE * working_set.shape[0] <= n_samples):
                shuffle = True
                np.random.seed(0)  # noqa: NPY002
            if shuffle:
                np.random.shuffle(visits)  # noqa: NPY002
            t, violation = _cd_epoch(X, X_data, X_indices, X_indptr, is_sparse, X_mean,
                                     sw_sum, w, r, t, lipschitz, visits, l1_strength,
                                     l2_strength, positive, random_selection)
            n_iter += 1
            inner_epochs += 1
            moved = moved[:0]
            working_set_epochs += 1
            work += working_set.shape[0]
            descent_entries += working_set_entries
            for m in range(working_set.shape[0]):
                history[n_history, m] = w[working_set[m]]
            n_history += 1
            if n_history == ANDERSON_DEPTH + 1:
                t, moved = _anderson_step(X, X_data, X_indices, X_indptr, is_sparse,
                                             X_mean, sw_sum, w, r, t, working_set, history,
                                             l1_strength, l2_strength, positive)
                n_history = 0
            if (violation <= inner_tol or work >= max_work
                    or inner_epochs * working_set.shape[0] >= INNER_MAX_PASSES * n_active):
                break
            # stationary to rounding: an inner_tol below it may never be met; but only
            # after a whole extrapolation window (the outer stall test needs one: the
            # estimate of the rounding can be far above what descent reaches)
            if uncertifiable and violation <= rounding and inner_epochs > ANDERSON_DEPTH:
                break
    remaining_work = work_to_converge(gap, previous_gap, gap_tol, work - previous_work)
    if primal > best_primal:  # screening zeroed weights and descent did not make up for it
        copy_vector(w, best_w)
        gap = max(best_primal - best_dual, 0.0)
    return gap, n_iter, remaining_work
