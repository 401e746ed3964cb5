"""Coordinate descent for the elastic-net least-squares problem (dense and sparse).

Solves, for one target,

    min_w  1/2 ||y - (A - q mean^T) w||^2 + l1 ||w||_1 + l2 / 2 ||w||^2

where ``A`` is the (row-weighted) design, ``q = sqrt(sample_weight)`` and ``mean`` the
weighted column means. Centering is implicit (``mean`` may be all zeros when the design
was centered beforehand, as for dense input), so sparse designs keep their sparsity:
the kernel keeps the uncentered residual ``r_s = y - A w`` and the scalar
``t = q . r_s``, from which the centered residual's inner products follow exactly:

    (A_j - mean_j q) . r = A_j . r_s - mean_j t,     ||r||^2 = ||r_s||^2 - t^2 / S,

with ``S = q . q`` (valid since ``y`` is centered whenever ``mean`` is non-zero).
"""

import numpy as np

from .._datafits import quadratic_dual_gap
from .._jit import jit
from .._penalties import prox_enet
from ._columns import column_axpy, column_dot, column_sq_norm


@jit
def residual(X, X_data, X_indices, X_indptr, is_sparse, X_mean, sw_sum, y, w):
    """Uncentered residual ``r_s = y - A w`` and ``t = q . r_s`` (see the module docstring)."""
    r = y.copy()
    t = 0.0  # q . y == 0 whenever X_mean is non-zero, since y is then centered
    for j in range(w.shape[0]):
        if w[j] != 0.0:
            column_axpy(j, -w[j], X, X_data, X_indices, X_indptr, is_sparse, r)
            t -= w[j] * sw_sum * X_mean[j]
    return r, t


@jit
def residual_summaries(X, X_data, X_indices, X_indptr, is_sparse, X_mean, sw_sum, y, r, t, XTr):
    """Fill ``XTr`` with the centered ``X^T r``; return ``||r||^2`` and ``r . y``."""
    for j in range(XTr.shape[0]):
        XTr[j] = column_dot(j, X, X_data, X_indices, X_indptr, is_sparse, r) - X_mean[j] * t
    r_norm2 = 0.0
    r_dot_y = 0.0
    for i in range(r.shape[0]):
        r_norm2 += r[i] * r[i]
        r_dot_y += r[i] * y[i]
    if sw_sum > 0.0:
        r_norm2 -= t * t / sw_sum
    return max(r_norm2, 0.0), r_dot_y


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
    return corr + radius * np.sqrt(lipschitz_j + l2_strength) < l1_strength


@jit
def enet_coordinate_descent(
    X,
    X_data,
    X_indices,
    X_indptr,
    is_sparse,
    X_mean,
    sw_sum,
    y,
    w,
    l1_strength,
    l2_strength,
    positive,
    max_iter,
    gap_tol,
    random_selection,
    seed,
    gap_freq,
):
    """Cyclic or random coordinate descent with Gap Safe screening, stopped by the duality gap.

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
    y : ndarray of shape (n_samples,), float64
        Target (centered when ``X_mean`` is non-zero).
    w : ndarray of shape (n_features,), float64
        Initial weights, updated in place.
    l1_strength, l2_strength : float
        Penalty strengths, on the scale of the datafit.
    positive : bool
        Constrain the weights to be non-negative.
    max_iter : int
        Maximum number of epochs (passes over the coordinates not yet screened out).
    gap_tol : float
        Absolute duality gap at which to stop.
    random_selection : bool
        Draw coordinates uniformly at random instead of cycling.
    seed : int
        Seed of the coordinate draws.
    gap_freq : int
        The duality gap is computed (and screening applied) every ``gap_freq`` epochs
        and after the last one.

    Returns
    -------
    gap : float
        Final duality gap.
    n_iter : int
        Number of epochs run.
    """
    n_features = w.shape[0]
    if random_selection:
        np.random.seed(seed)  # noqa: NPY002 (Numba's per-thread generator)

    lipschitz = np.empty(n_features)
    for j in range(n_features):
        norm2 = column_sq_norm(j, X, X_data, X_indices, X_indptr, is_sparse)
        lipschitz[j] = max(norm2 - sw_sum * X_mean[j] * X_mean[j], 0.0)

    r, t = residual(X, X_data, X_indices, X_indptr, is_sparse, X_mean, sw_sum, y, w)
    active = np.arange(n_features)
    n_active = n_features
    XTr = np.empty(n_features)
    gap = np.inf
    n_iter = 0
    for epoch in range(max_iter):
        n_iter = epoch + 1
        for k in range(n_active):
            if random_selection:
                j = active[np.random.randint(0, n_active)]  # noqa: NPY002
            else:
                j = active[k]
            w_j = w[j]
            if lipschitz[j] == 0.0:
                new_w_j = 0.0
            else:
                grad = column_dot(j, X, X_data, X_indices, X_indptr, is_sparse, r) - X_mean[j] * t
                step = 1.0 / lipschitz[j]
                new_w_j = prox_enet(w_j + step * grad, step, l1_strength, l2_strength, positive)
            if new_w_j != w_j:
                delta = new_w_j - w_j
                column_axpy(j, -delta, X, X_data, X_indices, X_indptr, is_sparse, r)
                t -= delta * sw_sum * X_mean[j]
                w[j] = new_w_j
        if n_iter % gap_freq == 0 or n_iter == max_iter:
            r_norm2, r_dot_y = residual_summaries(
                X, X_data, X_indices, X_indptr, is_sparse, X_mean, sw_sum, y, r, t, XTr
            )
            _, gap, lasso_gap, scale = quadratic_dual_gap(
                XTr, r_norm2, r_dot_y, w, l1_strength, l2_strength, positive
            )
            if gap <= gap_tol:
                break
            if l1_strength > 0.0:
                radius = np.sqrt(2.0 * lasso_gap)
                n_kept = 0
                for k in range(n_active):
                    j = active[k]
                    if not gap_safe_discards(XTr[j], w[j], lipschitz[j], l1_strength,
                                             l2_strength, positive, radius, scale):
                        active[n_kept] = j
                        n_kept += 1
                    elif w[j] != 0.0:
                        column_axpy(j, w[j], X, X_data, X_indices, X_indptr, is_sparse, r)
                        t += w[j] * sw_sum * X_mean[j]
                        w[j] = 0.0
                n_active = n_kept
    return gap, n_iter
