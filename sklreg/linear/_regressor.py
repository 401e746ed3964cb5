"""LinearRegressor: least squares with an L1, L2 or elastic-net penalty."""

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, MultiOutputMixin, RegressorMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.extmath import safe_sparse_dot
from sklearn.utils.validation import _check_sample_weight, check_is_fitted

from .._base import CachedParamsMixin
from .._penalties import penalty_strengths
from .._validation import check_value_range, validate_fit_data, validate_predict_data
from ..cuda import check_device
from ._design import prepare_design
from ._least_squares import (
    SHADOW_MIN_TOL,
    choose_solver,
    solve_least_squares,
    sparse_gram_pays,
    sparse_kernel_pays,
    warn_if_intercept_rounding_exceeds_tol,
    warn_if_not_converged,
)


def check_sample_weight(sample_weight, X):
    """Validate sample weights: finite, non-negative, one per sample, positive sum.

    Returns None for None (uniform weights), else a float64 array whose mean is in
    ``[1/4, 1)``: the weights times a power of 4. Every objective is a weighted mean,
    unchanged by a common factor, and a power of 4 changes no rounding (its square root,
    a power of 2, scales the weighted design exactly), so a fit gives the same bits with
    any such multiple of its weights. With ``sum(s) <= n_samples``, weighted sums of
    squares (``sum_i s_i x_i^2``, in X's dtype) are bounded as unweighted ones are, by
    :func:`~sklreg._validation.check_value_range`: larger weights overflowed them (NaN
    coefficients, float32 designs from weights near 1e77), smaller ones underflowed the
    squares of weighted sums in the duality gaps.
    """
    if sample_weight is None:
        return None
    sample_weight = _check_sample_weight(
        sample_weight, X, dtype=np.float64, ensure_non_negative=True
    )
    largest = sample_weight.max()
    if not largest > 0.0:
        raise ValueError("The sample weights sum to zero: at least one must be positive.")
    # mean = 2^e_largest * mean(s / 2^e_largest), the latter at most 1: no overflow
    _, largest_exponent = np.frexp(largest)
    relative_mean = np.ldexp(sample_weight, -largest_exponent).mean()
    _, mean_exponent = np.frexp(relative_mean)  # mean in [2^(e-1), 2^e)
    quarter_powers = -(-(int(mean_exponent) + int(largest_exponent)) // 2)  # ceil(e / 2)
    if quarter_powers != 0:
        sample_weight = np.ldexp(sample_weight, -2 * quarter_powers)
    return sample_weight


# the largest penalty strength on the solvers' scaled objective (``alpha * S``): the gaps
# add it, or its products with norms of X and y, to sums of squares bounded by
# check_value_range (about max / 4); beyond it alpha * S overflowed to inf, and the gap
# of the (correct) zero coefficients was inf * 0 = NaN
LARGEST_STRENGTH = float(np.finfo(np.float64).max) / 16


def weights_for_strength(sample_weight, n_samples, alpha):
    """Sample weights on which ``alpha * S`` (``S`` their sum) is at most
    ``LARGEST_STRENGTH``: the given ones (None for uniform), or, when that product is
    larger, the same weights times a common factor (the objective is their weighted mean,
    unchanged by it), so that it is ``LARGEST_STRENGTH``.

    Parameters
    ----------
    sample_weight : ndarray of shape (n_samples,) or None
        Validated weights (see :func:`check_sample_weight`).
    n_samples : int
        Number of samples.
    alpha : float
        The largest regularization strength the weights will be fitted with.

    Returns
    -------
    sample_weight : ndarray of shape (n_samples,) or None
    """
    weight_sum = float(n_samples) if sample_weight is None else float(sample_weight.sum())
    if not float(alpha) * weight_sum > LARGEST_STRENGTH:  # Python floats: inf, no warning
        return sample_weight
    weights = np.ones(n_samples) if sample_weight is None else sample_weight
    return weights * (LARGEST_STRENGTH / alpha / weight_sum)


class LinearPredictorMixin:
    """``predict`` (``X @ coef_.T + intercept_``) and the sparse-input tag of the linear models."""

    def predict(self, X):
        """Predict with the fitted linear model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
            Predictions.
        """
        check_is_fitted(self)
        X = validate_predict_data(self, X)
        return safe_sparse_dot(X, np.asarray(self.coef_).T, dense_output=True) + self.intercept_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # device='cuda' takes dense X only (the CV estimators have no device: CPU)
        tags.input_tags.sparse = getattr(self, "device", "cpu") != "cuda"
        return tags


def set_fitted_attributes(estimator, result, design, dtype, single_target, strengths=None):
    """Set ``coef_``, ``intercept_``, ``n_iter_`` and ``dual_gap_`` of ``estimator`` from
    the :class:`~sklreg.linear._least_squares.LeastSquaresResult` of ``design``, rounded
    to ``dtype``; warn where a gap is above ``estimator.tol`` (the intercepts' rounding
    included). ``strengths``: the penalty's ``(l1, l2)`` on the scaled objective."""
    warn_if_not_converged(result, estimator.tol, design, strengths=strengths)
    coef = result.W.astype(dtype)
    intercept, rounding = design.intercepts(result.W, dtype)
    warn_if_intercept_rounding_exceeds_tol(result.gaps / design.sw_sum, rounding,
                                           estimator.tol, design)
    gaps = result.gaps / design.sw_sum + rounding
    if single_target:
        estimator.coef_ = coef[0]
        estimator.intercept_ = float(intercept[0])
        estimator.n_iter_ = int(result.n_iter[0])
        estimator.dual_gap_ = float(gaps[0])
    else:
        estimator.coef_ = coef
        estimator.intercept_ = intercept
        estimator.n_iter_ = result.n_iter
        estimator.dual_gap_ = gaps


class LinearRegressor(CachedParamsMixin, LinearPredictorMixin, MultiOutputMixin,
                      RegressorMixin, BaseEstimator):
    r"""Least squares with an L1, L2 or elastic-net penalty, solved to a certified accuracy.

    Minimizes, for each target independently (sample weights :math:`s_i`,
    :math:`S = \sum_i s_i`, all ones when none are given):

    .. math::

        P(w, b) = \frac{1}{2S} \sum_i s_i (y_i - x_i^\top w - b)^2
                  + \alpha \Big(\rho \|w\|_1 + \frac{1 - \rho}{2} \|w\|_2^2\Big)

    where :math:`\rho` is 1 for ``penalty='l1'``, 0 for ``'l2'`` and ``l1_ratio`` for
    ``'elasticnet'``. The intercept :math:`b` is never penalized.

    Conversions:

    - ``sklearn.linear_model.Lasso(alpha=a)`` is ``penalty='l1', alpha=a``;
    - ``ElasticNet(alpha=a, l1_ratio=r)`` is ``penalty='elasticnet', alpha=a, l1_ratio=r``;
    - ``Ridge(alpha=a)`` is ``penalty='l2', alpha=a / S`` (``S = n_samples`` unweighted);
    - ``SGDRegressor(alpha=a, penalty=p, l1_ratio=r)`` uses the same values without
      sample weights; with them, SGD's loss is ``sum_i s_i L_i / n_samples`` (not divided
      by ``S``), so its ``alpha=a`` is ``alpha = a * n_samples / S`` here;
    - Keras ``L2(l2)`` with ``'mse'`` loss: ``alpha = l2`` with ``penalty='l2'``; Keras
      ``L1(l1)``: ``alpha = l1 / 2`` with ``penalty='l1'`` (Keras' mse has no 1/2). With
      ``k`` targets Keras' mse also averages over them: ``alpha`` is then ``k`` times
      larger (``k * l2``, ``k * l1 / 2``).

    Parameters
    ----------
    penalty : {'l1', 'l2', 'elasticnet'} or None, default='l2'
        Penalty on the coefficients. None fits ordinary least squares (``alpha`` ignored).
    alpha : float, default=1e-4
        Regularization strength, >= 0. ``alpha=0`` is ordinary least squares.
    l1_ratio : float, default=0.15
        Elastic-net mixing parameter in [0, 1]; used only with ``penalty='elasticnet'``.
    fit_intercept : bool, default=True
        Fit an (unpenalized) intercept.
    max_iter : int, default=10000
        Maximum number of coordinate-descent epochs (or LSQR iterations). An epoch runs over
        the working set, often a small part of the features: on the wide real datasets at
        ``alpha_max / 1000``, 1000 - 6000 epochs take 0.01 - 0.05 s. (scikit-learn's
        ``Lasso(max_iter=1000)`` counts passes over all the features.)
    tol : float, default=1e-4
        Relative tolerance: the solver stops when the duality gap falls below
        ``tol * P_null``, where ``P_null`` is the objective of the intercept-only model.
        (scikit-learn's ``Lasso(tol=t)`` stops at ``tol = 2 t`` in this scale.)
    warm_start : bool, default=False
        Start from the previous ``coef_`` (coordinate descent and LSQR).
    positive : bool, default=False
        Constrain the coefficients to be non-negative.
    selection : {'cyclic', 'random'}, default='cyclic'
        Coordinate order of coordinate descent; 'random' draws coordinates uniformly.
        'cyclic' visits the features in order, until 300 epochs have run on one working
        set of at most ``n_samples / 2`` features: from then on each epoch visits it in a
        new random permutation, seeded (cyclic descent crawls on columns that share a
        common factor).
    random_state : int, RandomState instance or None, default=None
        Seed of the random coordinate order (``selection='random'``).
    solver : {'auto', 'cd', 'gram', 'cholesky', 'lsqr'}, default='auto'
        - 'cd': coordinate descent (any penalty with ``alpha > 0``), stopped on the
          relative duality gap. On a dense float64 X of at least 2^18 entries and 128
          rows, with ``tol >= 1e-6``, descent runs on a float32 copy first (half the
          memory traffic), to ``1e-6`` (relative) below the target gap or half of it; the
          gap is certified on X itself, and descent goes on there where it exceeds
          ``tol``.
        - 'gram': coordinate descent on the precomputed ``X^T X`` (each update costs
          ``O(n_features)`` instead of ``O(n_samples)``): for many more samples than
          features. The result is certified with ``X^T r`` from ``X^T X`` and a bound on
          its rounding, or on ``X`` itself when that bound is too coarse.
        - 'cholesky': direct solve through the smaller of ``X^T X`` and ``X X^T`` (L2 or
          no penalty; dense or sparse); without penalty on dense X, SVD least squares
          (LAPACK's ``gelsd``) on the centered design instead, as the normal equations
          square its condition number.
        - 'lsqr': damped LSQR on the implicitly centered design (L2 or no penalty;
          meant for large sparse X).
        - 'auto': when the penalty has an L1 part or ``positive=True``, 'cd', which moves
          to 'gram' (of the features near the support) after about as many column passes
          as forming ``X^T X`` costs, when there are at most 2000 features and at least 2
          samples per feature; else 'cholesky', or 'lsqr' for sparse X where forming and
          factoring ``X^T X`` or ``X X^T`` would cost more than about ten LSQR iterations
          (always beyond 2000 features; a path factors once for all its alphas up to 2000).
          Unpenalized ``positive=True`` uses non-negative least squares.

        Ignored with ``device='cuda'``.
    device : {'cpu', 'cuda'}, default='cpu'
        Where the solver runs. 'cuda' (dense X only; needs ``pip install sklreg[cuda]`` and
        a CUDA GPU) runs accelerated proximal gradient with adaptive restart (FISTA),
        each column's step scaled by its own curvature, on the GPU, stopped on the same
        certified relative duality gap (``max_iter`` then counts its iterations;
        ``solver``, ``selection`` and ``random_state`` are not used). Without penalty it
        stops, as LSQR, when the gradient mapping ``g`` of the problem of unit-norm
        columns (``D^-1/2 X^T r``, ``D`` the squared norms of the centered columns;
        projected for ``positive=True``) satisfies ``||g|| <= atol ||X D^-1/2||_F ||y||``
        with ``atol = min(tol, 1e-6) / 100``. Fitted attributes are NumPy arrays either
        way.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
        Coefficients, in the float dtype of ``X``.
    intercept_ : float or ndarray of shape (n_targets,)
        Intercept (0 when ``fit_intercept=False``).
    n_iter_ : int or ndarray of shape (n_targets,)
        Epochs (coordinate descent) or iterations (LSQR) run; 1 for direct solves.
    dual_gap_ : float or ndarray of shape (n_targets,)
        Final duality gap, an upper bound on ``P(coef_, intercept_) - min P`` (NaN when
        there is no penalty: least squares is then solved directly, without certificate).
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names, when ``X`` has string column names.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklreg import LinearRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> model = LinearRegressor(penalty="l1", alpha=0.1).fit(X, y)
    >>> int((model.coef_ != 0).sum())  # as Lasso(alpha=0.1)
    7
    """

    _parameter_constraints = {
        "penalty": [StrOptions({"l1", "l2", "elasticnet"}), None],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "fit_intercept": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "warm_start": ["boolean"],
        "positive": ["boolean"],
        "selection": [StrOptions({"cyclic", "random"})],
        "random_state": ["random_state"],
        "solver": [StrOptions({"auto", "cd", "gram", "cholesky", "lsqr"})],
        "device": [StrOptions({"cpu", "cuda"})],
    }

    def __init__(
        self,
        penalty="l2",
        *,
        alpha=1e-4,
        l1_ratio=0.15,
        fit_intercept=True,
        max_iter=10_000,
        tol=1e-4,
        warm_start=False,
        positive=False,
        selection="cyclic",
        random_state=None,
        solver="auto",
        device="cpu",
    ):
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.positive = positive
        self.selection = selection
        self.random_state = random_state
        self.solver = solver
        self.device = device

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; float32 input gives float32 coefficients.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights (a positive sum); the loss is their weighted mean.

        Returns
        -------
        self : LinearRegressor
            Fitted estimator.
        """
        check_device(self.device, X)  # before validation: a failed fit changes nothing
        X, y = validate_fit_data(self, X, y, multi_output=True, y_numeric=True)
        sample_weight = check_sample_weight(sample_weight, X)
        if self.penalty is not None:
            sample_weight = weights_for_strength(sample_weight, X.shape[0], self.alpha)
        Y = np.asarray(y, dtype=np.float64)
        check_value_range(Y, "y", X.shape[0])
        single_target = Y.ndim == 1
        Y = Y.reshape(Y.shape[0], -1)
        n_targets, n_features = Y.shape[1], X.shape[1]

        use_cuda = check_device(self.device, X)  # again: a sparse DataFrame is sparse now

        l1_strength, l2_strength = penalty_strengths(self.penalty, self.alpha, self.l1_ratio)
        if use_cuda:
            design = prepare_design(X, Y, sample_weight, self.fit_intercept, True)
        else:
            sparse_ridge = self.solver == "auto" and l1_strength == 0.0 and sp.issparse(X)
            kernel_pays = sparse_ridge and sparse_kernel_pays(X)
            gram_pays = not sparse_ridge or kernel_pays or sparse_gram_pays(X)
            solver = choose_solver(self.solver, X.shape, sp.issparse(X), l1_strength,
                                   l2_strength, self.positive, kernel_pays, gram_pays)
            design = prepare_design(X, Y, sample_weight, self.fit_intercept,
                                    solver in ("cd", "gram"),
                                    float32_shadow=solver == "cd" and self.tol >= SHADOW_MIN_TOL)
        l1_strength, l2_strength = l1_strength * design.sw_sum, l2_strength * design.sw_sum

        W_init = None
        if self.warm_start and hasattr(self, "coef_"):
            previous = np.asarray(self.coef_, dtype=np.float64)
            previous = previous.reshape(-1, previous.shape[-1])
            if previous.shape == (n_targets, n_features):  # not another problem's weights
                W_init = previous
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        if use_cuda:
            from ..cuda._linear import solve_least_squares_cuda

            result = solve_least_squares_cuda(
                design, l1_strength, l2_strength, positive=self.positive,
                max_iter=self.max_iter, tol=self.tol, W_init=W_init,
            )
        else:
            result = solve_least_squares(
                design, l1_strength, l2_strength, positive=self.positive,
                # LSQR where a single fit's costs chose it (see sparse_gram_pays)
                solver="lsqr" if solver == "lsqr" else self.solver,
                max_iter=self.max_iter, tol=self.tol, W_init=W_init,
                random_selection=self.selection == "random", seed=seed,
            )
        set_fitted_attributes(self, result, design, X.dtype, single_target,
                              (l1_strength, l2_strength))
        return self

