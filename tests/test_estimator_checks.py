"""scikit-learn's estimator checks on LinearRegressor, one configuration per penalty."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklreg import LinearRegressor

CONFIGURATIONS = [
    LinearRegressor(),
    LinearRegressor(penalty="l1", alpha=0.01, tol=1e-10),
    LinearRegressor(penalty="elasticnet", alpha=0.01, l1_ratio=0.5, tol=1e-10),
    LinearRegressor(penalty="l2", alpha=0.1, solver="cd", tol=1e-10),
    LinearRegressor(penalty=None),
    LinearRegressor(penalty="l1", alpha=0.01, selection="random", random_state=0, tol=1e-10),
]


@parametrize_with_checks(CONFIGURATIONS)
def test_sklearn_compatible(estimator, check):
    check(estimator)
