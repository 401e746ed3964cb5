"""LinearRegressor against scikit-learn, optimality conditions, gap certificates, options."""

import warnings

import numpy as np
import pytest
import scipy.linalg
import scipy.sparse as sp
from _reference import alpha_max, kkt_violation, objective
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet, Lasso, LinearRegression, Ridge

from sklreg import LinearRegressor

L1_RATIOS = {"l1": 1.0, "l2": 0.0, "elasticnet": 0.5}


def make_problem(n_samples=80, n_features=120, sparse=False, seed=0, offset=True):
    """Regression data with a sparse truth, column offsets and positive weights."""
    rng = np.random.RandomState(seed)
    if sparse:
        X = sp.random(n_samples, n_features, density=0.2, random_state=rng, format="csr")
        coef = np.zeros(n_features)
        coef[:10] = rng.randn(10) * 3
        y = X @ coef + 0.1 * rng.randn(n_samples) + 2.0
    else:
        X, y = make_regression(n_samples, n_features, n_informative=10, noise=1.0,
                               random_state=seed)
        if offset:
            X += rng.uniform(-5, 5, n_features)
    sample_weight = rng.uniform(0.2, 2.0, n_samples)
    return X, y, sample_weight


def reference_fit(penalty, alpha, l1_ratio, fit_intercept, X, y, sample_weight, positive=False):
    """The scikit-learn estimator equivalent to a LinearRegressor setting, fitted tightly."""
    X = X.toarray() if sp.issparse(X) else X
    if penalty == "l2":
        S = len(y) if sample_weight is None else sample_weight.sum()
        model = Ridge(alpha=alpha * S, fit_intercept=fit_intercept, solver="svd")
    else:
        model = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, fit_intercept=fit_intercept,
                           tol=1e-14, max_iter=200_000, positive=positive)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X.astype(np.float64), y, sample_weight=sample_weight)


@pytest.mark.parametrize("penalty", ["l1", "elasticnet", "l2"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_matches_scikit_learn(penalty, fit_intercept, weighted, sparse, dtype):
    X, y, sw = make_problem(sparse=sparse)
    sw = sw if weighted else None
    l1_ratio = L1_RATIOS[penalty]
    alpha = alpha_max(X, y, max(l1_ratio, 0.5), sw, fit_intercept) / 20
    X_fit = X.astype(dtype)
    model = LinearRegressor(penalty, alpha=alpha, l1_ratio=l1_ratio, fit_intercept=fit_intercept,
                            tol=1e-7 if dtype == np.float32 else 1e-13, max_iter=100_000)
    model.fit(X_fit, y, sample_weight=sw)
    ref = reference_fit(penalty, alpha, l1_ratio, fit_intercept, X_fit, y, sw)

    assert model.coef_.dtype == dtype
    ours = objective(X_fit, y, model.coef_, model.intercept_, alpha, l1_ratio, sw)
    theirs = objective(X_fit, y, ref.coef_, ref.intercept_, alpha, l1_ratio, sw)
    assert abs(ours - theirs) <= 1e-6 * theirs
    atol = (1e-3 if dtype == np.float32 else 1e-5) * np.abs(ref.coef_).max()
    assert_allclose(model.coef_, ref.coef_, atol=atol)
    assert model.intercept_ == pytest.approx(ref.intercept_, abs=atol * 10 + 1e-6)
    if not fit_intercept:
        assert model.intercept_ == 0.0


@pytest.mark.parametrize("penalty", ["l1", "elasticnet", "l2"])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("positive", [False, True])
def test_kkt_conditions_hold(penalty, sparse, positive):
    X, y, sw = make_problem(sparse=sparse, seed=1)
    l1_ratio = L1_RATIOS[penalty]
    alpha = alpha_max(X, y, max(l1_ratio, 0.5), sw) / 30
    model = LinearRegressor(penalty, alpha=alpha, l1_ratio=l1_ratio, positive=positive,
                            solver="cd", tol=1e-12, max_iter=100_000)
    model.fit(X, y, sample_weight=sw)
    scale = np.abs(X.T @ (sw * (y - y.mean()))).max() / sw.sum()
    violation = kkt_violation(X, y, model.coef_, model.intercept_, alpha, l1_ratio, sw, positive)
    assert violation <= 1e-5 * scale
    if positive:
        assert np.all(model.coef_ >= 0)
    if l1_ratio > 0:
        assert 0 < np.count_nonzero(model.coef_) < X.shape[1]


@pytest.mark.parametrize("penalty", ["l1", "elasticnet", "l2"])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("tol", [1e-2, 1e-4])
def test_dual_gap_bounds_suboptimality(penalty, sparse, tol):
    X, y, sw = make_problem(n_samples=60, n_features=200, sparse=sparse, seed=2)
    l1_ratio = L1_RATIOS[penalty]
    alpha = alpha_max(X, y, max(l1_ratio, 0.5), sw) / 100
    params = dict(penalty=penalty, alpha=alpha, l1_ratio=l1_ratio, solver="cd", max_iter=100_000)
    loose = LinearRegressor(tol=tol, **params).fit(X, y, sample_weight=sw)
    tight = LinearRegressor(tol=1e-13, **params).fit(X, y, sample_weight=sw)
    p_loose = objective(X, y, loose.coef_, loose.intercept_, alpha, l1_ratio, sw)
    p_tight = objective(X, y, tight.coef_, tight.intercept_, alpha, l1_ratio, sw)
    p_null = objective(X, y, np.zeros(X.shape[1]), np.average(y, weights=sw), alpha, l1_ratio, sw)
    assert p_loose - p_tight <= loose.dual_gap_ * (1 + 1e-9) + 1e-13 * p_null
    assert loose.dual_gap_ <= tol * p_null
    assert tight.dual_gap_ <= 1e-13 * p_null


@pytest.mark.parametrize("sparse", [False, True])
def test_l1_sparsity_and_alpha_max(sparse):
    X, y, _ = make_problem(sparse=sparse)
    a_max = alpha_max(X, y)
    at_max = LinearRegressor("l1", alpha=a_max * (1 + 1e-9)).fit(X, y)
    assert_array_equal(at_max.coef_, 0.0)
    assert at_max.intercept_ == pytest.approx(y.mean())
    below = LinearRegressor("l1", alpha=a_max * 0.9).fit(X, y)
    assert np.count_nonzero(below.coef_) >= 1
    nnz = [np.count_nonzero(LinearRegressor("l1", alpha=a_max / f).fit(X, y).coef_)
           for f in (2, 10, 100)]
    assert nnz == sorted(nnz) and nnz[0] < nnz[-1]


def test_multi_target_equals_separate_fits():
    X, y, sw = make_problem()
    Y = np.column_stack([y, -2 * y + 1, np.full_like(y, 3.0)])
    params = dict(penalty="elasticnet", alpha=0.5, l1_ratio=0.4, tol=1e-10)
    model = LinearRegressor(**params).fit(X, Y, sample_weight=sw)
    assert model.coef_.shape == (3, X.shape[1])
    assert model.intercept_.shape == (3,) and model.dual_gap_.shape == (3,)
    for k in range(3):
        single = LinearRegressor(**params).fit(X, Y[:, k], sample_weight=sw)
        assert_allclose(model.coef_[k], single.coef_, atol=1e-9)
        assert_allclose(model.intercept_[k], single.intercept_, atol=1e-8)
    assert_array_equal(model.coef_[2], 0.0)
    assert model.intercept_[2] == pytest.approx(3.0)
    assert_allclose(model.predict(X)[:, 0], X @ model.coef_[0] + model.intercept_[0])
    ridge = LinearRegressor("l2", alpha=0.1).fit(X, Y[:, :1])
    assert ridge.coef_.shape == (1, X.shape[1]) and ridge.predict(X).shape == (len(y), 1)


def test_warm_start_continues_from_previous_solution():
    X, y, _ = make_problem(n_features=300, seed=3)
    alpha = alpha_max(X, y) / 200
    model = LinearRegressor("l1", alpha=alpha, tol=1e-8, warm_start=True, max_iter=10_000)
    model.fit(X, y)
    cold_iter = model.n_iter_
    model.set_params(tol=1e-9).fit(X, y)
    cold = LinearRegressor("l1", alpha=alpha, tol=1e-9, max_iter=10_000).fit(X, y)
    assert model.n_iter_ < cold.n_iter_ and cold_iter > 5
    assert_allclose(model.coef_, cold.coef_, atol=1e-5 * np.abs(cold.coef_).max())


def ar1_problem(seed, n_targets=1, rho=0.9, n_samples=200, n_features=100):
    """AR(1) columns (``rho`` apart), ten true weights per target and unit noise."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features))
    for j in range(1, n_features):
        X[:, j] = rho * X[:, j - 1] + np.sqrt(1 - rho**2) * X[:, j]
    coef = np.zeros((n_features, n_targets))
    coef[rng.choice(n_features, 10, replace=False)] = rng.standard_normal((10, n_targets))
    Y = X @ coef + rng.standard_normal((n_samples, n_targets))
    return X, Y[:, 0] if n_targets == 1 else Y


@pytest.mark.parametrize("case, seed", [("dense", 0), ("dense", 5), ("multi-target", 3),
                                        ("positive", 0), ("sparse", 0), ("elasticnet", 0),
                                        ("gram", 0)])
def test_warm_started_fits_with_a_small_max_iter_converge(case, seed):
    """Refits with warm_start=True and max_iter=7 each go on from the last one: the
    objective never increases, every dual_gap_ bounds the true suboptimality, and the
    target tol is reached. Descent had returned the best certified iterate by its gap,
    which after a few epochs was often the start itself: the same gap forever."""
    X, Y = ar1_problem(seed, n_targets=3 if case == "multi-target" else 1)
    if case == "sparse":
        X[np.random.default_rng(seed).uniform(size=X.shape) < 0.5] = 0.0
        X = sp.csc_matrix(X)
    penalty = "elasticnet" if case == "elasticnet" else "l1"
    l1_ratio = L1_RATIOS[penalty]
    Y2 = Y.reshape(len(Y), -1)
    alpha = max(alpha_max(X, y, l1_ratio) for y in Y2.T) / 300
    params = dict(penalty=penalty, alpha=alpha, l1_ratio=l1_ratio, positive=case == "positive",
                  solver="gram" if case == "gram" else "cd")
    tol = 1e-6
    optimum = LinearRegressor(**params, tol=1e-12, max_iter=10**5).fit(X, Y)

    def objectives(model):
        coef, intercept = model.coef_.reshape(Y2.shape[1], -1), np.ravel(model.intercept_)
        return np.array([objective(X, Y2[:, k], coef[k], intercept[k], alpha, l1_ratio)
                         for k in range(Y2.shape[1])])

    optimal = objectives(optimum)
    nulls = 0.5 * np.var(Y2, axis=0)  # the intercept-only objectives
    model = LinearRegressor(**params, tol=tol, warm_start=True, max_iter=7)
    previous = np.full(Y2.shape[1], np.inf)
    for _ in range(60):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, Y)
        current, gaps = objectives(model), np.atleast_1d(model.dual_gap_)
        assert np.all(current - optimal <= gaps + 1e-12 * nulls)
        assert np.all(current <= previous + 1e-13 * nulls)
        previous = current
        if np.all(gaps <= tol * nulls):
            break
    assert np.all(gaps <= tol * nulls), gaps / nulls


def test_warm_start_false_ignores_previous_fit():
    X, y, _ = make_problem()
    model = LinearRegressor("l1", alpha=1.0, tol=1e-10).fit(X, y)
    first = model.coef_.copy()
    model.fit(X, y)
    assert_array_equal(model.coef_, first)


@pytest.mark.parametrize("penalty", ["l1", "elasticnet", "l2"])
def test_positive_matches_scikit_learn(penalty):
    X, y, _ = make_problem(seed=4)
    l1_ratio = max(L1_RATIOS[penalty], 1e-12) if penalty != "l2" else 0.0
    alpha = alpha_max(X, y, 0.5) / 30
    model = LinearRegressor(penalty, alpha=alpha, l1_ratio=0.5, positive=True, tol=1e-12,
                            max_iter=100_000).fit(X, y)
    ref = ElasticNet(alpha=alpha, l1_ratio=L1_RATIOS[penalty], positive=True, tol=1e-14,
                     max_iter=200_000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref.fit(X, y)
    assert np.all(model.coef_ >= 0)
    ours = objective(X, y, model.coef_, model.intercept_, alpha, L1_RATIOS[penalty])
    theirs = objective(X, y, ref.coef_, ref.intercept_, alpha, L1_RATIOS[penalty])
    assert ours <= theirs * (1 + 1e-9) and l1_ratio >= 0


@pytest.mark.parametrize("solver", ["cd", "gram"])
@pytest.mark.parametrize("penalty", ["l1", "elasticnet"])
def test_cyclic_descent_turns_random_on_equicorrelated_columns(penalty, solver):
    """Columns sharing a common factor (pairwise correlation 0.8), 80 of 100 active.

    In a fixed cyclic order, coordinate descent took 1700 - 3800 epochs here, more than
    ``max_iter``; after ``SHUFFLE_AFTER_EPOCHS`` epochs on one working set its order turns
    to a new random permutation per epoch (seeded: the fit is reproducible), and the solve
    needs 350 - 450.
    """
    rng = np.random.RandomState(0)
    n_samples, n_features = 600, 100
    X = 0.9 * rng.randn(n_samples, 1) + 0.45 * rng.randn(n_samples, n_features) + 3.0
    y = X[:, :10] @ rng.randn(10) + rng.randn(n_samples)
    l1_ratio = L1_RATIOS[penalty]
    alpha = alpha_max(X, y, l1_ratio) / 1000
    sw = np.ones(n_samples)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = LinearRegressor(penalty, alpha=alpha, l1_ratio=l1_ratio, solver=solver,
                                tol=1e-10, max_iter=1000).fit(X, y)
    again = LinearRegressor(penalty, alpha=alpha, l1_ratio=l1_ratio, solver=solver,
                            tol=1e-10, max_iter=1000).fit(X, y)
    assert_array_equal(again.coef_, model.coef_)
    scale = np.abs(X.T @ (y - y.mean())).max() / n_samples
    violation = kkt_violation(X, y, model.coef_, model.intercept_, alpha, l1_ratio, sw, False)
    assert violation <= 1e-6 * scale
    assert np.count_nonzero(model.coef_) > 0.5 * n_features


def test_random_selection_reproducible_and_same_solution():
    X, y, _ = make_problem(seed=5)
    params = dict(penalty="l1", alpha=0.5, tol=1e-12, max_iter=100_000)
    a = LinearRegressor(selection="random", random_state=0, **params).fit(X, y)
    b = LinearRegressor(selection="random", random_state=0, **params).fit(X, y)
    c = LinearRegressor(selection="random", random_state=1, **params).fit(X, y)
    cyclic = LinearRegressor(**params).fit(X, y)
    assert_array_equal(a.coef_, b.coef_)
    assert a.n_iter_ == b.n_iter_
    assert not np.array_equal(a.coef_, c.coef_)  # a different order, bitwise
    assert_allclose(a.coef_, cyclic.coef_, atol=1e-6)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("shape", [(100, 30), (30, 100)])
def test_l2_solvers_agree(sparse, shape):
    X, y, sw = make_problem(*shape, sparse=sparse, seed=6)
    coefs = {}
    for solver in ["auto", "cholesky", "lsqr", "cd"]:
        model = LinearRegressor("l2", alpha=0.05, solver=solver, tol=1e-12, max_iter=100_000)
        model.fit(X, y, sample_weight=sw)
        coefs[solver] = model.coef_, model.dual_gap_
        assert model.dual_gap_ <= 1e-12 * np.var(y)
    ref = reference_fit("l2", 0.05, 0.0, True, X, y, sw)
    for solver, (coef, gap) in coefs.items():
        # strong convexity: ||w - w*||^2 <= 2 (P(w) - P*) / alpha <= 2 gap / alpha
        assert np.linalg.norm(coef - ref.coef_) <= np.sqrt(2 * gap / 0.05) + 1e-9, solver
        if solver in ("auto", "cholesky"):  # direct: exact up to rounding
            assert_allclose(coef, ref.coef_, rtol=1e-6, atol=1e-8, err_msg=solver)


@pytest.mark.parametrize("sparse", [False, True])
def test_no_penalty_is_least_squares(sparse):
    X, y, sw = make_problem(100, 20, sparse=sparse, seed=7)
    X_dense = X.toarray() if sparse else X
    ref = LinearRegression().fit(X_dense, y, sample_weight=sw)
    for model in [LinearRegressor(penalty=None, alpha=5.0), LinearRegressor("l1", alpha=0.0)]:
        model.fit(X, y, sample_weight=sw)
        assert_allclose(model.coef_, ref.coef_, rtol=1e-7, atol=1e-9)
        assert_allclose(model.intercept_, ref.intercept_, rtol=1e-7)
        assert np.isnan(model.dual_gap_)


def test_no_penalty_positive_is_nnls():
    X, y, _ = make_problem(100, 20, seed=8)
    model = LinearRegressor(penalty=None, positive=True).fit(X, y)
    ref = LinearRegression(positive=True).fit(X, y)
    assert_allclose(model.coef_, ref.coef_, atol=1e-8)
    assert_allclose(model.intercept_, ref.intercept_, rtol=1e-8)


def test_constant_target_gives_zero_coefficients():
    X, _, _ = make_problem()
    y = np.full(X.shape[0], 4.0)
    for penalty in ["l1", "l2", "elasticnet"]:
        model = LinearRegressor(penalty, alpha=0.1, solver="cd").fit(X, y)
        assert_array_equal(model.coef_, 0.0)
        assert model.intercept_ == pytest.approx(4.0)


def test_sample_weight_two_equals_duplicated_row():
    X, y, _ = make_problem(40, 60, seed=9)
    sw = np.ones(len(y))
    sw[:5] = 2.0
    X_dup = np.vstack([X, X[:5]])
    y_dup = np.concatenate([y, y[:5]])
    params = dict(penalty="elasticnet", alpha=0.3, l1_ratio=0.7, tol=1e-12, max_iter=100_000)
    weighted = LinearRegressor(**params).fit(X, y, sample_weight=sw)
    duplicated = LinearRegressor(**params).fit(X_dup, y_dup)
    assert_allclose(weighted.coef_, duplicated.coef_, atol=1e-8)
    assert_allclose(weighted.intercept_, duplicated.intercept_, atol=1e-8)


def test_zero_weights_drop_samples():
    X, y, _ = make_problem(40, 60, seed=10)
    sw = np.ones(len(y))
    sw[-10:] = 0.0
    params = dict(penalty="l1", alpha=0.3, tol=1e-12, max_iter=100_000)
    weighted = LinearRegressor(**params).fit(X, y, sample_weight=sw)
    dropped = LinearRegressor(**params).fit(X[:-10], y[:-10])
    assert_allclose(weighted.coef_, dropped.coef_, atol=1e-8)


def test_convergence_warning_names_the_gap():
    X, y, _ = make_problem(seed=11)
    model = LinearRegressor("l1", alpha=alpha_max(X, y) / 1000, max_iter=2, tol=1e-12)
    with pytest.warns(ConvergenceWarning, match=r"duality gap .* relative gap"):
        model.fit(X, y)
    assert model.n_iter_ == 2
    assert model.dual_gap_ > 0


def test_no_warning_when_converged():
    X, y, _ = make_problem(seed=11)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        LinearRegressor("l1", alpha=alpha_max(X, y) / 10).fit(X, y)


def test_sparse_and_dense_give_same_solution():
    X, y, sw = make_problem(sparse=True, seed=12)
    params = dict(penalty="l1", alpha=alpha_max(X, y, 1.0, sw) / 20, tol=1e-12, max_iter=10**5)
    dense = LinearRegressor(**params).fit(X.toarray(), y, sample_weight=sw)
    for fmt in ["csr", "csc"]:
        sparse = LinearRegressor(**params).fit(X.asformat(fmt), y, sample_weight=sw)
        assert_allclose(sparse.coef_, dense.coef_, atol=1e-8)
        assert sparse.intercept_ == pytest.approx(dense.intercept_, abs=1e-8)


def test_lasso_default_tolerance_conversion():
    """scikit-learn's Lasso(tol=t) certifies a relative gap 2 t in our scale."""
    X, y, _ = make_problem(seed=13)
    alpha = alpha_max(X, y) / 50
    ours = LinearRegressor("l1", alpha=alpha, tol=2e-4).fit(X, y)
    theirs = Lasso(alpha=alpha, tol=1e-4).fit(X, y)
    p_null = 0.5 * np.var(y)
    assert ours.dual_gap_ <= 2e-4 * p_null
    assert theirs.dual_gap_ / len(y) <= 2e-4 * p_null * (1 + 1e-9)


def test_lsqr_warm_start_solves_the_damped_problem():
    """LSQR started from a previous solution must still damp w itself, not w - w0."""
    X, y, _ = make_problem(80, 400, sparse=True, seed=14)
    exact = LinearRegressor("l2", alpha=1e-3, solver="cholesky").fit(X, y)
    model = LinearRegressor("l2", alpha=1e-3, solver="lsqr", tol=1e-6, warm_start=True)
    model.fit(X, y)
    model.set_params(tol=1e-12).fit(X, y)
    assert model.dual_gap_ <= 1e-12 * 0.5 * np.var(y)
    assert_allclose(model.coef_, exact.coef_, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("penalty", [None, "l2"])
def test_lsqr_ignores_the_scale_of_the_weights(penalty):
    """The objective is normalized by the sum of the weights; LSQR, whose stopping tests
    add an absolute eps to products of norms, stopped after one iteration at 1e-30."""
    X, y, _ = make_problem(30, 5, seed=12)
    kwargs = {"penalty": penalty, "alpha": 1e-2, "solver": "lsqr", "tol": 1e-10}
    unweighted = LinearRegressor(**kwargs).fit(X, y)
    tiny = LinearRegressor(**kwargs).fit(X, y, sample_weight=np.full(len(y), 1e-30))
    exact = LinearRegressor(**{**kwargs, "solver": "cholesky"}).fit(X, y)
    assert_allclose(unweighted.coef_, exact.coef_, rtol=1e-8)
    assert_allclose(tiny.coef_, unweighted.coef_, rtol=1e-10)
    assert_allclose(tiny.intercept_, unweighted.intercept_, rtol=1e-10)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("penalty", [None, "l2"])
def test_lsqr_ignores_the_scale_of_X_and_y(penalty, sparse):
    """The same eps in LSQR's stopping tests stopped it after one iteration, silently
    without a penalty, on targets or designs of magnitude 1e-30 (squares far from
    underflowing): the problem rescaled has the solution rescaled."""
    X, y, _ = make_problem(30, 5, seed=12)
    X = sp.csr_matrix(X) if sparse else X
    alpha = 1e-2
    kwargs = {"penalty": penalty, "solver": "lsqr", "tol": 1e-10}
    exact = LinearRegressor(penalty, alpha=alpha, solver="cholesky").fit(X, y)
    for scale in [1e-30, 1e30]:
        small_y = LinearRegressor(alpha=alpha, **kwargs).fit(X, y * scale)
        assert_allclose(small_y.coef_ / scale, exact.coef_, rtol=1e-8)
        small_X = LinearRegressor(alpha=alpha * scale**2, **kwargs).fit(X * scale, y)
        assert_allclose(small_X.coef_ * scale, exact.coef_, rtol=1e-8)
        assert_allclose(small_X.intercept_, exact.intercept_, rtol=1e-8)


def test_positive_warm_start_from_unconstrained_fit_is_feasible():
    rng = np.random.RandomState(15)
    X = rng.randn(50, 5)
    y = X @ np.array([1.0, -2.0, 0.5, -1.0, 3.0]) + 0.1 * rng.randn(50)
    alpha = 0.01
    model = LinearRegressor("l1", alpha=alpha, warm_start=True, tol=1e-10).fit(X, y)
    assert np.any(model.coef_ < 0)
    model.set_params(positive=True).fit(X, y)
    cold = LinearRegressor("l1", alpha=alpha, positive=True, tol=1e-10).fit(X, y)
    assert np.all(model.coef_ >= 0)
    assert_allclose(model.coef_, cold.coef_, atol=1e-6 * np.abs(cold.coef_).max())


def test_float32_gap_covers_the_rounded_intercept():
    """A large intercept rounded to float32 moves the objective; dual_gap_ must cover it."""
    rng = np.random.RandomState(16)
    X = rng.randn(200, 5).astype(np.float32)
    y = X.astype(np.float64) @ np.arange(1.0, 6.0) + 2e6 + 0.01 * rng.randn(200)
    model = LinearRegressor("l1", alpha=1e-3, tol=1e-12, max_iter=10**5).fit(X, y)
    tight = LinearRegressor("l1", alpha=1e-3, tol=1e-14, max_iter=10**5).fit(
        X.astype(np.float64), y)
    excess = (objective(X, y, model.coef_, model.intercept_, 1e-3, 1.0)
              - objective(X, y, tight.coef_, tight.intercept_, 1e-3, 1.0))
    assert excess <= model.dual_gap_ * (1 + 1e-6) + 1e-12


@pytest.mark.parametrize("penalty", ["l1", "l2"])
def test_float32_intercept_rounding_above_tol_warns(penalty):
    """An intercept of 1e6 rounds by up to 0.03 in float32, far above a 1e-6 relative gap of
    a target with unit variance: the reported gap exceeds tol, so the fit must warn."""
    from sklreg import regularization_path

    rng = np.random.RandomState(19)
    X = rng.randn(300, 5)
    y = X @ np.arange(1.0, 6.0) + 1e6 + rng.randn(300)
    with pytest.warns(ConvergenceWarning, match="Rounding the intercept to float32"):
        model = LinearRegressor(penalty, alpha=1e-3, tol=1e-6).fit(X.astype(np.float32), y)
    null_objective = 0.5 * np.var(y)
    assert model.dual_gap_ > 1e-6 * null_objective
    with pytest.warns(ConvergenceWarning, match="Rounding the intercept to float32"):
        regularization_path(X.astype(np.float32), y, penalty=penalty, n_alphas=3, tol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = LinearRegressor(penalty, alpha=1e-3, tol=1e-6).fit(X, y)
        regularization_path(X, y, penalty=penalty, n_alphas=3, tol=1e-6)
    assert model.dual_gap_ <= 1e-6 * null_objective


def test_warm_start_with_a_different_number_of_features_starts_cold():
    X, y, _ = make_problem(seed=17)
    model = LinearRegressor("l1", alpha=0.5, warm_start=True).fit(X, y)
    model.fit(X[:, :-1], y)
    assert model.coef_.shape == (X.shape[1] - 1,)


@pytest.mark.parametrize("penalty, solver", [("l1", "cd"), ("l2", "lsqr"), ("l2", "cholesky"),
                                             (None, "auto")])
def test_warm_start_fits_a_constant_target_by_its_intercept(penalty, solver):
    """A target that became constant kept the previous fit's weights (no solver visits a
    constant target), with a zero duality gap reported."""
    rng = np.random.RandomState(0)
    X = rng.randn(40, 5)
    y = rng.randn(40)
    model = LinearRegressor(penalty, alpha=0.01, solver=solver, warm_start=True)
    model.fit(X, np.c_[y, X @ np.ones(5)])
    model.fit(X, np.c_[y, np.full(40, 3.0)])
    assert_array_equal(model.coef_[1], 0.0)
    assert_allclose(model.predict(X)[:, 1], 3.0)

@pytest.mark.parametrize("penalty, solver", [("l1", "cd"), ("l2", "lsqr")])
def test_warm_start_from_weights_of_another_shape_starts_cold(penalty, solver):
    """Weights of a problem with as many entries but another shape (2 targets x 15
    features, then 1 x 30) were reshaped into a warm start."""
    rng = np.random.RandomState(0)
    X, Y = rng.randn(40, 15), rng.randn(40, 2)
    X_other, y_other = rng.randn(40, 30), rng.randn(40)
    params = {"penalty": penalty, "alpha": 0.01, "solver": solver, "max_iter": 1}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = LinearRegressor(warm_start=True, **params).fit(X, Y).fit(X_other, y_other)
        cold = LinearRegressor(**params).fit(X_other, y_other)
    assert_array_equal(model.coef_, cold.coef_)


def test_lsqr_honours_max_iter():
    X, y, _ = make_problem(80, 400, sparse=True, seed=18)
    with pytest.warns(ConvergenceWarning):
        model = LinearRegressor("l2", alpha=1e-6, solver="lsqr", max_iter=5, tol=1e-14)
        model.fit(X, y)
    assert model.n_iter_ <= 5


@pytest.mark.parametrize("sparse", [False, True])
def test_unpenalized_lsqr_stopped_by_max_iter_warns(sparse):
    """Without a penalty LSQR has no gap to report (NaN): stopping at max_iter short of
    its tolerance must still warn, and a converged run must not."""
    rng = np.random.RandomState(20)
    X = rng.randn(200, 50) * np.logspace(0, 3, 50)
    y = X @ rng.randn(50) + rng.randn(200)
    reference = LinearRegression().fit(X, y)  # dense: its sparse LSQR stops early here
    X = sp.csr_matrix(X) if sparse else X
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        model = LinearRegressor(None, solver="lsqr", max_iter=2).fit(X, y)
    assert model.n_iter_ <= 2 and np.isnan(model.dual_gap_)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = LinearRegressor(None, solver="lsqr", max_iter=10_000).fit(X, y)
    assert_allclose(model.coef_, reference.coef_, rtol=1e-5)


@pytest.mark.parametrize("weighted", [False, True])
def test_unpenalized_direct_solve_on_ill_conditioned_columns(weighted):
    """Least squares without a penalty, on polynomial features (condition number 2e9),
    reaches the objective of an SVD least-squares solve: through the normal equations
    (which square the condition number) it ended at 5 times that, without a warning."""
    rng = np.random.default_rng(0)
    x = np.sort(rng.uniform(0, 10, 200))
    y = np.sin(x) + 0.1 * rng.standard_normal(200)
    X = np.vander(x, 9, increasing=True)[:, 1:]
    sw = rng.uniform(0.5, 2.0, 200) if weighted else np.ones(200)
    model = LinearRegressor(None).fit(X, y, sample_weight=sw if weighted else None)
    q = np.sqrt(sw)
    mean = sw @ X / sw.sum()
    best = scipy.linalg.lstsq(q[:, None] * (X - mean), q * (y - sw @ y / sw.sum()))[0]

    def weighted_objective(coef, intercept):
        return 0.5 * sw @ (y - X @ coef - intercept) ** 2 / sw.sum()

    optimum = weighted_objective(best, sw @ (y - X @ best) / sw.sum())
    assert weighted_objective(model.coef_, model.intercept_) <= optimum * (1 + 1e-6)


@pytest.mark.parametrize("sparse", [False, True])
def test_large_column_offset_is_certified_honestly(sparse):
    """Implicit centering must not cancel the certificate away for a column of mean 1e7."""
    rng = np.random.RandomState(19)
    X = rng.randn(100, 20)
    X[:, 0] += 1e7
    y = X[:, 0] - 1e7 + X[:, 1] + 0.1 * rng.randn(100)
    X_fit = sp.csc_matrix(X) if sparse else X
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = LinearRegressor("l1", alpha=0.01, tol=1e-8, max_iter=10**4).fit(X_fit, y)
    reference = Lasso(alpha=0.01, tol=1e-14, max_iter=10**6).fit(X, y)
    excess = (objective(X, y, model.coef_, model.intercept_, 0.01, 1.0)
              - objective(X, y, reference.coef_, reference.intercept_, 0.01, 1.0))
    assert excess <= model.dual_gap_ + 1e-9 * np.var(y)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("penalty", ["l1", "elasticnet"])
@pytest.mark.parametrize("offset", [1e3, 1e7])
def test_sparse_columns_far_from_the_origin_converge_as_dense(offset, penalty, weighted):
    """A one-hot block beside raw numeric columns (a ColumnTransformer's sparse output)."""
    rng = np.random.RandomState(3)
    X = (rng.uniform(size=(400, 30)) < 0.1).astype(float)
    X[:, :3] = offset + rng.randn(400, 3)
    X[:, 3] = rng.uniform(size=400) < 0.9
    y = X[:, :4].sum(axis=1) - 3 * offset + X[:, 10:15].sum(axis=1) + 0.1 * rng.randn(400)
    sample_weight = rng.uniform(0.5, 2.0, 400) if weighted else None
    X_sparse = sp.csr_matrix(X)
    before = X_sparse.copy()
    kwargs = {"penalty": penalty, "alpha": 1e-3, "tol": 1e-10, "max_iter": 10**4}
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = LinearRegressor(**kwargs).fit(X_sparse, y, sample_weight)
    dense = LinearRegressor(**kwargs).fit(X, y, sample_weight)
    assert (X_sparse != before).nnz == 0
    assert_allclose(model.coef_, dense.coef_, rtol=1e-6, atol=1e-8)
    assert_allclose(model.intercept_, dense.intercept_, rtol=1e-9)
    assert_array_equal(model.coef_ == 0.0, dense.coef_ == 0.0)


def test_sgd_regressor_conversion_with_sample_weights():
    """``SGDRegressor(alpha=a)`` is ``alpha=a`` unweighted, and ``a * n_samples / S`` with
    sample weights: SGD's loss is ``sum_i s_i L_i / n_samples`` (the docstring said the
    same values, off by the mean weight, here 3)."""
    from sklearn.linear_model import SGDRegressor

    rng = np.random.RandomState(0)
    X = rng.randn(300, 5)
    y = X @ np.array([1.0, -2.0, 0.5, 0.0, 3.0]) + 0.3 * rng.randn(300)
    for weights in (None, rng.uniform(2.0, 4.0, 300)):
        sgd = SGDRegressor(alpha=0.1, penalty="l2", max_iter=3000, tol=None, eta0=0.005,
                           average=True, random_state=0).fit(X, y, sample_weight=weights)
        S = len(y) if weights is None else weights.sum()
        model = LinearRegressor("l2", alpha=0.1 * len(y) / S, tol=1e-12)
        model.fit(X, y, sample_weight=weights)
        assert_allclose(model.coef_, sgd.coef_, atol=5e-3)  # the rest is SGD's noise


@pytest.mark.parametrize("penalty", ["l1", "l2"])
def test_keras_conversion_with_several_targets(penalty):
    """Keras' ``'mse'`` averages over samples and targets and adds ``l1 ||W||_1`` or
    ``l2 ||W||^2``: with ``k`` targets it is ``alpha = k * l1 / 2`` or ``k * l2`` here (the
    subgradient of the Keras objective vanishes at sklreg's solution)."""
    X, y, _ = make_problem(n_samples=60, n_features=8)
    Y = np.column_stack([y, 0.5 * y + np.random.RandomState(1).randn(len(y))])
    n, k = Y.shape
    strength = 0.3  # Keras' l1 or l2
    alpha = k * (strength / 2 if penalty == "l1" else strength)
    model = LinearRegressor(penalty, alpha=alpha, tol=1e-14, max_iter=100_000).fit(X, Y)
    R = Y - X @ model.coef_.T - model.intercept_
    smooth = -2.0 / (n * k) * X.T @ R  # gradient of mean((Y - X W - b)^2) over samples, targets
    assert_allclose(R.mean(axis=0), 0.0, atol=1e-8 * np.abs(Y).max())  # intercepts
    if penalty == "l2":
        assert_allclose(smooth + 2 * strength * model.coef_.T, 0.0,
                        atol=1e-7 * np.abs(smooth).max())
    else:
        active = model.coef_.T != 0
        assert_allclose((smooth + strength * np.sign(model.coef_.T))[active], 0.0,
                        atol=1e-6 * strength)
        assert np.all(np.abs(smooth[~active]) <= strength * (1 + 1e-6))



@pytest.mark.parametrize("n_targets", [1, 2])
def test_torch_weight_decay_conversion(n_targets):
    """torch's ``weight_decay=wd`` adds ``wd * w`` to the gradient of ``MSELoss`` (the mean
    over samples and targets): ``alpha = k * wd / 2`` with ``k`` targets, without intercept
    (torch decays biases too); the torch gradient vanishes at sklreg's solution."""
    X, y, _ = make_problem(n_samples=60, n_features=8)
    Y = np.column_stack([y, 0.5 * y + np.random.RandomState(1).randn(len(y))])[:, :n_targets]
    n, k = Y.shape
    weight_decay = 0.3
    model = LinearRegressor("l2", alpha=k * weight_decay / 2, fit_intercept=False,
                            tol=1e-14).fit(X, Y)
    W = model.coef_.reshape(k, -1).T
    torch_gradient = -2.0 / (n * k) * X.T @ (Y - X @ W) + weight_decay * W
    assert_allclose(torch_gradient, 0.0, atol=1e-10 * np.abs(X.T @ Y).max() / n)

def test_default_max_iter_covers_wide_problems_at_small_alpha():
    """An epoch runs over the working set: a wide lasso at ``alpha_max / 10_000`` needs about
    1700 of them (milliseconds; 930 at ``alpha_max / 1000`` since inner solves end after
    ``INNER_MAX_PASSES``, 2000 before), over the former default of 1000, which warned on
    every wide real dataset there (colon, riboflavin, leukemia, west_breast, prostate,
    arcene)."""
    rng = np.random.RandomState(0)
    n_samples, n_features, rho = 50, 500, 0.95
    Z = rng.randn(n_samples, n_features)
    X = np.empty_like(Z)
    X[:, 0] = Z[:, 0]
    for j in range(1, n_features):  # AR(1) columns
        X[:, j] = rho * X[:, j - 1] + np.sqrt(1 - rho**2) * Z[:, j]
    w = np.zeros(n_features)
    w[rng.choice(n_features, 10, replace=False)] = rng.randn(10)
    y = X @ w + 0.5 * rng.randn(n_samples)
    alpha = np.abs((X - X.mean(0)).T @ (y - y.mean())).max() / n_samples / 10_000
    assert LinearRegressor().max_iter == 10_000
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = LinearRegressor("l1", alpha=alpha).fit(X, y)
    assert 1000 < model.n_iter_ < 10_000
    assert model.dual_gap_ <= 1e-4 * 0.5 * np.mean((y - y.mean()) ** 2)
    with pytest.warns(ConvergenceWarning):
        LinearRegressor("l1", alpha=alpha, max_iter=1000).fit(X, y)


@pytest.mark.parametrize("penalty", ["l1", "l2"])
@pytest.mark.parametrize("sparse_format", ["csc", "csr"])
def test_weighted_sparse_float32_offset_column_keeps_its_digits(penalty, sparse_format):
    """A sparse float32 column of mean 1e7 and spread 100, with sample weights: weighting
    it in float32 before centering rounded its entries by about 1 (the spread's
    digits), so the solver certified another problem, with dual_gap_ 10 times below the
    true suboptimality. As the dense design, it must be centered, then weighted."""
    rng = np.random.default_rng(0)
    n_samples = 200
    X = rng.standard_normal((n_samples, 5))
    X[:, 0] = np.round(X[:, 0] * 1e3) / 1e3 * 100 + 1e7
    X = X.astype(np.float32)
    X64 = X.astype(np.float64)
    y = X64 @ np.array([1.0, 2.0, 0.0, 0.0, -1.0]) - X64[:, 0].mean()
    y += 0.1 * rng.standard_normal(n_samples)
    sample_weight = rng.uniform(0.5, 2.0, n_samples)
    alpha, l1_ratio = 0.01, 1.0 if penalty == "l1" else 0.0
    X_sparse = getattr(sp, f"{sparse_format}_matrix")(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # the intercept's rounding
        model = LinearRegressor(penalty, alpha=alpha, tol=1e-5).fit(X_sparse, y, sample_weight)
    reference = LinearRegressor(penalty, alpha=alpha, tol=1e-13).fit(X64, y, sample_weight)
    suboptimality = (objective(X64, y, model.coef_, model.intercept_, alpha, l1_ratio,
                               sample_weight)
                     - objective(X64, y, reference.coef_, reference.intercept_, alpha,
                                 l1_ratio, sample_weight))
    assert suboptimality <= model.dual_gap_ + reference.dual_gap_


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_ridge_on_a_sparse_design_of_few_samples_factors_x_xt(fmt, fit_intercept,
                                                               monkeypatch):
    """Sparse, more features than the direct solver's limit on X^T X, few samples: ridge
    factors X X^T (n x n), where LSQR took 2.4x its time on dorothea (800 x 88119) and 5x
    on arcene; a tall sparse design keeps LSQR. Both reach scikit-learn's Ridge."""
    import sklreg.linear._least_squares as least_squares

    rng = np.random.RandomState(0)
    X = sp.random(60, 5000, density=0.05, random_state=rng, format=fmt) * 10.0 + 0.0
    y = X @ rng.randn(5000) + rng.randn(60)
    sample_weight = rng.uniform(0.0, 2.0, 60)
    sample_weight[:5] = 0.0
    alpha = 0.05
    plain_lsqr = least_squares.ridge_lsqr
    calls = []
    monkeypatch.setattr(least_squares, "ridge_lsqr",
                        lambda *args, **kwargs: calls.append(1) or plain_lsqr(*args, **kwargs))
    model = LinearRegressor("l2", alpha=alpha, fit_intercept=fit_intercept, tol=1e-10).fit(
        X, y, sample_weight)
    assert not calls
    ref = Ridge(alpha=alpha * sample_weight.sum(), fit_intercept=fit_intercept,
                solver="cholesky").fit(X.toarray(), y, sample_weight)
    assert_allclose(model.coef_, ref.coef_, rtol=1e-8, atol=1e-10 * np.abs(ref.coef_).max())
    assert_allclose(model.intercept_, ref.intercept_, rtol=1e-8, atol=1e-10)
    tall = sp.random(3000, 2500, density=0.02, random_state=rng, format=fmt)
    LinearRegressor("l2", alpha=alpha, fit_intercept=fit_intercept).fit(
        tall, tall @ rng.randn(2500))
    assert calls  # LSQR: X X^T would be 3000 x 3000


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("layout", ["csc", "csr", "dense", "fortran", "memmap"])
def test_read_only_inputs_give_the_same_fit_with_every_solver(layout, dtype, tmp_path):
    """A read-only design (``np.memmap`` opened with mode='r', ``writeable=False`` arrays,
    sparse matrices whose data and indices are read-only), read-only targets and weights
    are fitted by every solver as their writable copies, with and without intercept, and
    are not modified (a kernel typed for writable arrays would raise instead)."""
    X, y, sample_weight = make_problem(n_samples=40, n_features=12, sparse=layout in ("csc", "csr"))
    X = {"csc": sp.csc_matrix, "csr": sp.csr_matrix, "dense": np.array,
         "fortran": np.asfortranarray, "memmap": np.array}[layout](X).astype(dtype)
    if layout == "memmap":
        np.save(tmp_path / "X.npy", X)
        read_only = np.load(tmp_path / "X.npy", mmap_mode="r")
        parts = [read_only]
    else:
        read_only = X.copy() if sp.issparse(X) else X.copy(order="K")  # same layout
        parts = ([read_only.data, read_only.indices, read_only.indptr]
                 if sp.issparse(read_only) else [read_only])
    y_read_only, weights_read_only = y.copy(), sample_weight.copy()
    parts += [y_read_only, weights_read_only]
    for part in parts:
        part.flags.writeable = False
    settings = [("l1", "cd"), ("elasticnet", "gram"), ("l2", "cd"), ("l2", "cholesky"),
                ("l2", "lsqr"), (None, "cholesky"), (None, "lsqr"), ("l1", "auto")]
    for (penalty, solver), fit_intercept, positive in zip(
            settings * 2, [True] * 8 + [False] * 8, [False, True] * 8, strict=True):
        if positive and solver in ("cholesky", "lsqr"):
            solver = "auto"
        kwargs = {"alpha": 0.05, "l1_ratio": 0.5, "fit_intercept": fit_intercept,
                  "positive": positive, "solver": solver, "tol": 1e-8}
        writable = LinearRegressor(penalty, **kwargs).fit(X, y, sample_weight=sample_weight)
        model = LinearRegressor(penalty, **kwargs).fit(read_only, y_read_only,
                                                       sample_weight=weights_read_only)
        assert np.count_nonzero(model.coef_) > 0
        assert_array_equal(model.coef_, writable.coef_)
        assert model.intercept_ == writable.intercept_
    assert not any(part.flags.writeable for part in parts)
    assert_array_equal(read_only.toarray() if sp.issparse(X) else read_only,
                       X.toarray() if sp.issparse(X) else X)
    assert_array_equal(y_read_only, y)
    assert_array_equal(weights_read_only, sample_weight)


def test_sparse_ridge_runs_lsqr_where_factoring_costs_more():
    """'auto' ridge on sparse X of at most 2000 features factored X^T X whatever its
    density: 0.11 s on 5000 x 2000 at 1% stored, where LSQR (and scikit-learn's Ridge)
    takes 5 - 12 ms. It now runs LSQR there (several iterations), and still factors where
    that is cheap (one iteration); both reach the direct solution within their gaps."""
    rng = np.random.default_rng(0)
    for (n_samples, n_features), direct in (((5000, 2000), False), ((20000, 100), True)):
        X = sp.random(n_samples, n_features, density=0.01, format="csr", random_state=rng)
        y = np.asarray(X @ rng.standard_normal(n_features)).ravel()
        y += 0.1 * rng.standard_normal(n_samples)
        alpha = 1e-2 * np.mean(X.multiply(X).mean(axis=0))
        model = LinearRegressor("l2", alpha=alpha, tol=1e-8).fit(X, y)
        assert (model.n_iter_ == 1) == direct
        exact = LinearRegressor("l2", alpha=alpha, solver="cholesky").fit(X, y)
        ours = objective(X, y, model.coef_, model.intercept_, alpha, 0.0)
        optimum = objective(X, y, exact.coef_, exact.intercept_, alpha, 0.0)
        null = objective(X, y, 0 * exact.coef_, y.mean(), alpha, 0.0)
        assert ours - optimum <= model.dual_gap_ + 1e-12 * null
        assert model.dual_gap_ <= 1e-8 * null


def shadowed_fits(monkeypatch):
    """The designs :class:`LinearRegressor` fits, recorded as it prepares them."""
    import sklreg.linear._regressor as regressor_module

    designs = []
    plain = regressor_module.prepare_design
    monkeypatch.setattr(regressor_module, "prepare_design",
                        lambda *args, **kwargs: designs.append(plain(*args, **kwargs))
                        or designs[-1])
    return designs


@pytest.mark.parametrize("penalty, positive, weighted", [
    ("l1", False, False), ("elasticnet", False, False), ("l1", True, False), ("l1", False, True),
    ("elasticnet", False, True)])
@pytest.mark.parametrize("layout", ["C", "F"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_fits_on_a_float32_shadow_are_certified_and_match_scikit_learn(
        penalty, positive, weighted, layout, fit_intercept, monkeypatch):
    """A dense float64 fit of at least ``FLOAT32_SHADOW_MIN_ENTRIES`` entries descends on
    a float32 copy and is certified on the float64 design, products with the input only
    (never laid out by columns): its objective is scikit-learn's within the tolerance,
    its gap bounds its suboptimality, and descent on the float64 design gives the same."""
    # column offsets only with an intercept: without, they make the columns near-collinear
    # (scikit-learn's reference then takes 10 - 20 s)
    X, y, sample_weight = make_problem(600, 500, seed=4, offset=fit_intercept)
    sample_weight = sample_weight if weighted else None
    X = np.asfortranarray(X) if layout == "F" else np.ascontiguousarray(X)
    l1_ratio = L1_RATIOS[penalty]
    alpha = alpha_max(X, y, l1_ratio, sample_weight, fit_intercept) / 50
    designs = shadowed_fits(monkeypatch)
    model = LinearRegressor(penalty, alpha=alpha, l1_ratio=l1_ratio, positive=positive,
                            fit_intercept=fit_intercept, tol=1e-6).fit(X, y, sample_weight)
    design, = designs
    assert design.float32_shadow is not None and not design.by_columns
    reference = reference_fit(penalty, alpha, l1_ratio, fit_intercept, X, y, sample_weight,
                              positive)
    optimum = objective(X, y, reference.coef_, reference.intercept_, alpha, l1_ratio,
                        sample_weight)
    reached = objective(X, y, model.coef_, model.intercept_, alpha, l1_ratio, sample_weight)
    sw = np.ones(len(y)) if sample_weight is None else sample_weight
    mean = sw @ y / sw.sum() if fit_intercept else 0.0
    null = 0.5 * sw @ (y - mean) ** 2 / sw.sum()
    assert 0.0 <= model.dual_gap_ <= 1e-6 * null
    assert -1e-12 * null <= reached - optimum <= model.dual_gap_ + 1e-12 * null
    assert np.any(model.coef_ == 0.0)
    assert not positive or np.all(model.coef_ >= 0.0)
    float64 = LinearRegressor(penalty, alpha=alpha, l1_ratio=l1_ratio, positive=positive,
                              fit_intercept=fit_intercept, tol=1e-9).fit(X, y, sample_weight)
    assert not designs[-1].float32_shadow  # below SHADOW_MIN_TOL
    assert_allclose(model.coef_, float64.coef_, atol=1e-3 * np.abs(float64.coef_).max())


def test_below_its_rounding_a_float32_shadow_hands_over_to_the_float64_design():
    """Asked for a gap below what float32 rounding of the design leaves, descent goes on
    from the shadow's weights on the float64 design, laid out then, to the same solution
    as descent on it alone (on the lasso: the elastic net's gap at the shadow's solution
    is near 1e-12 of the objective, below any target)."""
    from sklreg.linear._design import prepare_design
    from sklreg.linear._least_squares import solve_least_squares

    X, y, _ = make_problem(600, 500, seed=5)
    Y = np.column_stack([y, y[::-1]])
    l1 = alpha_max(X, y) / 100 * len(y)
    results = []
    for shadow in (True, False):
        design = prepare_design(X, Y, None, True, True, float32_shadow=shadow)
        result = solve_least_squares(design, l1, 0.0, solver="cd", tol=1e-10)
        assert design.by_columns  # laid out, for descent in float64
        results.append(result)
        assert np.all(result.gaps <= result.gap_tols)
    # (the second target, noise, is solved less sharply: a gap of 1e-10 leaves 2e-6)
    assert_allclose(results[0].W, results[1].W, rtol=0, atol=1e-5 * np.abs(results[1].W).max())
    sklearn = [Lasso(alpha=l1 / len(y), tol=1e-12, max_iter=100_000).fit(X, t) for t in Y.T]
    assert_allclose(results[0].W, [m.coef_ for m in sklearn], rtol=0,
                    atol=1e-4 * np.abs(results[1].W).max())


def test_a_float32_shadow_stopped_by_max_iter_reports_the_float64_gap(monkeypatch):
    """Stopped by ``max_iter`` on its shadow, a fit warns with the gap of its weights on
    the float64 design, which bounds their suboptimality."""
    X, y, _ = make_problem(600, 500, seed=6)
    alpha = alpha_max(X, y) / 200
    designs = shadowed_fits(monkeypatch)
    with pytest.warns(ConvergenceWarning, match="gap"):
        model = LinearRegressor("l1", alpha=alpha, tol=1e-6, max_iter=2).fit(X, y)
    assert designs[0].float32_shadow is not None and model.n_iter_ == 2
    reference = reference_fit("l1", alpha, 1.0, True, X, y, None)
    suboptimality = (objective(X, y, model.coef_, model.intercept_, alpha, 1.0)
                     - objective(X, y, reference.coef_, reference.intercept_, alpha, 1.0))
    assert 1e-6 * 0.5 * np.var(y) < suboptimality <= model.dual_gap_ * (1 + 1e-9)


def test_a_float32_shadow_hands_a_slow_tall_fit_over_to_the_gram_matrix(monkeypatch):
    """On tall correlated columns 'auto' stops descent on the shadow after the work that
    forming ``X^T X`` would cost, and finishes on the Gram matrix: certified, and
    scikit-learn's solution."""
    rng = np.random.default_rng(7)
    n_samples, n_features = 3000, 100
    X = np.cumsum(rng.standard_normal((n_samples, n_features)), axis=1)  # correlated
    y = X[:, ::10] @ rng.standard_normal(10) + rng.standard_normal(n_samples)
    alpha = alpha_max(X, y) / 1e4
    designs = shadowed_fits(monkeypatch)
    model = LinearRegressor("l1", alpha=alpha, tol=1e-6).fit(X, y)
    assert designs[0].float32_shadow is not None and designs[0].by_columns
    assert kkt_violation(X, y, model.coef_, model.intercept_, alpha, 1.0) < 1e-3 * alpha
    reference = reference_fit("l1", alpha, 1.0, True, X, y, None)
    gap = (objective(X, y, model.coef_, model.intercept_, alpha, 1.0)
           - objective(X, y, reference.coef_, reference.intercept_, alpha, 1.0))
    assert gap <= model.dual_gap_ <= 1e-6 * 0.5 * np.var(y)
