"""Benchmark ``sklreg.LinearRegressor`` against scikit-learn's Lasso, ElasticNet and Ridge.

Protocol (``CONVENTIONS.md``): same process, same data, one thread; warm-up fit first (its
time, which includes Numba compilation or cache loading, is reported separately); each
solver runs at the loosest of its own tolerances whose solution reaches the target relative
duality gap, measured by the one independent gap function :func:`relative_gap` below; the
median of ``--repeats`` timed fits is reported.

    python benchmarks/bench_linear.py --quick
    python benchmarks/bench_linear.py [--ridge] [--only NAME] [--data-dir DIR] [--json out.json]
"""

import os
import sys
import tempfile

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"
# Keep Numba's on-disk cache out of the source tree (override by setting it yourself).
os.environ.setdefault("NUMBA_CACHE_DIR", os.path.join(tempfile.gettempdir(), "sklreg-bench-numba"))

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from functools import partial  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import scipy  # noqa: E402
import scipy.sparse as sp  # noqa: E402
import sklearn  # noqa: E402
from scipy.linalg import LinAlgWarning  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import ElasticNet, Lasso, Ridge  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

import sklreg  # noqa: E402
from sklreg import LinearRegressor  # noqa: E402
from sklreg._datasets import find_data_dir, load_dataset, manifest  # noqa: E402

MAX_ITER = 100_000
TOLS = [10.0**-k for k in range(2, 13)]  # sklreg's relative tol, loose to tight
# (label, penalty, l1_ratio, alpha as a fraction of alpha_max, or of vbar for ridge)
CONFIGS = [
    ("lasso", "l1", 1.0, 1e-1),
    ("lasso", "l1", 1.0, 1e-2),
    ("lasso", "l1", 1.0, 1e-3),
    ("enet", "elasticnet", 0.5, 1e-1),
    ("enet", "elasticnet", 0.5, 1e-2),
    ("enet", "elasticnet", 0.5, 1e-3),
]
RIDGE_CONFIGS = [("ridge", "l2", 0.0, 1.0), ("ridge", "l2", 0.0, 1e-2)]
SYNTHETIC_SETS = ["dense_indep", "dense_indep_wide", "dense_corr", "dense_corr_tall",
                  "sparse_synth", "sparse_corr"]
REAL_SETS = ["riboflavin", "cpusmall", "leukemia", "arcene", "dorothea", "reuters_earn", "news20"]
QUICK_SETS = {"dense_indep", "dense_corr", "riboflavin", "cpusmall", "leukemia"}


def relative_gap(X, y, coef, intercept, alpha, l1_ratio, enet_fenchel=True):
    """Relative duality gap ``(P(w, b) - D(theta)) / P_null`` of a fitted linear model.

    ``P`` is evaluated exactly at the given ``(coef, intercept)``. ``D`` is a lower bound on
    ``min P`` from the centered problem ``1/2 ||yc - Xc w||^2 + n lam ||w||_1 + n mu/2 ||w||^2``
    (divided by ``n``): for ``lam > 0`` the residual rescaled into the dual feasible set of the
    lasso on the augmented design ``[Xc; sqrt(n mu) I]``; for ``mu > 0`` the Fenchel dual at the
    residual, ``r.yc - ||r||^2 / 2 - sum_j (|Xc_j.r| - n lam)_+^2 / (2 n mu)``. Both are lower
    bounds; for the elastic net the larger is used (``enet_fenchel=False``: the augmented one
    only, which stays ~1e3 times above the true suboptimality near the optimum). Pure NumPy /
    SciPy, independent of both libraries.

    Returns
    -------
    rel_gap : float
    primal : float
        ``P(w, b)``.
    """
    n = X.shape[0]
    lam, mu = alpha * l1_ratio, alpha * (1.0 - l1_ratio)
    w = np.asarray(coef, dtype=np.float64).ravel()
    x_mean = np.asarray(X.mean(axis=0)).ravel()
    yc = y - y.mean()
    Xw = np.asarray(X @ w).ravel()
    resid = y - Xw - intercept
    primal = 0.5 * resid @ resid / n + lam * np.abs(w).sum() + 0.5 * mu * w @ w
    r = yc - (Xw - x_mean @ w)  # residual of the centered problem
    XcTr = np.asarray(X.T @ r).ravel() - x_mean * r.sum()
    dual = -np.inf
    if lam > 0:
        corr = np.max(np.abs(XcTr - n * mu * w))
        s = min(1.0, n * lam / corr) if corr > 0 else 1.0
        dual = s * (r @ yc) - 0.5 * s * s * (r @ r + n * mu * (w @ w))
    if mu > 0 and (lam == 0 or enet_fenchel):
        excess = np.maximum(np.abs(XcTr) - n * lam, 0.0)
        dual = max(dual, r @ yc - 0.5 * (r @ r) - (excess @ excess) / (2 * n * mu))
    p_null = 0.5 * (yc @ yc) / n
    return (primal - dual / n) / p_null, primal


def check_gap_function():
    """Sanity-check :func:`relative_gap` on tiny problems; raise AssertionError if wrong."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 15))
    y = X[:, :3] @ [2.0, -1.0, 0.5] + 0.3 * rng.standard_normal(40) + 1.0
    for est, l1_ratio in [(Lasso(alpha=0.05, tol=1e-14, max_iter=10**6), 1.0),
                          (ElasticNet(alpha=0.05, l1_ratio=0.3, tol=1e-14, max_iter=10**6), 0.3),
                          (Ridge(alpha=0.05 * 40), 0.0)]:
        est.fit(X, y)
        p_null = 0.5 * np.var(y)
        for fenchel in (True, False):
            gap, p_opt = relative_gap(X, y, est.coef_, est.intercept_, 0.05, l1_ratio, fenchel)
            assert -1e-12 <= gap < 1e-10, (type(est).__name__, gap)
            for scale in (0.9, 1.1, 0.0):
                g, p = relative_gap(X, y, scale * est.coef_, est.intercept_ + 0.01, 0.05,
                                    l1_ratio, fenchel)
                assert g >= -1e-12 and g * p_null >= p - p_opt - 1e-12, (est, scale)


def ar1_columns(n, p, rho, rng):
    """Columns with Toeplitz correlation ``rho^|i-j|`` (an AR(1) process along features)."""
    Z = rng.standard_normal((n, p))
    X = np.empty_like(Z)
    X[:, 0] = Z[:, 0]
    for j in range(1, p):
        X[:, j] = rho * X[:, j - 1] + np.sqrt(1 - rho**2) * Z[:, j]
    return X


def synthetic(name, rng):
    """Synthetic problems: (X, y) with a sparse ground truth plus noise.

    Dense with independent or AR(1)-correlated (rho = 0.9) columns, with n > p and p > n;
    random sparse, and sparse with correlated columns (an AR(1) design masked at random).
    """
    if name == "dense_indep":
        n, p, k = 2000, 500, 50
        X = rng.standard_normal((n, p))
    elif name == "dense_indep_wide":
        n, p, k = 500, 5000, 50
        X = rng.standard_normal((n, p))
    elif name == "dense_corr":
        n, p, k = 200, 2000, 20
        X = ar1_columns(n, p, 0.9, rng)
    elif name == "dense_corr_tall":
        n, p, k = 10000, 200, 20
        X = ar1_columns(n, p, 0.9, rng)
    elif name == "sparse_corr":
        n, p, k = 2000, 10000, 50
        X = ar1_columns(n, p, 0.9, rng)
        X[rng.uniform(size=X.shape) > 0.02] = 0.0
        X = sp.csc_matrix(X)
    else:  # sparse_synth
        n, p, k = 5000, 20000, 100
        X = sp.random(n, p, density=0.005, format="csc", random_state=rng)
    w = np.zeros(p)
    w[rng.choice(p, k, replace=False)] = rng.standard_normal(k)
    signal = np.asarray(X @ w).ravel()
    return X, signal + 0.5 * signal.std() * rng.standard_normal(n)


def load_problems(args):
    """Yield ``(name, X, y)``; dense X as C-ordered float64, sparse X as float64 CSC."""
    for seed, name in enumerate(SYNTHETIC_SETS):
        if args.quick and name not in QUICK_SETS or args.only and args.only not in name:
            continue
        yield (name, *synthetic(name, np.random.default_rng(seed)))
    data_dir = Path(args.data_dir) if args.data_dir else find_data_dir()
    if data_dir is None or not (data_dir / "manifest.json").is_file():
        print("\nReal datasets skipped: no data folder (set SKLREG_DATA_DIR or --data-dir).\n")
        return
    tasks = {entry["name"]: entry["task"] for entry in manifest(data_dir)}
    for name in REAL_SETS:
        if args.quick and name not in QUICK_SETS or args.only and args.only not in name:
            continue
        if name not in tasks or not (data_dir / f"{name}.npz").is_file():
            print(f"{name} skipped: not in {data_dir}", file=sys.stderr)
            continue
        X, y = load_dataset(name, data_dir)
        if tasks[name] != "regression":  # binary: {-1, +1}; multiclass: class 0 vs rest
            y = np.where(y == (1 if tasks[name] == "binary" else 0), 1.0, -1.0)
        X = X.tocsc().astype(np.float64) if sp.issparse(X) else np.asarray(X, dtype=np.float64)
        yield name, X, np.asarray(y, dtype=np.float64)


def make_solvers(X, penalty, l1_ratio, alpha):
    """``{name: (estimator factory, tolerance grid)}`` for one problem.

    scikit-learn's CD stops at relative gap ``2 tol``, so its grid is halved to put both
    solvers at the same nominal levels; its dense Ridge is a direct solve (no tolerance).
    """
    ours = partial(LinearRegressor, penalty=penalty, alpha=alpha, l1_ratio=l1_ratio,
                   max_iter=MAX_ITER)
    halved = [t / 2 for t in TOLS]
    if penalty == "l1":
        ref, ref_tols = partial(Lasso, alpha=alpha, max_iter=MAX_ITER), halved
    elif penalty == "elasticnet":
        ref = partial(ElasticNet, alpha=alpha, l1_ratio=l1_ratio, max_iter=MAX_ITER)
        ref_tols = halved
    else:
        ref = partial(Ridge, alpha=alpha * X.shape[0])
        ref_tols = TOLS if sp.issparse(X) else [None]
    return {"sklreg": (ours, TOLS), "sklearn": (ref, ref_tols)}


def timed_fit(factory, tol, X, y):
    """Fit ``factory(tol=tol)`` (``factory()`` for ``tol=None``); return ``(est, seconds)``."""
    est = factory() if tol is None else factory(tol=tol)
    start = time.perf_counter()
    est.fit(X, y)
    return est, time.perf_counter() - start


def try_tol(factory, tol, X, y, alpha, l1_ratio, args):
    """One fit at ``tol``: its time, relative gap, number of non-zeros and iterations."""
    est, seconds = timed_fit(factory, tol, X, y)
    gap, _ = relative_gap(X, y, est.coef_, est.intercept_, alpha, l1_ratio,
                          enet_fenchel=not args.augmented_dual)
    n_iter = getattr(est, "n_iter_", None)
    return {"tol": tol, "seconds": seconds, "gap": float(gap),
            "nnz": int(np.count_nonzero(est.coef_)),
            "n_iter": None if n_iter is None else int(np.max(n_iter))}


def search_tol(factory, tols, X, y, alpha, l1_ratio, args):
    """Loosest tolerance of ``tols`` (loose to tight) whose fit reaches ``args.target_gap``.

    Starts at the first tolerance at or below the target: if its fit passes, loosens until
    one fails; otherwise tightens until one passes, giving up on a fit slower than
    ``args.timeout``, at ``MAX_ITER``, or on a stall (more iterations, or a direct solve,
    without halving the gap in two steps). Returns ``(passing attempt or None, attempts, note)``.
    """
    attempts = []

    def run(k):
        attempts.append(try_tol(factory, tols[k], X, y, alpha, l1_ratio, args))
        return attempts[-1]

    def too_slow(attempt):
        return attempt["seconds"] > args.timeout

    slow_note = f"skipped: a fit took > {args.timeout:.0f} s"
    start = next((k for k, t in enumerate(tols) if t is None or t <= args.target_gap),
                 len(tols) - 1)
    first = run(start)
    if first["gap"] <= args.target_gap and not too_slow(first):
        best = first
        for k in range(start - 1, -1, -1):
            attempt = run(k)
            if attempt["gap"] > args.target_gap or too_slow(attempt):
                break
            best = attempt
        return best, attempts, ""
    for k in range(start, len(tols)):
        attempt = first if k == start else run(k)
        if too_slow(attempt):
            return None, attempts, slow_note
        if attempt["gap"] <= args.target_gap:
            return attempt, attempts, ""
        if (attempt["n_iter"] or 0) >= MAX_ITER:
            return None, attempts, f"max_iter={MAX_ITER} reached at gap {attempt['gap']:.1e}"
        before = attempts[-3] if len(attempts) >= 3 else None
        if before and attempt["gap"] > before["gap"] / 2 and (
                (attempt["n_iter"] or 0) <= 1 or attempt["n_iter"] > before["n_iter"]):
            return None, attempts, (f"stalled at gap {attempt['gap']:.1e} (tol "
                                    f"{attempt['tol']:.0e}, {attempt['n_iter']} iters)")
    return None, attempts, "target gap not reached"


def tune_and_time(solvers, X, y, alpha, l1_ratio, args):
    """:func:`search_tol` for each solver, then interleaved timed fits at the chosen tolerances.

    The solvers' fits alternate (in alternating order) so that both see the same machine
    state; each gets the median of ``args.repeats`` fits (3 when 5 would exceed the timeout).
    """
    results, chosen = {}, {}
    for name, (factory, tols) in solvers.items():
        best, attempts, note = search_tol(factory, tols, X, y, alpha, l1_ratio, args)
        shown = best or attempts[-1]
        results[name] = {key: shown[key] for key in ("gap", "nnz", "n_iter")}
        results[name].update(tol=best and best["tol"], time=None, note=note, times=[],
                             search=[(a["tol"], a["gap"], a["seconds"]) for a in attempts])
        if best is not None:
            chosen[name] = (factory, best)
    per_round = sum(best["seconds"] for _, best in chosen.values())
    repeats = args.repeats if per_round * args.repeats < args.timeout else 3
    for round_ in range(repeats):
        for name in sorted(chosen, reverse=round_ % 2 == 1):
            factory, best = chosen[name]
            results[name]["times"].append(timed_fit(factory, best["tol"], X, y)[1])
    for name in chosen:
        results[name]["time"] = float(np.median(results[name]["times"]))
    return results


def warm_up():
    """First and second fits of every sklreg code path on tiny data (compile excluded later)."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((60, 30))
    y = X[:, 0] + 0.1 * rng.standard_normal(60)
    Xs = sp.random(3000, 2500, density=0.002, format="csc", random_state=rng)
    ys = np.asarray(Xs[:, :5].sum(axis=1)).ravel() + rng.standard_normal(3000)
    report = {}
    for label, data, penalty in [("dense l1", (X, y), "l1"), ("sparse l1", (Xs, ys), "l1"),
                                 ("dense l2", (X, y), "l2"), ("sparse l2", (Xs, ys), "l2")]:
        factory = partial(LinearRegressor, penalty=penalty, alpha=0.01)
        report[label] = [timed_fit(factory, None, *data)[1] for _ in range(2)]
    return report


FIRST_FIT_CODE = """
import json, time
t0 = time.perf_counter()
import sklreg
t1 = time.perf_counter()
import numpy as np
rng = np.random.default_rng(0)
X = rng.standard_normal((500, 100)); y = X[:, :5].sum(axis=1) + rng.standard_normal(500)
fits = []
for _ in range(2):
    t = time.perf_counter(); sklreg.LinearRegressor(penalty='l1', alpha=0.01).fit(X, y)
    fits.append(time.perf_counter() - t)
print(json.dumps({"import": t1 - t0, "first": fits[0], "second": fits[1]}))
"""
DEPS_CODE = """
import json, time
t0 = time.perf_counter()
import numpy, scipy.sparse, sklearn.linear_model, numba
t1 = time.perf_counter()
import sklreg
print(json.dumps({"deps": t1 - t0, "sklreg_after_deps": time.perf_counter() - t1}))
"""


def first_fit_overhead():
    """Import and first-fit overhead in fresh processes (run twice; the 2nd has a warm cache)."""
    def run(code):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True, env=os.environ.copy())
        return json.loads(out.stdout.strip().splitlines()[-1])

    return {"runs": [run(FIRST_FIT_CODE) for _ in range(2)],
            "imports": [run(DEPS_CODE) for _ in range(2)]}


def run_problem(name, X, y, args):
    """Yield one result row per penalty configuration of problem ``name``."""
    n, p = X.shape
    x_mean = np.asarray(X.mean(axis=0)).ravel()
    yc = y - y.mean()
    xty_max = np.max(np.abs(np.asarray(X.T @ yc).ravel() - x_mean * yc.sum())) / n
    sq = np.asarray(X.multiply(X).sum(axis=0) if sp.issparse(X) else (X * X).sum(axis=0))
    vbar = float(np.mean(sq.ravel() / n - x_mean**2))  # mean column variance
    for label, penalty, l1_ratio, frac in CONFIGS + (RIDGE_CONFIGS if args.ridge else []):
        if penalty == "l2":
            alpha, alpha_label = frac * vbar, f"{frac:g}·v̄"
        else:
            alpha, alpha_label = frac * xty_max / l1_ratio, f"α_max/{1 / frac:g}"
        row = {"problem": name, "n": n, "p": p, "sparse": sp.issparse(X), "label": label,
               "penalty": penalty, "l1_ratio": l1_ratio, "alpha": alpha,
               "alpha_label": alpha_label}
        row.update(tune_and_time(make_solvers(X, penalty, l1_ratio, alpha), X, y, alpha,
                                 l1_ratio, args))
        yield row


def fmt(value, spec):
    """Format a number, or a dash for None."""
    return "—" if value is None else format(value, spec)


def markdown_table(rows):
    """Results as a markdown table."""
    head = ["problem", "n × p", "sparse", "penalty", "alpha", "tol sklreg", "tol sklearn",
            "sklreg s", "sklearn s", "sklearn/sklreg", "gap sklreg", "gap sklearn",
            "nnz sklreg/sklearn", "iters sklreg/sklearn", "notes"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        a, b = r["sklreg"], r["sklearn"]
        ratio = b["time"] / a["time"] if a["time"] and b["time"] else None
        tol_b = "direct" if r["penalty"] == "l2" and not r["sparse"] else fmt(b["tol"], ".0e")
        notes = "; ".join(f"{k}: {v['note']}" for k, v in (("sklreg", a), ("sklearn", b))
                          if v["note"])
        lines.append("| " + " | ".join([
            r["problem"], f"{r['n']} × {r['p']}", "yes" if r["sparse"] else "no",
            r["label"], r["alpha_label"], fmt(a["tol"], ".0e"), tol_b,
            fmt(a["time"], ".4f"), fmt(b["time"], ".4f"), fmt(ratio, ".2f"),
            fmt(a["gap"], ".1e"), fmt(b["gap"], ".1e"), f"{a['nnz']}/{b['nnz']}",
            f"{fmt(a['n_iter'], 'd')}/{fmt(b['n_iter'], 'd')}", notes]) + " |")
    return "\n".join(lines)


def parse_args():
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small problems, 3 repeats")
    parser.add_argument("--ridge", action="store_true", help="also ridge (L2) problems")
    parser.add_argument("--only", help="run only problems whose name contains this")
    parser.add_argument("--data-dir", help="folder of the real datasets (manifest.json)")
    parser.add_argument("--target-gap", type=float, default=1e-6)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per fit")
    parser.add_argument("--augmented-dual", action="store_true",
                        help="elastic-net gap from the augmented-lasso dual point only")
    parser.add_argument("--json", help="save the results to this file")
    parser.add_argument("--no-overhead", action="store_true", help="skip the subprocess part")
    args = parser.parse_args()
    if args.quick:
        args.repeats = 3
    args.repeats = max(args.repeats, 3)
    return args


def main():
    """Run the benchmark and print the results."""
    args = parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    warnings.simplefilter("ignore", LinAlgWarning)
    source = Path(sklreg.__file__).resolve().parents[1]
    git = subprocess.run(["git", "-C", str(source), "describe", "--always", "--dirty"],
                         capture_output=True, text=True).stdout.strip()
    print(f"sklreg {sklreg.__version__} from {source} ({git or 'not a git checkout'}), "
          f"scikit-learn {sklearn.__version__}, "
          f"numpy {np.__version__}, scipy {scipy.__version__}, Python {platform.python_version()}"
          f"; target relative gap {args.target_gap:g}, {args.repeats} repeats, 1 thread; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    check_gap_function()
    print("gap function check: OK")
    results = {"meta": {"sklreg": str(source), "git": git, "args": vars(args)}, "rows": []}
    with threadpool_limits(1):
        warm = warm_up()
        print("\nwarm-up (first fit includes Numba compile or cache load / second fit), s:")
        for label, (first, second) in warm.items():
            print(f"  {label:10s} {first:8.3f} / {second:.4f}")
        results["meta"]["warm_up"] = warm
        for name, X, y in load_problems(args):
            for row in run_problem(name, X, y, args):
                results["rows"].append(row)
                print(markdown_table([row]).splitlines()[-1], flush=True)
    print(f"\nload average {os.getloadavg()[0]:.2f}\n\n" + markdown_table(results["rows"]))
    print("\nalpha: α_max = max_j |Xc_j.yc| / (n l1_ratio); v̄ = mean column variance of X "
          "(LinearRegressor('l2', alpha) vs Ridge(alpha * n)). Times: median seconds per fit. "
          "sklearn/sklreg > 1: sklreg faster. gap: relative duality gap by relative_gap().")
    if not args.no_overhead:
        overhead = first_fit_overhead()
        results["meta"]["first_fit"] = overhead
        last, imports = overhead["runs"][-1], overhead["imports"][-1]
        print(f"\nFresh process, warm Numba cache (2nd of 2 runs): import sklreg "
              f"{last['import']:.3f} s (numpy+scipy+sklearn+numba alone {imports['deps']:.3f} s, "
              f"then sklreg {imports['sklreg_after_deps']:.3f} s); first l1 fit "
              f"{last['first']:.4f} s, second {last['second']:.4f} s, overhead "
              f"{last['first'] - last['second']:.4f} s (1st run: import "
              f"{overhead['runs'][0]['import']:.3f} s, overhead "
              f"{overhead['runs'][0]['first'] - overhead['runs'][0]['second']:.4f} s)")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=float))
        print(f"saved {args.json}")


if __name__ == "__main__":
    main()
