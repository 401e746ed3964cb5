"""MLPClassifier: a multi-layer perceptron classifier with an L1, L2, elastic-net or group
penalty."""

import numpy as np
import scipy.sparse as sp
from scipy.special import expit, log_expit, log_softmax
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.metrics import accuracy_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import _check_partial_fit_first_call, type_of_target, unique_labels
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from . import _docs
from ._base import BaseMLP, is_stochastic


def check_indicator_matrix(y):
    """Raise ValueError unless ``y`` (dense or sparse) is a 2-D matrix of 0 and 1.

    Any matrix of two integer values passes as a multilabel indicator, and the label
    binarizer keeps its entries: {-1, +1} would encode every label as present.
    """
    if y.ndim != 2:
        raise ValueError("The network was fitted on a multilabel indicator matrix: y must "
                         f"be one too, of shape (n_samples, n_labels), got shape {y.shape}.")
    values = np.unique(y.data if sp.issparse(y) else y)
    if not np.isin(values, [0, 1]).all():
        raise ValueError("A multilabel indicator matrix y must hold 0 and 1 only, got the "
                         f"values {values}.")


class MLPClassifier(ClassifierMixin, BaseMLP):
    def _output_activation(self):
        return "softmax" if self._label_binarizer.y_type_ == "multiclass" else "logistic"

    def _loss_name(self):
        return "log_loss" if self.out_activation_ == "softmax" else "binary_log_loss"

    def _stratify_labels(self, Y):
        """The labels the early-stopping split stratifies on: a binary y's, in the user's
        labels (so an error names them, not the encoded 0.0 / 1.0; the split is the one of
        scikit-learn, which stratifies on the encoded y); as scikit-learn, neither
        multiclass nor multilabel targets are stratified."""
        if self.n_outputs_ != 1:
            return None
        return self.classes_[(Y[:, 0] > 0.5).astype(np.intp)]

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], multi_output=True,
                             dtype=(np.float64, np.float32), reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        # fit encodes the labels afresh unless it warm-starts fitted weights (a failed
        # first fit leaves classes_ without weights); partial_fit set them on its first call
        if not incremental and not (self.warm_start and hasattr(self, "coefs_")):
            self._label_binarizer = LabelBinarizer()
            self._label_binarizer.fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start and not incremental:
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same classes as in the "
                        f"previous call to fit. Previously got {self.classes_}, `y` has "
                        f"{classes}"
                    )
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(
                    f"`y` has classes not in `self.classes_`. `self.classes_` has "
                    f"{self.classes_}. 'y' has {classes}."
                )
        if len(self.classes_) < 2 and self._label_binarizer.y_type_ != "multilabel-indicator":
            raise ValueError(
                "MLPClassifier needs samples of at least 2 classes in the data, but the data "
                f"contains only one class: {self.classes_[0]}."
            )
        return X, self._encode_targets(y)

    def _encode_targets(self, y):
        if self._label_binarizer.y_type_ == "multilabel-indicator":
            check_indicator_matrix(y)
        return self._label_binarizer.transform(y).astype(bool)

    def _validation_score(self, Y, output, sample_weight):
        if self.out_activation_ == "softmax":
            return accuracy_score(Y.argmax(axis=1), output.argmax(axis=1),
                                  sample_weight=sample_weight)
        return accuracy_score(Y > 0.5, output > 0.5, sample_weight=sample_weight)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; float32 input trains float32 weights.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels (or a label-indicator matrix of 0 and 1 for multilabel problems).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights (a positive sum): the loss is their weighted mean.

        Returns
        -------
        self : MLPClassifier
            Fitted estimator.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=False)

    @available_if(is_stochastic)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """One epoch of 'adam' or 'sgd' over the given data, keeping the optimizer state.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.
        classes : array-like of shape (n_classes,), default=None
            All the classes; required on the first call.

        Returns
        -------
        self : MLPClassifier
            Updated estimator.
        """
        snapshot = dict(self.__dict__)  # a first call that fails leaves no classes_
        try:
            if _check_partial_fit_first_call(self, classes):
                self._label_binarizer = LabelBinarizer()
                # (NaN or inf labels: refused here, naming y, after an int cast that warns)
                with np.errstate(invalid="ignore"):
                    target_type = type_of_target(y, input_name="y")
                if target_type.startswith("multilabel"):
                    self._label_binarizer.fit(y)
                    # one output per column of y: classes_ must name them as predict does
                    if not np.array_equal(self.classes_, self._label_binarizer.classes_):
                        raise ValueError(
                            "For a multilabel y (an indicator matrix), classes must be the "
                            "column indices of the multilabel y, "
                            f"{self._label_binarizer.classes_}; got {self.classes_}.")
                else:
                    self._label_binarizer.fit(classes)
        except BaseException:  # before _fit's own restoring: classes_ would stay set
            self.__dict__.clear()
            self.__dict__.update(snapshot)
            raise
        return self._fit(X, y, sample_weight=sample_weight, incremental=True,
                         snapshot=snapshot)

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities in the order of ``classes_``; for a binary problem the first
            class has ``expit(-score)``, not ``1 - expit(score)`` (0 from a score of 37).
        """
        check_is_fitted(self)
        if self.out_activation_ == "logistic" and self.n_outputs_ == 1:
            scores = self._predict_output(X, out_activation="identity")
            return np.hstack([expit(-scores), expit(scores)])
        return self._predict_output(X)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`, from the logits (finite where the
        probabilities round to 0 or 1).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities.
        """
        logits = self._predict_output(X, out_activation="identity")
        if self.out_activation_ == "softmax":
            return log_softmax(logits, axis=1)
        if logits.shape[1] == 1:
            return np.hstack([log_expit(-logits), log_expit(logits)])
        return log_expit(logits)

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_labels)
            Predicted labels.
        """
        output = self._predict_output(X)
        if output.shape[1] == 1:
            output = output.ravel()
        return self._label_binarizer.inverse_transform(output)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


MLPClassifier.__doc__ = (
    """Multi-layer perceptron classifier with an L1, L2, elastic-net or group penalty.

    The data loss is the log loss: softmax cross-entropy for multiclass problems, the
    logistic loss for binary ones, and the sum of the labels' logistic losses for
    multilabel ones (as scikit-learn).
    """
    + _docs.OBJECTIVE + _docs.parameters() + """
    Attributes
    ----------
    classes_ : ndarray
        Class labels."""
    + _docs.ATTRIBUTES + """
    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklreg import MLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> model = MLPClassifier((8,), penalty="l1", alpha=0.01, learning_rate_init=0.01,
    ...                       max_iter=300, random_state=0).fit(X, y)
    >>> bool(model.score(X, y) > 0.9)
    True
    """
)
