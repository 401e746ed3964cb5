"""LinearRegressorCV: cross-validation along warm-started regularization paths."""

import functools
import time
import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, MultiOutputMixin, RegressorMixin, _fit_context
from sklearn.model_selection import check_cv
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    _manual_routing,
    _raise_for_params,
    _routing_enabled,
    process_routing,
)
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import _check_sample_weight

from .._base import CachedParamsMixin
from .._penalties import effective_l1_ratio, penalty_strengths
from .._progress import tqdm_bar
from .._validation import check_value_range, validate_fit_data
from ._design import moments_design, prepare_design
from ._least_squares import (
    design_gram,
    solve_least_squares,
    training_gram,
    whole_data_moments,
)
from ._path import (
    alpha_grid,
    alpha_grid_top,
    check_alphas,
    design_path,
    path_pays_for_gram,
    varying_columns,
)
from ._regressor import (
    LinearPredictorMixin,
    LinearRegressor,
    check_sample_weight,
    set_fitted_attributes,
    weights_for_strength,
)

# a test MSE formed from second moments (see _mse_on_moments) loses the digits its sum of
# squares cancels: below this fraction of the sum's scale, it is formed on the rows instead
MSE_CANCELLATION = 1e-4


def _fold_mse_paths(X, Y, sample_weight, train, test, alphas, penalty, l1_ratios, params,
                    progress=None, moments=None, test_part=None):
    """Weighted test MSE (averaged over targets) of the paths of every ``l1_ratio`` fitted
    on ``train``: a list with one array per ``l1_ratio``.

    The paths share the fold's design and its Gram matrix (when their solver forms one),
    formed from the whole data's ``moments`` (see :func:`training_gram`) when given and
    ``train`` holds, once each, more than half the rows; ``test_part``, when given, holds
    the product and :class:`~sklreg.linear._least_squares.PartSums` of the test rows in
    ``moments`` (see :func:`whole_data_moments`), reused when the test rows are all the
    others: for the Gram matrix and for the test errors. ``progress``, when given, holds a
    label per ``l1_ratio``, printed with the path's figures once it is done.
    """
    sw_train = None if sample_weight is None else sample_weight[train]
    # an empty part, or one of zero weight: its mean squared error would be NaN (0 / 0)
    if sample_weight is None:
        train_weight, test_weight = len(train), len(test)
    else:
        train_weight, test_weight = sw_train.sum(), sample_weight[test].sum()
    if not (train_weight > 0 and test_weight > 0):
        raise ValueError(
            "A cross-validation fold has no samples, or sample weights summing to zero, on "
            "its training or test part: choose other folds (cv) or weights."
        )
    rest = None  # the rows out of the training part, when its Gram matrix uses them
    if moments is not None and 2 * len(train) > X.shape[0]:
        outside = np.ones(X.shape[0], dtype=bool)
        outside[train] = False
        if np.count_nonzero(~outside) == len(train):  # no row repeated
            rest = np.flatnonzero(outside)
    test_product = rest_sums = None
    if rest is None:
        design = prepare_design(X[train], Y[train], sw_train, params["fit_intercept"],
                                copy=False)
        gram = design_gram(design)
    else:  # from the moments: the training rows are gathered only if a solver needs them
        if test_part is not None and np.array_equal(rest, np.sort(test)):
            test_product, rest_sums = test_part
        if rest_sums is None:
            rest_sums = moments.sums_of(rest)
        design = moments_design(moments, Y, sample_weight, params["fit_intercept"], rest,
                                rest_sums)
        gram = training_gram(design, moments, rest, test_product, rest_sums)
    test_rows = functools.cache(lambda: (
        X[test], Y[test], np.ones(len(test)) if sample_weight is None else sample_weight[test]))
    paths = []
    for i, l1_ratio in enumerate(l1_ratios):
        start = time.perf_counter()
        W, _, n_iter = design_path(
            design, alphas[i], penalty, l1_ratio, positive=params["positive"],
            solver=params["solver"], max_iter=params["max_iter"], tol=params["tol"],
            random_selection=params["random_selection"], seed=params["seed"], gram=gram,
        )
        n_alphas = W.shape[0]
        intercepts, _ = design.intercepts(W)
        if test_product is None:
            mse = _mse_on_rows(*test_rows(), W, intercepts)
        else:  # the test rows are the rest: their moments give the errors
            mse, cancelled = _mse_on_moments(W, intercepts, moments, rest_sums, test_product)
            if np.any(cancelled):
                mse[cancelled] = _mse_on_rows(*test_rows(), W[cancelled], intercepts[cancelled])
        if progress is not None:
            print(f"[LinearRegressorCV] {progress[i]}: {n_alphas} alphas, "
                  f"{int(n_iter.sum())} epochs, {time.perf_counter() - start:.2f} s, "
                  f"best test MSE {mse.min():.4g}", flush=True)
        paths.append(mse)
    return paths


def _mse_on_rows(X_test, Y_test, sw_test, W, intercepts):
    """Weighted test MSE (averaged over targets) of the fits ``W`` (n_fits, n_targets,
    n_features) with ``intercepts`` (n_fits, n_targets), from their predictions."""
    n_fits, n_targets, n_features = W.shape
    predictions = np.asarray(X_test @ W.reshape(-1, n_features).T, dtype=np.float64)
    predictions = predictions.reshape(-1, n_fits, n_targets) + intercepts
    squared_errors = ((Y_test[:, None, :] - predictions) ** 2).mean(axis=2)
    return sw_test @ squared_errors / sw_test.sum()


def _mse_on_moments(W, intercepts, moments, test_sums, test_product):
    """:func:`_mse_on_rows` from the second moments of the test rows (``test_product``,
    ``Z^T Z`` on them, and their :class:`~sklreg.linear._least_squares.PartSums`
    ``test_sums``), with no pass over the rows, and which fits' sums of squares cancelled
    (below ``MSE_CANCELLATION`` of their scale).

    With ``Z``, ``T``, ``c`` and ``t`` of ``moments`` and ``e = t - c.w - b``, a test
    row's weighted residual is ``sqrt(s_i) (y_i - x_i.w - b) = T_i - Z_i.w + sqrt(s_i) e``:
    the sum of their squares is ``||T||^2 + w.Z^T Z w + e^2 sum(s) - 2 w.Z^T T + 2 e (T -
    Z w).sqrt(s)``, at the cost of the products with the rows of ``Z^T Z`` of the fits'
    nonzero weights.
    """
    n_fits, n_targets, n_features = W.shape
    flat = W.reshape(-1, n_features)
    used = np.flatnonzero(np.any(flat != 0.0, axis=0))
    rows = test_product if len(used) == n_features else test_product[used]  # contiguous
    quadratic = np.einsum("ij,ij->i", flat[:, used] @ rows, flat)
    errors = moments.target_offset - W @ moments.X_offset - intercepts
    scale = (test_sums.target_sq_norms + quadratic.reshape(n_fits, n_targets)
             + errors**2 * test_sums.weight_sum)
    sse = scale - 2.0 * (np.einsum("akj,jk->ak", W, test_sums.target_products)
                         - errors * (test_sums.target_sums - W @ test_sums.weighted_sums))
    cancelled = np.any(sse < MSE_CANCELLATION * scale, axis=1)
    return sse.mean(axis=1) / test_sums.weight_sum, cancelled


def path_label(estimator, l1_ratio, fold, n_folds):
    """The label of a path's progress line, or None when ``estimator`` is not verbose."""
    if not estimator.verbose:
        return None
    return f"l1_ratio={l1_ratio:.3g} fold {fold + 1}/{n_folds}"


def run_paths(estimator, jobs, n_jobs_total, paths_per_job=1):
    """Run the delayed per-fold paths with ``estimator.n_jobs``, in order, with its progress bar.

    Threads by default (the kernels release the GIL); an enclosing
    ``joblib.parallel_backend`` (dask, ray, ...) takes precedence. The bar counts paths:
    ``paths_per_job`` for each of the ``n_jobs_total`` jobs.
    """
    if not estimator.progress_bar:
        return Parallel(n_jobs=estimator.n_jobs, prefer="threads")(jobs)
    with tqdm_bar(True, n_jobs_total * paths_per_job, type(estimator).__name__,
                  "path") as bar:
        results = []
        # results in order, as each finishes (return_as needs joblib >= 1.3)
        for result in Parallel(n_jobs=estimator.n_jobs, prefer="threads",
                               return_as="generator")(jobs):
            results.append(result)
            bar.update(paths_per_job)
    return results


def split_folds(cv, X, y, split_params):
    """The ``(train, test)`` folds of the checked splitter ``cv``, at least one.

    A splitter yielding none (``cv=[]``, or a generator of folds consumed by a previous
    ``fit``) would leave every mean score undefined and select the first alpha. The parts
    come as arrays of row indices in ``[0, n_samples)``, whatever numpy indexing the
    splitter gave (negative indices, boolean masks, lists).
    """
    rows = np.arange(X.shape[0])
    folds = [(rows[train], rows[test]) for train, test in cv.split(X, y, **split_params)]
    if not folds:
        raise ValueError(
            "The cross-validation splitter (cv) yielded no folds. A generator of folds is "
            "consumed by the first fit: pass a splitter or a list of folds instead."
        )
    return folds


def splitter_routing(estimator):
    """The metadata router of a CV estimator whose ``fit`` routes to its splitter's ``split``
    (``estimator.cv``), with the estimator's own requests."""
    return (
        MetadataRouter(owner=estimator)
        .add_self_request(estimator)
        .add(splitter=check_cv(estimator.cv),
             method_mapping=MethodMapping().add(caller="fit", callee="split"))
    )


def cv_l1_ratios(penalty, l1_ratio):
    """The ``l1_ratio`` values a CV estimator searches: its list, or the penalty's own."""
    if penalty != "elasticnet":
        return np.array([effective_l1_ratio(penalty, 0.0)])
    ratios = np.atleast_1d(np.asarray(l1_ratio, dtype=np.float64)).ravel()
    if ratios.size == 0 or not np.all((ratios >= 0) & (ratios <= 1)):  # (NaN fails too)
        raise ValueError(f"l1_ratio must be values in [0, 1], got {l1_ratio!r}.")
    return ratios


def select_on_grid(tasks, results, l1_ratios, alphas, n_folds, maximize, shared_grid):
    """Gather per-fold paths into a grid and pick the best ``(l1_ratio, alpha)``.

    Parameters
    ----------
    tasks : list of (int, int)
        ``(l1_ratio index, fold index)`` of each result.
    results : list of ndarray of shape (n_alphas,)
        The fold's score (or error) along its path.
    l1_ratios : ndarray of shape (n_l1_ratios,)
    alphas : ndarray of shape (n_l1_ratios, n_alphas)
    n_folds : int
    maximize : bool
        Best is the largest mean over folds (a score) rather than the smallest (an error).
        NaN means (a fold's score undefined) rank last, with a warning.
    shared_grid : bool
        Every ``l1_ratio`` has the same alphas (given by the user): they are returned once.

    Returns
    -------
    l1_ratio, alpha : float
        The selection.
    alphas, grid : ndarray
        The alphas and the ``(n_l1_ratios, n_alphas, n_folds)`` grid, with the first axis
        dropped when there is a single ``l1_ratio`` (as scikit-learn's CV estimators); the
        alphas are also 1-D for a ``shared_grid`` (as ``ElasticNetCV``'s given alphas).
    """
    grid = np.empty((len(l1_ratios), alphas.shape[1], n_folds))
    for (i, k), values in zip(tasks, results, strict=True):
        grid[i, :, k] = values
    mean = grid.mean(axis=2)
    if np.isnan(mean).any():
        # the worst, as GridSearchCV ranks them (np.argmax would pick the first NaN: e.g.
        # precision with zero_division=np.nan selected the all-zero model of alpha_max)
        warnings.warn(
            f"{np.isnan(mean).sum()} of the {mean.size} mean held-out scores are NaN (a "
            "fold's score undefined): they are ranked last.",
            UserWarning,
            stacklevel=3,
        )
        mean = np.where(np.isnan(mean), -np.inf if maximize else np.inf, mean)
    best = np.argmax(mean) if maximize else np.argmin(mean)
    best_ratio, best_alpha = np.unravel_index(best, mean.shape)
    single_ratio = len(l1_ratios) == 1
    return (float(l1_ratios[best_ratio]), float(alphas[best_ratio, best_alpha]),
            alphas[0] if single_ratio or shared_grid else alphas,
            grid[0] if single_ratio else grid)


class LinearRegressorCV(CachedParamsMixin, LinearPredictorMixin, MultiOutputMixin,
                        RegressorMixin, BaseEstimator):
    r"""LinearRegressor with ``alpha`` (and ``l1_ratio``) chosen by cross-validation.

    For each ``l1_ratio`` and each fold, a warm-started regularization path is fitted on
    the training part and scored by the (sample-weighted) mean squared error on the held
    out part; the ``(alpha, l1_ratio)`` of lowest mean error over the folds is then refitted
    on all the data. With several targets, one ``(alpha, l1_ratio)`` is chosen for all of
    them, on the error averaged over the targets (as ``MultiTaskElasticNetCV``), while each
    target is still fitted independently. Objective, conversions and ``tol`` are those of
    :class:`~sklreg.LinearRegressor`; ``LassoCV`` is ``penalty='l1'``, ``ElasticNetCV``
    is ``penalty='elasticnet'`` with the same ``l1_ratio`` list.

    On dense float64 data with many more samples than features, the paths run on the
    Gram matrix ``X^T X`` of each training part, formed once from the whole data's and
    the held-out rows' (a fold costs its test part's product, not its training part's).

    Parameters
    ----------
    penalty : {'l1', 'l2', 'elasticnet'}, default='l2'
        Penalty on the coefficients.
    l1_ratio : float or array-like of float, default=0.15
        Elastic-net mixing parameter(s) in [0, 1]; a list is cross-validated too
        (``'elasticnet'`` only).
    alphas : int or array-like, default=100
        Grid of ``alpha``: an int builds that many values from ``alpha_max`` (computed on
        all the data, per ``l1_ratio``: the smallest ``alpha`` giving all-zero
        coefficients) down to ``eps * alpha_max`` on a log scale, as scikit-learn's
        ``LassoCV(alphas=100)``; an array is used as given (sorted decreasingly). For
        ``l1_ratio = 0`` (L2), which has no such alpha, the grid starts at 10 times the
        largest eigenvalue of the (centered, weighted) ``X^T X / sum(sample_weight)``
        (estimated from below by power iteration), where every direction of the data is
        shrunk about 11-fold or more, and spans
        ``eps ** 2``. Where that top is 0, every alpha giving the same coefficients
        (all zero: features constant with an intercept, all-zero features, or, with an
        L1 part, a constant target), the grid starts at 1 instead.
    eps : float, default=1e-3
        ``alpha_min / alpha_max`` of the automatic grid (squared for L2); an ``alpha_min``
        below the smallest normal float64 (2.2e-308) is raised to it.
    cv : int, cross-validation generator or iterable, default=None
        Folds, as in scikit-learn (None is 5-fold ``KFold``). A group splitter's
        ``groups`` go through ``fit`` with metadata routing enabled
        (``sklearn.set_config(enable_metadata_routing=True)``), as in ``LassoCV``;
        without it, give the folds: ``cv=list(GroupKFold().split(X, y, groups))``.
    fit_intercept : bool, default=True
        Fit an unpenalized intercept.
    max_iter : int, default=10000
        Maximum epochs of each fit (see :class:`~sklreg.LinearRegressor`).
    tol : float, default=1e-4
        Relative duality gap of each fit.
    positive : bool, default=False
        Non-negative coefficients.
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
    n_jobs : int, default=None
        Folds run in parallel threads: the kernels release the GIL. (The paths of a fold's
        ``l1_ratio`` values run in turn, on its one design and Gram matrix.)
        Inside ``joblib.parallel_backend('dask')`` (or Ray's ``'ray'`` backend) they run
        on the cluster's workers instead, with the same results.
    verbose : int, default=0
        Print one line as each path (fold and ``l1_ratio``) finishes, when positive.
    progress_bar : bool, default=False
        Show a tqdm progress bar over the paths (needs the ``tqdm`` package).

    Attributes
    ----------
    alpha_ : float
        Selected ``alpha``.
    l1_ratio_ : float
        Selected ``l1_ratio``.
    alphas_ : ndarray of shape (n_alphas,) or (n_l1_ratio, n_alphas)
        Grids used (decreasing): one per ``l1_ratio`` when they are generated and there are
        several, else the one grid (as ``ElasticNetCV``).
    mse_path_ : ndarray of shape (n_alphas, n_folds) or (n_l1_ratio, n_alphas, n_folds)
        Test mean squared errors (averaged over the targets).
    coef_, intercept_, dual_gap_, n_iter_ :
        Those of the model refitted on all the data, as in :class:`~sklreg.LinearRegressor`.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names, when ``X`` has string column names.
    """

    _parameter_constraints = {
        "penalty": [StrOptions({"l1", "l2", "elasticnet"})],
        "l1_ratio": [Interval(Real, 0, 1, closed="both"), "array-like"],
        "alphas": [Interval(Integral, 1, None, closed="left"), "array-like"],
        "eps": [Interval(Real, 0, 1, closed="neither")],
        "cv": ["cv_object"],
        "fit_intercept": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "positive": ["boolean"],
        "selection": [StrOptions({"cyclic", "random"})],
        "random_state": ["random_state"],
        "solver": [StrOptions({"auto", "cd", "gram", "cholesky", "lsqr"})],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
        "progress_bar": ["boolean"],
    }

    def __init__(
        self,
        penalty="l2",
        *,
        l1_ratio=0.15,
        alphas=100,
        eps=1e-3,
        cv=None,
        fit_intercept=True,
        max_iter=10_000,
        tol=1e-4,
        positive=False,
        selection="cyclic",
        random_state=None,
        solver="auto",
        n_jobs=None,
        verbose=0,
        progress_bar=False,
    ):
        self.penalty = penalty
        self.l1_ratio = l1_ratio
        self.alphas = alphas
        self.eps = eps
        self.cv = cv
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.positive = positive
        self.selection = selection
        self.random_state = random_state
        self.solver = solver
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.progress_bar = progress_bar

    def _l1_ratios(self):
        return cv_l1_ratios(self.penalty, self.l1_ratio)

    def _grids(self, X, Y, sample_weight, l1_ratios, design=None):
        """The alphas of each ``l1_ratio``: the given ones, or a grid from the top set by
        the ``design`` of all the data (formed when not given)."""
        if not isinstance(self.alphas, Integral):
            return np.tile(check_alphas(self.alphas), (len(l1_ratios), 1))
        if design is None:
            design = prepare_design(X, Y, sample_weight, self.fit_intercept, fortran=False)
        columns = varying_columns(X, sample_weight, self.fit_intercept)
        return np.array([
            alpha_grid(alpha_grid_top(design, ratio, self.positive, columns), self.alphas,
                       self.eps, ratio)
            for ratio in l1_ratios
        ])

    def _folds_share_moments(self, X, folds, n_alphas, l1_ratios):
        """Whether the folds' paths run on Gram matrices formed from the whole data's
        second moments: dense float64 ``X``, paths on the Gram matrix (see
        :func:`path_pays_for_gram`) and training parts of more than half the rows, in at
        least two folds (each then costs its test part, not its training part)."""
        if sp.issparse(X) or X.dtype != np.float64 or self.solver not in ("auto", "gram"):
            return False
        train_sizes = np.array([len(train) for train, _ in folds])
        if np.count_nonzero(2 * train_sizes > X.shape[0]) < 2:
            return False
        if self.solver == "gram":
            return True
        return bool(np.any(l1_ratios > 0.0)) and path_pays_for_gram(
            int(train_sizes.min()), X.shape[1], n_alphas)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, **params):
        """Cross-validate the paths, then refit the best model on all the data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights, used for fitting and for the test errors.
        **params : dict
            Metadata for the CV splitter (e.g. ``groups``); only with metadata routing
            enabled (``sklearn.set_config(enable_metadata_routing=True)``), as in
            scikit-learn's ``LassoCV``.

        Returns
        -------
        self : LinearRegressorCV
            Fitted estimator.
        """
        _raise_for_params(params, self, "fit")
        X, y = validate_fit_data(self, X, y, multi_output=True, y_numeric=True)
        given_weight = sample_weight
        sample_weight = check_sample_weight(sample_weight, X)
        if given_weight is not None:  # to the splitter as given, not at the solvers' scale
            given_weight = _check_sample_weight(given_weight, X, dtype=np.float64)
        Y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        check_value_range(Y, "y", X.shape[0])
        l1_ratios = self._l1_ratios()
        n_alphas = (self.alphas if isinstance(self.alphas, Integral)
                    else len(check_alphas(self.alphas)))
        # before the routing, which would consume a generator of folds (as LassoCV)
        cv = check_cv(self.cv)
        if _routing_enabled():
            routed = process_routing(self, "fit", sample_weight=given_weight, **params)
        else:
            routed = _manual_routing({"splitter": {}})
        folds = split_folds(cv, X, y, routed.splitter.split)
        params = {
            "fit_intercept": self.fit_intercept, "positive": self.positive,
            "solver": self.solver, "max_iter": self.max_iter, "tol": self.tol,
            "random_selection": self.selection == "random",
            "seed": check_random_state(self.random_state).randint(np.iinfo(np.int32).max),
        }
        moments, whole_design, test_parts = None, None, [None] * len(folds)
        if self._folds_share_moments(X, folds, n_alphas, l1_ratios):
            moments = whole_data_moments(X, Y, sample_weight, self.fit_intercept,
                                         [test for _, test in folds])
            if moments.part_products:
                test_parts = list(zip(moments.part_products, moments.part_sums, strict=True))
            moments = moments._replace(part_products=(), part_sums=())  # a job gets its own
            whole_design = moments_design(moments, Y, sample_weight, self.fit_intercept)
        alphas = self._grids(X, Y, sample_weight, l1_ratios, whole_design)
        rescaled = weights_for_strength(sample_weight, X.shape[0], alphas.max())
        if rescaled is not sample_weight:  # the same objectives, on finite strengths
            sample_weight = rescaled
            if moments is not None:
                moments = whole_data_moments(X, Y, sample_weight, self.fit_intercept)
                whole_design = moments_design(moments, Y, sample_weight, self.fit_intercept)
                test_parts = [None] * len(folds)
        # a job per fold: the paths of its l1_ratios share its design and Gram matrix
        fold_results = run_paths(
            self, (
                delayed(_fold_mse_paths)(
                    X, Y, sample_weight, *folds[k], alphas, self.penalty, l1_ratios, params,
                    None if not self.verbose else [
                        path_label(self, ratio, k, len(folds)) for ratio in l1_ratios],
                    moments, test_parts[k],
                )
                for k in range(len(folds))
            ), len(folds), paths_per_job=len(l1_ratios),
        )
        tasks = [(i, k) for k in range(len(folds)) for i in range(len(l1_ratios))]
        results = [paths[i] for paths in fold_results for i in range(len(l1_ratios))]
        self.l1_ratio_, self.alpha_, self.alphas_, self.mse_path_ = select_on_grid(
            tasks, results, l1_ratios, alphas, len(folds), maximize=False,
            shared_grid=not isinstance(self.alphas, Integral),
        )

        if moments is not None:  # on the Gram matrix of the moments: no pass over X
            self._refit_on_moments(moments, whole_design, y.ndim == 1)
            return self
        model = LinearRegressor(
            self.penalty, alpha=self.alpha_, l1_ratio=self.l1_ratio_,
            fit_intercept=self.fit_intercept, max_iter=self.max_iter, tol=self.tol,
            positive=self.positive, selection=self.selection,
            random_state=self.random_state, solver=self.solver,
        ).fit(X, y, sample_weight=sample_weight)
        self.coef_, self.intercept_ = model.coef_, model.intercept_
        self.dual_gap_, self.n_iter_ = model.dual_gap_, model.n_iter_
        return self

    def _refit_on_moments(self, moments, design, single_target):
        """The refit at ``alpha_``, ``l1_ratio_`` on all the data from the ``moments`` the
        folds shared (see :func:`~sklreg.linear._least_squares.whole_data_moments`) and
        their ``design`` (see :func:`~sklreg.linear._design.moments_design`): the fit of
        :class:`~sklreg.LinearRegressor` on the same (float64) data, on its Gram matrix
        when the penalty has an L1 part."""
        l1, l2 = penalty_strengths(self.penalty, self.alpha_ * design.sw_sum, self.l1_ratio_)
        result = solve_least_squares(
            design, l1, l2, positive=self.positive,
            solver="gram" if l1 > 0.0 else self.solver, max_iter=self.max_iter,
            tol=self.tol, random_selection=self.selection == "random",
            seed=check_random_state(self.random_state).randint(np.iinfo(np.int32).max),
            gram=training_gram(design, moments, np.empty(0, dtype=np.intp)),
        )
        set_fitted_attributes(self, result, design, np.float64, single_target, (l1, l2))

    def get_metadata_routing(self):
        """Metadata routing of this estimator: ``fit`` routes to the CV splitter's ``split``.

        Returns
        -------
        routing : sklearn.utils.metadata_routing.MetadataRouter
            The routing information, as scikit-learn's ``LassoCV`` gives it.
        """
        return splitter_routing(self)
