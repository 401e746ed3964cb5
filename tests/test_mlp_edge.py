"""MLPRegressor / MLPClassifier edge cases found by the defect hunt: divergence, early stopping."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from sklearn import neural_network
from sklearn.datasets import make_multilabel_classification, make_regression

from sklreg import MLPClassifier, MLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def regression():
    X, y = make_regression(n_samples=200, n_features=5, random_state=0)
    return X, y / y.std()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # overflows of the diverging network
@pytest.mark.parametrize("Estimator", [MLPRegressor, MLPClassifier])
def test_early_stopping_with_no_finite_validation_score_raises(regression, Estimator):
    # SGD with a huge learning rate has NaN outputs after its first epoch: every validation
    # score was NaN, none became the best, and fit returned the untrained initial weights
    # with best_validation_score_ = -inf and no error (without early stopping the same fit
    # raises "non-finite parameter weights")
    X, y = regression
    if Estimator is MLPClassifier:  # saturated probabilities stay finite longer
        y, learning_rate_init, batch_size = (y > 0).astype(int), 1e10, 1
    else:
        y, learning_rate_init, batch_size = 100 * y, 100.0, 10
    model = Estimator((5,), solver="sgd", learning_rate_init=learning_rate_init,
                      batch_size=batch_size, early_stopping=True, n_iter_no_change=3,
                      random_state=0)
    with pytest.raises(ValueError, match="no epoch gave a finite validation score"):
        model.fit(X, y)
    assert np.isnan(model.validation_scores_).all()


@pytest.mark.parametrize("hidden_layer_sizes, shapes",
                         [(np.array(3), [(5, 3), (3, 1)]), (np.int64(2), [(5, 2), (2, 1)]),
                          ((), [(5, 1)]), (np.array([3, 2]), [(5, 3), (3, 2), (2, 1)])])
def test_hidden_layer_sizes_scalar_array_and_empty(regression, hidden_layer_sizes, shapes):
    # a 0-d array passes the "array-like" constraint, then list() of it raised
    # "TypeError: iteration over a 0-d array"
    X, y = regression
    model = MLPRegressor(hidden_layer_sizes, max_iter=2, random_state=0).fit(X, y)
    assert [W.shape for W in model.coefs_] == shapes
    assert model.n_layers_ == len(shapes) + 1


@pytest.mark.parametrize("hidden_layer_sizes", [True, (True, 3), [np.True_]])
def test_hidden_layer_sizes_of_booleans_are_refused(regression, hidden_layer_sizes):
    # a bool is an Integral: True was taken as one hidden unit (scikit-learn refuses it)
    X, y = regression
    with pytest.raises(ValueError, match="hidden_layer_sizes must be positive integers"):
        MLPRegressor(hidden_layer_sizes, max_iter=2).fit(X, y)


@pytest.mark.parametrize("Estimator", [MLPRegressor, MLPClassifier])
@pytest.mark.parametrize("device", ["cpu", "cuda"])
def test_sparse_tag_matches_what_fit_accepts(regression, Estimator, device):
    # the tag said sparse input for device='cuda' too, whose fit rejects sparse X (before
    # looking for a GPU, so this runs without one)
    X, y = regression
    model = Estimator((3,), max_iter=2, random_state=0, device=device)
    y = (y > 0).astype(int) if Estimator is MLPClassifier else y
    accepts_sparse = model.__sklearn_tags__().input_tags.sparse
    if accepts_sparse:
        model.fit(sp.csr_matrix(X), y)
    else:
        with pytest.raises(ValueError, match="dense X only"):
            model.fit(sp.csr_matrix(X), y)
    assert accepts_sparse == (device == "cpu")


@pytest.mark.parametrize("penalty, alpha, l1_ratio",
                         [("elasticnet", 0.01, 0.0), ("l1", 0.0, 0.15), ("group", 0.0, 0.15),
                          ("elasticnet", 0.0, 0.5)])
def test_lbfgs_takes_smooth_settings_of_any_penalty_name(regression, penalty, alpha, l1_ratio):
    # solver='lbfgs' refused penalty='elasticnet' with l1_ratio=0 (pure L2) and alpha=0
    # with 'l1' / 'group' (no penalty) by the penalty's name: both are smooth, and the fit
    # is that of penalty='l2' at alpha * (1 - l1_ratio)
    X, y = regression
    model = MLPRegressor((4,), solver="lbfgs", penalty=penalty, alpha=alpha,
                         l1_ratio=l1_ratio, max_iter=30, random_state=0).fit(X, y)
    l2_alpha = alpha * (1 - l1_ratio) if penalty == "elasticnet" else alpha
    reference = MLPRegressor((4,), solver="lbfgs", penalty="l2", alpha=l2_alpha, max_iter=30,
                             random_state=0).fit(X, y)
    np.testing.assert_allclose(model.loss_, reference.loss_, rtol=1e-12)
    np.testing.assert_allclose(model.predict(X), reference.predict(X), rtol=1e-12)
    with pytest.raises(ValueError, match="lbfgs"):  # any L1 or group part is not smooth
        MLPRegressor(solver="lbfgs", penalty=penalty, alpha=0.01, l1_ratio=1e-3).fit(X, y)


def test_binary_probabilities_keep_their_precision(regression):
    # predict_proba of a binary classifier gave the negative class 1 - expit(score): 0 from
    # a score of about 37, while predict_log_proba (from the logits) gave -37
    X, y = regression
    model = MLPClassifier((3,), max_iter=2, random_state=0).fit(X, (y > 0).astype(int))
    model.coefs_[-1][...] = 0.0
    model.intercepts_[-1][...] = 40.0  # score 40 for every sample
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba[:, 0], np.exp(-40.0) / (1 + np.exp(-40.0)), rtol=1e-12)
    np.testing.assert_allclose(np.log(proba), model.predict_log_proba(X), rtol=1e-12,
                               atol=1e-15)
    np.testing.assert_array_equal(proba[:, 1], 1.0)


def test_multilabel_targets_other_than_zero_one_are_refused():
    # an indicator matrix in {-1, +1} passes as multilabel (two integer values) and
    # label_binarize keeps its entries, so .astype(bool) made every label positive: the
    # network learned "all labels on" without a word (scikit-learn's MLPClassifier too);
    # 1-D labels given to a multilabel network were silently one-hot encoded
    X, Y = make_multilabel_classification(n_samples=60, n_features=5, n_classes=3,
                                          random_state=0)
    for bad in [2 * Y - 1, 2 * Y, sp.csr_matrix(2 * Y)]:
        model = MLPClassifier((3,), max_iter=2, random_state=0)
        with pytest.raises(ValueError, match="0 and 1"):
            model.fit(X, bad)
        assert not hasattr(model, "classes_")
        with pytest.raises(ValueError, match="0 and 1"):
            MLPClassifier((3,), random_state=0).partial_fit(X, bad, classes=[0, 1, 2])
    model = MLPClassifier((3,), max_iter=2, random_state=0).fit(X, Y)
    with pytest.raises(ValueError, match="0 and 1"):
        model.objective(X, 2 * Y - 1)
    with pytest.raises(ValueError, match="indicator matrix"):
        model.partial_fit(X, Y.argmax(axis=1))
    with pytest.raises(ValueError, match="indicator matrix"):
        model.objective(X, Y.argmax(axis=1))
    model.partial_fit(X, Y.astype(bool))  # booleans and sparse 0 / 1 indicators are fine
    model.fit(X, sp.csr_matrix(Y))


@pytest.mark.parametrize("early_stopping", [False, True])
def test_interrupted_training_returns_the_epochs_run(monkeypatch, early_stopping):
    """Ctrl-C during a stochastic fit (as scikit-learn): a warning, and a fitted model of
    the epochs completed, its weights copied out of the training buffer (with early
    stopping, the best ones restored); before, the interrupt propagated and left the
    weights as views of that buffer."""
    from sklreg.neural import _base

    X, y = make_regression(120, 5, noise=1.0, random_state=0)
    kwargs = {"hidden_layer_sizes": (8,), "batch_size": 40, "max_iter": 50, "tol": 0.0,
              "random_state": 0, "early_stopping": early_stopping,
              "n_iter_no_change": 100}
    complete = MLPRegressor(max_iter=4, **{k: v for k, v in kwargs.items() if k != "max_iter"})
    with pytest.warns(Warning):  # max_iter reached
        complete.fit(X, y)
    loss_gradient = _base.loss_gradient
    calls = []

    def interrupting(*args):
        calls.append(1)
        if len(calls) == 4 * 3 + 2:  # in the fifth epoch (three batches each)
            raise KeyboardInterrupt
        return loss_gradient(*args)

    monkeypatch.setattr(_base, "loss_gradient", interrupting)
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        model = MLPRegressor(**kwargs).fit(X, y)
    assert model.n_iter_ == 4 and len(model.loss_curve_) == 4
    for W, W_complete in zip(model.coefs_, complete.coefs_, strict=True):
        assert W.base is None or W.base.size == W.size  # not a view of the flat buffer
        if not early_stopping:  # two more steps were taken in the fifth epoch
            assert not np.array_equal(W, W_complete)
    if early_stopping:  # the best weights of the four epochs, as the complete fit's
        for W, W_complete in zip(model.coefs_, complete.coefs_, strict=True):
            np.testing.assert_array_equal(W, W_complete)
    assert np.all(np.isfinite(model.predict(X)))


@pytest.mark.parametrize("labels", [np.array(["ham", "spam"]), np.array([3, 7])])
def test_stratified_split_error_names_the_users_class(labels):
    """Early stopping stratifies a binary y: a class of one sample cannot be split, and the
    error named the encoded target ('1.0'), a label the user never gave."""
    rng = np.random.RandomState(0)
    X = rng.randn(40, 3)
    y = labels[np.r_[np.zeros(39, dtype=int), 1]]
    model = MLPClassifier((3,), early_stopping=True, random_state=0)
    with pytest.raises(ValueError, match="validation_fraction") as info:
        model.fit(X, y)
    assert f"are: {labels[1:].tolist()}" in str(info.value)  # ['spam'] / [7]
    assert "1.0" not in str(info.value)
    # the split itself is unchanged: scikit-learn's, stratified on its encoded y (its
    # alpha / batch size is ours: the same weights only from the same training split)
    y = labels[(np.arange(40) % 3 == 0).astype(int)]
    ours = MLPClassifier((3,), alpha=1e-2 / 36, early_stopping=True, max_iter=3,
                         random_state=0).fit(X, y)
    theirs = neural_network.MLPClassifier((3,), alpha=1e-2, early_stopping=True, max_iter=3,
                                          random_state=0).fit(X, y)
    assert_allclose(ours.validation_scores_, theirs.validation_scores_)
    assert_allclose(ours.coefs_[0], theirs.coefs_[0], rtol=1e-9)


@pytest.mark.parametrize("Estimator", [MLPRegressor, MLPClassifier])
def test_validation_split_of_one_weighted_row_is_too_small(monkeypatch, Estimator):
    """Zero-weight rows are dropped from the validation split after its size was checked:
    a split of two rows, one of weight zero, scored the regressor by the R^2 of one sample
    (NaN, with an UndefinedMetricWarning every epoch), and the fit then failed with the
    false 'Solver diverged: no epoch gave a finite validation score'."""
    import sklreg.neural._base as base

    rng = np.random.RandomState(0)
    X = rng.randn(20, 3)
    y = X @ [1.0, -2.0, 0.5] if Estimator is MLPRegressor else (X[:, 0] > 0).astype(int)
    split = base.train_test_split
    validation_rows = []

    def spy(*arrays, **kwargs):
        result = split(*arrays, **kwargs)
        validation_rows.extend(np.flatnonzero((X[:, None] == result[1]).all(axis=2).any(
            axis=1)))
        return result

    monkeypatch.setattr(base, "train_test_split", spy)
    kwargs = dict(hidden_layer_sizes=(3,), early_stopping=True, max_iter=5, random_state=0)
    Estimator(**kwargs).fit(X, y)
    assert len(validation_rows) == 2  # 10% of 20
    sample_weight = np.ones(20)
    sample_weight[validation_rows[0]] = 0.0
    with pytest.raises(ValueError, match="validation set is too small.*positive weight"):
        Estimator(**kwargs).fit(X, y, sample_weight=sample_weight)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_first_partial_fit_names_y_in_its_non_finite_label_error(bad):
    """The first partial_fit (with classes) reads y's target type before validating it:
    NaN or inf labels raised 'Input contains NaN.' (X or y?) after a RuntimeWarning
    'invalid value encountered in cast'; fit and later calls say 'Input y contains NaN.'."""
    rng = np.random.RandomState(0)
    X = rng.randn(20, 3)
    y = (X[:, 0] > 0).astype(float)
    y[3] = bad
    model = MLPClassifier((3,), max_iter=5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="Input y contains (NaN|infinity)"):
            model.partial_fit(X, y, classes=[0.0, 1.0])
    # the failed first call left classes_ set with an unfitted label binarizer: the next
    # call crashed (AttributeError 'y_type_'), or refused other classes
    assert not hasattr(model, "classes_")
    labels = np.array(["a", "b"])[(X[:, 0] > 0).astype(int)]
    model.partial_fit(X, labels, classes=["a", "b"])
    assert set(model.predict(X)) <= {"a", "b"}


@pytest.mark.parametrize("classes", [[0, 1, 2, 3], [0, 1], ["a", "b", "c"]])
def test_first_partial_fit_of_multilabel_y_takes_its_label_indices_only(classes):
    """A multilabel network has one output per column of y, its classes_ the column indices:
    classes=[0, 1, 2, 3] for 3 columns was taken, leaving classes_ of 4 labels and
    predict_proba of 3 columns (and a 4-column y refused later by label_binarize)."""
    X, Y = make_multilabel_classification(n_samples=50, n_features=5, n_classes=3,
                                          random_state=0)
    model = MLPClassifier((3,), max_iter=5)
    with pytest.raises(ValueError, match=r"column indices of the multilabel y, \[0 1 2\]"):
        model.partial_fit(X, Y, classes=classes)
    assert not hasattr(model, "classes_")
    model.partial_fit(X, Y, classes=[0, 1, 2])
    assert model.classes_.tolist() == [0, 1, 2]
    assert model.predict_proba(X).shape == (50, 3)
