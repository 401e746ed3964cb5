"""Scale-out: grid searches and CV estimators on a ``dask.distributed`` cluster via joblib.

Dask's workers start with one BLAS / OpenMP thread each; sklreg's Numba kernels are serial
(``nogil`` but never ``parallel=True``), so each worker computes on one thread and
``n_workers * threads_per_worker`` is the whole concurrency: nothing oversubscribes.
"""

import importlib
import pkgutil
import warnings

import joblib
import numba
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

import sklreg
from sklreg import LinearRegressor, LinearRegressorCV


def _imported_sklreg():
    import sys

    return "sklreg.linear._regressor" in sys.modules


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("dask.distributed")
    cluster = distributed.LocalCluster(host="127.0.0.1", n_workers=2, threads_per_worker=1,
                                       processes=True, dashboard_address=None)
    with cluster, distributed.Client(cluster) as client:
        yield client


@pytest.fixture(scope="module")
def data():
    X, y = make_regression(n_samples=120, n_features=15, n_informative=5, noise=5.0,
                           random_state=0)
    return X, y / y.std()


def grid_search(X, y):
    search = GridSearchCV(
        LinearRegressor("elasticnet", tol=1e-8),
        {"alpha": [0.01, 0.1, 1.0], "l1_ratio": [0.2, 0.8]},
        cv=3, n_jobs=2,
    )
    return search.fit(X, y)


def test_grid_search_on_dask_equals_local(client, data):
    X, y = data
    local = grid_search(X, y)
    with joblib.parallel_backend("dask"):
        remote = grid_search(X, y)
    assert remote.best_params_ == local.best_params_
    for key in ("mean_test_score", "split0_test_score", "split2_test_score"):
        assert_allclose(remote.cv_results_[key], local.cv_results_[key], rtol=1e-12)
    assert_allclose(remote.best_estimator_.coef_, local.best_estimator_.coef_, rtol=1e-12)
    assert any(client.run(_imported_sklreg).values())  # the fits did run on the workers


def test_cv_estimator_with_n_jobs_on_dask_equals_local(client, data):
    X, y = data
    params = dict(penalty="elasticnet", l1_ratio=[0.3, 0.9], alphas=8, cv=3, tol=1e-8,
                  n_jobs=2)
    local = LinearRegressorCV(**params).fit(X, y)
    for progress_bar in (False, True):  # the bar collects the results as they arrive
        with joblib.parallel_backend("dask"):
            remote = LinearRegressorCV(**params, progress_bar=progress_bar).fit(X, y)
        assert (remote.alpha_, remote.l1_ratio_) == (local.alpha_, local.l1_ratio_)
        assert_array_equal(remote.mse_path_, local.mse_path_)
        assert_array_equal(remote.coef_, local.coef_)


def numba_kernels():
    """Every Numba dispatcher defined in sklreg's modules."""
    kernels = {}
    for info in pkgutil.walk_packages(sklreg.__path__, "sklreg."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if isinstance(value, numba.core.dispatcher.Dispatcher):
                kernels[f"{value.py_func.__module__}.{name}"] = value
    return kernels


def test_numba_kernels_are_serial():
    kernels = numba_kernels()
    assert len(kernels) > 10
    parallel = [name for name, kernel in kernels.items() if kernel.targetoptions.get("parallel")]
    assert parallel == []


def _fit_and_count_threads():
    import threadpoolctl
    from numba.np.ufunc import parallel

    X, y = make_regression(n_samples=60, n_features=8, random_state=0)
    LinearRegressor("l1", alpha=0.1).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sklreg.MLPRegressor((4,), penalty="l1", max_iter=3).fit(X, y / y.std())
    blas = [pool["num_threads"] for pool in threadpoolctl.threadpool_info()
            if pool["user_api"] == "blas"]
    return parallel._is_initialized, blas


def test_worker_fits_use_a_single_thread(client):
    for numba_pool_started, blas_threads in client.run(_fit_and_count_threads).values():
        assert not numba_pool_started  # no parallel kernel ran: Numba started no threads
        assert blas_threads and set(blas_threads) == {1}
