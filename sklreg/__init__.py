"""sklreg: L1, L2 and elastic-net regularization for scikit-learn estimators."""

from .linear import LinearRegressor

__version__ = "0.1.0"

__all__ = ["LinearRegressor", "__version__"]
