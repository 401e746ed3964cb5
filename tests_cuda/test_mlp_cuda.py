"""device='cuda' trains the MLPs step for step as the CPU: same init, same batches, same weights."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from sklreg import MLPClassifier, MLPRegressor

PENALTIES = ["l1", "l2", "elasticnet", None]
DTYPES = [np.float64, np.float32]


def data(task, n_samples=24, n_features=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features))
    if task == "regression":
        return MLPRegressor, X, np.column_stack([np.sin(X[:, 0]) + X[:, 1], X[:, 2]])
    n_classes = 2 if task == "binary" else 3
    return MLPClassifier, X, np.arange(n_samples) % n_classes


def fit_both(Estimator, X, y, **params):
    params = {**dict(hidden_layer_sizes=(5, 3), alpha=0.01, max_iter=3, batch_size=10,
                     random_state=0, learning_rate_init=0.05), **params}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        cpu = Estimator(**params).fit(X, y)
        gpu = Estimator(device="cuda", **params).fit(X, y)
    return cpu, gpu


def assert_same_network(cpu, gpu, dtype):
    atol = 1e-5 if dtype == np.float32 else 1e-12
    for a, b in zip(cpu.coefs_ + cpu.intercepts_, gpu.coefs_ + gpu.intercepts_, strict=True):
        assert isinstance(b, np.ndarray) and b.dtype == dtype
        np.testing.assert_allclose(b, a, atol=atol)
    np.testing.assert_allclose(gpu.loss_curve_, cpu.loss_curve_, rtol=10 * atol)
    # plain floats as on the CPU (they were NumPy scalars copied from the device)
    for name in ("loss_", "best_loss_"):
        assert type(getattr(gpu, name)) is type(getattr(cpu, name))
    assert {type(value) for value in gpu.loss_curve_} == {type(v) for v in cpu.loss_curve_}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("penalty", PENALTIES)
@pytest.mark.parametrize("solver", ["adam", "sgd"])
@pytest.mark.parametrize("task", ["regression", "binary", "multiclass"])
def test_training_steps_equal_cpu(task, solver, penalty, dtype):
    Estimator, X, y = data(task)
    activation = {"regression": "tanh", "binary": "relu", "multiclass": "logistic"}[task]
    cpu, gpu = fit_both(Estimator, X.astype(dtype), y, solver=solver, penalty=penalty,
                        l1_ratio=0.5, activation=activation)
    assert_same_network(cpu, gpu, dtype)
    if penalty == "l1" and dtype == np.float64:  # the prox zeroes the same weights
        for a, b in zip(cpu.coefs_, gpu.coefs_, strict=True):
            np.testing.assert_array_equal(a == 0, b == 0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_lbfgs_equal_cpu(dtype):
    Estimator, X, y = data("regression")
    cpu, gpu = fit_both(Estimator, X.astype(dtype), y, solver="lbfgs", penalty="l2")
    atol = 1e-4 if dtype == np.float32 else 1e-9
    for a, b in zip(cpu.coefs_, gpu.coefs_, strict=True):
        np.testing.assert_allclose(b, a, atol=atol)


def test_sample_weight_momentum_partial_fit_and_pickle():
    Estimator, X, y = data("multiclass", seed=3)
    sample_weight = np.random.default_rng(3).random(len(y)) + 0.1
    params = dict(hidden_layer_sizes=(4,), solver="sgd", penalty="elasticnet",
                  nesterovs_momentum=False, momentum=0.8, batch_size=8, random_state=1,
                  learning_rate_init=0.1)
    cpu = Estimator(**params)
    gpu = Estimator(device="cuda", **params)
    for _ in range(2):  # the optimizer state (velocity) goes to the device and back
        cpu.partial_fit(X, y, sample_weight, classes=np.arange(3))
        gpu.partial_fit(X, y, sample_weight, classes=np.arange(3))
    assert_same_network(cpu, gpu, np.float64)
    np.testing.assert_allclose(gpu._optimizer_state["velocity"],
                               cpu._optimizer_state["velocity"], atol=1e-12)
    restored = pickle.loads(pickle.dumps(gpu))
    np.testing.assert_array_equal(restored.predict_proba(X), gpu.predict_proba(X))


def test_group_penalty_and_sparse_input_rejected():
    import scipy.sparse as sp

    Estimator, X, y = data("regression")
    with pytest.raises(ValueError, match="penalty='group'"):
        Estimator(device="cuda", penalty="group").fit(X, y)
    with pytest.raises(ValueError, match="dense X only"):
        Estimator(device="cuda").fit(sp.csr_matrix(X), y)


def test_early_stopping_equal_cpu():
    Estimator, X, y = data("regression", n_samples=40, seed=5)
    cpu, gpu = fit_both(Estimator, X, y, solver="adam", penalty="l1", early_stopping=True,
                        validation_fraction=0.25, max_iter=4)
    assert_same_network(cpu, gpu, np.float64)
    np.testing.assert_allclose(gpu.validation_scores_, cpu.validation_scores_, rtol=1e-10)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_poisson_loss_equal_cpu(solver, dtype):
    """The exp output and half Poisson deviance of ``loss='poisson'``, zero counts included."""
    _, X, _ = data("regression", n_samples=30, seed=2)
    rng = np.random.default_rng(2)
    Y = rng.poisson(np.exp(X[:, :2] * [0.5, -0.4])).astype(float)
    assert (Y == 0).any()
    penalty = "l2" if solver == "lbfgs" else "l1"
    cpu, gpu = fit_both(MLPRegressor, X.astype(dtype), Y, solver=solver, penalty=penalty,
                        loss="poisson", activation="tanh")
    assert gpu.out_activation_ == "exp"
    if solver == "lbfgs":
        atol = 1e-4 if dtype == np.float32 else 1e-9
        for a, b in zip(cpu.coefs_, gpu.coefs_, strict=True):
            np.testing.assert_allclose(b, a, atol=atol)
    else:
        assert_same_network(cpu, gpu, dtype)


# the simulator runs the kernels on NumPy scalars in threads of its own, outside the fit's
# np.errstate: the device's inf arithmetic warns there (and is silent on a GPU)
@pytest.mark.filterwarnings("ignore:.*encountered in:RuntimeWarning")
def test_poisson_lbfgs_steps_back_from_an_overflowing_exp_as_the_cpu():
    """Inputs of scale 30: an early trial point of L-BFGS overflows the exp output (inf on
    the device, where the simulator's math.exp would raise OverflowError)."""
    _, X, _ = data("regression", n_samples=30, seed=2)
    Y = np.random.default_rng(2).poisson(np.exp(X[:, :2] * [0.5, -0.4])).astype(float)
    cpu, gpu = fit_both(MLPRegressor, 30.0 * X, Y, solver="lbfgs", penalty="l2",
                        loss="poisson", activation="identity", max_iter=5)
    assert np.isfinite(cpu.loss_)
    for a, b in zip(cpu.coefs_, gpu.coefs_, strict=True):
        np.testing.assert_allclose(b, a, atol=1e-9)


@pytest.mark.filterwarnings("ignore:.*encountered in:RuntimeWarning")  # the simulator's inf
@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
def test_poisson_zero_weight_outlier_adds_nothing_as_on_the_cpu(solver):
    """A zero-weight row whose exp mean overflows: ``inf * 0`` made the device's loss and
    gradient NaN (the CPU skips the row)."""
    _, X, _ = data("regression", n_samples=30, seed=2)
    Y = np.random.default_rng(2).poisson(np.exp(X[:, :2] * [0.5, -0.4])).astype(float)
    X[0] = 1e4
    sample_weight = np.ones(len(X))
    sample_weight[0] = 0.0
    params = dict(hidden_layer_sizes=(5, 3), alpha=0.01, max_iter=3, batch_size=10,
                  random_state=0, learning_rate_init=0.05, solver=solver, loss="poisson",
                  activation="relu")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        cpu = MLPRegressor(**params).fit(X, Y, sample_weight=sample_weight)
        gpu = MLPRegressor(device="cuda", **params).fit(X, Y, sample_weight=sample_weight)
    assert np.isfinite(cpu.loss_curve_).all()
    for a, b in zip(cpu.coefs_ + cpu.intercepts_, gpu.coefs_ + gpu.intercepts_, strict=True):
        np.testing.assert_allclose(b, a, atol=1e-9)
    np.testing.assert_allclose(gpu.loss_curve_, cpu.loss_curve_, rtol=1e-9)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_device_allocation_failure_changes_nothing(monkeypatch, solver):
    """The training data cannot be copied to the device (out of GPU memory): the fit fails
    before training, so the estimator is left as it was, not "fitted" with the random
    initial weights (a fresh one) or with a reset optimizer state (a fitted one)."""
    from numba.cuda.cudadrv.driver import CudaAPIError
    from sklearn.exceptions import NotFittedError

    from sklreg.cuda import _mlp

    Estimator, X, y = data("regression")

    def out_of_memory(*args, **kwargs):
        raise CudaAPIError(2, "CUDA_ERROR_OUT_OF_MEMORY")

    params = dict(hidden_layer_sizes=(4,), max_iter=2, random_state=0, solver=solver)
    monkeypatch.setattr(_mlp.DeviceNetwork, "__init__", out_of_memory)
    model = Estimator(device="cuda", **params)
    with pytest.raises(CudaAPIError):
        model.fit(X, y)
    assert not hasattr(model, "coefs_") and not hasattr(model, "n_features_in_")
    with pytest.raises(NotFittedError):
        model.predict(X)

    monkeypatch.undo()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = Estimator(device="cuda", warm_start=True, **params).fit(X, y)
    before = pickle.dumps(model.__dict__)
    monkeypatch.setattr(_mlp.DeviceNetwork, "__init__", out_of_memory)
    for method in ["fit"] + (["partial_fit"] if solver != "lbfgs" else []):
        with pytest.raises(CudaAPIError):
            getattr(model, method)(X, y)
        assert pickle.dumps(model.__dict__) == before, method
