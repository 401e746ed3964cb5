"""device='cuda' fails early and clearly when it cannot run (the CUDA kernels themselves are
tested under the simulator in ``tests_cuda/``, in their own process)."""

import sys
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.utils._param_validation import InvalidParameterError

import sklreg.cuda
from sklreg import (
    LinearClassifier,
    LinearClassifierCV,
    LinearRegressor,
    LinearRegressorCV,
    MLPClassifier,
    MLPRegressor,
)

ESTIMATORS = [LinearRegressor, LinearClassifier, MLPRegressor, MLPClassifier]


def _data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((20, 3)), np.arange(20) % 2


def _gpu_usable():
    try:
        sklreg.cuda.require_cuda()
    except (ImportError, RuntimeError):
        return False
    return True


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_cpu_is_the_default(Estimator):
    assert Estimator().device == "cpu"


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_unknown_device_rejected(Estimator):
    X, y = _data()
    with pytest.raises(InvalidParameterError, match="device"):
        Estimator(device="gpu").fit(X, y)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_no_gpu_error(Estimator):
    if _gpu_usable():
        pytest.skip("a CUDA GPU (or the simulator) is usable in this process")
    X, y = _data()
    with pytest.raises((RuntimeError, ImportError),
                       match=r"no CUDA GPU detected|pip install sklreg\[cuda\]"):
        Estimator(device="cuda").fit(X, y)


@pytest.fixture
def without_numba_cuda(monkeypatch):
    """numba-cuda reported as not installed."""
    real_find_spec = sklreg.cuda.importlib.util.find_spec

    def find_spec(name, *args):
        return None if name == "numba_cuda" else real_find_spec(name, *args)

    monkeypatch.setattr(sklreg.cuda.importlib.util, "find_spec", find_spec)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_missing_numba_cuda_error(Estimator, without_numba_cuda):
    X, y = _data()
    with pytest.raises(ImportError, match=r"numba-cuda.*pip install sklreg\[cuda\]"):
        Estimator(device="cuda").fit(X, y)


@pytest.fixture
def broken_numba_cuda(monkeypatch):
    """numba-cuda found, but ``numba.cuda`` fails to import (a broken or mismatched install)."""
    import numba

    monkeypatch.setitem(sys.modules, "numba.cuda", None)
    monkeypatch.delattr(numba, "cuda", raising=False)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_broken_numba_cuda_error(Estimator, broken_numba_cuda):
    # the bare "import of numba.cuda halted; None in sys.modules" named neither device='cuda'
    # nor numba-cuda
    X, y = _data()
    with pytest.raises(ImportError, match=r"device='cuda'.*numba-cuda.*could not be imported"):
        Estimator(device="cuda").fit(X, y)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_failed_device_fit_leaves_the_estimator_as_it_was(Estimator, without_numba_cuda):
    # the device was checked after the data: a failed fit had already set n_features_in_,
    # so a fitted model no longer predicted on its own features, an unfitted one raised
    # AttributeError instead of NotFittedError
    X, y = _data()
    fresh = Estimator(device="cuda")
    with pytest.raises(ImportError, match="numba-cuda"):
        fresh.fit(X, y)
    with pytest.raises(NotFittedError):
        fresh.predict(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fitted = Estimator(max_iter=5).fit(X, y)
    expected = fitted.predict(X)
    with pytest.raises(ImportError, match="numba-cuda"):
        fitted.set_params(device="cuda").fit(X[:, :2], y)
    assert fitted.n_features_in_ == X.shape[1]
    np.testing.assert_array_equal(fitted.predict(X), expected)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_sparse_input_rejected_before_any_gpu_check(Estimator):
    X, y = _data()
    with pytest.raises(ValueError, match="dense X only"):
        Estimator(device="cuda").fit(sp.csr_matrix(X), y)


@pytest.mark.parametrize("Estimator, device", [
    *[(Estimator, device) for Estimator in ESTIMATORS for device in ["cpu", "cuda"]],
    (LinearRegressorCV, None), (LinearClassifierCV, None),
])
def test_sparse_tag_matches_what_fit_accepts(Estimator, device):
    """The linear models' tag said sparse input with device='cuda' too, whose fit rejects
    sparse X (before looking for a GPU, so this runs without one). The CV estimators have
    no device (None here): they fit on the CPU."""
    X, y = _data()
    model = Estimator() if device is None else Estimator(device=device)
    accepts_sparse = model.__sklearn_tags__().input_tags.sparse
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if accepts_sparse:
            model.fit(sp.csr_matrix(X), y)
        else:
            with pytest.raises(ValueError, match="dense X only"):
                model.fit(sp.csr_matrix(X), y)
    assert accepts_sparse == (device != "cuda")


@pytest.mark.parametrize("Estimator", [MLPRegressor, MLPClassifier])
def test_group_penalty_rejected_before_any_gpu_check(Estimator):
    X, y = _data()
    with pytest.raises(ValueError, match="penalty='group'"):
        Estimator(device="cuda", penalty="group").fit(X, y)
