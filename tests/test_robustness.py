"""Robust operation: inputs never modified, thread safety, pickling across processes, a
read-only install without a writable Numba cache, ill-conditioned problems.

Every test runs over the entries of ``tests/_registry.py`` (one entry per estimator
configuration; the classifier entries are appended there).
"""

import os
import pickle
import shutil
import stat
import subprocess
import sys
import textwrap
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from _reference import objective
from _registry import ENTRIES, make_problem
from numpy.testing import assert_array_equal
from sklearn.datasets import make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet

import sklreg
from sklreg import LinearRegressor, LinearRegressorCV, regularization_path

TESTS_DIR = Path(__file__).parent
PACKAGE_DIR = Path(sklreg.__file__).parent


def quiet_fit(estimator, X, y, sample_weight=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if sample_weight is None:
            return estimator.fit(X, y)
        return estimator.fit(X, y, sample_weight=sample_weight)


# ------------------------------------------------------------------ inputs never modified
@pytest.mark.parametrize("layout", ["C", "F", "csr", "csc", "float32"])
@pytest.mark.parametrize("entry", ENTRIES, ids=repr)
def test_inputs_never_modified(entry, layout):
    X, y = make_problem(entry.target, n_samples=30)
    X[:, 1] += 5.0  # an offset the intercept removes: centering must not happen in place
    if layout == "F":
        X = np.asfortranarray(X)
    elif layout == "float32":
        X = X.astype(np.float32)
    elif layout in ("csr", "csc"):
        X[np.abs(X) < 0.5] = 0.0
        X = sp.csr_matrix(X) if layout == "csr" else sp.csc_matrix(X)
    sample_weight = np.random.RandomState(1).uniform(0.5, 2.0, len(y))
    copies = [X.copy() if sp.issparse(X) else X.copy(order="K"), y.copy(), sample_weight.copy()]
    estimator = quiet_fit(entry.make(), X, y, sample_weight)
    estimator.predict(X)
    for original, copy in zip([X, y, sample_weight], copies, strict=True):
        if sp.issparse(original):
            assert (original != copy).nnz == 0
            assert original.format == copy.format
        else:
            assert_array_equal(original, copy)
            assert original.flags.f_contiguous == copy.flags.f_contiguous


# ------------------------------------------------------------------ byte order
@pytest.mark.parametrize("dtype", [">f8", ">f4"])
@pytest.mark.parametrize("entry", ENTRIES, ids=repr)
def test_non_native_byte_order_frame_fits_as_native(entry, dtype):
    """A DataFrame of big-endian columns (as read from FITS or other big-endian files) fits
    as the same values in native byte order: scikit-learn's validation keeps a frame's
    byte order, which the Numba kernels reject. Arrays are converted by scikit-learn."""
    pd = pytest.importorskip("pandas")
    X, y = make_problem(entry.target, n_samples=30)
    native = X.astype(dtype[1:])
    frame = pd.DataFrame(X.astype(dtype), columns=[f"x{j}" for j in range(X.shape[1])])
    copy = frame.copy()
    expected = quiet_fit(entry.make(), pd.DataFrame(native, columns=frame.columns), y)
    estimator = quiet_fit(entry.make(), frame, y)
    assert_array_equal(estimator.predict(frame), expected.predict(frame))
    pd.testing.assert_frame_equal(frame, copy)


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mlp_log_proba_of_confident_predictions_is_finite(dtype, n_classes):
    """predict_log_proba is the log-sigmoid / log-softmax of the output logits: the log of
    rounded probabilities was -inf for float32 inputs from logits of about 17 (binary: one
    minus a probability rounded to 1) and, for float64, from 37 (binary) or 745."""
    from scipy.special import log_expit, log_softmax

    from sklreg import MLPClassifier

    X, y = make_problem("classes", n_samples=30)
    y = y if n_classes == 3 else (y > 0).astype(int)
    model = quiet_fit(MLPClassifier(hidden_layer_sizes=(5,), max_iter=30, random_state=0),
                      X.astype(dtype), y)
    hidden = np.maximum(X @ model.coefs_[0].astype(np.float64) + model.intercepts_[0], 0)
    logits = hidden @ model.coefs_[1].astype(np.float64) + model.intercepts_[1]
    scale = np.float64(dtype(1000 / np.abs(logits).max()))  # logits up to 1000
    model.coefs_[1] *= dtype(scale)
    model.intercepts_[1] *= dtype(scale)
    logits *= scale
    expected = (log_softmax(logits, axis=1) if n_classes == 3
                else np.hstack([log_expit(-logits), log_expit(logits)]))
    log_proba = model.predict_log_proba(X.astype(dtype))
    assert np.isfinite(log_proba).all()
    rtol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(log_proba, expected, rtol=rtol, atol=rtol * 1000)
    np.testing.assert_allclose(np.exp(log_proba), model.predict_proba(X.astype(dtype)),
                               rtol=rtol, atol=rtol)


# ------------------------------------------------------------------ threads
@pytest.mark.parametrize("entry", ENTRIES, ids=repr)
def test_fitting_in_threads_matches_serial(entry):
    problems = [make_problem(entry.target, n_samples=40, n_features=6, seed=seed)
                for seed in range(4)]
    serial = [quiet_fit(entry.make(), X, y).predict(X) for X, y in problems]

    def fit_predict(problem):
        X, y = problem
        return quiet_fit(entry.make(), X, y).predict(X)

    with ThreadPoolExecutor(max_workers=4) as pool:
        threaded = list(pool.map(fit_predict, problems))
    for expected, got in zip(serial, threaded, strict=True):
        assert_array_equal(got, expected)


# ------------------------------------------------------------------ pickling
def test_unpickled_in_another_process_predicts_identically(tmp_path):
    """One subprocess unpickles every fitted entry and predicts; predictions are identical."""
    fitted = {}
    for entry in ENTRIES:
        X, y = make_problem(entry.target, n_samples=30)
        estimator = quiet_fit(entry.make(), X, y)
        fitted[entry.name] = (estimator, X, estimator.predict(X))
    models = tmp_path / "models.pkl"
    models.write_bytes(pickle.dumps({k: (m, X) for k, (m, X, _) in fitted.items()}))
    script = textwrap.dedent(f"""
        import pickle
        models = pickle.load(open({str(models)!r}, "rb"))
        predictions = {{name: model.predict(X) for name, (model, X) in models.items()}}
        pickle.dump(predictions, open({str(tmp_path / "predictions.pkl")!r}, "wb"))
    """)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(PACKAGE_DIR.parent),
                                                         str(TESTS_DIR)]))
    subprocess.run([sys.executable, "-c", script], check=True, env=env, timeout=600)
    predictions = pickle.loads((tmp_path / "predictions.pkl").read_bytes())
    assert set(predictions) == set(fitted)
    for name, (_, _, expected) in fitted.items():
        assert_array_equal(predictions[name], expected, err_msg=name)


# ------------------------------------------------------------------ read-only install
def _read_only_command(paths, argv):
    """``argv`` run with ``paths`` unwritable: by permissions, or for root (whom permissions
    do not stop) by read-only bind mounts in a private mount namespace."""
    if os.geteuid() != 0:
        for path in paths:
            for root, dirs, files in os.walk(path):
                for name in files + dirs:
                    target = Path(root) / name
                    target.chmod(target.stat().st_mode & ~0o222)
            path.chmod(path.stat().st_mode & ~0o222)
        return argv
    if shutil.which("unshare") is None:
        pytest.skip("running as root without unshare: cannot make a directory read-only")
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("running as root without mount namespaces: cannot make it read-only")
    mounts = " && ".join(f"mount --bind {p} {p} && mount -o remount,ro,bind {p}"
                         for p in map(str, paths))
    return ["unshare", "-m", "sh", "-c", f'{mounts} && exec "$@"', "sh", *argv]


def _make_writable(path):
    for root, dirs, files in os.walk(path):
        for name in files + dirs:
            target = Path(root) / name
            target.chmod(target.stat().st_mode | stat.S_IWUSR)
    path.chmod(path.stat().st_mode | stat.S_IWUSR)


READ_ONLY_SCRIPT = """
import os
import warnings

import numpy as np

import sklreg
from sklreg import (LinearRegressor, LinearRegressorCV, MLPClassifier, MLPRegressor,
                    regularization_path)
from sklreg._jit import caching_enabled

package = os.path.dirname(sklreg.__file__)
assert package.startswith(SITE), package
try:  # the package really is read-only
    open(os.path.join(package, "probe"), "w").close()
    raise SystemExit("the package directory is writable")
except OSError:
    pass
warnings.simplefilter("ignore")
rng = np.random.RandomState(0)
X = rng.randn(40, 5)
y = X @ rng.randn(5)
for solver in ("auto", "cd", "gram"):
    model = LinearRegressor("l1", alpha=0.01, solver=solver).fit(X, y)
    assert model.dual_gap_ <= 1e-4 * 0.5 * np.var(y), solver
LinearRegressor("l2", solver="lsqr").fit(X, y)
LinearRegressorCV("elasticnet", alphas=4, cv=3).fit(X, y)
regularization_path(X.astype(np.float32), y, n_alphas=4)
MLPRegressor((4,), penalty="l1", max_iter=5).fit(X, y)
MLPClassifier((4,), penalty="group", max_iter=5).fit(X, y > 0)
print("caching", caching_enabled())
"""


@pytest.mark.slow
@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions and mounts")
def test_read_only_install_without_numba_cache(tmp_path):
    """A read-only copy of the package with no writable Numba cache: every estimator fits.

    Run twice: ``NUMBA_CACHE_DIR`` unset (the cache would go next to the read-only sources,
    then to the unwritable ``HOME``), and ``NUMBA_CACHE_DIR`` set to an unwritable directory.
    Numba then finds no cache location; the kernels compile in memory.
    """
    site, home, cache = tmp_path / "site", tmp_path / "home", tmp_path / "cache"
    shutil.copytree(PACKAGE_DIR, site / "sklreg",
                    ignore=shutil.ignore_patterns("__pycache__", "*.nbi", "*.nbc"))
    home.mkdir()
    cache.mkdir()
    script = READ_ONLY_SCRIPT.replace("SITE", repr(str(site)))
    base_env = {k: v for k, v in os.environ.items()
                if not k.startswith("NUMBA_") and k not in ("PYTHONPATH", "HOME")}
    base_env.update(PYTHONPATH=str(site), HOME=str(home), PYTHONDONTWRITEBYTECODE="1")
    try:
        command = _read_only_command([site, home, cache], [sys.executable, "-c", script])
        runs = []  # both configurations at once: each compiles every kernel
        for cache_dir in (None, str(cache)):
            env = dict(base_env)
            if cache_dir is not None:
                env["NUMBA_CACHE_DIR"] = cache_dir
            runs.append(subprocess.Popen(command, env=env, cwd=str(home), text=True,
                                         stdout=subprocess.PIPE, stderr=subprocess.PIPE))
        for run in runs:
            stdout, stderr = run.communicate(timeout=900)
            assert run.returncode == 0, stdout[-2000:] + stderr[-3000:]
            assert "caching False" in stdout
        assert not any(site.rglob("*.nbi")), "a cache was written into the package"
    finally:
        for path in (site, home, cache):
            _make_writable(path)


# ------------------------------------------------------------------ extreme data scales
# Scaling X by a and y by b (powers of two: exact in floats) scales the solution by b / a
# at alpha * a^2 (the L2 part; the L1 part would need alpha * a * b). Validation accepts
# entries up to ~1e153 (40 samples): the solvers must be as scale-invariant as the problem.
def _scaled_problem(variant, n_samples=40, n_features=6, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n_samples, n_features) + 1.0
    y = X @ rng.randn(n_features) + rng.randn(n_samples) + 3.0
    if variant == "targets":
        y = np.c_[y, X @ rng.randn(n_features) + rng.randn(n_samples)]
    sample_weight = rng.uniform(0.5, 1.5, n_samples) if variant == "weights" else None
    return (sp.csr_matrix(X) if variant == "sparse" else X), y, sample_weight


def _assert_scaled_fit(make, X, y, sample_weight, x_scale, y_scale, alpha_scale,
                       weight_factor=1.0):
    """``make(alpha_scale)`` fitted on the scaled data (and the weights times
    ``weight_factor``, the same problem): no warning (no overflow, no uncertified gap), the
    scaled coefficients, within about as many epochs."""
    reference = make(1.0).fit(X, y, sample_weight=sample_weight)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        weights = None if sample_weight is None else sample_weight * weight_factor
        model = make(alpha_scale).fit(X * x_scale, y * y_scale, sample_weight=weights)
    size = np.abs(reference.coef_).max()
    assert np.abs(model.coef_ * (x_scale / y_scale) - reference.coef_).max() <= 1e-9 * size
    assert model.intercept_ / y_scale == pytest.approx(reference.intercept_, rel=1e-9)
    assert np.all(model.n_iter_ <= reference.n_iter_ + 1)


@pytest.mark.parametrize("variant", ["dense", "sparse", "weights", "targets"])
@pytest.mark.parametrize("penalty, solver", [
    ("l2", "cd"), ("l2", "gram"), ("l2", "cholesky"), ("l2", "lsqr"),
    ("elasticnet", "cd"), ("elasticnet", "gram"), ("elasticnet", "auto"),
])
@pytest.mark.parametrize("scale", [2.0**266, 2.0**332, 2.0**498], ids=["1e80", "1e100", "1e150"])
def test_huge_data_gives_the_scaled_solution(scale, penalty, solver, variant):
    """X and y both near 1e77 or above: the elastic-net conjugate squared X^T r (of order
    scale^2) and overflowed, so the L2 gap was inf (ConvergenceWarning after max_iter) and
    the elastic net's needed more epochs and stopped less accurate."""
    X, y, sample_weight = _scaled_problem(variant)
    _assert_scaled_fit(
        lambda alpha_scale: LinearRegressor(penalty, alpha=0.1 * alpha_scale, solver=solver,
                                            tol=1e-10),
        X, y, sample_weight, scale, scale, scale**2,
    )


@pytest.mark.parametrize("penalty", ["l2", "elasticnet"])
def test_huge_data_path_and_cv_give_the_scaled_solution(penalty):
    X, y, _ = _scaled_problem("dense")
    scale = 2.0**332
    alphas = np.logspace(-3, 0, 5)
    reference = regularization_path(X, y, penalty=penalty, alphas=alphas, tol=1e-10,
                                    solver="cd")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = regularization_path(X * scale, y * scale, penalty=penalty,
                                   alphas=alphas * scale**2, tol=1e-10, solver="cd")
        cv = LinearRegressorCV(penalty, alphas=list(alphas * scale**2), tol=1e-10).fit(
            X * scale, y * scale)
    size = np.abs(reference.coefs).max()
    assert np.abs(path.coefs - reference.coefs).max() <= 1e-9 * size
    assert np.all(path.n_iter <= reference.n_iter + 1)
    cv_reference = LinearRegressorCV(penalty, alphas=list(alphas), tol=1e-10).fit(X, y)
    assert cv.alpha_ / scale**2 == pytest.approx(cv_reference.alpha_)
    assert cv.coef_ == pytest.approx(cv_reference.coef_, rel=1e-9, abs=1e-9 * size)


@pytest.mark.parametrize("variant", ["dense", "sparse", "weights"])
@pytest.mark.parametrize("penalty, solver", [
    ("l2", "auto"), ("l2", "cd"), ("l2", "lsqr"), ("l1", "auto"), ("elasticnet", "auto"),
    ("elasticnet", "gram"),
])
def test_alpha_near_float_max_gives_the_scaled_solution(penalty, solver, variant):
    """``alpha`` times the weight sum beyond float64's range (alpha = 2^1020 on 40 samples
    near 1e150): the strengths were inf, the gaps NaN or inf (ConvergenceWarning), and the
    ridge coefficients (about 1e-7, as those of alpha = 2^24 on the unscaled data)
    silently zeros. The elastic net's L1 part (l1_ratio=1e-8) is below alpha_max."""
    X, y, sample_weight = _scaled_problem(variant)
    scale = 2.0**498
    _assert_scaled_fit(
        lambda alpha_scale: LinearRegressor(penalty, alpha=2.0**24 * alpha_scale,
                                            l1_ratio=1e-8, solver=solver, tol=1e-10),
        X, y, sample_weight, scale, scale, scale**2,
    )


@pytest.mark.parametrize("sample_weight", [None, "large"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("penalty", ["l1", "l2", "elasticnet"])
def test_alpha_near_float_max_certifies_zeros(penalty, sparse, dtype, sample_weight):
    """alpha=1e308 on unit data: coefficients zero (to float64's smallest numbers), a
    finite gap (was NaN with an L1 part, inf for ridge) and no ConvergenceWarning."""
    X, y, _ = _scaled_problem("sparse" if sparse else "dense")
    X = X.astype(dtype)
    if sample_weight == "large":
        sample_weight = np.random.RandomState(1).uniform(1e100, 3e100, X.shape[0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = LinearRegressor(penalty, alpha=1e308, l1_ratio=1e-8).fit(
            X, y, sample_weight=sample_weight)
    assert np.abs(model.coef_).max() <= 1e-300
    assert 0.0 <= model.dual_gap_ <= 1e-4 * np.var(y)


@pytest.mark.parametrize("penalty", ["l1", "l2", "elasticnet"])
def test_alpha_near_float_max_in_path_and_cv(penalty):
    """The path and the cross-validation on data near 1e150 at alphas whose products with
    the weight sum overflow: finite gaps without warning, the coefficients of the
    unscaled problem (at alpha * 2^-996: 2^27, 2^24, 16; all zeros for the lasso)."""
    X, y, sample_weight = _scaled_problem("weights")
    alphas = np.array([2.0**1023, 2.0**1020, 2.0**1000])
    scale = 2.0**498
    reference = regularization_path(X, y, penalty=penalty, l1_ratio=1e-8,
                                    alphas=alphas / scale**2, tol=1e-10,
                                    sample_weight=sample_weight)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = regularization_path(X * scale, y * scale, penalty=penalty, l1_ratio=1e-8,
                                   alphas=alphas, tol=1e-10, sample_weight=sample_weight)
        cv = LinearRegressorCV(penalty, l1_ratio=1e-8, alphas=list(alphas), tol=1e-10).fit(
            X * scale, y * scale, sample_weight=sample_weight)
    assert np.all(np.isfinite(path.dual_gaps))
    size = np.abs(reference.coefs).max()
    assert (size > 0.0) == (penalty != "l1")
    assert np.abs(path.coefs - reference.coefs).max() <= 1e-9 * size
    if penalty != "l1":  # the lasso ties at zero: the largest alpha is chosen
        assert cv.alpha_ == 2.0**1000
    assert np.isfinite(cv.dual_gap_)
    assert np.abs(cv.coef_ - reference.coefs[:, -1]).max() <= 1e-9 * size


@pytest.mark.parametrize("penalty, solver", [
    ("l2", "cd"), ("l2", "gram"), ("l2", "cholesky"), ("l2", "lsqr"), ("l1", "cd"), ("l1", "gram"),
])
@pytest.mark.parametrize("x_scale, y_scale", [
    (2.0**-332, 2.0**332), (2.0**498, 1.0), (1.0, 2.0**498),
], ids=["X~1e-100,y~1e100", "X~1e150,y~1", "X~1,y~1e150"])
def test_data_of_different_scales_gives_the_scaled_solution(x_scale, y_scale, penalty,
                                                            solver):
    """Weights of order y_scale / x_scale. Near 1e200, ``||w||^2`` overflowed in the gap
    (inf, or NaN as ``0 * inf`` for the lasso: max_iter epochs, wrong coefficients) and in
    coordinate descent's objective; far from 1 either way, the products of their
    differences in Anderson extrapolation overflowed or underflowed (more epochs)."""
    X, y, _ = _scaled_problem("dense")
    alpha_scale = x_scale**2 if penalty == "l2" else x_scale * y_scale
    _assert_scaled_fit(
        lambda alpha_scale: LinearRegressor(penalty, alpha=0.1 * alpha_scale, solver=solver,
                                            tol=1e-10),
        X, y, None, x_scale, y_scale, alpha_scale,
    )


# ------------------------------------------------------------------ extreme sample weights
# Every objective is a weighted mean: the weights times any factor pose the same problem.
# A large factor overflowed the weighted design (sqrt(s_i) x_i, in X's dtype) and its sums
# of squares (s_i x_i^2), whatever alpha, when weights were only rescaled above
# sqrt(float64 max) / n_samples: NaN coefficients, LinAlgError, or ConvergenceWarning.
WEIGHT_FACTORS = {"1e40": 1e40, "1e100": 1e100, "1e300": 1e300, "1e-300": 1e-300}
SOLVERS = [("l1", "cd"), ("l1", "gram"), ("l2", "auto"), ("l2", "cd"), ("l2", "gram"),
           ("l2", "cholesky"), ("l2", "lsqr"), ("elasticnet", "auto"), (None, "auto"),
           (None, "lsqr")]


def _weighted_problem(sparse, dtype):
    X, y, sample_weight = _scaled_problem("weights")
    X = X.astype(dtype)
    return (sp.csr_matrix(X) if sparse else X), y, sample_weight


def _assert_same_coefficients(model, reference, dtype):
    rtol = 1e-9 if dtype == np.float64 else 1e-5
    size = float(np.abs(reference.coef_).max())
    assert np.abs(model.coef_ - reference.coef_).max() <= rtol * size
    assert model.intercept_ == pytest.approx(reference.intercept_, rel=rtol, abs=rtol * size)


@pytest.mark.parametrize("factor", WEIGHT_FACTORS.values(), ids=WEIGHT_FACTORS.keys())
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("penalty, solver", SOLVERS)
def test_sample_weights_times_any_factor_give_the_same_fit(penalty, solver, sparse, dtype,
                                                           factor):
    """Weights near 1e40 overflowed a float32 design (sqrt(s) x beyond 3.4e38: NaN
    coefficients, LinAlgError without a penalty)."""
    X, y, sample_weight = _weighted_problem(sparse, dtype)
    tol = 1e-10 if dtype == np.float64 else 1e-6
    reference = LinearRegressor(penalty, alpha=0.01, solver=solver, tol=tol).fit(
        X, y, sample_weight=sample_weight)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = LinearRegressor(penalty, alpha=0.01, solver=solver, tol=tol).fit(
            X, y, sample_weight=sample_weight * factor)
    _assert_same_coefficients(model, reference, dtype)
    assert model.n_iter_ <= reference.n_iter_ + 1


def test_sample_weights_times_a_power_of_4_give_the_same_bits():
    """Weights are normalized by a power of 4 (exact, and so is its square root), so a fit
    is bitwise the same with its weights times any power of 4."""
    X, y, sample_weight = _weighted_problem(False, np.float64)
    for penalty, solver in SOLVERS:
        fits = [LinearRegressor(penalty, alpha=0.01, solver=solver).fit(
            X, y, sample_weight=sample_weight * factor)
            for factor in [1.0, 4.0, 2.0**-500, 2.0**900]]
        for model in fits[1:]:
            assert_array_equal(model.coef_, fits[0].coef_)
            assert model.intercept_ == fits[0].intercept_
            assert model.n_iter_ == fits[0].n_iter_


@pytest.mark.parametrize("penalty, solver", [
    ("l2", "cd"), ("l2", "gram"), ("l2", "cholesky"), ("l2", "lsqr"), ("l1", "cd"),
    ("elasticnet", "cd"), ("elasticnet", "gram"), ("elasticnet", "auto"),
])
def test_huge_data_with_huge_weights_gives_the_scaled_solution(penalty, solver):
    """X and y near 1e150 (accepted by validation) with weights near 1e100: s x^2 near
    1e400 overflowed (NaN ridge coefficients from the direct solvers, NaN or inf gaps)."""
    X, y, sample_weight = _scaled_problem("weights")
    scale = 2.0**498
    _assert_scaled_fit(
        lambda alpha_scale: LinearRegressor(penalty, alpha=0.1 * alpha_scale, solver=solver,
                                            tol=1e-10),
        X, y, sample_weight, scale, scale, scale**2, weight_factor=1e100,
    )


def test_mixed_huge_and_tiny_weights_fit_the_heavy_samples():
    """Weights near 1e300 and 1e-300 together: the tiny ones are negligible (relative
    weights near 1e-600), the fit is that of the heavy samples alone."""
    X, y, sample_weight = _weighted_problem(False, np.float64)
    heavy = np.arange(len(y)) % 3 != 0
    mixed = sample_weight * np.where(heavy, 1e300, 1e-300)
    for penalty, solver in SOLVERS:
        reference = LinearRegressor(penalty, alpha=0.01, solver=solver, tol=1e-10).fit(
            X[heavy], y[heavy], sample_weight=sample_weight[heavy])
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            model = LinearRegressor(penalty, alpha=0.01, solver=solver, tol=1e-10).fit(
                X, y, sample_weight=mixed)
        _assert_same_coefficients(model, reference, np.float64)


@pytest.mark.parametrize("case", ["float32", "sparse float32", "X~1e150"])
@pytest.mark.parametrize("penalty", ["l1", "l2", "elasticnet"])
def test_path_and_cv_with_huge_weights_give_the_same_fits(penalty, case):
    """Weights near 1e100 in the path and the cross-validation: NaN coefficients (float32
    designs overflowed, and float64 ones of data near 1e150)."""
    X, y, sample_weight = _weighted_problem(case.startswith("sparse"),
                                            np.float64 if case == "X~1e150" else np.float32)
    alphas = np.logspace(-3, 0, 4)
    if case == "X~1e150":
        scale = 2.0**498
        X, y, alphas = X * scale, y * scale, alphas * scale**2
    tol = 1e-10 if case == "X~1e150" else 1e-6
    reference = regularization_path(X, y, penalty=penalty, alphas=alphas, tol=tol,
                                    sample_weight=sample_weight)
    cv_reference = LinearRegressorCV(penalty, alphas=list(alphas), tol=tol).fit(
        X, y, sample_weight=sample_weight)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = regularization_path(X, y, penalty=penalty, alphas=alphas, tol=tol,
                                   sample_weight=sample_weight * 1e100)
        cv = LinearRegressorCV(penalty, alphas=list(alphas), tol=tol).fit(
            X, y, sample_weight=sample_weight * 1e100)
    rtol = 1e-9 if case == "X~1e150" else 1e-5
    size = np.abs(reference.coefs).max()
    assert np.abs(path.coefs - reference.coefs).max() <= rtol * size
    assert np.all(path.n_iter <= reference.n_iter + 1)
    assert cv.alpha_ == cv_reference.alpha_
    assert np.abs(cv.coef_ - cv_reference.coef_).max() <= rtol * size


@pytest.mark.parametrize("factor", WEIGHT_FACTORS.values(), ids=WEIGHT_FACTORS.keys())
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("penalty", ["l1", "l2", "elasticnet", None])
def test_classifier_sample_weights_times_any_factor_give_the_same_fit(penalty, dtype,
                                                                      factor):
    X, y, sample_weight = _weighted_problem(False, dtype)
    labels = np.digitize(y, np.quantile(y, [1 / 3, 2 / 3]))
    for class_weight in [None, "balanced"]:
        params = dict(penalty=penalty, alpha=0.01, tol=1e-10, class_weight=class_weight)
        reference = sklreg.LinearClassifier(**params).fit(X, labels, sample_weight=sample_weight)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            model = sklreg.LinearClassifier(**params).fit(X, labels,
                                                          sample_weight=sample_weight * factor)
        _assert_same_coefficients(model, reference, np.float64)
    cv = sklreg.LinearClassifierCV(penalty or "l2", alphas=3, cv=3)
    reference = cv.fit(X, labels, sample_weight=sample_weight).coef_
    assert np.abs(cv.fit(X, labels, sample_weight=sample_weight * factor).coef_
                  - reference).max() <= 1e-6 * np.abs(reference).max()


def test_huge_class_weights_times_sample_weights_do_not_overflow():
    """class_weight near float64's max times sample weights above 1 overflowed to inf:
    'Input sample_weight contains infinity' from a valid class_weight. The class weights
    scale the problem as a whole: the fit is that of the same weights near 1."""
    X, y, sample_weight = _weighted_problem(False, np.float64)
    labels = (y > np.median(y)).astype(int)
    sample_weight = sample_weight.copy()
    sample_weight[:2] = 1000.0
    reference = sklreg.LinearClassifier(alpha=0.01, tol=1e-10, class_weight={0: 1.0, 1: 1.5})
    reference.fit(X, labels, sample_weight=sample_weight)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = sklreg.LinearClassifier(alpha=0.01, tol=1e-10,
                                        class_weight={0: 1e308, 1: 1.5e308})
        model.fit(X, labels, sample_weight=sample_weight)
    _assert_same_coefficients(model, reference, np.float64)


# ------------------------------------------------------------------ ill-conditioned problems
def _ill_conditioned(kind, n_samples=60, n_features=8, seed=0):
    rng = np.random.RandomState(seed)
    Z = rng.randn(n_samples, n_features)
    y = Z @ rng.randn(n_features) + 0.1 * rng.randn(n_samples)
    if kind == "scales":  # features from 1e-8 to 1e8
        X = Z * np.logspace(-8, 8, n_features)
    else:  # two near-collinear pairs
        X = Z.copy()
        X[:, 1] = X[:, 0] + 1e-9 * rng.randn(n_samples)
        X[:, 3] = X[:, 2] * (1 + 1e-10)
    return X, y


@pytest.mark.parametrize("kind", ["scales", "collinear"])
@pytest.mark.parametrize("penalty, l1_ratio", [("l1", 1.0), ("elasticnet", 0.5)])
@pytest.mark.parametrize("solver", ["auto", "cd", "gram"])
def test_ill_conditioned_answers_are_certified(kind, penalty, l1_ratio, solver):
    X, y = _ill_conditioned(kind)
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    alpha = 1e-3 * np.abs(Xc.T @ yc).max() / (len(y) * l1_ratio)
    model = LinearRegressor(penalty, alpha=alpha, l1_ratio=l1_ratio, solver=solver, tol=1e-10,
                            max_iter=20_000)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # it reaches tol, no warning
        model.fit(X, y)
    p_null = 0.5 * np.mean(yc**2)
    assert model.dual_gap_ <= 1e-10 * p_null
    reference = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=1e-14, max_iter=200_000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reference.fit(X, y)
    p_model = objective(X, y, model.coef_, model.intercept_, alpha, l1_ratio)
    p_reference = objective(X, y, reference.coef_, reference.intercept_, alpha, l1_ratio)
    assert p_model - p_reference <= model.dual_gap_ + 1e-14 * p_null
    assert np.all(np.isfinite(model.predict(X)))


@pytest.mark.parametrize("solver", ["cd", "gram"])
def test_rounding_limited_gap_warns_with_the_cause(solver):
    """Features on wildly different scales: the warning names the scaling as a cause.

    The tol is below float64 rounding, so that no solver reaches it on any CPU (at 1e-15,
    coordinate descent reached it by luck of rounding on some machines)."""
    X, y = _ill_conditioned("scales")
    with pytest.warns(ConvergenceWarning, match="Rounding likely limits.*feature norms span"):
        LinearRegressor("l1", alpha=1e-3, tol=1e-17, max_iter=300, solver=solver).fit(X, y)
    X_std = (X - X.mean(axis=0)) / X.std(axis=0)  # the advised fix: standardized, it certifies
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        LinearRegressor("l1", alpha=1e-3, tol=1e-12, max_iter=300, solver=solver).fit(X_std, y)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tol_below_precision_warns_with_the_cause(dtype):
    X, y = make_problem("continuous", n_samples=60, n_features=8)
    tol = 1e-30  # far below what either precision can certify
    with pytest.warns(ConvergenceWarning, match=f"rounding level of {np.dtype(dtype).name}"):
        LinearRegressor("l1", alpha=1e-3, tol=tol, max_iter=300, solver="cd").fit(
            X.astype(dtype), y)


@pytest.mark.parametrize("penalty", ["l1", "elasticnet"])
@pytest.mark.parametrize("sparse", [False, True])
def test_tol_zero_runs_without_crashing(penalty, sparse):
    """``tol=0`` is allowed: 'auto' (which estimates the work left from the rate at which
    the gap falls towards ``tol``) raised ZeroDivisionError in the kernel."""
    X, y = make_problem("continuous", n_samples=80, n_features=12)
    X = sp.csc_matrix(X) if sparse else X
    exact = LinearRegressor(penalty, alpha=1e-3, tol=1e-14, max_iter=10_000).fit(X, y)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)  # a gap of exactly 0 is luck
        model = LinearRegressor(penalty, alpha=1e-3, tol=0.0, max_iter=2000).fit(X, y)
    assert model.coef_ == pytest.approx(exact.coef_, rel=1e-6, abs=1e-9)
    for warning in caught:  # the relative gap is named, not NaN
        assert "nan" not in str(warning.message) and "relative gap" in str(warning.message)


def test_iteration_budget_warning_keeps_its_advice():
    """Too few epochs on a well-scaled problem: no rounding diagnosis, the usual advice."""
    X, y = _ill_conditioned("collinear")
    with pytest.warns(ConvergenceWarning, match="Increase max_iter") as record:
        LinearRegressor("l2", alpha=1e-6, tol=1e-10, max_iter=3, solver="cd").fit(X, y)
    assert not any("Rounding" in str(w.message) for w in record)


def _unit_regression(n_samples=200, n_features=40):
    """Standardized data with noise: the unpenalized fit leaves a residual (relative 1e-2)."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n_samples, n_features))
    y = X @ rng.standard_normal(n_features) + 3.0 * rng.standard_normal(n_samples)
    return (X - X.mean(axis=0)) / X.std(axis=0), (y - y.mean()) / y.std()


BELOW_ROUNDING = "below the float64 rounding of the gradient.*penalty=None"


@pytest.mark.parametrize("alpha", [1e-150, 1e-300, 5e-324])
@pytest.mark.parametrize("penalty, solver", [("l1", "auto"), ("l1", "cd"), ("l1", "gram"),
                                             ("elasticnet", "cd"), ("elasticnet", "gram"),
                                             ("l2", "auto"), ("l2", "cd")])
def test_penalty_below_rounding_gives_the_unpenalized_fit_and_says_why(alpha, penalty,
                                                                       solver):
    """A penalty far below the rounding of ``X^T r`` cannot be certified (the lasso dual
    point is scaled to nothing; the L2 conjugate divides rounding by alpha): the warning
    says so, instead of advising max_iter, and coordinate descent stops at the
    unpenalized solution instead of running all its 10000 epochs."""
    X, y = _unit_regression()
    with pytest.warns(ConvergenceWarning, match=BELOW_ROUNDING) as record:
        model = LinearRegressor(penalty, alpha=alpha, solver=solver).fit(X, y)
    assert not any("max_iter" in str(w.message) for w in record)
    assert model.n_iter_ < 1000
    unpenalized = np.linalg.lstsq(X, y, rcond=None)[0]
    np.testing.assert_allclose(model.coef_, unpenalized, rtol=0, atol=1e-9)
    # a small alpha above the rounding is certified as before
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        LinearRegressor(penalty, alpha=1e-9, solver=solver, tol=1e-8).fit(X, y)


@pytest.mark.parametrize("alpha", [1e-150, 5e-324])
@pytest.mark.parametrize("penalty", ["l1", "l2", "elasticnet"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_classifier_penalty_below_rounding_says_why(alpha, penalty, n_classes):
    """The classifier's warning at such an alpha names the cause, not max_iter."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((150, 10))
    y = rng.integers(n_classes, size=150)  # labels unrelated to X: not separable
    with pytest.warns(ConvergenceWarning, match=BELOW_ROUNDING) as record:
        sklreg.LinearClassifier(penalty, alpha=alpha).fit(X, y)
    assert not any("Increase max_iter" in str(w.message) for w in record)


@pytest.mark.parametrize("penalty", ["l1", "l2"])
def test_classifier_cv_penalty_below_rounding_says_why(penalty):
    """The path's warnings at such alphas name the cause too, as a single fit's do."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((150, 10))
    y = rng.integers(3, size=150)
    with pytest.warns(ConvergenceWarning, match=BELOW_ROUNDING) as record:
        sklreg.LinearClassifierCV(penalty, alphas=[1e-200], cv=2).fit(X, y)
    assert not any("Increase max_iter" in str(w.message) for w in record)


def test_penalty_near_rounding_on_a_scaled_column_is_still_certified():
    """A column 1e8 times the others puts ``eps ||X||_F ||y||`` (the rounding estimate of
    ``X^T r``) at 1e3 times this alpha's L1 strength, yet descent takes that column's
    gradient below it in about 50 epochs, as it did before the stop below rounding. The
    stop's inner solves ended after a single epoch once the violations were within the
    estimate, so an outer iteration without an extrapolation saw the gap stall and
    stopped at a gap of 0.3 with a warning; they now run a whole extrapolation window."""
    X, y = make_regression(300, 100, noise=1.0, random_state=0)
    X[:, 0] *= 1e8
    eps = np.finfo(np.float64).eps
    rounding = eps * np.linalg.norm(X - X.mean(axis=0)) * np.linalg.norm(y - y.mean())
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = LinearRegressor("l1", alpha=1e-3 * rounding / len(y), tol=1e-8,
                                solver="cd").fit(X, y)
    null = 0.5 * np.mean((y - y.mean()) ** 2)
    assert model.dual_gap_ <= 1e-8 * null
