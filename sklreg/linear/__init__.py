"""Linear models: estimators over the least-squares and penalty kernels."""

from ._classifier import LinearClassifier
from ._classifier_cv import LinearClassifierCV
from ._cv import LinearRegressorCV
from ._path import RegularizationPath, regularization_path
from ._regressor import LinearRegressor

__all__ = [
    "LinearClassifier",
    "LinearClassifierCV",
    "LinearRegressor",
    "LinearRegressorCV",
    "RegularizationPath",
    "regularization_path",
]
