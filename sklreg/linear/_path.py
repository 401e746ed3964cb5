"""Warm-started regularization paths over a decreasing grid of ``alpha``."""

from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.validation import check_array, check_consistent_length

from .._penalties import effective_l1_ratio, penalty_strengths
from .._progress import tqdm_bar
from .._validation import check_value_range, native_byte_order
from ..solvers._columns import stored_column_ranges, unsigned_indices
from ..solvers._direct import ridge_spectral, spectral_ridge
from ._design import prepare_design, stored_per_row
from ._least_squares import (
    GRAM_BLAS_SPEEDUP,
    GRAM_MAX_FEATURES,
    choose_solver,
    design_gram,
    design_kernel_pays,
    gram_path,
    gram_switch_work,
    solve_least_squares,
    warn_if_intercept_rounding_exceeds_tol,
    warn_if_not_converged,
)
from ._regressor import check_sample_weight, weights_for_strength

# an L2 grid (no alpha makes w = 0) starts at this many times the datafit's largest
# curvature at w = 0 (a power-iteration estimate, from below: 20 iterations reach 0.96 -
# 0.998 of it on random designs), where the data is shrunk about 11-fold or more, and
# spans eps ** 2. The alpha of best held-out error lay at 3e-4 to 4e-2 times that curvature
# on standardized and on wide sets (breast cancer, iris, wine, digits, dna, diabetes,
# riboflavin, colon, leukemia); raw features of tiny variance (cpusmall, breast cancer)
# want it lower still. glmnet's start, the alpha_max of l1_ratio = 1e-3 (used before), put
# it anywhere from 1e-9 to 2e3 times itself: mostly below its grid
RIDGE_GRID_TOP = 10.0
# the top of an automatic grid whose data set none: every alpha gives the same model
# (w = 0) when alpha_max or the L2 curvature is 0, and a top there (or at the rounding
# left by centering constant columns, 1e-61 to 1e-10) put the grid at 2.2e-308, where
# fits on the rounding overflowed and warned. A data-free scale, as scikit-learn's
# RidgeCV (0.1, 1, 10) and LogisticRegressionCV (C from 1e-4 to 1e4)
DEGENERATE_GRID_TOP = 1.0
POWER_ITERATIONS = 20  # estimate of the largest curvature (a factor of 2 off is harmless)


class RegularizationPath(NamedTuple):
    """Solutions along a path; unpacks as ``alphas, coefs, intercepts, dual_gaps, n_iter``.

    Shapes follow :func:`sklearn.linear_model.enet_path`: ``coefs`` is
    (n_features, n_alphas), or (n_targets, n_features, n_alphas) for a 2-D ``y``;
    ``intercepts``, ``dual_gaps`` and ``n_iter`` are (n_alphas,) or (n_targets, n_alphas).
    """

    alphas: np.ndarray
    coefs: np.ndarray
    intercepts: np.ndarray
    dual_gaps: np.ndarray
    n_iter: np.ndarray


# passes over X that each fit of a path takes at least on the design (coordinate descent
# and its certificate)
PATH_PASSES_PER_ALPHA = 3
# a sparse path runs on X^T X when a pass over it (n_features^2 entries) costs at most this
# many passes over X's stored entries: random tall designs of 200 - 1000 features broke
# even near 16 (0.8x - 1.3x), ran 2x - 5x faster at 5 or less, 4x slower at 100
SPARSE_PATH_GRAM_PASSES = 8
# fits a path runs at once on its Gram matrix, compiled, between reports to its callback
# (without a callback, all of them)
GRAM_PATH_CHUNK = 10


def column_ranges(X, sample_weight):
    """Smallest and largest entry of each column of ``X`` (dense or sparse) on the rows of
    positive ``sample_weight`` (all rows when None); ``inf`` and ``-inf`` for no row."""
    rows = None
    if sample_weight is not None and not np.all(sample_weight > 0):
        rows = sample_weight > 0
    if sp.issparse(X):  # the implicit zeros count
        if X.format not in ("csr", "csc"):
            X = X.tocsr()
        X = X if rows is None else X[np.flatnonzero(rows)]
        if X.shape[0] == 0:
            return np.full(X.shape[1], np.inf), np.full(X.shape[1], -np.inf)
        if not X.has_canonical_format:  # duplicate entries are summed (on a copy)
            X = X.copy()
            X.sum_duplicates()
        indices, indptr = unsigned_indices(X)
        low, high, counts = stored_column_ranges(X.data, indices, indptr, X.shape[1],
                                                 X.format == "csr")
        implicit_zeros = counts < X.shape[0]
        low[implicit_zeros] = np.minimum(low[implicit_zeros], 0.0)
        high[implicit_zeros] = np.maximum(high[implicit_zeros], 0.0)
        return low, high
    where = True if rows is None else rows[:, None]
    return (np.min(X, axis=0, where=where, initial=np.inf).astype(np.float64),
            np.max(X, axis=0, where=where, initial=-np.inf).astype(np.float64))


def varying_columns(X, sample_weight, fit_intercept):
    """Mask of the columns of ``X`` that the automatic grids take into account: with an
    intercept, those not constant on the rows of positive ``sample_weight``; centered,
    the others are exactly zero (only the rounding of their centering is left), and
    change neither ``alpha_max`` nor the curvature. Without, all of them."""
    if not fit_intercept:
        return np.ones(X.shape[1], dtype=bool)
    if sp.issparse(X):
        low, high = column_ranges(X, sample_weight)
        return low < high
    rows = (np.arange(X.shape[0]) if sample_weight is None
            else np.flatnonzero(sample_weight > 0))
    if rows.shape[0] < 2:
        return np.zeros(X.shape[1], dtype=bool)
    # the second row tells most columns apart from the first, in O(n_features); the
    # columns it does not are compared on all the rows (min and max are a full pass)
    first = X[rows[0]]
    varying = X[rows[1]] != first
    undecided = np.flatnonzero(~varying)
    if undecided.shape[0]:
        varying[undecided] = (X[np.ix_(rows[2:], undecided)] != first[undecided]).any(axis=0)
    return varying


def largest_curvature(X, offsets, row_scale, row_weights, columns=None):
    """Largest eigenvalue of ``Xc^T diag(row_weights) Xc``, ``Xc = X - row_scale offsets^T``
    (centered implicitly, dense or sparse ``X``), by power iteration from a seeded start;
    on the ``columns`` (a mask) alone when given, the others taken as zero.

    ``X`` multiplies vectors of its own dtype (a float32 design is never copied to
    float64) scaled to a largest entry of 1, and norms are taken on such scaled vectors,
    so that neither the products nor the squares of their entries overflow or underflow
    for any design whose squares fit the dtype: the estimate follows ``X**2``.
    """
    v = np.random.default_rng(0).standard_normal(X.shape[1])
    if columns is not None:
        if not np.any(columns):
            return 0.0
        v[~columns] = 0.0
    eigenvalue = 0.0
    for _ in range(POWER_ITERATIONS):
        v /= _scaled_norm(v)
        z = row_weights * (np.asarray(X @ v.astype(X.dtype), dtype=np.float64).ravel()
                           - row_scale * (offsets @ v))
        z_scale = np.abs(z).max()
        if not z_scale > 0.0:
            return 0.0
        z /= z_scale
        v = (np.asarray(X.T @ z.astype(X.dtype), dtype=np.float64).ravel()
             - offsets * (row_scale @ z))
        if columns is not None:
            v[~columns] = 0.0
        eigenvalue = z_scale * _scaled_norm(v)
        if not eigenvalue > 0.0:
            return 0.0
    return float(eigenvalue)


def _scaled_norm(v):
    """Euclidean norm of ``v`` without overflow or underflow of the squares."""
    v_scale = np.abs(v).max()
    return v_scale * np.linalg.norm(v / v_scale) if v_scale > 0.0 else 0.0


def alpha_grid_top(design, l1_ratio, positive=False, columns=None):
    """Top of the automatic grid: the smallest ``alpha`` at which ``w = 0`` is optimal for
    every target; for ``l1_ratio = 0`` (no such alpha), ``RIDGE_GRID_TOP`` times the largest
    eigenvalue of the datafit's Hessian ``Xc^T diag(s) Xc / S``. Only the ``columns`` (a
    mask, see :func:`varying_columns`) count when given."""
    if l1_ratio == 0.0:
        return RIDGE_GRID_TOP * largest_curvature(
            design.A, design.X_mean, design.sqrt_sw,
            np.full(design.shape[0], 1.0 / design.sw_sum), columns)
    if columns is not None and not np.any(columns):
        return 0.0
    XTy = np.asarray(design.A.T @ design.Y, dtype=np.float64)
    if columns is not None:
        XTy = XTy[columns]
    correlation = XTy.max() if positive else np.abs(XTy).max()
    return max(correlation, 0.0) / (design.sw_sum * l1_ratio)


def check_alphas(alphas):
    """User-given ``alphas`` as a decreasing float64 array (1-D, non-empty, finite, >= 0)."""
    alphas = np.asarray(alphas, dtype=np.float64)
    if alphas.ndim != 1 or alphas.size == 0:
        raise ValueError("alphas must be a non-empty 1-D array of finite values >= 0, got "
                         f"shape {alphas.shape}.")
    invalid = ~(np.isfinite(alphas) & (alphas >= 0))
    if invalid.any():
        raise ValueError("alphas must be a non-empty 1-D array of finite values >= 0, got "
                         f"{float(alphas[invalid][0])!r}.")
    return np.sort(alphas)[::-1]


def alpha_grid(alpha_max, n_alphas, eps, l1_ratio):
    """``n_alphas`` values from ``alpha_max`` down to ``eps * alpha_max`` on a log scale
    (``eps ** 2`` for ``l1_ratio = 0``, see ``RIDGE_GRID_TOP``), but no lower than the
    smallest normal float64 (a bottom that underflowed to 0 ended no log scale). An
    ``alpha_max`` of 0 (below that smallest normal), where every alpha gives the same
    model, is replaced by ``DEGENERATE_GRID_TOP``."""
    tiny = np.finfo(np.float64).tiny
    if alpha_max <= tiny:
        alpha_max = DEGENERATE_GRID_TOP
    alpha_max = min(alpha_max, np.finfo(np.float64).max / 2)  # a curvature beyond float64
    alpha_min = max(alpha_max * (eps if l1_ratio > 0.0 else eps**2), tiny)
    return np.geomspace(alpha_max, alpha_min, num=n_alphas)


def path_pays_for_gram(n_samples, n_features, n_alphas):
    """Whether an L1 path of ``n_alphas`` on a dense design runs on its Gram matrix from
    the start.

    With at least as many samples as features (and at most ``GRAM_MAX_FEATURES``), an
    epoch on ``X^T X`` costs no more than one on ``X``, and ``X^T X`` costs about as many
    passes of coordinate descent on ``X`` as ``n_features / GRAM_BLAS_SPEEDUP``, fewer
    than the path's (``PATH_PASSES_PER_ALPHA`` per alpha). Small designs gain most: the
    compiled path (:func:`gram_path`) spares the Python of a fit per alpha (100 alphas
    on 300 x 100: 6.5 ms against 18 ms on ``X``; 120 x 100: 7.9 against 19 ms).
    """
    return (n_features <= min(n_samples, GRAM_MAX_FEATURES)
            and n_alphas * PATH_PASSES_PER_ALPHA * GRAM_BLAS_SPEEDUP >= n_features)


def sparse_path_pays_for_gram(A, n_alphas):
    """Whether an L1 path of ``n_alphas`` on the sparse (CSR or CSC) ``A`` runs on its
    Gram matrix from the start: at least twice as many samples as features (at most
    ``GRAM_MAX_FEATURES``), forming ``X^T X`` (a sum of the rows' outer products) costs
    less than the path's passes over the stored entries (``PATH_PASSES_PER_ALPHA`` per
    alpha), and a pass over it no more than ``SPARSE_PATH_GRAM_PASSES`` of theirs.

    The compiled path on the Gram matrix has no Python between its fits and certifies
    them with no pass over ``X``: dna's 800 x 180 (25% stored) path of 100 alphas took 13
    ms on it against 33 on ``X``; random 3000 x 300 at 30% 24 against 119 ms.
    """
    n_samples, n_features = A.shape
    if gram_switch_work(n_samples, n_features) == np.inf:
        return False
    rows = stored_per_row(A).astype(np.float64)
    stored = rows.sum()
    return bool(n_features**2 <= SPARSE_PATH_GRAM_PASSES * stored
                and 0.5 * (rows @ rows) <= n_alphas * PATH_PASSES_PER_ALPHA * stored)


def design_path(design, alphas, penalty, l1_ratio, *, positive=False, solver="auto",
                max_iter=10_000, tol=1e-4, random_selection=False, seed=0, W_init=None,
                callback=None, gram=None):
    """Solve a prepared design along ``alphas`` (in the given order), warm-starting each fit.

    ``callback``, when given, is called as ``callback(i, alpha, W, gaps, n_iter)`` after
    each fit, with that fit's ``(n_targets, n_features)`` coefficients and per-target arrays.
    ``gram``, when given, is :func:`design_gram` of ``design``, shared with other paths.

    Returns
    -------
    W : ndarray of shape (n_alphas, n_targets, n_features)
    gaps, n_iter : ndarray of shape (n_alphas, n_targets)
        Duality gaps (divided by the weight sum, i.e. on the objective's scale) and epochs.
    """
    n_targets, n_features = design.Y.shape[1], design.shape[1]
    W = np.zeros((len(alphas), n_targets, n_features))
    gaps = np.zeros((len(alphas), n_targets))
    n_iter = np.zeros((len(alphas), n_targets), dtype=np.int64)
    previous = W_init
    before = None  # the solution before previous, and the total strengths of both
    strengths_before = (np.nan, np.nan)
    l1, l2 = penalty_strengths(penalty, alphas[0] * design.sw_sum, l1_ratio)
    if gram is None:
        gram = design_gram(design)
    ridge = None  # an L2 path solved directly: one eigendecomposition for every alpha
    if l1 == 0.0 and choose_solver(solver, design.shape, design.is_sparse, l1, l2, positive,
                                   design_kernel_pays(design, solver, l1)) == "cholesky":
        if design.shape[0] >= design.shape[1]:  # on the Gram matrix, which then certifies
            with np.errstate(over="ignore", invalid="ignore"):  # overflow: checked below
                G, B = gram()[:2]
            # one that overflowed (columns near 1e150 with large weights) is no system:
            # eigh may never return on its NaNs
            if np.all(np.isfinite(G)) and np.all(np.isfinite(B)):
                ridge = spectral_ridge(G, B)
        if ridge is None:
            ridge = ridge_spectral(design.A, design.X_mean, design.sqrt_sw, design.Y)
    penalized_solver = solver
    if solver == "auto" and l1 > 0.0 and (
            sparse_path_pays_for_gram(design.A, len(alphas)) if design.is_sparse
            else path_pays_for_gram(*design.shape, len(alphas))):
        penalized_solver = "gram"
    strengths = np.array([penalty_strengths(penalty, alpha * design.sw_sum, l1_ratio)
                          for alpha in alphas]).reshape(-1, 2)
    penalized = (strengths > 0.0).any(axis=1)  # 'gram' cannot certify alpha = 0
    compiled = (penalized.any()
                and choose_solver(penalized_solver, design.shape, design.is_sparse,
                                  *strengths[penalized][0], positive) == "gram")
    chunk = len(alphas) if callback is None else GRAM_PATH_CHUNK
    i = 0
    while i < len(alphas):
        # a run of penalized fits on the Gram matrix at once; the first one it does not
        # certify (if any) goes on below from where its descent stopped
        stop = i
        while stop < min(i + chunk, len(alphas)) and compiled and penalized[stop]:
            stop += 1
        start = previous
        if stop > i:
            n_certified, stopped_at, spent = gram_path(
                design, gram, strengths[i:stop, 0], strengths[i:stop, 1], previous,
                W[i:stop], gaps[i:stop], n_iter[i:stop], positive=positive,
                max_iter=max_iter, tol=tol, random_selection=random_selection, seed=seed,
                W_before=before, strengths_before=strengths_before,
            )
            for j in range(i, i + n_certified):
                gaps[j] /= design.sw_sum
                before, previous = previous, W[j]
                strengths_before = (strengths_before[1], strengths[j].sum())
                if callback is not None:
                    callback(j, alphas[j], W[j], gaps[j], n_iter[j])
            i += n_certified
            if i == stop:
                continue
            start = previous if stopped_at is None else stopped_at
        l1, l2 = strengths[i]
        result = solve_least_squares(
            design, l1, l2, positive=positive,
            max_iter=max_iter - int(np.max(spent)) if stop > i else max_iter, tol=tol,
            solver=penalized_solver if penalized[i] else solver, W_init=start,
            random_selection=random_selection, seed=seed, ridge=ridge, gram=gram,
        )
        if stop > i:  # the epochs of the compiled descent it went on from count too
            result = result._replace(n_iter=result.n_iter + spent)
        warn_if_not_converged(result, tol, design, f" at alpha={alphas[i]:.4g}", (l1, l2))
        W[i], gaps[i], n_iter[i] = result.W, result.gaps / design.sw_sum, result.n_iter
        before, previous = previous, result.W
        strengths_before = (strengths_before[1], strengths[i].sum())
        if callback is not None:
            callback(i, alphas[i], W[i], gaps[i], n_iter[i])
        i += 1
    return W, gaps, n_iter


@validate_params(
    {
        "X": ["array-like", "sparse matrix"],
        "y": ["array-like"],
        "penalty": [StrOptions({"l1", "l2", "elasticnet"})],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "alphas": ["array-like", None],
        "n_alphas": [Interval(Integral, 1, None, closed="left")],
        "eps": [Interval(Real, 0, 1, closed="neither")],
        "fit_intercept": ["boolean"],
        "sample_weight": ["array-like", Interval(Real, 0, None, closed="left"), None],
        "positive": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "selection": [StrOptions({"cyclic", "random"})],
        "random_state": ["random_state"],
        "solver": [StrOptions({"auto", "cd", "gram", "cholesky", "lsqr"})],
        "verbose": ["verbose"],
        "progress_bar": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def regularization_path(
    X,
    y,
    *,
    penalty="l1",
    l1_ratio=0.5,
    alphas=None,
    n_alphas=100,
    eps=1e-3,
    fit_intercept=True,
    sample_weight=None,
    positive=False,
    max_iter=10_000,
    tol=1e-4,
    selection="cyclic",
    random_state=None,
    solver="auto",
    verbose=0,
    progress_bar=False,
):
    """Fit :class:`~sklreg.LinearRegressor` along a decreasing grid of ``alpha``.

    Each fit starts from the previous solution (warm start), which makes a whole path
    cost little more than its last, hardest fit. The objective is that of
    :class:`~sklreg.LinearRegressor`; every solution is certified by its duality gap.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Training data (float32 or float64; CSR or CSC when sparse).
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Targets, each fitted independently.
    penalty : {'l1', 'l2', 'elasticnet'}, default='l1'
        Penalty; ``'elasticnet'`` uses ``l1_ratio``.
    l1_ratio : float, default=0.5
        Elastic-net mixing parameter in [0, 1] (``'elasticnet'`` only).
    alphas : array-like, default=None
        Values of ``alpha``; they are sorted in decreasing order. When None, ``n_alphas``
        values from ``alpha_max`` down to ``eps * alpha_max`` on a log grid, where
        ``alpha_max`` is the smallest ``alpha`` giving all-zero coefficients. An L2
        penalty has none: its grid starts at 10 times the largest eigenvalue of the
        (centered, weighted) ``X^T X / sum(sample_weight)`` (estimated from below by
        power iteration), where every direction of the data is shrunk about 11-fold or
        more, and spans ``eps ** 2``. Where that top is
        0, every alpha giving the same coefficients (all zero: features constant with
        an intercept, all-zero features, or, with an L1 part, a constant target), the
        grid starts at 1 instead.
    n_alphas : int, default=100
        Length of the automatic grid.
    eps : float, default=1e-3
        ``alpha_min / alpha_max`` of the automatic grid (squared for an L2 penalty); an
        ``alpha_min`` below the smallest normal float64 (2.2e-308) is raised to it.
    fit_intercept : bool, default=True
        Fit an unpenalized intercept.
    sample_weight : float or array-like of shape (n_samples,), default=None
        Non-negative sample weights (a float: the same weight for every sample, as in
        ``fit`` of the estimators).
    positive : bool, default=False
        Non-negative coefficients.
    max_iter : int, default=10000
        Maximum epochs of each fit (see :class:`~sklreg.LinearRegressor`).
    tol : float, default=1e-4
        Relative duality gap of each fit (see :class:`~sklreg.LinearRegressor`).
    selection : {'cyclic', 'random'}, default='cyclic'
        Coordinate order.
    random_state : int, RandomState instance or None, default=None
        Seed of the random coordinate order.
    solver : {'auto', 'cd', 'gram', 'cholesky', 'lsqr'}, default='auto'
        As in :class:`~sklreg.LinearRegressor`, but for 'auto' with an L1 part: 'gram'
        from the first alpha (one ``X^T X`` serves every alpha) on dense X with at least
        as many samples as features and at most 2000 features, when the path has at
        least ``n_features / 48`` alphas; on sparse X with at least 2 samples per feature
        when it stores at least ``n_features**2 / 8`` entries and forming ``X^T X`` costs
        fewer than 3 passes over them per alpha.
    verbose : int, default=0
        When positive, print one line per ``alpha`` (epochs, duality gap, non-zero
        coefficients) as its fit finishes.
    progress_bar : bool, default=False
        Show a tqdm progress bar over the ``alphas`` (needs the ``tqdm`` package).

    Returns
    -------
    path : RegularizationPath
        ``(alphas, coefs, intercepts, dual_gaps, n_iter)``; see :class:`RegularizationPath`.
    """
    X = native_byte_order(check_array(X, accept_sparse=["csc", "csr"],
                                      dtype=[np.float64, np.float32]))
    y = check_array(y, ensure_2d=False, dtype=np.float64)
    check_consistent_length(X, y)
    check_value_range(X, "X", X.shape[0])
    check_value_range(y, "y", X.shape[0])
    sample_weight = check_sample_weight(sample_weight, X)
    single_target = y.ndim == 1
    Y = y.reshape(len(y), -1)
    design = prepare_design(X, Y, sample_weight, fit_intercept)
    ratio = effective_l1_ratio(penalty, l1_ratio)
    if alphas is None:
        top = alpha_grid_top(design, ratio, positive,
                             varying_columns(X, sample_weight, fit_intercept))
        alphas = alpha_grid(top, n_alphas, eps, ratio)
    else:
        alphas = check_alphas(alphas)
    rescaled = weights_for_strength(sample_weight, X.shape[0], alphas[0])
    if rescaled is not sample_weight:  # the same objective, on strengths that stay finite
        design = prepare_design(X, Y, rescaled, fit_intercept)
    seed = check_random_state(random_state).randint(np.iinfo(np.int32).max)
    with tqdm_bar(progress_bar, len(alphas), "regularization_path", "alpha") as bar:

        def report(i, alpha, W, gaps, n_iter):
            if verbose:
                print(f"[regularization_path] alpha {i + 1}/{len(alphas)} = {alpha:.4g}: "
                      f"{int(n_iter.sum())} epochs, duality gap {gaps.max():.3g}, "
                      f"{np.count_nonzero(W)} non-zero", flush=True)
            bar.update()

        W, gaps, n_iter = design_path(
            design, alphas, penalty, l1_ratio, positive=positive, solver=solver,
            max_iter=max_iter, tol=tol, random_selection=selection == "random", seed=seed,
            callback=report if verbose or progress_bar else None,  # none: fewer round trips
        )
    intercepts, rounding = design.intercepts(W, X.dtype)  # (n_alphas, n_targets)
    warn_if_intercept_rounding_exceeds_tol(gaps, rounding, tol, design)
    coefs = np.moveaxis(W, 0, -1).astype(X.dtype)  # (n_targets, n_features, n_alphas)
    intercepts, gaps, n_iter = intercepts.T, (gaps + rounding).T, n_iter.T
    if single_target:
        coefs, intercepts, gaps, n_iter = coefs[0], intercepts[0], gaps[0], n_iter[0]
    return RegularizationPath(alphas, coefs, intercepts, gaps, n_iter)
