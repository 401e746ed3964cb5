"""Progress output: silent by default, one line per alpha / path / epoch when verbose, tqdm bars."""

import sys

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import make_classification, make_regression

from sklreg import (
    LinearClassifierCV,
    LinearRegressorCV,
    MLPClassifier,
    MLPRegressor,
    regularization_path,
)

# training runs are kept short: their ConvergenceWarnings are expected
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def regression():
    X, y = make_regression(n_samples=80, n_features=12, n_informative=4, random_state=0)
    return X, y / y.std()


@pytest.fixture(scope="module")
def classification():
    return make_classification(n_samples=90, n_features=8, n_classes=3, n_informative=4,
                               random_state=0)


def test_path_silent_by_default_one_line_per_alpha_when_verbose(regression, capsys):
    X, y = regression
    quiet = regularization_path(X, y, n_alphas=6)
    assert capsys.readouterr() == ("", "")
    loud = regularization_path(X, y, n_alphas=6, verbose=1)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 6
    assert lines[0].startswith("[regularization_path] alpha 1/6 = ")
    assert lines[-1].endswith(f"{np.count_nonzero(loud.coefs[:, -1])} non-zero")
    for quiet_array, loud_array in zip(quiet, loud, strict=True):
        assert_array_equal(quiet_array, loud_array)


def test_path_progress_bar_on_stderr(regression, capsys):
    X, y = regression
    path = regularization_path(X, y, n_alphas=5, progress_bar=True)
    out, err = capsys.readouterr()
    assert out == ""
    assert "regularization_path" in err and "/5" in err
    assert_array_equal(path.coefs, regularization_path(X, y, n_alphas=5).coefs)


@pytest.mark.parametrize("n_jobs", [None, 2])
def test_regressor_cv_lines_and_bar(regression, capsys, n_jobs):
    X, y = regression
    params = dict(penalty="elasticnet", l1_ratio=[0.3, 0.9], alphas=5, cv=3, n_jobs=n_jobs)
    quiet = LinearRegressorCV(**params).fit(X, y)
    assert capsys.readouterr() == ("", "")
    loud = LinearRegressorCV(**params, verbose=1, progress_bar=True).fit(X, y)
    out, err = capsys.readouterr()
    assert out.count("[LinearRegressorCV] l1_ratio=") == 6
    assert "l1_ratio=0.3 fold 3/3" in out and "l1_ratio=0.9 fold 1/3" in out
    assert "LinearRegressorCV" in err and "/6" in err
    assert_array_equal(quiet.mse_path_, loud.mse_path_)


def test_classifier_cv_lines_and_bar(classification, capsys):
    X, y = classification
    params = dict(penalty="l1", alphas=4, cv=3)
    quiet = LinearClassifierCV(**params).fit(X, y)
    assert capsys.readouterr() == ("", "")
    loud = LinearClassifierCV(**params, verbose=1, progress_bar=True).fit(X, y)
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert len(lines) == 3 and all(line.startswith("[LinearClassifierCV] l1_ratio=1 fold ")
                                   for line in lines)
    assert "LinearClassifierCV" in err and "/3" in err
    assert_array_equal(quiet.scores_, loud.scores_)
    assert_array_equal(quiet.coef_, loud.coef_)


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_mlp_silent_by_default_one_line_per_epoch_when_verbose(regression, capsys, solver):
    X, y = regression
    params = dict(hidden_layer_sizes=(4,), solver=solver, max_iter=4, random_state=0)
    quiet = MLPRegressor(**params).fit(X, y)
    assert capsys.readouterr() == ("", "")
    loud = MLPRegressor(**params, verbose=True, progress_bar=True).fit(X, y)
    out, err = capsys.readouterr()
    epochs = [line for line in out.splitlines() if line.startswith("Iteration ")]
    assert len(epochs) == len(loud.loss_curve_) > 0
    assert "MLPRegressor" in err and "epoch" in err
    assert_array_equal(quiet.coefs_[0], loud.coefs_[0])


def test_mlp_partial_fit_progress(classification, capsys):
    X, y = classification
    model = MLPClassifier((4,), verbose=True, progress_bar=True, random_state=0)
    model.partial_fit(X, y, classes=np.unique(y)).partial_fit(X, y)
    out, err = capsys.readouterr()
    assert out.splitlines()[-1].startswith("Iteration 1, loss = ")
    assert err.count("MLPClassifier") >= 2


@pytest.mark.parametrize("run", [
    lambda X, y: regularization_path(X, y, n_alphas=3, progress_bar=True),
    lambda X, y: LinearRegressorCV(alphas=3, cv=2, progress_bar=True).fit(X, y),
    lambda X, y: MLPRegressor((3,), max_iter=2, progress_bar=True).fit(X, y),
    lambda X, y: LinearClassifierCV(alphas=3, cv=2, progress_bar=True).fit(X, y > 0),
])
def test_progress_bar_without_tqdm_is_a_clear_error(regression, monkeypatch, run):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # as if not installed
    with pytest.raises(ImportError, match="progress_bar=True needs the tqdm package"):
        run(*regression)


def test_without_tqdm_verbose_runs_need_no_bar(regression, monkeypatch, capsys):
    """tqdm is optional: without it, every estimator still fits and prints its lines."""
    monkeypatch.setitem(sys.modules, "tqdm", None)
    X, y = regression
    regularization_path(X, y, n_alphas=3, verbose=1)
    LinearRegressorCV(alphas=3, cv=2, verbose=1).fit(X, y)
    LinearClassifierCV(alphas=3, cv=2, verbose=1).fit(X, y > 0)
    MLPRegressor((3,), max_iter=2, verbose=True).fit(X, y)
    out, err = capsys.readouterr()
    for name in ("[regularization_path]", "[LinearRegressorCV]", "[LinearClassifierCV]",
                 "Iteration 1"):
        assert name in out
    assert err == ""


def test_mlp_without_tqdm_fails_before_training(regression, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    model = MLPRegressor((3,), max_iter=2, progress_bar=True)
    with pytest.raises(ImportError, match="pip install tqdm"):
        model.partial_fit(*regression)
    assert not hasattr(model, "coefs_")


def test_mlp_lbfgs_verbose_says_why_training_stopped(regression, capsys):
    """verbose promises the reason training stopped; 'lbfgs' printed only its losses (the
    stochastic solvers name the stall that stops them)."""
    X, y = regression
    params = dict(hidden_layer_sizes=(4,), solver="lbfgs", random_state=0, verbose=True)
    MLPRegressor(**params, max_iter=3).fit(X, y)
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith("L-BFGS stopped after 3 iterations") and "LIMIT" in last
    MLPRegressor(**params, max_iter=5000, tol=1e-2).fit(X, y)
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith("L-BFGS stopped after") and "CONVERGENCE" in last
