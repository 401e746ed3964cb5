"""MLPRegressor: a multi-layer perceptron with an L1, L2, elastic-net or group penalty."""

import numpy as np
import scipy.sparse as sp
from sklearn.base import MultiOutputMixin, RegressorMixin, _fit_context
from sklearn.metrics import r2_score
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import validate_data

from . import _docs
from ._base import BaseMLP, is_stochastic


class MLPRegressor(MultiOutputMixin, RegressorMixin, BaseMLP):
    def _output_activation(self):
        return "identity"

    def _loss_name(self):
        return "squared"

    def _stratify_validation(self):
        return False

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], multi_output=True,
                             y_numeric=True, dtype=(np.float64, np.float32), reset=reset)
        return X, self._encode_targets(y)

    def _encode_targets(self, y):
        if sp.issparse(y):  # validate_data(multi_output=True) lets it through
            raise TypeError("Sparse data was passed for y, but dense data is required. Use "
                            "'.toarray()' to convert to a dense numpy array.")
        y = np.asarray(y)
        return y.reshape(y.shape[0], -1)

    def _validation_score(self, Y, output, sample_weight):
        return r2_score(Y, output, sample_weight=sample_weight)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; float32 input trains float32 weights.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights (a positive sum): the loss is their weighted mean.

        Returns
        -------
        self : MLPRegressor
            Fitted estimator.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=False)

    @available_if(is_stochastic)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """One epoch of 'adam' or 'sgd' over the given data, keeping the optimizer state.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        self : MLPRegressor
            Updated estimator.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def predict(self, X):
        """Predict with the network.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions.
        """
        output = self._predict_output(X)
        return output[:, 0] if output.shape[1] == 1 else output


MLPRegressor.__doc__ = (
    """Multi-layer perceptron regressor with an L1, L2, elastic-net or group penalty.

    The data loss is half the squared error, averaged over the outputs.
    """
    + _docs.OBJECTIVE + _docs.PARAMETERS + """
    Attributes
    ----------"""
    + _docs.ATTRIBUTES + """
    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from sklreg import MLPRegressor
    >>> X, y = make_regression(n_samples=200, n_features=20, n_informative=3, random_state=0)
    >>> model = MLPRegressor((16,), penalty="l1", alpha=0.5, learning_rate_init=0.01,
    ...                      max_iter=300, random_state=0).fit(X, y / y.std())
    >>> int(model.active_inputs_.sum()) < 20
    True
    """
)
