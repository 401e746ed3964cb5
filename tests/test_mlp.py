"""MLPRegressor / MLPClassifier: objective, proximal sparsity, pruning, and scikit-learn parity."""

import inspect
import pickle
import warnings

import numpy as np
import pytest
import scipy.optimize
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import neural_network
from sklearn.datasets import make_classification, make_multilabel_classification, make_regression
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import train_test_split

from sklreg import MLPClassifier, MLPRegressor
from sklreg.neural._network import loss_gradient, make_layout, pack, unpack
from sklreg.neural._optimizers import adam_step, enet_penalty_value, prox_group, prox_l1, sgd_step

# training runs are kept short: their ConvergenceWarnings are expected
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def regression():
    X, y = make_regression(n_samples=120, n_features=6, n_targets=1, random_state=0)
    return X, y / y.std()


@pytest.fixture(scope="module")
def classification():
    X, y = make_classification(n_samples=120, n_features=6, n_informative=4, n_classes=3,
                               random_state=0)
    return X, y


def fitted_with_weights(model, X, y, coefs, intercepts):
    """``model`` fitted for one iteration, then given the weights ``coefs`` / ``intercepts``."""
    model.set_params(max_iter=1).fit(X, y)
    model.coefs_ = [W.copy() for W in coefs]
    model.intercepts_ = [b.copy() for b in intercepts]
    return model


def sklearn_lbfgs_loss(model, X, y, sample_weight, coefs, intercepts):
    """The loss scikit-learn's one-hidden-layer ``MLPRegressor`` minimizes with 'lbfgs', at
    the given weights (its private ``_loss_grad_lbfgs``)."""
    return model._loss_grad_lbfgs(
        pack(coefs, intercepts, np.float64), X, y.reshape(-1, 1), sample_weight,
        [X, None, None], [None, None], [np.empty_like(c) for c in coefs],
        [np.empty_like(b) for b in intercepts])[0]


def random_weights(layer_units, seed=0):
    rng = np.random.RandomState(seed)
    coefs = [rng.uniform(-0.5, 0.5, (a, b)) for a, b in zip(layer_units[:-1], layer_units[1:],
                                                            strict=True)]
    intercepts = [rng.uniform(-0.5, 0.5, b) for b in layer_units[1:]]
    return coefs, intercepts


# ------------------------------------------------------------------ objective and gradient
@pytest.mark.parametrize("activation", ["identity", "logistic", "tanh", "relu"])
@pytest.mark.parametrize(
    "loss, out_activation, n_outputs",
    [("squared", "identity", 3), ("log_loss", "softmax", 3), ("binary_log_loss", "logistic", 2),
     ("poisson", "exp", 2)],
)
def test_loss_gradient_matches_finite_differences(activation, loss, out_activation, n_outputs):
    rng = np.random.RandomState(0)
    X = rng.randn(15, 4)
    Y = rng.randn(15, n_outputs) if loss == "squared" else np.eye(n_outputs)[rng.randint(
        n_outputs, size=15)]
    if loss == "binary_log_loss":
        Y = (rng.rand(15, n_outputs) > 0.5).astype(float)
    if loss == "poisson":
        Y = rng.poisson(1.5, (15, n_outputs)).astype(float)  # zeros among them
        assert (Y == 0).any()
    sample_weight = rng.rand(15)
    layout = make_layout([4, 5, 3, n_outputs])
    flat = pack(*random_weights(layout.layer_units), np.float64)
    grad = np.empty_like(flat)

    def value(x):
        coefs, intercepts = unpack(x, layout)
        g_coefs, g_intercepts = unpack(grad, layout)
        return loss_gradient(X, Y, sample_weight, coefs, intercepts, g_coefs, g_intercepts,
                             activation, out_activation, loss)

    value(flat)
    analytic = grad.copy()
    numeric = np.empty_like(flat)
    for j in range(flat.size):
        step = np.zeros_like(flat)
        step[j] = 1e-6
        numeric[j] = (value(flat + step) - value(flat - step)) / 2e-6
    assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("penalty", ["l2", None])
def test_lbfgs_loss_is_the_objective(regression, penalty):
    X, y = regression
    weights = np.random.RandomState(1).rand(X.shape[0]) * 2
    model = MLPRegressor((5,), solver="lbfgs", penalty=penalty, alpha=0.01, max_iter=50,
                         random_state=0).fit(X, y, sample_weight=weights)
    W = np.concatenate([c.ravel() for c in model.coefs_])
    residual = model.predict(X) - y
    expected = 0.5 * np.average(residual**2, weights=weights)
    if penalty == "l2":
        expected += 0.01 * 0.5 * W @ W
    assert_allclose(model.loss_, expected, rtol=1e-12)
    assert_allclose(model.objective(X, y, sample_weight=weights), expected, rtol=1e-12)
    assert_allclose(model.loss_curve_[-1], model.loss_, rtol=1e-12)


@pytest.mark.parametrize("penalty", ["l1", "elasticnet", "group", "l2"])
@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_stochastic_loss_curve_is_objective_before_each_full_batch_step(regression, penalty,
                                                                        solver):
    # with one batch per epoch, loss_curve_[k] is P at the weights the epoch started from
    X, y = regression
    model = MLPRegressor((5,), penalty=penalty, alpha=0.01, solver=solver, batch_size=len(y),
                         learning_rate_init=0.01, max_iter=3, random_state=0, warm_start=True)
    model.fit(X, y)
    start = model.objective(X, y)
    model.set_params(max_iter=1).fit(X, y)
    assert_allclose(model.loss_curve_[-1], start, rtol=1e-12)
    assert len(model.loss_curve_) == 4


def test_stochastic_loss_curve_with_minibatches_is_average_of_batch_objectives(regression):
    # shuffle=False, two batches of 60, SGD without momentum (no state): the epoch's entry
    # is the mean of the two batch objectives, each at the weights before its step
    X, y = regression
    params = dict(hidden_layer_sizes=(4,), penalty="l1", alpha=0.01, solver="sgd", momentum=0.0,
                  batch_size=60, shuffle=False, learning_rate_init=0.05, random_state=0)
    model = MLPRegressor(**params, max_iter=2, warm_start=True).fit(X, y)
    start = ([c.copy() for c in model.coefs_], [b.copy() for b in model.intercepts_])
    model.set_params(max_iter=1).fit(X, y)
    replay = MLPRegressor(**params, max_iter=1).fit(X, y)
    replay.coefs_, replay.intercepts_ = start
    first_batch = replay.objective(X[:60], y[:60])
    replay.partial_fit(X[:60], y[:60])
    second_batch = replay.objective(X[60:], y[60:])
    assert_allclose(model.loss_curve_[-1], 0.5 * (first_batch + second_batch), rtol=1e-12)


def test_weighted_minibatches_are_unbiased_and_zero_weight_batches_step(regression):
    # SGD without momentum at a tiny learning rate, shuffle=False, three batches of 40
    # (the first of zero weight, the others of different total weights): one epoch moves
    # the weights by -lr * (sum of the batch gradients) + O(lr^2), which must be
    # -lr * n_batches * (gradient of the whole set's weighted mean loss): each batch's
    # gradient is an unbiased estimate of it. (Batch weighted means, sum s_i l_i / sum s_i
    # per batch, are biased; skipping the zero-weight batch halves its share.)
    X, y = regression
    rng = np.random.RandomState(0)
    weights = np.r_[np.zeros(40), rng.rand(40), 5 * rng.rand(40)]
    lr = 1e-7
    layout = make_layout([X.shape[1], 4, 1])
    coefs, intercepts = random_weights(layout.layer_units, seed=5)
    model = fitted_with_weights(
        MLPRegressor((4,), penalty=None, solver="sgd", momentum=0.0, learning_rate_init=lr,
                     batch_size=40, shuffle=False, warm_start=True, random_state=0),
        X, y, coefs, intercepts)
    model.set_params(max_iter=1).fit(X, y, sample_weight=weights)
    start = pack(coefs, intercepts, np.float64)
    moved = (start - pack(model.coefs_, model.intercepts_, np.float64)) / (3 * lr)
    grad = np.empty_like(start)
    loss = loss_gradient(X, y.reshape(-1, 1), weights / weights.mean(), *unpack(start, layout),
                         *unpack(grad, layout), "relu", "identity", "squared")
    assert_allclose(moved, grad, rtol=1e-4, atol=1e-9 * np.abs(grad).max())
    # the loss reported is the whole set's weighted mean (up to the O(lr) moves)
    assert_allclose(model.loss_, loss, rtol=1e-5)
    assert_allclose(loss, model.objective(X, y, sample_weight=weights), rtol=1e-5)


# ------------------------------------------------------------------ scikit-learn parity
def test_lbfgs_l2_matches_sklearn_from_the_same_weights():
    X, y = make_regression(n_samples=80, n_features=5, random_state=0)
    y = y / y.std()
    n = X.shape[0]
    alpha = 1e-2
    coefs, intercepts = random_weights([5, 6, 1], seed=3)
    ours = fitted_with_weights(MLPRegressor((6,), solver="lbfgs", alpha=alpha, warm_start=True,
                                            tol=1e-12, random_state=0), X, y, coefs, intercepts)
    theirs = fitted_with_weights(
        neural_network.MLPRegressor(hidden_layer_sizes=(6,), solver="lbfgs", alpha=alpha * n,
                                    warm_start=True, tol=1e-12, random_state=0),
        X, y, coefs, intercepts)
    ours.set_params(max_iter=2000).fit(X, y)
    theirs.set_params(max_iter=2000).fit(X, y)
    assert_allclose(ours.loss_, theirs.loss_, rtol=1e-6)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_,
                    strict=True):
        assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    # and the conversion is exact on the objective: same value at the same weights
    at = fitted_with_weights(MLPRegressor((6,), solver="lbfgs", alpha=alpha), X, y, coefs,
                             intercepts)
    # scikit-learn's loss at a point: 0.5 * mean squared error + alpha_sk / (2 n) ||W||^2
    at_sklearn = fitted_with_weights(
        neural_network.MLPRegressor(hidden_layer_sizes=(6,), solver="lbfgs", alpha=alpha * n),
        X, y, coefs, intercepts)
    sk_value = sklearn_lbfgs_loss(at_sklearn, X, y, None, coefs, intercepts)
    assert_allclose(at.objective(X, y), sk_value, rtol=1e-13)


@pytest.mark.skipif(
    "sample_weight" not in inspect.signature(neural_network.MLPRegressor.fit).parameters,
    reason="scikit-learn's MLP takes sample weights from version 1.7")
def test_lbfgs_conversion_with_sample_weights_divides_by_their_sum():
    """The docstrings' ``MLPRegressor(alpha=a, solver='lbfgs')`` is ``alpha = a / S``: with
    sample weights scikit-learn divides its penalty by their sum (it said ``a / n_samples``)."""
    X, y = make_regression(n_samples=60, n_features=4, random_state=1)
    y = y / y.std()
    weights = np.random.RandomState(2).uniform(1.0, 4.0, len(y))  # S = 2.5 n or so
    alpha = 1e-2
    coefs, intercepts = random_weights([4, 5, 1], seed=4)
    S = weights.sum()
    ours = fitted_with_weights(MLPRegressor((5,), solver="lbfgs", alpha=alpha), X, y, coefs,
                               intercepts)
    theirs = fitted_with_weights(
        neural_network.MLPRegressor(hidden_layer_sizes=(5,), solver="lbfgs", alpha=alpha * S),
        X, y, coefs, intercepts)
    sk_value = sklearn_lbfgs_loss(theirs, X, y, weights, coefs, intercepts)
    assert_allclose(ours.objective(X, y, sample_weight=weights), sk_value, rtol=1e-13)


@pytest.mark.parametrize("y_kind", ["binary", "multiclass"])
def test_lbfgs_classifier_matches_sklearn(y_kind):
    n_classes = 2 if y_kind == "binary" else 3
    X, y = make_classification(n_samples=90, n_features=5, n_informative=3,
                               n_classes=n_classes, random_state=0)
    ours = MLPClassifier((4,), solver="lbfgs", alpha=1e-3, max_iter=100, random_state=0)
    theirs = neural_network.MLPClassifier(hidden_layer_sizes=(4,), solver="lbfgs",
                                          alpha=1e-3 * len(y), max_iter=100, random_state=0)
    ours.fit(X, y)
    theirs.fit(X, y)
    assert_allclose(ours.loss_, theirs.loss_, rtol=1e-6)
    assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-5, atol=1e-7)


def poisson_data(n_outputs=1):
    rng = np.random.RandomState(0)
    X = rng.randn(120, 6)
    mean = np.exp(0.5 * X[:, 0] - 0.3 * X[:, 1])
    Y = rng.poisson(mean[:, None] * np.arange(1, n_outputs + 1)).astype(float)
    return X, (Y[:, 0] if n_outputs == 1 else Y)


@pytest.mark.parametrize("solver, extra", [("adam", {}), ("sgd", {"learning_rate_init": 0.01})])
def test_poisson_stochastic_matches_sklearn_trajectory(solver, extra):
    X, y = poisson_data()
    common = dict(hidden_layer_sizes=(5,), batch_size=30, max_iter=15, random_state=0,
                  solver=solver, **extra)
    ours = MLPRegressor(loss="poisson", alpha=1e-2 / 30, **common).fit(X, y)
    theirs = neural_network.MLPRegressor(loss="poisson", alpha=1e-2, **common).fit(X, y)
    assert ours.out_activation_ == theirs.out_activation_ == "exp"
    assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-10)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_,
                    strict=True):
        assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-9)


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_poisson_several_outputs_match_sklearn_without_the_squared_errors_factor(solver):
    """The docstring's ``k``-outputs caveat is the squared error's: scikit-learn sums the
    Poisson deviance over the outputs in its loss and its gradient alike, so its
    ``alpha=a`` is ``a / batch_size`` ('adam', 'sgd') or ``a / S`` ('lbfgs') here."""
    X, Y = poisson_data(n_outputs=3)
    sample_weight = np.random.RandomState(1).rand(len(Y)) * 2
    common = dict(hidden_layer_sizes=(5,), activation="tanh", max_iter=10, random_state=0,
                  solver=solver)
    if solver == "lbfgs":
        fit = dict(sample_weight=sample_weight)
        ours = MLPRegressor(loss="poisson", alpha=1e-2 / sample_weight.sum(), **common)
    else:
        fit, common["batch_size"] = {}, 30
        common["learning_rate_init"] = 0.01
        ours = MLPRegressor(loss="poisson", alpha=1e-2 / 30, **common)
    theirs = neural_network.MLPRegressor(loss="poisson", alpha=1e-2, **common)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours.fit(X, Y, **fit)
        theirs.fit(X, Y, **fit)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_,
                    strict=True):
        assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    assert_allclose(ours.loss_, theirs.loss_, rtol=1e-10)


def test_poisson_objective_is_half_the_deviance_summed_over_outputs():
    """The objective of ``loss='poisson'`` at given weights: our formula written out, and
    scikit-learn's 'lbfgs' loss at ``alpha * n_samples`` (several outputs, zero counts)."""
    X, Y = poisson_data(n_outputs=2)
    assert (Y == 0).any()
    coefs, intercepts = random_weights([6, 5, 2], seed=3)
    ours = fitted_with_weights(MLPRegressor((5,), loss="poisson", solver="lbfgs", alpha=1e-2),
                               X, Y, coefs, intercepts)
    mean = ours.predict(X)
    assert_allclose(mean, np.exp(np.maximum(X @ coefs[0] + intercepts[0], 0) @ coefs[1]
                                 + intercepts[1]), rtol=1e-13)
    with np.errstate(divide="ignore", invalid="ignore"):
        y_log_ratio = np.where(Y > 0, Y * np.log(Y / mean), 0.0)
    weights = np.concatenate([c.ravel() for c in coefs])
    expected = (y_log_ratio - Y + mean).sum(axis=1).mean() + 1e-2 / 2 * weights @ weights
    assert_allclose(ours.objective(X, Y), expected, rtol=1e-13)
    theirs = fitted_with_weights(
        neural_network.MLPRegressor(hidden_layer_sizes=(5,), loss="poisson", solver="lbfgs",
                                    alpha=1e-2 * len(Y)), X, Y, coefs, intercepts)
    sk_value = theirs._loss_grad_lbfgs(
        pack(coefs, intercepts, np.float64), X, Y, None, [X, None, None], [None, None],
        [np.empty_like(c) for c in coefs], [np.empty_like(b) for b in intercepts])[0]
    assert_allclose(ours.objective(X, Y), sk_value, rtol=1e-13)


@pytest.mark.parametrize("penalty", ["l1", "l2"])
def test_poisson_fit_reaches_a_stationary_point_of_its_objective(penalty):
    """'lbfgs' (L2, a smooth network) ends where the gradient vanishes (to L-BFGS-B's
    relative decrease ``ftol``); proximal Adam (L1) gives exact zeros and improves on the
    objective of its starting weights."""
    X, y = poisson_data()
    if penalty == "l2":
        model = MLPRegressor((4,), activation="tanh", loss="poisson", solver="lbfgs",
                             alpha=1e-3, tol=1e-10, max_iter=2000, random_state=0).fit(X, y)
        layout = make_layout(model._layer_units())
        flat = pack(model.coefs_, model.intercepts_, np.float64)
        grad = np.empty_like(flat)
        loss_gradient(X, y[:, None], None, *unpack(flat, layout), *unpack(grad, layout),
                      "tanh", "exp", "poisson")
        grad[:layout.n_penalized] += 1e-3 * flat[:layout.n_penalized]
        assert np.abs(grad).max() < 1e-4
        assert_allclose(model.loss_, model.objective(X, y), rtol=1e-12)
    else:
        start = MLPRegressor((8,), loss="poisson", max_iter=1, random_state=0).fit(X, y)
        model = MLPRegressor((8,), loss="poisson", penalty="l1", alpha=0.05, max_iter=300,
                             learning_rate_init=0.01, random_state=0).fit(X, y)
        assert model.sparsity_[0] > 0.3
        assert model.objective(X, y) < start.objective(X, y)
    assert (model.predict(X) > 0).all()


def test_poisson_sample_losses_at_the_edges_of_the_floats():
    """``y / mu`` underflowing to 0 gave -inf (a loss that rewards a diverged network), and an
    overflowed ``mu`` gave NaN (inf - inf)."""
    from sklreg.neural._network import sample_losses

    Y = np.array([[1e-20], [3.0], [0.0], [2.0], [0.0], [5.0], [1e300]])
    mean = np.array([[1e305], [0.0], [0.0], [np.inf], [np.inf], [5.0], [1e-10]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        losses = sample_losses(Y, mean, "poisson")
    expected = [1e305, np.inf, 0.0, np.inf, np.inf, 0.0, 1e300 * (np.log(1e300) + np.log(1e10) - 1)]
    assert_allclose(losses, expected, rtol=1e-12)


@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
def test_poisson_zero_weight_outlier_is_a_removed_row(solver):
    """A zero weight excludes a row whose mean overflows (an outlier): ``inf * 0`` made the
    loss and gradient NaN, and the fit failed where the fit without the row succeeds."""
    X, y = poisson_data()
    X = X.copy()
    X[0] = 1e4
    sample_weight = np.ones(len(y))
    sample_weight[0] = 0.0
    params = dict(hidden_layer_sizes=(5,), loss="poisson", solver=solver, max_iter=20,
                  random_state=0, shuffle=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        removed = MLPRegressor(**params).fit(X[1:], y[1:])
        weighted = MLPRegressor(**params).fit(X, y, sample_weight=sample_weight)
    assert_allclose(weighted.objective(X, y, sample_weight), removed.objective(X[1:], y[1:]),
                    rtol=1e-13)
    assert_allclose(weighted.loss_curve_, removed.loss_curve_, rtol=1e-9)
    assert_allclose(weighted.predict(X[1:]), removed.predict(X[1:]), rtol=1e-8)
    if solver == "adam":  # outliers in the validation split do not count either
        X[:10] = 1e4
        sample_weight[:10] = 0.0
        model = MLPRegressor(**params, early_stopping=True, validation_fraction=0.5)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, y, sample_weight=sample_weight)
        assert np.isfinite(model.validation_scores_).all()


def test_poisson_refuses_negative_targets_and_a_changed_loss_on_warm_start():
    X, y = poisson_data()
    y_negative = y - 1.0
    kept = y_negative.copy()
    with pytest.raises(ValueError, match="loss='poisson' needs non-negative targets"):
        MLPRegressor((3,), loss="poisson", max_iter=2).fit(X, y_negative)
    assert_array_equal(y_negative, kept)
    model = MLPRegressor((3,), loss="poisson", solver="lbfgs", max_iter=5).fit(X, y)
    with pytest.raises(ValueError, match="non-negative targets"):
        model.objective(X, y_negative)
    model.set_params(loss="squared_error", warm_start=True)
    with pytest.raises(ValueError, match="output activation is 'exp'"):
        model.fit(X, y)
    assert model.out_activation_ == "exp"  # the failed fit changed nothing
    model.set_params(warm_start=False).fit(X, y)
    assert model.out_activation_ == "identity"


STOCHASTIC_CASES = [
    dict(solver="adam"),
    dict(solver="adam", early_stopping=True, validation_fraction=0.25, n_iter_no_change=3),
    dict(solver="sgd", learning_rate_init=0.01),
    dict(solver="sgd", learning_rate_init=0.01, nesterovs_momentum=False, momentum=0.5),
    dict(solver="sgd", learning_rate="invscaling", learning_rate_init=0.05, power_t=0.3),
    dict(solver="sgd", learning_rate="adaptive", learning_rate_init=0.01, tol=1e-1,
         n_iter_no_change=2),
    dict(solver="adam", shuffle=False, beta_1=0.8, beta_2=0.99, epsilon=1e-6),
]


@pytest.mark.parametrize("params", STOCHASTIC_CASES)
@pytest.mark.parametrize("kind", ["regressor", "classifier"])
def test_stochastic_l2_matches_sklearn_trajectory(params, kind, regression, classification):
    # scikit-learn divides alpha by the batch size: alpha_sklearn / batch_size is ours
    if kind == "regressor":
        X, y = regression
        ours_class, theirs_class = MLPRegressor, neural_network.MLPRegressor
    else:
        X, y = classification
        ours_class, theirs_class = MLPClassifier, neural_network.MLPClassifier
    common = dict(hidden_layer_sizes=(5,), batch_size=30, max_iter=15, random_state=0, **params)
    ours = ours_class(alpha=1e-2 / 30, **common).fit(X, y)
    theirs = theirs_class(alpha=1e-2, **common).fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_
    assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-10)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_,
                    strict=True):
        assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    if params.get("early_stopping"):
        assert_allclose(ours.validation_scores_, theirs.validation_scores_)
        assert_allclose(ours.best_validation_score_, theirs.best_validation_score_)
        assert ours.best_loss_ is None
    else:
        assert_allclose(ours.best_loss_, theirs.best_loss_, rtol=1e-10)


@pytest.mark.parametrize("kind", ["regressor", "classifier"])
def test_partial_fit_and_warm_start_match_sklearn(kind, regression, classification):
    if kind == "regressor":
        X, y = regression
        ours = MLPRegressor((5,), alpha=1e-2 / 40, batch_size=40, random_state=0)
        theirs = neural_network.MLPRegressor(hidden_layer_sizes=(5,), alpha=1e-2,
                                             batch_size=40, random_state=0)
        extra = {}
    else:
        X, y = classification
        ours = MLPClassifier((5,), alpha=1e-2 / 40, batch_size=40, random_state=0)
        theirs = neural_network.MLPClassifier(hidden_layer_sizes=(5,), alpha=1e-2,
                                              batch_size=40, random_state=0)
        extra = {"classes": np.unique(y)}
    for _ in range(4):
        ours.partial_fit(X, y, **extra)
        theirs.partial_fit(X, y, **extra)
    assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-10)
    assert ours.t_ == theirs.t_ == 4 * len(y)
    assert_allclose(ours.coefs_[0], theirs.coefs_[0], rtol=1e-9)
    # warm start: continue from the current weights, loss_curve_ keeps growing
    ours.set_params(warm_start=True, max_iter=3).fit(X, y)
    theirs.set_params(warm_start=True, max_iter=3).fit(X, y)
    assert len(ours.loss_curve_) == 7
    assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-10)
    assert_allclose(ours.coefs_[1], theirs.coefs_[1], rtol=1e-9)

@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_multi_output_conversion_from_sklearn_divides_alpha_by_the_outputs(solver,
                                                                             regression):
    """The documented conversion of scikit-learn's stochastic ``MLPRegressor(alpha=a)``
    with ``k`` outputs: its gradient sums the squared errors over the outputs, so its
    steps are ours at ``alpha = a / (k * batch_size)`` (SGD: and a ``k`` times larger
    learning rate). The docs gave ``a / batch_size`` whatever ``k`` (weights 0.03 off here)."""
    X, y = regression
    Y = np.c_[y, np.sin(y), -y]
    k, batch_size, a, lr = Y.shape[1], 30, 5.0, 0.01
    common = dict(hidden_layer_sizes=(5,), solver=solver, batch_size=batch_size,
                  max_iter=5, random_state=0, tol=0.0)
    theirs = neural_network.MLPRegressor(alpha=a, learning_rate_init=lr, **common).fit(X, Y)
    ours_lr = lr * k if solver == "sgd" else lr
    ours = MLPRegressor(alpha=a / (k * batch_size), learning_rate_init=ours_lr,
                        **common).fit(X, Y)
    for mine, reference in zip(ours.coefs_ + ours.intercepts_,
                               theirs.coefs_ + theirs.intercepts_, strict=True):
        assert_allclose(mine, reference, rtol=1e-4, atol=1e-6)



def test_warm_start_false_restarts(regression):
    X, y = regression
    model = MLPRegressor((5,), max_iter=5, random_state=0).fit(X, y)
    first = [c.copy() for c in model.coefs_]
    model.fit(X, y)
    assert len(model.loss_curve_) == 5
    assert_array_equal(model.coefs_[0], first[0])


def test_warm_start_after_a_failed_first_fit_takes_new_classes():
    """A first fit that failed after encoding the labels (here: X too large) left
    ``classes_`` without weights; a warm-started fit then refused other labels as "not the
    same classes as in the previous call"."""
    rng = np.random.RandomState(0)
    X = rng.randn(30, 3)
    model = MLPClassifier((4,), max_iter=5, warm_start=True, random_state=0)
    with pytest.raises(ValueError, match="overflow"):
        model.fit(X * 1e200, np.arange(30) % 3)
    labels = np.array(["a", "b"] * 15)
    model.fit(X, labels)
    assert_array_equal(model.classes_, ["a", "b"])
    assert set(model.predict(X)) <= {"a", "b"}
    with pytest.raises(ValueError, match="same classes"):  # fitted weights: as before
        model.fit(X, np.arange(30) % 3)


def test_early_stopping_keeps_best_weights(regression):
    X, y = regression
    model = MLPRegressor((5,), early_stopping=True, validation_fraction=0.2, max_iter=60,
                         learning_rate_init=0.05, n_iter_no_change=3, random_state=0).fit(X, y)
    assert model.n_iter_ < 60
    assert model.best_validation_score_ == max(model.validation_scores_)
    assert model.validation_scores_[-1] < model.best_validation_score_


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # overflows of the diverging network
def test_diverged_network_stops_after_n_iter_no_change(regression):
    # a NaN validation score or training loss is no improvement: it used to reset the
    # count (``nan < best + tol`` is False), so a diverged network ran all max_iter epochs
    X, y = regression
    diverging = dict(solver="sgd", learning_rate_init=10.0, max_iter=200, random_state=0)
    model = MLPRegressor((5,), early_stopping=True, n_iter_no_change=3, **diverging)
    model.fit(X, 100 * y)
    assert np.isnan(model.validation_scores_[-1])
    assert model.n_iter_ < 10
    assert model.best_validation_score_ == model.validation_scores_[0]
    model = MLPRegressor((5,), n_iter_no_change=5, **diverging)
    with pytest.raises(ValueError, match="non-finite"):
        model.fit(X, 100 * y)
    assert np.isnan(model.loss_curve_[-1])
    assert model.n_iter_ < 10


def test_stops_on_training_loss_and_warns_at_max_iter(regression):
    X, y = regression
    with pytest.warns(ConvergenceWarning, match="Maximum iterations"):
        MLPRegressor((5,), max_iter=3, random_state=0).fit(X, y)
    # the loss never improves by tol=1: stop after n_iter_no_change + 1 epochs without
    # improvement, after the first one (as scikit-learn)
    model = MLPRegressor((5,), tol=1.0, n_iter_no_change=2, random_state=0).fit(X, y)
    assert model.n_iter_ == 4


def test_partial_fit_rules(regression, classification):
    X, y = classification
    with pytest.raises(ValueError, match="classes must be passed"):
        MLPClassifier((3,)).partial_fit(X, y)
    assert not hasattr(MLPClassifier(solver="lbfgs"), "partial_fit")
    assert not hasattr(MLPRegressor(solver="lbfgs"), "partial_fit")
    with pytest.raises(ValueError, match="early_stopping"):
        MLPRegressor((3,), early_stopping=True).partial_fit(*regression)
    model = MLPClassifier((3,), random_state=0).partial_fit(X[y < 2], y[y < 2],
                                                           classes=[0, 1, 2])
    assert_array_equal(model.classes_, [0, 1, 2])
    assert model.predict_proba(X).shape == (len(y), 3)


# ------------------------------------------------------------------ sparsity
@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_l1_gives_exact_zeros_more_with_larger_alpha(regression, solver):
    X, y = regression
    fractions = []
    for alpha in [0.0, 1e-3, 1e-2, 1e-1]:
        model = MLPRegressor((10,), penalty="l1", alpha=alpha, solver=solver, batch_size=10,
                             learning_rate_init=0.01, max_iter=60, random_state=0).fit(X, y)
        fractions.append(np.mean(np.concatenate([c.ravel() for c in model.coefs_]) == 0))
    assert fractions[0] == 0.0
    assert fractions[1] > 0.0
    assert np.all(np.diff(fractions) > 0), fractions


def test_elasticnet_zeros_and_l2_none(regression):
    X, y = regression
    enet = MLPRegressor((10,), penalty="elasticnet", alpha=0.05, l1_ratio=0.5,
                        learning_rate_init=0.01, max_iter=60, random_state=0).fit(X, y)
    ridge = MLPRegressor((10,), penalty="l2", alpha=0.05, learning_rate_init=0.01,
                         max_iter=60, random_state=0).fit(X, y)
    assert enet.sparsity_.max() > 0.2
    assert_array_equal(ridge.sparsity_, 0.0)


@pytest.mark.parametrize("penalty, alpha", [("l1", 3e-3), ("group", 1e-3)])
def test_irrelevant_inputs_removed_and_r2_kept(penalty, alpha):
    X, y, coef = make_regression(1000, 100, n_informative=10, noise=1.0, coef=True,
                                 random_state=0)
    y = y / y.std()
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    params = dict(hidden_layer_sizes=(16,), learning_rate_init=0.01, max_iter=100,
                  random_state=0)
    sparse_model = MLPRegressor(penalty=penalty, alpha=alpha, **params).fit(X_train, y_train)
    l2_model = MLPRegressor(penalty="l2", **params).fit(X_train, y_train)
    informative = coef != 0
    assert_array_equal(sparse_model.active_inputs_, informative)
    assert np.all(sparse_model.coefs_[0][~informative] == 0)
    assert sparse_model.score(X_test, y_test) >= l2_model.score(X_test, y_test) - 0.02
    assert sparse_model.score(X_test, y_test) > 0.95


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_group_zeros_come_in_whole_rows(regression, solver):
    X, y = regression
    model = MLPRegressor((12, 6), penalty="group", alpha=0.01, solver=solver, batch_size=10,
                         learning_rate_init=0.01, max_iter=60, random_state=0).fit(X, y)
    n_zero_rows = 0
    for W in model.coefs_:
        zero_rows = np.all(W == 0, axis=1)
        n_zero_rows += zero_rows.sum()
        assert np.all(W[~zero_rows] != 0)
    assert n_zero_rows > 0


@pytest.mark.parametrize("momentum, nesterov, learning_rate, l1_ratio",
                         [(0.0, False, 0.2, 1.0), (0.9, False, 0.02, 1.0),
                          (0.9, True, 0.02, 1.0), (0.0, False, 0.2, 0.4)])
def test_proximal_sgd_full_batch_reaches_l1_stationarity(regression, momentum, nesterov,
                                                         learning_rate, l1_ratio):
    # proximal gradient (one batch, small step), plain or with heavy-ball / Nesterov momentum:
    # KKT conditions of the L1-penalized objective hold at the limit point (with Nesterov the
    # prox's displacement must enter the velocity divided by the momentum, else the limit
    # point is stationary for an L1 strength (1 - momentum + momentum**2) * alpha)
    # (l1_ratio < 1: the elastic net, L1 part alpha * l1_ratio, L2 part alpha * (1 - l1_ratio))
    X, y = regression
    alpha = 0.02
    model = MLPRegressor((4,), penalty="elasticnet", l1_ratio=l1_ratio, alpha=alpha,
                         solver="sgd", momentum=momentum,
                         nesterovs_momentum=nesterov, batch_size=len(y),
                         learning_rate_init=learning_rate,
                         max_iter=4000 if l1_ratio == 1 else 8000, tol=0.0,
                         n_iter_no_change=10**6, random_state=0).fit(X, y)
    layout = make_layout([X.shape[1], 4, 1])
    flat = pack(model.coefs_, model.intercepts_, np.float64)
    grad = np.empty_like(flat)
    loss_gradient(X, y.reshape(-1, 1), None, *unpack(flat, layout), *unpack(grad, layout),
                  "relu", "identity", "squared")
    weights = flat[:layout.n_penalized]
    weight_grads = grad[:layout.n_penalized] + alpha * (1 - l1_ratio) * weights
    l1 = alpha * l1_ratio
    zero = weights == 0
    assert zero.any()
    assert np.all(np.abs(weight_grads[zero]) <= l1 * (1 + 1e-6))
    assert_allclose(weight_grads[~zero], -l1 * np.sign(weights[~zero]), atol=1e-5)
    assert_allclose(grad[layout.n_penalized:], 0.0, atol=1e-5)


def test_proximal_adam_group_lasso_reaches_stationarity(regression):
    # full-batch proximal Adam with the group lasso: at the limit point every group at zero
    # has a gradient of norm <= alpha sqrt(|g|) and every other group satisfies
    # grad_g + alpha sqrt(|g|) w_g / ||w_g|| = 0. (A block soft-threshold by the mean of
    # Adam's per-weight steps kept inputs at zero whose gradient was 20x the threshold: a
    # weight with a vanishing second moment has a huge step and dominated the mean.)
    X, y = regression
    alpha = 0.01
    model = MLPRegressor((5,), penalty="group", alpha=alpha, batch_size=len(y),
                         learning_rate_init=0.005, max_iter=4000, tol=0.0,
                         n_iter_no_change=10**6, random_state=0).fit(X, y)
    layout = make_layout([X.shape[1], 5, 1])
    flat = pack(model.coefs_, model.intercepts_, np.float64)
    grad = np.empty_like(flat)
    loss_gradient(X, y.reshape(-1, 1), None, *unpack(flat, layout), *unpack(grad, layout),
                  "relu", "identity", "squared")
    n_zero = 0
    for a, b in zip(layout.group_ptr[:-1], layout.group_ptr[1:], strict=True):
        tau = alpha * np.sqrt(b - a)
        w, g = flat[a:b], grad[a:b]
        if np.all(w == 0):
            n_zero += 1
            assert np.linalg.norm(g) <= tau * (1 + 1e-6)
        else:
            assert np.linalg.norm(g + tau * w / np.linalg.norm(w)) <= 1e-3 * tau
    assert 0 < n_zero < len(layout.group_ptr) - 1 - 1
    assert model.active_inputs_.all()  # every input of make_regression is informative
    assert_allclose(grad[layout.n_penalized:], 0.0, atol=1e-5)


def test_lbfgs_rejects_nonsmooth_penalties(regression):
    for penalty in ["l1", "elasticnet", "group"]:
        with pytest.raises(ValueError, match="lbfgs") as error:
            MLPRegressor(solver="lbfgs", penalty=penalty).fit(*regression)
        # l1_ratio only where the penalty uses it
        mentioned = f"l1_ratio={MLPRegressor().l1_ratio}" in str(error.value)
        assert mentioned == (penalty == "elasticnet")


# ------------------------------------------------------------------ kernels
def reference_group_prox(z, steps, tau):
    """argmin_x tau ||x|| + sum_j (x_j - z_j)^2 / (2 steps_j), by root finding on mu."""
    if np.linalg.norm(z / steps) <= tau:
        return np.zeros_like(z)
    mu = scipy.optimize.brentq(
        lambda mu: np.linalg.norm(z * mu / (1 + steps * mu)) - tau, 0.0, 1e12, xtol=1e-300,
        rtol=1e-15)
    return z / (1 + steps * mu)


def test_group_prox_kernel():
    rng = np.random.RandomState(0)
    params = rng.randn(14)
    group_ptr = np.array([0, 3, 6, 9, 12], dtype=np.int64)
    steps = np.r_[rng.rand(3), np.full(3, 0.3), 10.0 ** rng.uniform(-3, 3, 3), np.full(3, 9.0)]
    params[9:12] = [0.1, -0.1, 0.05]  # a group the prox zeroes
    original = params.copy()
    velocity = np.zeros(14)
    prox_group(params, steps, group_ptr, 1.0, velocity, 1.0)
    for a, b in zip(group_ptr[:-1], group_ptr[1:], strict=True):
        tau = np.sqrt(b - a)
        expected = reference_group_prox(original[a:b], steps[a:b], tau)
        assert_allclose(params[a:b], expected, rtol=1e-10, atol=1e-15)
        if np.any(expected != 0):  # optimality: tau x / ||x|| + (x - z) / s = 0
            x = params[a:b]
            assert_allclose(tau * x / np.linalg.norm(x), (original[a:b] - x) / steps[a:b],
                            rtol=1e-9)
    assert np.all(params[9:12] == 0)
    # equal steps: the block soft-threshold
    assert_allclose(params[3:6], original[3:6] * (1 - 0.3 * np.sqrt(3)
                                                  / np.linalg.norm(original[3:6])))
    assert_array_equal(params[12:], original[12:])
    assert_allclose(velocity, params - original)


def test_adam_kernel_then_prox_is_sklearn_adam_then_scaled_soft_threshold():
    rng = np.random.RandomState(0)
    params, grads = rng.randn(6), rng.randn(6)
    m, v, steps = np.zeros(6), np.zeros(6), np.zeros(4)
    updated = params.copy()
    adam_step(updated, grads.copy(), m, v, steps, 0.1, 0.9, 0.999, 1e-8, 4, 0.5)
    prox_l1(updated, steps, 0.05, updated[:0], 1.0)
    g = grads + np.r_[0.5 * params[:4], 0, 0]
    m_ref, v_ref = 0.1 * g, 0.001 * g**2
    step = 0.1 / (np.sqrt(v_ref) + 1e-8)
    smooth = params - step * m_ref
    expected = smooth.copy()
    expected[:4] = np.sign(smooth[:4]) * np.maximum(np.abs(smooth[:4]) - 0.05 * step[:4], 0)
    assert_allclose(updated, expected)
    assert_allclose(steps, step[:4])
    assert_allclose(enet_penalty_value(params, 4, 0.05, 0.5),
                    0.05 * np.abs(params[:4]).sum() + 0.25 * params[:4] @ params[:4])


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_kernel_then_prox_keeps_realized_velocity(nesterov):
    rng = np.random.RandomState(0)
    params, grads, velocity = rng.randn(6), rng.randn(6), rng.randn(6)
    steps = np.zeros(4)
    updated, new_velocity = params.copy(), velocity.copy()
    sgd_step(updated, grads.copy(), new_velocity, steps, 0.1, 0.9, nesterov, 4, 0.0)
    assert_array_equal(steps, 0.1)
    prox_l1(updated, steps, 10.0, new_velocity, 2.0)
    v_ref = 0.9 * velocity - 0.1 * grads
    smooth = params + (0.9 * v_ref - 0.1 * grads if nesterov else v_ref)
    expected = smooth.copy()
    expected[:4] = np.sign(smooth[:4]) * np.maximum(np.abs(smooth[:4]) - 1.0, 0)
    assert_allclose(updated, expected)
    assert (updated[:4] == 0).any()
    assert_allclose(new_velocity, v_ref + 2.0 * (expected - smooth))


# ------------------------------------------------------------------ pruning
@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic", "identity"])
def test_prune_hand_built_network(activation):
    coefs, intercepts = random_weights([4, 5, 4, 2], seed=1)
    coefs[0][:, 1] = 0  # unit (1, 1): constant, feeds the next layer
    coefs[1][3, :] = 0  # unit (1, 3): reaches nothing
    coefs[1][:, 2] = 0  # unit (2, 2): constant
    coefs[1][1, 0] = 0.7  # ... but unit (1, 1) still feeds unit (2, 0)
    coefs[1][:, 1] = 0
    coefs[1][1, 1] = 0.4  # unit (2, 1) only fed by the constant unit: constant too
    coefs[0][2, :] = 0  # input 2 unused
    X = np.random.RandomState(0).randn(30, 4)
    model = fitted_with_weights(MLPRegressor((5, 4), activation=activation, random_state=0),
                                X, np.random.RandomState(1).randn(30, 2), coefs, intercepts)
    assert_array_equal(model.active_inputs_, [True, True, False, True])
    assert_array_equal(model.active_hidden_units_[0], [True, False, True, False, True])
    assert_array_equal(model.active_hidden_units_[1], [True, False, False, True])
    pruned = model.prune()
    assert pruned.hidden_layer_sizes == (3, 2)
    assert [W.shape for W in pruned.coefs_] == [(4, 3), (3, 2), (2, 2)]
    assert_allclose(pruned.predict(X), model.predict(X), rtol=1e-13, atol=1e-13)
    assert model.coefs_[0].shape == (4, 5)  # the original is untouched


def test_prune_dead_layer_keeps_an_inert_unit():
    coefs, intercepts = random_weights([3, 4, 1], seed=2)
    coefs[0][:] = 0
    X = np.random.RandomState(0).randn(10, 3)
    model = fitted_with_weights(MLPRegressor((4,), activation="tanh"), X, X[:, 0], coefs,
                                intercepts)
    pruned = model.prune()
    assert pruned.hidden_layer_sizes == (1,)
    assert_allclose(pruned.predict(X), model.predict(X), rtol=1e-13)
    assert not model.active_inputs_.any()


@pytest.mark.parametrize("penalty", ["l1", "group"])
def test_prune_fitted_network_identical_predictions(penalty, classification):
    X, y = classification
    model = MLPClassifier((16, 8), penalty=penalty, alpha=0.02, learning_rate_init=0.02,
                          max_iter=80, random_state=0).fit(X, y)
    assert sum(m.sum() for m in model.active_hidden_units_) < 24
    pruned = model.prune()
    assert_allclose(pruned.predict_proba(X), model.predict_proba(X), rtol=1e-12, atol=1e-15)
    assert_array_equal(pruned.predict(X), model.predict(X))
    assert_array_equal(pickle.loads(pickle.dumps(pruned)).predict_proba(X),
                       pruned.predict_proba(X))
    pruned.partial_fit(X, y)  # still trainable, optimizer state restarted
    assert pruned._optimizer_state["t"] > 0


@pytest.mark.parametrize("target", ["binary", "multilabel"])
def test_prune_classifier_outputs_float32(target):
    if target == "binary":
        X, y = make_classification(n_samples=100, n_features=6, random_state=0)
    else:
        X, y = make_multilabel_classification(n_samples=100, n_features=6, random_state=0)
    X = X.astype(np.float32)
    model = MLPClassifier((12, 6), activation="logistic", penalty="l1", alpha=0.03,
                          learning_rate_init=0.05, max_iter=60, random_state=0).fit(X, y)
    assert sum(m.sum() for m in model.active_hidden_units_) < 18
    pruned = model.prune()
    assert all(W.dtype == np.float32 for W in pruned.coefs_ + pruned.intercepts_)
    assert_allclose(pruned.predict_proba(X), model.predict_proba(X), rtol=1e-5, atol=1e-6)
    assert_array_equal(pruned.predict(X), model.predict(X))


# ------------------------------------------------------------------ inputs and dtypes
def test_float32_kept_and_sparse_equals_dense(regression):
    X, y = regression
    model32 = MLPRegressor((5,), max_iter=5, random_state=0).fit(X.astype(np.float32), y)
    assert model32.coefs_[0].dtype == np.float32
    assert model32.predict(X.astype(np.float32)).dtype == np.float32
    model64 = MLPRegressor((5,), max_iter=5, random_state=0).fit(X, y)
    assert_allclose(model32.predict(X), model64.predict(X), rtol=1e-3, atol=1e-3)
    sparse = MLPRegressor((5,), penalty="l1", alpha=1e-2, max_iter=5, random_state=0)
    dense = MLPRegressor((5,), penalty="l1", alpha=1e-2, max_iter=5, random_state=0)
    assert_allclose(sparse.fit(sp.csr_matrix(X), y).predict(X), dense.fit(X, y).predict(X),
                    rtol=1e-10)


@pytest.mark.filterwarnings("ignore:Got `batch_size`:UserWarning")
def test_sample_weight_integer_equals_repeated_rows(regression):
    X, y = regression
    weights = np.random.RandomState(0).randint(0, 3, size=len(y))
    repeated = np.repeat(np.arange(len(y)), weights)
    params = dict(hidden_layer_sizes=(5,), penalty="l1", alpha=1e-2, batch_size=1000,
                  max_iter=20, random_state=0)
    weighted = MLPRegressor(**params).fit(X, y, sample_weight=weights)
    plain = MLPRegressor(**params).fit(X[repeated], y[repeated])
    assert_allclose(weighted.predict(X), plain.predict(X), rtol=1e-10)
    with pytest.raises(ValueError, match="non-zero|sum to zero"):
        MLPRegressor().fit(X, y, sample_weight=np.zeros(len(y)))


@pytest.mark.parametrize("first, later", [(np.float64, np.float32), (np.float32, np.float64)])
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_partial_fit_and_warm_start_keep_the_fitted_dtype(regression, first, later, solver):
    # as scikit-learn: the network keeps the dtype of its first fit; a later chunk of
    # another float dtype neither re-types the weights (silently halving or doubling their
    # precision) nor leaves the optimizer's moments in the other dtype
    X, y = regression
    model = MLPRegressor((5,), solver=solver, max_iter=3, warm_start=True, random_state=0)
    model.fit(X.astype(first), y)
    continue_ = model.fit if solver == "lbfgs" else model.partial_fit
    continue_(X.astype(later), y)
    assert all(W.dtype == first for W in model.coefs_ + model.intercepts_)
    assert model.predict(X.astype(later)).dtype == np.result_type(first, later)
    if solver != "lbfgs":
        assert all(value.dtype == first for value in model._optimizer_state.values()
                   if isinstance(value, np.ndarray))
    model.fit(X.astype(later), y)
    assert all(W.dtype == first for W in model.coefs_ + model.intercepts_)


@pytest.mark.parametrize("solver, penalty", [("sgd", "l1"), ("adam", "group"),
                                             ("sgd", "elasticnet"), ("lbfgs", "l2")])
def test_float32_every_kernel(regression, solver, penalty):
    X, y = regression
    X32 = X.astype(np.float32)
    model = MLPRegressor((6,), solver=solver, penalty=penalty, alpha=0.05, batch_size=20,
                         learning_rate_init=0.01, max_iter=20, random_state=0).fit(X32, y)
    assert all(W.dtype == np.float32 for W in model.coefs_ + model.intercepts_)
    reference = MLPRegressor((6,), solver=solver, penalty=penalty, alpha=0.05, batch_size=20,
                             learning_rate_init=0.01, max_iter=20, random_state=0).fit(X, y)
    assert_allclose(model.loss_, reference.loss_, rtol=1e-3)
    if penalty != "l2":
        assert model.sparsity_.max() > 0


def test_multioutput_regression_and_multilabel(classification):
    X, Y = make_regression(n_samples=60, n_features=4, n_targets=3, random_state=0)
    model = MLPRegressor((5,), solver="lbfgs", alpha=1e-3, max_iter=30, random_state=0)
    assert model.fit(X, Y).predict(X).shape == (60, 3)
    residual = model.predict(X) - Y
    W = np.concatenate([c.ravel() for c in model.coefs_])
    assert_allclose(model.loss_, 0.5 * np.mean(residual**2) + 0.5e-3 * W @ W, rtol=1e-12)
    X, Y = make_multilabel_classification(n_samples=60, n_features=5, random_state=0)
    clf = MLPClassifier((5,), penalty="l1", alpha=1e-3, max_iter=20, random_state=0).fit(X, Y)
    assert clf.predict(X).shape == Y.shape
    assert clf.out_activation_ == "logistic"


def test_bad_parameters(regression):
    X, y = regression
    with pytest.raises(ValueError):
        MLPRegressor(penalty="l3").fit(X, y)
    with pytest.raises(ValueError):
        MLPRegressor(hidden_layer_sizes=(3, 0)).fit(X, y)
    with pytest.raises(ValueError, match="layer sizes"):
        MLPRegressor((3,), warm_start=True, max_iter=2).fit(X, y).set_params(
            hidden_layer_sizes=(4,)).fit(X, y)
    with pytest.raises(ValueError):
        MLPRegressor().fit(np.full_like(X, np.nan), y)
    X_copy = X.copy()
    MLPRegressor((3,), max_iter=2).fit(X, y)
    assert_array_equal(X, X_copy)


def test_bad_parameters_and_targets_give_clear_errors(regression, classification):
    X, y = regression
    with pytest.raises(ValueError, match="positive integers"):
        MLPRegressor(hidden_layer_sizes=(3.5,)).fit(X, y)
    for index in range(2):  # the one weighted sample lands in one split or the other
        weights = np.zeros(len(y))
        weights[index] = 1.0
        with pytest.raises(ValueError, match="split sum to zero"):
            MLPRegressor((3,), early_stopping=True, validation_fraction=0.5,
                         random_state=0).fit(X, y, sample_weight=weights)
    model = MLPRegressor((3,), max_iter=2, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="NaN"):
        model.objective(X, np.full_like(y, np.nan))
    with pytest.raises(ValueError, match="outputs"):
        model.objective(X, np.c_[y, y])
    # a sparse y (accepted by the multi-output validation) is rejected as scikit-learn does,
    # not with an IndexError from reshaping a 0-d object array
    for fit_or_objective in (MLPRegressor((3,), max_iter=2).fit, model.objective):
        with pytest.raises(TypeError, match="Sparse data was passed for y"):
            fit_or_objective(X, sp.csr_matrix(y[:, None]))
    X, y = classification
    clf = MLPClassifier((3,), max_iter=2, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="not in classes_"):
        clf.objective(X, y + 10)
    # a column of labels is checked too (label_binarize maps unknown labels to all-zero
    # rows: the objective silently dropped their losses)
    with pytest.raises(ValueError, match="not in classes_"):
        clf.objective(X, (y + 10)[:, None])
    assert clf.objective(X, y[:, None]) == clf.objective(X, y)


@pytest.mark.parametrize("early_stopping_first", [False, True])
def test_warm_start_switching_early_stopping(regression, early_stopping_first):
    X, y = regression
    model = MLPRegressor((3,), max_iter=3, warm_start=True, early_stopping=early_stopping_first,
                         random_state=0).fit(X, y)
    model.set_params(early_stopping=not early_stopping_first).fit(X, y)
    assert len(model.loss_curve_) == 6
    if early_stopping_first:
        assert model.validation_scores_ is None
        assert model.best_loss_ == min(model.loss_curve_[3:])
    else:
        assert len(model.validation_scores_) == 3
        assert model.best_validation_score_ == max(model.validation_scores_)
        assert model.best_loss_ is None


def test_lbfgs_max_fun_limits_evaluations(regression):
    X, y = regression
    with pytest.warns(ConvergenceWarning):
        warnings.simplefilter("always", ConvergenceWarning)
        model = MLPRegressor((5,), solver="lbfgs", max_fun=8, max_iter=1000,
                             random_state=0).fit(X, y)
    assert 1 <= model.n_iter_ < 8


def test_verbose_prints(regression, capsys):
    MLPRegressor((3,), max_iter=2, verbose=True, random_state=0).fit(*regression)
    assert "Iteration 2, loss" in capsys.readouterr().out


@pytest.mark.parametrize("penalty", ["l1", "group"])
def test_proximal_adam_threshold_is_the_step_of_the_bias_corrected_gradient(regression, penalty):
    # three full-batch steps of proximal Adam from given weights, replayed in NumPy: the
    # threshold of weight j is alpha * lr / (sqrt(v_hat_j) + eps') (the step Adam gives the
    # gradient estimate m_hat), not lr_t / (sqrt(v_j) + eps) (the step of the biased m,
    # 1 / (1 - beta_1**t) times larger: 10x at the first step)
    X, y = regression
    alpha, lr, beta_1, beta_2, eps = 0.05, 0.01, 0.9, 0.999, 1e-8
    layout = make_layout([X.shape[1], 5, 1])
    coefs, intercepts = random_weights(layout.layer_units, seed=4)
    model = fitted_with_weights(
        MLPRegressor((5,), penalty=penalty, alpha=alpha, learning_rate_init=lr, beta_1=beta_1,
                     beta_2=beta_2, epsilon=eps, batch_size=len(y), shuffle=False,
                     warm_start=True, random_state=0), X, y, coefs, intercepts)
    model.set_params(max_iter=3).fit(X, y)
    flat = pack(coefs, intercepts, np.float64)
    grad = np.empty_like(flat)
    m, v = np.zeros_like(flat), np.zeros_like(flat)
    n_w = layout.n_penalized
    for t in range(1, 4):
        loss_gradient(X, y.reshape(-1, 1), None, *unpack(flat, layout), *unpack(grad, layout),
                      "relu", "identity", "squared")
        m = beta_1 * m + (1 - beta_1) * grad
        v = beta_2 * v + (1 - beta_2) * grad**2
        step = lr * np.sqrt(1 - beta_2**t) / (np.sqrt(v) + eps)  # multiplies m_hat
        flat = flat - step * m / (1 - beta_1**t)
        if penalty == "l1":
            threshold = alpha * step[:n_w]
            flat[:n_w] = np.sign(flat[:n_w]) * np.maximum(np.abs(flat[:n_w]) - threshold, 0)
        else:
            for a, b in zip(layout.group_ptr[:-1], layout.group_ptr[1:], strict=True):
                flat[a:b] = reference_group_prox(flat[a:b], step[a:b], alpha * np.sqrt(b - a))
    assert_allclose(pack(model.coefs_, model.intercepts_, np.float64), flat, rtol=1e-10,
                    atol=1e-14)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # overflows of the diverging network
@pytest.mark.parametrize("dtype, learning_rate_init, max_iter",
                         [(np.float64, 100.0, 5), (np.float32, 100.0, 3),
                          (np.float32, 1000.0, 3)])
def test_diverged_network_with_finite_weights_raises(regression, dtype, learning_rate_init,
                                                     max_iter):
    # SGD stopped by max_iter mid-divergence: weights still finite (up to 1e220) but the
    # outputs on the training data overflow; fit returned a network predicting inf / NaN
    X, y = regression
    model = MLPRegressor((5,), solver="sgd", learning_rate_init=learning_rate_init,
                         max_iter=max_iter, random_state=0)
    with pytest.raises(ValueError, match="not finite"):
        model.fit(X.astype(dtype), y)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # overflows of the diverging network
@pytest.mark.parametrize("dtype, learning_rate_init", [(np.float32, 1.0), (np.float64, 10.0)])
def test_poisson_diverged_network_with_overflowing_means_raises(dtype, learning_rate_init):
    # one SGD step from a finite loss: the logits stay finite (the check looked at them) but
    # their exp overflows: fit returned a network predicting inf on its own training data
    X, y = poisson_data()
    X = X.astype(dtype)
    model = MLPRegressor((5,), loss="poisson", solver="sgd", momentum=0.0,
                         learning_rate_init=learning_rate_init, batch_size=120, max_iter=1,
                         random_state=0)
    with pytest.raises(ValueError, match="not finite"):
        model.fit(X, 10 * y)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_diverged_classifier_with_saturated_outputs_raises():
    # finite weights up to 1e160 and finite (saturated) probabilities, but an infinite
    # objective (the penalty of the huge weights): a diverged fit, no longer silent
    rng = np.random.RandomState(0)
    X = rng.randn(80, 5)
    y = (X[:, 0] > 0).astype(int)
    model = MLPClassifier((10,), solver="sgd", learning_rate_init=1778.2794100389228,
                          max_iter=8, batch_size=10, random_state=0)
    with pytest.raises(ValueError, match="not finite"):
        model.fit(X, y)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_lbfgs_with_an_overflowing_objective_raises(regression):
    # alpha=1e300: L-BFGS-B's first steps overflow the penalty; the fit kept its initial
    # weights and returned loss_ = nan without a word
    with pytest.raises(ValueError, match="not finite|non-finite"):
        MLPRegressor((5,), solver="lbfgs", alpha=1e300, max_iter=3, random_state=0).fit(
            *regression)


def test_fit_failing_before_training_changes_nothing(regression, classification):
    # the early-stopping checks ran after the weights were drawn: a rejected partial_fit
    # left an unfitted model "fitted" with random weights, and a refit on too little data
    # replaced a fitted network by random weights
    X, y = regression
    model = MLPRegressor((5,), early_stopping=True, random_state=0)
    with pytest.raises(ValueError, match="early_stopping"):
        model.partial_fit(X, y)
    assert not hasattr(model, "n_features_in_")
    with pytest.raises(NotFittedError):
        model.predict(X)

    model = MLPRegressor((5,), max_iter=20, random_state=0).fit(X, y)
    before = model.predict(X)
    attributes = set(vars(model))
    with pytest.raises(ValueError, match="validation set is too small"):
        model.set_params(early_stopping=True).fit(X[:5, :3], y[:5])
    assert_array_equal(model.predict(X), before)
    assert set(vars(model)) == attributes and model.n_features_in_ == X.shape[1]

    X, y = classification
    model = MLPClassifier((5,), random_state=0)
    with pytest.raises(ValueError, match="NaN"):
        model.partial_fit(np.full_like(X, np.nan), y, classes=[0, 1, 2, 3])
    assert not hasattr(model, "classes_")
    model.partial_fit(X, y, classes=[0, 1, 2])  # the classes of the failed call are gone
    assert_array_equal(model.classes_, [0, 1, 2])


@pytest.mark.parametrize("validation_fraction, n_samples, Estimator",
                         [(0.0, 50, MLPRegressor), (0.1, 1, MLPRegressor),
                          (0.2, 4, MLPClassifier)])
def test_early_stopping_split_errors_name_validation_fraction(regression, classification,
                                                              validation_fraction, n_samples,
                                                              Estimator):
    # train_test_split's own messages ("test_size=0.0 should be ...") named a parameter
    # the estimator does not have
    X, y = classification if Estimator is MLPClassifier else regression
    model = Estimator((3,), early_stopping=True, validation_fraction=validation_fraction)
    with pytest.raises(ValueError, match="validation_fraction="):
        model.fit(X[:n_samples], (y % 2)[:n_samples] if Estimator is MLPClassifier
                  else y[:n_samples])


def test_objective_refuses_targets_that_fit_refuses(regression):
    """y of 1e39 overflows a float32 network's dtype: fit raises, objective() returned inf."""
    X, y = regression
    X32 = X.astype(np.float32)
    model = MLPRegressor((3,), solver="lbfgs", max_iter=5).fit(X32, y)
    huge = y * 1e39
    with pytest.raises(ValueError, match="y"):
        model.fit(X32, huge)
    with pytest.raises(ValueError, match="y"):
        MLPRegressor((3,), solver="lbfgs", max_iter=5).fit(X32, y).objective(X32, huge)
    with pytest.raises(ValueError, match="X"):
        model.objective(X32 * np.float32(1e30), y)
    assert np.isfinite(model.objective(X32, y))


def test_lbfgs_warns_when_it_ends_far_above_the_constant_prediction():
    """On unscaled inputs L-BFGS-B's relative-decrease stop (status 0, no warning) ended
    fits whose line searches stepped back from overflows at objectives of 2.7e7 (poisson,
    against 0.86 for the constant prediction) or 22 (classifier, 0 iterations, against
    0.69)."""
    rng = np.random.RandomState(0)
    X = rng.randn(200, 5)
    y = rng.poisson(np.exp(0.5 * X[:, 0])).astype(float)
    with pytest.warns(ConvergenceWarning, match="constant prediction"):
        MLPRegressor((5,), loss="poisson", solver="lbfgs", random_state=0).fit(100 * X, y)
    Xc, yc = make_classification(300, 5, random_state=0)
    with pytest.warns(ConvergenceWarning, match="constant prediction"):
        MLPClassifier((5,), solver="lbfgs", random_state=0).fit(1e5 * Xc, yc)
    with warnings.catch_warnings():  # fits that beat the constant prediction: no warning
        warnings.simplefilter("error", ConvergenceWarning)
        MLPRegressor((5,), loss="poisson", solver="lbfgs", max_iter=500,
                     random_state=0).fit(X, y)
        MLPRegressor((5,), solver="lbfgs", max_iter=500, random_state=0).fit(30 * X, y)
        MLPClassifier((5,), solver="lbfgs", max_iter=500, random_state=0).fit(Xc, yc)
        # a constant target: the constant prediction is the optimum, of loss zero
        MLPRegressor((5,), solver="lbfgs", max_iter=500, random_state=0).fit(X, np.ones(200))


@pytest.mark.parametrize("hidden", [(20,), (100,)])
@pytest.mark.parametrize("n_outputs", [1, 2])
def test_lbfgs_no_constant_prediction_warning_for_all_zero_counts(hidden, n_outputs):
    """All-zero Poisson counts: the constant prediction (0) is a limit no exp output reaches;
    L-BFGS-B converges (projected gradient below tol) with means of ~5e-5, but the weights
    the data no longer moves keep their L2 penalty (~1e-3): the objective was compared with
    the constant's 0 and the fit was said to have failed ("inputs may need scaling")."""
    rng = np.random.RandomState(0)
    X = rng.randn(300, 10)
    Y = np.zeros((300, n_outputs)).squeeze()
    model = MLPRegressor(hidden, loss="poisson", solver="lbfgs", random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model.fit(X, Y)
    assert model.n_iter_ < model.max_iter
    assert np.all(model.predict(X) < 1e-3)


def test_lbfgs_no_constant_prediction_warning_for_constant_labels():
    """A multilabel fit whose labels are all constant: as with zero counts, the constant
    prediction's loss (~0) is a limit, and the fit converges above it by its penalty."""
    rng = np.random.RandomState(0)
    X = rng.randn(100, 5)
    Y = np.column_stack([np.zeros(100), np.ones(100)]).astype(int)
    model = MLPClassifier((8,), solver="lbfgs", random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model.fit(X, Y)
    assert_array_equal(model.predict(X), Y)


def test_poisson_takes_numeric_strings_as_the_squared_error_does():
    """y of numeric strings: the squared error fitted it, the poisson check raised numpy's
    UFuncTypeError ('<' between strings and an int)."""
    X = np.random.RandomState(0).randn(40, 3)
    y = np.array(["1", "0", "3", "2"] * 10)
    model = MLPRegressor((3,), loss="poisson", solver="lbfgs", max_iter=5).fit(X, y)
    assert model.predict(X).shape == (40,)
    with pytest.raises(ValueError, match="non-negative targets"):
        MLPRegressor((3,), loss="poisson").fit(X, np.array(["1", "-2"] * 20))


@pytest.mark.parametrize("call", ["fit", "partial_fit", "objective"])
def test_too_large_poisson_targets_get_advice_that_keeps_them_counts(call):
    """Targets whose squares overflow: the advice "Rescale y (e.g. StandardScaler)" was
    given to loss='poisson' too, whose standardized targets are negative and refused."""
    rng = np.random.RandomState(0)
    X = rng.randn(40, 3)
    counts = rng.poisson(3.0, 40).astype(float)
    y = counts * 1e160
    model = MLPRegressor((3,), loss="poisson", solver="lbfgs", max_iter=5, random_state=0)
    if call == "objective":
        model.fit(X, counts)
    with pytest.raises(ValueError, match="overflow") as info:
        if call == "objective":
            model.objective(X, y)
        elif call == "partial_fit":
            MLPRegressor((3,), loss="poisson", max_iter=5).partial_fit(X, y)
        else:
            model.fit(X, y)
    message = str(info.value)
    assert "StandardScaler" not in message
    assert "positive constant" in message
    # the advice works: y divided by a positive constant fits
    MLPRegressor((3,), loss="poisson", solver="lbfgs", max_iter=5).fit(X, y / 1e160)
    with pytest.raises(ValueError, match="non-negative"):  # what StandardScaler led to
        from sklearn.preprocessing import StandardScaler
        scaled = StandardScaler().fit_transform(y.reshape(-1, 1) / 1e160).ravel()
        MLPRegressor((3,), loss="poisson", max_iter=5).fit(X, scaled)
    # the squared error keeps its advice
    with pytest.raises(ValueError, match="StandardScaler"):
        MLPRegressor((3,), max_iter=5).fit(X, y)
