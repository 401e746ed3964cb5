"""LinearClassifierCV: cross-validation of LinearClassifier along warm-started paths."""

import inspect
import time
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.metrics import check_scoring, make_scorer
from sklearn.model_selection import check_cv
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metadata_routing import (
    MethodMapping,
    _manual_routing,
    _raise_for_params,
    _routing_enabled,
    process_routing,
)
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import (
    _check_method_params,
    _check_sample_weight,
    check_is_fitted,
)

from .._base import CachedParamsMixin
from .._penalties import penalty_strengths
from .._validation import validate_fit_data
from ..solvers._cd import extrapolate_along_path
from ._classifier import (
    ClassificationProblem,
    LinearClassifier,
    LinearClassifierMixin,
    center_solution,
    encode_targets,
    warn_if_problem_not_converged,
)
from ._cv import (
    cv_l1_ratios,
    path_label,
    run_paths,
    select_on_grid,
    split_folds,
    splitter_routing,
)
from ._path import (
    RIDGE_GRID_TOP,
    alpha_grid,
    check_alphas,
    column_ranges,
    largest_curvature,
)
from ._regressor import check_sample_weight


def classification_alpha_max(X, labels, n_classes, sample_weight, fit_intercept, l1_ratio):
    """Top of the automatic grid: the smallest ``alpha`` at which ``W = 0`` is optimal
    (with the intercepts alone fitted).

    It is ``max |X^T R| / l1_ratio`` with ``R`` the datafit derivatives of the
    intercept-only model, leaving out the entries within the rounding of their sums
    (``n_samples * eps * max |X_j| * ||R_k||_1``; 0 when all are): balanced classes on
    constant features, without intercepts. For ``l1_ratio = 0`` (no such alpha),
    ``RIDGE_GRID_TOP`` times the largest eigenvalue of the datafit's Hessian there,
    ``Xc^T diag(c) Xc`` times that of ``diag(f) - f f^T`` (``f`` the class frequencies,
    or its ``f (1 - f)`` for two classes), with ``c`` the normalized weights and ``Xc``
    centered when the intercepts are fitted. With intercepts, constant columns (on the
    rows of positive weight) are left out: centered, they are zero (see
    :func:`~sklreg.linear._path.varying_columns`). With intercepts and a single class of
    positive weight, it is 0: the intercepts alone reach the loss's infimum (where the
    rounding of the class frequencies left 1e-16).
    """
    class_totals = np.bincount(labels, weights=sample_weight, minlength=n_classes)
    if fit_intercept and np.count_nonzero(class_totals > 0.0) < 2:
        return 0.0
    low, high = column_ranges(X, sample_weight)
    columns = low < high if fit_intercept else np.ones(X.shape[1], dtype=bool)
    if not np.any(columns):
        return 0.0
    c = sample_weight / sample_weight.sum()
    onehot = (labels[:, None] == np.arange(n_classes)).astype(np.float64)
    freq = c @ onehot if fit_intercept else np.full(n_classes, 1.0 / n_classes)
    if l1_ratio == 0.0:
        if n_classes == 2:
            class_curvature = freq[0] * freq[1]
        else:
            class_curvature = np.linalg.eigvalsh(np.diag(freq) - np.outer(freq, freq))[-1]
        offsets = (np.asarray(X.T @ c, dtype=np.float64).ravel() if fit_intercept
                   else np.zeros(X.shape[1]))
        return RIDGE_GRID_TOP * class_curvature * largest_curvature(
            X, offsets, np.ones(X.shape[0]), c, columns)
    residual = (freq - onehot) * c[:, None]
    if n_classes == 2:
        residual = residual[:, 1:]
    gradient = np.abs(np.asarray(X.T @ residual))[columns]
    largest_entries = np.maximum(np.abs(low), np.abs(high))[columns]
    # per column and block: a huge column's rounding hid the others' gradients
    rounding = (X.shape[0] * np.finfo(np.float64).eps * largest_entries[:, None]
                * np.abs(residual).sum(axis=0))
    return float(np.where(gradient > rounding, gradient, 0.0).max()) / l1_ratio


def scorer_with_labels(scorer, classes):
    """``scorer`` with all the ``classes`` passed as ``labels`` when its metric takes them.

    A held-out part may lack a class, and metrics such as ``log_loss`` would infer the
    labels from it; scikit-learn's ``LogisticRegressionCV`` passes them the same way. For
    two classes, ``classes[1]`` is also passed as ``pos_label`` where the metric takes one.
    Arguments the scorer was made with take precedence.
    """
    score_func = getattr(scorer, "_score_func", None)
    if score_func is None:  # a plain callable, or the estimator's own score
        return scorer
    parameters = inspect.signature(score_func).parameters
    kwargs = {"labels": classes} if "labels" in parameters else {}
    if len(classes) == 2 and "pos_label" in parameters:
        kwargs["pos_label"] = classes[1]
    if not kwargs:
        return scorer
    return make_scorer(score_func, response_method=scorer._response_method,
                       greater_is_better=scorer._sign == 1, **{**kwargs, **scorer._kwargs})


def _accuracy(model, X, y, sample_weight):
    return float(np.average(model._classes_of(model._scores(X)) == y, weights=sample_weight))


def _neg_log_loss(model, X, y, sample_weight):
    proba = model._probabilities_of(model._scores(X))
    true_class = proba[np.arange(len(y)), np.searchsorted(model.classes_, y)]
    eps = np.finfo(proba.dtype).eps  # scikit-learn's log_loss clips so
    return -float(np.average(-np.log(np.clip(true_class, eps, 1.0 - eps)),
                             weights=sample_weight))


# scores scikit-learn's scorers give, computed without their validation of the targets
# (several milliseconds per call, which dominated a path's time on a few thousand rows),
# nor that of the held-out part, validated with all the data (1.2 ms per alpha on
# reuters_earn's third)
DIRECT_METRICS = {"accuracy": _accuracy, "neg_log_loss": _neg_log_loss}


class DirectScorer:
    """The scorer ``scoring`` (a key of ``DIRECT_METRICS``) on a fold's held-out part,
    computed directly; ``scorer`` (the same one, made by scikit-learn) takes the calls with
    metadata other than positive ``sample_weight``."""

    def __init__(self, scoring, scorer):
        self.metric = DIRECT_METRICS[scoring]
        self.scorer = scorer

    def __call__(self, model, X, y, **params):
        sample_weight = params.get("sample_weight")
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight, dtype=np.float64)
        if params.keys() - {"sample_weight"} or (sample_weight is not None
                                                 and not sample_weight.sum() > 0.0):
            return self.scorer(model, X, y, **params)
        return self.metric(model, X, y, sample_weight)


def _fitted_shell(classes, W, b, n_features):
    """A LinearClassifier carrying given coefficients, for scorers."""
    model = LinearClassifier()
    model.classes_, model.coef_, model.intercept_ = classes, W, b
    model.n_features_in_ = n_features
    return model


# refit=False keeps the solutions of every fold and grid point when they hold at most this
# many float64 values (128 MiB); beyond, each fold is fitted again at the selected point
KEPT_SOLUTIONS_MAX_VALUES = 2**24


class FoldSolution(NamedTuple):
    """A fold's fit as a fitted model reports it (along a path: one entry per ``alpha``)."""

    coef: np.ndarray  # (n_blocks, n_features), or (n_alphas, n_blocks, n_features)
    intercept: np.ndarray  # (n_blocks,), or (n_alphas, n_blocks)
    n_iter: int | np.ndarray
    dual_gap: float | np.ndarray  # NaN without penalty (alpha=0)

    def at(self, index):
        """The solution at ``alphas[index]`` of a path's solutions."""
        return FoldSolution(*(values[index] for values in self))


def _solve_at(problem, W, b, alpha, penalty, l1_ratio, params):
    """Solve ``problem`` in place from ``W``, ``b`` at ``(alpha, l1_ratio)``, warning when
    the fit does not converge; returns the iterations and the gap (NaN without penalty)."""
    l1_strength, l2_strength = penalty_strengths(penalty, alpha, l1_ratio)
    penalized = l1_strength > 0.0 or l2_strength > 0.0
    gap, n_iter, gap_tol = problem.solve(W, b, l1_strength, l2_strength, params["max_iter"],
                                         params["tol"])
    warn_if_problem_not_converged(problem, gap, gap_tol, params["max_iter"], n_iter,
                                  l1_strength, l2_strength, where=f" at alpha={alpha:.4g}")
    return n_iter, gap if penalized else float("nan")


def _reported(W, b, alpha):
    """Copies of ``W`` and ``b`` centered as a fitted model reports them."""
    W, b = W.copy(), b.copy()
    center_solution(W, b, penalized=alpha > 0.0)
    return W, b


def _fold_solution(X, labels, n_classes, effective_weight, train, alpha, penalty, l1_ratio,
                   params):
    """The :class:`FoldSolution` of a single fit on ``train``, from zero."""
    problem = ClassificationProblem(X[train], labels[train], n_classes, effective_weight[train],
                                    params["fit_intercept"])
    W = np.zeros((problem.n_blocks, problem.n_features))
    b = np.zeros(problem.n_blocks)
    n_iter, gap = _solve_at(problem, W, b, alpha, penalty, l1_ratio, params)
    return FoldSolution(*_reported(W, b, alpha), n_iter, gap)


def _extrapolate_solution(W, b, W_before, b_before, alpha_before, alpha_previous, alpha):
    """Move ``W``, ``b`` (the solution at ``alpha_previous``) in place along the path
    through the solution at ``alpha_before`` to a starting point for ``alpha``
    (:func:`~sklreg.solvers._cd.extrapolate_along_path` for the weights; the intercepts
    follow the same line). On 20-alpha paths (``bench_classifier_cv.py``) it took 10 - 20%
    off the fits of dna and tall_binary, and 5 - 10% off those of leukemia and colon with
    an L2 penalty."""
    for k in range(W.shape[0]):
        ratio = extrapolate_along_path(W[k], W_before[k], alpha, alpha_previous, alpha_before)
    b += ratio * (b - b_before)


def _fold_path_scores(X, y, labels, classes, score_params, effective_weight, train, test,
                      alphas, penalty, l1_ratio, params, scorer, progress=None,
                      keep_solutions=False):
    """Scores on ``test`` along a warm-started path fitted on ``train``, and the path's
    :class:`FoldSolution` when ``keep_solutions`` (else None).

    ``score_params`` holds the scorer's metadata for all the samples (e.g.
    ``sample_weight``), passed for those of ``test``. ``progress``, when given, is a label
    printed with the fold's figures once it is done.
    """
    start = time.perf_counter()
    score_params = _check_method_params(X, params=score_params, indices=test)
    # the held-out part is scored with the scorer's weights, if any: class weights that
    # zero it out leave its score defined
    test_weight = score_params.get("sample_weight")
    test_weight = len(test) if test_weight is None else np.sum(test_weight)
    if not (effective_weight[train].sum() > 0 and test_weight > 0):
        raise ValueError(
            "A cross-validation fold has no samples, or weights summing to zero, on its "
            "training or test part (class weights included on the training part): choose "
            "other folds (cv) or weights."
        )
    problem = ClassificationProblem(X[train], labels[train], len(classes),
                                    effective_weight[train], params["fit_intercept"])
    W = np.zeros((problem.n_blocks, problem.n_features))
    b = np.zeros(problem.n_blocks)
    n_iter = 0
    scores = np.empty(len(alphas))
    X_test, y_test = X[test], y[test]
    if keep_solutions:
        path = FoldSolution(np.empty((len(alphas), *W.shape)), np.empty((len(alphas), len(b))),
                            np.empty(len(alphas), dtype=np.int64), np.empty(len(alphas)))
    before = None  # (W, b, alpha) of the fit before the last one
    for i, alpha in enumerate(alphas):
        last = (W.copy(), b.copy(), alphas[i - 1]) if i > 0 else None
        if before is not None:
            _extrapolate_solution(W, b, *before, alphas[i - 1], alpha)
        before = last
        fit_iter, gap = _solve_at(problem, W, b, alpha, penalty, l1_ratio, params)
        coef, intercept = _reported(W, b, alpha)
        if keep_solutions:
            path.coef[i], path.intercept[i], path.n_iter[i], path.dual_gap[i] = (
                coef, intercept, fit_iter, gap)
        shell = _fitted_shell(classes, coef, intercept, X.shape[1])
        scores[i] = scorer(shell, X_test, y_test, **score_params)
        n_iter += fit_iter
    if progress is not None:
        print(f"[LinearClassifierCV] {progress}: {len(alphas)} alphas, {n_iter} "
              f"iterations, {time.perf_counter() - start:.2f} s, best test score "
              f"{scores.max():.4g}", flush=True)
    return scores, path if keep_solutions else None


class LinearClassifierCV(CachedParamsMixin, LinearClassifierMixin, ClassifierMixin,
                         BaseEstimator):
    r"""LinearClassifier with ``alpha`` (and ``l1_ratio``) chosen by cross-validation.

    For each ``l1_ratio`` and each fold, a warm-started path over a decreasing grid of
    ``alpha`` is fitted on the training part and scored on the held-out part; the
    ``(alpha, l1_ratio)`` of best mean score over the folds (among ties, the first
    ``l1_ratio`` of the list, then the largest ``alpha``) is then refitted on all the data
    (or, with ``refit=False``, the folds' own fits there are averaged).
    Objective, conversions and ``tol`` are those of :class:`~sklreg.LinearClassifier`.
    scikit-learn's ``LogisticRegressionCV(Cs=...)`` fits each fold at ``C``, that is at
    ``alpha = 1 / (C * S_train)`` with ``S_train`` the weight of the fold's training part
    (about ``(k - 1) / k`` of ``S`` for ``k`` folds): ``alphas = 1 / (Cs * S_train)`` gives
    its held-out scores and its choice, which it refits at ``alpha = 1 / (C_ * S)``.
    (``alphas = 1 / (Cs * S)`` penalizes every fold less, and can select another value.)

    Parameters
    ----------
    penalty : {'l1', 'l2', 'elasticnet'}, default='l2'
        Penalty on the weights.
    l1_ratio : float or array-like of float, default=0.15
        Elastic-net mixing parameter(s) in [0, 1]; a list is cross-validated too
        (``'elasticnet'`` only).
    alphas : int or array-like, default=30
        Grid of ``alpha``: an int builds that many values from ``alpha_max`` (computed on
        all the data, per ``l1_ratio``: the smallest ``alpha`` giving ``W = 0``) down to
        ``eps * alpha_max`` on a log scale; an array is used as given (sorted
        decreasingly). For ``l1_ratio = 0`` (L2, the default), which has no such alpha,
        the grid starts at 10 times the largest curvature of the loss at ``W = 0`` (the
        top eigenvalue of its Hessian, with the intercepts fitted, estimated from below by
        power iteration), where every direction of the data is shrunk about 11-fold or
        more, and spans ``eps ** 2``. Where that top
        is 0, every alpha giving ``W = 0`` on all the data (features constant with
        intercepts, all-zero features, a single class of positive weight with intercepts,
        or, with an L1 part, no feature telling the classes apart at ``W = 0``), the grid
        starts at 1 instead.
    eps : float, default=1e-3
        ``alpha_min / alpha_max`` of the automatic grid (squared for L2); an ``alpha_min``
        below the smallest normal float64 (2.2e-308) is raised to it.
    cv : int, cross-validation generator or iterable, default=None
        Folds, as in scikit-learn (None is 5-fold ``StratifiedKFold``). A group splitter's
        ``groups`` go through ``fit`` with metadata routing enabled
        (``sklearn.set_config(enable_metadata_routing=True)``), as in
        ``LogisticRegressionCV``; without it, give the folds:
        ``cv=list(StratifiedGroupKFold().split(X, y, groups))``.
    scoring : str, callable or None, default=None
        Scorer of the held-out parts, called as ``scorer(estimator, X, y)``; None is
        accuracy, as in ``LogisticRegressionCV``. ``'neg_log_loss'`` selects on
        probabilities. Without metadata routing, it is given ``sample_weight=`` when
        ``fit`` was given sample weights; with it, the metadata it requests (e.g.
        ``get_scorer('neg_log_loss').set_score_request(sample_weight=True)``), as
        scikit-learn's ``LogisticRegressionCV`` does. :meth:`score` uses it too.
    fit_intercept : bool, default=True
        Fit unpenalized intercepts.
    max_iter : int, default=100
        Maximum iterations of each fit, counted as by :class:`~sklreg.LinearClassifier`.
    tol : float, default=1e-4
        Relative duality gap of each fit.
    class_weight : dict, 'balanced' or None, default=None
        As in :class:`~sklreg.LinearClassifier` (computed once on all the data).
    n_jobs : int, default=None
        Folds (and ``l1_ratio`` values) run in parallel threads: the kernels release the GIL.
        Inside ``joblib.parallel_backend('dask')`` (or Ray's ``'ray'`` backend) they run
        on the cluster's workers instead, with the same results.
    verbose : int, default=0
        Print one line as each path (fold and ``l1_ratio``) finishes, when positive.
    progress_bar : bool, default=False
        Show a tqdm progress bar over the paths (needs the ``tqdm`` package).
    refit : bool, default=True
        Refit the model at the selected ``(alpha_, l1_ratio_)`` on all the data. When
        False, no fit on all the data is made: ``coef_`` and ``intercept_`` are the means
        over the folds of the fits on their training parts at the selected point (the true
        multinomial model has a single ``alpha_`` and ``l1_ratio_``, selected on the mean
        score whatever ``refit``). scikit-learn's ``LogisticRegressionCV(refit=False)``
        averages instead each fold's own best point: its ``C_`` and ``l1_ratio_`` are the
        means of the folds' best values, which no averaged fit was made at. The fold fits
        are those the scores were computed with, kept when all the paths' solutions take
        at most ``2**24`` float64 values (``n_l1_ratios * n_alphas * n_folds * n_blocks *
        (n_features + 1)``, ``n_blocks`` 1 for two classes, else ``n_classes``);
        otherwise each fold is fitted again at the selected point, from zero (``n_folds``
        fits, in parallel with ``n_jobs``, instead of one on all the data).

    Attributes
    ----------
    alpha_ : float
        Selected ``alpha``.
    l1_ratio_ : float
        Selected ``l1_ratio``.
    alphas_ : ndarray of shape (n_alphas,) or (n_l1_ratio, n_alphas)
        Grids used (decreasing): one per ``l1_ratio`` when they are generated and there are
        several, else the one grid.
    scores_ : ndarray of shape (n_alphas, n_folds) or (n_l1_ratio, n_alphas, n_folds)
        Held-out scores.
    classes_, coef_, intercept_ :
        Those of the model refitted on all the data, as in :class:`~sklreg.LinearClassifier`;
        with ``refit=False``, ``coef_`` and ``intercept_`` are the means over the folds of
        their fits at the selected point.
    n_iter_ : int, or ndarray of shape (n_folds,) with ``refit=False``
        Iterations of the refit on all the data, as in :class:`~sklreg.LinearClassifier`.
        With ``refit=False``, those of each fold's fit at the selected point: on its
        warm-started path, from the previous ``alpha`` (from zero when the fold was fitted
        again, see ``refit``).
    dual_gap_ : float, or ndarray of shape (n_folds,) with ``refit=False``
        Duality gap of the refit on all the data (NaN without penalty). With
        ``refit=False``, that of each fold's fit on its own training part: the averaged
        model has no certificate on any objective.
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
        "scoring": [str, callable, None],
        "fit_intercept": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
        "progress_bar": ["boolean"],
        "refit": ["boolean"],
    }

    def __init__(
        self,
        penalty="l2",
        *,
        l1_ratio=0.15,
        alphas=30,
        eps=1e-3,
        cv=None,
        scoring=None,
        fit_intercept=True,
        max_iter=100,
        tol=1e-4,
        class_weight=None,
        n_jobs=None,
        verbose=0,
        progress_bar=False,
        refit=True,
    ):
        self.penalty = penalty
        self.l1_ratio = l1_ratio
        self.alphas = alphas
        self.eps = eps
        self.cv = cv
        self.scoring = scoring
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.class_weight = class_weight
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.progress_bar = progress_bar
        self.refit = refit

    def _l1_ratios(self):
        return cv_l1_ratios(self.penalty, self.l1_ratio)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, **params):
        """Cross-validate the paths, then refit the best model on all the data (with
        ``refit=False``, average the folds' fits at the selected point instead).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights, used for fitting, and for the held-out scores (with metadata
            routing, when the scorer requests them).
        **params : dict
            Metadata for the CV splitter (e.g. ``groups``) and the scorer; only with
            metadata routing enabled (``sklearn.set_config(enable_metadata_routing=True)``),
            as in scikit-learn's ``LogisticRegressionCV``.

        Returns
        -------
        self : LinearClassifierCV
            Fitted estimator.
        """
        _raise_for_params(params, self, "fit")
        X, y = validate_fit_data(self, X, y)
        classes, labels, effective = encode_targets(self, X, y, sample_weight)
        # the splitter, the scorer and the refit get the weights as given (validated by
        # encode_targets): the scaling of check_sample_weight is the solvers' own, and a
        # scorer's weighted sums (accuracy_score(normalize=False)) were scaled by it;
        # unless their sum overflows, where that scaling keeps weighted means defined
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64)
            with np.errstate(over="ignore"):
                if not np.isfinite(sample_weight.sum()):
                    sample_weight = check_sample_weight(sample_weight, X)
        # before the routing, which would consume a generator of folds (as LassoCV)
        cv = check_cv(self.cv, y, classifier=True)
        if _routing_enabled():
            routed = process_routing(self, "fit", sample_weight=sample_weight, **params)
        else:
            # sample weights only when given, as scikit-learn: a callable
            # scorer(estimator, X, y) need not take them
            routed = _manual_routing({"splitter": {}, "scorer": {"score": (
                {} if sample_weight is None else {"sample_weight": sample_weight})}})
        l1_ratios = self._l1_ratios()
        if isinstance(self.alphas, Integral):
            alphas = np.array([
                alpha_grid(classification_alpha_max(X, labels, len(classes), effective,
                                                    self.fit_intercept, ratio),
                           self.alphas, self.eps, ratio)
                for ratio in l1_ratios
            ])
        else:
            alphas = np.tile(check_alphas(self.alphas), (len(l1_ratios), 1))
        folds = split_folds(cv, X, y, routed.splitter.split)
        scorer = scorer_with_labels(self._get_scorer(), classes)
        scoring = "accuracy" if self.scoring is None else self.scoring
        if isinstance(scoring, str) and scoring in DIRECT_METRICS:  # (a callable: unhashable)
            scorer = DirectScorer(scoring, scorer)
        params = {"fit_intercept": self.fit_intercept, "max_iter": self.max_iter,
                  "tol": self.tol}
        n_blocks = 1 if len(classes) == 2 else len(classes)
        keep_solutions = not self.refit and (
            alphas.size * len(folds) * n_blocks * (X.shape[1] + 1) <= KEPT_SOLUTIONS_MAX_VALUES)
        tasks = [(i, k) for i in range(len(l1_ratios)) for k in range(len(folds))]
        results = run_paths(
            self, (
                delayed(_fold_path_scores)(
                    X, y, labels, classes, routed.scorer.score, effective, *folds[k],
                    alphas[i], self.penalty, l1_ratios[i], params, scorer,
                    path_label(self, l1_ratios[i], k, len(folds)), keep_solutions,
                )
                for i, k in tasks
            ), len(tasks),
        )
        self.l1_ratio_, self.alpha_, self.alphas_, self.scores_ = select_on_grid(
            tasks, [scores for scores, _ in results], l1_ratios, alphas, len(folds),
            maximize=True, shared_grid=not isinstance(self.alphas, Integral),
        )
        self.classes_ = classes
        if self.refit:
            model = LinearClassifier(
                self.penalty, alpha=self.alpha_, l1_ratio=self.l1_ratio_,
                fit_intercept=self.fit_intercept, max_iter=self.max_iter, tol=self.tol,
                class_weight=self.class_weight,
            ).fit(X, y, sample_weight=sample_weight)
            self.coef_, self.intercept_ = model.coef_, model.intercept_
            self.n_iter_, self.dual_gap_ = model.n_iter_, model.dual_gap_
            return self

        if keep_solutions:
            best_ratio = np.flatnonzero(l1_ratios == self.l1_ratio_)[0]
            best_alpha = np.flatnonzero(alphas[best_ratio] == self.alpha_)[0]
            solutions = [path.at(best_alpha)  # in the order of the folds
                         for (i, _), (_, path) in zip(tasks, results, strict=True)
                         if i == best_ratio]
        else:
            solutions = Parallel(n_jobs=self.n_jobs, prefer="threads")(
                delayed(_fold_solution)(X, labels, len(classes), effective, train,
                                        self.alpha_, self.penalty, self.l1_ratio_, params)
                for train, _ in folds
            )
        self.coef_ = np.mean([solution.coef for solution in solutions], axis=0)
        self.intercept_ = np.mean([solution.intercept for solution in solutions], axis=0)
        self.n_iter_ = np.array([solution.n_iter for solution in solutions])
        self.dual_gap_ = np.array([solution.dual_gap for solution in solutions])
        return self

    def _get_scorer(self):
        """The scorer of the held-out parts (accuracy for ``scoring=None``)."""
        return check_scoring(self, scoring=self.scoring or "accuracy")

    def score(self, X, y, sample_weight=None, **score_params):
        """Score with the ``scoring`` option on the given data, as ``LogisticRegressionCV``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Test samples.
        y : array-like of shape (n_samples,)
            True labels of ``X``.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights, passed to the scorer.
        **score_params : dict
            Other metadata for the scorer; only with metadata routing enabled.

        Returns
        -------
        score : float
            The scorer's value (accuracy for ``scoring=None``).
        """
        check_is_fitted(self)
        _raise_for_params(score_params, self, "score")
        if sample_weight is not None:
            score_params["sample_weight"] = sample_weight
        if _routing_enabled():
            routed = process_routing(self, "score", **score_params)
        else:
            routed = _manual_routing({"scorer": {"score": (
                {} if sample_weight is None else {"sample_weight": sample_weight})}})
        scorer = scorer_with_labels(self._get_scorer(), self.classes_)
        return scorer(self, X, y, **routed.scorer.score)

    def get_metadata_routing(self):
        """Metadata routing of this estimator: ``fit`` routes to the CV splitter's
        ``split`` and to the scorer, ``score`` to the scorer.

        Returns
        -------
        routing : sklearn.utils.metadata_routing.MetadataRouter
            The routing information, as scikit-learn's ``LogisticRegressionCV`` gives it.
        """
        return splitter_routing(self).add(
            scorer=self._get_scorer(),
            method_mapping=MethodMapping().add(caller="fit", callee="score")
            .add(caller="score", callee="score"))
