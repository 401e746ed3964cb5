"""Linear models: estimators over the least-squares and penalty kernels."""

from ._regressor import LinearRegressor

__all__ = ["LinearRegressor"]
