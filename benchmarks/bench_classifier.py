"""Benchmark ``sklreg.LinearClassifier`` against scikit-learn, skglm and celer.

Protocol (``CONVENTIONS.md``): same process, same data, one thread; a warm-up fit of every
solver first (Numba compilation excluded); each solver runs at the loosest of its own
tolerances whose solution reaches the target relative duality gap, measured by the one
independent NumPy gap function :func:`relative_gap` below; the median of ``--repeats``
timed fits is reported with its ratio to sklreg's.

celer and skglm fit no intercept, so every problem here is fitted without one
(``fit_intercept=False``): binary problems (news20: its most frequent class against the
rest) against all of them, multinomial ones (dna, zipcode) against scikit-learn only.
``unscaled_dense`` is generated (3000 x 300, binary, ``make_classification`` with column
scales drawn from lognormal(0, 2)): features left unscaled, as users often leave them.
``news20_classes`` is news20 with its twenty classes (multinomial); it runs only when named
with ``--only``, as scikit-learn's saga takes minutes on it. So do three generated sets of
more samples than features, with standard normal features and logits of standard deviation
2 from a sparse true model: ``tall_binary`` (20000 x 100), ``tall_binary_small``
(5000 x 50) and ``tall_multinomial`` (3000 x 50, 5 classes).

    python benchmarks/bench_classifier.py [--only NAME] [--repeats 3] [--timeout 60] [--out FILE]
"""

import os
import sys
import tempfile

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"
os.environ.setdefault("NUMBA_CACHE_DIR", os.path.join(tempfile.gettempdir(), "sklreg-bench-numba"))

import argparse  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from functools import partial  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
import sklearn  # noqa: E402
from scipy.special import expit, logsumexp  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from sklreg import LinearClassifier  # noqa: E402
from sklreg._datasets import find_data_dir, load_dataset  # noqa: E402

TOLS = [10.0**-k for k in range(1, 13)]  # every solver's own tol, loose to tight
SAGA_MAX_EPOCHS = 3000  # bounds the time of one saga fit (it may then miss the target)
BINARY_SETS = ["leukemia", "colon", "arcene", "dorothea", "reuters_earn", "news20"]
MULTINOMIAL_SETS = ["dna", "zipcode"]
UNSCALED_SET = "unscaled_dense"  # generated: features left unscaled, as users often do
NEWS20_CLASSES = "news20_classes"  # news20, all twenty classes
# generated, more samples than features: (n_samples, n_features, n_classes, seed)
TALL_SETS = {"tall_binary": (20000, 100, 2, 202), "tall_binary_small": (5000, 50, 2, 201),
             "tall_multinomial": (3000, 50, 5, 204)}
# (penalty, fraction of alpha_max): alpha_max = max|X^T R0| at W = 0 (R0: loss gradient)
CONFIGS = [("l1", 0.1), ("l1", 0.01), ("l2", 0.01)]


def relative_gap(X, labels, n_classes, coef, alpha, l1_ratio):
    """``(P(W) - D(theta)) / P_null`` for a model without intercept, in plain NumPy.

    ``theta = -s R`` with ``R`` the loss gradient in the predictions (``c_i (p_i - e_yi)``),
    ``s = min(1, l1 / max|X^T R|)`` (feasible for the L1 part) and also ``s = 1`` when there
    is an L2 part (Fenchel conjugate ``(|v| - l1)_+^2 / (2 l2)`` of the elastic net); the
    larger dual value is used. ``P_null = log(n_classes)``.
    """
    n = X.shape[0]
    c = np.full(n, 1.0 / n)
    W = np.asarray(coef, dtype=np.float64).reshape(-1, X.shape[1])
    Z = np.asarray(X @ W.T, dtype=np.float64)
    if n_classes == 2:
        targets = (labels == 1).astype(float)[:, None]
        P = expit(Z)
        loss = np.logaddexp(0.0, Z[:, 0]) - targets[:, 0] * Z[:, 0]
    else:
        targets = (labels[:, None] == np.arange(n_classes)).astype(float)
        log_norm = logsumexp(Z, axis=1)
        P = np.exp(Z - log_norm[:, None])
        loss = log_norm - Z[np.arange(n), labels]
    l1, l2 = alpha * l1_ratio, alpha * (1.0 - l1_ratio)
    primal = c @ loss + l1 * np.abs(W).sum() + 0.5 * l2 * (W**2).sum()
    G = np.asarray(X.T @ (c[:, None] * (P - targets)))

    def xlogx(q):
        return np.where(q > 0, q * np.log(np.where(q > 0, q, 1.0)), 0.0)

    def dual(scale):
        Q = scale * P + (1.0 - scale) * targets
        neg_entropy = xlogx(Q).sum(axis=1)
        if n_classes == 2:
            neg_entropy += xlogx(1.0 - Q[:, 0])
        excess = np.maximum(scale * np.abs(G) - l1, 0.0)
        if l2 == 0.0:
            if excess.max() > 1e-12 * l1:
                return -np.inf
            conjugate = 0.0
        else:
            conjugate = (excess**2).sum() / (2.0 * l2)
        return -c @ neg_entropy - conjugate

    candidates = []
    if l1 > 0:
        candidates.append(dual(min(1.0, l1 / np.abs(G).max()) * (1 - 1e-15)))
    if l2 > 0:
        candidates.append(dual(1.0))
    return (primal - max(candidates)) / np.log(n_classes), int(np.count_nonzero(W))


def tall_problem(n_samples, n_features, n_classes, seed):
    """Standard normal features; labels drawn from a sparse true model's logits (scaled to
    a standard deviation of 2), by their sigmoid or by Gumbel-max over the classes."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features))
    k = max(5, min(50, n_features // 10))
    if n_classes == 2:
        w = np.zeros(n_features)
        w[rng.choice(n_features, k, replace=False)] = rng.standard_normal(k)
        z = X @ w
        return X, (rng.uniform(size=n_samples) < expit(2.0 * z / z.std())).astype(int)
    W = np.zeros((n_features, n_classes))
    for c in range(n_classes):
        W[rng.choice(n_features, k, replace=False), c] = rng.standard_normal(k)
    Z = X @ W
    Z = Z - Z.mean(axis=0)
    Z = 2.0 * Z / Z.std()
    return X, np.argmax(Z + rng.gumbel(size=Z.shape), axis=1)


def load_problem(name):
    if name in TALL_SETS:
        X, y = tall_problem(*TALL_SETS[name])
        return X, np.unique(y, return_inverse=True)[1]
    if name == UNSCALED_SET:  # dense, binary, column scales over eight decades
        from sklearn.datasets import make_classification

        rng = np.random.RandomState(0)
        X, y = make_classification(3000, 300, n_informative=30, random_state=1)
        return X * rng.lognormal(0.0, 2.0, size=X.shape[1]), y
    X, y = load_dataset("news20" if name == NEWS20_CLASSES else name)
    if sp.issparse(X):
        X = X.tocsr()
        X = X[:, np.flatnonzero(X.getnnz(axis=0))]
    classes = np.unique(y)
    if len(classes) > 2 and name not in MULTINOMIAL_SETS + [NEWS20_CLASSES]:
        y = (y == np.bincount(y).argmax()).astype(int)
    labels = np.unique(y, return_inverse=True)[1]
    return X, labels


def alpha_max(X, labels, n_classes):
    onehot = (labels[:, None] == np.arange(n_classes)).astype(float)
    R = (1.0 / n_classes - onehot) / X.shape[0]
    return float(np.abs(np.asarray(X.T @ R)).max())


def make_solvers(X, n_classes, penalty, alpha):
    """``{name: factory(tol) -> (estimator, fit kwargs)}`` for one problem."""
    n = X.shape[0]
    l1_ratio = 1.0 if penalty == "l1" else 0.0
    C = 1.0 / (alpha * n)
    solvers = {
        "sklreg": partial(LinearClassifier, penalty, alpha=alpha, fit_intercept=False,
                          max_iter=10_000),
        "sklearn-saga": partial(LogisticRegression, C=C, l1_ratio=l1_ratio, solver="saga",
                                fit_intercept=False, max_iter=SAGA_MAX_EPOCHS),
    }
    if penalty == "l2":
        solvers["sklearn-lbfgs"] = partial(LogisticRegression, C=C, l1_ratio=0.0,
                                           solver="lbfgs", fit_intercept=False,
                                           max_iter=100_000)
    if n_classes == 2:
        solvers["sklearn-liblinear"] = partial(
            LogisticRegression, C=C, l1_ratio=l1_ratio, solver="liblinear",
            fit_intercept=False, max_iter=100_000)
        if penalty == "l1":
            from celer import LogisticRegression as CelerLogisticRegression
            from skglm import SparseLogisticRegression

            solvers["skglm"] = partial(SparseLogisticRegression, alpha=alpha,
                                       fit_intercept=False, max_iter=1000, max_epochs=100_000)
            solvers["celer"] = partial(CelerLogisticRegression, C=C, fit_intercept=False,
                                       max_iter=1000)
    return solvers


def fit_once(factory, tol, X, labels, n_classes):
    """Fit at ``tol``; return ``(seconds, coef)`` (celer / skglm take labels in {-1, 1})."""
    est = factory(tol=tol)
    y = labels
    if est.__class__.__module__.split(".")[0] in ("celer", "skglm"):
        y = 2.0 * labels - 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", FutureWarning)
        start = time.perf_counter()
        est.fit(X, y)
        seconds = time.perf_counter() - start
    return seconds, est.coef_


def search_tol(factory, X, labels, n_classes, alpha, l1_ratio, target, timeout):
    """Loosest tolerance of :data:`TOLS` whose fit reaches ``target``; None if none does.

    Tightens from the loosest tolerance until the gap is reached (giving up on a fit slower
    than ``timeout`` or when five tightenings in a row no longer lower the gap), keeping the
    first passing fit.
    """
    trail = []
    for tol in TOLS:
        seconds, coef = fit_once(factory, tol, X, labels, n_classes)
        gap, nnz = relative_gap(X, labels, n_classes, coef, alpha, l1_ratio)
        trail.append((tol, gap, seconds))
        if gap <= target:
            return tol, gap, nnz, trail
        if seconds > timeout:
            return None, gap, nnz, trail
        if len(trail) >= 6 and gap >= 0.9 * trail[-6][1]:
            return None, gap, nnz, trail  # stalled: five tightenings without progress
    return None, gap, nnz, trail


def run_problem(name, penalty, fraction, args):
    X, labels = load_problem(name)
    n_classes = int(labels.max()) + 1
    alpha = fraction * alpha_max(X, labels, n_classes)
    l1_ratio = 1.0 if penalty == "l1" else 0.0
    solvers = make_solvers(X, n_classes, penalty, alpha)
    chosen, rows = {}, {}
    for solver, factory in solvers.items():
        tol, gap, nnz, trail = search_tol(factory, X, labels, n_classes, alpha, l1_ratio,
                                          args.target_gap, args.timeout)
        rows[solver] = {"tol": tol, "gap": gap, "nnz": nnz, "times": [], "trail": trail}
        if tol is not None:
            chosen[solver] = factory
        print(f"  {name} {penalty} {fraction:g} {solver}: tol={tol} gap={gap:.1e} "
              f"({len(trail)} tries)", flush=True)
    for round_ in range(args.repeats):
        for solver in sorted(chosen, reverse=round_ % 2 == 1):
            seconds, _ = fit_once(chosen[solver], rows[solver]["tol"], X, labels, n_classes)
            rows[solver]["times"].append(seconds)
    for row in rows.values():
        row["time"] = float(np.median(row["times"])) if row["times"] else None
    shape = f"{X.shape[0]} × {X.shape[1]}" + (" (sparse)" if sp.issparse(X) else "")
    return {"name": name, "shape": shape, "classes": n_classes, "penalty": penalty,
            "fraction": fraction, "solvers": rows}


def warm_up():
    rng = np.random.RandomState(0)
    X = rng.randn(40, 30)
    for n_classes in (2, 3):
        labels = rng.randint(n_classes, size=40)
        for penalty in ("l1", "l2"):
            for factory in make_solvers(X, n_classes, penalty, 0.01).values():
                fit_once(factory, 1e-4, X, labels, n_classes)
                fit_once(factory, 1e-4, sp.csr_matrix(X), labels, n_classes)


def markdown(results, args):
    names = ["sklreg", "sklearn-saga", "sklearn-liblinear", "sklearn-lbfgs", "skglm", "celer"]
    lines = [
        f"Relative duality gap target {args.target_gap:g} (one NumPy gap function for all), "
        f"fit_intercept=False, one thread, median of {args.repeats} fits; cells: time in s "
        "(ratio to sklreg; > 1 means sklreg is faster) and the solver's own tol. "
        "'-' not applicable; 'n/r' target not reached (timeout or stall).",
        "",
        "| problem | n × p | K | penalty | alpha/alpha_max | " + " | ".join(names) + " |",
        "|---" * (5 + len(names)) + "|",
    ]
    for r in results:
        base = r["solvers"]["sklreg"]["time"]
        cells = []
        for solver in names:
            row = r["solvers"].get(solver)
            if row is None:
                cells.append("-")
            elif row["time"] is None:
                slow = row["trail"][-1][2] > args.timeout
                cells.append(f"> {args.timeout:g} s" if slow else f"n/r (gap {row['gap']:.0e})")
            elif solver == "sklreg":
                cells.append(f"{row['time']:.3g} (tol {row['tol']:.0e})")
            else:
                ratio = row["time"] / base if base else float("nan")
                cells.append(f"{row['time']:.3g} (x{ratio:.1f}, tol {row['tol']:.0e})")
        lines.append(f"| {r['name']} | {r['shape']} | {r['classes']} | {r['penalty']} | "
                     f"{r['fraction']:g} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="dataset names")
    parser.add_argument("--configs", nargs="*", help="penalty:fraction, e.g. l1:0.1")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--target-gap", type=float, default=1e-6)
    parser.add_argument("--out", default=None,
                        help="write the report here (results-classifier.md keeps the "
                             "recorded runs, section by section: append to it by hand)")
    args = parser.parse_args()
    data_dir = find_data_dir()
    if data_dir is None:
        sys.exit("datasets not found: set SKLREG_DATA_DIR")
    configs = CONFIGS
    if args.configs:
        configs = [(c.split(":")[0], float(c.split(":")[1])) for c in args.configs]
    sets = []
    for name in args.only or BINARY_SETS + MULTINOMIAL_SETS + [UNSCALED_SET]:
        stem = "news20" if name == NEWS20_CLASSES else name
        if name in TALL_SETS or name == UNSCALED_SET or (data_dir / f"{stem}.npz").is_file():
            sets.append(name)
        else:
            print(f"{name} skipped: not in {data_dir}", file=sys.stderr)
    if not sets:
        sys.exit(f"none of the datasets is in {data_dir}")
    with threadpool_limits(1):
        warm_up()
        results = []
        for name in sets:
            for penalty, fraction in configs:
                results.append(run_problem(name, penalty, fraction, args))
    import celer
    import skglm

    machine = platform.processor() or platform.machine()
    header = (f"# LinearClassifier benchmark\n\nMachine: {machine}, "
              f"Python {platform.python_version()}, scikit-learn {sklearn.__version__}, "
              f"skglm {skglm.__version__}, celer {celer.__version__}.\n\nCommand: "
              f"`python benchmarks/bench_classifier.py {' '.join(sys.argv[1:])}`\n\n")
    table = markdown(results, args)
    print(table)
    if args.out:
        Path(args.out).write_text(header + table + "\n")


if __name__ == "__main__":
    main()
