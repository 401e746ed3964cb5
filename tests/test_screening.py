"""Gap Safe screening never discards a feature that is non-zero at the optimum."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from _reference import alpha_max
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet

from sklreg import LinearRegressor
from sklreg._datafits import quadratic_dual_gap
from sklreg.linear._design import prepare_design
from sklreg.solvers._cd import gap_safe_discards, residual, residual_summaries


def correlated_problem(n_samples, n_features, rho, seed, sparse=False):
    """Toeplitz-correlated columns (hard for coordinate descent) and a sparse truth."""
    rng = np.random.RandomState(seed)
    cov_sqrt = np.linalg.cholesky(rho ** np.abs(np.subtract.outer(np.arange(n_features),
                                                                 np.arange(n_features))))
    X = rng.randn(n_samples, n_features) @ cov_sqrt.T
    if sparse:
        X = sp.csc_matrix(X * (rng.rand(*X.shape) < 0.3))
    coef = np.zeros(n_features)
    coef[rng.choice(n_features, 15, replace=False)] = rng.randn(15)
    y = X @ coef + 0.5 * rng.randn(n_samples)
    return X, y


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
@pytest.mark.parametrize("positive", [False, True])
@pytest.mark.parametrize("factor", [10, 100])
def test_screening_is_safe_on_hard_problems(sparse, l1_ratio, positive, factor):
    X, y = correlated_problem(60, 150, 0.95, seed=factor, sparse=sparse)
    sw = np.random.RandomState(0).uniform(0.5, 2.0, len(y))
    alpha = alpha_max(X, y, l1_ratio, sw) / factor
    reference = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, positive=positive, tol=1e-14,
                           max_iter=10**6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reference.fit(X.toarray() if sparse else X, y, sample_weight=sw)
    support = np.flatnonzero(reference.coef_)
    assert support.size > 0

    design = prepare_design(X, y[:, None], sw, fit_intercept=True)
    arrays = design.kernel_arrays
    target = np.ascontiguousarray(design.Y[:, 0])
    l1 = design.sw_sum * alpha * l1_ratio
    l2 = design.sw_sum * alpha * (1 - l1_ratio)
    lipschitz = np.array([
        np.sum(((X[:, [j]].toarray().ravel() if sparse else X[:, j])
                - design.X_offset[j]) ** 2 * sw) for j in range(X.shape[1])
    ])
    discarded_total = 0
    for max_iter in [1, 2, 5, 20, 100, 10_000]:  # iterates at several distances from the optimum
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = LinearRegressor("elasticnet", alpha=alpha, l1_ratio=l1_ratio,
                                    positive=positive, max_iter=max_iter, tol=1e-14)
            model.fit(X, y, sample_weight=sw)
        w = model.coef_.astype(np.float64)
        r, t = residual(*arrays, design.X_mean, design.sw_sum, target, w)
        XTr = np.zeros(X.shape[1])
        r_norm2, r_dot_y = residual_summaries(*arrays, design.X_mean, design.sw_sum,
                                              design.sqrt_sw, target, r, t, XTr,
                                              np.arange(X.shape[1]))
        _, _, lasso_gap, scale = quadratic_dual_gap(XTr, r_norm2, r_dot_y, w, l1, l2, positive)
        discarded = np.array([
            gap_safe_discards(XTr[j], w[j], lipschitz[j], l1, l2, positive,
                              np.sqrt(2 * lasso_gap), scale)
            for j in range(X.shape[1])
        ])
        assert not discarded[support].any()
        discarded_total += discarded.sum()
    assert discarded_total > 0  # the rule does discard features near the optimum


@pytest.mark.parametrize("seed", range(6))
def test_working_set_takes_the_largest_scores_in_order(seed):
    from sklreg.solvers._cd import largest_scores

    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 60))
    scores = rng.integers(0, 5, n).astype(np.float64)  # many ties
    scores[rng.uniform(size=n) < 0.2] = np.inf  # nonzero weights
    features = np.sort(rng.choice(1000, n, replace=False)).astype(np.int64)
    size = int(rng.integers(1, n + 1))

    selected = largest_scores(features, scores, size)

    # the stable reference: largest first, ties in their order, then back in feature order
    positions = np.sort(np.argsort(-scores, kind="stable")[:size])
    np.testing.assert_array_equal(selected, features[positions])
    if seed % 2:  # a NaN score (from a non-finite gradient) still gives `size` features
        scores[0] = np.nan
        selected = largest_scores(features, scores, size)
        assert selected.size == size and np.all(np.isin(selected, features))
        assert np.all(np.diff(selected) > 0)


@pytest.mark.parametrize("pattern", ["random", "ties", "sorted", "reversed", "constant",
                                     "infinite"])
def test_kth_smallest_is_the_sorted_value(pattern):
    from sklreg.solvers._cd import _kth_smallest

    rng = np.random.default_rng(7)
    for n in (1, 2, 3, 10, 257):
        values = {"random": rng.standard_normal(n), "ties": rng.integers(0, 3, n) * 1.0,
                  "sorted": np.arange(n) * 1.0, "reversed": -np.arange(n) * 1.0,
                  "constant": np.ones(n),
                  "infinite": np.where(rng.uniform(size=n) < 0.3, np.inf,
                                       -rng.exponential(size=n))}[pattern]
        for k in range(n):
            assert _kth_smallest(values.copy(), k) == np.sort(values)[k]


@pytest.mark.parametrize("pattern", ["random", "ties", "sorted", "reversed", "constant",
                                     "infinite"])
def test_heap_argsort_sorts(pattern):
    from sklreg.solvers._cd import heap_argsort

    rng = np.random.default_rng(8)
    for n in (0, 1, 2, 3, 10, 257):
        values = {"random": rng.standard_normal(n), "ties": rng.integers(0, 3, n) * 1.0,
                  "sorted": np.arange(n) * 1.0, "reversed": -np.arange(n) * 1.0,
                  "constant": np.ones(n),
                  "infinite": np.where(rng.uniform(size=n) < 0.3, np.inf,
                                       -rng.exponential(size=n))}[pattern]
        before = values.copy()
        order = heap_argsort(values)
        np.testing.assert_array_equal(np.sort(order), np.arange(n))  # a permutation
        np.testing.assert_array_equal(values[order], np.sort(values))
        np.testing.assert_array_equal(values, before)


def test_working_set_ranks_nan_scores_below_every_other():
    from sklreg.solvers._cd import largest_scores

    features = np.arange(10, 18)
    scores = np.array([np.nan, 0.0, np.inf, np.nan, 0.0, 2.0, np.nan, 0.0])
    # a NaN (from a non-finite gradient) only after every real score, ties first come
    np.testing.assert_array_equal(largest_scores(features, scores, 3), [11, 12, 15])
    np.testing.assert_array_equal(largest_scores(features, scores, 6), [10, 11, 12, 14, 15, 17])


def test_stopped_descent_lowers_the_objective_and_keeps_a_valid_gap():
    """Stopped by max_iter, coordinate descent returns a point of lower objective than its
    start, with a gap no larger than the start's that bounds its suboptimality. A
    working-set epoch can raise the gap of the full problem while it lowers the objective:
    the gap of the returned point takes the best dual point met (every one bounds the
    optimum from below). Descent had returned the iterate of smallest gap instead, often
    its start: warm-started refits with a small max_iter then never moved."""
    from sklreg.linear._least_squares import design_gap
    from sklreg.solvers._cd import enet_coordinate_descent

    for seed in range(20):
        rng = np.random.default_rng(seed)
        X = rng.standard_normal((100, 300))
        for j in range(1, 300):  # AR(1) columns, 0.95 apart
            X[:, j] = 0.95 * X[:, j - 1] + 0.31 * X[:, j]
        if seed % 2:
            X[rng.uniform(size=X.shape) < 0.5] = 0.0
            X = sp.csc_matrix(X)
        y = np.asarray(X[:, :5] @ rng.standard_normal(5)).ravel() + rng.standard_normal(100)
        design = prepare_design(X, y[:, None], None, True)
        optimum = LinearRegressor("l1", alpha=0.01, tol=1e-13, max_iter=10**5).fit(X, y).coef_
        l1 = 0.01 * design.sw_sum
        optimal = design_gap(design, optimum, 0, l1, 0.0, False)[0]
        for scale in [1e-3, 1e-2, 1e-1]:
            w = optimum + scale * rng.standard_normal(300) * (rng.uniform(size=300) < 0.1)
            start, start_gap = design_gap(design, w, 0, l1, 0.0, False)
            gap, n_iter, _ = enet_coordinate_descent(
                *design.kernel_arrays, design.X_mean, design.sw_sum, design.sqrt_sw,
                design.lipschitz, np.ascontiguousarray(design.Y[:, 0]), w, l1, 0.0, False,
                1, 0.0, False, 0,
            )
            reached, own_gap = design_gap(design, w, 0, l1, 0.0, False)
            assert n_iter == 1
            assert reached < start
            assert gap <= start_gap * (1 + 1e-9) and gap <= own_gap * (1 + 1e-9)
            assert reached - optimal <= gap + 1e-12 * optimal
