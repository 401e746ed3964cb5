"""Newton steps on the support of the weights, once their signs settle (both descents)."""

import numpy as np
import pytest
import scipy.sparse as sp
from _reference import alpha_max, kkt_violation
from numpy.testing import assert_allclose

from sklreg import LinearRegressor
from sklreg.linear._design import prepare_design
from sklreg.solvers import _cd, _gram


def equicorrelated_gram(n_samples=2000, n_features=200, rho=0.5, seed=0):
    """Centered Gram summaries ``G, b, ||y||^2`` of equicorrelated columns: coordinate
    descent crawls on them."""
    rng = np.random.RandomState(seed)
    X = (np.sqrt(rho) * rng.randn(n_samples, 1)
         + np.sqrt(1 - rho) * rng.randn(n_samples, n_features))
    coef = np.zeros(n_features)
    coef[: n_features // 5] = rng.randn(n_features // 5)
    y = X @ coef + rng.randn(n_samples)
    X, y = X - X.mean(axis=0), y - y.mean()
    return np.ascontiguousarray(X.T @ X), X.T @ y, float(y @ y)


def gram_kkt_violation(G, b, w, l1, l2, positive=False):
    """Largest violation of the optimality conditions of ``1/2 w.Gw - b.w + penalties``."""
    gradient = b - G @ w - l2 * w
    on = w != 0.0
    violation = np.abs(gradient[on] - l1 * np.sign(w[on]))
    off = gradient[~on] if positive else np.abs(gradient[~on])
    return max(violation.max(initial=0.0), np.max(off - l1, initial=0.0))


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_gram_newton_step_on_the_right_signs_lands_on_the_solution(l1_ratio):
    G, b, y_norm2 = equicorrelated_gram()
    strength = np.abs(b).max() / 20
    l1, l2 = l1_ratio * strength, (1 - l1_ratio) * strength
    solution = np.zeros_like(b)
    _gram.enet_gram_coordinate_descent(G, b, y_norm2, solution, l1, l2, False, 100_000,
                                 1e-15 * y_norm2, False, 0, np.empty(0))
    assert gram_kkt_violation(G, b, solution, l1, l2) <= 1e-9 * strength
    support = np.flatnonzero(solution)
    # a point with the solution's signs, far from it: one step reaches the solution
    w = np.zeros_like(b)
    w[support] = np.sign(solution[support]) * np.random.RandomState(1).uniform(
        1e-3, 1.0, support.size) * np.abs(solution[support]).max()
    assert _gram._support_newton_step(G, b, w, b - G @ w, support, l1, l2)
    assert_allclose(w, solution, rtol=1e-9, atol=1e-12)


def test_gram_newton_step_stops_where_a_weight_reaches_zero():
    G, b, y_norm2 = equicorrelated_gram(seed=2)
    l1 = np.abs(b).max() / 5
    w = np.zeros_like(b)
    support = np.arange(40)  # mostly features off the solution's support: signs flip
    w[support] = np.random.RandomState(3).randn(40)

    def value(w):
        return 0.5 * w @ G @ w - b @ w + l1 * np.abs(w).sum()

    before, previous = value(w), w.copy()
    assert _gram._support_newton_step(G, b, w, b - G @ w, support, l1, 0.0)
    assert value(w) < before
    assert np.all(w[40:] == 0.0)
    stopped = (w[support] == 0.0) & (previous[support] != 0.0)
    assert np.count_nonzero(stopped) >= 1  # the weight the step stopped at, exactly zero
    assert np.all(w[support] * previous[support] >= 0.0)  # no sign crossed


@pytest.mark.parametrize("scale", [1.0, -1.0])
def test_gram_newton_step_on_a_singular_support_never_increases_the_objective(scale):
    G, b, y_norm2 = equicorrelated_gram(n_features=20)
    G = np.ascontiguousarray(np.block([[G, G[:, :1]], [G[:1, :], G[:1, :1]]]))
    b = np.append(b, b[0])  # the last column duplicates the first: G is singular on both
    l1 = np.abs(b).max() / 10
    w = np.zeros_like(b)
    w[[0, 3, 20]] = scale * np.array([1.0, 0.5, 1.0])

    def value(w):
        return 0.5 * w @ G @ w - b @ w + l1 * np.abs(w).sum()

    before = value(w)
    changed = _gram._support_newton_step(G, b, w, b - G @ w, np.array([0, 3, 20]), l1, 0.0)
    assert np.all(np.isfinite(w))
    assert value(w) <= before
    assert changed == (value(w) < before)


@pytest.mark.parametrize("positive, max_epochs", [(False, 250), (True, 60)])
def test_gram_descent_on_equicorrelated_columns_takes_newton_steps(positive, max_epochs):
    G, b, y_norm2 = equicorrelated_gram(n_features=300, rho=0.5, seed=4)
    if positive:
        b = np.abs(b)  # most features enter the positive solution
    l1 = np.abs(b).max() / 200
    w = np.zeros_like(b)
    gap, epochs, q = _gram.enet_gram_coordinate_descent(G, b, y_norm2, w, l1, 0.0, positive,
                                                  100_000, 1e-12 * y_norm2, False, 0, np.empty(0))
    assert gap <= 1e-12 * y_norm2
    assert gram_kkt_violation(G, b, w, l1, 0.0, positive) <= 1e-6 * l1
    assert_allclose(q, b - G @ w, atol=1e-9 * np.abs(b).max())
    # coordinate descent alone takes 343 (152 positive) epochs: once the signs settle,
    # a Newton step on the support lands on the solution
    assert epochs <= max_epochs


def equicorrelated_design(n_samples, n_features, rho=0.5, sparse=False, seed=0,
                          positive=False):
    """Equicorrelated columns with offsets, a sparse truth (non-negative when ``positive``)
    and sample weights."""
    rng = np.random.RandomState(seed)
    X = (np.sqrt(rho) * rng.randn(n_samples, 1)
         + np.sqrt(1 - rho) * rng.randn(n_samples, n_features))
    if sparse:
        X = sp.csc_matrix(X * (rng.rand(*X.shape) < 0.4))
    else:
        X += rng.uniform(-5, 5, n_features)
    coef = np.zeros(n_features)
    coef[: n_features // 10] = rng.randn(n_features // 10)
    if positive:
        coef = np.abs(coef)
    y = np.asarray(X @ coef).ravel() + rng.randn(n_samples) + 2.0
    return X, y, rng.uniform(0.5, 2.0, n_samples)


def kernel_inputs(design):
    return (*design.kernel_arrays, design.X_mean, design.sw_sum, design.sqrt_sw)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_design_newton_step_on_the_right_signs_lands_on_the_solution(sparse, l1_ratio):
    X, y, sw = equicorrelated_design(150, 60, sparse=sparse)
    alpha = alpha_max(X, y, l1_ratio, sw) / 30
    solution = LinearRegressor("elasticnet", alpha=alpha, l1_ratio=l1_ratio, tol=1e-15,
                               max_iter=100_000).fit(X, y, sample_weight=sw).coef_
    support = np.flatnonzero(solution)
    assert 5 < support.size < X.shape[1]

    design = prepare_design(X, y[:, None], sw, fit_intercept=True)
    target = np.ascontiguousarray(design.Y[:, 0])
    l1 = design.sw_sum * alpha * l1_ratio
    l2 = design.sw_sum * alpha * (1 - l1_ratio)
    w = np.zeros(X.shape[1])  # the solution's signs, far from it
    w[support] = np.sign(solution[support]) * np.random.RandomState(1).uniform(
        0.1, 2.0, support.size) * np.abs(solution[support]).max()
    r, t = _cd.residual(*design.kernel_arrays, design.X_mean, design.sw_sum, target, w)
    stepped, t = _cd._support_newton_step(*kernel_inputs(design), w, r, t, support, l1, l2)
    assert stepped
    assert_allclose(w, solution, rtol=1e-8, atol=1e-10 * np.abs(solution).max())
    # the residual and its offset follow the weights
    r_fresh, t_fresh = _cd.residual(*design.kernel_arrays, design.X_mean, design.sw_sum,
                                    target, w)
    assert_allclose(r, r_fresh, atol=1e-9 * np.abs(target).max())
    assert t == pytest.approx(t_fresh, abs=1e-9 * np.abs(target).sum())


@pytest.mark.parametrize("sparse", [False, True])
def test_design_newton_step_never_crosses_a_sign_nor_raises_the_objective(sparse):
    X, y, sw = equicorrelated_design(80, 40, sparse=sparse, seed=2)
    design = prepare_design(X, y[:, None], sw, fit_intercept=True)
    target = np.ascontiguousarray(design.Y[:, 0])
    l1 = design.sw_sum * alpha_max(X, y, 1.0, sw) / 5
    rng = np.random.RandomState(3)
    for trial in range(10):
        w = np.zeros(X.shape[1])
        support = np.sort(rng.choice(X.shape[1], 20, replace=False))
        w[support] = rng.randn(20)
        if trial == 0:  # a duplicated column: singular on the support
            support = support[:2]
            w[:] = 0.0
            w[support] = 1.0
        r, t = _cd.residual(*design.kernel_arrays, design.X_mean, design.sw_sum, target, w)

        def value(w, r, t):
            return _cd._working_set_objective(w, r, t, design.sw_sum, l1, 0.0)

        before, previous = value(w, r, t), w.copy()
        stepped, t = _cd._support_newton_step(*kernel_inputs(design), w, r, t, support, l1,
                                              0.0)
        assert np.all(np.isfinite(w))
        assert np.all(w * previous >= 0.0) and np.all(w[previous == 0.0] == 0.0)
        assert value(w, r, t) <= before
        assert stepped == (value(w, r, t) < before)


# epochs of coordinate descent alone: 1920, 2343, 626 and 481; with Newton steps on the
# support once the signs settle: 374, 520, 265 and 201
@pytest.mark.parametrize("sparse, positive, max_epochs", [
    (False, False, 800), (False, True, 1000), (True, False, 400), (True, True, 300)])
def test_descent_on_equicorrelated_columns_takes_newton_steps(sparse, positive, max_epochs):
    X, y, sw = equicorrelated_design(200, 600, sparse=sparse, seed=4, positive=positive)
    alpha = alpha_max(X, y, 1.0, sw) / 100
    model = LinearRegressor("l1", alpha=alpha, positive=positive, solver="cd", tol=1e-12,
                            max_iter=100_000).fit(X, y, sample_weight=sw)
    scale = alpha_max(X, y, 1.0, sw)
    assert kkt_violation(X, y, model.coef_, model.intercept_, alpha, 1.0, sw,
                         positive) <= 1e-6 * scale
    assert np.count_nonzero(model.coef_) > 100
    assert model.n_iter_ <= max_epochs


def test_newton_step_cost_is_weighed_against_the_entries_descent_visited():
    # a Newton step copies the support's columns densely (n_samples k^2 for its products),
    # while a pass of descent over a sparse column visits its stored entries only: counted
    # in passes, a 0.2% dense 100000 x 500 lasso paid 0.11 s of Newton steps for 0.03 s of
    # descent (5x slower than descent alone)
    X = sp.random(10_000, 60, density=0.01, format="csc", random_state=0)
    n_samples, k = X.shape[0], 20
    working_set = np.arange(0, 2 * k)
    entries = _cd.column_entries(True, X.indptr, n_samples, working_set)
    assert entries == X[:, working_set].nnz
    assert _cd.column_entries(False, X.indptr, n_samples, working_set) == n_samples * 2 * k
    # the epochs after which a step on dense columns pays
    epochs = 1
    while not _cd.newton_step_pays(n_samples, k, epochs * n_samples * 2 * k):
        epochs += 1
    assert 1 < epochs < 20
    # as many epochs over sparse columns do not (they cost 1% as much), 100 times more do
    assert not _cd.newton_step_pays(n_samples, k, epochs * entries)
    assert _cd.newton_step_pays(n_samples, k, 100 * epochs * entries)
    assert not _cd.newton_step_pays(n_samples, 0, np.inf)


@pytest.mark.parametrize("seed", range(4))
def test_orthant_point_on_dependent_columns_leaves_an_independent_support(seed):
    """More weights than the rank: the quadratic has no minimizer on the orthant, and the
    point moves along the flat directions (no objective increase) until the columns left
    are independent, then to their minimizer, never crossing a sign."""
    rng = np.random.RandomState(seed)
    n_samples, k = 8, 20
    C = rng.randn(n_samples, k)
    C[:, 1] = C[:, 0]  # an exact duplicate too
    y = rng.randn(n_samples)
    l1 = 0.05 * np.abs(C.T @ y).max()
    current = rng.uniform(0.1, 1.0, k) * rng.choice([-1.0, 1.0], k)
    H, rhs = C.T @ C, C.T @ y - l1 * np.sign(current)

    def value(v):
        return 0.5 * np.sum((y - C @ v) ** 2) + l1 * np.abs(v).sum()

    point = _cd.orthant_newton_point(H, rhs, current)
    assert point.shape == (k,)
    kept = np.flatnonzero(point)
    assert np.all(point[kept] * current[kept] > 0.0)
    assert np.linalg.matrix_rank(C[:, kept]) == kept.size <= n_samples
    assert value(point) < value(current)


@pytest.mark.parametrize("seed", range(4))
def test_lasso_of_more_features_than_the_rank_converges_in_few_epochs(seed):
    """At small alphas, descent on a support larger than the data's rank crawled (these 15
    rows repeated as in scikit-learn's sample-weight checks took 8000 - 200000 epochs at
    alpha_max / 1000); outer passes now come often enough for Newton steps, which leave
    such supports along the flat directions."""
    rng = np.random.RandomState(seed)
    X = rng.rand(15, 30)
    y = rng.randint(0, 3, size=15).astype(float)
    repeats = rng.randint(0, 5, size=15)
    X, y = X.repeat(repeats, axis=0), y.repeat(repeats)
    alpha = alpha_max(X, y, 1.0, None) / 1000
    model = LinearRegressor("l1", alpha=alpha, tol=1e-6, max_iter=100_000).fit(X, y)
    assert kkt_violation(X, y, model.coef_, model.intercept_, alpha, 1.0, None,
                         False) <= 1e-3 * alpha
    assert model.n_iter_ <= 1000


@pytest.mark.parametrize("seed", range(8))
def test_orthant_point_of_a_faint_ridge_is_no_worse_than_its_newton_step(seed):
    """More weights than the rank but an L2 penalty of 1e-12 of the columns' squared norms:
    ``H`` is positive definite, with pivots (near the penalty) below ``DEPENDENT_PIVOT``.
    The quadratic has a minimizer; the point must lower it as much as the truncated
    Newton step towards it, to the rounding of a condition number of 1e12 (moving along
    the nearly flat directions only, which ignore the penalty's curvature, lost up to all
    of the decrease: seeds 1, 4 and 7)."""
    rng = np.random.RandomState(seed)
    n_samples, k = 5, 12
    C = rng.randn(n_samples, k)
    y = rng.randn(n_samples)
    l2 = 1e-12
    current = rng.uniform(0.1, 1.0, k) * rng.choice([-1.0, 1.0], k)
    H, rhs = C.T @ C + l2 * np.eye(k), C.T @ y

    def value(v):
        return 0.5 * v @ H @ v - rhs @ v

    target = np.linalg.solve(H, rhs)
    crossing = target * current <= 0.0
    step = min(1.0, np.min(current[crossing] / (current[crossing] - target[crossing]),
                           initial=1.0))
    newton = current + step * (target - current)
    point = _cd.orthant_newton_point(H, rhs, current)
    assert point.shape == (k,)
    assert np.all(point * current >= 0.0)
    assert value(point) - value(newton) <= 1e-3 * (value(current) - value(newton))


@pytest.mark.parametrize("seed", [8, 9, 12, 30])
def test_orthant_point_drops_weights_that_reach_zero_together(seed):
    """A third column the sum of two others, whose weights are equal: along the flat
    direction both reach zero at the same step. The one left at (or a rounding of) zero
    stopped the Newton step on the others: no point was returned."""
    rng = np.random.RandomState(seed)
    n_samples = 6
    first, second = rng.randn(n_samples), rng.randn(n_samples)
    C = np.column_stack([first, second, first + second, rng.randn(n_samples)])
    y = rng.randn(n_samples)
    l1 = 0.05
    weight = rng.uniform(0.1, 1.0)
    current = np.array([weight, weight, rng.uniform(0.1, 1.0), 0.3])
    H, rhs = C.T @ C, C.T @ y - l1 * np.sign(current)

    def value(v):
        return 0.5 * np.sum((y - C @ v) ** 2) + l1 * np.abs(v).sum()

    point = _cd.orthant_newton_point(H, rhs, current)
    assert point.shape == (4,)
    assert np.all(point * current >= 0.0)
    kept = np.flatnonzero(point)
    assert np.linalg.matrix_rank(C[:, kept]) == kept.size
    assert value(point) < value(current)
