"""Bad input gets a clear, early error; inputs are never modified; API integration."""

import os
import pickle
import re
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklreg import LinearRegressor


def problem(n=30, p=8, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, p)
    y = X @ rng.randn(p) + 0.1 * rng.randn(n)
    return X, y


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("where", ["X", "y", "sparse X"])
def test_non_finite_input_rejected(bad, where):
    X, y = problem()
    if where == "y":
        y[3] = bad
    else:
        X[2, 1] = bad
    X = sp.csr_matrix(X) if where == "sparse X" else X
    with pytest.raises(ValueError, match="NaN|infinity"):
        LinearRegressor("l1", alpha=0.1).fit(X, y)


def test_non_finite_at_predict_rejected():
    X, y = problem()
    model = LinearRegressor().fit(X, y)
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        model.predict(X)


@pytest.mark.parametrize(
    "X_shape, y_shape, message",
    [
        ((30, 8), (29,), "inconsistent numbers of samples"),
        ((0, 8), (0,), "0 sample"),
        ((30, 0), (30,), "0 feature"),
        ((30,), (30,), "2D array"),
    ],
)
def test_bad_shapes_rejected(X_shape, y_shape, message):
    X = np.ones(X_shape)
    y = np.ones(y_shape)
    with pytest.raises(ValueError, match=message):
        LinearRegressor().fit(X, y)


@pytest.mark.parametrize("y_format", ["csr", "csc"])
def test_sparse_target_rejected_as_scikit_learn_does(y_format):
    from sklreg import LinearClassifier, LinearRegressorCV

    X, y = problem()
    for model, target in [(LinearRegressor(), y[:, None]), (LinearRegressorCV(cv=3), y[:, None]),
                          (LinearClassifier(), (y > 0)[:, None].astype(float))]:
        with pytest.raises(TypeError, match="Sparse data was passed for y"):
            model.fit(X, sp.csr_matrix(target).asformat(y_format))


def test_wrong_number_of_features_at_predict():
    X, y = problem()
    model = LinearRegressor().fit(X, y)
    with pytest.raises(ValueError, match="features"):
        model.predict(X[:, :5])


@pytest.mark.parametrize(
    "params",
    [
        {"alpha": -1.0},
        {"l1_ratio": 1.5},
        {"l1_ratio": -0.1},
        {"penalty": "l0"},
        {"max_iter": 0},
        {"tol": -1e-3},
        {"solver": "saga"},
        {"selection": "best"},
        {"fit_intercept": "yes"},
    ],
)
def test_invalid_parameters_rejected(params):
    X, y = problem()
    with pytest.raises(ValueError, match="parameter"):
        LinearRegressor(**params).fit(X, y)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"penalty": "l1", "solver": "cholesky"}, "L2 or unpenalized"),
        ({"penalty": "elasticnet", "solver": "lsqr"}, "L2 or unpenalized"),
        ({"penalty": "l2", "solver": "cholesky", "positive": True}, "positive"),
        ({"penalty": None, "solver": "cd"}, "needs a penalty"),
        ({"penalty": "l1", "alpha": 0.0, "solver": "cd"}, "needs a penalty"),
    ],
)
def test_incompatible_solver_rejected(params, message):
    X, y = problem()
    with pytest.raises(ValueError, match=message):
        LinearRegressor(**params).fit(X, y)


@pytest.mark.parametrize("positive", [False, True])
@pytest.mark.parametrize("penalty, alpha", [("l1", 0.1), ("l2", 0.1), ("l1", 0.0), (None, 0.1)])
@pytest.mark.parametrize("solver", ["cd", "gram", "cholesky", "lsqr"])
def test_rejected_solver_suggests_solvers_that_accept(solver, penalty, alpha, positive):
    """The solvers a rejection names accept the same problem (unpenalized positive=True
    with 'cholesky' or 'lsqr' suggested 'cd', which needs a penalty, and 'cd' suggested
    'cholesky', which rejects positive=True)."""
    X, y = problem()
    params = {"penalty": penalty, "alpha": alpha, "positive": positive}
    try:
        LinearRegressor(solver=solver, **params).fit(X, y)
    except ValueError as error:
        message = str(error).split(";", 1)[-1].split(". ", 1)[-1]
        suggested = re.findall(r"'(auto|cd|gram|cholesky|lsqr)'", message)
        assert suggested, message
        for alternative in suggested:
            LinearRegressor(solver=alternative, **params).fit(X, y)


@pytest.mark.parametrize(
    "sample_weight, message",
    [
        (-np.ones(30), "(?i)negative"),
        (np.zeros(30), "sum to zero|non-zero"),
        (np.ones(29), "shape"),
        (np.r_[np.ones(29), np.nan], "NaN"),
    ],
)
def test_bad_sample_weight_rejected(sample_weight, message):
    X, y = problem()
    with pytest.raises(ValueError, match=message):
        LinearRegressor().fit(X, y, sample_weight=sample_weight)


@pytest.mark.parametrize("penalty", ["l1", "l2", "elasticnet", None])
@pytest.mark.parametrize("kind", ["dense-C", "dense-F", "float32", "csr", "csc"])
def test_inputs_never_modified(penalty, kind):
    X, y = problem()
    X = {"dense-C": X, "dense-F": np.asfortranarray(X), "float32": X.astype(np.float32),
         "csr": sp.csr_matrix(X), "csc": sp.csc_matrix(X)}[kind]
    sw = np.linspace(0.5, 2.0, len(y))
    copies = [X.copy(), y.copy(), sw.copy()]
    model = LinearRegressor(penalty, alpha=0.05, warm_start=True).fit(X, y, sample_weight=sw)
    model.fit(X, y, sample_weight=sw)
    model.predict(X)
    for before, after in zip(copies, [X, y, sw], strict=True):
        before = before.toarray() if sp.issparse(before) else before
        after = after.toarray() if sp.issparse(after) else after
        assert_array_equal(before, after)


def test_read_only_memmap_input(tmp_path):
    X, y = problem()
    np.save(tmp_path / "X.npy", X)
    X_mm = np.load(tmp_path / "X.npy", mmap_mode="r")
    for penalty in ["l1", "l2"]:
        ours = LinearRegressor(penalty, alpha=0.05, fit_intercept=False).fit(X_mm, y)
        ref = LinearRegressor(penalty, alpha=0.05, fit_intercept=False).fit(X, y)
        assert_array_equal(ours.coef_, ref.coef_)


def test_integer_and_boolean_inputs_are_converted():
    X, y = problem()
    X_int = np.round(X * 10).astype(np.int64)
    model = LinearRegressor("l1", alpha=0.01).fit(X_int, y)
    assert model.coef_.dtype == np.float64
    model = LinearRegressor("l1", alpha=0.01).fit(X_int > 0, y)
    assert model.coef_.dtype == np.float64


def test_one_sample_and_one_feature():
    X, y = problem()
    model = LinearRegressor("l1", alpha=0.01).fit(X[:1], y[:1])
    assert_array_equal(model.coef_, 0.0)
    assert model.intercept_ == pytest.approx(y[0])
    model = LinearRegressor("l1", alpha=0.01, tol=1e-12).fit(X[:, :1], y)
    slope = np.polyfit(X[:, 0], y, 1)[0]
    assert abs(model.coef_[0]) < abs(slope) and np.sign(model.coef_[0]) == np.sign(slope)


def test_pipeline_grid_search_clone_pickle():
    X, y = problem(n=60, p=10)
    pipe = make_pipeline(StandardScaler(), LinearRegressor("elasticnet"))
    grid = GridSearchCV(pipe, {"linearregressor__alpha": [1e-3, 1e-2, 1e-1],
                               "linearregressor__l1_ratio": [0.2, 0.8]}, cv=3)
    grid.fit(X, y)
    assert grid.best_score_ > 0.9
    fitted = grid.best_estimator_
    restored = pickle.loads(pickle.dumps(fitted))
    assert_array_equal(restored.predict(X), fitted.predict(X))
    unfitted = clone(fitted[-1])
    assert not hasattr(unfitted, "coef_")
    assert unfitted.get_params() == fitted[-1].get_params()


def test_pandas_feature_names():
    pd = pytest.importorskip("pandas")
    X, y = problem()
    frame = pd.DataFrame(X, columns=[f"gene_{i}" for i in range(X.shape[1])])
    model = LinearRegressor("l1", alpha=0.01).fit(frame, pd.Series(y))
    assert_array_equal(model.feature_names_in_, frame.columns)
    with pytest.warns(UserWarning, match="feature names"):
        from_array = model.predict(frame.to_numpy())
    assert_allclose(model.predict(frame), from_array)


def _plain_inputs():
    """(X, y, multi_output, y_numeric) cases, most on the fast path of validate_fit_data."""
    X, y = problem()
    labels = np.where(y > 0, "up", "down")
    return {
        "C float64": (X, y, True, True),
        "F float32": (np.asfortranarray(X, dtype=np.float32), y, True, True),
        "integer y": (X, np.round(y).astype(np.int32), True, True),
        "2-D y": (X, np.c_[y, -y], True, True),
        "string labels": (X, labels, False, False),
        "column y, single output": (X, y[:, None], False, True),
        "integer X": (np.round(X).astype(np.int64), y, True, True),
        "strided X": (X[:, ::2], y, True, True),
        "list X": (X.tolist(), y, True, True),
        "object y": (X, y.astype(object), True, True),
        "float16 X": (X.astype(np.float16), y, True, True),
    }


FAST_CASES = ["C float64", "F float32", "integer y", "2-D y", "string labels"]


def _validated_by_both(X, y, multi_output, y_numeric, patch=None):
    """``validate_fit_data`` and scikit-learn's ``validate_data`` on fresh estimators with
    stale feature names: asserts the same warnings and the same returned arrays, and
    returns ``(ours, X_ours, y_ours), reference``. With ``patch`` (a monkeypatch
    context), ``validate_fit_data`` must not reach scikit-learn's validation."""
    from sklearn.utils.validation import validate_data

    import sklreg._validation
    from sklreg._validation import validate_fit_data

    ours, reference = LinearRegressor(), LinearRegressor()
    ours.feature_names_in_ = reference.feature_names_in_ = np.array(["stale"], dtype=object)
    with warnings.catch_warnings(record=True) as our_warnings:
        warnings.simplefilter("always")
        if patch is not None:
            patch.setattr(sklreg._validation, "validate_data", None)
        X_ours, y_ours = validate_fit_data(ours, X, y, multi_output=multi_output,
                                           y_numeric=y_numeric)
        if patch is not None:
            patch.undo()
    with warnings.catch_warnings(record=True) as reference_warnings:
        warnings.simplefilter("always")
        X_ref, y_ref = validate_data(reference, X, y, accept_sparse=["csr", "csc"],
                                     dtype=[np.float64, np.float32],
                                     multi_output=multi_output, y_numeric=y_numeric)
    assert ([str(w.message) for w in our_warnings]
            == [str(w.message) for w in reference_warnings])
    for a, b in [(X_ours, X_ref), (np.asarray(y_ours), np.asarray(y_ref))]:
        assert a.dtype == b.dtype and a.shape == b.shape
        assert_array_equal(a, b)
    return (ours, X_ours, y_ours), (reference, X_ref)


@pytest.mark.parametrize("case", list(_plain_inputs()))
def test_fast_validation_matches_scikit_learn(case):
    """The fast path returns what scikit-learn's validate_data returns and sets the same
    attributes (the other cases fall back to validate_data itself)."""
    from sklreg._validation import validate_predict_data

    X, y, multi_output, y_numeric = _plain_inputs()[case]
    (ours, X_ours, y_ours), (reference, X_ref) = _validated_by_both(X, y, multi_output,
                                                                    y_numeric)
    assert vars(ours) == vars(reference)
    assert ours.n_features_in_ == X_ref.shape[1] and not hasattr(ours, "feature_names_in_")
    if case in FAST_CASES:  # taken without a copy
        assert X_ours is X and y_ours is y
    assert_array_equal(validate_predict_data(ours, X_ours), X_ref)


def _frame_inputs():
    """(X, y, multi_output, y_numeric) pandas cases, the first two on the fast path."""
    pd = pytest.importorskip("pandas")
    X, y = problem()
    names = [f"gene_{i}" for i in range(X.shape[1])]
    frame = pd.DataFrame(X, columns=names)
    mixed = frame.assign(gene_0=np.arange(len(X)))
    return {
        "float64, named, Series y": (frame, pd.Series(y, name="target"), True, True),
        "float32, unnamed": (pd.DataFrame(X.astype(np.float32)), y, True, True),
        "string labels Series": (frame, pd.Series(np.where(y > 0, "up", "down")), False,
                                 False),
        "float64 and int64 columns": (mixed, y, True, True),
        "nullable Float64 columns": (frame.astype("Float64"), y, True, True),
        "categorical y": (frame, pd.Series(np.round(y)).astype("category"), True, True),
    }


FAST_FRAME_CASES = ["float64, named, Series y", "float32, unnamed"]


@pytest.mark.parametrize("case", ["float64, named, Series y", "float32, unnamed",
                                  "string labels Series", "float64 and int64 columns",
                                  "nullable Float64 columns", "categorical y"])
def test_fast_validation_of_frames_matches_scikit_learn(case, monkeypatch):
    """DataFrames of one float dtype skip scikit-learn's checks of each column (6 ms for
    500 columns): their values, the targets, ``n_features_in_``, ``feature_names_in_``
    and the warnings are scikit-learn's, at fit and at predict."""
    from sklearn.utils.validation import validate_data

    from sklreg._validation import validate_predict_data

    X, y, multi_output, y_numeric = _frame_inputs()[case]
    with monkeypatch.context() as patch:  # the fast cases never reach scikit-learn's
        (ours, X_ours, y_ours), (reference, X_ref) = _validated_by_both(
            X, y, multi_output, y_numeric, patch if case in FAST_FRAME_CASES else None)
    assert sorted(vars(ours)) == sorted(vars(reference))
    assert ours.n_features_in_ == reference.n_features_in_
    if hasattr(reference, "feature_names_in_"):
        assert_array_equal(ours.feature_names_in_, reference.feature_names_in_)
    if case in FAST_FRAME_CASES:  # the frame's own values, not a copy
        assert np.shares_memory(X_ours, X)
    for frame in [X, X.iloc[:, ::-1]]:  # the same names, then reordered
        with warnings.catch_warnings(record=True) as our_warnings:
            warnings.simplefilter("always")
            try:
                ours_out = validate_predict_data(ours, frame)
            except ValueError as error:
                ours_out = str(error)
        with warnings.catch_warnings(record=True) as reference_warnings:
            warnings.simplefilter("always")
            try:
                reference_out = validate_data(reference, frame, accept_sparse=["csr", "csc"],
                                              dtype=[np.float64, np.float32], reset=False)
            except ValueError as error:
                reference_out = str(error)
        assert [str(w.message) for w in our_warnings] == [str(w.message) for w in
                                                          reference_warnings]
        if isinstance(reference_out, str):
            assert ours_out == reference_out
        else:
            assert_array_equal(ours_out, reference_out)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
@pytest.mark.parametrize("where", ["X", "y"])
def test_fast_validation_errors_are_scikit_learns(bad, where):
    from sklearn.utils.validation import validate_data

    from sklreg._validation import validate_fit_data, validate_predict_data

    X, y = problem()
    (X if where == "X" else y)[3] = bad
    with pytest.raises(ValueError) as reference:
        validate_data(LinearRegressor(), X, y, dtype=[np.float64, np.float32])
    with pytest.raises(ValueError) as ours:
        validate_fit_data(LinearRegressor(), X, y, y_numeric=True)
    assert str(ours.value) == str(reference.value)
    if where == "X":
        model = LinearRegressor().fit(*problem())
        with pytest.raises(ValueError, match="NaN|infinity"):
            validate_predict_data(model, X)


def test_works_without_a_writable_numba_cache(tmp_path):
    """A read-only install (no cache locator) compiles in memory and still fits."""
    script = textwrap.dedent(
        """
        import numba.core.caching as caching
        caching.CacheImpl._locator_classes = []  # as if no location were writable
        import numpy as np
        import sklreg
        from sklreg._jit import caching_enabled
        X = np.random.RandomState(0).randn(20, 5); y = X @ np.arange(5.0)
        model = sklreg.LinearRegressor("l1", alpha=0.01).fit(X, y)
        print(caching_enabled(), np.count_nonzero(model.coef_))
        """
    )
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "unused"))
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env=env, timeout=600)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "4"]
    assert not (tmp_path / "unused").exists()


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
@pytest.mark.parametrize("special", [None, "zeros", np.nan, np.inf, -np.inf, "subnormal"])
@pytest.mark.parametrize("size", [0, 1, 7, 1001])
def test_magnitude_range_equals_numpy(dtype, special, size):
    from sklreg._validation import _magnitude_range

    rng = np.random.default_rng(size)
    values = rng.standard_normal(size) * 10.0 ** rng.integers(-30, 30, size)
    values[rng.uniform(size=size) < 0.2] = -0.0
    if special == "zeros":
        values[:] = 0.0
    elif special == "subnormal" and size:
        values[size // 2] = -np.finfo(dtype).smallest_subnormal if dtype != np.int64 else 1
    elif special is not None and size:
        values[size // 3] = special
    if dtype == np.int64:
        if special not in (None, "zeros", "subnormal"):
            return
        values = np.round(values).clip(-1e15, 1e15)
    values = values.astype(dtype)
    before = values.copy()

    largest, smallest_nonzero, finite = _magnitude_range(values)

    magnitudes = np.abs(values.astype(np.float64))
    assert finite == bool(np.isfinite(magnitudes).all())
    assert_array_equal(values, before)
    if not finite:
        return
    nonzero = magnitudes[magnitudes > 0]
    assert largest == (magnitudes.max() if size else 0.0)
    assert smallest_nonzero == (nonzero.min() if nonzero.size else np.inf)
