"""Bad input, for every public estimator and function: a clear early error or a correct answer.

Each case below is run on every entry of ``tests/_registry.py`` (estimators in small
configurations, ``regularization_path`` through a thin estimator). A case either asserts the
exception type and a fragment of its message, or asserts the answer is correct (equal to the
answer on clean input, exact zeros where they must be, interpolation, finite predictions);
every fit must honour ``max_iter`` and raise no floating-point overflow or invalid operation
in NumPy code (``np.errstate(over='raise', invalid='raise', divide='raise')``). A case that
does not apply to an entry (a classifier's labels for a regressor) is skipped. The counts per
estimator are in ``tests/BAD_INPUT.md`` (``PYTHONPATH=.:tests python tests/test_bad_input.py``
prints them).
"""

import tempfile
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from _registry import ENTRIES, make_problem, max_iter_of, n_iter_of
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import InvalidParameterError

ERROR, CORRECT = "clear error", "correct answer"
CASES = {}


def case(function):
    CASES[function.__name__] = function
    return function


def fit(entry, X, y, sample_weight=None, **params):
    """Fit a fresh estimator of ``entry``; check ``max_iter`` and finite predictions."""
    estimator = entry.make(**params)
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("ignore", ConvergenceWarning)
        if sample_weight is None:
            estimator.fit(X, y)
        else:
            estimator.fit(X, y, sample_weight=sample_weight)
        predictions = estimator.predict(X)
    max_iter = max_iter_of(estimator)
    if max_iter is not None and hasattr(estimator, "n_iter_"):
        assert n_iter_of(estimator) <= max_iter
    if entry.target == "continuous":
        assert np.all(np.isfinite(predictions))
    else:
        assert set(np.unique(predictions)) <= set(np.unique(y))
    return estimator


def raises(entry, exception, match, X, y, sample_weight=None, **params):
    with pytest.raises(exception, match=match):
        fit(entry, X, y, sample_weight, **params)
    return ERROR


def same_answer(entry, X_variant, y_variant=None, sample_weight=None, rtol=1e-10):
    """The fit on a variant of the clean input predicts as the fit on the clean input."""
    X, y = make_problem(entry.target)
    y_variant = y if y_variant is None else y_variant
    reference = fit(entry, X, y).predict(X)
    estimator = fit(entry, X_variant, y_variant, sample_weight)
    predictions = estimator.predict(X)
    if entry.target == "classes":
        assert np.mean(predictions == reference) >= 0.9
    else:
        assert_allclose(predictions, reference, rtol=rtol, atol=rtol * np.abs(reference).max())
    return CORRECT


def not_applicable(reason):
    pytest.skip(reason)


# ------------------------------------------------------------------ non-finite values
@case
def nan_in_X(entry):
    X, y = make_problem(entry.target)
    X[1, 1] = np.nan
    return raises(entry, ValueError, "NaN", X, y)


@case
def inf_in_X(entry):
    X, y = make_problem(entry.target)
    X[1, 1] = -np.inf
    return raises(entry, ValueError, "infinity", X, y)


@case
def nan_in_sparse_X(entry):
    X, y = make_problem(entry.target)
    X[1, 1] = np.nan
    return raises(entry, ValueError, "NaN", sp.csr_matrix(X), y)


@case
def nan_in_y(entry):
    X, y = make_problem(entry.target)
    y = y.astype(np.float64)
    y[2] = np.nan
    return raises(entry, ValueError, "NaN", X, y)


@case
def inf_in_y(entry):
    X, y = make_problem(entry.target)
    y = y.astype(np.float64)
    y[2] = np.inf
    return raises(entry, ValueError, "infinity", X, y)


@case
def none_in_object_y(entry):
    """A missing value as None in an object target: scikit-learn's validation checks an
    object array for NaN (which None is not) before converting it to float, where None
    becomes NaN. LinearRegressor fitted all-zero coefficients and a NaN intercept, the MLP
    regressors failed after training ("non-finite parameter weights")."""
    if entry.target == "classes":
        not_applicable("None is a label for a classifier (scikit-learn's label errors)")
    X, y = make_problem(entry.target)
    y = y.astype(object)
    y[2] = None
    return raises(entry, ValueError, "NaN", X, y)


@case
def nan_in_sample_weight(entry):
    X, y = make_problem(entry.target)
    sample_weight = np.ones(len(y))
    sample_weight[0] = np.nan
    return raises(entry, ValueError, "NaN", X, y, sample_weight)


@case
def nan_at_predict(entry):
    if not entry.validates_predict:
        not_applicable("a function: nothing to predict with")
    X, y = make_problem(entry.target)
    estimator = fit(entry, X, y)
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        estimator.predict(X)
    return ERROR


# ------------------------------------------------------------------ shapes
@case
def no_samples(entry):
    X, y = make_problem(entry.target)
    return raises(entry, ValueError, "0 sample", X[:0], y[:0])


@case
def no_features(entry):
    X, y = make_problem(entry.target)
    return raises(entry, ValueError, "0 feature", X[:, :0], y)


@case
def three_dimensional_X(entry):
    X, y = make_problem(entry.target)
    return raises(entry, ValueError, "dim 3", X[:, :, None], y)


@case
def mismatched_lengths(entry):
    X, y = make_problem(entry.target)
    return raises(entry, ValueError, "inconsistent numbers of samples", X, y[:-1])


@case
def wrong_features_at_predict(entry):
    if not entry.validates_predict:
        not_applicable("a function: nothing to predict with")
    X, y = make_problem(entry.target)
    estimator = fit(entry, X, y)
    with pytest.raises(ValueError, match="features"):
        estimator.predict(X[:, :-1])
    return ERROR


@case
def one_sample(entry):
    X, y = make_problem(entry.target)
    if entry.target == "classes":
        return raises(entry, ValueError, "at least 2 classes", X[:1], y[:1])
    if entry.name == "LinearRegressorCV":
        return raises(entry, ValueError, "n_splits", X[:1], y[:1])
    estimator = fit(entry, X[:1], y[:1])
    if entry.linear:  # the intercept fits the sample exactly, w = 0 is optimal
        assert_array_equal(estimator.coef_, 0.0)
        assert_allclose(estimator.predict(X[:1]), y[:1], rtol=1e-12)
    return CORRECT


@case
def one_feature(entry):
    X, y = make_problem(entry.target)
    estimator = fit(entry, X[:, :1], y)
    if entry.linear:
        assert np.shape(estimator.coef_)[-1] == 1
    return CORRECT


# ------------------------------------------------------------------ degenerate values
def _special_column(entry, value):
    X, y = make_problem(entry.target)
    X[:, 2] = value
    estimator = fit(entry, X, y)
    if entry.linear:  # a column constant after centering can only get a zero coefficient
        coef = np.asarray(estimator.coef_)
        assert np.abs(coef[..., 2]).max() <= 1e-12 * np.abs(coef).max()
    return CORRECT


@case
def constant_column(entry):
    return _special_column(entry, 3.0)


@case
def all_zero_column(entry):
    return _special_column(entry, 0.0)


@case
def all_zero_X(entry):
    X, y = make_problem(entry.target)
    estimator = fit(entry, np.zeros_like(X), y)
    if entry.linear:
        assert_array_equal(estimator.coef_, 0.0)
    if entry.linear and entry.target == "continuous":
        assert_allclose(estimator.predict(X), y.mean(), rtol=1e-12)
    return CORRECT


@case
def all_zero_sparse_X(entry):
    X, y = make_problem(entry.target)
    estimator = fit(entry, sp.csr_matrix(X.shape), y)
    if entry.linear:
        assert_array_equal(estimator.coef_, 0.0)
    return CORRECT


@case
def all_equal_y(entry):
    X, _ = make_problem(entry.target)
    y = np.full(X.shape[0], 2)
    if entry.target == "classes":
        return raises(entry, ValueError, "at least 2 classes", X, y)
    estimator = fit(entry, X, y.astype(np.float64))
    if entry.linear:
        assert_array_equal(estimator.coef_, 0.0)
        assert_allclose(estimator.predict(X), 2.0, rtol=1e-12)
    return CORRECT


@case
def huge_X(entry):
    X, y = make_problem(entry.target)
    return raises(entry, ValueError, "overflow", X * 1e300, y)


@case
def huge_y(entry):
    if entry.target == "classes":
        not_applicable("labels are not magnitudes")
    X, y = make_problem(entry.target)
    return raises(entry, ValueError, "overflow", X, y * 1e300)


@case
def tiny_X(entry):
    X, y = make_problem(entry.target)
    if entry.linear:  # squared column norms underflow: would act as all-zero columns
        return raises(entry, ValueError, "underflow", X * 1e-300, y)
    fit(entry, X * 1e-300, y)
    return CORRECT


@case
def tiny_y(entry):
    if entry.target == "classes":
        not_applicable("labels are not magnitudes")
    X, y = make_problem(entry.target)
    if entry.linear:
        return raises(entry, ValueError, "underflow", X, y * 1e-300)
    fit(entry, X, y * 1e-300)
    return CORRECT


# ------------------------------------------------------------------ parameters
def _set_alpha(entry, value):
    """Parameters giving the entry this single ``alpha``."""
    params = entry.make().get_params()
    return {"alpha": value} if "alpha" in params else {"alphas": [value]}


@case
def alpha_zero_with_more_features_than_samples(entry):
    X, y = make_problem(entry.target, n_samples=9, n_features=15)  # 3 per class: 3 folds
    params = _set_alpha(entry, 0.0)
    if entry.make().get_params().get("solver") in ("cd", "gram"):
        return raises(entry, ValueError, "alpha > 0", X, y, **params)
    estimator = fit(entry, X, y, **params)
    if entry.linear and entry.target == "continuous":  # unpenalized with p > n: interpolates
        assert_allclose(estimator.predict(X), y, atol=1e-8 * np.abs(y).max())
    return CORRECT


@case
def negative_alpha(entry):
    X, y = make_problem(entry.target)
    params = _set_alpha(entry, -1.0)
    if "alphas" in params:
        return raises(entry, ValueError, "alphas must be", X, y, **params)
    return raises(entry, InvalidParameterError, "alpha", X, y, **params)


@case
def l1_ratio_above_one(entry):
    X, y = make_problem(entry.target)
    return raises(entry, InvalidParameterError, "l1_ratio", X, y, l1_ratio=1.5)


@case
def l1_ratio_negative(entry):
    X, y = make_problem(entry.target)
    return raises(entry, InvalidParameterError, "l1_ratio", X, y, l1_ratio=-0.1)


@case
def max_iter_one(entry):
    if max_iter_of(entry.make()) is None:
        not_applicable("no max_iter")
    X, y = make_problem(entry.target)
    fit(entry, X, y, max_iter=1)  # fit() asserts n_iter_ <= max_iter
    return CORRECT


@case
def max_iter_zero(entry):
    if max_iter_of(entry.make()) is None:
        not_applicable("no max_iter")
    X, y = make_problem(entry.target)
    return raises(entry, InvalidParameterError, "max_iter", X, y, max_iter=0)


# ------------------------------------------------------------------ sample weights
@case
def negative_sample_weight(entry):
    X, y = make_problem(entry.target)
    sample_weight = np.ones(len(y))
    sample_weight[3] = -1.0
    return raises(entry, ValueError, "Negative", X, y, sample_weight)


@case
def all_zero_sample_weight(entry):
    X, y = make_problem(entry.target)
    return raises(entry, ValueError, "non-zero", X, y, np.zeros(len(y)))


@case
def sample_weight_wrong_length(entry):
    X, y = make_problem(entry.target)
    return raises(entry, ValueError, "sample_weight.shape", X, y, np.ones(len(y) - 1))


@case
def unit_sample_weight(entry):
    X, y = make_problem(entry.target)
    return same_answer(entry, X, y, np.ones(len(y)))


@case
def huge_sample_weight(entry):
    # their sum overflows: the weighted means became NaN or all-zero weights
    X, y = make_problem(entry.target)
    return same_answer(entry, X, y, np.full(len(y), 1e308))


@case
def tiny_sample_weight(entry):
    # the squares of weighted sums in the gaps underflowed: the elastic-net conjugate was
    # zero, and coordinate descent stopped at w = 0 with a zero certified gap
    X, y = make_problem(entry.target)
    return same_answer(entry, X, y, np.full(len(y), 1e-200))


# ------------------------------------------------------------------ dtypes and layouts
@case
def int_X(entry):
    X, y = make_problem(entry.target)
    X_int = np.round(10 * X).astype(np.int64)
    estimator = fit(entry, X_int, y)
    reference = fit(entry, X_int.astype(np.float64), y)
    assert_allclose(estimator.predict(X_int), reference.predict(X_int), rtol=1e-12)
    return CORRECT


@case
def bool_X(entry):
    X, y = make_problem(entry.target)
    X_bool = X > 0
    estimator = fit(entry, X_bool, y)
    reference = fit(entry, X_bool.astype(np.float64), y)
    assert_allclose(estimator.predict(X_bool), reference.predict(X_bool), rtol=1e-12)
    return CORRECT


@case
def float16_X(entry):
    X, y = make_problem(entry.target)
    X16 = X.astype(np.float16)
    estimator = fit(entry, X16, y)
    reference = fit(entry, X16.astype(np.float64), y)
    assert_allclose(estimator.predict(X16), reference.predict(X16), rtol=1e-12)
    return CORRECT


@case
def float32_X(entry):
    X, y = make_problem(entry.target)
    estimator = fit(entry, X.astype(np.float32), y)
    assert estimator.predict(X.astype(np.float32)).dtype in (np.float32, np.float64, y.dtype)
    return CORRECT


@case
def int_y(entry):
    X, y = make_problem(entry.target)
    if entry.target == "classes":
        not_applicable("class labels are ints already")
    y_int = np.round(10 * y).astype(np.int64)
    estimator = fit(entry, X, y_int)
    reference = fit(entry, X, y_int.astype(np.float64))
    assert_allclose(estimator.predict(X), reference.predict(X), rtol=1e-12)
    return CORRECT


@case
def complex_X(entry):
    X, y = make_problem(entry.target)
    return raises(entry, ValueError, "[Cc]omplex", X + 1j, y)


@case
def strings_as_regression_target(entry):
    if entry.target == "classes":
        not_applicable("strings are labels for a classifier")
    X, y = make_problem(entry.target)
    return raises(entry, ValueError, "convert|numeric", X, np.array(["a", "b"] * 10))


@case
def non_contiguous_X(entry):
    X, y = make_problem(entry.target)
    return same_answer(entry, np.repeat(X, 2, axis=1)[:, ::2])


@case
def fortran_X(entry):
    X, y = make_problem(entry.target)
    return same_answer(entry, np.asfortranarray(X))


@case
def read_only_inputs(entry):
    X, y = make_problem(entry.target)
    sample_weight = np.ones(len(y))
    for array in (X, y, sample_weight):
        array.setflags(write=False)
    return same_answer(entry, X, y, sample_weight)


@case
def memmap_X(entry):
    X, y = make_problem(entry.target)
    with tempfile.TemporaryDirectory() as folder:
        path = f"{folder}/X.dat"
        writer = np.memmap(path, dtype=np.float64, mode="w+", shape=X.shape)
        writer[:] = X
        writer.flush()
        del writer
        X_map = np.memmap(path, dtype=np.float64, mode="r", shape=X.shape)
        outcome = same_answer(entry, X_map)
        del X_map
    return outcome


@case
def sparse_csc_X(entry):
    X, y = make_problem(entry.target)
    return same_answer(entry, sp.csc_matrix(X), rtol=1e-8)


@case
def sparse_coo_X(entry):
    X, y = make_problem(entry.target)
    return same_answer(entry, sp.coo_array(X), rtol=1e-8)


@case
def sparse_duplicate_unsorted_entries(entry):
    X, y = make_problem(entry.target)
    rows, cols = np.nonzero(X)
    order = np.random.RandomState(0).permutation(len(rows))
    rows, cols = np.r_[rows[order], rows[:5]], np.r_[cols[order], cols[:5]]
    values = np.r_[X[rows[:-5], cols[:-5]], np.zeros(5)]  # explicit duplicates of zero
    X_coo = sp.coo_matrix((values, (rows, cols)), shape=X.shape)
    X_csr = sp.csr_matrix((X_coo.data, (X_coo.row, X_coo.col)), shape=X.shape)
    X_csr.has_sorted_indices = False
    return same_answer(entry, X_csr, rtol=1e-8)


# ------------------------------------------------------------------ labels
@case
def unseen_labels_at_score(entry):
    if entry.target != "classes":
        not_applicable("regressor")
    X, y = make_problem(entry.target)
    estimator = fit(entry, X, y)
    y_unseen = np.where(y == 0, 99, y)  # a label never seen in fit counts as wrong
    expected = np.mean(estimator.predict(X) == y_unseen)
    assert estimator.score(X, y_unseen) == pytest.approx(expected)
    assert expected <= np.mean(y != 0)
    return CORRECT


@case
def continuous_target_for_classifier(entry):
    if entry.target != "classes":
        not_applicable("regressor")
    X, y = make_problem("continuous")
    return raises(entry, ValueError, "Unknown label type", X, y)


@case
def string_labels(entry):
    if entry.target != "classes":
        not_applicable("regressor")
    X, y = make_problem(entry.target)
    names = np.array(["a-low", "b-mid", "c-high"])  # sorted as the int labels
    estimator = fit(entry, X, names[y])
    assert set(estimator.classes_) == set(names)
    assert_array_equal(estimator.predict(X), names[fit(entry, X, y).predict(X)])
    return CORRECT


@pytest.mark.parametrize("bad_input", list(CASES))
@pytest.mark.parametrize("entry", ENTRIES, ids=repr)
def test_bad_input(entry, bad_input):
    assert CASES[bad_input](entry) in (ERROR, CORRECT)


def outcome_table():
    """Markdown table: per entry, inputs tried, clear errors and correct answers."""
    lines = ["| estimator | tried | clear errors | correct answers | not applicable |",
             "|---|---|---|---|---|"]
    for entry in ENTRIES:
        counts = {ERROR: 0, CORRECT: 0, "skipped": 0}
        for function in CASES.values():
            try:
                counts[function(entry)] += 1
            except pytest.skip.Exception:
                counts["skipped"] += 1
        tried = counts[ERROR] + counts[CORRECT]
        lines.append(f"| {entry.name} | {tried} | {counts[ERROR]} | {counts[CORRECT]} | "
                     f"{counts['skipped']} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(outcome_table())
