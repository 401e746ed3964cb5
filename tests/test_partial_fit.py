"""Streaming with the MLPs' ``partial_fit``: chunk by chunk equals ``fit`` over the same batches."""

import copy

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification, make_regression

from sklreg import MLPClassifier, MLPRegressor

# training runs are kept short: their ConvergenceWarnings are expected
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

CHUNK = 40


@pytest.fixture(scope="module")
def regression():
    X, y = make_regression(n_samples=160, n_features=10, n_informative=3, random_state=0)
    return X, y / y.std()


@pytest.fixture(scope="module")
def classification():
    return make_classification(n_samples=160, n_features=10, n_informative=3, n_classes=3,
                               random_state=0)


def chunks(X, y):
    for start in range(0, len(y), CHUNK):
        yield X[start:start + CHUNK], y[start:start + CHUNK]


@pytest.mark.parametrize("solver", ["adam", "sgd"])
@pytest.mark.parametrize("penalty", ["l1", "elasticnet", "group"])
@pytest.mark.parametrize("kind", ["regressor", "classifier"])
def test_streaming_chunks_equals_fit_over_the_same_batches(kind, penalty, solver, regression,
                                                            classification):
    # one partial_fit per chunk is one proximal step with the optimizer state carried over;
    # fit with batch_size=CHUNK and shuffle=False takes the same steps in the same order
    estimator, (X, y) = ((MLPRegressor, regression) if kind == "regressor"
                         else (MLPClassifier, classification))
    params = dict(hidden_layer_sizes=(8,), penalty=penalty, alpha=0.05, l1_ratio=0.5,
                  solver=solver, batch_size=CHUNK, shuffle=False, learning_rate_init=0.05,
                  random_state=0)
    n_epochs = 15
    batch = estimator(**params, max_iter=n_epochs, n_iter_no_change=n_epochs).fit(X, y)
    stream = estimator(**params)
    extra = {"classes": np.unique(y)} if kind == "classifier" else {}
    for _ in range(n_epochs):
        for X_chunk, y_chunk in chunks(X, y):
            stream.partial_fit(X_chunk, y_chunk, **extra)
    for ours, theirs in zip(stream.coefs_ + stream.intercepts_,
                            batch.coefs_ + batch.intercepts_, strict=True):
        assert_allclose(ours, theirs, rtol=1e-10, atol=1e-13)
    # the proximal steps leave exact zeros, the same ones
    assert stream.sparsity_[0] > 0.2
    assert_array_equal(stream.coefs_[0] == 0, batch.coefs_[0] == 0)
    # each epoch's loss is the mean of its chunks' losses
    per_chunk = np.reshape(stream.loss_curve_, (n_epochs, -1))
    assert_allclose(per_chunk.mean(axis=1), batch.loss_curve_, rtol=1e-10)
    assert stream.t_ == batch.t_ == n_epochs * len(y)


def test_streaming_l1_zeros_prune_and_predict(regression):
    X, y = regression
    model = MLPRegressor((16,), penalty="l1", alpha=0.05, learning_rate_init=0.02,
                         random_state=0)
    for _ in range(40):
        for X_chunk, y_chunk in chunks(X, y):
            model.partial_fit(X_chunk, y_chunk)
    assert model.score(X, y) > 0.8
    assert not model.active_inputs_.all()  # uninformative inputs cut off exactly
    pruned = model.prune()
    assert_allclose(pruned.predict(X), model.predict(X), rtol=1e-12, atol=1e-12)


def test_streaming_classifier_chunks_may_miss_classes(classification):
    X, y = classification
    order = np.argsort(y, kind="stable")  # chunks of one or two classes only
    model = MLPClassifier((8,), learning_rate_init=0.02, random_state=0)
    for X_chunk, y_chunk in chunks(X[order], y[order]):
        model.partial_fit(X_chunk, y_chunk, classes=[0, 1, 2])
    assert_array_equal(model.classes_, [0, 1, 2])
    assert model.predict_proba(X).shape == (len(y), 3)


def test_partial_fit_errors(regression, classification):
    X, y = regression
    model = MLPRegressor((4,), random_state=0).partial_fit(X, y)
    with pytest.raises(ValueError, match="X has 9 features, but MLPRegressor is expecting 10"):
        model.partial_fit(X[:, :9], y)
    with pytest.raises(ValueError, match="layer sizes"):
        model.partial_fit(X, np.c_[y, y])
    X, y = classification
    model = MLPClassifier((4,), random_state=0).partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="classes not in"):
        model.partial_fit(X, np.where(y == 2, 3, y))
    with pytest.raises(ValueError, match="is not the same as on last call"):
        model.partial_fit(X, y, classes=[0, 1, 2, 3])
    with pytest.raises(ValueError, match="X has 9 features, but MLPClassifier is expecting 10"):
        model.partial_fit(X[:, :9], y)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        MLPClassifier((4,)).partial_fit(X, y)


@pytest.mark.parametrize("first, then", [("adam", "sgd"), ("sgd", "adam")])
def test_partial_fit_after_changing_solver_restarts_the_optimizer(regression, first, then):
    # Adam's moments and SGD's velocity are not interchangeable: a solver switched by
    # set_params continues from the weights with a fresh optimizer state (it raised a
    # KeyError from the other solver's state)
    X, y = regression
    model = MLPRegressor((4,), solver=first, random_state=0).partial_fit(X, y)
    restarted = copy.deepcopy(model).set_params(solver=then, warm_start=True, max_iter=1)
    model.set_params(solver=then).partial_fit(X, y)
    restarted.fit(X, y)  # a warm start always takes a new optimizer state
    for a, b in zip(model.coefs_ + model.intercepts_,
                    restarted.coefs_ + restarted.intercepts_, strict=True):
        assert_array_equal(a, b)
