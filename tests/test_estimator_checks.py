"""scikit-learn's estimator checks, one configuration per penalty and solver."""

import pytest
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import (
    InvalidParameterError,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklreg import (
    LinearClassifier,
    LinearClassifierCV,
    LinearRegressor,
    LinearRegressorCV,
    MLPClassifier,
    MLPRegressor,
)

CONFIGURATIONS = [
    LinearRegressor(),
    LinearRegressor(penalty="l1", alpha=0.01, tol=1e-10),
    LinearRegressor(penalty="elasticnet", alpha=0.01, l1_ratio=0.5, tol=1e-10),
    LinearRegressor(penalty="l2", alpha=0.1, solver="cd", tol=1e-10),
    LinearRegressor(penalty=None),
    LinearRegressor(penalty="l1", alpha=0.01, selection="random", random_state=0, tol=1e-10),
    # the defaults of each penalty, as a user first tries them (alpha=1e-4 on the 30-feature,
    # 15- to 27-sample problems of the sample-weight checks: supports above the rank)
    LinearRegressor(penalty="l1"),
    LinearRegressor(penalty="elasticnet"),
    LinearRegressorCV(alphas=5, cv=3),
    LinearRegressorCV(penalty="l1", alphas=5, cv=3, tol=1e-10),
    LinearRegressorCV(penalty="elasticnet", l1_ratio=[0.2, 0.8], alphas=5, cv=3, tol=1e-10),
    LinearClassifier(),
    LinearClassifier(penalty="l1", alpha=0.01, tol=1e-10),
    # alpha = 0.01 leaves the 30-feature, 15- to 27-sample problems of the sample-weight checks
    # so flat that a gap of 1e-15 pins the coefficients only to ~1e-6, and the fits on
    # repeated rows and on integer weights end at different certified points
    LinearClassifier(penalty="elasticnet", alpha=0.03, l1_ratio=0.5, tol=1e-10),
    LinearClassifier(penalty=None),
    LinearClassifier(penalty="l1"),
    LinearClassifier(penalty="elasticnet"),
    LinearClassifierCV(alphas=4, cv=3),
    LinearClassifierCV(penalty="elasticnet", l1_ratio=[0.2, 0.8], alphas=4, cv=3, tol=1e-10),
    LinearClassifierCV(alphas=4, cv=3, refit=False),
]

# small networks and few epochs, every penalty for both estimators
_MLP_STOCHASTIC = dict(hidden_layer_sizes=(10,), learning_rate_init=0.01, max_iter=100,
                       random_state=0)
for _mlp in (MLPRegressor, MLPClassifier):
    CONFIGURATIONS += [
        _mlp(**_MLP_STOCHASTIC),
        _mlp(penalty="l1", alpha=1e-3, **_MLP_STOCHASTIC),
        _mlp(penalty="elasticnet", alpha=1e-3, l1_ratio=0.5, solver="sgd", **_MLP_STOCHASTIC),
        _mlp(penalty="group", alpha=1e-3, **_MLP_STOCHASTIC),
        _mlp(penalty=None, **_MLP_STOCHASTIC),
        _mlp(hidden_layer_sizes=(10,), solver="lbfgs", alpha=1e-3, max_iter=30, random_state=0),
    ]
CONFIGURATIONS += [
    MLPRegressor(loss="poisson", **_MLP_STOCHASTIC),
    MLPRegressor(hidden_layer_sizes=(10,), loss="poisson", solver="lbfgs", alpha=1e-3,
                 max_iter=30, random_state=0),
]


CV_SPLIT_REASON = (
    "cross-validation splits differ between repeated samples and integer weights, so the "
    "selected alpha (and the fit) legitimately differ"
)

POSITIVE_TARGETS_REASON = (
    "the check fits make_regression's targets, negative ones included, without applying the "
    "positive_only target tag; loss='poisson' rejects negative targets"
)


def expected_failed_checks(estimator):
    """Checks that cannot hold for an estimator, with the reason."""
    if isinstance(estimator, LinearRegressorCV):
        return {
            "check_sample_weight_equivalence_on_dense_data": CV_SPLIT_REASON,
            "check_sample_weight_equivalence_on_sparse_data": CV_SPLIT_REASON,
        }
    if isinstance(estimator, MLPRegressor) and estimator.loss == "poisson":
        return {"check_regressor_multioutput": POSITIVE_TARGETS_REASON}
    return {}


@parametrize_with_checks(CONFIGURATIONS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    check(estimator)


over_estimator_classes = pytest.mark.parametrize(
    "estimator_class",
    [LinearRegressor, LinearRegressorCV, LinearClassifier, LinearClassifierCV, MLPRegressor,
     MLPClassifier],
    ids=lambda c: c.__name__,
)


@over_estimator_classes
def test_parameter_names_are_those_of_base_estimator(estimator_class):
    """The names CachedParamsMixin keeps are BaseEstimator's, and found again for a
    subclass with its own parameters and for a replaced ``__init__``."""
    introspected = BaseEstimator._get_param_names.__func__
    expected = introspected(estimator_class)
    assert len(expected) > 5
    assert estimator_class._get_param_names() == expected
    estimator_class._get_param_names().append("mutated")  # the caller's list, not the cache
    assert estimator_class._get_param_names() == expected

    class Shifted(estimator_class):
        def __init__(self, shift=0.0):
            super().__init__()
            self.shift = shift

    assert Shifted._get_param_names() == ["shift"]
    assert Shifted(shift=2.0).get_params() == {"shift": 2.0}

    def replaced(self, shift=0.0, scale=1.0):
        self.shift, self.scale = shift, scale

    Shifted.__init__ = replaced
    assert Shifted._get_param_names() == ["scale", "shift"]
    assert estimator_class._get_param_names() == expected


# an invalid value for each kind of constraint the estimators use
INVALID_PARAMS = [("alpha", -1.0), ("alpha", "big"), ("fit_intercept", "yes"), ("tol", None),
                  ("max_iter", 2.5), ("random_state", "seed"), ("verbose", -1)]


@over_estimator_classes
def test_cached_parameter_validation_is_scikit_learns(estimator_class):
    """CachedParamsMixin's validation accepts the defaults and rejects what scikit-learn's
    own validation rejects, with its message; a subclass with other constraints gets them."""
    estimator_class()._validate_params()
    checked = 0
    for name, value in INVALID_PARAMS:
        if name not in estimator_class._parameter_constraints:
            continue
        estimator = estimator_class().set_params(**{name: value})
        with pytest.raises(InvalidParameterError) as expected:
            validate_parameter_constraints(estimator._parameter_constraints,
                                           estimator.get_params(deep=False),
                                           caller_name=estimator_class.__name__)
        with pytest.raises(InvalidParameterError) as raised:
            estimator._validate_params()
        assert str(raised.value) == str(expected.value)
        checked += 1
    assert checked >= 4

    class Restricted(estimator_class):
        _parameter_constraints = {**estimator_class._parameter_constraints,
                                  "max_iter": [StrOptions({"never"})]}

    with pytest.raises(InvalidParameterError, match="max_iter"):
        Restricted()._validate_params()
    estimator_class()._validate_params()  # the base class keeps its own
