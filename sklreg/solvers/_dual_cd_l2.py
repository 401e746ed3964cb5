"""Dual coordinate descent for L2-penalized binary logistic regression without intercept.

The dual of ``min_w sum_i c_i log(1 + exp(-y_i x_i w)) + l2 / 2 ||w||^2`` (labels
``y_i = +-1``) is

    max_{q in [0, 1]^n}  sum_i c_i H(q_i) - l2 / 2 ||w(q)||^2,
    w(q) = sum_i c_i q_i y_i x_i / l2,

with ``H`` the binary entropy; at the optimum ``q_i = sigmoid(-y_i x_i w)``. One coordinate
is maximized exactly by a safeguarded Newton method on the variable nearer to its bound
(``q_i`` or ``1 - q_i``, both stored so that neither loses digits), as in LIBLINEAR's dual
logistic solver (Yu, Huang and Lin, 2011), and ``w`` follows at the cost of one row. An
epoch visits the samples in a random order (by blocks of consecutive rows on sparse designs
of many short rows, see :data:`BLOCK_ROWS`) and costs about one pass over the data, like one
product with the design; the duality gap ``P(w(q)) - D(q)`` after it costs one more, and
is not evaluated after the first epoch (never near a target gap on text data).

On text-like data with a moderate penalty it reaches a relative gap of 1e-6 in a handful of
epochs (dorothea, reuters); on badly scaled designs (raw counts) or weak penalties it can
crawl, so the driver hands over to L-BFGS (warm-started from ``w``) as soon as an epoch
fails to halve the gap (from the third epoch: the second's gap is the first evaluated). An
intercept would add the dual constraint ``sum_i c_i q_i y_i = 0``, which single-coordinate
steps cannot keep (alternating with intercept updates was tried: it crawls on uncentered
sparse data), so problems with an intercept go to L-BFGS directly.
"""

import math

import numpy as np
import scipy.sparse as sp

from .._datafits import classification_loss
from .._jit import jit
from ._columns import REASSOCIATE, unsigned_indices
from ._lbfgs_l2 import design_gradient, design_predictions

MAX_COORDINATE_NEWTON = 100  # Newton steps of one coordinate (a handful in practice)
# |derivative| at which a coordinate is solved, in log-odds units: loose in the first epoch,
# tenfold tighter in each next one (LIBLINEAR's schedule, simplified), down to what the
# target gap needs
FIRST_COORDINATE_TOL = 1e-2
MIN_COORDINATE_TOL = 1e-10
MIN_DECREASE = 0.5  # an epoch must at least halve the gap, or L-BFGS takes over
INITIAL_Q = 1e-3  # cold start: w(q) close to zero (LIBLINEAR's choice)
# sparse designs of many short rows are visited by blocks of consecutive rows in a random
# order of the blocks: rows one by one in a random order start each row with a cache miss
# (news20, 80 entries a row: 8.2 ms an epoch, against 4.0 by blocks of 32), and the blocks
# need as many epochs on news20, reuters (sorted by class or not)
BLOCK_ROWS = 32
SHORT_ROW = 256  # mean stored entries per row below which blocks apply
MIN_BLOCKS = 256  # and with at least this many blocks to shuffle


@jit(inline="always")
def _coordinate_maximizer(curvature, margin, q_old, q_old_complement, tol):
    """Maximize ``H(q) - q margin - curvature / 2 (q - q_old)^2`` over ``q`` in (0, 1).

    ``margin`` is ``y_i x_i w`` at ``q_old`` and ``curvature = c_i ||x_i||^2 / l2``.
    Newton's method runs on ``z = q`` or ``z = 1 - q``, whichever the solution makes small;
    a step leaving ``(0, 1)`` shrinks ``z`` tenfold instead. Returns ``(q, 1 - q)``.
    """
    # the derivative in q, negated, is log(q / (1 - q)) + margin + curvature (q - q_old);
    # its sign at the midpoint tells on which side of 1/2 the root lies
    if 0.5 * curvature * (q_old_complement - q_old) + margin < 0.0:
        z_old, other_old, sign = q_old_complement, q_old, -1.0
    else:
        z_old, other_old, sign = q_old, q_old_complement, 1.0
    z = z_old
    derivative = sign * margin + math.log(z_old / other_old)
    if abs(derivative) <= tol:
        return q_old, q_old_complement
    if z >= 0.5:
        z *= 0.1
        derivative = curvature * (z - z_old) + sign * margin + math.log(z / (1.0 - z))
    for _ in range(MAX_COORDINATE_NEWTON):
        if abs(derivative) <= tol:
            break
        trial = z - derivative / (curvature + 1.0 / (z * (1.0 - z)))
        z = trial if trial > 0.0 else 0.1 * z
        derivative = curvature * (z - z_old) + sign * margin + math.log(z / (1.0 - z))
    if sign > 0.0:
        return z, 1.0 - z
    return 1.0 - z, z


@jit(fastmath=REASSOCIATE)
def _epoch(X, data, indices, indptr, is_sparse, order, signs, c, l2_strength, row_norms2, q,
           q_complement, w, tol):
    """One pass of dual coordinate descent over the rows; updates ``q`` and ``w``.

    The rows are those of the C-ordered ``X``, or of the CSR matrix ``(data, indices,
    indptr)`` when ``is_sparse`` (the other one is an empty placeholder).
    """
    for i in order:
        if c[i] == 0.0:
            continue
        dot = 0.0
        if is_sparse:
            for k in range(indptr[i], indptr[i + 1]):
                dot += data[k] * w[indices[k]]
        else:
            for j in range(X.shape[1]):
                dot += X[i, j] * w[j]
        q_new, q_new_complement = _coordinate_maximizer(
            c[i] * row_norms2[i] / l2_strength, signs[i] * dot, q[i], q_complement[i],
            tol)
        step = (q_new - q[i]) * c[i] * signs[i] / l2_strength
        q[i], q_complement[i] = q_new, q_new_complement
        if step == 0.0:
            continue
        if is_sparse:
            for k in range(indptr[i], indptr[i + 1]):
                w[indices[k]] += step * data[k]
        else:
            for j in range(X.shape[1]):
                w[j] += step * X[i, j]


@jit(fastmath=REASSOCIATE)
def _csr_row_sq_norms(data, indptr):
    """Squared norms of the rows of a CSR matrix (without forming ``X.multiply(X)``)."""
    norms = np.zeros(indptr.shape[0] - 1)
    for i in range(norms.shape[0]):
        for k in range(indptr[i], indptr[i + 1]):
            norms[i] += data[k] * data[k]
    return norms


@jit
def _csc_weighted_sq_sum(data, indices, c):
    """``sum_i c_i ||x_i||^2`` from the CSC parts of ``X``."""
    total = 0.0
    for k in range(data.shape[0]):
        total += c[indices[k]] * data[k] * data[k]
    return total


def row_sq_norms(X):
    """Squared norms of the rows of a dense array or of a canonical CSR matrix (duplicate
    entries would count apart), as :func:`primal_condition_bound` and :func:`dual_cd_l2`
    share them."""
    if sp.issparse(X):
        return _csr_row_sq_norms(X.data, unsigned_indices(X)[1])
    return np.einsum("ij,ij->i", X, X)


def primal_condition_bound(X, c, l2_strength, row_norms2=None):
    """``1 + sum_i c_i ||x_i||^2 / (4 l2)``: an upper bound on the condition number of the
    primal objective's Hessian ``X^T diag(c p (1 - p)) X + l2 I`` (the trace bounds the
    largest eigenvalue; ``p (1 - p) <= 1/4``), in one pass over the stored entries, or from
    the squared row norms ``row_norms2`` when given (:func:`row_sq_norms`)."""
    if row_norms2 is None and sp.issparse(X) and X.format == "csc":
        trace = _csc_weighted_sq_sum(X.data, unsigned_indices(X)[0], c)
    else:
        if row_norms2 is None:
            row_norms2 = row_sq_norms(sp.csr_matrix(X) if sp.issparse(X) else X)
        trace = float(c @ row_norms2)
    return 1.0 + trace / (4.0 * l2_strength)


@jit
def _dual_value(q, q_complement, c, w, l2_strength):
    """``sum_i c_i H(q_i) - l2 / 2 ||w||^2``."""
    total = 0.0
    for i in range(q.shape[0]):
        if c[i] != 0.0:
            entropy = 0.0
            if q[i] > 0.0:
                entropy -= q[i] * math.log(q[i])
            if q_complement[i] > 0.0:
                entropy -= q_complement[i] * math.log(q_complement[i])
            total += c[i] * entropy
    return total - 0.5 * l2_strength * (w @ w)


def dual_cd_l2(X, labels, c, w, l2_strength, max_iter, gap_tol, row_norms2=None):
    """Dual coordinate descent from a cold start, with a certified stop; writes ``w``.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        Design in float64.
    labels : ndarray of shape (n_samples,)
        Class indices in {0, 1}.
    c : ndarray of shape (n_samples,)
        Sample weights divided by their sum.
    w : ndarray of shape (n_features,)
        Weights in float64, overwritten (the method starts from its own dual point).
    l2_strength : float
        ``alpha * (1 - l1_ratio)`` (> 0).
    max_iter : int
        Maximum number of epochs.
    gap_tol : float
        Absolute duality gap to reach.
    row_norms2 : ndarray of shape (n_samples,), optional
        The squared row norms of ``X`` (:func:`row_sq_norms`), if already computed.

    Returns
    -------
    gap : float
        Duality gap of the returned point (``inf`` when handing over).
    n_iter : int
        Epochs run.
    handed_over : bool
        Whether progress was too slow and another solver should continue from ``w``.
        Whether handed over or stopped by ``max_iter``, ``w`` is zero if the epochs ended at
        a worse objective than zero weights.
    """
    if sp.issparse(X):
        if X.format != "csr":  # (a CSR X keeps its object: its canonical flag is cached)
            X = sp.csr_matrix(X)
        if not X.has_canonical_format:  # duplicate entries would enter the norms apart
            X = X.copy()
            X.sum_duplicates()
        indices, indptr = unsigned_indices(X)
        arrays = (np.empty((0, 0)), X.data, indices, indptr, True)
        operands = (X, X.data, indices, indptr)
    else:
        X = np.ascontiguousarray(X)
        no_index = np.empty(0, dtype=np.uint32)
        arrays = (X, np.empty(0), no_index, no_index, False)
        operands = (X, None, None, None)
    if row_norms2 is None:
        row_norms2 = row_sq_norms(X)
    signs = np.where(labels == 1, 1.0, -1.0)
    null_primal = classification_loss(np.zeros((1, labels.shape[0])), labels, c, False)
    q = np.full(labels.shape[0], INITIAL_Q)
    q_complement = np.full(labels.shape[0], 1.0 - INITIAL_Q)
    w[:] = design_gradient(operands, (c * q * signs / l2_strength)[None])[0]
    n_samples = labels.shape[0]
    block_rows = (BLOCK_ROWS if sp.issparse(X) and X.nnz < SHORT_ROW * n_samples
                  and n_samples >= MIN_BLOCKS * BLOCK_ROWS else 1)
    block_starts = np.arange(0, n_samples, block_rows)
    rng = np.random.default_rng(0)
    # a coordinate left at |derivative| d costs at most c_i d^2 / 8 of dual value (the
    # entropy's curvature is at least 4): sqrt(gap_tol) keeps their sum below gap_tol / 8
    final_coordinate_tol = max(MIN_COORDINATE_TOL, math.sqrt(gap_tol))
    coordinate_tol = max(FIRST_COORDINATE_TOL, final_coordinate_tol)
    previous_gap = np.inf
    for n_iter in range(1, max_iter + 1):
        rng.shuffle(block_starts)  # a cyclic order needs 2-3x more epochs on text data
        order = (block_starts[:, None] + np.arange(block_rows)).ravel()
        if block_rows > 1:
            order = order[order < n_samples]
        _epoch(*arrays, order, signs, c, l2_strength, row_norms2, q, q_complement, w,
               coordinate_tol)
        coordinate_tol = max(final_coordinate_tol, 0.1 * coordinate_tol)
        if n_iter == 1 < max_iter:
            # no gap after the first epoch: never near the target (a relative gap of 5e-2
            # to 9e-2 on news20, reuters, dorothea); the halving test starts at the third
            continue
        Z = design_predictions(operands, w[None])
        primal = classification_loss(Z, labels, c, False) + 0.5 * l2_strength * (w @ w)
        dual = _dual_value(q, q_complement, c, w, l2_strength)
        gap = primal - dual
        if gap <= gap_tol:
            return gap, n_iter, False
        last = n_iter == max_iter
        if last or not gap <= MIN_DECREASE * previous_gap:  # slow, or not finite (tiny l2)
            if not primal < null_primal:  # the first epochs can overshoot far beyond it
                w[:] = 0.0
                gap = null_primal - dual  # against the same dual point
            if last and np.isfinite(gap):
                return gap, n_iter, False
            return np.inf, n_iter, True
        previous_gap = gap
    return np.inf, 0, True  # max_iter == 0
