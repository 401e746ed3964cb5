"""Solve a prepared least-squares :class:`~sklreg.linear._design.Design` for all its targets."""

import functools
import warnings
from typing import NamedTuple

import numpy as np
import scipy.optimize
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from .._datafits import (
    gradient_rounding,
    penalty_below_rounding,
    quadratic_dual_gap,
    quadratic_gap_from_sums,
)
from ..solvers._cd import enet_coordinate_descent, residual, residual_summaries
from ..solvers._columns import centered_column_sq_norms, row_major_residual_correlations
from ..solvers._direct import (
    centered_gram,
    centered_row_products,
    difference_minus_outer,
    recenter_cancelled,
    ridge_cholesky,
    ridge_lsqr,
    symmetric_products,
)
from ..solvers._gram import enet_gram_coordinate_descent, enet_gram_path, gram_gap_bound
from ._design import stored_per_column, stored_per_row

DIRECT_SPARSE_MAX_FEATURES = 2000  # sparse X: Gram-matrix Cholesky up to this many features
# sparse X with at most KERNEL_MAX_SAMPLES samples, fewer than features: ridge factors
# X X^T (n x n) when forming it (a sum of the columns' outer products) and factoring it
# (BLAS: n^3 / 3 multiply-adds, counted 30x faster than a sparse product's) cost less than
# this many LSQR iterations (two products each). Ridge at the mean column variance took 38
# ms against LSQR's 92 on dorothea (800 x 88119), 9 against 49 on arcene (100 x 10000);
# 180 against 25 on 2000 x 10000 (2% stored: X X^T, 32 MB, formed out of cache). Random
# designs at 5% - 20% (300 - 800 x 8000 - 30000), where LSQR needs 6 - 13 iterations,
# took up to 2.3x LSQR's time at a bound of 20 iterations (2x on 300 x 30000 and 800 x
# 30000 still); their paths were 1.6 - 3x faster on one eigendecomposition
KERNEL_MAX_LSQR_ITERATIONS = 10
KERNEL_MAX_SAMPLES = 1000
GRAM_MAX_FEATURES = 2000  # 'auto' may move coordinate descent to X^T X up to this size
# full passes of coordinate descent on X before 'auto' may switch: near least squares on
# n >> p (2000 x 100 at alpha_max / 1e4), descent converged in 10 passes, 1.35 ms, where
# a switch after 8 went through X^T X (2.1 ms; scikit-learn 1.8 ms)
GRAM_MIN_PASSES = 12
GRAM_BLAS_SPEEDUP = 16  # flops of a BLAS Gram product per flop of a coordinate-descent pass
# the Gram route's own cost (about 0.25 ms, mostly Python), in multiply-adds of coordinate
# descent on X (n_samples per column pass)
GRAM_FIXED_WORK = 800_000
GRAM_SUBSET_MAX = 0.7  # above this fraction of the features, the Gram matrix of all of them
NEAR_ACTIVE = 0.5  # |X_j^T r| above this fraction of the L1 strength: likely in the support
MAX_GRAM_ROUNDS = 4  # solves on a subset Gram matrix, extended by the features it missed
GRAM_RETARGET = 0.5  # gap target of more descent on the Gram matrix its certificate missed
# descent on a float32 shadow stops below the target gap by this much of the null
# objective, left for the rounding of its design, which the certificate on the float64
# design adds (6e-8 - 4e-7 on the lasso of the synthetic dense sets, 1e-12 on the elastic
# net); at most at this fraction of the target, though: tighter ones cost slow problems
# epochs (an uncentered lasso at tol 1e-4 took 75 on the shadow to 2 in float64 at a ratio
# of 0.5 for every target)
SHADOW_ROUNDING_GAP = 1e-6
SHADOW_GAP_RATIO = 0.5
# a float32 shadow pays at relative tolerances from this one: below it, the rounding of
# its design would leave most fits to descent on the float64 design
SHADOW_MIN_TOL = 1e-6
# the share of a float32 path's gap target its compiled descent may use: the rest is left
# to the rounding of its weights to float32 (a fit extrapolated along the path can start
# within the target, and its rounded weights then missed it)
FLOAT32_DESCENT_SHARE = 0.5


class LeastSquaresResult(NamedTuple):
    """Solution of every target (scaled objective, i.e. times the weight sum ``S``)."""

    W: np.ndarray  # (n_targets, n_features), float64
    gaps: np.ndarray  # (n_targets,), duality gaps (nan when no penalty certifies them)
    gap_tols: np.ndarray  # (n_targets,), gaps required by tol
    n_iter: np.ndarray  # (n_targets,), epochs or iterations (1 for direct solves)
    solver: str  # the solver used: 'cd', 'gram', 'cholesky', 'lsqr', 'nnls' or 'cuda-fista'


def sparse_kernel_pays(X, column_counts=None):
    """Whether ridge on the sparse ``X`` should factor ``X X^T`` rather than run LSQR (see
    :data:`KERNEL_MAX_LSQR_ITERATIONS`); never with at least as many samples as features.
    ``column_counts``: the stored entries of each column, when known."""
    n_samples, n_features = X.shape
    if n_samples >= n_features or n_samples > KERNEL_MAX_SAMPLES:
        return False
    counts = stored_per_column(X) if column_counts is None else column_counts
    return _factoring_pays(counts, n_samples, X.nnz)


def sparse_gram_pays(X):
    """Whether ridge on the sparse ``X`` should factor the smaller of ``X^T X`` and
    ``X X^T`` rather than run LSQR: forming it (a sum of the rows' or the columns' outer
    products) and factoring it (``m^3 / 3`` multiply-adds, counted as for
    :func:`sparse_kernel_pays`) cost less than :data:`KERNEL_MAX_LSQR_ITERATIONS` LSQR
    iterations. A single fit's choice (a path factors once for all its alphas): on
    5000 x 2000 at 1% stored, the factorization took 0.11 s, LSQR 4 - 11 ms (scikit-learn's
    Ridge 4 - 11 ms)."""
    n_samples, n_features = X.shape
    # X^T X: the rows' outer products; X X^T: the columns'
    counts = stored_per_row(X) if n_samples >= n_features else stored_per_column(X)
    return _factoring_pays(counts, min(n_samples, n_features), X.nnz)


def _factoring_pays(counts, size, nnz):
    """Whether forming a ``size x size`` Gram matrix from outer products of vectors with
    ``counts`` stored entries and factoring it (BLAS: ``size^3 / 3`` multiply-adds, counted
    30x faster than a sparse product's) cost less than :data:`KERNEL_MAX_LSQR_ITERATIONS`
    LSQR iterations (two products with the ``nnz`` stored entries each)."""
    counts = counts.astype(np.float64)
    work = 0.5 * (counts @ counts) + size**3 / 90.0
    return work <= KERNEL_MAX_LSQR_ITERATIONS * 4.0 * nnz


def design_kernel_pays(design, solver, l1_strength):
    """:func:`sparse_kernel_pays` of a sparse design, evaluated only where
    :func:`choose_solver` may use it ('auto' without an L1 part), on the design's cached
    column counts (a path asks at every alpha)."""
    return (solver == "auto" and l1_strength == 0.0 and design.is_sparse
            and sparse_kernel_pays(design.A, design.column_counts))


def choose_solver(solver, shape, sparse, l1_strength, l2_strength, positive,
                  kernel_pays=False, gram_pays=True):
    """Resolve ``solver='auto'`` and reject combinations a solver cannot handle.

    Parameters
    ----------
    solver : {'auto', 'cd', 'gram', 'cholesky', 'lsqr'}
        Requested solver ('nnls' is only chosen by 'auto').
    shape : tuple of int
        The design's shape.
    sparse : bool
        Whether the design is a sparse matrix.
    l1_strength, l2_strength : float
        Penalty strengths (only whether they are positive matters).
    positive : bool
        Non-negative weights.
    kernel_pays : bool, default=False
        For a sparse design, :func:`sparse_kernel_pays`: ridge factors ``X X^T`` whatever
        the number of features.
    gram_pays : bool, default=True
        For a sparse design of at most ``DIRECT_SPARSE_MAX_FEATURES`` features, whether
        ridge factors the smaller of ``X^T X`` and ``X X^T`` (see :func:`sparse_gram_pays`)
        rather than run LSQR.

    Returns
    -------
    solver : {'cd', 'gram', 'cholesky', 'lsqr', 'nnls'}
    """
    penalized = l1_strength > 0.0 or l2_strength > 0.0
    if solver == "auto":
        if l1_strength > 0.0 or (positive and penalized):
            return "gram" if gram_switch_work(*shape) == 0 else "cd"
        if positive:
            return "nnls"
        if (not sparse or kernel_pays
                or (shape[1] <= DIRECT_SPARSE_MAX_FEATURES and gram_pays)):
            return "cholesky"
        return "lsqr"
    if solver in ("cd", "gram") and not penalized:
        raise ValueError(
            f"solver={solver!r} needs a penalty with alpha > 0: without one the duality gap "
            "cannot certify a solution. Use solver='auto'"
            + ("." if positive else " or 'cholesky'.")
        )
    if solver in ("cholesky", "lsqr"):
        if l1_strength > 0.0:
            raise ValueError(
                f"solver={solver!r} solves only the L2 or unpenalized problem; with an "
                "L1 part (penalty='l1' or 'elasticnet' with l1_ratio > 0) use 'cd' or 'auto'."
            )
        if positive:
            alternatives = "'cd' or 'auto'" if penalized else "'auto' (non-negative least squares)"
            raise ValueError(
                f"solver={solver!r} does not support positive=True; use {alternatives}."
            )
    return solver


def _by_products(design):
    """Whether the gap of ``design`` is computed by products with ``A`` rather than by the
    compiled column kernels: for a sparse design, or a float64 dense one laid out by rows
    or not yet laid out (BLAS, no copy by columns; see :meth:`Design.product_operands`).
    A float32 one is copied by columns: each product with float64 weights would cast the
    whole of it to float64 (twice its size, 2.5 - 3 times the time of the kernels on the
    float32 copy)."""
    return design.is_sparse or (not design.by_columns and design.dtype == np.float64)


def _product_residual(design, w, y):
    """``y - (diag(s) A - q X_mean^T) w`` by a product with ``A`` (implicitly centered; see
    :meth:`Design.product_operands`): for a sparse design, or a float64 dense one laid out
    by rows (see :func:`_by_products`)."""
    A, X_mean, row_scale = design.product_operands()
    fitted = np.asarray(A @ w, dtype=np.float64).ravel()
    return y - row_scale * fitted + design.sqrt_sw * (X_mean @ w)


def design_gap(design, w, target, l1_strength, l2_strength, positive):
    """Primal objective and duality gap of ``w`` for one target (scaled objective)."""
    y = np.ascontiguousarray(design.Y[:, target])
    if _by_products(design):
        A, X_mean, row_scale = design.product_operands()
        if not design.is_sparse and A.flags.c_contiguous:
            r, XTr = row_major_residual_correlations(A, X_mean, design.sqrt_sw, row_scale,
                                                     y, w)
        else:
            r = _product_residual(design, w, y)
            XTr = (np.asarray(A.T @ (row_scale * r), dtype=np.float64)
                   - X_mean * (design.sqrt_sw @ r))
        r_norm2, r_dot_y = r @ r, r @ y
    else:
        arrays = design.kernel_arrays
        r, t = residual(*arrays, design.X_mean, design.sw_sum, y, w)
        XTr = np.empty(w.shape[0])
        r_norm2, r_dot_y = residual_summaries(
            *arrays, design.X_mean, design.sw_sum, design.sqrt_sw, y, r, t, XTr,
            np.arange(w.shape[0]),
        )
    primal, gap, _, _ = quadratic_dual_gap(
        XTr, r_norm2, r_dot_y, w, l1_strength, l2_strength, positive
    )
    return primal, gap


def gram_certified_gap(design, G, B, w, target, l1_strength, l2_strength, positive, gap_tol,
                       bound_norms=None, XTr=None):
    """Duality gap of ``w`` for one target from the Gram matrix of all the features, with
    a bound on its rounding (scaled objective; ``G`` and ``B`` in float64, of a float64 or
    float32 design: its entries are exact in float64).

    ``X^T r = B - G w`` is known up to ``delta_j``, which covers the rounding of ``G`` and
    ``B`` (with the cancellation of the implicit centering: the bound grows with the
    uncentered norms) and of the product, through ``|G_jk| <= sqrt(G_jj G_kk)``; the dual
    point is scaled, and the conjugate bounded, with ``|X_j^T r| + delta_j``. ``||r||^2``
    and ``r.y`` come from the Gram summaries too, their rounding bound added to the gap;
    when that sum exceeds ``gap_tol`` (the subtraction cancels where ``||r||^2 <<
    ||y||^2``), they are formed from the residual on the design, from the columns of the
    support of ``w`` alone. Either way the gap is a valid bound, within ``O(delta)`` of
    the exact one, without the ``O(n_samples n_features)`` passes over ``X`` that took
    more than half the time of a path on ``n_samples >> n_features``. ``bound_norms``
    replaces the design's uncentered column norms in the bound for a ``G`` whose rounding
    scales with larger ones (see :func:`training_gram`). ``XTr``, when given, is ``b - G w``
    as the solver formed it (with at most ``n_features`` products per entry, as here).
    """
    y = np.ascontiguousarray(design.Y[:, target])
    b = np.ascontiguousarray(B[:, target])
    if XTr is None:
        XTr = b - G @ w
    norms = gram_bound_norms(design, G, bound_norms)
    gap, *sums = gram_gap_bound(XTr, w, b, float(y @ y), norms, design.shape[0],
                                l1_strength, l2_strength, positive)
    if gap <= gap_tol:
        return gap
    if _by_products(design):
        r = _product_residual(design, w, y)
    else:
        r, t = residual(*design.kernel_arrays, design.X_mean, design.sw_sum, y, w)
        r -= design.sqrt_sw * (t / design.sw_sum)
    return quadratic_gap_from_sums(r @ r, r @ y, *sums, l1_strength, l2_strength)[1]


def gram_bound_norms(design, G, bound_norms=None):
    """The column norms that bound the rounding of ``G`` in :func:`gram_certified_gap`:
    ``bound_norms`` when given, else the design's uncentered ones."""
    if bound_norms is not None:
        return bound_norms
    return np.sqrt(G.diagonal() + design.sw_sum * design.X_mean**2)


def gram_certified_rounded(design, G, B, w, target, l1_strength, l2_strength, positive,
                           gap_tol, bound_norms, XTr):
    """``w`` rounded to the design's dtype and its gap from the Gram matrix of all the
    features, as :func:`certify_rounded` on the design: the smaller of the rounded
    weights' own gap (:func:`gram_certified_gap`) and, where that one is above
    ``gap_tol``, ``gap(w) + P(rounded) - P(w)``, the increase bounded on the Gram
    summaries with their rounding (:func:`gram_objective_increase`). ``XTr`` is ``b - G
    w`` as the solver formed it.
    """
    rounded = w.astype(design.dtype).astype(np.float64)
    gap = gram_certified_gap(design, G, B, rounded, target, l1_strength, l2_strength,
                             positive, gap_tol, bound_norms)
    if gap > gap_tol:  # rounding moves the dual point to first order, P to second only
        unrounded = gram_certified_gap(design, G, B, w, target, l1_strength, l2_strength,
                                       positive, gap_tol, bound_norms, XTr)
        y = design.Y[:, target]
        increase = gram_objective_increase(G, XTr, w, rounded, float(y @ y),
                                           gram_bound_norms(design, G, bound_norms),
                                           design.shape[0], l1_strength, l2_strength)
        gap = min(gap, unrounded + max(increase, 0.0))
    return rounded, gap


def gram_objective_increase(G, q, w, v, y_norm2, norms, n_samples, l1_strength,
                            l2_strength):
    """An upper bound on ``P(v) - P(w)`` (scaled objective) from the Gram matrix ``G`` of
    all the features and ``q = b - G w``, for ``v`` near ``w`` (``w`` rounded).

    With ``d = v - w``: ``P(v) - P(w) = -d.q + d^T G d / 2 + R(v) - R(w)``, no term of the
    size of ``P`` cancelling. ``q`` is known up to ``delta_j = u spread norms_j`` and ``G``
    up to ``u norms_j norms_k`` (the bounds of
    :func:`~sklreg.solvers._gram.gram_gap_bound`, whose ``u`` and ``spread`` these are),
    which add ``u spread (norms.|d|) + u (norms.|d|)^2 / 2``; the sums here are bounded as
    ``(n_features + 2) eps`` times those of absolute values.
    """
    eps = np.finfo(np.float64).eps
    n_features = w.shape[0]
    d = v - w
    abs_d = np.abs(d)
    unit_bound = (2.0 * n_features + 4.0 * n_samples + 12.0) * eps
    spread = np.sqrt(y_norm2) + norms @ np.abs(w)
    d_norms = norms @ abs_d
    Gd = G @ d
    penalty_terms = l1_strength * (np.abs(v) - np.abs(w)) + 0.5 * l2_strength * d * (v + w)
    increase = -(d @ q) + 0.5 * (d @ Gd) + np.sum(penalty_terms)
    magnitudes = (abs_d @ np.abs(q) + d_norms**2 + l1_strength * abs_d.sum()
                  + l2_strength * abs_d @ np.abs(v + w))
    rounding = (unit_bound * spread * d_norms + 0.5 * unit_bound * d_norms**2
                + (n_features + 2.0) * eps * magnitudes)
    return float(increase + rounding)


def certify_rounded(design, W, active, l1_strength, l2_strength, positive, gap_tols=None,
                    known_gaps=None):
    """Round ``W`` to the design's float dtype and certify the rounded weights.

    For float32 the gap of the rounded weights is bounded by the smaller of their own
    gap and ``gap(W) + P(rounded) - P(W)`` (since ``P(W) - P* <= gap(W)``): rounding
    moves the dual point to first order but the objective only to second order. The
    second bound is computed only where the first is above ``gap_tols`` (when given).
    ``known_gaps``, when given, are certified gaps of ``W`` (a solver's, from the best
    dual point it met, which can be far tighter than that of ``W``'s own residual) that
    take the place of ``gap(W)`` in the second bound where they are smaller.

    Returns
    -------
    W_rounded : ndarray of shape (n_targets, n_features), float64
    gaps : ndarray of shape (n_targets,)
    """
    W_rounded = W.astype(design.dtype).astype(np.float64)
    gaps = np.zeros(W.shape[0])
    for k in active:
        if design.dtype == np.float64:
            gaps[k] = design_gap(design, W[k], k, l1_strength, l2_strength, positive)[1]
            continue
        primal_rounded, gap = design_gap(design, W_rounded[k], k, l1_strength, l2_strength,
                                         positive)
        if gap_tols is None or gap > gap_tols[k]:
            primal, gap_unrounded = design_gap(design, W[k], k, l1_strength, l2_strength,
                                               positive)
            if known_gaps is not None:
                gap_unrounded = min(gap_unrounded, known_gaps[k])
            gap = min(gap, gap_unrounded + max(primal_rounded - primal, 0.0))
        gaps[k] = gap
    return W_rounded, gaps


def starting_point(design, positive, W_init):
    """``(W, gaps, n_iter, null_objectives)`` before any solver runs, for every target.

    ``W`` is the warm start ``W_init`` (clipped at zero when ``positive``: the gap certifies
    feasible points only) or zeros, and zeros for a constant target (``null_objectives``
    zero: ``w = 0`` fits it, and no solver visits it); ``gaps`` and ``n_iter`` are zeros.
    """
    n_targets = design.Y.shape[1]
    null_objectives = design.null_objectives()
    W = np.zeros((n_targets, design.shape[1]))
    if W_init is not None:
        W[:] = np.maximum(W_init, 0.0) if positive else W_init
        W[null_objectives <= 0.0] = 0.0
    return W, np.zeros(n_targets), np.zeros(n_targets, dtype=np.int64), null_objectives


def design_gram(design):
    """``gram()`` giving ``(G, B, bound_norms)`` of ``design``: the centered ``X^T X`` and
    ``X^T Y`` (see :func:`~sklreg.solvers._direct.centered_gram`) and None (their rounding
    scales with the design's own column norms), formed on the first call only: coordinate
    descent on the Gram matrix forms it once for a whole path."""
    return functools.cache(
        lambda: (*centered_gram(design.A, design.X_mean, design.sqrt_sw, design.Y), None)
    )


class WholeDataMoments(NamedTuple):
    """Second moments of a dense design and its targets, shared by the training parts of
    its folds."""

    Z: np.ndarray  # (n_samples, n_features): rows sqrt(s_i) (x_i - c), float64
    X_offset: np.ndarray  # c: the weighted column means, or zeros (no intercept)
    sqrt_sw: np.ndarray  # (n_samples,)
    M: np.ndarray  # Z^T Z
    # Z^T sqrt(s) when the training parts are centered (an intercept is fitted), else None
    weighted_sums: np.ndarray
    targets: np.ndarray  # (n_samples, n_targets): rows sqrt(s_i) (y_i - t)
    target_offset: np.ndarray  # t: the weighted target means, or zeros (no intercept)
    target_products: np.ndarray  # Z^T targets
    part_products: tuple = ()  # Z_k^T Z_k of the test parts, when M is their sum
    part_sums: tuple = ()  # their PartSums, with the products

    def sums_of(self, rows):
        """:class:`PartSums` of the rows ``rows``, in one pass over them."""
        V = np.column_stack([self.sqrt_sw, self.targets])
        n_features = self.Z.shape[1]
        products = centered_row_products(
            self.Z, np.zeros(n_features), np.ones(self.Z.shape[0]), V, rows,
            np.array([0, len(rows)]), np.empty((0, n_features)), np.empty((0, n_features)))
        return PartSums.of_products(*(product[0] for product in products))


class PartSums(NamedTuple):
    """Sums over some rows of :class:`WholeDataMoments`' arrays, ``P`` indexing them."""

    weighted_sums: np.ndarray  # Z_P^T sqrt(s_P)
    target_products: np.ndarray  # (n_features, n_targets): Z_P^T targets_P
    sq_norms: np.ndarray  # ||Z_Pj||^2 of each column
    target_sq_norms: np.ndarray  # (n_targets,): ||targets_Pk||^2
    target_sums: np.ndarray  # (n_targets,): targets_P^T sqrt(s_P)
    weight_sum: float  # sum(s_P)

    @classmethod
    def of_products(cls, ZV, sq_norms, VV):
        """From ``Z_P^T V_P`` (transposed), ``sq_norms`` and ``V_P^T V_P``, with ``V = [sqrt(s),
        targets]`` (see :func:`~sklreg.solvers._direct.centered_row_products`)."""
        return cls(ZV[0], ZV[1:].T, sq_norms, VV[1:, 1:].diagonal().copy(), VV[0, 1:],
                   VV[0, 0])


def whole_data_moments(X, Y, sample_weight, fit_intercept, parts=()):
    """:class:`WholeDataMoments` of a dense ``X`` and targets ``Y`` (n_samples, n_targets),
    centered by their weighted means when ``fit_intercept`` (so that differences of
    products cancel little).

    When the row indices ``parts`` (the folds' test parts) hold every row once, ``M`` is
    the sum of their products, which the folds then reuse with their sums (see
    :class:`PartSums`): a training part's Gram matrix costs no product at all. Only when
    those products take no more memory than ``Z``. From a C-ordered ``X``, ``Z``, the
    parts' rows and their sums are then formed in one pass
    (:func:`~sklreg.solvers._direct.centered_row_products`).
    """
    sw = np.ones(X.shape[0]) if sample_weight is None else sample_weight
    sqrt_sw = np.sqrt(sw)
    X = np.asarray(X, dtype=np.float64)
    X_offset = (sw @ X) / sw.sum() if fit_intercept else np.zeros(X.shape[1])
    target_offset = (sw @ Y) / sw.sum() if fit_intercept else np.zeros(Y.shape[1])
    targets = (Y - target_offset) * sqrt_sw[:, None]
    V = np.column_stack([sqrt_sw, targets])
    n_samples, n_features = X.shape
    if (len(parts) * n_features <= n_samples
            and sum(len(part) for part in parts) == n_samples
            and np.all(np.bincount(np.concatenate(parts), minlength=n_samples) == 1)):
        bounds = np.cumsum([0] + [len(part) for part in parts])
        Z, P = np.empty(X.shape), np.empty(X.shape)
        ZV, sq_norms, VV = centered_row_products(
            np.ascontiguousarray(X), X_offset, sqrt_sw, V, np.concatenate(parts), bounds, Z, P)
        products = tuple(symmetric_products(P[start:stop])[0]()
                         for start, stop in zip(bounds[:-1], bounds[1:], strict=True))
        del P
        M = products[0].copy()
        for product in products[1:]:  # in place: np.sum would stack them in a copy first
            M += product
        sums = ZV.sum(axis=0).T  # Z^T [sqrt(s), targets]
        part_sums = tuple(map(PartSums.of_products, ZV, sq_norms, VV))
    else:
        Z = np.subtract(X, X_offset, order="C") if fit_intercept else X
        if sample_weight is not None:
            Z = np.multiply(Z, sqrt_sw[:, None], order="C")
        Z = np.ascontiguousarray(Z)  # rows contiguous: the sums of a part run row by row
        sums = Z.T @ V  # Z^T sqrt(s) (zero up to rounding) and Z^T targets in one pass
        M, products, part_sums = symmetric_products(Z)[0](), (), ()
    return WholeDataMoments(Z, X_offset, sqrt_sw, M, sums[:, 0] if fit_intercept else None,
                            targets, target_offset, sums[:, 1:], products, part_sums)


def training_gram(design, moments, rest, rest_product=None, rest_sums=None):
    """:func:`design_gram` of the :func:`~sklreg.linear._design.moments_design` ``design``
    of all the rows but ``rest``, from ``moments``, with no pass over its rows.

    ``G = M - Z_rest^T Z_rest - d d^T / S_train`` and ``B = Z^T T - Z_rest^T T_rest - d
    (y_train - t)^T`` (``T`` the moments' targets, ``d = Z_train^T sqrt(s)``, zero when not
    centered, ``y_train`` the training targets' means) cost ``len(rest)`` rows where the
    training part's own products cost all the others (none for ``G`` when
    ``rest_product``, ``Z_rest^T Z_rest``, is given). Their rounding scales with the whole
    data's norms ``sqrt(M_jj)`` and ``||T_k||``, and with about ``3 n_samples + 3
    len(rest)`` products where the bound of :func:`gram_certified_gap` allows ``4 n_train``
    and the training targets' norms: ``bound_norms`` are those norms, scaled by the square
    roots of the ratios. The training columns that are nearly constant (their centered
    norm cancelled in the subtraction) are formed on the design. ``rest_sums``, the
    :class:`PartSums` of ``rest``, are formed when not given.
    """

    def gram():
        sums_rest = moments.sums_of(rest) if rest_sums is None else rest_sums
        sums = np.zeros(moments.M.shape[0])  # d; the design may center columns explicitly
        if moments.weighted_sums is not None:
            sums = moments.weighted_sums - sums_rest.weighted_sums
        means = sums / design.sw_sum
        G = difference_minus_outer(moments.M, symmetric_products(moments.Z[rest])[0]()
                                   if rest_product is None else rest_product, sums, means)
        B = (moments.target_products - sums_rest.target_products
             - np.outer(sums, design.y_offset - moments.target_offset)
             - np.outer(means, design.sqrt_sw @ design.Y))
        uncentered = np.maximum(moments.M.diagonal(), G.diagonal() + design.sw_sum * means**2)
        recenter_cancelled(lambda: design.A, design.X_mean, design.sqrt_sw, design.Y, G, B,
                           uncentered=uncentered)
        n_samples, n_train = moments.Z.shape[0], design.shape[0]
        products = max((3.0 * n_samples + 3.0 * len(rest) + 12.0) / (4.0 * n_train), 1.0)
        whole = np.einsum("ik,ik->k", moments.targets, moments.targets)
        own = np.einsum("ik,ik->k", design.Y, design.Y)
        fitted = own > 0.0  # a constant target is fitted by w = 0, on no bound
        targets = max(np.max(whole[fitted] / own[fitted], initial=1.0), 1.0)
        return np.ascontiguousarray(G), B, np.sqrt(uncentered * products * targets)

    return functools.cache(gram)


def solve_least_squares(
    design,
    l1_strength,
    l2_strength,
    *,
    positive=False,
    solver="auto",
    max_iter=10_000,
    tol=1e-4,
    W_init=None,
    random_selection=False,
    seed=0,
    ridge=None,
    gram=None,
):
    """Minimize ``1/2 ||Y - Xc W||^2 + l1 ||W||_1 + l2 / 2 ||W||^2`` target by target.

    Parameters
    ----------
    design : Design
        Prepared problem.
    l1_strength, l2_strength : float
        Penalty strengths on the scaled objective (``S alpha l1_ratio`` and
        ``S alpha (1 - l1_ratio)``).
    positive : bool
        Non-negative weights.
    solver : {'auto', 'cd', 'gram', 'cholesky', 'lsqr'}
        Solver; see :func:`choose_solver`.
    max_iter : int
        Epochs of coordinate descent, or iterations of LSQR.
    tol : float
        Stop when the duality gap is below ``tol`` times the intercept-only objective.
    W_init : ndarray of shape (n_targets, n_features), optional
        Warm start (coordinate descent and LSQR).
    random_selection : bool
        Random coordinate order in coordinate descent.
    seed : int
        Seed of the random coordinate order.
    ridge : callable, optional
        ``ridge(l2)`` giving the (n_features, n_targets) solution of every target, used by
        the 'cholesky' solver instead of a new factorization (see
        :func:`~sklreg.solvers._direct.ridge_spectral`).
    gram : callable, optional
        ``gram()`` giving ``(X^T X, X^T Y, bound_norms)`` of the centered design (see
        :func:`design_gram`), so that a path computes them once.

    Returns
    -------
    result : LeastSquaresResult
    """
    requested = solver
    solver = choose_solver(solver, design.shape, design.is_sparse, l1_strength, l2_strength,
                           positive, kernel_pays=design_kernel_pays(design, solver, l1_strength))
    n_features = design.shape[1]
    W, gaps, n_iter, null_objectives = starting_point(design, positive, W_init)
    gap_tols = tol * null_objectives
    active = np.flatnonzero(null_objectives > 0.0)  # a constant target is fitted by w = 0
    if active.size == 0:
        return LeastSquaresResult(np.zeros_like(W), gaps, gap_tols, n_iter, solver)

    if solver in ("cd", "gram"):
        shared_gram = gram is not None  # a path's: formed once, for all its alphas
        if gram is None:
            gram = design_gram(design)
        cd_args = (l1_strength, l2_strength, positive, random_selection, seed)
        gram_after = np.inf  # column passes of coordinate descent on X before the Gram
        if solver == "gram":
            gram_after = 0
        elif requested == "auto":  # straight to a Gram matrix a path already computed
            computed = getattr(gram, "cache_info", None)
            gram_after = 0 if computed and computed().currsize else gram_switch_work(
                *design.shape)
        if gram_after > 0:  # coordinate descent on the design, all the way or for a while
            remaining_work = _cd_on_design(design, W, gaps, n_iter, active, gap_tols, max_iter,
                                           *cd_args, max_work=gram_after)
            active = active[(gaps[active] > gap_tols[active]) & (n_iter[active] < max_iter)]
            # targets that its rate says will converge within as much work again go on
            finishing = active[remaining_work[active] < gram_after]
            if finishing.size and gram_after < np.inf:
                _cd_on_design(design, W, gaps, n_iter, finishing, gap_tols, max_iter, *cd_args,
                              max_work=gram_after)
                active = active[(gaps[active] > gap_tols[active])
                                & (n_iter[active] < max_iter)]
        features = None  # of the Gram matrix, None for all
        if active.size and 0 < gram_after < np.inf and not shared_gram:
            # after coordinate descent on X, the Gram matrix of the features it left near
            # the support is enough (others the solution needs join it below)
            features = likely_support(design, W, active, l1_strength)
            if features.size > GRAM_SUBSET_MAX * n_features:
                features = None
        if active.size and gram_after < np.inf:
            bound_norms = None
            with np.errstate(over="ignore", invalid="ignore"):  # overflow: checked below
                if features is None:
                    features = np.arange(n_features)
                    G, B, bound_norms = gram()
                else:
                    G, B = centered_gram(design.A[:, features], design.X_mean[features],
                                         design.sqrt_sw, design.Y)

            gradients = {}  # b - G w of each target's last descent
            unrounded = {}  # a float32 design's weights where that descent stopped

            def gram_descent(k, gap_target):
                w = W[k, features]
                y = np.ascontiguousarray(design.Y[:, k])  # ||y||^2 as gram_certified_gap's
                _, epochs, gradients[k] = enet_gram_coordinate_descent(
                    G, np.ascontiguousarray(B[:, k]), float(y @ y), w, l1_strength,
                    l2_strength, positive, max_iter - n_iter[k], gap_target,
                    random_selection, seed, np.empty(0),
                )
                n_iter[k] += epochs
                W[k, features] = w

            def gram_certified_on_rounded(k):
                # the weights as returned: rounded to a float32 design's dtype, whose
                # float64 Gram matrix certifies them as well (see gram_certified_rounded)
                if design.dtype == np.float64:
                    return gram_certified_gap(design, G, B, W[k], k, l1_strength,
                                              l2_strength, positive, gap_tols[k],
                                              bound_norms, gradients[k])
                unrounded[k] = W[k].copy()
                W[k], gap = gram_certified_rounded(design, G, B, W[k], k, l1_strength,
                                                   l2_strength, positive, gap_tols[k],
                                                   bound_norms, gradients[k])
                return gap

            def design_certified(k):
                # the exact gap of the design, without the Gram matrix's rounding bound; a
                # float32 design's weights certified as rounded, from where descent stopped
                if design.dtype == np.float64:
                    return design_gap(design, W[k], k, l1_strength, l2_strength, positive)[1]
                stopped = W.copy()
                stopped[k] = unrounded[k]
                rounded, certified = certify_rounded(design, stopped, [k], l1_strength,
                                                     l2_strength, positive, gap_tols)
                W[k] = rounded[k]
                return certified[k]

            # a Gram matrix that overflowed (columns near 1e150 with large weights) steers
            # nothing: descent on the design alone, below
            finite = np.all(np.isfinite(G.diagonal())) and np.all(np.isfinite(B))
            for gram_round in range(1, (MAX_GRAM_ROUNDS if finite else 0) + 1):
                for k in active:
                    gram_descent(k, gap_tols[k])
                if features.size == n_features:
                    for k in active:  # on the Gram matrix when its rounding allows
                        gaps[k] = gram_certified_on_rounded(k)
                        if gaps[k] > gap_tols[k] and n_iter[k] < max_iter:
                            # stopped just under the target, the rounding bound took it
                            # over: a tighter target here costs less than a pass over X
                            gram_descent(k, GRAM_RETARGET * gap_tols[k])
                            gaps[k] = gram_certified_on_rounded(k)
                        if gaps[k] > gap_tols[k]:
                            gaps[k] = design_certified(k)
                else:  # the Gram summaries only steer: certify on the design itself
                    W, certified = certify_rounded(design, W, active, l1_strength,
                                                   l2_strength, positive, gap_tols)
                    gaps[active] = certified[active]
                active = active[(gaps[active] > gap_tols[active])
                                & (n_iter[active] < max_iter)]
                if (not active.size or features.size == n_features
                        or gram_round == MAX_GRAM_ROUNDS):
                    break
                # features of a subset Gram matrix can leave out some the solution needs:
                # their columns join it, which costs far less than passes on X
                likely = likely_support(design, W, active, l1_strength,
                                        min(NEAR_ACTIVE, 1.0))  # at least the violations
                missing = np.setdiff1d(likely, features, assume_unique=True)
                if not missing.size or (features.size + missing.size
                                        > GRAM_SUBSET_MAX * n_features):
                    break
                G, B = extended_gram(design, G, B, features, missing)
                features = np.concatenate([features, missing])
            # and finish on it what the Gram matrix left short (its rounding, or features)
            _cd_on_design(design, W, gaps, n_iter, active, gap_tols, max_iter, *cd_args)
        return LeastSquaresResult(W, gaps, gap_tols, n_iter, solver)

    Y = design.Y[:, active]
    n_iter[active] = 1
    if solver == "cholesky" and ridge is not None:
        W[active] = ridge(l2_strength)[:, active].T
    elif solver == "cholesky":
        W[active] = ridge_cholesky(design.A, design.X_mean, design.sqrt_sw, Y, l2_strength).T
    elif solver == "lsqr":
        n_iter[active] = _lsqr_to_gap(design, W, active, l2_strength, tol, gap_tols, max_iter)
    else:  # nnls: positive least squares without penalty
        A = design.A.toarray() if design.is_sparse else design.A
        A = np.asarray(A, dtype=np.float64) - np.outer(design.sqrt_sw, design.X_mean)
        for k in active:
            W[k] = scipy.optimize.nnls(A, design.Y[:, k], maxiter=max(max_iter, 3 * n_features))[0]
    computed = getattr(gram, "cache_info", None)
    if (l2_strength > 0.0 and solver == "cholesky" and design.dtype == np.float64
            and computed and computed().currsize):
        # a path's Gram matrix, already formed: it certifies each fit without a pass over
        # the design (on the design only where its rounding bound exceeds the target: its
        # residual keeps that bound in the conjugate term, the design's own gap does not)
        G, B, bound_norms = gram()
        for k in active:
            gaps[k] = gram_certified_gap(design, G, B, W[k], k, l1_strength, l2_strength,
                                         positive, gap_tols[k], bound_norms)
            if not gaps[k] <= gap_tols[k]:  # NaN from a Gram matrix that overflowed too
                gaps[k] = design_gap(design, W[k], k, l1_strength, l2_strength, positive)[1]
    elif l2_strength > 0.0:
        W, gaps = certify_rounded(design, W, active, l1_strength, l2_strength, positive)
    else:  # no dual point certifies an unpenalized least-squares solution
        W = W.astype(design.dtype).astype(np.float64)
        gaps[active] = np.nan
    return LeastSquaresResult(W, gaps, gap_tols, n_iter, solver)


def gram_path(design, gram, l1_strengths, l2_strengths, W_init, W, gaps, n_iter, *,
              positive, max_iter, tol, random_selection, seed, W_before=None,
              strengths_before=(np.nan, np.nan)):
    """Fits along a path on the full Gram matrix, compiled, while its rounding bound
    certifies them: what :func:`solve_least_squares` with ``solver='gram'`` does, fit
    after fit, without Python between the fits (:func:`~sklreg.solvers._gram.enet_gram_path`;
    on a float32 design, the weights are then rounded and certified again, one by one).

    Fit ``i`` has the strengths ``l1_strengths[i]``, ``l2_strengths[i]`` (not both zero)
    and starts from fit ``i - 1``'s solution (``W_init``, or zeros, for the first),
    extrapolated along the path from the solution before it (for the first fit,
    ``W_before`` when given, with the total strengths ``l1 + l2`` of ``W_before`` and
    ``W_init`` in ``strengths_before``). Its weights, gaps (on the scaled objective) and
    epochs are written to ``W[i]`` (n_targets, n_features), ``gaps[i]`` and ``n_iter[i]``
    for the first fits certified for every target.

    Returns
    -------
    n_certified : int
        Those fits (0 when the Gram matrix is not finite).
    start : ndarray of shape (n_targets, n_features) or None
        Where the next fit's descent stopped (its solution, for the targets it certified),
        for :func:`solve_least_squares` to go on from; None when every fit was certified,
        or none was tried.
    spent : ndarray of shape (n_targets,)
        The epochs the next fit took up to ``start``.
    """
    n_fits, n_targets = len(l1_strengths), W.shape[1]
    spent = np.zeros(n_targets, dtype=np.int64)
    with np.errstate(over="ignore", invalid="ignore"):  # overflow: checked below
        G, B, bound_norms = gram()
    if not (np.all(np.isfinite(G.diagonal())) and np.all(np.isfinite(B))):
        return 0, None, spent
    W_start, _, _, null_objectives = starting_point(design, positive, W_init)
    norms = gram_bound_norms(design, G, bound_norms)
    n_certified = n_fits
    descent_share = 1.0 if design.dtype == np.float64 else FLOAT32_DESCENT_SHARE
    W_k = np.empty((n_fits, W.shape[2]))
    gaps_k, n_iter_k = np.empty(n_fits), np.empty(n_fits, dtype=np.int64)
    reached = {}  # target: (its fits certified, where its descent stopped)
    for k in np.flatnonzero(null_objectives > 0.0):  # a constant target is fitted by w = 0
        y = np.ascontiguousarray(design.Y[:, k])
        tried = min(n_certified + 1, n_fits)  # up to the first fit left uncertified yet
        w = W_start[k].copy()
        n_k = enet_gram_path(
            G, np.ascontiguousarray(B[:, k]), float(y @ y), w, l1_strengths[:tried],
            l2_strengths[:tried], positive, max_iter, descent_share * tol * null_objectives[k],
            GRAM_RETARGET, random_selection, seed, norms, design.shape[0], W_k, gaps_k,
            n_iter_k, np.empty(0) if W_before is None else np.ascontiguousarray(W_before[k]),
            np.asarray(strengths_before, dtype=np.float64),
        )
        if design.dtype != np.float64:
            n_rounded = _certify_rounded_on_gram(design, G, B, bound_norms, k, W_k, gaps_k,
                                                 n_k, l1_strengths, l2_strengths, positive,
                                                 tol * null_objectives[k])
            if n_rounded < n_k:  # the next fit goes on from its own rounded solution
                n_k, w = n_rounded, W_k[n_rounded].copy()
        W[:n_k, k], gaps[:n_k, k] = W_k[:n_k], gaps_k[:n_k]
        n_iter[:tried, k] = n_iter_k[:tried]
        reached[k] = n_k, w
        n_certified = min(n_certified, n_k)
    constant = null_objectives <= 0.0
    W[:, constant], gaps[:, constant], n_iter[:, constant] = 0.0, 0.0, 0
    if n_certified == n_fits:
        return n_certified, None, spent
    start = np.zeros((n_targets, W.shape[2]))
    for k, (n_k, w) in reached.items():
        start[k] = W[n_certified, k] if n_k > n_certified else w
        spent[k] = n_iter[n_certified, k]
    return n_certified, start, spent


def _certify_rounded_on_gram(design, G, B, bound_norms, target, W_fits, gaps, n_fits,
                             l1_strengths, l2_strengths, positive, gap_tol):
    """Round the first ``n_fits`` weights ``W_fits`` of a float32 design's path to float32
    and certify them on its float64 Gram matrix (:func:`gram_certified_rounded`), in
    place; the number of fits, from the first, still certified within ``gap_tol`` once
    rounded."""
    b = B[:, target]
    for i in range(n_fits):
        W_fits[i], gaps[i] = gram_certified_rounded(
            design, G, B, W_fits[i], target, l1_strengths[i], l2_strengths[i], positive,
            gap_tol, bound_norms, b - G @ W_fits[i])
        if gaps[i] > gap_tol:
            return i
    return n_fits


def likely_support(design, W, targets, l1_strength, near_active=None):
    """Features nonzero in ``W[targets]`` or whose correlation with the residual exceeds
    ``near_active`` (default ``NEAR_ACTIVE``) times the L1 strength (at the optimum a
    feature is zero when it stays below the strength itself), in increasing order."""
    near_active = NEAR_ACTIVE if near_active is None else near_active
    A, X_mean, sqrt_sw = design.A, design.X_mean, design.sqrt_sw
    # products in A's dtype: a float32 A times float64 vectors would be copied to float64
    dtype = np.float64 if sp.issparse(A) else A.dtype
    keep = np.zeros(A.shape[1], dtype=bool)
    for k in targets:
        w = W[k]
        fitted = (np.asarray(A @ w.astype(dtype), dtype=np.float64).ravel()
                  - sqrt_sw * (X_mean @ w))
        r = design.Y[:, k] - fitted
        correlation = (np.asarray(A.T @ r.astype(dtype), dtype=np.float64).ravel()
                       - X_mean * (sqrt_sw @ r))
        keep |= (w != 0.0) | (np.abs(correlation) >= near_active * l1_strength)
    return np.flatnonzero(keep)


def extended_gram(design, G, B, features, missing):
    """``(G, B)`` of :func:`~sklreg.solvers._direct.centered_gram` over ``features``,
    extended by the features ``missing`` (placed after them)."""
    A, X_mean, sqrt_sw = design.A, design.X_mean, design.sqrt_sw
    A_missing = A[:, missing].astype(np.float64)  # float32 sums would lose the centering
    cross = A.T @ A_missing
    cross = np.asarray(cross.toarray() if sp.issparse(cross) else cross, dtype=np.float64)
    # centered columns: A_i^T A_j - S mean_i mean_j (the weighted means of A are S mean)
    cross -= float(sqrt_sw @ sqrt_sw) * np.outer(X_mean, X_mean[missing])
    size = features.size + missing.size
    G_extended = np.empty((size, size))
    G_extended[:features.size, :features.size] = G
    G_extended[:features.size, features.size:] = cross[features]
    G_extended[features.size:, :features.size] = cross[features].T
    G_extended[features.size:, features.size:] = cross[missing]
    B_missing = (np.asarray(A_missing.T @ design.Y, dtype=np.float64)
                 - np.outer(X_mean[missing], sqrt_sw @ design.Y))
    B_extended = np.vstack([B, B_missing])
    order = np.concatenate([features, missing])
    recenter_cancelled(A[:, order], X_mean[order], sqrt_sw, design.Y, G_extended, B_extended)
    return G_extended, B_extended


def gram_switch_work(n_samples, n_features):
    """Column passes of coordinate descent on ``X`` after which 'auto' moves to ``X^T X``.

    Forming ``X^T X`` costs ``n_samples * n_features^2`` flops by BLAS, about as much as
    ``n_features^2 / GRAM_BLAS_SPEEDUP`` column passes (a dot product or an update of one
    column) of coordinate descent: spending that much first and switching only if it did
    not converge never costs more than about twice the better of the two (and at least
    ``GRAM_MIN_PASSES`` passes, which easy problems need no more than; on few samples, as
    much work as the Gram route's own cost, ``GRAM_FIXED_WORK``). Returns ``inf`` never to
    use it (when it would not be smaller than ``X``, or too large).
    """
    if n_samples < 2 * n_features or n_features > GRAM_MAX_FEATURES:
        return np.inf
    # at least a few passes first: easy problems converge in those, before any X^T X
    return max(n_features**2 // GRAM_BLAS_SPEEDUP, GRAM_MIN_PASSES * n_features,
               GRAM_FIXED_WORK // n_samples)


def _cd_on_design(design, W, gaps, n_iter, targets, gap_tols, max_iter, l1_strength,
                  l2_strength, positive, random_selection, seed, max_work=np.inf):
    """Coordinate descent on the design for ``targets``, from and into ``W`` (in place).

    Updates ``gaps`` and ``n_iter``; a target stops at ``max_iter`` epochs in all, or
    after ``max_work`` column passes. Returns the column passes each target stopped by
    ``max_work`` still needs, as its last outer iteration's rate predicts (``inf`` where
    unknown).

    A design with a :class:`~sklreg.linear._design.Float32Shadow` is descended on it first,
    to ``SHADOW_ROUNDING_GAP`` times the null objective below the target (to at least
    ``SHADOW_GAP_RATIO`` times the target), and certified on itself; descent goes on there
    only where that gap exceeds the target.
    """
    remaining_work = np.full(W.shape[0], np.inf)
    shadow = design.float32_shadow
    cd_args = (l1_strength, l2_strength, positive)
    lipschitz = None
    for k in targets:
        w = W[k].copy()
        y = np.ascontiguousarray(design.Y[:, k])
        descend = True
        if shadow is not None:
            shadow_tol = max(gap_tols[k] - SHADOW_ROUNDING_GAP * design.null_objectives()[k],
                             SHADOW_GAP_RATIO * gap_tols[k])
            shadow_gap, epochs, remaining_work[k] = enet_coordinate_descent(
                *shadow.kernel_arrays, np.zeros(design.shape[1]), design.sw_sum,
                design.sqrt_sw, shadow.lipschitz, y, w, *cd_args, max_iter - n_iter[k],
                shadow_tol, random_selection, seed, float(max_work),
            )
            n_iter[k] += epochs
            gaps[k] = np.inf  # not certified: stopped by max_work, or its gap is NaN
            if shadow_gap <= gap_tols[k] or n_iter[k] >= max_iter:
                gaps[k] = design_gap(design, w, k, *cd_args)[1]
            descend = (gaps[k] > gap_tols[k] and n_iter[k] < max_iter
                       and (max_work == np.inf or shadow_gap <= gap_tols[k]))
        if descend:
            if lipschitz is None:
                lipschitz = design.lipschitz
                if lipschitz is None:
                    lipschitz = centered_column_sq_norms(
                        *design.kernel_arrays, design.sqrt_sw, design.X_mean, design.sw_sum)
            gaps[k], epochs, remaining_work[k] = enet_coordinate_descent(
                *design.kernel_arrays, design.X_mean, design.sw_sum, design.sqrt_sw,
                lipschitz, y, w, *cd_args, max_iter - n_iter[k], gap_tols[k],
                random_selection, seed, float(max_work),
            )
            n_iter[k] += epochs
        W[k] = w
    if design.dtype != np.float64 and len(targets):  # certify the returned coefficients
        W[:], certified = certify_rounded(design, W, targets, l1_strength, l2_strength,
                                          positive, gap_tols, known_gaps=gaps)
        gaps[targets] = certified[targets]
    return remaining_work


def unpenalized_atol(tol):
    """Relative normal-equation residual at which an iterative unpenalized solve stops.

    Without a penalty no dual point certifies the objective, and ``||X^T r||`` alone does
    not bound ``P(w) - P*`` (that takes the smallest eigenvalue of ``X^T X``): iterative
    solvers stop at ``||X^T r|| <= atol ||X||_F ||y||`` (LSQR; the GPU's FISTA on the
    problem of unit-norm columns, ``X D^-1/2``), a backward error of ``atol``, tight
    whatever ``tol``, as the direct solves are.
    """
    return min(tol, 1e-6) * 1e-2


def centered_frobenius2(design):
    """``||X||_F^2`` of the centered, row-weighted design."""
    A = design.A
    squares = A.data @ A.data if design.is_sparse else np.einsum("ij,ij->", A, A)
    return float(squares - design.sw_sum * design.X_mean @ design.X_mean)


def _lsqr_to_gap(design, W, active, l2_strength, tol, gap_tols, max_iter, max_rounds=3):
    """LSQR with its tolerance derived from the gap target, tightened until certified.

    For ridge, the gap of the residual dual point is ``||X^T r - l2 w||^2 / (2 l2)``, and
    LSQR stops when that norm is below ``atol * ||[X; sqrt(l2) I]|| * ||[r; sqrt(l2) w]||``;
    bounding both norms (Frobenius norm, ``||y||``) gives the ``atol`` that certifies
    ``tol``. Updates ``W[active]`` in place; returns the iterations per active target.
    """
    A = design.A
    frobenius2 = centered_frobenius2(design) + A.shape[1] * l2_strength
    if l2_strength > 0.0 and frobenius2 > 0.0:
        atol = np.sqrt(l2_strength * tol / frobenius2)
    else:  # no gap to aim at: a tight fixed tolerance
        atol = unpenalized_atol(tol)
    n_iter = np.zeros(W.shape[0], dtype=np.int64)
    todo = active
    for _ in range(max_rounds):
        budget = max_iter - int(n_iter[todo].max())
        if budget <= 0:
            break
        W_todo, iterations, converged = ridge_lsqr(
            A, design.X_mean, design.sqrt_sw, design.Y[:, todo], l2_strength, atol,
            budget, W[todo].T,
        )
        W[todo] = W_todo.T
        n_iter[todo] += iterations
        if l2_strength == 0.0:  # no gap (NaN) will tell: say it here
            if not converged.all():
                warnings.warn(
                    f"LSQR reached max_iter={max_iter} without a penalty before its "
                    f"normal-equation tolerance atol={atol:.1e} (from tol={tol:g}). "
                    "Increase max_iter.", ConvergenceWarning, stacklevel=4)
            break
        gaps = np.array([design_gap(design, W[k], k, 0.0, l2_strength, False)[1] for k in todo])
        todo = todo[gaps > gap_tols[todo]]
        if todo.size == 0:
            break
        atol *= 1e-2
    return n_iter[active]


ROUNDING_GAP_FACTOR = 1e2  # relative gaps below this many eps are at the rounding level
NORM_SPREAD = 1e6  # column norms spread wider than this let rounding limit the certificate


def warn_if_not_converged(result, tol, design, where="", strengths=None):
    """Warn with ``ConvergenceWarning`` when a target's gap is above ``tol`` (names the gap).

    The message says when rounding in the ``design``, not the iteration budget, is what
    stops the gap (see :func:`rounding_diagnosis`), or when the penalty, of strengths
    ``(l1, l2)`` on the scaled objective (``strengths``, when given), is below the
    rounding of the gradient, where no dual point can certify ``tol``.
    ``where``, e.g. ``' at alpha=0.01'``, places the fit in a path.
    """
    not_converged = result.gaps > result.gap_tols  # False for NaN (no certificate)
    if not np.any(not_converged):
        return
    k = int(np.argmax(not_converged))
    if tol > 0:
        null = result.gap_tols[k] / tol
    else:  # the null objective, which tol scales, from the design
        null = design.null_objectives()[k]
    relative = f", relative gap {result.gaps[k] / null:.3e}" if null > 0 else ""
    reached = f"duality gap {result.gaps[k] / design.sw_sum:.3e}{relative} > tol={tol:g}"
    diagnosis = rounding_diagnosis(result.gaps[k] / null, design)
    rounding = gradient_rounding(centered_frobenius2(design), 2.0 * null)
    if strengths is not None and penalty_below_rounding(*strengths, rounding,
                                                        result.gap_tols[k]):
        message = (
            f"The fit{where} stopped after {int(result.n_iter[k])} iterations at a "
            f"{reached}: the penalty is below the float64 rounding of the gradient (about "
            f"{rounding / design.sw_sum:.1e} on the scale of alpha), so no dual point can "
            "certify tol, however many iterations run; the solution found is (nearly) "
            "the unpenalized least-squares one. Use penalty=None for it, or a larger "
            "alpha, or a looser tol."
        )
    elif result.solver in ("cholesky", "nnls"):
        message = (
            f"The direct solve{where} reached a {reached}: the problem is too "
            "ill-conditioned for this tolerance in this float precision."
        )
    elif diagnosis:
        message = (
            f"Objective did not converge{where} after {int(result.n_iter[k])} iterations: "
            f"{reached}. Rounding likely limits the certified gap: {diagnosis}."
        )
    else:
        message = (
            f"Objective did not converge{where} after {int(result.n_iter[k])} iterations: "
            f"{reached}. Increase max_iter, loosen tol, or standardize the features."
        )
    warnings.warn(message, ConvergenceWarning, stacklevel=3)


def warn_if_intercept_rounding_exceeds_tol(gaps, rounding, tol, design):
    """Warn with ``ConvergenceWarning`` where rounding the intercepts to the design's float
    dtype is what takes a certified gap above ``tol``.

    Parameters
    ----------
    gaps, rounding : ndarray of shape (..., n_targets)
        The solver's gaps and what rounding the intercepts adds to them (see
        :meth:`Design.intercepts`), both on the objective's scale (divided by the weight
        sum). Gaps already above ``tol`` are left to :func:`warn_if_not_converged`.
    """
    if not np.any(rounding > 0.0):  # float64 intercepts round exactly
        return
    nulls = design.null_objectives() / design.sw_sum
    over = (gaps <= tol * nulls) & (gaps + rounding > tol * nulls)
    if not np.any(over):
        return
    index = np.unravel_index(np.argmax(over), over.shape)
    null = nulls[index[-1]]
    dtype = np.dtype(design.dtype).name
    warnings.warn(
        f"Rounding the intercept to {dtype} adds {rounding[index]:.3e} to the duality "
        f"gap, relative gap {(gaps[index] + rounding[index]) / null:.3e} > tol={tol:g}: the "
        f"intercept is too large for this tolerance in {dtype}. Use float64 input, or "
        "subtract the mean of y before fitting.",
        ConvergenceWarning, stacklevel=3,
    )


def rounding_diagnosis(relative_gap, design):
    """Why rounding, rather than too few iterations, may keep the gap above ``tol``.

    Two causes are recognized: the relative gap reached is within ``ROUNDING_GAP_FACTOR``
    machine epsilons (``tol`` is finer than the float precision can certify), or the
    centered column norms span more than ``NORM_SPREAD`` (the rounding errors of the large
    columns' inner products swamp the small ones' contributions to the gap).

    Returns
    -------
    diagnosis : str
        Empty when neither applies.
    """
    dtype = np.dtype(design.dtype)
    eps = np.finfo(dtype).eps
    causes = []
    if relative_gap < ROUNDING_GAP_FACTOR * eps:
        causes.append(
            f"the relative gap is at the rounding level of {dtype.name} (eps={eps:.1e}); "
            f"use a tol above {ROUNDING_GAP_FACTOR * eps:.0e}"
            + (" or float64 input" if dtype != np.float64 else "")
        )
    if design.lipschitz is not None:
        norms = np.sqrt(design.lipschitz[design.lipschitz > 0])
        if norms.size and norms.max() > NORM_SPREAD * norms.min():
            causes.append(
                f"the feature norms span {norms.min():.1e} to {norms.max():.1e} "
                "(ill-conditioned scaling); standardize the features (e.g. StandardScaler)"
            )
    return "; ".join(causes)
