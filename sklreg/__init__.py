"""sklreg: L1, L2 and elastic-net regularization for scikit-learn estimators."""

from .linear import (
    LinearClassifier,
    LinearClassifierCV,
    LinearRegressor,
    LinearRegressorCV,
    RegularizationPath,
    regularization_path,
)
from .neural import MLPClassifier, MLPRegressor

__version__ = "0.1.0"

__all__ = [
    "LinearClassifier",
    "LinearClassifierCV",
    "LinearRegressor",
    "LinearRegressorCV",
    "MLPClassifier",
    "MLPRegressor",
    "RegularizationPath",
    "regularization_path",
    "__version__",
]
