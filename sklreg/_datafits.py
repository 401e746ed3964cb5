"""Datafits: the quadratic (least-squares) datafit, its dual and duality gap.

The solvers work on a transformed problem on which the objective of
``../shared/CONVENTIONS.md``, multiplied by the sum of sample weights ``S``, reads

    P(w) = 1/2 ||y - X w||^2 + l1 ||w||_1 + l2 / 2 ||w||^2

(rows scaled by the square roots of the sample weights, columns and ``y`` centered
when an intercept is fitted, ``l1 = S alpha l1_ratio``, ``l2 = S alpha (1 - l1_ratio)``).
"""

import math

import numpy as np

from ._jit import jit


@jit
def quadratic_dual_gap(XTr, r_norm2, r_dot_y, w, l1_strength, l2_strength, positive):
    """Primal objective and duality gap of the elastic-net least-squares problem.

    Everything is computed from the residual ``r = y - X w`` through three summaries,
    so dense, sparse and implicitly centered designs share this function.

    Two dual points are tried and the smaller gap is returned (both are valid upper
    bounds on ``P(w) - P*``):

    - the residual rescaled into the dual feasible set of the equivalent lasso on the
      augmented design ``[X; sqrt(l2) I]`` (needs ``l1 > 0``);
    - the residual itself in the Fenchel dual ``y.t - ||t||^2 / 2 - sum_j h*(x_j.t)``
      with ``h*(z) = (|z| - l1)_+^2 / (2 l2)`` (needs ``l2 > 0``).

    Parameters
    ----------
    XTr : ndarray of shape (n_features,)
        ``X^T r``.
    r_norm2 : float
        ``||r||^2``.
    r_dot_y : float
        ``r . y``.
    w : ndarray of shape (n_features,)
        Current weights.
    l1_strength, l2_strength : float
        Penalty strengths (on the same scale as the datafit).
    positive : bool
        Whether the weights are constrained to be non-negative.

    Returns
    -------
    primal : float
        ``P(w)``.
    gap : float
        Duality gap, ``inf`` when neither dual point applies (no penalty).
    lasso_gap : float
        Gap of the first (rescaled) dual point alone, ``inf`` when ``l1 == 0``; the
        radius of the Gap Safe sphere around it is ``sqrt(2 lasso_gap)``.
    scale : float
        The factor the residual was rescaled by in the first dual point.
    """
    n_features = w.shape[0]
    l1_norm = 0.0
    ridge = 0.0
    for j in range(n_features):
        l1_norm += abs(w[j])
        ridge += l2_strength * w[j] * w[j]
    dual_norm = 0.0
    if l1_strength > 0.0:
        for j in range(n_features):
            dual_norm = max(dual_norm, lasso_dual_correlation(XTr[j], w[j], l2_strength,
                                                              positive))
    conjugate = 0.0
    if l2_strength > 0.0:
        inv_root = conjugate_scale(l2_strength)
        for j in range(n_features):
            conjugate += enet_conjugate_term(XTr[j], l1_strength, inv_root, positive)
    return quadratic_gap_from_sums(r_norm2, r_dot_y, l1_norm, ridge, dual_norm, conjugate,
                                   l1_strength, l2_strength)


# Scalar pieces of the gap, shared with the CUDA kernels (``sklreg.cuda`` compiles their
# ``py_func`` as device functions): per-feature terms, and the assembly of the sums.


@jit(inline="always")
def lasso_dual_correlation(XTr_j, w_j, l2_strength, positive):
    """Feature ``j``'s term of the dual norm of the augmented-lasso dual point."""
    corr = XTr_j - l2_strength * w_j
    return corr if positive else abs(corr)


@jit(inline="always")
def conjugate_scale(l2_strength):
    """``1 / sqrt(2 l2)`` (0 when ``l2 == 0``), the factor of :func:`enet_conjugate_term`."""
    if l2_strength > 0.0:
        return 1.0 / (math.sqrt(2.0) * math.sqrt(l2_strength))
    return 0.0


@jit(inline="always")
def enet_conjugate_term(XTr_j, l1_strength, inv_root, positive):
    """``((|XTr_j| - l1)_+ inv_root)^2``: with ``inv_root = 1 / sqrt(2 l2)``
    (:func:`conjugate_scale`), feature ``j``'s term of the penalty conjugate
    ``(|X_j^T r| - l1)_+^2 / (2 l2)``; with ``inv_root = 1``, its numerator.

    Scaled before squaring: ``X^T r`` scales as the product of the scales of ``X`` and
    ``y``, and ``l2`` (for a given solution) as the square of that of ``X``, so the term
    scales as ``y^2`` where its numerator would overflow for both scales near ``1e77``.
    """
    corr = XTr_j if positive else abs(XTr_j)
    excess = corr - l1_strength
    if excess > 0.0:
        scaled = excess * inv_root
        return scaled * scaled
    return 0.0


@jit(inline="always")
def quadratic_gap_from_sums(r_norm2, r_dot_y, l1_norm, ridge, dual_norm, conjugate,
                            l1_strength, l2_strength):
    """Primal, gap, lasso gap and scale of :func:`quadratic_dual_gap` from its sums.

    ``ridge`` is ``l2 ||w||^2``, summed as ``l2 w_j w_j`` (``||w||^2`` alone overflows
    for a small ``X`` and a large ``y``); ``dual_norm`` the largest
    :func:`lasso_dual_correlation`; ``conjugate`` the penalty conjugate, the sum of
    :func:`enet_conjugate_term` with ``inv_root = conjugate_scale(l2)`` over the features.
    """
    primal = 0.5 * r_norm2 + l1_strength * l1_norm + 0.5 * ridge
    gap = np.inf
    scale = 1.0
    if l1_strength > 0.0:
        if dual_norm > l1_strength:
            scale = l1_strength / dual_norm
        dual = scale * r_dot_y - 0.5 * scale * scale * (r_norm2 + ridge)
        gap = primal - dual
    lasso_gap = max(gap, 0.0)
    if l2_strength > 0.0:
        dual = r_dot_y - 0.5 * r_norm2 - conjugate
        gap = min(gap, primal - dual)
    return primal, max(gap, 0.0), lasso_gap, scale


FLOAT64_EPS = float(np.finfo(np.float64).eps)
# a gap that falls by less than this fraction over an outer iteration of a solver has
# stalled (with a penalty below the gradient's rounding: see penalty_below_rounding)
STALLED_GAP_DECREASE = 1e-12
# the solvers stop early (unconverged) only for penalties this far below the estimate of
# the gradient's rounding (gradient_rounding): it is an upper estimate, 1e3 - 1e12 times
# the rounding reached on designs with a column scaled by 1e4 - 1e12, where penalties
# just below it were still certified
STOP_BELOW_ROUNDING = 1e-20


@jit
def gradient_rounding(frobenius2, y_norm2):
    """The rounding level of ``X^T r``: ``eps ||X||_F ||y||``, from ``||X||_F^2`` and
    ``||y||^2`` (the residual is known to ``eps ||y||``). An upper estimate, for each
    feature and for the norm of the whole vector: on 1000 x 800 standardized data it is
    6e-12, and ``max_j |X_j^T r|`` stayed at 2e-13 - 2e-12 once the (unpenalized)
    solution was reached."""
    return FLOAT64_EPS * math.sqrt(frobenius2) * math.sqrt(y_norm2)


@jit
def penalty_below_rounding(l1_strength, l2_strength, rounding, gap_tol):
    """Whether no dual point can certify ``gap_tol`` because the penalty is below the
    ``rounding`` of the gradient (:func:`gradient_rounding`).

    At the optimum ``|X_j^T r| = l1`` on the support: below the rounding, the lasso dual
    point is scaled by about ``l1 / rounding`` and its gap is nearly the whole objective;
    the L2 conjugate's gap, ``(|X^T r| - l1)_+^2 / (2 l2)`` summed, is then at least
    ``(rounding - l1)^2 / (2 l2)``. Both are out of reach when this is True and
    ``rounding`` is the rounding reached; :func:`gradient_rounding` is an upper estimate
    of it (see ``STOP_BELOW_ROUNDING``). Ordinary strengths are many orders of magnitude
    above it.
    """
    if l1_strength >= rounding:
        return False
    if l2_strength <= 0.0:
        return True
    excess = (rounding - l1_strength) * conjugate_scale(l2_strength)
    return excess * excess > gap_tol


@jit
def stationary_to_rounding(XTr, w, l2_strength, features, rounding):
    """Whether the gradient of the smooth part, ``|X_j^T r - l2 w_j|``, is within
    ``rounding`` (:func:`gradient_rounding`) for every feature ``j`` in ``features``."""
    for j in features:
        if abs(XTr[j] - l2_strength * w[j]) > rounding:
            return False
    return True


# Logistic (binary) and multinomial (softmax) datafits. Their scalar functions use ``math``
# (not NumPy ufuncs), so that the CUDA kernels can compile the same functions.
#
# The linear predictions are stored by block, ``Z`` of shape (n_blocks, n_samples): one block
# (the logit of the positive class) for two classes, one per class for K > 2. ``labels`` are
# class indices (0 / 1 for two classes), ``c`` the sample weights divided by their sum ``S``,
# so that the datafit is ``sum_i c_i loss(z_i, y_i)``, the weighted mean of CONVENTIONS.md. In
# both cases the derivative along block ``k`` is ``c_i (p_ik - [y_i == k])`` with ``p`` the
# sigmoid (binary) or softmax (multinomial) probabilities.


@jit(inline="always")
def _log1pexp(u):
    """``log(1 + exp(u))`` without overflow."""
    if u > 0.0:
        return u + math.log1p(math.exp(-u))
    return math.log1p(math.exp(u))


@jit(inline="always")
def _sigmoid(u):
    if u >= 0.0:
        return 1.0 / (1.0 + math.exp(-u))
    e = math.exp(u)
    return e / (1.0 + e)


@jit(inline="always")
def _xlogx(q):
    return q * math.log(q) if q > 0.0 else 0.0


@jit(inline="always")
def _log_sum_exp(Z, D, t, i):
    """``log sum_k exp(Z[k, i] + t D[k, i])`` without overflow (``Z`` alone when ``t = 0``)."""
    top = -np.inf
    for k in range(Z.shape[0]):
        top = max(top, Z[k, i] if t == 0.0 else Z[k, i] + t * D[k, i])
    total = 0.0
    for k in range(Z.shape[0]):
        total += math.exp((Z[k, i] if t == 0.0 else Z[k, i] + t * D[k, i]) - top)
    return top + math.log(total)


@jit
def classification_loss(Z, labels, c, multinomial):
    """Datafit ``sum_i c_i loss(z_i, y_i)`` of the predictions ``Z`` (n_blocks, n_samples)."""
    total = 0.0
    n_samples = Z.shape[1]
    if not multinomial:
        for i in range(n_samples):
            if c[i] != 0.0:
                z = Z[0, i]
                total += c[i] * _log1pexp(-z if labels[i] == 1 else z)
        return total
    for i in range(n_samples):
        if c[i] != 0.0:
            total += c[i] * (_log_sum_exp(Z, Z, 0.0, i) - Z[labels[i], i])
    return total


@jit
def classification_loss_change(Z, P, D, t, labels, c, multinomial, P_new):
    """``classification_loss(Z + t D) - classification_loss(Z)``, summed per sample.

    The difference of the two totals loses ``~sqrt(n_samples) * eps * loss`` to the
    rounding of the sums, far more than the decrease of a Newton step near the optimum.
    Per sample, ``loss(z + d) - loss(z) = log(sum_k p_k exp(d_k - d_y))`` (``p`` the
    probabilities at ``z``, ``y`` the label; for one block, the sigmoid of the margin and
    its change) is computed with ``log1p`` / ``expm1``, accurate to the size of the change.
    ``P`` holds those probabilities (:func:`classification_probabilities` of ``Z``), which
    the line searches have already computed.

    The probabilities at ``Z + t D`` come with the same ``expm1``:
    ``p_k exp(d_k - d_y) / sum_m p_m exp(d_m - d_y)``. They are written to ``P_new``
    unless it is empty (shape ``(n_blocks, 0)``).
    """
    total = 0.0
    n_blocks, n_samples = Z.shape
    write = P_new.shape[1] > 0
    if not multinomial:
        for i in range(n_samples):
            if c[i] == 0.0 and not write:
                continue
            first = labels[i] == 0  # the margin is the predicted score of the first class
            margin = Z[0, i] if first else -Z[0, i]
            change = t * D[0, i] if first else -t * D[0, i]
            if abs(change) <= 1.0:
                # the sigmoid of the margin: an error of eps in it is one of eps * change
                p_margin = P[0, i] if first else 1.0 - P[0, i]
                growth = math.expm1(change)
                total += c[i] * math.log1p(p_margin * growth)
                if write:
                    P_new[0, i] = (P[0, i] * (1.0 + growth) if first
                                   else P[0, i]) / (1.0 + p_margin * growth)
            else:
                total += c[i] * (_log1pexp(margin + change) - _log1pexp(margin))
                if write:
                    P_new[0, i] = _sigmoid(Z[0, i] + t * D[0, i])
        return total
    for i in range(n_samples):
        if c[i] == 0.0 and not write:
            continue
        y = labels[i]
        largest = 0.0
        for k in range(n_blocks):
            largest = max(largest, abs(t * (D[k, i] - D[y, i])))
        if largest <= 1.0:
            weighted = 0.0
            for k in range(n_blocks):
                if k != y:
                    growth = math.expm1(t * (D[k, i] - D[y, i]))
                    weighted += P[k, i] * growth
                    if write:
                        P_new[k, i] = P[k, i] * (1.0 + growth)
            total += c[i] * math.log1p(weighted)
            if write:
                for k in range(n_blocks):
                    P_new[k, i] = (P[k, i] if k == y else P_new[k, i]) / (1.0 + weighted)
        else:
            log_normalizer = _log_sum_exp(Z, D, t, i)
            total += c[i] * (log_normalizer - t * D[y, i] - _log_sum_exp(Z, D, 0.0, i))
            if write:
                for k in range(n_blocks):
                    P_new[k, i] = math.exp(Z[k, i] + t * D[k, i] - log_normalizer)
    return total


@jit
def classification_probabilities(Z, multinomial):
    """Probabilities ``p`` (n_blocks, n_samples): sigmoid of ``Z`` or softmax over blocks."""
    P = np.empty_like(Z)
    n_blocks, n_samples = Z.shape
    if not multinomial:
        for i in range(n_samples):
            P[0, i] = _sigmoid(Z[0, i])
        return P
    for i in range(n_samples):
        z_max = Z[0, i]
        for k in range(1, n_blocks):
            z_max = max(z_max, Z[k, i])
        exp_sum = 0.0
        for k in range(n_blocks):
            P[k, i] = np.exp(Z[k, i] - z_max)
            exp_sum += P[k, i]
        for k in range(n_blocks):
            P[k, i] /= exp_sum
    return P


@jit
def classification_residuals(P, labels, c):
    """Derivatives of the datafit in ``Z``: ``R[k, i] = c_i (p_ik - [y_i == k])``.

    For two classes (one block) the indicator is ``[y_i == 1]``.
    """
    R = np.empty_like(P)
    n_blocks, n_samples = P.shape
    binary = n_blocks == 1
    for i in range(n_samples):
        for k in range(n_blocks):
            target = labels[i] == 1 if binary else labels[i] == k
            R[k, i] = c[i] * (P[k, i] - (1.0 if target else 0.0))
    return R


@jit
def _dual_sums(P, labels, c, G, scale, l1_strength):
    """The two sums of the dual objective at ``theta = -scale * R`` (``G = X^T R``).

    Returns ``(entropy, excess2)``: ``-sum_i c_i sum_k q_ik log q_ik`` with ``q_i = scale p_i
    + (1 - scale) e_{y_i}`` (in the simplex for ``scale`` in [0, 1]), and ``sum_kj
    (scale |G_kj| - l1)_+^2``, from which :func:`classification_gap_from_sums` forms the
    elastic net's conjugate.
    """
    n_blocks, n_samples = P.shape
    binary = n_blocks == 1
    entropy = 0.0
    for i in range(n_samples):
        if c[i] == 0.0:
            continue
        neg_entropy = 0.0
        if binary:
            q = scale * P[0, i] + (1.0 - scale) * (1.0 if labels[i] == 1 else 0.0)
            neg_entropy = _xlogx(q) + _xlogx(1.0 - q)
        else:
            for k in range(n_blocks):
                q = scale * P[k, i] + ((1.0 - scale) if labels[i] == k else 0.0)
                neg_entropy += _xlogx(q)
        entropy -= c[i] * neg_entropy
    excess2 = 0.0
    for k in range(n_blocks):
        for j in range(G.shape[1]):
            excess2 += enet_conjugate_term(scale * G[k, j], l1_strength, 1.0, False)
    return entropy, excess2


@jit(inline="always")
def _elastic_net_dual_value(entropy, excess2, l2_strength):
    """``entropy - h*(scale G)`` with ``h*(v) = (|v| - l1)_+^2 / (2 l2)`` (the indicator of
    ``|v| <= l1`` when ``l2 == 0``: ``-inf`` if violated)."""
    if l2_strength > 0.0:
        return entropy - excess2 / (2.0 * l2_strength)
    return entropy if excess2 == 0.0 else -np.inf


@jit
def classification_gap_from_sums(loss, l1_norm, w_norm2, entropy_scaled, excess2_scaled,
                                 entropy_one, excess2_one, l1_strength, l2_strength):
    """Primal objective and duality gap from the sums of :func:`classification_dual_gap`.

    ``*_scaled`` are the dual sums (:func:`_dual_sums`) at the L1-feasible scale (used when
    ``l1 > 0``), ``*_one`` at scale 1 (used when ``l2 > 0``). Shared by the CPU and the CUDA
    solvers, which reduce the sums on the device.
    """
    primal = loss + l1_strength * l1_norm + 0.5 * l2_strength * w_norm2
    if l1_strength == 0.0 and l2_strength == 0.0:
        return primal, np.inf
    dual = -np.inf
    if l1_strength > 0.0:
        dual = _elastic_net_dual_value(entropy_scaled, excess2_scaled, l2_strength)
    if l2_strength > 0.0:
        dual = max(dual, _elastic_net_dual_value(entropy_one, excess2_one, l2_strength))
    return primal, max(primal - dual, 0.0)


@jit(inline="always")
def feasible_dual_scale(g_max, l1_strength):
    """``min(1, l1 / g_max)``, rounded down until ``scale * g_max <= l1`` holds in floats."""
    scale = min(1.0, l1_strength / g_max) if g_max > 0.0 else 1.0
    while scale * g_max > l1_strength:  # rounding must not leave theta infeasible
        scale *= 1.0 - 2.0**-52
    return scale


@jit
def classification_dual_gap(Z, P, labels, c, G, W, l1_strength, l2_strength):
    """Primal objective and duality gap of penalized logistic / multinomial regression.

    The dual point is ``theta = -scale * R``, the negated datafit derivatives
    (:func:`classification_residuals`) possibly shrunk by ``scale <= 1``. With an intercept,
    it is a valid dual point only when the intercepts are optimal for ``W``
    (``sum_i R[k, i] = 0``): the solvers make them so before calling this function. Two
    scales are tried and the smaller gap returned: ``scale = min(1, l1 / max|G|)``, which
    makes ``theta`` feasible for the L1 part, and ``scale = 1`` (needs ``l2 > 0``). Both
    give a valid upper bound on ``P(W) - P*``.

    Parameters
    ----------
    Z : ndarray of shape (n_blocks, n_samples)
        Linear predictions ``X W^T + b`` (by block).
    P : ndarray of shape (n_blocks, n_samples)
        Probabilities at ``Z`` (:func:`classification_probabilities`), those of the
        residuals ``R`` behind ``G``: the dual point is built from them, so that ``G`` is
        exactly its product with the design.
    labels : ndarray of shape (n_samples,)
        Class indices.
    c : ndarray of shape (n_samples,)
        Sample weights divided by their sum.
    G : ndarray of shape (n_blocks, n_features)
        Gradient of the datafit in ``W``, ``R X``.
    W : ndarray of shape (n_blocks, n_features)
        Weights.
    l1_strength, l2_strength : float
        ``alpha * l1_ratio`` and ``alpha * (1 - l1_ratio)``.

    Returns
    -------
    primal : float
        ``P(W, b)``.
    gap : float
        Duality gap (``inf`` without penalty, where the dual has no feasible point).
    """
    multinomial = Z.shape[0] > 1
    l1_norm = 0.0
    w_norm2 = 0.0
    for k in range(W.shape[0]):
        for j in range(W.shape[1]):
            l1_norm += abs(W[k, j])
            w_norm2 += W[k, j] * W[k, j]
    loss = classification_loss(Z, labels, c, multinomial)
    entropy_scaled = excess2_scaled = entropy_one = excess2_one = 0.0
    if l1_strength > 0.0 or l2_strength > 0.0:
        if l1_strength > 0.0:
            g_max = 0.0
            for k in range(G.shape[0]):
                for j in range(G.shape[1]):
                    g_max = max(g_max, abs(G[k, j]))
            scale = feasible_dual_scale(g_max, l1_strength)
            entropy_scaled, excess2_scaled = _dual_sums(P, labels, c, G, scale, l1_strength)
        if l2_strength > 0.0:
            entropy_one, excess2_one = _dual_sums(P, labels, c, G, 1.0, l1_strength)
    return classification_gap_from_sums(loss, l1_norm, w_norm2, entropy_scaled,
                                        excess2_scaled, entropy_one, excess2_one,
                                        l1_strength, l2_strength)
