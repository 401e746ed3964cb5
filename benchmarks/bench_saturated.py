"""Multinomial L1 on small news20 subsets, where probabilities saturate (A/B between commits).

Random subsets of a few hundred to a few thousand news20 documents with their twenty classes
are separable: at small alphas most training probabilities round to 1, and proximal Newton
once stalled there (gaps near 0.3 of the null objective at ``max_iter``). For each subset
size, seed and fraction of ``alpha_max``, it prints the time of one fit (the first includes
compiling, or loading Numba's cache), the iterations, the reported ``dual_gap_`` and the
number of non-zero weights. Columns absent from a subset are dropped. It compares sklreg
with itself: run it once per snapshot (``git archive <commit> sklreg``) on ``PYTHONPATH``:

    PYTHONPATH=/tmp/snap python benchmarks/bench_saturated.py --data-dir ../shared/data
"""

import argparse
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

import sklreg  # noqa: E402
from sklreg import LinearClassifier  # noqa: E402
from sklreg._datasets import find_data_dir, load_dataset  # noqa: E402
from sklreg.linear._classifier_cv import classification_alpha_max  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[300, 1000, 3000])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--fractions", type=float, nargs="+", default=[1e-2, 1e-3])
    parser.add_argument("--tol", type=float, default=1e-6)
    parser.add_argument("--max-iter", type=int, default=300)
    args = parser.parse_args()
    data_dir = args.data_dir or find_data_dir()
    if data_dir is None or not (Path(data_dir) / "news20.npz").is_file():
        print(f"news20 skipped: not in {data_dir}", file=sys.stderr)
        return
    warnings.simplefilter("ignore")
    print(f"sklreg from {Path(sklreg.__file__).parent}")
    X_all, y_all = load_dataset("news20", data_dir)
    print("| documents | seed | alpha / alpha_max | time s | iterations | dual_gap_ | "
          "non-zeros |")
    print("|---|---|---|---|---|---|---|")
    for size in args.sizes:
        for seed in args.seeds:
            rows = np.random.default_rng(seed).choice(X_all.shape[0], size, replace=False)
            X, y = X_all[rows], y_all[rows]
            X = X[:, np.flatnonzero(X.getnnz(axis=0))]
            classes, labels = np.unique(y, return_inverse=True)
            alpha_max = classification_alpha_max(X, labels, len(classes), np.ones(len(y)),
                                                 True, 1.0)
            for fraction in args.fractions:
                model = LinearClassifier("l1", alpha=fraction * alpha_max, tol=args.tol,
                                         max_iter=args.max_iter)
                start = time.perf_counter()
                model.fit(X, y)
                seconds = time.perf_counter() - start
                print(f"| {size} | {seed} | {fraction:g} | {seconds:.2f} | {model.n_iter_} | "
                      f"{model.dual_gap_:.2e} | {np.count_nonzero(model.coef_)} |", flush=True)


if __name__ == "__main__":
    main()
