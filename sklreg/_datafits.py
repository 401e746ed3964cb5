"""Datafits: the quadratic (least-squares) datafit, its dual and duality gap.

The solvers work on a transformed problem on which the objective of
``../shared/CONVENTIONS.md``, multiplied by the sum of sample weights ``S``, reads

    P(w) = 1/2 ||y - X w||^2 + l1 ||w||_1 + l2 / 2 ||w||^2

(rows scaled by the square roots of the sample weights, columns and ``y`` centered
when an intercept is fitted, ``l1 = S alpha l1_ratio``, ``l2 = S alpha (1 - l1_ratio)``).
"""

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
    w_norm2 = 0.0
    for j in range(n_features):
        l1_norm += abs(w[j])
        w_norm2 += w[j] * w[j]
    primal = 0.5 * r_norm2 + l1_strength * l1_norm + 0.5 * l2_strength * w_norm2

    gap = np.inf
    scale = 1.0
    if l1_strength > 0.0:
        dual_norm = 0.0
        for j in range(n_features):
            corr = XTr[j] - l2_strength * w[j]
            if not positive:
                corr = abs(corr)
            if corr > dual_norm:
                dual_norm = corr
        if dual_norm > l1_strength:
            scale = l1_strength / dual_norm
        dual = scale * r_dot_y - 0.5 * scale * scale * (r_norm2 + l2_strength * w_norm2)
        gap = primal - dual
    lasso_gap = max(gap, 0.0)
    if l2_strength > 0.0:
        conjugate = 0.0
        for j in range(n_features):
            corr = XTr[j] if positive else abs(XTr[j])
            excess = corr - l1_strength
            if excess > 0.0:
                conjugate += excess * excess
        dual = r_dot_y - 0.5 * r_norm2 - conjugate / (2.0 * l2_strength)
        gap = min(gap, primal - dual)
    return primal, max(gap, 0.0), lasso_gap, scale
