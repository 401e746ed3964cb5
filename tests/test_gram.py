"""Coordinate descent on the Gram matrix ('gram', and 'auto' moving to it) for n >> p."""

import itertools
import re
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from _reference import alpha_max, kkt_violation, objective
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from test_linear_regressor import L1_RATIOS, reference_fit

from sklreg import LinearRegressor, regularization_path
from sklreg.linear._least_squares import extended_gram, gram_switch_work


def correlated_problem(n_samples=400, n_features=25, rho=0.9, sparse=False, seed=0):
    """AR(1)-correlated columns with offsets (hard for coordinate descent), positive weights."""
    rng = np.random.RandomState(seed)
    Z = rng.randn(n_samples, n_features)
    X = np.empty_like(Z)
    X[:, 0] = Z[:, 0]
    for j in range(1, n_features):
        X[:, j] = rho * X[:, j - 1] + np.sqrt(1 - rho**2) * Z[:, j]
    if sparse:
        X[rng.uniform(size=X.shape) < 0.6] = 0.0
        X = sp.csr_matrix(X)
    else:
        X += rng.uniform(-20, 20, n_features)
    coef = np.zeros(n_features)
    coef[: n_features // 3] = rng.randn(n_features // 3) * 2
    y = np.asarray(X @ coef).ravel() + 0.3 * rng.randn(n_samples) + 1.5
    return X, y, rng.uniform(0.2, 2.0, n_samples)


@pytest.mark.parametrize("penalty", ["l1", "elasticnet"])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_gram_matches_scikit_learn(penalty, sparse, dtype, weighted, fit_intercept):
    X, y, sw = correlated_problem(sparse=sparse)
    sw = sw if weighted else None
    l1_ratio = L1_RATIOS[penalty]
    alpha = alpha_max(X, y, l1_ratio, sw, fit_intercept) / 200
    X_fit = X.astype(dtype)
    model = LinearRegressor(penalty, alpha=alpha, l1_ratio=l1_ratio, solver="gram",
                            fit_intercept=fit_intercept, max_iter=100_000,
                            tol=1e-8 if dtype == np.float32 else 1e-13)
    model.fit(X_fit, y, sample_weight=sw)
    ref = reference_fit(penalty, alpha, l1_ratio, fit_intercept, X_fit, y, sw)
    assert model.coef_.dtype == dtype
    ours = objective(X_fit, y, model.coef_, model.intercept_, alpha, l1_ratio, sw)
    theirs = objective(X_fit, y, ref.coef_, ref.intercept_, alpha, l1_ratio, sw)
    assert abs(ours - theirs) <= 1e-6 * theirs
    # the certificate holds for the coefficients as returned (rounded for float32)
    assert ours - theirs <= model.dual_gap_ + 1e-12 * theirs
    if dtype == np.float64:  # (float32 rounding moves correlated coefficients further)
        assert_allclose(model.coef_, ref.coef_, atol=1e-5 * np.abs(ref.coef_).max())


@pytest.mark.parametrize("penalty", ["l1", "elasticnet", "l2"])
@pytest.mark.parametrize("positive", [False, True])
@pytest.mark.parametrize("selection", ["cyclic", "random"])
def test_gram_kkt_and_agreement_with_cd(penalty, positive, selection):
    X, y, sw = correlated_problem(seed=1)
    l1_ratio = L1_RATIOS[penalty]
    alpha = alpha_max(X, y, max(l1_ratio, 0.5), sw) / 50
    fits = {
        solver: LinearRegressor(penalty, alpha=alpha, l1_ratio=l1_ratio, positive=positive,
                                solver=solver, selection=selection, random_state=0,
                                tol=1e-12, max_iter=100_000).fit(X, y, sample_weight=sw)
        for solver in ("gram", "cd")
    }
    gram = fits["gram"]
    scale = np.abs(X.T @ (sw * (y - np.average(y, weights=sw)))).max() / sw.sum()
    violation = kkt_violation(X, y, gram.coef_, gram.intercept_, alpha, l1_ratio, sw, positive)
    assert violation <= 1e-5 * scale
    if positive:
        assert np.all(gram.coef_ >= 0)
    if l1_ratio > 0:
        assert 0 < np.count_nonzero(gram.coef_) < X.shape[1]
    cd = fits["cd"]
    p_gram = objective(X, y, gram.coef_, gram.intercept_, alpha, l1_ratio, sw)
    p_cd = objective(X, y, cd.coef_, cd.intercept_, alpha, l1_ratio, sw)
    assert abs(p_gram - p_cd) <= max(gram.dual_gap_, cd.dual_gap_) + 1e-15 * p_cd
    mu = alpha * (1 - l1_ratio)  # strong convexity: ||w - w*||^2 <= 2 gap / mu
    if mu > 0:
        radius = np.sqrt(2 * gram.dual_gap_ / mu) + np.sqrt(2 * cd.dual_gap_ / mu)
        assert np.linalg.norm(gram.coef_ - cd.coef_) <= radius + 1e-12


@pytest.mark.parametrize("tol", [1e-2, 1e-4, 1e-8])
def test_gram_gap_bounds_suboptimality(tol):
    X, y, sw = correlated_problem(seed=2)
    alpha = alpha_max(X, y, 1.0, sw) / 1000
    params = dict(penalty="l1", alpha=alpha, solver="gram", max_iter=100_000)
    loose = LinearRegressor(tol=tol, **params).fit(X, y, sample_weight=sw)
    tight = LinearRegressor(tol=1e-14, **params).fit(X, y, sample_weight=sw)
    p_loose = objective(X, y, loose.coef_, loose.intercept_, alpha, 1.0, sw)
    p_tight = objective(X, y, tight.coef_, tight.intercept_, alpha, 1.0, sw)
    p_null = objective(X, y, np.zeros(X.shape[1]), np.average(y, weights=sw), alpha, 1.0, sw)
    assert p_loose - p_tight <= loose.dual_gap_ * (1 + 1e-9) + 1e-14 * p_null
    assert loose.dual_gap_ <= tol * p_null


def test_gram_certified_when_the_fit_is_nearly_exact():
    # ||r||^2 ~ 1e-14 ||y||^2: the Gram summaries lose the residual to cancellation, so the
    # result must come certified from the design itself (finishing there if needed)
    rng = np.random.RandomState(3)
    X = rng.randn(2000, 10) + 50.0
    y = X @ rng.randn(10) + 1e-7 * rng.randn(2000)
    alpha = alpha_max(X, y) * 1e-12
    model = LinearRegressor("l1", alpha=alpha, solver="gram", tol=1e-10, max_iter=100_000)
    model.fit(X, y)
    tight = LinearRegressor("l1", alpha=alpha, solver="cd", tol=1e-14, max_iter=100_000)
    tight.fit(X, y)
    p_null = objective(X, y, np.zeros(10), y.mean(), alpha, 1.0)
    assert model.dual_gap_ <= 1e-10 * p_null
    p_model = objective(X, y, model.coef_, model.intercept_, alpha, 1.0)
    p_tight = objective(X, y, tight.coef_, tight.intercept_, alpha, 1.0)
    assert p_model - p_tight <= model.dual_gap_ + 1e-15 * p_null


def test_gram_multi_target_and_warm_start():
    X, y, sw = correlated_problem(seed=4)
    Y = np.column_stack([y, -y + 3.0, np.full_like(y, 2.0)])
    alpha = alpha_max(X, y, 1.0, sw) / 100
    params = dict(penalty="l1", alpha=alpha, solver="gram", tol=1e-12, max_iter=100_000)
    joint = LinearRegressor(**params).fit(X, Y, sample_weight=sw)
    for k in range(3):
        alone = LinearRegressor(**params).fit(X, Y[:, k], sample_weight=sw)
        assert_allclose(joint.coef_[k], alone.coef_, atol=1e-9)
        assert joint.intercept_[k] == pytest.approx(alone.intercept_)
    assert np.all(joint.coef_[2] == 0.0) and joint.n_iter_[2] == 0

    model = LinearRegressor(**params, warm_start=True).fit(X, y, sample_weight=sw)
    first = model.n_iter_
    model.fit(X, y, sample_weight=sw)
    assert model.n_iter_ <= 1 < first


def test_auto_moves_to_the_gram_matrix_and_agrees():
    X, y, _ = correlated_problem(n_samples=3000, n_features=60, rho=0.95, seed=5)
    alpha = alpha_max(X, y) / 1000
    fits = {solver: LinearRegressor("l1", alpha=alpha, solver=solver, tol=1e-10,
                                    max_iter=100_000).fit(X, y)
            for solver in ("auto", "gram", "cd")}
    for solver in ("auto", "gram"):
        assert_allclose(fits[solver].coef_, fits["cd"].coef_, rtol=1e-4, atol=1e-8)
    # cd alone needs more column passes than the budget after which 'auto' switches
    assert fits["cd"].n_iter_ * X.shape[1] > gram_switch_work(*X.shape)


@pytest.mark.parametrize("near_active", [0.5, 1e9])
def test_auto_forms_the_gram_matrix_of_the_likely_support(monkeypatch, near_active):
    """After its passes on X, 'auto' forms X^T X over the features near the support only;
    features left out (with ``near_active`` huge, all but the current nonzeros) join it, or
    are found by the final passes on X."""
    import sklreg.linear._least_squares as least_squares

    X, y, sw = correlated_problem(n_samples=4000, n_features=80, rho=0.95, seed=3)
    alpha = alpha_max(X, y) / 50
    gram_sizes = []
    centered_gram = least_squares.centered_gram
    monkeypatch.setattr(least_squares, "centered_gram",
                        lambda A, *args: gram_sizes.append(A.shape[1]) or centered_gram(A, *args))
    monkeypatch.setattr(least_squares, "NEAR_ACTIVE", near_active)
    # few passes on X before the switch: the support they leave misses features
    monkeypatch.setattr(least_squares, "GRAM_MIN_PASSES", 8)
    extended_gram = least_squares.extended_gram
    extensions = []
    monkeypatch.setattr(least_squares, "extended_gram",
                        lambda design, G, B, features, missing: extensions.append(missing)
                        or extended_gram(design, G, B, features, missing))
    fits = {solver: LinearRegressor("l1", alpha=alpha, solver=solver, tol=1e-10,
                                    max_iter=100_000).fit(X, y, sample_weight=sw)
            for solver in ("auto", "cd")}
    assert gram_sizes and max(gram_sizes) < 0.7 * X.shape[1]
    if near_active > 1:  # the support alone misses features: the Gram matrix takes them in
        assert extensions
        for missing in extensions:  # new features only, each taken in once
            assert missing.size and np.unique(missing).size == missing.size
        taken = np.concatenate(extensions)
        assert np.unique(taken).size == taken.size
    assert_allclose(fits["auto"].coef_, fits["cd"].coef_, rtol=1e-4, atol=1e-8)
    assert fits["auto"].dual_gap_ <= 1e-10 * objective(X, y, 0 * fits["cd"].coef_,
                                                       np.average(y, weights=sw), alpha,
                                                       1.0, sw)


def test_auto_goes_on_on_the_design_when_its_rate_predicts_convergence(monkeypatch):
    """When the passes on X run out but the gap's rate says as many again will do, 'auto'
    keeps to X (no X^T X); when it says more, it forms X^T X."""
    import sklreg.linear._least_squares as least_squares

    centered_gram = least_squares.centered_gram
    n_grams = []
    monkeypatch.setattr(least_squares, "centered_gram",
                        lambda *args: n_grams.append(1) or centered_gram(*args))
    cd_on_design = least_squares._cd_on_design
    budgets = []
    monkeypatch.setattr(least_squares, "_cd_on_design", lambda *args, max_work=np.inf: (
        budgets.append(max_work) or cd_on_design(*args, max_work=max_work)))
    for rho, budget, expected_grams in ((0.0, 300, 0), (0.95, 150, 1)):
        X, y, sw = correlated_problem(n_samples=2000, n_features=50, rho=rho, seed=4)
        monkeypatch.setattr(least_squares, "gram_switch_work", lambda *shape, b=budget: b)
        alpha = alpha_max(X, y) / 100
        n_grams.clear()
        budgets.clear()
        fits = {solver: LinearRegressor("l1", alpha=alpha, solver=solver, tol=1e-10,
                                        max_iter=100_000).fit(X, y, sample_weight=sw)
                for solver in ("auto", "cd")}
        assert len(n_grams) == expected_grams
        # 'auto': the budget ran out, then a second budget on X (rho = 0) or the Gram
        # matrix and a final unbounded pass (rho = 0.95); then 'cd' runs unbounded
        assert budgets == ([budget, budget, np.inf] if expected_grams == 0
                           else [budget, np.inf, np.inf])
        assert_allclose(fits["auto"].coef_, fits["cd"].coef_, rtol=1e-4, atol=1e-8)


def test_gram_switch_budget():
    from sklreg.linear._least_squares import GRAM_FIXED_WORK, GRAM_MIN_PASSES

    assert gram_switch_work(100, 60) == np.inf  # X^T X not smaller than X
    assert gram_switch_work(10**6, 5000) == np.inf  # X^T X too large
    # a few passes first, however cheap X^T X
    assert gram_switch_work(100_000, 3) == GRAM_MIN_PASSES * 3
    # on few samples, as many as the Gram route's own cost
    assert gram_switch_work(400, 10) == GRAM_FIXED_WORK // 400 > GRAM_MIN_PASSES * 10
    assert GRAM_MIN_PASSES * 100 <= gram_switch_work(10_000, 100) < 100 * 100
    assert gram_switch_work(10_000, 1000) == 1000**2 // 16


def test_auto_stays_on_small_designs():
    """On a design this small, the Gram route's own cost (mostly Python, about 0.25 ms) is more
    than hundreds of epochs on X: 'auto' runs descent on X all the way, as 'cd' does, though
    that takes more than the passes after which it moves a larger design to X^T X."""
    from sklreg.linear._least_squares import GRAM_BLAS_SPEEDUP, GRAM_MIN_PASSES

    X, y, _ = correlated_problem(n_samples=300, n_features=10, rho=0.95, seed=3)
    alpha = alpha_max(X, y) / 100
    fits = {solver: LinearRegressor("l1", alpha=alpha, solver=solver, tol=1e-10).fit(X, y)
            for solver in ("auto", "cd")}
    passes = fits["cd"].n_iter_ * X.shape[1]
    assert passes > max(GRAM_MIN_PASSES * X.shape[1], X.shape[1] ** 2 // GRAM_BLAS_SPEEDUP)
    assert passes < gram_switch_work(*X.shape)
    assert fits["auto"].n_iter_ == fits["cd"].n_iter_
    assert_array_equal(fits["auto"].coef_, fits["cd"].coef_)


@pytest.mark.parametrize("sparse", [False, True])
def test_path_on_the_gram_matrix(sparse):
    X, y, sw = correlated_problem(sparse=sparse, seed=6)
    paths = {solver: regularization_path(X, y, penalty="elasticnet", l1_ratio=0.7,
                                         sample_weight=sw, n_alphas=20, solver=solver,
                                         tol=1e-12, max_iter=100_000)
             for solver in ("gram", "cd", "auto")}
    cd = paths["cd"]
    for solver in ("gram", "auto"):
        path = paths[solver]
        assert_allclose(path.alphas, cd.alphas)
        assert np.all(path.dual_gaps >= 0)
        for i, alpha in enumerate(cd.alphas):
            ours = objective(X, y, path.coefs[:, i], path.intercepts[i], alpha, 0.7, sw)
            theirs = objective(X, y, cd.coefs[:, i], cd.intercepts[i], alpha, 0.7, sw)
            assert abs(ours - theirs) <= max(path.dual_gaps[i], cd.dual_gaps[i]) + 1e-15


def test_path_forms_the_gram_matrix_once(monkeypatch):
    """Along a path 'auto' shares one X^T X of all features between the alphas (no Gram
    matrix of a likely support per alpha)."""
    import sklreg.linear._least_squares as least_squares

    X, y, _ = correlated_problem(n_samples=4000, n_features=80, rho=0.95, seed=3)
    calls = []
    centered_gram = least_squares.centered_gram
    monkeypatch.setattr(least_squares, "centered_gram", lambda A, *args: calls.append(
        A.shape[1]) or centered_gram(A, *args))
    regularization_path(X, y, penalty="l1", n_alphas=20, tol=1e-8)
    assert calls == [X.shape[1]]


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("density", [0.2, 0.7])  # compiled sparse sum / BLAS on the densified
def test_symmetric_products_of_sparse_designs_equal_dense_ones(fmt, dtype, density):
    """``A^T A`` and ``A A^T`` of a sparse design, duplicate entries included, equal BLAS's."""
    from sklreg.solvers._direct import symmetric_products

    rng = np.random.RandomState(0)
    canonical = sp.random(40, 30, density=density, format=fmt, random_state=rng, dtype=dtype)
    # every stored entry split in two (an unsummed duplicate): the products must not change
    halves = np.repeat(canonical.data / 2, 2)
    duplicated = type(canonical)(
        (halves, np.repeat(canonical.indices, 2), 2 * canonical.indptr), shape=canonical.shape)
    assert not duplicated.has_canonical_format
    dense = canonical.toarray().astype(np.float64)
    for A in (canonical, duplicated):
        gram_features, gram_samples = (f() for f in symmetric_products(A))
        assert gram_features.dtype == gram_samples.dtype == np.float64
        assert_allclose(gram_features, dense.T @ dense, rtol=1e-12, atol=1e-12)
        assert_allclose(gram_samples, dense @ dense.T, rtol=1e-12, atol=1e-12)
    assert_allclose(symmetric_products(dense)[0](), dense.T @ dense, rtol=1e-12)


@pytest.mark.parametrize("layout", ["C", "F", "strided"])
def test_symmetric_products_of_dense_designs_are_exactly_symmetric(layout):
    """BLAS syrk forms one triangle; the other is its mirror: both products equal NumPy's
    and are exactly symmetric, whatever the layout of the design."""
    from sklreg.solvers._direct import symmetric_products

    A = np.random.RandomState(1).standard_normal((37, 23))
    A = {"C": A, "F": np.asfortranarray(A), "strided": A[::2, ::2]}[layout]
    for product, expected in zip((f() for f in symmetric_products(A)), (A.T @ A, A @ A.T),
                                 strict=True):
        assert_allclose(product, expected, rtol=1e-12, atol=1e-12)
        assert_array_equal(product, product.T)


def test_small_symmetric_products_run_on_one_blas_thread(monkeypatch):
    """A small product runs with BLAS limited to one thread (a threaded one waited for the
    scheduler whenever the other core was busy), a large one is not limited, and fits in
    concurrent threads leave BLAS's limits as they found them (limiting it in each of
    them left it limited)."""
    from concurrent.futures import ThreadPoolExecutor

    from threadpoolctl import threadpool_info

    import sklreg.solvers._direct as direct

    def blas_threads():
        return sorted(lib["num_threads"] for lib in threadpool_info()
                      if lib["user_api"] == "blas")

    before = blas_threads()
    seen = []
    syrk = direct._syrk

    def recorded(A, transpose_first):
        seen.append(blas_threads())
        return syrk(A, transpose_first)

    monkeypatch.setattr(direct, "_syrk", recorded)
    A = np.random.RandomState(0).standard_normal((331, 65))
    assert_allclose(direct._symmetric_product(A, True), A.T @ A, rtol=1e-12, atol=1e-12)
    assert seen == [[1] * len(before)]
    assert blas_threads() == before
    threshold = direct.SERIAL_BLAS_MULTIPLY_ADDS
    monkeypatch.setattr(direct, "SERIAL_BLAS_MULTIPLY_ADDS", 0.0)  # every product is large
    direct._symmetric_product(A, True)
    assert seen[-1] == before

    monkeypatch.setattr(direct, "SERIAL_BLAS_MULTIPLY_ADDS", threshold)
    X, y = A[:, :20], A[:, 20]
    with ThreadPoolExecutor(4) as pool:
        fits = list(pool.map(
            lambda a: LinearRegressor("l1", alpha=a, solver="gram").fit(X, y),
            np.linspace(0.01, 0.1, 16)))
    assert len(seen) == 2 + len(fits)  # every fit formed its Gram matrix
    assert all(np.isfinite(fit.coef_).all() for fit in fits)
    assert blas_threads() == before


def nearly_constant_column_problem(n_samples=300, n_features=20, seed=0):
    """Sparse design with a dense column whose offset (1e3) dwarfs its spread (1e-5)."""
    rng = np.random.RandomState(seed)
    X = rng.randn(n_samples, n_features)
    X[rng.uniform(size=X.shape) < 0.5] = 0.0
    z = rng.randn(n_samples)
    X[:, 5] = 1e3 + 1e-5 * z
    y = X[:, :3].sum(axis=1) + z + 0.1 * rng.randn(n_samples)
    return X, y, rng.uniform(0.2, 2.0, n_samples)


@pytest.mark.parametrize("weighted", [False, True])
def test_centered_gram_of_a_sparse_nearly_constant_column(weighted):
    # A^T A - S mean mean^T cancels all the digits of such a column: its centered norm came
    # out negative, and coordinate descent on that Gram matrix diverged
    from sklreg.linear._design import prepare_design
    from sklreg.solvers._direct import centered_gram

    X, y, sw = nearly_constant_column_problem()
    sw = sw if weighted else np.ones(len(y))
    design = prepare_design(sp.csc_matrix(X), y[:, None], sw, True)
    G, B = centered_gram(design.A, design.X_mean, design.sqrt_sw, design.Y)
    Xc = np.sqrt(sw)[:, None] * (X - sw @ X / sw.sum())
    yc = np.sqrt(sw) * (y - sw @ y / sw.sum())
    scale = np.sqrt(np.outer(np.diag(Xc.T @ Xc), np.diag(Xc.T @ Xc)))
    assert np.max(np.abs(G - Xc.T @ Xc) / scale) < 1e-8
    assert_allclose(B[:, 0], Xc.T @ yc, rtol=1e-8)
    # and a subset Gram matrix extended by the nearly constant column (as 'auto' does)
    features, missing = np.arange(5), np.arange(5, X.shape[1])
    G_sub, B_sub = centered_gram(design.A[:, features], design.X_mean[features],
                                 design.sqrt_sw, design.Y)
    G_ext, B_ext = extended_gram(design, G_sub, B_sub, features, missing)
    assert np.max(np.abs(G_ext - Xc.T @ Xc) / scale) < 1e-8
    assert_allclose(B_ext[:, 0], Xc.T @ yc, rtol=1e-8)


@pytest.mark.parametrize("solver", ["gram", "auto"])
@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_gram_on_a_sparse_nearly_constant_column(solver, fmt):
    X, y, sw = nearly_constant_column_problem()
    alpha = 1e-2
    dense = LinearRegressor("l1", alpha=alpha, solver="cd", tol=1e-10).fit(X, y, sample_weight=sw)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = LinearRegressor("l1", alpha=alpha, solver=solver, tol=1e-10)
        model.fit(sp.csc_matrix(X).asformat(fmt), y, sample_weight=sw)
    assert_allclose(model.coef_, dense.coef_, rtol=1e-6, atol=1e-8)
    assert model.intercept_ == pytest.approx(dense.intercept_, rel=1e-6)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("solver", ["gram", "auto"])
def test_gram_with_a_constant_column_and_sample_weights(solver, seed):
    # a dense constant column, centered explicitly with weights, leaves a rounding residue
    # whose Gram entry A^T A - S mean^2 was noise: the Gram solver stalled at a relative
    # gap ~1e-2 where 'cd' converges in 20 epochs
    rng = np.random.RandomState(seed)
    X = (np.sqrt(0.8) * rng.randn(200, 1) + np.sqrt(0.2) * rng.randn(200, 10)
         + rng.uniform(-1e3, 1e3, 10))
    X[:, 3] = 7.5
    y = X[:, :3] @ np.array([1.0, -2.0, 0.5]) + rng.randn(200)
    sw = rng.uniform(0.5, 2, 200)
    params = dict(penalty="elasticnet", alpha=0.05, l1_ratio=0.15, tol=1e-8)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = LinearRegressor(solver=solver, **params).fit(X, y, sample_weight=sw)
    reference = reference_fit("elasticnet", 0.05, 0.15, True, X, y, sw)
    p_model = objective(X, y, model.coef_, model.intercept_, 0.05, 0.15, sw)
    p_reference = objective(X, y, reference.coef_, reference.intercept_, 0.05, 0.15, sw)
    p_null = objective(X, y, np.zeros(X.shape[1]), np.average(y, weights=sw), 0.05, 0.15, sw)
    assert p_model - p_reference <= 1e-8 * p_null
    assert abs(model.coef_[3]) < 1e-6


def assert_gram_certificates(design, G, B, l1, l2, positive, bound_norms=None,
                             optimum_reached=True):
    """Along coordinate descent on ``(G, B)``, the gap certified on the Gram matrix (with
    ``bound_norms``) bounds the suboptimality and is within a rounding margin of the gap on
    the design, whether ``||r||^2`` comes from the Gram summaries or from the design.

    The reference point is descent run to 1e-15, certified to 1e-13 when
    ``optimum_reached`` (otherwise its objective only bounds the optimum from above)."""
    from sklreg.linear._least_squares import design_gap, gram_certified_gap
    from sklreg.solvers._gram import enet_gram_coordinate_descent

    null = design.null_objectives()[0]
    b, y_norm2 = np.ascontiguousarray(B[:, 0]), float(design.Y[:, 0] @ design.Y[:, 0])
    w_star = np.zeros(G.shape[0])
    enet_gram_coordinate_descent(G, b, y_norm2, w_star, l1, l2, positive, 10**4,
                                 1e-15 * null, False, 0, np.empty(0))
    optimum, optimum_gap = design_gap(design, w_star, 0, l1, l2, positive)
    assert not optimum_reached or optimum_gap <= 1e-13 * null
    w = np.zeros(G.shape[0])
    for epochs in [0, 1, 3, 10]:
        gradients = [None]  # b - G w formed here, then as the kernel formed it
        if epochs:
            _, _, q = enet_gram_coordinate_descent(G, b, y_norm2, w, l1, l2, positive,
                                                   epochs, 0.0, False, 0, np.empty(0))
            assert_allclose(q, b - G @ w, rtol=1e-12, atol=1e-12 * abs(b).max())
            gradients.append(q)
        primal, exact = design_gap(design, w, 0, l1, l2, positive)
        for gap_tol, XTr in itertools.product([0.0, np.inf], gradients):
            # ||r||^2 from the design (gap_tol 0), or from the Gram summaries
            certified = gram_certified_gap(design, G, B, w, 0, l1, l2, positive, gap_tol,
                                           bound_norms, XTr)
            assert certified >= primal - optimum - 1e-13 * null
            assert abs(certified - exact) <= 1e-9 * null
            assert epochs < 3 or certified <= exact + 1e-10 * null


@pytest.mark.parametrize("positive", [False, True])
@pytest.mark.parametrize("penalty", ["l1", "elasticnet"])
@pytest.mark.parametrize("sparse", [False, True])
def test_gram_certified_gap_bounds_the_exact_gap(sparse, penalty, positive):
    """X^T r from the Gram matrix, widened by its rounding bound: a gap that bounds the
    suboptimality, and within a rounding margin of the gap on the design (far below any
    usable tol)."""
    from sklreg.linear._design import prepare_design
    from sklreg.solvers._direct import centered_gram

    X, y, sw = correlated_problem(n_samples=600, n_features=30, sparse=sparse, seed=2)
    design = prepare_design(X, y[:, None], sw, True)
    G, B = centered_gram(design.A, design.X_mean, design.sqrt_sw, design.Y)
    l1_ratio = 1.0 if penalty == "l1" else 0.5
    strength = 0.01 * alpha_max(X, y, sample_weight=sw) * design.sw_sum
    l1, l2 = l1_ratio * strength, (1 - l1_ratio) * strength
    assert_gram_certificates(design, G, B, l1, l2, positive)


def test_gram_certified_gap_refuses_a_cancelled_gram_matrix():
    """With a column offset of 1e8 centered implicitly, X^T X - S mean mean^T keeps no digit
    of that column: the rounding bound must then exceed any tolerance."""
    from sklreg.linear._design import Design, kernel_arrays, prepare_design
    from sklreg.linear._least_squares import design_gap, gram_certified_gap
    from sklreg.solvers._direct import centered_gram

    X, y, _ = correlated_problem(n_samples=600, n_features=10, sparse=True, seed=4)
    design = prepare_design(X, y[:, None], None, True)
    X_mean = design.X_mean.copy()
    X_mean[0] += 1e8  # the same centered design, stored with an offset of 1e8
    A = design.A.tolil()
    A[:, 0] = A[:, 0].toarray() + 1e8
    A = A.tocsc()
    design = Design(A, X_mean, design.X_offset, design.Y, design.y_offset, design.sqrt_sw,
                    design.sw_sum, kernel_arrays(A))
    G, B = centered_gram(design.A, design.X_mean, design.sqrt_sw, design.Y)
    w = np.zeros(10)
    w[1] = 1.0
    l1 = 0.01 * design.sw_sum
    exact = design_gap(design, w, 0, l1, 0.0, False)[1]
    certified = gram_certified_gap(design, G, B, w, 0, l1, 0.0, False, 0.0)
    assert certified >= exact
    assert certified > 1e-4 * design.null_objectives()[0]


def test_auto_path_on_tall_dense_data_uses_the_gram_matrix(monkeypatch):
    """A dense path on n_samples >= 2 n_features goes to X^T X from its first alpha, and
    certifies there without passes over X but on the support of each fit."""
    import sklreg.linear._least_squares as least_squares

    X, y, sw = correlated_problem(n_samples=2000, n_features=60, rho=0.5, seed=5)
    design_gaps = []
    design_gap = least_squares.design_gap
    monkeypatch.setattr(least_squares, "design_gap", lambda *args: design_gaps.append(1)
                        or design_gap(*args))
    auto = regularization_path(X, y, penalty="l1", sample_weight=sw, n_alphas=30, tol=1e-8)
    assert not design_gaps
    monkeypatch.undo()
    cd = regularization_path(X, y, penalty="l1", sample_weight=sw, n_alphas=30, tol=1e-8,
                             solver="cd")
    for i, alpha in enumerate(cd.alphas):
        ours = objective(X, y, auto.coefs[:, i], auto.intercepts[i], alpha, 1.0, sw)
        theirs = objective(X, y, cd.coefs[:, i], cd.intercepts[i], alpha, 1.0, sw)
        assert abs(ours - theirs) <= max(auto.dual_gaps[i], cd.dual_gaps[i]) + 1e-15


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("from_parts", [False, True])
@pytest.mark.parametrize("target_offset", [0.0, 1e6])
def test_training_gram_from_whole_data_moments(fit_intercept, weighted, from_parts,
                                               target_offset):
    """The Gram summaries of a fold's training rows, formed as the whole data's moments
    minus the other rows', equal those formed on the fold's own design (offsets of 20, a
    column constant on the training rows only, targets far from the training part's
    mean on the other rows, with an offset of 1e6 or not), and certify gaps that bound
    the suboptimality there; also when the moments are the sum of the products of parts
    holding every row once, and the fold reuses its test part's."""
    from sklreg.linear._design import moments_design, prepare_design
    from sklreg.linear._least_squares import (
        training_gram,
        whole_data_moments,
    )
    from sklreg.solvers._direct import centered_gram

    X, y, sw = correlated_problem(n_samples=500, n_features=20, seed=4)
    sw = sw if weighted else None
    rest = np.arange(400, 500)
    X[:400, 5] = 3.0  # varies on the other rows only
    y = y + target_offset
    y[rest] += 3.0 * y.std()
    train = np.arange(400)
    Y = y[:, None]
    parts = [rest, train[::2], train[1::2]] if from_parts else ()
    moments = whole_data_moments(X, Y, sw, fit_intercept, parts)
    assert len(moments.part_products) == len(parts)
    design = moments_design(moments, Y, sw, fit_intercept, rest)
    own = prepare_design(X[train], Y[train], None if sw is None else sw[train],
                         fit_intercept)
    assert_allclose(design.X_offset, own.X_offset, rtol=1e-12, atol=1e-12)
    assert_allclose(design.Y, own.Y, rtol=1e-12, atol=1e-12 * np.abs(own.Y).max())
    rest_product = moments.part_products[0] if from_parts else None
    G, B, bound_norms = training_gram(design, moments, rest, rest_product)()
    G_fold, B_fold = centered_gram(own.A, own.X_mean, own.sqrt_sw, own.Y)
    scale = np.sqrt(np.outer(moments.M.diagonal(), moments.M.diagonal()))
    assert np.all(np.abs(G - G_fold) <= 1e-12 * scale)
    assert_allclose(B, B_fold, rtol=1e-10, atol=1e-12 * np.abs(B_fold).max())
    if fit_intercept:  # centered, the column of 3.0 is zero
        assert abs(G[5, 5]) <= 1e-12 * moments.M[5, 5]
    assert np.all(bound_norms**2 >= moments.M.diagonal())

    strength = 0.01 * alpha_max(X[train], y[train]) * design.sw_sum
    l1, l2 = 0.5 * strength, 0.5 * strength
    assert_gram_certificates(design, G, B, l1, l2, False, bound_norms, optimum_reached=False)


def test_training_gram_gathers_no_rows_unless_a_column_cancels():
    """A fold's design from the moments gathers its rows only when a solver needs more
    than its Gram matrix: not for the Gram summaries, unless a column is nearly constant
    on the training rows (then gathered with the design, that column centered
    explicitly)."""
    from sklreg.linear._design import RowGather, moments_design
    from sklreg.linear._least_squares import training_gram, whole_data_moments

    X, y, _ = correlated_problem(n_samples=300, n_features=8, seed=3)
    rest = np.arange(200, 300)
    for constant_column, gathered in [(False, False), (True, True)]:
        if constant_column:
            X[:200, 2] = 7.0
        moments = whole_data_moments(X, y[:, None], None, True)
        design = moments_design(moments, y[:, None], None, True, rest)
        training_gram(design, moments, rest)()
        assert isinstance(design._A, RowGather) is not gathered
        # the training rows of Z, centered (the constant column explicitly: all zeros)
        Z = moments.Z[:200]
        centered = design.A - np.outer(design.sqrt_sw, design.X_mean)
        assert_allclose(centered, Z - Z.mean(axis=0), rtol=0,
                        atol=1e-12 * np.abs(Z).max())


def test_fold_design_certified_on_its_gram_matrix_gathers_no_rows():
    """solve_least_squares on a fold's design from the moments, certified on its Gram
    matrix, leaves the training rows ungathered: only the design's dtype and shape are
    asked for, not its rows (``design.A.dtype`` gathered them after every certified fit,
    ``design.A.shape`` before an 'auto' fit)."""
    from sklreg.linear._design import RowGather, moments_design, prepare_design
    from sklreg.linear._least_squares import (
        design_gap,
        solve_least_squares,
        training_gram,
        whole_data_moments,
    )

    X, y, sw = correlated_problem(n_samples=2000, n_features=20, rho=0.5, seed=1)
    rest = np.arange(1600, 2000)
    moments = whole_data_moments(X, y[:, None], sw, True)
    design = moments_design(moments, y[:, None], sw, True, rest)
    strength = 0.05 * alpha_max(X[:1600], y[:1600], 1.0, sw[:1600]) * design.sw_sum
    gram = training_gram(design, moments, rest)
    for solver in ("gram", "auto"):  # 'auto' straight to the Gram matrix a path formed
        result = solve_least_squares(design, strength, 0.0, solver=solver, tol=1e-6,
                                     gram=gram)
        assert np.all(result.gaps <= result.gap_tols)
        assert isinstance(design._A, RowGather)
        # the fold's own design: the certified gap bounds the suboptimality there
        own = prepare_design(X[:1600], y[:1600, None], sw[:1600], True)
        primal = design_gap(own, result.W[0], 0, strength, 0.0, False)[0]
        optimum = solve_least_squares(own, strength, 0.0, solver="cd", tol=1e-14)
        best = design_gap(own, optimum.W[0], 0, strength, 0.0, False)[0]
        assert primal - best <= result.gaps[0] + 1e-12 * best


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shift", [1e6, 1e8])
def test_fold_design_far_from_the_whole_datas_means_converges(weighted, shift):
    """A fold's design from the moments whose training mean of a column lies far from the
    whole data's, compared with the column's spread on the training rows (the test rows
    shifted by ``shift``), reaches a tight tolerance where the Gram matrix hands over to
    coordinate descent on the design (tol 1e-13), as the fold's own, explicitly centered
    design does: centered implicitly, such a column left a gap floor near 1e-12 (shift 1e6)
    to 1e-10 (1e8) and a ConvergenceWarning after max_iter epochs."""
    from sklreg.linear._design import moments_design, prepare_design
    from sklreg.linear._least_squares import training_gram, whole_data_moments
    from sklreg.linear._path import design_path

    rng = np.random.default_rng(0)
    n_samples, n_features = 2000, 10
    X = rng.standard_normal((n_samples, n_features))
    coef = np.zeros(n_features)
    coef[:4] = 3.0 * rng.standard_normal(4)
    Y = (X @ coef + 0.5 * rng.standard_normal(n_samples))[:, None]
    sw = rng.uniform(0.5, 2.0, n_samples) if weighted else None
    rest = np.arange(400)
    X[rest, 0] += shift
    moments = whole_data_moments(X, Y, sw, True)
    design = moments_design(moments, Y, sw, True, rest)
    alphas = np.geomspace(1.0, 1e-3, 10)
    tol = 1e-10
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        W, gaps, _ = design_path(design, alphas, "elasticnet", 0.9, tol=tol, max_iter=1000,
                                 gram=training_gram(design, moments, rest))
    assert np.all(gaps <= tol * design.null_objectives() / design.sw_sum)
    train = np.arange(400, n_samples)
    own = prepare_design(X[train], Y[train], None if sw is None else sw[train], True)
    expected, _, _ = design_path(own, alphas, "elasticnet", 0.9, tol=tol, max_iter=1000)
    assert_allclose(W, expected, rtol=0, atol=1e-9)


@pytest.mark.parametrize("heavy", [1e12, 1e15])
def test_fold_design_of_rows_outweighed_by_the_rest_is_the_folds_own(heavy):
    """A fold's design from the moments when its test rows outweigh its training rows
    (weights ``heavy`` against 1): the training means, sums of the whole data's minus the
    test rows', cancelled (X_offset off by 0.02 for 1e15, on columns of unit spread), and
    the path on it reported gaps of 3e-9 where its suboptimality was 1e-4 (the intercepts)
    or 2e-7 (the weights). Such columns are gathered and centered on the training rows, as
    the fold's own design is."""
    from sklreg.linear._design import moments_design, prepare_design
    from sklreg.linear._least_squares import (
        design_gap,
        training_gram,
        whole_data_moments,
    )
    from sklreg.linear._path import design_path

    rng = np.random.default_rng(0)
    n_samples, n_features = 1500, 8
    X = rng.standard_normal((n_samples, n_features)) + rng.uniform(-3, 3, n_features)
    Y = (X[:, :3] @ [1.0, 2.0, 3.0] + rng.standard_normal(n_samples))[:, None]
    rest = np.arange(300)
    sw = np.ones(n_samples)
    sw[rest] = heavy
    moments = whole_data_moments(X, Y, sw, True)
    design = moments_design(moments, Y, sw, True, rest)
    train = np.arange(300, n_samples)
    own = prepare_design(X[train], Y[train], sw[train], True)
    assert_allclose(design.X_offset, own.X_offset, rtol=0, atol=1e-12)
    alphas = np.geomspace(1.0, 1e-3, 6)
    W, gaps, _ = design_path(design, alphas, "l1", 1.0, tol=1e-12,
                             gram=training_gram(design, moments, rest))
    expected, _, _ = design_path(own, alphas, "l1", 1.0, tol=1e-14)
    for i, alpha in enumerate(alphas):  # the gaps bound the suboptimality on the fold
        strength = alpha * own.sw_sum
        primal = design_gap(own, W[i, 0], 0, strength, 0.0, False)[0] / own.sw_sum
        best = design_gap(own, expected[i, 0], 0, strength, 0.0, False)[0] / own.sw_sum
        assert primal - best <= gaps[i, 0] + 1e-14 * best
    assert_allclose(W, expected, rtol=0, atol=1e-6)
    # and the intercepts are the fold's optimal ones for these weights
    assert_allclose(design.intercepts(W)[0], own.intercepts(W)[0], rtol=0, atol=1e-12)


def test_whole_data_moments_sum_parts_only_when_they_hold_every_row_once():
    """The second moments come as the sum of the parts' products (kept for the folds)
    only when the parts partition the rows and their products are no larger than the
    data; either way they are the whole data's."""
    from sklreg.linear._least_squares import whole_data_moments

    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 4)) + 10.0
    rows = rng.permutation(60)
    Z = X - X.mean(axis=0)
    cases = {
        "partition": ([rows[:20], rows[20:40], rows[40:]], 3),
        "overlap": ([rows[:30], rows[20:]], 0),
        "missing": ([rows[:20], rows[20:59]], 0),
        "repeated": ([rows[:20], rows[20:], rows[:0], np.array([rows[0]])], 0),
        "too many": ([rows[k::20] for k in range(20)], 0),  # 20 x 4 products > 60 x 4
    }
    for name, (parts, n_products) in cases.items():
        moments = whole_data_moments(X, np.ones((60, 1)), None, True, parts)
        assert len(moments.part_products) == n_products, name
        assert_allclose(moments.M, Z.T @ Z, rtol=1e-12, atol=1e-12 * 60, err_msg=name)
        assert len(moments.part_sums) == n_products, name
        for part, product, sums in zip(parts[:n_products], moments.part_products,
                                       moments.part_sums, strict=True):
            assert_allclose(product, Z[part].T @ Z[part], atol=1e-10)
            for got, expected in zip(sums, moments.sums_of(part), strict=True):
                assert_allclose(got, expected, rtol=1e-12, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_part_sums_of_the_moments_equal_those_of_the_gathered_rows(order, weighted,
                                                                    fit_intercept):
    """The sums of a part of the rows, taken in one pass without gathering them, are the
    products of the gathered rows; over no rows, zeros."""
    from sklreg.linear._least_squares import whole_data_moments

    rng = np.random.default_rng(1)
    X = np.asarray(rng.standard_normal((80, 6)) + 5.0, order=order)
    Y = rng.standard_normal((80, 2)) + 3.0
    sw = rng.uniform(0.5, 2.0, 80) if weighted else None
    moments = whole_data_moments(X, Y, sw, fit_intercept)
    Z, T, root = moments.Z, moments.targets, moments.sqrt_sw
    for rows in (rng.choice(80, 30, replace=False), np.arange(0), np.arange(80)):
        sums = moments.sums_of(rows)
        assert_allclose(sums.weighted_sums, Z[rows].T @ root[rows], atol=1e-12)
        assert_allclose(sums.target_products, Z[rows].T @ T[rows], atol=1e-12)
        assert_allclose(sums.sq_norms, (Z[rows] ** 2).sum(axis=0), rtol=1e-13)
        assert_allclose(sums.target_sq_norms, (T[rows] ** 2).sum(axis=0), rtol=1e-13)
        assert_allclose(sums.target_sums, T[rows].T @ root[rows], atol=1e-12)
        assert sums.weight_sum == pytest.approx((root[rows] ** 2).sum(), rel=1e-13)
    assert_allclose(moments.sums_of(np.arange(80)).sq_norms, moments.M.diagonal(),
                    rtol=1e-12)


def test_symmetric_products_of_an_empty_dimension_are_zero(capfd):
    """The product over no rows (the rows out of a fold that trains on all of them) is
    zero, without a call of BLAS syrk with an illegal leading dimension (which printed
    'On entry to DSYRK parameter number 7 had an illegal value' and may abort)."""
    from sklreg.solvers._direct import symmetric_products

    for order in ("C", "F"):
        A = np.empty((0, 4), order=order)
        gram, outer = symmetric_products(A)
        assert_array_equal(gram(), np.zeros((4, 4)))
        assert_array_equal(symmetric_products(A.T)[1](), np.zeros((4, 4)))
        assert outer().shape == (0, 0)
    assert "DSYRK" not in capfd.readouterr().err



@pytest.mark.parametrize("fmt", ["csc", "csr"])
def test_gram_that_overflows_falls_back_to_the_design(fmt):
    # a sparse column near 1e150 with weights up to 1e8: its squared norm overflows, and the
    # Gram descent on inf / NaN entries had certified the intercept-only model (gap 0.0)
    rng = np.random.RandomState(1417)
    X = np.sqrt(0.7) * rng.randn(30, 1) + np.sqrt(0.3) * rng.randn(30, 120)
    X[:, 0] *= 1e-150
    X[:, 1] *= 1e150
    coef = np.zeros(120)
    coef[:24] = rng.randn(24)
    coef[0] *= 1e150
    coef[1] *= 1e-150
    y = X @ coef + 0.5 * rng.randn(30) + 3.0
    rng = np.random.RandomState(1417)
    sw = 10.0 ** rng.uniform(-8, 8, 30)
    X *= rng.rand(30, 120) < 0.5
    alpha = alpha_max(X, y, 0.5, sw) / 200
    params = dict(penalty="elasticnet", alpha=alpha, l1_ratio=0.5, max_iter=3000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # neither a convergence warning nor NumPy's overflow
        model = LinearRegressor(solver="gram", tol=1e-10, **params).fit(
            sp.csc_matrix(X) if fmt == "csc" else sp.csr_matrix(X), y, sample_weight=sw)
    reference = LinearRegressor(solver="cd", tol=1e-14, **params).fit(X, y, sample_weight=sw)
    p_model = objective(X, y, model.coef_, model.intercept_, alpha, 0.5, sw)
    p_reference = objective(X, y, reference.coef_, reference.intercept_, alpha, 0.5, sw)
    p_null = objective(X, y, np.zeros(120), np.average(y, weights=sw), alpha, 0.5, sw)
    assert p_model - p_reference <= 1e-9 * p_null
    assert p_model - p_reference <= model.dual_gap_ + 1e-12 * p_null
    assert model.dual_gap_ <= 1e-10 * p_null


def fit_by_fit_path(design, alphas, penalty, l1_ratio, positive, tol):
    """The path as one :func:`solve_least_squares` per alpha on the shared Gram matrix."""
    from sklreg._penalties import penalty_strengths
    from sklreg.linear._least_squares import design_gram, solve_least_squares

    gram = design_gram(design)
    previous, results = None, []
    for alpha in alphas:
        l1, l2 = penalty_strengths(penalty, alpha * design.sw_sum, l1_ratio)
        result = solve_least_squares(design, l1, l2, positive=positive, solver="gram",
                                     tol=tol, W_init=previous, gram=gram)
        previous = result.W
        results.append(result)
    return (np.array([r.W for r in results]),
            np.array([r.gaps for r in results]) / design.sw_sum,
            np.array([r.n_iter for r in results]))


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("penalty, positive", [("l1", False), ("elasticnet", True),
                                               ("l2", False)])
def test_compiled_gram_path_agrees_with_fit_by_fit(sparse, penalty, positive, monkeypatch):
    """The compiled path on the Gram matrix certifies the fits of one Gram fit per alpha
    (three targets, one constant), and fits it does not certify go to the general solver:
    every gap is within tol and bounds the suboptimality on the design."""
    import sklreg.linear._path as path_module
    from sklreg.linear._design import prepare_design
    from sklreg.linear._path import design_path

    X, y, sw = correlated_problem(n_samples=500, n_features=30, sparse=sparse, seed=8)
    Y = np.column_stack([y, np.full_like(y, 2.5), np.asarray(X[:, 3].todense()).ravel()
                         if sparse else X[:, 3] + y])
    design = prepare_design(X, Y, sw, True)
    l1_ratio = {"l1": 1.0, "elasticnet": 0.6, "l2": 0.0}[penalty]
    top = alpha_max(X, y, max(l1_ratio, 0.05), sw)
    alphas = np.geomspace(top, top / 300, 23)
    tol = 1e-9
    expected_W, expected_gaps, expected_n_iter = fit_by_fit_path(
        design, alphas, penalty, 0.6, positive, tol)
    null = np.array([objective(X, Y[:, k], np.zeros(30), np.average(Y[:, k], weights=sw),
                               alphas[0], l1_ratio, sw) for k in range(3)])

    calls, starts = [], []
    gram_path, solve_least_squares = path_module.gram_path, path_module.solve_least_squares

    def certify_at_most_four(design, gram, l1s, l2s, *args, **kwargs):
        calls.append(len(l1s))
        return gram_path(design, gram, l1s[:4], l2s[:4], *args, **kwargs)

    def solve_recording_start(*args, W_init, **kwargs):
        starts.append(W_init.copy())
        return solve_least_squares(*args, W_init=W_init, **kwargs)

    for limited in (False, True):
        if limited:  # fits 4, 9, 14, 19 handed over to the general solver
            monkeypatch.setattr(path_module, "gram_path", certify_at_most_four)
            monkeypatch.setattr(path_module, "solve_least_squares", solve_recording_start)
        W, gaps, n_iter = design_path(design, alphas, penalty, 0.6, positive=positive,
                                      solver="gram", tol=tol)
        assert_array_equal(W[:, 1], 0.0)
        assert_array_equal(gaps[:, 1], 0.0)
        assert np.all(gaps <= tol * null)
        # warm-started, and along the path: no more epochs than fit by fit (cold starts
        # would take several times the epochs)
        assert n_iter.sum() <= 1.1 * expected_n_iter.sum()
        for i, alpha in enumerate(alphas):
            intercepts, _ = design.intercepts(W[i])
            expected_intercepts, _ = design.intercepts(expected_W[i])
            for k in (0, 2):
                ours = objective(X, Y[:, k], W[i, k], intercepts[k], alpha, l1_ratio, sw)
                theirs = objective(X, Y[:, k], expected_W[i, k], expected_intercepts[k],
                                   alpha, l1_ratio, sw)
                assert abs(ours - theirs) <= max(gaps[i, k], expected_gaps[i, k]) + 1e-13 * ours
                if positive:
                    assert W[i, k].min() >= 0.0
    # from fits 0, 5, 10, 15, 20, each to the end of the path: no callback to report to
    assert calls == [23, 18, 13, 8, 3]
    for i, start in zip([4, 9, 14, 19], starts, strict=True):  # the previous solutions
        assert_array_equal(start, W[i - 1])
    calls.clear()
    reported = []
    design_path(design, alphas, penalty, 0.6, positive=positive, solver="gram", tol=tol,
                callback=lambda i, *args: reported.append(i))
    assert calls == [10, 10, 10, 8, 3]  # runs of at most GRAM_PATH_CHUNK between reports
    assert reported == list(range(len(alphas)))


@pytest.mark.parametrize("tol, max_iter", [(0.0, 3), (0.0, 40), (1e-15, 200)])
def test_compiled_gram_path_hands_over_where_its_descent_stopped(tol, max_iter,
                                                                 monkeypatch):
    """A fit the compiled path does not certify (tol 0, or below the rounding bound) goes
    on in the general solver from where its descent stopped, within max_iter epochs in
    all; every returned gap bounds the suboptimality (two targets, one constant)."""
    import sklreg.linear._path as path_module

    budgets = []
    solve_least_squares = path_module.solve_least_squares

    def solve_recording_budget(*args, max_iter, **kwargs):
        budgets.append(max_iter)
        return solve_least_squares(*args, max_iter=max_iter, **kwargs)

    monkeypatch.setattr(path_module, "solve_least_squares", solve_recording_budget)
    X, y, sw = correlated_problem(n_samples=600, n_features=30, seed=11)
    Y = np.column_stack([y, np.full_like(y, -1.0), y + X[:, 4]])
    top = alpha_max(X, y, 1.0, sw)
    alphas = np.geomspace(top / 2, top / 200, 8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        path = regularization_path(X, Y, penalty="l1", alphas=alphas, sample_weight=sw,
                                   solver="gram", tol=tol, max_iter=max_iter)
    assert np.all(path.n_iter <= max_iter)
    # (at tol 1e-15 a fit may start solved: extrapolated along the path on one support)
    assert np.all(path.n_iter[[0, 2]] >= (1 if tol == 0.0 else 0))
    assert np.all(path.n_iter[1] == 0)
    assert budgets and max(budgets) < max_iter  # what the compiled descent left
    assert_array_equal(path.coefs[1], 0.0)
    for k in (0, 2):
        for i, alpha in enumerate(alphas):
            best = LinearRegressor("l1", alpha=alpha, tol=1e-14, max_iter=10**5).fit(
                X, Y[:, k], sample_weight=sw)
            p_best = objective(X, Y[:, k], best.coef_, best.intercept_, alpha, 1.0, sw)
            reached = objective(X, Y[:, k], path.coefs[k, :, i], path.intercepts[k, i],
                                alpha, 1.0, sw)
            assert reached - p_best <= path.dual_gaps[k, i] + 1e-14 * p_best


def test_compiled_gram_path_warning_counts_the_epochs_it_spent():
    """A fit the compiled path hands over names, in its ConvergenceWarning, the epochs it
    took in all (those of the compiled descent included), as the path's n_iter does."""
    X, y, sw = correlated_problem(n_samples=600, n_features=30, seed=11)
    top = alpha_max(X, y, 1.0, sw)
    alphas = np.geomspace(top / 2, top / 200, 6)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        path = regularization_path(X, y, penalty="l1", alphas=alphas, sample_weight=sw,
                                   solver="gram", tol=0.0, max_iter=40)
    reported = {}
    for warning in caught:
        found = re.search(r"at alpha=(\S+) after (\d+) iterations", str(warning.message))
        if found:
            reported[float(found.group(1))] = int(found.group(2))
    assert reported  # tol=0: the fits are not certified
    for alpha, epochs in reported.items():
        i = int(np.argmin(np.abs(alphas - alpha)))
        assert epochs == path.n_iter[i] == 40


@pytest.mark.parametrize("tol", [1e-6, 1e-8])
def test_float32_path_on_tall_data_certifies_its_rounded_weights_on_the_gram_matrix(
        monkeypatch, tol):
    """A float32 path on n_samples >> n_features rounds each fit's weights to float32 and
    certifies them on the float64 Gram matrix of the float32 data: no pass over X per
    alpha (each one cost a residual and a product with X before), and each gap still
    bounds the suboptimality of the rounded weights (a tight float64 fit on the same data
    as the optimum). At 1e-8 the rounding of some fits is above the target: they go on
    from their rounded weights, on the design."""
    import sklreg.linear._least_squares as least_squares

    X, y, sw = correlated_problem(n_samples=2000, n_features=60, rho=0.5, seed=5)
    X = X.astype(np.float32)
    passes = []
    for name in ("design_gap", "residual"):
        function = getattr(least_squares, name)
        monkeypatch.setattr(least_squares, name,
                            lambda *args, f=function: passes.append(1) or f(*args))
    path = regularization_path(X, y, penalty="l1", sample_weight=sw, n_alphas=30, tol=tol)
    if tol >= 1e-6:
        assert not passes
    monkeypatch.undo()
    _assert_float32_lasso_path_certified(X, y, sw, path, tol, 1e-13)


def _assert_float32_lasso_path_certified(X, y, sw, path, tol, slack, **kwargs):
    """The float32 lasso ``path`` of ``X, y, sw`` (and ``kwargs``) has float32
    coefficients, gaps within ``tol`` and above their suboptimality (up to ``slack``
    times the null objective), a tight float64 path on the same data as the optimum."""
    assert path.coefs.dtype == np.float32
    tight = regularization_path(X.astype(np.float64), y, penalty="l1", sample_weight=sw,
                                n_alphas=len(path.alphas), tol=1e-14, solver="cd",
                                max_iter=10**6, **kwargs)
    null = objective(X, y, np.zeros(X.shape[1]), np.average(y, weights=sw), 1.0, 1.0, sw)
    for i, alpha in enumerate(path.alphas):
        ours = objective(X, y, path.coefs[:, i], path.intercepts[i], alpha, 1.0, sw)
        optimum = objective(X, y, tight.coefs[:, i], tight.intercepts[i], alpha, 1.0, sw)
        assert ours - optimum <= path.dual_gaps[i] + slack * null
        assert path.dual_gaps[i] <= tol * null


@pytest.mark.parametrize("positive", [False, True])
def test_float32_gram_path_at_a_tight_tol_certifies_its_rounding_on_the_gram_matrix(
        monkeypatch, positive):
    """At a tight tol the rounded weights' own dual point misses the target (rounding to
    float32 moves it to first order): their gap is bounded, on the Gram matrix, by the
    unrounded weights' gap plus what rounding adds to the objective (second order), as
    certify_rounded does on the design. The fits went on with coordinate descent on X
    instead (a 20000 x 40 float32 path at tol=1e-8: 179 epochs for 98, 5x the time)."""
    import sklreg.linear._least_squares as least_squares

    X, y, sw = correlated_problem(n_samples=4000, n_features=40, rho=0.5, seed=3)
    X = X.astype(np.float32)
    epochs_on_X = []
    kernel = least_squares.enet_coordinate_descent
    monkeypatch.setattr(least_squares, "enet_coordinate_descent",
                        lambda *args: epochs_on_X.append(1) or kernel(*args))
    tol = 1e-8
    path = regularization_path(X, y, penalty="l1", sample_weight=sw, n_alphas=20, tol=tol,
                               positive=positive)
    monkeypatch.undo()
    assert not epochs_on_X
    _assert_float32_lasso_path_certified(X, y, sw, path, tol, 1e-14, positive=positive)


@pytest.mark.parametrize("weighted", [False, True])
def test_l2_path_on_tall_data_certifies_on_its_gram_matrix(monkeypatch, weighted):
    """A ridge path with more samples than features solves every fit from one
    eigendecomposition of X^T X, which also certifies them: no pass over the design per
    alpha, and each gap bounds the fit's suboptimality (scikit-learn's Ridge as the
    optimum) and stays below tol."""
    from sklearn.linear_model import Ridge

    import sklreg.linear._least_squares as least_squares

    X, y, sw = correlated_problem(n_samples=600, n_features=30, seed=2)
    sw = sw if weighted else None
    passes = []
    for name in ("design_gap", "residual"):
        function = getattr(least_squares, name)
        monkeypatch.setattr(least_squares, name,
                            lambda *args, f=function: passes.append(1) or f(*args))
    tol = 1e-8
    path = regularization_path(X, y, penalty="l2", sample_weight=sw, n_alphas=20, tol=tol)
    assert not passes
    total = len(y) if sw is None else sw.sum()
    null = objective(X, y, np.zeros(X.shape[1]), np.average(y, weights=sw), 1.0, 0.0, sw)
    for i, alpha in enumerate(path.alphas):
        ridge = Ridge(alpha=alpha * total, tol=1e-14).fit(X, y, sample_weight=sw)
        ours = objective(X, y, path.coefs[:, i], path.intercepts[i], alpha, 0.0, sw)
        optimum = objective(X, y, ridge.coef_, ridge.intercept_, alpha, 0.0, sw)
        assert ours - optimum <= path.dual_gaps[i] + 1e-15 * null
        assert path.dual_gaps[i] <= tol * null



def _tall_ridge_problem(offset, sparse, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((400, 20)) @ (np.eye(20) + 0.1 * rng.standard_normal((20, 20)))
    y = X @ rng.standard_normal(20) + 0.3 * rng.standard_normal(400)
    X += offset
    if sparse:
        X[np.abs(X) < 1.0] = 0.0
        X = sp.csr_matrix(X)
    return X, y, rng.uniform(0.5, 2.0, 400)


@pytest.mark.parametrize("offset, sparse, fit_intercept, tol", [
    (0.0, False, True, 1e-13), (50.0, False, False, 1e-10), (0.0, True, True, 1e-10),
])
def test_l2_path_on_tall_data_certifies_tight_tol_on_the_design(offset, sparse, fit_intercept,
                                                               tol):
    """Where the Gram matrix's rounding bound exceeds a tight tol, a ridge fit of a tall
    path is certified by its own gap on the design (as before the path certified on its
    Gram matrix), not by the Gram gradient's bound with only the residual recomputed,
    which keeps the rounding in the conjugate term: no ConvergenceWarning, and the gaps
    still bound the suboptimality against a direct float64 solve."""
    X, y, sw = _tall_ridge_problem(offset, sparse)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        path = regularization_path(X, y, penalty="l2", sample_weight=sw, n_alphas=20,
                                   tol=tol, fit_intercept=fit_intercept)
    X = X.toarray() if sparse else X
    center = fit_intercept * np.average(X, axis=0, weights=sw)
    y_center = fit_intercept * np.average(y, weights=sw)
    Xc, yc = (X - center) * np.sqrt(sw)[:, None], (y - y_center) * np.sqrt(sw)
    null = objective(X, y, np.zeros(X.shape[1]), y_center, 1.0, 0.0, sw)
    for i, alpha in enumerate(path.alphas):
        augmented = np.vstack([Xc, np.sqrt(alpha * sw.sum()) * np.eye(X.shape[1])])
        coef = np.linalg.lstsq(augmented, np.r_[yc, np.zeros(X.shape[1])], rcond=None)[0]
        ours = objective(X, y, path.coefs[:, i], path.intercepts[i], alpha, 0.0, sw)
        optimum = objective(X, y, coef, y_center - center @ coef, alpha, 0.0, sw)
        assert ours - optimum <= path.dual_gaps[i] + 1e-15 * null
        assert path.dual_gaps[i] <= tol * null


@pytest.mark.parametrize("n_samples, n_features", [(12, 10), (60, 40), (300, 100)])
def test_small_tall_path_runs_on_the_gram_matrix(n_samples, n_features, monkeypatch):
    """An 'auto' L1 path on a small dense design with at least as many samples as features
    runs on the Gram matrix from its first alpha (a fit per alpha in Python on the design
    took 2-3x as long), with the solutions of descent on the design."""
    import sklreg.linear._path as path_module

    X, y, sw = correlated_problem(n_samples=n_samples, n_features=n_features, rho=0.6,
                                  seed=3)
    calls = []
    gram_path = path_module.gram_path

    def recording_gram_path(*args, **kwargs):
        calls.append(len(args[2]))
        return gram_path(*args, **kwargs)

    monkeypatch.setattr(path_module, "gram_path", recording_gram_path)
    path = regularization_path(X, y, penalty="l1", n_alphas=30, sample_weight=sw,
                               tol=1e-10)
    assert sum(calls) == 30
    monkeypatch.setattr(path_module, "gram_path", gram_path)
    on_design = regularization_path(X, y, penalty="l1", n_alphas=30, sample_weight=sw,
                                    tol=1e-10, solver="cd")
    null = objective(X, y, np.zeros(n_features), np.average(y, weights=sw), 1.0, 1.0, sw)
    for i, alpha in enumerate(path.alphas):
        ours = objective(X, y, path.coefs[:, i], path.intercepts[i], alpha, 1.0, sw)
        theirs = objective(X, y, on_design.coefs[:, i], on_design.intercepts[i], alpha,
                           1.0, sw)
        assert abs(ours - theirs) <= 2e-10 * null


def test_extrapolation_along_the_path_is_exact_on_a_fixed_support():
    """Two lasso solutions with the same support and signs put the third on their line
    (the solution is affine in the strength there); a weight predicted to change sign, or
    at zero, starts at zero; the step is at most the last one."""
    from sklreg.solvers._cd import extrapolate_along_path

    rng = np.random.default_rng(3)
    A = rng.standard_normal((60, 6))
    G, b = A.T @ A, A.T @ rng.standard_normal(60)

    def lasso(l1):  # on the support and signs of the solution at the largest strength
        signs = np.sign(np.linalg.solve(G, b))
        return np.linalg.solve(G, b - l1 * signs)

    strengths = [0.3, 0.2, 0.1]
    solutions = [lasso(l1) for l1 in strengths]
    assert np.all(np.sign(solutions[0]) == np.sign(solutions[2]))  # one support
    w = solutions[1].copy()
    assert extrapolate_along_path(w, solutions[0], strengths[2], strengths[1],
                                  strengths[0]) == 1.0
    assert_allclose(w, solutions[2], rtol=1e-12, atol=1e-12)

    w = np.array([1.0, 0.1, 0.0, -1.0])
    before = np.array([2.0, 0.3, 0.5, -1.5])
    extrapolate_along_path(w, before, 0.5, 1.0, 1.5)  # one step along: w + (w - before)
    assert_array_equal(w, [0.0, 0.0, 0.0, -0.5])
    w = np.array([1.0, -1.0])
    extrapolate_along_path(w, np.array([2.0, -0.5]), 0.0, 1.0, 1.1)  # ten steps: one
    assert_allclose(w, [0.0, -1.5])
    for strengths in ([1.0, 1.0, 1.0], [2.0, 1.0, np.nan], [0.5, 1.0, 0.5]):  # no line on
        w = np.array([1.0, -1.0])
        assert extrapolate_along_path(w, np.array([2.0, -0.5]), *strengths) == 0.0
        assert_array_equal(w, [1.0, -1.0])
    w = np.array([1.0, -1.0])
    assert extrapolate_along_path(w, np.empty(0), 0.5, 1.0, 1.5) == 0.0  # none before
    assert_array_equal(w, [1.0, -1.0])


def test_gradient_at_the_extrapolated_start_is_that_of_its_weights():
    """The path's next fit starts from ``b - G w`` combined from the last two solutions'
    (and rows of ``G`` for the weights started at zero): it is ``b - G w`` at the start,
    and the fits of the path are those started with it formed afresh."""
    from sklreg.solvers._cd import extrapolate_along_path
    from sklreg.solvers._gram import _extrapolated_gradient, enet_gram_path

    rng = np.random.default_rng(4)
    A = rng.standard_normal((80, 8))
    G, b = A.T @ A, A.T @ rng.standard_normal(80)
    w_before = np.array([2.0, 0.5, 0.5, -1.5, 0.0, 1.0, -0.2, 0.7])
    w_previous = np.array([1.0, 0.1, 0.0, -1.0, 0.0, 1.2, -0.3, 0.4])
    w = w_previous.copy()
    ratio = extrapolate_along_path(w, w_before, 0.8, 1.0, 1.5)  # some start at zero
    assert ratio == pytest.approx(0.4)
    assert np.count_nonzero(w == 0.0) == 3
    q = _extrapolated_gradient(G, b - G @ w_previous, b - G @ w_before, w, w_previous,
                               w_before, ratio)
    assert_allclose(q, b - G @ w, rtol=1e-12, atol=1e-12 * np.abs(b).max())

    strengths = np.abs(b).max() * np.geomspace(0.5, 0.005, 12)
    y_norm2 = float(b @ np.linalg.solve(G, b)) + 10.0
    norms = np.sqrt(G.diagonal())
    fits = []
    for given in (True, False):
        W, gaps = np.zeros((12, 8)), np.zeros(12)
        n_iter = np.zeros(12, dtype=np.int64)
        if given:
            n_fits = enet_gram_path(G, b, y_norm2, np.zeros(8), strengths, 0 * strengths,
                                    False, 10**4, 1e-9 * y_norm2, 0.5, False, 0, norms, 80,
                                    W, gaps, n_iter, np.empty(0), np.full(2, np.nan))
            assert n_fits == 12
        else:  # fit by fit, each from b - G w formed afresh
            w, before = np.zeros(8), np.empty(0)
            for i in range(12):
                strength_before = np.nan if i < 2 else strengths[i - 2]
                previous = np.nan if i < 1 else strengths[i - 1]
                start = w.copy()
                extrapolate_along_path(w, before, strengths[i], previous, strength_before)
                n_fits = enet_gram_path(G, b, y_norm2, w, strengths[i:i + 1],
                                        0 * strengths[:1], False, 10**4, 1e-9 * y_norm2,
                                        0.5, False, 0, norms, 80, W[i:i + 1], gaps[i:i + 1],
                                        n_iter[i:i + 1], np.empty(0), np.full(2, np.nan))
                assert n_fits == 1
                w, before = W[i].copy(), start
        fits.append((W, n_iter))
        assert np.all(gaps <= 1e-9 * y_norm2)
    assert_allclose(fits[0][0], fits[1][0], rtol=1e-9, atol=1e-12)
    assert_array_equal(fits[0][1], fits[1][1])
