"""LinearRegressorCV against scikit-learn's LassoCV: same grid, same folds, one thread.

    python benchmarks/bench_cv.py --data-dir ../shared/data [--names riboflavin leukemia]

Prints the fit time of each (one timed run after a warm-up fit), their ratio and the alphas
they select. sklreg runs at relative gap ``--tol``; LassoCV at ``tol / 2`` (its tolerance
certifies twice its value on this scale).
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import LassoCV  # noqa: E402
from sklearn.model_selection import KFold  # noqa: E402

from sklreg import LinearRegressorCV  # noqa: E402
from sklreg._datasets import find_data_dir, load_dataset  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--names", nargs="+", default=["riboflavin", "leukemia"])
    parser.add_argument("--tol", type=float, default=1e-6)
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    data_dir = args.data_dir or find_data_dir()
    if data_dir is None:
        print("No dataset folder (set SKLREG_DATA_DIR or --data-dir): nothing to run.")
        return
    warnings.simplefilter("ignore", ConvergenceWarning)
    print("| data | n x p | sklreg s | LassoCV s | ratio | alpha sklreg | alpha LassoCV |")
    print("|---|---|---|---|---|---|---|")
    for name in args.names:
        X, y = load_dataset(name, data_dir)
        y = y.astype(float) if y.dtype.kind == "f" else 2.0 * (y == y.max()) - 1.0
        cv = KFold(args.folds, shuffle=True, random_state=0)
        ours = LinearRegressorCV("l1", alphas=100, cv=cv, tol=args.tol, max_iter=10**5)
        theirs = LassoCV(alphas=100, cv=cv, tol=args.tol / 2, max_iter=10**5)
        times = []
        for model in (ours, theirs):
            model.fit(X, y)  # warm-up (Numba cache load)
            start = time.perf_counter()
            model.fit(X, y)
            times.append(time.perf_counter() - start)
        print(f"| {name} | {X.shape[0]} x {X.shape[1]} | {times[0]:.2f} | {times[1]:.2f} | "
              f"{times[1] / times[0]:.1f}x | {ours.alpha_:.5g} | {theirs.alpha_:.5g} |")


if __name__ == "__main__":
    main()
