"""Convergence on columns that share a common factor, for an A/B between two commits.

Each column is ``0.9 f + 0.45 e_j + 3`` (``f`` and ``e_j`` standard normal): pairwise
correlation 0.8, most columns active at small alphas. Cyclic coordinate descent crawls on
such designs. Classification labels are quantiles of a score made from 10 columns;
regression targets are that score plus noise. Fits at tol 1e-6 (``max_iter=1000`` for the
classifier), one thread, median of 3 after a warm-up fit. Run once per snapshot of the
package on ``PYTHONPATH``:

    PYTHONPATH=/tmp/snap python benchmarks/bench_correlated.py
"""

import argparse
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402

from sklreg import LinearClassifier, LinearRegressor  # noqa: E402

warnings.simplefilter("ignore")


def design(n, p, seed=0):
    """The design and a score made from its first 10 columns."""
    rng = np.random.RandomState(seed)
    X = 0.9 * rng.randn(n, 1) + 0.45 * rng.randn(n, p) + 3.0
    return X, X[:, :10] @ rng.randn(10) + rng.randn(n)


def timed(model, X, y):
    """Median time of 3 fits after a warm-up one, and the fitted model."""
    model.fit(X, y)
    ts = []
    for _ in range(3):
        start = time.perf_counter()
        model.fit(X, y)
        ts.append(time.perf_counter() - start)
    return np.median(ts), model


def main():
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()  # --help
    for n, p, K, b, pen, frac in [(2000, 200, 2, 0, "l1", 1e-3), (2000, 200, 2, 1, "l1", 1e-2),
                                  (1000, 300, 2, 1, "l1", 1e-2), (2000, 200, 4, 0, "l1", 1e-2),
                                  (2000, 200, 2, 1, "elasticnet", 1e-3)]:
        X, score = design(n, p)
        y = np.digitize(score, np.quantile(score, np.linspace(0, 1, K + 1)[1:-1]))
        onehot = (y[:, None] == np.arange(K)).astype(float)
        Xc = X - X.mean(0) if b else X
        am = np.abs(Xc.T @ (onehot.mean(0) - onehot)).max() / n
        t, m = timed(LinearClassifier(pen, alpha=frac * am, l1_ratio=0.5, tol=1e-6, max_iter=1000,
                                      fit_intercept=bool(b)), X, y)
        p_null = np.log(K) if not b else -(onehot.mean(0) * np.log(onehot.mean(0))).sum()
        print(f"classifier {n}x{p} K={K} intercept={b} {pen} alpha_max*{frac}: {t*1e3:.1f} ms, "
              f"{m.n_iter_} iterations, relative gap {m.dual_gap_ / p_null:.1e}")
    for n, p, pen, frac in [(1000, 300, "l1", 1e-2), (2000, 200, "l1", 1e-3),
                            (1000, 300, "elasticnet", 1e-3), (5000, 100, "l1", 1e-3)]:
        X, y = design(n, p)
        l1r = 1.0 if pen == "l1" else 0.5
        am = np.abs((X - X.mean(0)).T @ (y - y.mean())).max() / (n * l1r)
        t, m = timed(LinearRegressor(pen, alpha=frac * am, l1_ratio=l1r, tol=1e-6,
                                     max_iter=100000), X, y)
        print(f"regressor {n}x{p} {pen} alpha_max*{frac}: {t*1e3:.1f} ms, {m.n_iter_} epochs")


if __name__ == "__main__":
    main()
