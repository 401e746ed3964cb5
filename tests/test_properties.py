"""Property-based tests (hypothesis) of optimality, certification and invariances.

Random least-squares problems: dense or sparse X, float32 or float64, with or without
intercept and sample weights, each penalty, ``alpha`` log-uniform from 1e-4 to 2 times
``alpha_max``, solvers 'auto', 'cd' and 'gram'. The fast profile (default, derandomized) runs
30 examples per property; ``HYPOTHESIS_PROFILE=thorough`` runs 500 random ones.

Bounds used (``P`` the objective of ``CONVENTIONS.md``, ``w*`` its minimizer, ``G`` the
reported ``dual_gap_``, an upper bound on ``P(w) - P(w*)``):

- certified suboptimality: ``P(w) - P(w_ref) <= P(w) - P(w*) <= G`` for any reference
  ``w_ref`` (here an independent solve: scikit-learn's ``ElasticNet`` at ``tol=1e-12``, or the
  closed form for ridge);
- with an L2 part, ``P`` is ``mu``-strongly convex in ``w`` with ``mu = alpha (1 - l1_ratio)``
  (the intercept minimized out), so ``mu / 2 ||w - w*||^2 <= P(w) - P(w*) <= G`` gives
  ``||w - w*|| <= sqrt(2 G / mu)``;
- at ``alpha >= alpha_max`` (with an L1 part) ``w = 0`` is optimal, and the fit must return
  exact zeros.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from _reference import objective
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet

from sklreg import LinearRegressor, MLPClassifier, MLPRegressor
from sklreg._penalties import effective_l1_ratio

RIDGE_GRID_L1_RATIO = 1e-3  # L2 alphas are drawn on the scale of alpha_max at this l1_ratio
SLACK = 1e-12  # relative rounding of objective evaluations, times P_null


@st.composite
def problems(draw, dtypes=(np.float64, np.float32), sparse=(False, True),
             solvers=("auto", "cd", "gram"), penalties=("l1", "l2", "elasticnet")):
    """A random penalized least-squares problem and the estimator parameters to fit it."""
    seed = draw(st.integers(0, 2**31 - 1))
    n_samples = draw(st.integers(3, 40))
    n_features = draw(st.integers(1, 12))
    is_sparse = draw(st.sampled_from(sparse))
    rng = np.random.RandomState(seed)
    X = rng.randn(n_samples, n_features) * rng.uniform(0.1, 3.0, n_features)
    if is_sparse:
        X[rng.rand(n_samples, n_features) < 0.6] = 0.0
    w_true = rng.randn(n_features) * (rng.rand(n_features) < 0.5)
    y = X @ w_true + 0.3 * rng.randn(n_samples) + 2.0 * rng.randn()
    dtype = draw(st.sampled_from(dtypes))
    X = X.astype(dtype)
    sample_weight = rng.uniform(0.2, 3.0, n_samples) if draw(st.booleans()) else None
    fit_intercept = draw(st.booleans())
    penalty = draw(st.sampled_from(penalties))
    l1_ratio = draw(st.floats(0.05, 0.95)) if penalty == "elasticnet" else 0.5
    ratio = effective_l1_ratio(penalty, l1_ratio)
    alpha_max = _alpha_max(X, y, sample_weight, fit_intercept, max(ratio, RIDGE_GRID_L1_RATIO))
    alpha = alpha_max * 10 ** draw(st.floats(-4.0, np.log10(2.0)))
    if not alpha > 0:  # y constant after centering (or X zero): any alpha
        alpha = 1.0
    params = dict(penalty=penalty, alpha=alpha, l1_ratio=l1_ratio, fit_intercept=fit_intercept,
                  solver=draw(st.sampled_from(solvers)), max_iter=20_000,
                  tol=1e-8 if dtype == np.float64 else 1e-4)
    return dict(X=sp.csc_matrix(X) if is_sparse else X, y=y, sample_weight=sample_weight,
                params=params, ratio=ratio, alpha_max=alpha_max)


def _alpha_max(X, y, sample_weight, fit_intercept, l1_ratio):
    X = np.asarray(X, dtype=np.float64)
    sw = np.ones(len(y)) if sample_weight is None else sample_weight
    if fit_intercept:
        X = X - sw @ X / sw.sum()
        y = y - sw @ y / sw.sum()
    return np.max(np.abs(X.T @ (sw * y))) / (sw.sum() * l1_ratio)


def fit(problem, **changes):
    """Fit LinearRegressor on the problem; returns the model and whether it warned."""
    params = {**problem["params"], **changes}
    data = {k: changes.pop(k) for k in ("X", "y", "sample_weight") if k in changes}
    X = data.get("X", problem["X"])
    y = data.get("y", problem["y"])
    sample_weight = data.get("sample_weight", problem["sample_weight"])
    params = {k: v for k, v in params.items() if k not in ("X", "y", "sample_weight")}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        model = LinearRegressor(**params).fit(X, y, sample_weight=sample_weight)
    warned = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    return model, warned


def dense64(X):
    return (X.toarray() if sp.issparse(X) else np.asarray(X)).astype(np.float64)


def reference_solution(problem):
    """An independent solution: ridge in closed form, else scikit-learn's ElasticNet."""
    X, y, sw = dense64(problem["X"]), problem["y"], problem["sample_weight"]
    params, ratio = problem["params"], problem["ratio"]
    sw_ = np.ones(len(y)) if sw is None else sw
    if params["fit_intercept"]:
        X_mean, y_mean = sw_ @ X / sw_.sum(), sw_ @ y / sw_.sum()
    else:
        X_mean, y_mean = np.zeros(X.shape[1]), 0.0
    Xc, yc = X - X_mean, y - y_mean
    if ratio == 0.0:
        gram = Xc.T @ (sw_[:, None] * Xc) + params["alpha"] * sw_.sum() * np.eye(X.shape[1])
        coef = np.linalg.solve(gram, Xc.T @ (sw_ * yc))
    else:
        reference = ElasticNet(alpha=params["alpha"], l1_ratio=ratio, tol=1e-12,
                               max_iter=100_000, fit_intercept=params["fit_intercept"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            coef = reference.fit(X, y, sample_weight=sw).coef_
    return coef, y_mean - X_mean @ coef


def objective_of(problem, coef, intercept):
    params = problem["params"]
    return objective(dense64(problem["X"]), problem["y"], coef, intercept, params["alpha"],
                     problem["ratio"], problem["sample_weight"])


def null_objective(problem):
    y, sw = problem["y"], problem["sample_weight"]
    sw = np.ones(len(y)) if sw is None else sw
    y_mean = sw @ y / sw.sum() if problem["params"]["fit_intercept"] else 0.0
    return 0.5 * sw @ (y - y_mean) ** 2 / sw.sum()


def distance_bound(problem, model):
    """``sqrt(2 G / mu)``, with ``G`` the reported gap plus the rounding of ``P``.

    The gap is computed as a difference of objectives of size up to ``P_null``: it can come
    out as exactly 0 while ``P(w) - P*`` is ~1e-19 (seen: 1.2e-10 apart, both gaps 0.0).
    """
    mu = problem["params"]["alpha"] * (1 - problem["ratio"])
    rounding = 8 * np.finfo(np.float64).eps * max(null_objective(problem), 1e-300)
    return np.sqrt(2 * (model.dual_gap_ + rounding) / mu)


@given(problem=problems())
def test_reported_gap_bounds_true_suboptimality(problem):
    model, warned = fit(problem)
    gap = model.dual_gap_
    p_null = null_objective(problem)
    assert gap >= 0.0
    if not warned:  # converged: the gap reached tol (relative to P_null)
        assert gap <= problem["params"]["tol"] * p_null * (1 + 1e-9) + SLACK * p_null
    coef_ref, intercept_ref = reference_solution(problem)
    suboptimality = (objective_of(problem, model.coef_, model.intercept_)
                     - objective_of(problem, coef_ref, intercept_ref))
    assert suboptimality <= gap + SLACK * max(p_null, 1.0)


@given(problem=problems(penalties=("l2", "elasticnet")))
def test_distance_to_optimum_bounded_by_gap(problem):
    model, _ = fit(problem)
    coef_ref, _ = reference_solution(problem)
    bound = distance_bound(problem, model)
    distance = np.linalg.norm(model.coef_.astype(np.float64) - coef_ref)
    # the reference (tol=1e-12 or closed form) is itself within rounding of w*
    assert distance <= bound + 1e-6 * (1 + np.linalg.norm(coef_ref))


@given(problem=problems(penalties=("l1", "elasticnet")))
def test_zero_solution_above_alpha_max(problem):
    # alpha_max = 0 when X (centered) is zero: every alpha > 0 gives w = 0
    model, _ = fit(problem, alpha=max(problem["alpha_max"] * 1.01, 1e-300))
    assert_array_equal(model.coef_, 0.0)


def _assert_same_optimum(problem, model_a, model_b):
    """Both fits solve one problem: their objectives agree within the sum of their gaps."""
    p_a = objective_of(problem, model_a.coef_, model_a.intercept_)
    p_b = objective_of(problem, model_b.coef_, model_b.intercept_)
    slack = model_a.dual_gap_ + model_b.dual_gap_ + SLACK * max(null_objective(problem), 1.0)
    assert abs(p_a - p_b) <= slack


@given(problem=problems(dtypes=(np.float64,)))
def test_duplicated_row_equals_weight_two(problem):
    X, y = problem["X"], problem["y"]
    sw = problem["sample_weight"]
    sw = np.ones(len(y)) if sw is None else sw.copy()
    rows = np.r_[np.arange(len(y)), 0]
    X_dup = X[rows]
    model_dup, _ = fit(problem, X=X_dup, y=y[rows], sample_weight=sw[rows])
    sw[0] *= 2
    model_w, _ = fit(problem, sample_weight=sw)
    weighted = dict(problem, sample_weight=sw)
    _assert_same_optimum(weighted, model_dup, model_w)
    if problem["ratio"] < 1:  # strongly convex: the solutions themselves agree
        bound = distance_bound(problem, model_dup) + distance_bound(problem, model_w)
        assert np.linalg.norm(model_dup.coef_ - model_w.coef_) <= bound


@given(problem=problems(dtypes=(np.float64,)), data=st.data())
def test_permuting_columns_permutes_coefficients(problem, data):
    n_features = problem["X"].shape[1]
    permutation = np.array(data.draw(st.permutations(range(n_features))))
    model, _ = fit(problem)
    model_perm, _ = fit(problem, X=problem["X"][:, permutation])
    unpermuted = np.empty(n_features)
    unpermuted[permutation] = model_perm.coef_
    model_perm.coef_ = unpermuted
    _assert_same_optimum(problem, model, model_perm)
    if problem["ratio"] < 1:
        bound = distance_bound(problem, model) + distance_bound(problem, model_perm)
        assert np.linalg.norm(model.coef_ - unpermuted) <= bound


@given(problem=problems(dtypes=(np.float64,)), log_scale=st.floats(-3, 3))
def test_scaling_y_scales_solution(problem, log_scale):
    """``P(c w; c y)`` with L1 strength times ``c`` and L2 strength unchanged is ``c^2 P(w; y)``.

    So the lasso needs ``alpha`` times ``c``, ridge the same ``alpha``, and the elastic net
    the ``(alpha, l1_ratio)`` that give those strengths.
    """
    scale = 10.0**log_scale
    params, ratio = problem["params"], problem["ratio"]
    l1, l2 = params["alpha"] * ratio, params["alpha"] * (1 - ratio)
    alpha_scaled = scale * l1 + l2
    changes = dict(y=scale * problem["y"], alpha=alpha_scaled)
    if params["penalty"] == "elasticnet":
        changes["l1_ratio"] = scale * l1 / alpha_scaled
    model, _ = fit(problem)
    model_scaled, _ = fit(problem, **changes)
    # the objective is scaled by c^2, so the gaps too: compare on the original scale
    model_scaled.coef_ = model_scaled.coef_ / scale
    model_scaled.intercept_ = model_scaled.intercept_ / scale
    model_scaled.dual_gap_ = model_scaled.dual_gap_ / scale**2
    _assert_same_optimum(problem, model, model_scaled)


@given(problem=problems(dtypes=(np.float64,)), shift=st.floats(-1e3, 1e3))
def test_constant_added_to_y_moves_only_the_intercept(problem, shift):
    problem = dict(problem, params={**problem["params"], "fit_intercept": True})
    model, _ = fit(problem)
    model_shifted, _ = fit(problem, y=problem["y"] + shift)
    model_shifted.intercept_ -= shift
    _assert_same_optimum(problem, model, model_shifted)
    if problem["ratio"] < 1:
        bound = distance_bound(problem, model) + distance_bound(problem, model_shifted)
        assert np.linalg.norm(model.coef_ - model_shifted.coef_) <= bound


# ------------------------------------------------------------------ neural networks
@st.composite
def networks(draw):
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.RandomState(seed)
    n_samples, n_features = draw(st.integers(5, 30)), draw(st.integers(1, 6))
    X = rng.randn(n_samples, n_features)
    y = np.tanh(X @ rng.randn(n_features)) + 0.1 * rng.randn(n_samples)
    params = dict(
        hidden_layer_sizes=tuple(draw(st.lists(st.integers(1, 6), min_size=1, max_size=2))),
        activation=draw(st.sampled_from(["relu", "tanh", "logistic", "identity"])),
        penalty=draw(st.sampled_from(["l1", "group", "elasticnet"])),
        alpha=10 ** draw(st.floats(-3, -0.5)), l1_ratio=0.5,
        learning_rate_init=0.05, max_iter=15, random_state=seed % 1000,
    )
    return X, y, params


@given(network=networks(), classify=st.booleans())
def test_prune_preserves_predictions(network, classify):
    X, y, params = network
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if classify:
            model = MLPClassifier(**params).fit(X, y > np.median(y))
        else:
            model = MLPRegressor(**params).fit(X, y)
    pruned = model.prune()
    if classify:
        assert_allclose(pruned.predict_proba(X), model.predict_proba(X), rtol=1e-12,
                        atol=1e-14)
    else:
        assert_allclose(pruned.predict(X), model.predict(X), rtol=1e-12, atol=1e-14)
    assert sum(W.size for W in pruned.coefs_) <= sum(W.size for W in model.coefs_)


@given(network=networks())
def test_large_l1_penalty_gives_exact_zeros(network):
    """A prox step of size >= |w| sets w to exactly 0.0 (no tiny leftovers), and keeps it there."""
    X, y, params = network
    params = dict(params, penalty="l1", alpha=100.0, solver="sgd", momentum=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = MLPRegressor(**params).fit(X, y)
    for W in model.coefs_:
        assert_array_equal(W, 0.0)
    assert_allclose(model.predict(X), model.predict(X[:1]).repeat(len(X)), rtol=1e-12)


@pytest.mark.parametrize("estimator_class", [MLPRegressor, MLPClassifier])
@given(network=networks(), row=st.integers(0, 4))
def test_lbfgs_weight_two_equals_duplicated_row(estimator_class, network, row):
    X, y, params = network
    if estimator_class is MLPClassifier:
        y = y > np.median(y)
    params = dict(params, solver="lbfgs", penalty="l2", max_iter=4)  # ~10 ms an iteration
    rows = np.r_[np.arange(len(y)), row]
    sample_weight = np.ones(len(y))
    sample_weight[row] = 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        duplicated = estimator_class(**params).fit(X[rows], y[rows])
        weighted = estimator_class(**params).fit(X, y, sample_weight=sample_weight)
    for W_dup, W_w in zip(duplicated.coefs_, weighted.coefs_, strict=True):
        assert_allclose(W_dup, W_w, rtol=1e-6, atol=1e-8)
