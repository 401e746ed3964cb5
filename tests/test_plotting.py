"""sklreg.plotting draws the fitted numbers it is given, on the Agg backend."""

import builtins
import importlib
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from sklreg import (
    LinearClassifierCV,
    LinearRegressor,
    LinearRegressorCV,
    MLPRegressor,
    regularization_path,
)

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
plt = pytest.importorskip("matplotlib.pyplot")

from sklreg import plotting  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def regression_data():
    return make_regression(n_samples=60, n_features=6, n_informative=3, noise=1.0,
                           random_state=0)


@pytest.fixture(scope="module")
def sparse_mlp():
    X, y = make_regression(n_samples=80, n_features=5, n_informative=2, random_state=0)
    mlp = MLPRegressor((7, 4), penalty="l1", alpha=0.003, solver="adam", learning_rate_init=0.05,
                       max_iter=200, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(X / X.std(axis=0), y / y.std())
    return mlp


def test_regularization_path_lines_are_the_coefficients(regression_data):
    X, y = regression_data
    path = regularization_path(X, y, penalty="l1", n_alphas=20)
    ax = plotting.plot_regularization_path(path)
    lines = ax.get_lines()[: X.shape[1]]
    assert len([line for line in ax.get_lines() if len(line.get_xdata()) == 20]) == X.shape[1]
    for line, coef in zip(lines, path.coefs, strict=True):
        np.testing.assert_array_equal(line.get_xdata(), path.alphas)
        np.testing.assert_array_equal(line.get_ydata(), coef)
    assert ax.get_xscale() == "log"
    assert ax.xaxis_inverted()


def test_regularization_path_from_arrays_and_targets(regression_data):
    X, y = regression_data
    Y = np.column_stack([y, -2 * y])
    path = regularization_path(X, Y, penalty="elasticnet", n_alphas=10)
    ax = plotting.plot_regularization_path((path.alphas, path.coefs), target=1,
                                           feature_names=[f"x{j}" for j in range(6)])
    for line, coef in zip(ax.get_lines()[:6], path.coefs[1], strict=True):
        np.testing.assert_array_equal(line.get_ydata(), coef)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [f"x{j}" for j in range(6)]
    with pytest.raises(ValueError, match="target"):
        plotting.plot_regularization_path(path)
    with pytest.raises(ValueError, match="shape"):
        plotting.plot_regularization_path((path.alphas[:3], path.coefs[0]))
    with pytest.raises(ValueError, match="feature_names"):
        plotting.plot_regularization_path(path, target=0, feature_names=["a"])


def test_regularization_path_target_out_of_range_is_an_error(regression_data):
    """A target beyond the path's was a raw IndexError (several targets) or ignored (one)."""
    X, y = regression_data
    two = regularization_path(X, np.column_stack([y, -y]), penalty="l1", n_alphas=5)
    one = regularization_path(X, y, penalty="l1", n_alphas=5)
    for path, target in ((two, 2), (two, -3), (one, 3), (one, 1)):
        with pytest.raises(ValueError, match=f"target={target}"):
            plotting.plot_regularization_path(path, target=target)
    lines = plotting.plot_regularization_path(one, target=0).get_lines()
    np.testing.assert_array_equal(lines[0].get_ydata(), one.coefs[0])


def test_regularization_path_of_one_target_in_a_column(regression_data):
    """y of shape (n_samples, 1) gives coefs of shape (1, n_features, n_alphas): one target,
    which needed target=0 ("The path has 1 targets: choose one")."""
    X, y = regression_data
    path = regularization_path(X, y[:, None], penalty="l1", n_alphas=5)
    assert path.coefs.shape == (1, X.shape[1], 5)
    for target in (None, 0, -1):
        lines = plotting.plot_regularization_path(path, target=target).get_lines()
        for line, coef in zip(lines[: X.shape[1]], path.coefs[0], strict=True):
            np.testing.assert_array_equal(line.get_ydata(), coef)
    with pytest.raises(ValueError, match="target=1"):
        plotting.plot_regularization_path(path, target=1)


@pytest.mark.parametrize("target", [1.0, "1", True])
def test_regularization_path_target_must_be_an_integer(regression_data, target):
    """A float target was a raw IndexError from NumPy, a string a TypeError on '<='."""
    X, y = regression_data
    path = regularization_path(X, np.column_stack([y, -y]), penalty="l1", n_alphas=5)
    with pytest.raises(TypeError, match="target must be an integer"):
        plotting.plot_regularization_path(path, target=target)


@pytest.mark.parametrize("not_a_path", ["fitted", "class", None])
def test_regularization_path_rejects_other_objects(regression_data, not_a_path):
    """An estimator (or None) gave "object is not iterable"; a string a shape error."""
    X, y = regression_data
    given = {"fitted": LinearRegressor().fit(X, y), "class": LinearRegressor,
             None: None}[not_a_path]
    with pytest.raises(TypeError, match="regularization_path"):
        plotting.plot_regularization_path(given)


def test_regularization_path_draws_on_given_axes(regression_data):
    X, y = regression_data
    fig, (left, right) = plt.subplots(1, 2)
    returned = plotting.plot_regularization_path(regularization_path(X, y, n_alphas=5), ax=right)
    assert returned is right
    assert len(left.get_lines()) == 0


def test_cv_curve_regressor_is_the_mean_mse(regression_data):
    X, y = regression_data
    cv = LinearRegressorCV(penalty="l1", alphas=15, cv=3).fit(X, y)
    ax = plotting.plot_cv_curve(cv)
    mean_line = ax.get_lines()[0]
    np.testing.assert_array_equal(mean_line.get_xdata(), cv.alphas_)
    np.testing.assert_allclose(mean_line.get_ydata(), cv.mse_path_.mean(axis=1))
    vertical = ax.get_lines()[1]
    assert np.all(np.asarray(vertical.get_xdata()) == cv.alpha_)
    assert "squared error" in ax.get_ylabel()


def test_cv_curve_one_line_per_l1_ratio(regression_data):
    X, y = regression_data
    cv = LinearRegressorCV(penalty="elasticnet", l1_ratio=[0.2, 0.9], alphas=8, cv=3).fit(X, y)
    ax = plotting.plot_cv_curve(cv)
    for line, grid in zip(ax.get_lines()[:2], cv.mse_path_, strict=True):
        np.testing.assert_allclose(line.get_ydata(), grid.mean(axis=1))
    # the selected l1_ratio_ is named, and its curve marked at alpha_ (it was not)
    best = int(np.flatnonzero(np.array([0.2, 0.9]) == cv.l1_ratio_)[0])
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels[best].endswith("(selected)") and not labels[1 - best].endswith("(selected)")
    assert f"l1_ratio_={cv.l1_ratio_:g}" in labels[2]
    point = ax.get_lines()[3]
    selected_mean = cv.mse_path_[best].mean(axis=1)[cv.alphas_[best] == cv.alpha_]
    np.testing.assert_allclose(point.get_ydata(), selected_mean)
    np.testing.assert_array_equal(point.get_xdata(), [cv.alpha_])


def test_cv_curve_classifier_scores():
    X, y = make_classification(n_samples=80, n_features=5, random_state=0)
    cv = LinearClassifierCV(penalty="l1", alphas=6, cv=3).fit(X, y)
    ax = plotting.plot_cv_curve(cv)
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), cv.scores_.mean(axis=1))
    assert "score" in ax.get_ylabel()


def test_cv_curve_errors(regression_data):
    X, y = regression_data
    with pytest.raises(NotFittedError):
        plotting.plot_cv_curve(LinearRegressorCV())
    with pytest.raises(TypeError, match="LinearRegressorCV"):
        plotting.plot_cv_curve(LinearRegressor().fit(X, y))


def test_weight_heatmap_is_the_weights_with_zeros_masked(sparse_mlp):
    W = sparse_mlp.coefs_[1]
    assert np.any(W == 0) and np.any(W != 0)  # the fixture must exercise both
    ax = plotting.plot_weight_heatmap(sparse_mlp, layer=1)
    shown = ax.images[0].get_array()
    np.testing.assert_array_equal(shown.data, W)
    np.testing.assert_array_equal(np.ma.getmaskarray(shown), W == 0)
    low, high = ax.images[0].get_clim()
    assert low == -high == -np.abs(W).max()
    assert len(ax.figure.axes) == 2  # the colour bar
    ax = plotting.plot_weight_heatmap(sparse_mlp, layer=-1, colorbar=False)
    np.testing.assert_array_equal(ax.images[0].get_array().data, sparse_mlp.coefs_[-1])


def test_weight_heatmap_errors(sparse_mlp):
    with pytest.raises(IndexError, match="out of range"):
        plotting.plot_weight_heatmap(sparse_mlp, layer=len(sparse_mlp.coefs_))
    with pytest.raises(IndexError, match="out of range"):
        plotting.plot_weight_heatmap(sparse_mlp, layer=-len(sparse_mlp.coefs_) - 1)
    with pytest.raises(NotFittedError):
        plotting.plot_weight_heatmap(MLPRegressor())


@pytest.mark.parametrize("layer", [1.0, "1", True])
def test_weight_heatmap_layer_must_be_an_integer(sparse_mlp, layer):
    """A float layer was a raw 'list indices must be integers', a string a TypeError on
    '<='."""
    with pytest.raises(TypeError, match="layer must be an integer"):
        plotting.plot_weight_heatmap(sparse_mlp, layer=layer)


@pytest.mark.parametrize("plot", [plotting.plot_cv_curve, plotting.plot_weight_heatmap,
                                  plotting.plot_layer_sparsity])
def test_plots_reject_an_estimator_class(plot):
    """An estimator class (not an instance) failed in get_params: "missing 1 required
    positional argument: 'self'"."""
    for Estimator in (LinearRegressorCV, MLPRegressor):
        with pytest.raises(TypeError, match="an instance"):
            plot(Estimator)


@pytest.mark.parametrize("plot", [plotting.plot_weight_heatmap, plotting.plot_layer_sparsity])
def test_network_plots_reject_other_estimators(plot, regression_data):
    # a fitted linear model was reported as "not fitted yet"
    X, y = regression_data
    for estimator in (LinearRegressor().fit(X, y), LinearRegressor(), "a string"):
        with pytest.raises(TypeError, match="MLPRegressor or MLPClassifier"):
            plot(estimator)


def test_layer_sparsity_bars(sparse_mlp):
    ax = plotting.plot_layer_sparsity(sparse_mlp)
    heights = [bar.get_height() for bar in ax.patches]
    np.testing.assert_allclose(heights, sparse_mlp.sparsity_)
    assert len(heights) == len(sparse_mlp.coefs_)
    with pytest.raises(NotFittedError):
        plotting.plot_layer_sparsity(MLPRegressor())


def test_no_show_called(monkeypatch, regression_data, sparse_mlp):
    def fail(*args, **kwargs):
        raise AssertionError("plt.show() must not be called")

    monkeypatch.setattr(plt, "show", fail)
    X, y = regression_data
    plotting.plot_regularization_path(regularization_path(X, y, n_alphas=5))
    plotting.plot_weight_heatmap(sparse_mlp)
    plotting.plot_layer_sparsity(sparse_mlp)


def test_missing_matplotlib_names_the_extra(monkeypatch, sparse_mlp):
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    module = importlib.reload(plotting)  # importing sklreg.plotting itself needs no matplotlib
    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(ImportError, match=r"pip install 'sklreg\[plotting\]'"):
        module.plot_layer_sparsity(sparse_mlp)


def _shown_x(ax, x):
    """Whether the abscissa ``x`` falls inside the axes' view (in display coordinates)."""
    low, high = sorted(ax.get_xlim())
    transform = ax.xaxis.get_transform()
    points = transform.transform(np.array([low, x, high], dtype=float))
    return bool(np.all(np.isfinite(points)) and points.min() == points[0]
                and points.max() == points[2])


def test_alpha_zero_is_drawn(regression_data):
    """A grid ending at alpha=0 (the unpenalized fit) lost that point on the log axis, and
    with it the curve's minimum and the line of the selected alpha_=0."""
    X, y = regression_data
    path = regularization_path(X, y, penalty="l1", alphas=[1.0, 0.1, 0.0])
    ax = plotting.plot_regularization_path(path)
    assert _shown_x(ax, 0.0) and _shown_x(ax, 1.0)
    assert ax.xaxis_inverted()
    X, y = make_regression(n_samples=60, n_features=6, n_informative=3, random_state=0)
    cv = LinearRegressorCV(penalty="l1", alphas=[1.0, 0.1, 0.0], cv=3).fit(X, y)
    assert cv.alpha_ == 0.0  # noiseless data: no penalty is best
    ax = plotting.plot_cv_curve(cv)
    assert _shown_x(ax, cv.alpha_) and _shown_x(ax, 1.0)
    assert ax.xaxis_inverted()
    ax = plotting.plot_regularization_path(([0.0], np.ones((2, 1))))
    assert _shown_x(ax, 0.0)


def test_plots_of_a_pipeline_are_those_of_its_final_step(regression_data):
    """The user guide's make_pipeline(StandardScaler(), LinearRegressorCV(...)) was
    rejected ("Expected a LinearRegressorCV or LinearClassifierCV, got Pipeline")."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = regression_data
    model = make_pipeline(StandardScaler(), LinearRegressorCV(penalty="l1", alphas=6, cv=3))
    with pytest.raises(NotFittedError):
        plotting.plot_cv_curve(model)
    model.fit(X, y)
    ax = plotting.plot_cv_curve(model)
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), model[-1].mse_path_.mean(axis=1))
    network = make_pipeline(StandardScaler(), MLPRegressor((4,), max_iter=20, random_state=0))
    with pytest.raises(NotFittedError):
        plotting.plot_layer_sparsity(network)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        network.fit(X, y / y.std())
    ax = plotting.plot_weight_heatmap(network, layer=1)
    np.testing.assert_array_equal(ax.images[0].get_array().data, network[-1].coefs_[1])
    ax = plotting.plot_layer_sparsity(network)
    np.testing.assert_allclose([bar.get_height() for bar in ax.patches],
                               network[-1].sparsity_)
    with pytest.raises(TypeError, match="LinearRegressorCV or LinearClassifierCV"):
        plotting.plot_cv_curve(make_pipeline(StandardScaler(), LinearRegressor()).fit(X, y))


def test_cv_curve_l1_ratio_labels_from_any_accepted_list(regression_data):
    """The labels came from the l1_ratio parameter as given: a nested list ([[0.3, 0.7]])
    or numeric strings, which fit accepts, crashed on formatting; with a repeated value
    both curves were "(selected)" and the legend named l1_ratio_ twice."""
    X, y = regression_data
    for l1_ratio in ([[0.3, 0.7]], ["0.3", "0.7"], [0.5, 0.5]):
        cv = LinearRegressorCV(penalty="elasticnet", l1_ratio=l1_ratio, alphas=4, cv=3)
        cv.fit(X, y)
        ratios = np.ravel(np.asarray(l1_ratio, dtype=float))
        labels = [line.get_label() for line in plotting.plot_cv_curve(cv).get_lines()]
        best = int(np.flatnonzero(ratios == cv.l1_ratio_)[0])
        assert labels[:2] == [f"l1_ratio={r:g}" + (" (selected)" if i == best else "")
                              for i, r in enumerate(ratios)]
        assert labels[2] == f"alpha_={cv.alpha_:.3g}, l1_ratio_={cv.l1_ratio_:g}"
        plt.close("all")


def test_cv_curve_of_a_changed_l1_ratio_is_a_clear_error(regression_data):
    """set_params(l1_ratio=...) after fit: the curves were labelled with the new values, or
    the plot failed with UnboundLocalError ('selected_point') or a zip() length error."""
    X, y = regression_data
    cv = LinearRegressorCV(penalty="elasticnet", l1_ratio=[0.3, 0.7], alphas=4, cv=3)
    cv.fit(X, y)
    for changed in ([0.1, 0.2], 0.5, [0.3, 0.7, 0.9]):
        cv.set_params(l1_ratio=changed)
        with pytest.raises(ValueError, match="fit again"):
            plotting.plot_cv_curve(cv)


def test_sparsity_percentages_are_not_rounded_to_none_or_all(regression_data):
    """One zero among 1200 weights was labelled "0% exact zeros", and one weight left of
    1200 "100%" (a layer of zeros: a constant network), in the heat map's title and on the
    sparsity bars."""
    X, y = regression_data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp = MLPRegressor((200,), max_iter=2, random_state=0).fit(X, y / y.std())
    few, most = np.ones((6, 200)), np.zeros((200, 1))
    few[0, 0], most[0, 0] = 0.0, 1.0
    mlp.coefs_ = [few, most]
    titles = [plotting.plot_weight_heatmap(mlp, layer).get_title() for layer in (0, 1)]
    bars = [text.get_text() for text in plotting.plot_layer_sparsity(mlp).texts]
    for shown in (titles, bars):
        assert "0%" not in shown[0].split() and "100%" not in shown[1].split(), shown
    assert titles[0] == "weights of layer 0 (<1% exact zeros)"
    assert titles[1] == "weights of layer 1 (>99% exact zeros)"
    mlp.coefs_ = [np.ones((6, 200)), np.zeros((200, 1))]
    assert [text.get_text() for text in plotting.plot_layer_sparsity(mlp).texts] == [
        "0%", "100%"]


def test_cv_curve_of_a_fitted_estimator_without_a_cv_curve_is_a_type_error(regression_data):
    """A fitted RidgeCV (whose parameters have ``cv`` and ``alphas`` too, but which keeps
    no ``alphas_`` grid nor held-out errors) was called "not fitted yet"."""
    from sklearn.linear_model import RidgeCV

    X, y = regression_data
    with pytest.raises(NotFittedError):
        plotting.plot_cv_curve(RidgeCV(alphas=[0.1, 1.0]))
    with pytest.raises(TypeError, match="got a fitted RidgeCV without"):
        plotting.plot_cv_curve(RidgeCV(alphas=[0.1, 1.0]).fit(X, y))
