"""Property-based tests (hypothesis) of LinearClassifier's certificate and invariances.

Random binary and multinomial problems (dense or sparse X, with or without intercept and
sample weights, each penalty, ``alpha`` log-uniform around ``alpha_max``). The objective is
recomputed here in NumPy from ``CONVENTIONS.md``; the reference optimum is a fit at
``tol=1e-13``, whose objective is at least ``P*``, so ``P(w) - P(w_ref) <= dual_gap_`` must
hold whenever the reported gap is a true bound.
"""

import warnings

import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import logsumexp
from sklearn.exceptions import ConvergenceWarning

from sklreg import LinearClassifier
from sklreg._penalties import effective_l1_ratio

SLACK = 1e-12  # relative rounding of objective evaluations


def objective(problem, coef, intercept):
    """CONVENTIONS.md logistic / multinomial objective, in float64."""
    X, y, sw = problem["X"], problem["y"], problem["sample_weight"]
    X = X.toarray() if sp.issparse(X) else X
    sw = np.ones(len(y)) if sw is None else sw
    classes = np.unique(y)
    coef, intercept = np.atleast_2d(coef), np.atleast_1d(intercept)
    scores = X @ coef.T + intercept
    if len(classes) == 2:
        signs = np.where(y == classes[1], 1.0, -1.0)
        losses = np.logaddexp(0.0, -signs * scores[:, 0])
    else:
        index = np.searchsorted(classes, y)
        losses = logsumexp(scores, axis=1) - scores[np.arange(len(y)), index]
    ratio = effective_l1_ratio(problem["penalty"], problem["l1_ratio"])
    penalty = ratio * np.abs(coef).sum() + 0.5 * (1 - ratio) * (coef**2).sum()
    return sw @ losses / sw.sum() + problem["alpha"] * penalty


@st.composite
def problems(draw):
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.RandomState(seed)
    n_classes = draw(st.sampled_from([2, 3]))
    n_samples = draw(st.integers(4 * n_classes, 40))
    n_features = draw(st.integers(1, 10))
    X = rng.randn(n_samples, n_features) * rng.uniform(0.2, 3.0, n_features)
    if draw(st.booleans()):
        X[rng.rand(n_samples, n_features) < 0.5] = 0.0
        X = sp.csr_matrix(X)
    scores = np.asarray(X @ rng.randn(n_features, n_classes)) + rng.randn(n_samples, n_classes)
    y = np.argmax(scores, axis=1)
    y[:n_classes] = np.arange(n_classes)  # every class present
    penalty = draw(st.sampled_from(["l1", "l2", "elasticnet"]))
    return {
        "X": X, "y": y,
        "sample_weight": rng.uniform(0.2, 3.0, n_samples) if draw(st.booleans()) else None,
        "fit_intercept": draw(st.booleans()),
        "penalty": penalty,
        "l1_ratio": draw(st.floats(0.1, 0.9)) if penalty == "elasticnet" else 0.5,
        "alpha": 10.0 ** draw(st.floats(-3.0, 0.0)),
    }


def fit(problem, **changes):
    params = {key: problem[key] for key in ("fit_intercept", "penalty", "l1_ratio", "alpha")}
    model = LinearClassifier(**{**params, "max_iter": 10_000, **changes})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(problem["X"], problem["y"], sample_weight=problem["sample_weight"])


@settings(max_examples=20)
@given(problem=problems(), log_tol=st.floats(-8.0, -2.0))
def test_reported_gap_bounds_true_suboptimality(problem, log_tol):
    model = fit(problem, tol=10.0**log_tol)
    reference = fit(problem, tol=1e-13)
    p_model = objective(problem, model.coef_, model.intercept_)
    p_ref = objective(problem, reference.coef_, reference.intercept_)
    assert p_model - p_ref <= model.dual_gap_ + SLACK * max(p_ref, 1.0)


@settings(max_examples=15)
@given(problem=problems(), data=st.data())
def test_permuting_columns_permutes_coefficients(problem, data):
    n_features = problem["X"].shape[1]
    order = np.array(data.draw(st.permutations(range(n_features))), dtype=int)
    model = fit(problem, tol=1e-12)
    permuted = fit({**problem, "X": problem["X"][:, order]}, tol=1e-12)
    p_model = objective(problem, model.coef_, model.intercept_)
    p_permuted = objective(problem, permuted.coef_[:, np.argsort(order)], permuted.intercept_)
    assert abs(p_model - p_permuted) <= model.dual_gap_ + permuted.dual_gap_ + SLACK
    assert_array_equal(model.classes_, permuted.classes_)
    mu = problem["alpha"] * (1 - effective_l1_ratio(problem["penalty"], problem["l1_ratio"]))
    if mu > 0:  # strongly convex in the weights: the coefficients themselves agree
        # (a gap is a difference of objectives: exact only to their rounding, SLACK * P)
        rounding = SLACK * max(p_model, 1.0)
        radius = (np.sqrt(2 * (model.dual_gap_ + rounding) / mu)
                  + np.sqrt(2 * (permuted.dual_gap_ + rounding) / mu))
        assert_allclose(permuted.coef_[:, np.argsort(order)], model.coef_, rtol=0,
                        atol=radius + 1e-9)
