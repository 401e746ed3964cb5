"""LinearClassifierCV against LogisticRegressionCV: same grid, same folds, one thread.

    python benchmarks/bench_classifier_cv.py --data-dir ../shared/data \
        [--names leukemia colon dna tall_binary] [--penalties l1 l2] [--tol 1e-4]

Each set is cut to a multiple of ``--folds`` rows (shuffled ``KFold``), so that every
training part holds the same number of rows ``S_train`` and scikit-learn's ``Cs`` are
exactly sklreg's ``alphas = 1 / (Cs * S_train)`` (see ``LinearClassifierCV``'s docstring).
The grid is sklreg's default one (``--n-alphas`` values from the smallest alpha that zeroes
every weight down to ``--eps`` times it); both select on ``neg_log_loss`` (accuracy ties too
often on small sets), with intercepts. scikit-learn runs liblinear for binary L1, saga for
multinomial L1, lbfgs for L2. Both run at ``--tol``, each in its own sense (sklreg: a
relative duality gap; scikit-learn: its solver's own criterion), with up to 10000
iterations (saga 1000 epochs).

Prints the median time of ``--repeats`` fits after a warm-up fit, the ratio, the selected
alpha of each (scikit-learn's ``C_`` converted) and their best mean held-out log-loss, and
the ConvergenceWarnings each raised. Generated sets: ``tall_binary`` (5000 x 50, binary)
and ``tall_multinomial`` (3000 x 50, 5 classes), standard normal features.
"""

import os
import sys

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from scipy.special import expit  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import LogisticRegressionCV  # noqa: E402
from sklearn.model_selection import KFold  # noqa: E402

from sklreg import LinearClassifierCV  # noqa: E402
from sklreg._datasets import find_data_dir, load_dataset  # noqa: E402

GENERATED = {"tall_binary": (5000, 50, 2), "tall_multinomial": (3000, 50, 5)}
MULTICLASS_SETS = {"dna", "zipcode"}  # kept multiclass; other sets: the largest class or not


def generated(name):
    """Standard normal features; labels from a sparse model's logits (seeded)."""
    n_samples, n_features, n_classes = GENERATED[name]
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n_samples, n_features))
    W = np.zeros((n_features, n_classes))
    for c in range(n_classes):
        W[rng.choice(n_features, 10, replace=False), c] = rng.standard_normal(10)
    Z = X @ W
    Z = 2.0 * (Z - Z.mean(axis=0)) / Z.std()
    if n_classes == 2:
        return X, (rng.uniform(size=n_samples) < expit(Z[:, 1] - Z[:, 0])).astype(int)
    return X, np.argmax(Z + rng.gumbel(size=Z.shape), axis=1)


def load_problem(name, n_folds):
    """``(X, y)`` shuffled and cut to a multiple of ``n_folds`` rows."""
    if name in GENERATED:
        X, y = generated(name)
    else:
        X, y = load_dataset(name)
        if sp.issparse(X):
            X = X.tocsr()
        if name not in MULTICLASS_SETS and len(np.unique(y)) > 2:
            y = (y == np.bincount(np.unique(y, return_inverse=True)[1]).argmax()).astype(int)
    rows = np.random.default_rng(1).permutation(X.shape[0])
    rows = rows[: len(rows) - len(rows) % n_folds]
    return X[rows], np.asarray(y)[rows]


def timed(make, X, y, repeats):
    """Median seconds of ``repeats`` fits after a warm-up, the last model and the number
    of ConvergenceWarnings of one fit."""
    make().fit(X, y)
    seconds = []
    for _ in range(repeats):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            warnings.simplefilter("ignore", FutureWarning)
            start = time.perf_counter()
            model = make().fit(X, y)
            seconds.append(time.perf_counter() - start)
    n_warnings = sum(issubclass(w.category, ConvergenceWarning) for w in caught)
    return float(np.median(seconds)), model, n_warnings


def run(name, penalty, args):
    X, y = load_problem(name, args.folds)
    folds = list(KFold(args.folds, shuffle=True, random_state=0).split(X, y))
    n_train = len(folds[0][0])
    n_classes = len(np.unique(y))
    common = {"cv": folds, "scoring": "neg_log_loss", "tol": args.tol}
    ours = LinearClassifierCV(penalty, alphas=args.n_alphas, eps=args.eps, max_iter=10_000,
                              **common)
    ours.fit(X, y)
    alphas = ours.alphas_
    Cs = 1.0 / (alphas * n_train)
    if penalty == "l1":
        solver, max_iter = ("liblinear", 10_000) if n_classes == 2 else ("saga", 1000)
    else:
        solver, max_iter = "lbfgs", 10_000
    l1_ratio = 1.0 if penalty == "l1" else 0.0
    ours_s, ours, ours_warnings = timed(
        lambda: LinearClassifierCV(penalty, alphas=alphas, max_iter=10_000, **common),
        X, y, args.repeats)
    theirs_s, theirs, theirs_warnings = timed(
        lambda: LogisticRegressionCV(Cs=Cs, l1_ratios=(l1_ratio,), solver=solver,
                                     max_iter=max_iter, use_legacy_attributes=False,
                                     **common),
        X, y, args.repeats)
    theirs_alpha = 1.0 / (float(np.ravel(theirs.C_)[0]) * n_train)
    theirs_best = float(np.max(theirs.scores_.mean(axis=0)))  # (folds, l1_ratios, Cs)
    ours_best = float(np.max(ours.scores_.mean(axis=-1)))
    shape = f"{X.shape[0]} x {X.shape[1]}"
    print(f"| {name} | {shape} | {n_classes} | {penalty} | {solver} | {ours_s:.3g} | "
          f"{theirs_s:.3g} | {theirs_s / ours_s:.1f}x | {ours.alpha_:.5g} / {theirs_alpha:.5g} "
          f"| {-ours_best:.5g} / {-theirs_best:.5g} | {ours_warnings} / {theirs_warnings} |",
          flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--names", nargs="+",
                        default=["leukemia", "colon", "dna", "tall_binary", "tall_multinomial"])
    parser.add_argument("--penalties", nargs="+", default=["l1", "l2"], choices=["l1", "l2"])
    parser.add_argument("--tol", type=float, default=1e-4)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--n-alphas", type=int, default=20)
    parser.add_argument("--eps", type=float, default=1e-3)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    data_dir = args.data_dir or find_data_dir()
    if args.data_dir:
        os.environ["SKLREG_DATA_DIR"] = args.data_dir
    if data_dir is None:
        print("No dataset folder (set SKLREG_DATA_DIR or --data-dir): generated sets only.")
        args.names = [name for name in args.names if name in GENERATED]
    print("| data | n x p | classes | penalty | sklearn solver | sklreg s | sklearn s | "
          "sklearn/sklreg | alpha sklreg / sklearn | best log-loss sklreg / sklearn | "
          "warnings sklreg / sklearn |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name in args.names:
        for penalty in args.penalties:
            run(name, penalty, args)


if __name__ == "__main__":
    sys.exit(main())
