"""LinearRegressorCV against LassoCV / ElasticNetCV: same grid, same folds, one thread.

    python benchmarks/bench_cv.py --data-dir ../shared/data [--names riboflavin leukemia]

Names of the data folder's sets, or generated dense sets: ``tall_indep`` (5000 x 500,
independent columns) and ``tall_corr`` (the same with AR(1) columns of correlation 0.9),
``small_indep`` (500 x 50, independent), ``near_square_corr`` (300 x 200, AR(1) 0.9);
25 non-zero coefficients (all of them for fewer features), unit noise, column offsets up
to 3.

Prints the fit time of each (median of ``--repeats`` timed runs after a warm-up fit), their
ratio and the alphas they select, for the lasso and the elastic net (``l1_ratio=0.5``).
sklreg runs at relative gap ``--tol``; scikit-learn at ``tol / 2`` (its tolerance certifies
twice its value on this scale).
"""

import os
import sys
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import ElasticNetCV, LassoCV  # noqa: E402
from sklearn.model_selection import KFold  # noqa: E402

from sklreg import LinearRegressorCV  # noqa: E402
from sklreg._datasets import find_data_dir, load_dataset  # noqa: E402

# (n_samples, n_features, AR(1) correlation of the columns)
GENERATED = {"tall_indep": (5000, 500, 0.0), "tall_corr": (5000, 500, 0.9),
             "small_indep": (500, 50, 0.0), "near_square_corr": (300, 200, 0.9)}


def generated(name):
    """A dense regression problem of ``GENERATED``, seeded."""
    rng = np.random.default_rng(0)
    n_samples, n_features, rho = GENERATED[name]
    Z = rng.standard_normal((n_samples, n_features))
    X = np.empty_like(Z)
    X[:, 0] = Z[:, 0]
    for j in range(1, n_features):
        X[:, j] = rho * X[:, j - 1] + np.sqrt(1 - rho**2) * Z[:, j]
    coef = np.zeros(n_features)
    coef[:25] = rng.standard_normal(min(25, n_features))
    y = X @ coef + rng.standard_normal(n_samples)
    return X + rng.uniform(-3, 3, n_features), y


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--names", nargs="+",
                        default=["riboflavin", "leukemia", "tall_indep", "tall_corr"])
    parser.add_argument("--tol", type=float, default=1e-6)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    data_dir = args.data_dir or find_data_dir()
    if data_dir is None:
        print("No dataset folder (set SKLREG_DATA_DIR or --data-dir): generated sets only.")
        args.names = [name for name in args.names if name in GENERATED]
    warnings.simplefilter("ignore", ConvergenceWarning)
    print("| data | n x p | penalty | sklreg s | sklearn s | ratio | alpha sklreg | "
          "alpha sklearn |")
    print("|---|---|---|---|---|---|---|---|")
    for name in args.names:
        if name not in GENERATED and not (Path(data_dir) / f"{name}.npz").is_file():
            print(f"{name} skipped: not in {data_dir}", file=sys.stderr)
            continue
        X, y = generated(name) if name in GENERATED else load_dataset(name, data_dir)
        y = y.astype(float) if y.dtype.kind == "f" else 2.0 * (y == y.max()) - 1.0
        cv = KFold(args.folds, shuffle=True, random_state=0)
        common = dict(alphas=100, cv=cv, max_iter=10**5)
        pairs = [
            ("lasso", LinearRegressorCV("l1", tol=args.tol, **common),
             LassoCV(tol=args.tol / 2, **common)),
            ("enet 0.5", LinearRegressorCV("elasticnet", l1_ratio=0.5, tol=args.tol, **common),
             ElasticNetCV(l1_ratio=0.5, tol=args.tol / 2, **common)),
        ]
        for label, ours, theirs in pairs:
            times = []
            for model in (ours, theirs):
                model.fit(X, y)  # warm-up (Numba cache load)
                runs = []
                for _ in range(args.repeats):
                    start = time.perf_counter()
                    model.fit(X, y)
                    runs.append(time.perf_counter() - start)
                times.append(float(np.median(runs)))
            print(f"| {name} | {X.shape[0]} x {X.shape[1]} | {label} | {times[0]:.2f} | "
                  f"{times[1]:.2f} | {times[1] / times[0]:.1f}x | {ours.alpha_:.5g} | "
                  f"{theirs.alpha_:.5g} |", flush=True)

if __name__ == "__main__":
    main()
