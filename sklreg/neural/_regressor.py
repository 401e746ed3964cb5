"""MLPRegressor: a multi-layer perceptron with an L1, L2, elastic-net or group penalty."""

import numpy as np
import scipy.sparse as sp
from sklearn.base import MultiOutputMixin, RegressorMixin, _fit_context
from sklearn.metrics import r2_score
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import validate_data

from . import _docs
from ._base import BaseMLP, is_stochastic


class MLPRegressor(MultiOutputMixin, RegressorMixin, BaseMLP):
    _parameter_constraints = {
        **BaseMLP._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson"})],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        loss="squared_error",
        penalty="l2",
        alpha=1e-4,
        l1_ratio=0.15,
        solver="adam",
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        progress_bar=False,
        device="cpu",
    ):
        super().__init__(
            hidden_layer_sizes, activation, penalty=penalty, alpha=alpha, l1_ratio=l1_ratio,
            solver=solver, batch_size=batch_size, learning_rate=learning_rate,
            learning_rate_init=learning_rate_init, power_t=power_t, max_iter=max_iter,
            shuffle=shuffle, random_state=random_state, tol=tol, verbose=verbose,
            warm_start=warm_start, momentum=momentum, nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping, validation_fraction=validation_fraction,
            beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, n_iter_no_change=n_iter_no_change,
            max_fun=max_fun, progress_bar=progress_bar, device=device,
        )
        self.loss = loss

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.positive_only = self.loss == "poisson"
        return tags

    def _output_activation(self):
        return "exp" if self.loss == "poisson" else "identity"

    def _loss_name(self):
        return "poisson" if self.loss == "poisson" else "squared"

    def _target_scaling_advice(self):
        if self.loss != "poisson":
            return None
        # standardized counts are negative (refused): only a positive factor keeps them
        return ("Divide y by a positive constant c and multiply the predictions by c (a "
                "standardization would make targets negative, which loss='poisson' "
                "refuses); the data loss, half the Poisson deviance, then scales by 1 / c, "
                "so alpha weighs c times more against it.")

    def _stratify_labels(self, Y):
        """The labels the early-stopping split stratifies on: none for regression."""
        return None

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], multi_output=True,
                             y_numeric=True, dtype=(np.float64, np.float32), reset=reset)
        return X, self._encode_targets(y)

    def _encode_targets(self, y):
        if sp.issparse(y):  # validate_data(multi_output=True) lets it through
            raise TypeError("Sparse data was passed for y, but dense data is required. Use "
                            "'.toarray()' to convert to a dense numpy array.")
        y = np.asarray(y)
        if self.loss == "poisson":
            values = y.astype(np.float64)  # (numeric strings too, as the squared error)
            if (values < 0).any():  # (NaN is refused later, as ever)
                raise ValueError("loss='poisson' needs non-negative targets y (counts or "
                                 f"rates); the smallest is {values.min()}.")
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

    The data loss :math:`\\ell` is half the squared error, averaged over the outputs
    (``loss='squared_error'``), or half the Poisson deviance
    :math:`y \\log(y / \\mu) - y + \\mu`, summed over the outputs, of the predicted mean
    :math:`\\mu = \\exp(z)` of the last layer's values :math:`z` (``loss='poisson'``, a log
    link, for counts and rates: the targets must be non-negative). Both are scikit-learn's.
    """
    + _docs.OBJECTIVE + _docs.parameters(_docs.LOSS_PARAMETER) + """
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
