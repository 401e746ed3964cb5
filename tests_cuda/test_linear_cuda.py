"""device='cuda' fits the same linear models as the CPU, to the tolerance, with a true gap."""

import pickle

import numpy as np
import pytest
from scipy.special import log_softmax

from sklreg import LinearClassifier, LinearRegressor

PENALTIES = ["l1", "l2", "elasticnet", None]
DTYPES = [np.float64, np.float32]


def regression_data(n_samples=30, n_features=6, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features)) + 3.0  # an intercept to fit
    coef = rng.standard_normal(n_features) * (rng.random(n_features) < 0.6)
    y = X @ coef + 0.3 * rng.standard_normal(n_samples) + 5.0
    return X, y


def least_squares_objective(model, X, y, sample_weight=None):
    residual = y - X.astype(np.float64) @ model.coef_.astype(np.float64) - model.intercept_
    sw = np.ones(len(y)) if sample_weight is None else sample_weight
    value = 0.5 * sw @ residual**2 / sw.sum()
    if model.penalty is None:
        return value
    ratio = {"l1": 1.0, "l2": 0.0, "elasticnet": model.l1_ratio}[model.penalty]
    w = model.coef_.astype(np.float64)
    return value + model.alpha * (ratio * np.abs(w).sum() + (1 - ratio) / 2 * w @ w)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("penalty", PENALTIES)
def test_regressor_equals_cpu(penalty, dtype):
    X, y = regression_data()
    X = X.astype(dtype)
    params = dict(penalty=penalty, alpha=0.05, l1_ratio=0.5, tol=1e-10, max_iter=5000)
    cpu = LinearRegressor(**params).fit(X, y)
    gpu = LinearRegressor(device="cuda", **params).fit(X, y)
    assert isinstance(gpu.coef_, np.ndarray) and gpu.coef_.dtype == dtype
    atol = 1e-4 if dtype == np.float32 else 1e-5
    np.testing.assert_allclose(gpu.coef_, cpu.coef_, atol=atol)
    np.testing.assert_allclose(gpu.intercept_, cpu.intercept_, atol=10 * atol)
    if penalty == "l1":
        np.testing.assert_array_equal(gpu.coef_ == 0, cpu.coef_ == 0)
    if penalty is None:
        assert np.isnan(gpu.dual_gap_)
    else:  # the reported gap bounds the suboptimality against the CPU solution
        excess = least_squares_objective(gpu, X, y) - least_squares_objective(cpu, X, y)
        assert excess <= gpu.dual_gap_ + cpu.dual_gap_ + 1e-12
        assert gpu.dual_gap_ <= 1e-10 * 10


def test_regressor_weights_targets_positive():
    X, y = regression_data(seed=1)
    rng = np.random.default_rng(1)
    Y = np.column_stack([y, -y + rng.standard_normal(len(y))])
    sample_weight = rng.random(len(y)) + 0.2
    for params in (dict(penalty="elasticnet", alpha=0.05, l1_ratio=0.7),
                   dict(penalty="l1", alpha=0.02, positive=True)):
        params.update(tol=1e-10, max_iter=5000)
        target = Y if not params.get("positive") else y
        cpu = LinearRegressor(**params).fit(X, target, sample_weight)
        gpu = LinearRegressor(device="cuda", **params).fit(X, target, sample_weight)
        np.testing.assert_allclose(gpu.coef_, cpu.coef_, atol=1e-5)
        np.testing.assert_allclose(gpu.intercept_, cpu.intercept_, atol=1e-4)
        if params.get("positive"):
            assert np.all(gpu.coef_ >= 0)


def classification_data(n_classes, n_samples=30, n_features=4, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n_samples) % n_classes
    X = rng.standard_normal((n_samples, n_features)) + 1.0
    X[:, : n_classes - 1] += 1.2 * np.eye(n_classes)[y][:, 1:]  # informative, not separable
    return X, y


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("penalty", PENALTIES)
@pytest.mark.parametrize("n_classes", [2, 3])
def test_classifier_equals_cpu(n_classes, penalty, dtype):
    X, y = classification_data(n_classes)
    X = X.astype(dtype)
    # without penalty the GPU stops on the gradient norm (no certificate): a tighter tol
    tol = 1e-8 if penalty is not None else 1e-12
    params = dict(penalty=penalty, alpha=0.03, l1_ratio=0.5, tol=tol, max_iter=3000)
    cpu = LinearClassifier(**params).fit(X, y)
    gpu = LinearClassifier(device="cuda", **params).fit(X, y)
    assert isinstance(gpu.coef_, np.ndarray) and gpu.coef_.shape == cpu.coef_.shape
    # the softmax is invariant to a common shift of the classes' weights (no penalty)
    np.testing.assert_allclose(gpu.predict_proba(X), cpu.predict_proba(X), atol=1e-4)
    if penalty is not None or n_classes == 2:
        np.testing.assert_allclose(gpu.coef_, cpu.coef_, atol=2e-3)
        np.testing.assert_allclose(gpu.intercept_, cpu.intercept_, atol=2e-3)
    if penalty is None:
        assert np.isnan(gpu.dual_gap_)
        return
    # the reported gap bounds the suboptimality against the CPU solution
    ratio = {"l1": 1.0, "l2": 0.0, "elasticnet": 0.5}[penalty]

    def objective(model):
        # in float64: coef_ and intercept_ are float32 for float32 X, and the penalty summed
        # in float32 is off by about 1e-10 here, more than the gaps
        W = model.coef_.astype(np.float64)
        scores = X.astype(np.float64) @ W.T + model.intercept_.astype(np.float64)
        if n_classes == 2:
            scores = np.column_stack([np.zeros(len(y)), scores[:, 0]])
        loss = -log_softmax(scores, axis=1)[np.arange(len(y)), y].mean()
        return loss + 0.03 * (ratio * np.abs(W).sum() + (1 - ratio) / 2 * (W * W).sum())

    assert objective(gpu) - objective(cpu) <= gpu.dual_gap_ + cpu.dual_gap_ + 1e-12
    assert gpu.dual_gap_ <= 1e-8 * np.log(n_classes)


def test_classifier_l1_sparsity_and_pickle():
    X, y = classification_data(2, seed=2)
    X = np.column_stack([X, np.random.default_rng(2).standard_normal((len(y), 2))])
    params = dict(penalty="l1", alpha=0.05, tol=1e-8, max_iter=3000)
    cpu = LinearClassifier(**params).fit(X, y)
    gpu = LinearClassifier(device="cuda", **params).fit(X, y)
    assert np.count_nonzero(gpu.coef_ == 0) > 0
    np.testing.assert_array_equal(gpu.coef_ == 0, cpu.coef_ == 0)
    restored = pickle.loads(pickle.dumps(gpu))
    np.testing.assert_array_equal(restored.predict(X), gpu.predict(X))


@pytest.mark.parametrize("Estimator", [LinearRegressor, LinearClassifier])
def test_max_iter_reached_warns_with_the_gap(Estimator):
    from sklearn.exceptions import ConvergenceWarning

    X, y = classification_data(2)
    model = Estimator(device="cuda", penalty="l1", alpha=1e-3, tol=1e-12, max_iter=3)
    with pytest.warns(ConvergenceWarning, match="gap"):
        model.fit(X, y)
    assert model.dual_gap_ > 0



@pytest.mark.parametrize("Estimator", [LinearRegressor, LinearClassifier])
def test_max_iter_reached_without_penalty_warns(Estimator):
    from sklearn.exceptions import ConvergenceWarning

    X, y = classification_data(2)
    model = Estimator(device="cuda", penalty=None, tol=1e-14, max_iter=3)
    with pytest.warns(ConvergenceWarning, match="max_iter=3"):
        model.fit(X, y)
    assert model.n_iter_ == 3


def test_nonnegative_least_squares_stops_before_max_iter():
    # at a constrained optimum the gradient is not zero: the stop must use the projection
    X, y = regression_data(seed=2)
    y = y - 3.0 * X[:, 0]  # a negative weight that the constraint clips
    params = dict(penalty=None, positive=True, tol=1e-10, max_iter=20_000)
    cpu = LinearRegressor(**params).fit(X, y)
    gpu = LinearRegressor(device="cuda", **params).fit(X, y)
    assert gpu.n_iter_ < params["max_iter"]
    assert np.any(gpu.coef_ == 0) and np.all(gpu.coef_ >= 0)
    np.testing.assert_allclose(gpu.coef_, cpu.coef_, atol=1e-5)

def test_without_intercept():
    X, y = regression_data(seed=4)
    params = dict(penalty="elasticnet", alpha=0.05, l1_ratio=0.5, tol=1e-10, max_iter=5000,
                  fit_intercept=False)
    cpu = LinearRegressor(**params).fit(X, y)
    gpu = LinearRegressor(device="cuda", **params).fit(X, y)
    np.testing.assert_allclose(gpu.coef_, cpu.coef_, atol=1e-5)
    assert gpu.intercept_ == 0.0
    Xc, labels = classification_data(3, seed=4)
    params = dict(penalty="l1", alpha=0.02, tol=1e-8, max_iter=3000, fit_intercept=False)
    cpu = LinearClassifier(**params).fit(Xc, labels)
    gpu = LinearClassifier(device="cuda", **params).fit(Xc, labels)
    np.testing.assert_allclose(gpu.coef_, cpu.coef_, atol=2e-3)
    np.testing.assert_array_equal(gpu.intercept_, 0.0)


def test_unpenalized_ill_conditioned_matches_direct_solve():
    # ||X^T r||^2 / L below tol * P_null leaves P - P* up to cond(X^T X) times that: on
    # near-collinear columns the GPU stopped with coefficients 0.06 away from the CPU's
    # direct solve (relative suboptimality 5e-6 at tol=1e-8). It now stops as LSQR does.
    rng = np.random.default_rng(0)
    factors = rng.standard_normal((40, 2))
    X = factors @ rng.standard_normal((2, 6)) + 0.1 * rng.standard_normal((40, 6)) + 2.0
    y = X @ rng.standard_normal(6) + 0.1 * rng.standard_normal(40)
    assert np.linalg.cond(X - X.mean(0)) ** 2 > 1e3
    cpu = LinearRegressor(penalty=None).fit(X, y)
    gpu = LinearRegressor(penalty=None, device="cuda", max_iter=5000).fit(X, y)
    np.testing.assert_allclose(gpu.coef_, cpu.coef_, atol=1e-4)
    np.testing.assert_allclose(gpu.intercept_, cpu.intercept_, atol=1e-3)


def test_unpenalized_classifier_ill_conditioned_matches_cpu():
    # same defect as least squares: ||g||^2 / L below tol * P_null stopped after 40
    # iterations with coefficients 6.8 away from the optimum (relative suboptimality 5e-2)
    rng = np.random.default_rng(0)
    factors = rng.standard_normal((60, 2))
    X = factors @ rng.standard_normal((2, 6)) + 0.1 * rng.standard_normal((60, 6)) + 1.0
    y = (X @ rng.standard_normal(6) + 1.5 * rng.standard_normal(60) > 0).astype(int)
    cpu = LinearClassifier(penalty=None, tol=1e-10).fit(X, y)
    gpu = LinearClassifier(penalty=None, device="cuda", max_iter=5000).fit(X, y)
    np.testing.assert_allclose(gpu.coef_, cpu.coef_, atol=1e-3)
    np.testing.assert_allclose(gpu.intercept_, cpu.intercept_, atol=1e-3)


def test_classifier_default_max_iter_is_sized_for_fista():
    """``max_iter=None`` is 1000 FISTA iterations on the GPU (100 proximal Newton steps on
    the CPU, which FISTA needs about ten times over): a small problem that takes more than
    100 converges at the default, to the CPU's objective."""
    import warnings

    from sklearn.datasets import make_classification
    from sklearn.exceptions import ConvergenceWarning

    X, y = make_classification(30, 4, n_informative=3, n_redundant=0,
                               n_clusters_per_class=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        gpu = LinearClassifier("l2", alpha=1e-4, device="cuda").fit(X, y)
        cpu = LinearClassifier("l2", alpha=1e-4).fit(X, y)
    assert 100 < gpu.n_iter_ <= 1000
    objectives = []
    for model in (gpu, cpu):
        z = X @ model.coef_[0] + model.intercept_[0]
        loss = np.logaddexp(0.0, np.where(y == 1, -z, z)).mean()
        objectives.append(loss + 0.5e-4 * model.coef_[0] @ model.coef_[0])
    assert abs(objectives[0] - objectives[1]) <= gpu.dual_gap_ + cpu.dual_gap_ + 1e-12


@pytest.mark.parametrize("penalty", [None, "l2"])
def test_class_of_zero_weight_solved_as_on_the_cpu(penalty):
    # with intercepts, a class of zero weight has no minimizer (its intercept runs to
    # -inf): the CPU solves the problem of the present classes; without penalty the GPU
    # chased the intercept for all of max_iter and warned of a gradient it cannot zero
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    X, y = classification_data(3)
    class_weight = {0: 1.0, 1: 1.0, 2: 0.0}
    params = dict(penalty=penalty, alpha=0.03, tol=1e-10, max_iter=2000,
                  class_weight=class_weight)
    cpu = LinearClassifier(**params).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        gpu = LinearClassifier(device="cuda", **params).fit(X, y)
    assert gpu.n_iter_ < params["max_iter"]
    np.testing.assert_allclose(gpu.predict_proba(X), cpu.predict_proba(X), atol=1e-5)
    np.testing.assert_allclose(gpu.coef_, cpu.coef_, atol=1e-4)
    np.testing.assert_allclose(gpu.intercept_, cpu.intercept_, atol=1e-3)


@pytest.mark.parametrize("penalty", [None, "l1", "l2"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_one_class_of_positive_weight_as_on_the_cpu(n_classes, penalty):
    # one class of positive weight: the loss's infimum 0 has the intercepts at infinity
    # and a target tol * P_null of 0; the fit raised a ValueError, and FISTA on such a
    # cross-validation fold ran all of max_iter. Both devices give the closed form
    import warnings

    X, y = classification_data(n_classes)
    class_weight = {k: float(k == 1) for k in range(n_classes)}
    params = dict(penalty=penalty, alpha=0.03, class_weight=class_weight)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cpu = LinearClassifier(**params).fit(X, y)
        gpu = LinearClassifier(device="cuda", **params).fit(X, y)
    assert gpu.n_iter_ == cpu.n_iter_ == 0
    np.testing.assert_array_equal(gpu.coef_, 0.0)
    np.testing.assert_array_equal(gpu.intercept_, cpu.intercept_)
    np.testing.assert_array_equal(gpu.predict(X), 1)
    if penalty is not None:
        assert 0.0 < gpu.dual_gap_ == cpu.dual_gap_ <= n_classes * 2.0**-104


def design_hiding_its_top_direction(n_samples=16, n_features=6, top=5.0,
                                    scales=(4.0, 1.0, 0.25, 1.0, 2.0, 0.5)):
    """Centered columns whose top eigenvector in the metric of the GPU solver is orthogonal
    to the power iteration's start vector (seed 0): the iteration sees a plateau at the
    second eigenvalue, far below the largest.

    The solver's operator is ``C = D^-1/2 Xc^T Xc D^-1/2`` (``D`` the squared column norms),
    of unit diagonal whatever the column ``scales``: ``C = top w w^T + V V^T`` with ``w``
    orthogonal to the start vector and ``V`` orthogonal to ``w`` (alternating projections
    onto the rows of norm ``1 - top w_j^2`` and onto the complement of ``w``).
    """
    import itertools

    from numpy.random import default_rng

    start = default_rng(0).standard_normal((1, n_features + 1))[0, :n_features]
    start /= np.linalg.norm(start)
    w = None  # of near-equal entries (a top eigenvalue of a unit diagonal needs them)
    for signs in itertools.product([-1.0, 1.0], repeat=n_features):
        candidate = np.array(signs) - (np.array(signs) @ start) * start
        candidate /= np.linalg.norm(candidate)
        if w is None or np.max(candidate**2) < np.max(w**2):
            w = candidate
    rows2 = 1.0 - top * w**2
    V = np.linalg.svd(np.eye(n_features) - np.outer(w, w))[0][:, : n_features - 1]
    for _ in range(2000):
        V *= np.sqrt(rows2 / np.sum(V * V, axis=1))[:, None]
        V -= np.outer(w, w @ V)
    C = top * np.outer(w, w) + V @ V.T
    eigenvalues, Q = np.linalg.eigh(C)
    rng = default_rng(1)
    basis, _ = np.linalg.qr(np.column_stack([np.ones(n_samples),
                                             rng.standard_normal((n_samples, n_features))]))
    U = basis[:, 1:]  # orthogonal to the ones: zero column means
    Xc = (U * np.sqrt(n_samples * np.maximum(eigenvalues, 0.0))) @ Q.T
    return Xc * np.asarray(scales) + 2.0


@pytest.mark.parametrize("penalty", ["l1", "l2", None])
def test_underestimated_lipschitz_does_not_diverge(penalty):
    # the power iteration stopped at 1/16 of the largest eigenvalue: FISTA's step was 15
    # times too long and the weights reached 1e290 (l1: a NaN gap, and no warning at all).
    # The eigenvalue is the one of the preconditioned operator D^-1/2 Xc^T Xc D^-1/2
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    from sklreg.cuda._linear import QUADRATIC, DeviceProblem

    X = design_hiding_its_top_direction()
    Xc = X - X.mean(axis=0)
    rng = np.random.default_rng(0)
    y = X @ rng.standard_normal(X.shape[1]) + 0.1 * rng.standard_normal(X.shape[0])
    estimate = DeviceProblem(X, QUADRATIC, 1, False, X_mean=X.mean(axis=0),
                             q=np.ones(len(y))).lipschitz()
    normalized = Xc / np.linalg.norm(Xc, axis=0)
    # the premise: an underestimate
    assert estimate < 0.2 * np.linalg.norm(normalized, 2) ** 2
    params = dict(penalty=penalty, alpha=1e-2, tol=1e-8, max_iter=2000)
    cpu = LinearRegressor(**params).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        gpu = LinearRegressor(device="cuda", **params).fit(X, y)
    np.testing.assert_allclose(gpu.coef_, cpu.coef_, atol=1e-4)
    np.testing.assert_allclose(gpu.intercept_, cpu.intercept_, atol=1e-4)
    if penalty is not None:
        assert np.isfinite(gpu.dual_gap_) and gpu.dual_gap_ <= 1e-8 * 10



def _fit_without_warning(model, X, y, sample_weight=None):
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        return model.fit(X, y, sample_weight)


def test_ill_scaled_columns_regressor_converges_as_well_scaled():
    # FISTA with one step for all the weights: columns scaled by 1e3 and 1e-3 needed 6420
    # iterations at the default tol, and stopped at max_iter=5000 at a relative gap of
    # 2.5e-3 at tol=1e-8. With the step of each column from its own curvature, the scales
    # no longer matter
    rng = np.random.default_rng(0)
    X0 = rng.standard_normal((16, 5))
    y = X0 @ rng.standard_normal(5) + 0.3 * rng.standard_normal(16)
    scales = np.array([1e3, 1.0, 1e-3, 1.0, 10.0])
    X = X0 * scales
    for penalty in ["l1", "elasticnet"]:
        params = dict(penalty=penalty, alpha=0.05, l1_ratio=0.5, tol=1e-8, max_iter=1000)
        cpu = LinearRegressor(**params).fit(X, y)
        gpu = _fit_without_warning(LinearRegressor(device="cuda", **params), X, y)
        assert gpu.n_iter_ <= 300
        null_objective = 0.5 * np.mean((y - y.mean()) ** 2)
        assert gpu.dual_gap_ <= 1e-8 * null_objective
        np.testing.assert_allclose(gpu.coef_ * scales, cpu.coef_ * scales, atol=1e-5)
        np.testing.assert_array_equal(gpu.coef_ == 0, cpu.coef_ == 0)
        np.testing.assert_allclose(gpu.intercept_, cpu.intercept_, atol=1e-5)
        excess = least_squares_objective(gpu, X, y) - least_squares_objective(cpu, X, y)
        assert excess <= gpu.dual_gap_ + cpu.dual_gap_ + 1e-12


@pytest.mark.parametrize("n_classes", [2, 3])
def test_ill_scaled_columns_classifier_converges_at_default_max_iter(n_classes):
    # columns scaled by 100 and 0.01: the default max_iter=1000 ended at a gap of 2e-3
    # against a target of 6.8e-5, with a ConvergenceWarning
    X, y = classification_data(n_classes, n_samples=24, seed=0)
    scales = np.array([100.0, 1.0, 0.01, 1.0])
    X = X * scales
    params = dict(penalty="l1", alpha=0.02, tol=1e-6)
    cpu = LinearClassifier(**params).fit(X, y)
    gpu = _fit_without_warning(LinearClassifier(device="cuda", **params), X, y)
    assert gpu.n_iter_ <= 300
    assert gpu.dual_gap_ <= 1e-6 * np.log(n_classes)
    np.testing.assert_allclose(gpu.coef_ * scales, cpu.coef_ * scales, atol=2e-3)
    np.testing.assert_allclose(gpu.intercept_, cpu.intercept_, atol=2e-3)
    np.testing.assert_allclose(gpu.predict_proba(X), cpu.predict_proba(X), atol=1e-3)


@pytest.mark.parametrize("penalty", ["l1", "l2", None])
def test_zero_and_constant_columns_with_ill_scaled_ones(penalty):
    # columns without curvature (zero; constant, centered to zero or to the rounding of
    # a weighted mean, here 1e-17) take a finite step: their weights stay (nearly) 0, where
    # a step from the rounding's own curvature would fit it, and the others converge
    rng = np.random.default_rng(3)
    X = rng.standard_normal((16, 5)) * np.array([1e3, 1.0, 1e-3, 1.0, 1.0])
    X[:, 3] = 0.0
    X[:, 4] = 0.1
    y = X[:, :3] @ np.array([1e-3, 1.0, 1e3]) + 0.3 * rng.standard_normal(16)
    sample_weight = rng.random(16) + 0.5
    params = dict(penalty=penalty, alpha=0.05, tol=1e-8, max_iter=1000)
    cpu = LinearRegressor(**params).fit(X, y, sample_weight=sample_weight)
    gpu = _fit_without_warning(LinearRegressor(device="cuda", **params), X, y, sample_weight)
    assert gpu.n_iter_ <= 300
    assert gpu.coef_[3] == 0.0 and abs(gpu.coef_[4]) <= 1e-12
    np.testing.assert_allclose(gpu.coef_ * np.array([1e3, 1, 1e-3, 1, 1]),
                               cpu.coef_ * np.array([1e3, 1, 1e-3, 1, 1]), atol=1e-4)
    np.testing.assert_allclose(gpu.intercept_, cpu.intercept_, atol=1e-4)
