"""Multi-layer perceptrons with exact-zero L1, elastic-net and group penalties."""

from ._classifier import MLPClassifier
from ._regressor import MLPRegressor

__all__ = ["MLPClassifier", "MLPRegressor"]
