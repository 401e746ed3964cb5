"""The elastic-net penalty family: one parameterized penalty for L1, L2 and elastic net.

For a weight array ``w`` the penalty is ``alpha * R(w)`` with

    R(w) = l1_ratio * ||w||_1 + (1 - l1_ratio) / 2 * ||w||_2^2

(``../shared/CONVENTIONS.md``). Inside the solvers it is carried as two scalars,
``l1_strength = alpha * l1_ratio`` and ``l2_strength = alpha * (1 - l1_ratio)``, so that
``'l1'``, ``'l2'``, ``'elasticnet'`` and no penalty share every kernel.
"""


from ._jit import jit

PENALTY_L1_RATIO = {"l1": 1.0, "l2": 0.0, "elasticnet": None}


def effective_l1_ratio(penalty, l1_ratio):
    """The ``l1_ratio`` a ``penalty`` name stands for.

    Parameters
    ----------
    penalty : {'l1', 'l2', 'elasticnet'}
        Name of the penalty (no penalty, None, has no ratio: see
        :func:`penalty_strengths`).
    l1_ratio : float
        The estimator's ``l1_ratio`` parameter, used only for ``'elasticnet'``.

    Returns
    -------
    l1_ratio : float
        1 for ``'l1'``, 0 for ``'l2'``, ``l1_ratio`` for ``'elasticnet'``.
    """
    ratio = PENALTY_L1_RATIO[penalty]
    return float(l1_ratio) if ratio is None else ratio


def penalty_strengths(penalty, alpha, l1_ratio):
    """Split ``alpha * R`` into its L1 and L2 strengths.

    Parameters
    ----------
    penalty : {'l1', 'l2', 'elasticnet', None}
        Name of the penalty; None means no penalty whatever ``alpha`` is.
    alpha : float
        Overall regularization strength.
    l1_ratio : float
        Elastic-net mixing parameter (used only for ``'elasticnet'``).

    Returns
    -------
    l1_strength, l2_strength : float
        ``alpha * l1_ratio`` and ``alpha * (1 - l1_ratio)``.
    """
    if penalty is None:
        return 0.0, 0.0
    ratio = effective_l1_ratio(penalty, l1_ratio)
    return float(alpha) * ratio, float(alpha) * (1.0 - ratio)


@jit(inline="always")
def prox_enet(z, step, l1_strength, l2_strength, positive):
    """Proximal operator of ``step * (l1 |w| + l2 / 2 w^2)`` at ``z`` (scalar).

    Soft-thresholding by ``step * l1_strength`` followed by the shrinkage
    ``1 / (1 + step * l2_strength)``; with ``positive`` the result is also
    projected on ``w >= 0``.
    """
    threshold = step * l1_strength
    if positive:
        shrunk = z - threshold
        if shrunk <= 0.0:
            return 0.0
    elif z > threshold:
        shrunk = z - threshold
    elif z < -threshold:
        shrunk = z + threshold
    else:
        return 0.0
    return shrunk / (1.0 + step * l2_strength)


@jit(inline="always")
def subdiff_distance_enet(w_j, grad_j, l1_strength, l2_strength, positive):
    """Distance of ``-grad_j`` to the subdifferential of the penalty at ``w_j`` (scalar).

    Zero exactly when coordinate ``j`` satisfies its optimality condition; the largest
    distance over the coordinates measures how far ``w`` is from optimal (working sets
    are built from it).
    """
    if w_j == 0.0:
        if positive:
            return max(-grad_j - l1_strength, 0.0)
        return max(abs(grad_j) - l1_strength, 0.0)
    signed_l1 = l1_strength if w_j > 0.0 else -l1_strength
    return abs(grad_j + signed_l1 + l2_strength * w_j)
