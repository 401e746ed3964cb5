"""Real-GPU checks at sizes the simulator cannot run (skipped without a GPU).

Run with ``SKLREG_TEST_GPU=1 python -m pytest tests_cuda -m gpu``.
"""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from sklreg import LinearClassifier, LinearRegressor, MLPClassifier

pytestmark = pytest.mark.gpu


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("penalty", ["l1", "elasticnet", "l2"])
def test_regressor_large(penalty, dtype):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((5000, 200)).astype(dtype)
    y = X[:, :20] @ rng.standard_normal(20) + rng.standard_normal(5000)
    params = dict(penalty=penalty, alpha=0.01, l1_ratio=0.5, tol=1e-8, max_iter=20000)
    cpu = LinearRegressor(**params).fit(X, y)
    gpu = LinearRegressor(device="cuda", **params).fit(X, y)
    np.testing.assert_allclose(gpu.coef_, cpu.coef_, atol=1e-3)
    assert gpu.dual_gap_ <= 1e-8 * 0.5 * np.var(y) * 2


@pytest.mark.parametrize("n_classes", [2, 5])
def test_classifier_large(n_classes):
    rng = np.random.default_rng(1)
    y = rng.integers(0, n_classes, 3000)
    X = rng.standard_normal((3000, 50)) + 0.5 * np.eye(n_classes, 50)[y]
    params = dict(penalty="elasticnet", alpha=1e-3, l1_ratio=0.5, tol=1e-8, max_iter=20000)
    cpu = LinearClassifier(**params).fit(X, y)
    gpu = LinearClassifier(device="cuda", **params).fit(X, y)
    np.testing.assert_allclose(gpu.predict_proba(X), cpu.predict_proba(X), atol=1e-3)


def test_mlp_training_large():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((4000, 30))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    params = dict(hidden_layer_sizes=(64, 32), penalty="l1", alpha=1e-4, max_iter=2,
                  random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        cpu = MLPClassifier(**params).fit(X, y)
        gpu = MLPClassifier(device="cuda", **params).fit(X, y)
    for a, b in zip(cpu.coefs_, gpu.coefs_, strict=True):
        np.testing.assert_allclose(b, a, atol=1e-8)
