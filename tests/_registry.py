"""The public estimators and functions, as entries the hardening suites iterate over.

Adding an estimator to the bad-input and robustness suites is one entry in ``ENTRIES``:
a factory of a small, fast configuration and the kind of target it takes
(``'continuous'`` or ``'classes'``). ``regularization_path`` enters through
:class:`PathEstimator`, a thin estimator over the function.
"""

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.extmath import safe_sparse_dot

from sklreg import (
    LinearClassifier,
    LinearClassifierCV,
    LinearRegressor,
    LinearRegressorCV,
    MLPClassifier,
    MLPRegressor,
    regularization_path,
)

MAX_ITER = 30  # small, so that a hang would show as max_iter not honoured


class PathEstimator(RegressorMixin, BaseEstimator):
    """:func:`sklreg.regularization_path` as an estimator: predicts with the last ``alpha``."""

    def __init__(self, penalty="l1", l1_ratio=0.5, alphas=None, n_alphas=5, max_iter=1000,
                 tol=1e-4, solver="auto"):
        self.penalty = penalty
        self.l1_ratio = l1_ratio
        self.alphas = alphas
        self.n_alphas = n_alphas
        self.max_iter = max_iter
        self.tol = tol
        self.solver = solver

    def fit(self, X, y, sample_weight=None):
        path = regularization_path(
            X, y, penalty=self.penalty, l1_ratio=self.l1_ratio, alphas=self.alphas,
            n_alphas=self.n_alphas, sample_weight=sample_weight, max_iter=self.max_iter,
            tol=self.tol, solver=self.solver,
        )
        self.path_ = path
        self.coef_ = path.coefs[..., -1]
        self.intercept_ = path.intercepts[..., -1]
        self.n_iter_ = path.n_iter  # epochs of each fit along the path
        return self

    def predict(self, X):
        return safe_sparse_dot(X, self.coef_.T, dense_output=True) + self.intercept_


class Entry(NamedTuple):
    """One public estimator (or function) in a small configuration."""

    name: str
    make: Callable  # make(**params) -> unfitted estimator
    target: str  # 'continuous' or 'classes'
    linear: bool  # has coef_ / intercept_ of a linear model
    validates_predict: bool = True  # False for a function (no predict of its own)

    def __repr__(self):
        return self.name


def _factory(cls, **defaults):
    def make(**params):
        return cls(**{**defaults, **params})
    return make


_MLP = dict(hidden_layer_sizes=(5,), max_iter=MAX_ITER, random_state=0)
_MLP_LBFGS = dict(_MLP, solver="lbfgs", max_iter=5)  # scipy's L-BFGS-B: ~10 ms per iteration

ENTRIES = [
    Entry("LinearRegressor-auto", _factory(LinearRegressor, penalty="l1", alpha=0.01,
                                           max_iter=MAX_ITER), "continuous", True),
    Entry("LinearRegressor-cd", _factory(LinearRegressor, penalty="elasticnet", alpha=0.01,
                                         l1_ratio=0.5, solver="cd", max_iter=MAX_ITER),
          "continuous", True),
    Entry("LinearRegressor-gram", _factory(LinearRegressor, penalty="l1", alpha=0.01,
                                           solver="gram", max_iter=MAX_ITER), "continuous", True),
    Entry("LinearRegressor-cholesky", _factory(LinearRegressor, penalty="l2", alpha=0.01,
                                               solver="cholesky"), "continuous", True),
    Entry("LinearRegressor-lsqr", _factory(LinearRegressor, penalty="l2", alpha=0.01,
                                           solver="lsqr", max_iter=MAX_ITER), "continuous", True),
    Entry("LinearRegressor-ols", _factory(LinearRegressor, penalty=None), "continuous", True),
    Entry("LinearRegressorCV", _factory(LinearRegressorCV, penalty="l1", alphas=4, cv=3,
                                        max_iter=MAX_ITER), "continuous", True),
    Entry("regularization_path", _factory(PathEstimator, max_iter=MAX_ITER), "continuous", True,
          validates_predict=False),
    Entry("MLPRegressor-adam", _factory(MLPRegressor, penalty="l1", alpha=1e-3, **_MLP),
          "continuous", False),
    Entry("MLPRegressor-lbfgs", _factory(MLPRegressor, **_MLP_LBFGS),
          "continuous", False),
    Entry("MLPClassifier-adam", _factory(MLPClassifier, penalty="group", alpha=1e-3, **_MLP),
          "classes", False),
    Entry("MLPClassifier-lbfgs", _factory(MLPClassifier, **_MLP_LBFGS),
          "classes", False),
    Entry("LinearClassifier-l1", _factory(LinearClassifier, penalty="l1", alpha=0.01,
                                          max_iter=MAX_ITER), "classes", True),
    Entry("LinearClassifier-l2", _factory(LinearClassifier, penalty="l2", alpha=0.01,
                                          max_iter=MAX_ITER), "classes", True),
    Entry("LinearClassifierCV", _factory(LinearClassifierCV, penalty="elasticnet", alphas=4,
                                         cv=3, max_iter=MAX_ITER), "classes", True),
    Entry("LinearClassifierCV-no-refit", _factory(LinearClassifierCV, penalty="l1", alphas=4,
                                                  cv=3, max_iter=MAX_ITER, refit=False),
          "classes", True),
]


def make_problem(target, n_samples=20, n_features=4, seed=0):
    """A small well-posed problem: ``X`` (float64) and a target of the given kind."""
    rng = np.random.RandomState(seed)
    X = rng.randn(n_samples, n_features)
    y = X @ rng.randn(n_features) + 0.1 * rng.randn(n_samples)
    if target == "classes":
        y = np.digitize(y, np.quantile(y, [1 / 3, 2 / 3]))  # three balanced classes
    return X, y


def max_iter_of(estimator):
    """The ``max_iter`` an estimator must honour, or None."""
    return estimator.get_params().get("max_iter")


def n_iter_of(estimator):
    """Largest number of iterations any fit of the estimator ran."""
    return int(np.max(estimator.n_iter_))
