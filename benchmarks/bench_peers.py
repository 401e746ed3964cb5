"""Benchmark ``sklreg`` against skglm, celer and scikit-learn: single lasso / elastic-net fits
and warm-started paths of 100 alphas.

Protocol (``CONVENTIONS.md``), shared with ``bench_linear.py`` whose problem suite, gap
function (:func:`bench_linear.relative_gap`) and tolerance search are imported, not copied:
same process, same data, one thread; every solver is warmed up first (skglm's Numba
jitclasses compile once per process: that time is reported separately); each solver runs at
the loosest of its own tolerances whose solution reaches the target relative duality gap by
the ONE independent gap function; the median of ``--repeats`` interleaved timed runs is
reported, with the ratio ``best peer / sklreg`` (above 1: sklreg is faster).

    python benchmarks/bench_peers.py --quick
    python benchmarks/bench_peers.py [--only NAME[,NAME]] [--no-single] [--no-path] [--json F]
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from functools import partial  # noqa: E402

import bench_linear as bl  # noqa: E402  (sets the one-thread environment before NumPy)
import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
import sklearn  # noqa: E402
from scipy.linalg import LinAlgWarning  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import ElasticNet, Lasso, enet_path  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

import sklreg  # noqa: E402
from sklreg import LinearRegressor  # noqa: E402
from sklreg.linear._path import regularization_path  # noqa: E402

try:  # the peers: not dependencies of sklreg, installed for this script
    import celer
    import skglm
except ImportError as error:
    MISSING_PEERS = error
else:
    MISSING_PEERS = None

MAX_ITER = bl.MAX_ITER
TOLS = bl.TOLS  # 1e-2 ... 1e-12, loose to tight
SOLVERS = ["sklreg", "skglm", "celer", "sklearn"]
PEERS = ["skglm", "celer"]
# (label, l1_ratio, alpha as a fraction of alpha_max)
CONFIGS = [(label, ratio, frac) for label, ratio in (("lasso", 1.0), ("enet", 0.5))
           for frac in (1e-1, 1e-2, 1e-3)]
PATH_SETS = ["leukemia", "riboflavin", "dense_corr", "arcene", "dorothea", "reuters_earn"]
QUICK_PATH_SETS = ["leukemia", "riboflavin", "dense_corr"]
N_ALPHAS, PATH_EPS = 100, 1e-3
REFERENCE_TOL = 1e-12


class ReferenceDual:
    """Certified relative gap using the best dual bound known, through ONE gap function.

    :func:`bench_linear.relative_gap` bounds ``min P`` from below with the residual of the
    point it is given. That bound is first-order in the KKT violation, so solvers that stop on
    another certificate (celer: extrapolated dual point; skglm: KKT violation) are pushed to
    needlessly tight tolerances to make the residual-based bound small, although their
    objective is already within ~1e-9 of the optimum. Here the gap of a point is
    ``(P(w, b) - D_ref) / P_null`` where ``D_ref`` is the larger of the bound at that point and
    the bound :func:`bench_linear.relative_gap` gives at a tight sklreg reference solution
    (``tol=1e-12``) of the same problem: a valid duality gap whichever solver produced the
    reference, and close to the true suboptimality. ``--residual-dual`` turns this off.
    """

    def __init__(self, gap_function):
        self.gap_function = gap_function
        self.dual = {}  # alpha -> D / n (largest lower bound known on min P)

    def clear(self):
        self.dual = {}

    def add(self, X, y, coef, intercept, alpha, l1_ratio):
        """Record the lower bound given by the residual of ``(coef, intercept)``."""
        gap, primal = self.gap_function(X, y, coef, intercept, alpha, l1_ratio)
        bound = primal - gap * 0.5 * np.var(y)
        self.dual[alpha] = max(bound, self.dual.get(alpha, -np.inf))

    def __call__(self, X, y, coef, intercept, alpha, l1_ratio, enet_fenchel=True):
        gap, primal = self.gap_function(X, y, coef, intercept, alpha, l1_ratio, enet_fenchel)
        if alpha in self.dual:
            gap = min(gap, (primal - self.dual[alpha]) / (0.5 * np.var(y)))
        return gap, primal


GAP = ReferenceDual(bl.relative_gap)


def is_hard(name, n, p, frac):
    """Hard per the issue: dense_corr or a real p >> n set (p >= 10 n), at α_max/100 or less."""
    return frac <= 1e-2 and (name == "dense_corr" or (name not in ("dense_indep", "sparse_synth")
                                                       and p >= 10 * n))


def lasso_scale(X, y):
    """``max_j |Xc_j . yc| / n``: alpha_max of the lasso, the scale of skglm's absolute tol."""
    n = X.shape[0]
    x_mean = np.asarray(X.mean(axis=0)).ravel()
    yc = y - y.mean()
    return float(np.max(np.abs(np.asarray(X.T @ yc).ravel() - x_mean * yc.sum())) / n)


class CenteredFit:
    """skglm as its best use: dense X centered by the caller, then ``fit_intercept=False``.

    skglm 0.5 updates its intercept by one step per CD epoch; on uncentered columns (e.g.
    riboflavin, column means ~14 for standard deviations ~0.4) the intercept and the
    coefficients are strongly coupled and it stalls (relative gap 6e-3 after 10 outer
    iterations at α_max/100). Centering a dense X (timed, a copy) is the equivalent problem.
    Sparse X is passed as is with ``fit_intercept=True`` (centering would densify it).
    """

    def __init__(self, make, tol):
        self.make, self.tol = make, tol

    def fit(self, X, y):
        if sp.issparse(X):
            est = self.make(tol=self.tol, fit_intercept=True).fit(X, y)
            self.coef_, self.intercept_ = est.coef_, est.intercept_
        else:
            x_mean, y_mean = X.mean(axis=0), y.mean()
            est = self.make(tol=self.tol, fit_intercept=False).fit(
                np.asfortranarray(X - x_mean), y - y_mean)
            self.coef_, self.intercept_ = est.coef_, y_mean - x_mean @ est.coef_
        self.n_iter_ = est.n_iter_
        return self


def scaled_tol(factory, scale):
    """A factory taking a relative tolerance level and passing ``tol=level * scale``."""
    def make(tol=None):
        return factory() if tol is None else factory(tol=tol * scale)
    return make


def single_solvers(X, y, l1_ratio, alpha, scale, names):
    """``{name: (factory(tol=level), level grid)}`` for one single-fit problem.

    Tolerance levels: sklreg's relative gap; scikit-learn and celer stop at a gap of
    ``tol * ||yc||^2 / n = 2 tol P_null``, so their grid is halved; skglm stops on the maximal
    distance of the gradient to the subdifferential (absolute, ``X^T r / n`` units), so its
    level is multiplied by ``alpha_max = max |Xc^T yc| / n``.
    """
    halved = [t / 2 for t in TOLS]
    if l1_ratio == 1.0:
        solvers = {
            "sklreg": (partial(LinearRegressor, penalty="l1", alpha=alpha, max_iter=MAX_ITER),
                       TOLS),
            "skglm": (scaled_tol(partial(CenteredFit, partial(skglm.Lasso, alpha=alpha)),
                                 scale), TOLS),
            "celer": (partial(celer.Lasso, alpha=alpha, fit_intercept=True), halved),
            "sklearn": (partial(Lasso, alpha=alpha, max_iter=MAX_ITER), halved),
        }
    else:
        solvers = {
            "sklreg": (partial(LinearRegressor, penalty="elasticnet", alpha=alpha,
                               l1_ratio=l1_ratio, max_iter=MAX_ITER), TOLS),
            "skglm": (scaled_tol(partial(CenteredFit, partial(
                skglm.ElasticNet, alpha=alpha, l1_ratio=l1_ratio)), scale), TOLS),
            "celer": (partial(celer.ElasticNet, alpha=alpha, l1_ratio=l1_ratio,
                              fit_intercept=True), halved),
            "sklearn": (partial(ElasticNet, alpha=alpha, l1_ratio=l1_ratio, max_iter=MAX_ITER),
                        halved),
        }
    return {name: solvers[name] for name in names}


def warm_up():
    """First and second fits of every solver and code path on tiny data, in seconds.

    skglm's first fits include Numba compilation of its jitclasses (once per process and
    type signature); sklreg's include loading its on-disk Numba cache.
    """
    rng = np.random.default_rng(1)
    X = np.asfortranarray(rng.standard_normal((60, 30)))
    y = X[:, 0] + 0.1 * rng.standard_normal(60)
    Xs = sp.random(300, 250, density=0.02, format="csc", random_state=rng)
    ys = np.asarray(Xs[:, :5].sum(axis=1)).ravel() + rng.standard_normal(300)
    report = {}
    for kind, (A, b) in (("dense", (X, y)), ("sparse", (Xs, ys))):
        scale = lasso_scale(A, b)
        for label, ratio in (("lasso", 1.0), ("enet", 0.5)):
            alpha = 0.05 * scale / ratio
            for name, (factory, _) in single_solvers(A, b, ratio, alpha, scale,
                                                     SOLVERS).items():
                report[f"{name} {kind} {label}"] = [
                    bl.timed_fit(factory, 1e-6, A, b)[1] for _ in range(2)]
            alphas = np.geomspace(alpha * 10, alpha, 3)
            for name, path in path_solvers(A, b, ratio, scale, SOLVERS).items():
                report[f"{name} {kind} {label} path"] = [
                    time_path(path, alphas, 1e-6, 60.0)[1] for _ in range(2)]
    return report


# ---------------------------------------------------------------- paths
def centered(X, y):
    """What a path solver without an intercept gets: ``(X or Xc, yc, offsets)``.

    Dense X is centered (a copy); sparse X stays as is and its column means are passed as
    ``X_offset`` (scikit-learn and celer correct for them inside their CD loops).
    """
    x_mean = np.asarray(X.mean(axis=0)).ravel()
    y_mean = y.mean()
    if sp.issparse(X):
        return X, y - y_mean, x_mean, y_mean, {"X_offset": x_mean, "X_scale": np.ones_like(x_mean)}
    return np.asfortranarray(X - x_mean), y - y_mean, x_mean, y_mean, {}


def path_solvers(X, y, l1_ratio, scale, names):
    """``{name: path(alphas, tol_level, deadline) -> (coefs (p, k), intercepts (k,), n_iter)}``.

    Every path runs over the given alphas, warm-starting each fit from the previous one, with
    an intercept. Paths stop early (fewer columns) once ``time.perf_counter() > deadline``;
    only scikit-learn's, which is run one alpha at a time, can do so.
    """
    penalty = "l1" if l1_ratio == 1.0 else "elasticnet"

    def ours(alphas, level, deadline):
        res = regularization_path(X, y, penalty=penalty, l1_ratio=l1_ratio, alphas=alphas,
                                  tol=level, max_iter=MAX_ITER)
        return res.coefs, res.intercepts, res.n_iter

    def skglm_path(alphas, level, deadline):  # dense X centered first: see CenteredFit
        cls = (partial(skglm.Lasso) if l1_ratio == 1.0
               else partial(skglm.ElasticNet, l1_ratio=l1_ratio))
        if sp.issparse(X):
            est = cls(alpha=alphas[0], tol=level * scale, fit_intercept=True)
            _, coefs, _, n_iter = est.path(X, y, alphas, return_n_iter=True)
            return coefs[:-1], coefs[-1], n_iter
        A, yc, x_mean, y_mean, _ = centered(X, y)
        est = cls(alpha=alphas[0], tol=level * scale, fit_intercept=False)
        _, coefs, _, n_iter = est.path(A, yc, alphas, return_n_iter=True)
        return coefs, y_mean - x_mean @ coefs, n_iter

    def celer_path(alphas, level, deadline):
        A, yc, x_mean, y_mean, offsets = centered(X, y)
        _, coefs, _, n_iter = celer.celer_path(
            A, yc, "lasso", alphas=alphas, l1_ratio=l1_ratio, tol=level / 2,
            return_n_iter=True, **offsets)
        return coefs, y_mean - x_mean @ coefs, n_iter

    def sklearn_path(alphas, level, deadline):
        A, yc, x_mean, y_mean, offsets = centered(X, y)
        coefs, n_iter, w = [], [], None
        for alpha in alphas:  # = enet_path's own warm-started loop, with a deadline
            _, c, _, it = enet_path(A, yc, l1_ratio=l1_ratio, alphas=[alpha], tol=level / 2,
                                    max_iter=MAX_ITER, coef_init=w, return_n_iter=True,
                                    precompute=False, check_input=False, **offsets)
            coefs.append(c[:, 0].copy())
            w = np.asfortranarray(c[:, 0])  # enet_path updates coef_init in place
            n_iter.append(int(it[0]))
            if time.perf_counter() > deadline:
                break
        coefs = np.array(coefs).T
        return coefs, y_mean - x_mean @ coefs, np.array(n_iter)

    solvers = {"sklreg": ours, "skglm": skglm_path, "celer": celer_path, "sklearn": sklearn_path}
    return {name: solvers[name] for name in names}


def time_path(path, alphas, level, timeout):
    """Run one path; return ``(coefs, intercepts, n_iter), seconds``."""
    start = time.perf_counter()
    out = path(alphas, level, start + timeout)
    return out, time.perf_counter() - start


def path_gaps(X, y, alphas, coefs, intercepts, l1_ratio):
    """Relative gap by :func:`bench_linear.relative_gap` at every computed point of a path."""
    return np.array([bl.relative_gap(X, y, coefs[:, k], intercepts[k], alphas[k], l1_ratio)[0]
                     for k in range(coefs.shape[1])])


def try_path(path, level, X, y, alphas, l1_ratio, args):
    """One path at tolerance level ``level``: time, max gap, epochs (or outer iterations)."""
    (coefs, intercepts, n_iter), seconds = time_path(path, alphas, level, args.path_timeout)
    gaps = path_gaps(X, y, alphas, coefs, intercepts, l1_ratio)
    complete = coefs.shape[1] == len(alphas)
    return {"tol": level, "seconds": seconds, "complete": complete,
            "max_gap": float(gaps.max()), "worst_alpha": int(np.argmax(gaps)),
            "n_bad": int(np.sum(gaps > args.target_gap)), "n_iter": int(np.sum(n_iter)),
            "nnz_last": int(np.count_nonzero(coefs[:, -1]))}


def search_path_tol(path, X, y, alphas, l1_ratio, args):
    """Loosest level of ``TOLS`` whose whole path is at gap <= target (same scheme as
    :func:`bench_linear.search_tol`: start at the target, loosen while it passes, else tighten
    until it does, giving up on a path slower than ``--path-timeout`` or a stall).
    Returns ``(passing attempt or None, attempts, note)``."""
    attempts = []

    def run(k):
        attempts.append(try_path(path, TOLS[k], X, y, alphas, l1_ratio, args))
        return attempts[-1]

    def passes(a):
        return a["complete"] and a["max_gap"] <= args.target_gap and \
            a["seconds"] <= args.path_timeout

    start = next(k for k, t in enumerate(TOLS) if t <= args.target_gap)
    first = run(start)
    if passes(first):
        best = first
        for k in range(start - 1, -1, -1):
            if not passes(run(k)):
                break
            best = attempts[-1]
        return best, attempts, ""
    for k in range(start, len(TOLS)):
        attempt = first if k == start else run(k)
        if passes(attempt):
            return attempt, attempts, ""
        if not attempt["complete"] or attempt["seconds"] > args.path_timeout:
            return None, attempts, (f"skipped: path > {args.path_timeout:.0f} s "
                                    f"({attempt['seconds']:.0f} s at tol level {TOLS[k]:.0e})")
        if len(attempts) >= 3 and attempt["max_gap"] > attempts[-3]["max_gap"] / 2:
            return None, attempts, (f"stalled at max gap {attempt['max_gap']:.1e} "
                                    f"(tol level {TOLS[k]:.0e})")
    return None, attempts, "target gap not reached"


def run_path(name, X, y, l1_ratio, args):
    """Tune each solver's tolerance on the whole path, then interleaved timed paths."""
    scale = lasso_scale(X, y)
    alphas = np.geomspace(scale / l1_ratio, PATH_EPS * scale / l1_ratio, N_ALPHAS)
    solvers = path_solvers(X, y, l1_ratio, scale, args.solvers)
    row = {"problem": name, "n": X.shape[0], "p": X.shape[1], "sparse": sp.issparse(X),
           "label": "lasso" if l1_ratio == 1.0 else "enet", "l1_ratio": l1_ratio,
           "reference_gap": add_reference(X, y, l1_ratio, alphas, args)}
    chosen = {}
    for sname, path in solvers.items():
        best, attempts, note = search_path_tol(path, X, y, alphas, l1_ratio, args)
        shown = best or attempts[-1]
        row[sname] = {key: shown[key] for key in ("max_gap", "n_iter", "nnz_last", "n_bad")}
        row[sname].update(tol=best and best["tol"], time=None, note=note, times=[],
                          search=[(a["tol"], a["max_gap"], a["seconds"]) for a in attempts])
        if best is not None:
            chosen[sname] = (path, best["tol"])
    for round_ in range(args.repeats):
        for sname in sorted(chosen, reverse=round_ % 2 == 1):
            path, level = chosen[sname]
            row[sname]["times"].append(time_path(path, alphas, level, np.inf)[1])
    for sname in chosen:
        row[sname]["time"] = float(np.median(row[sname]["times"]))
    return row


def add_reference(X, y, l1_ratio, alphas, args):
    """Give :data:`GAP` the dual bounds of a tight sklreg path over ``alphas``; return the
    largest residual-based relative gap of that reference (how tight it is)."""
    GAP.clear()
    if args.residual_dual:
        return None
    penalty = "l1" if l1_ratio == 1.0 else "elasticnet"
    res = regularization_path(X, y, penalty=penalty, l1_ratio=l1_ratio, alphas=alphas,
                              tol=REFERENCE_TOL, max_iter=MAX_ITER)
    for k, alpha in enumerate(res.alphas):
        GAP.add(X, y, res.coefs[:, k], res.intercepts[k], alpha, l1_ratio)
    return float(max(GAP.gap_function(X, y, res.coefs[:, k], res.intercepts[k], alpha,
                                      l1_ratio)[0] for k, alpha in enumerate(res.alphas)))


# ---------------------------------------------------------------- single fits
def run_single(name, X, y, args, sklearn_slow):
    """Yield one row per configuration of problem ``name``.

    ``sklearn_slow`` (a set, updated here) holds the penalties for which scikit-learn was too
    slow at a larger alpha on this problem: it is then skipped at the smaller ones.
    """
    n, p = X.shape
    scale = lasso_scale(X, y)
    for label, l1_ratio, frac in CONFIGS:
        alpha = frac * scale / l1_ratio
        names = [s for s in args.solvers if not (s == "sklearn" and label in sklearn_slow)]
        ref_gap = add_reference(X, y, l1_ratio, [alpha], args)
        row = {"problem": name, "n": n, "p": p, "sparse": sp.issparse(X), "label": label,
               "l1_ratio": l1_ratio, "alpha": alpha, "frac": frac,
               "alpha_label": f"α_max/{1 / frac:g}", "hard": is_hard(name, n, p, frac),
               "skglm_tol_scale": scale, "reference_gap": ref_gap}
        row.update(bl.tune_and_time(single_solvers(X, y, l1_ratio, alpha, scale, names),
                                    X, y, alpha, l1_ratio, args))
        if "sklearn" in args.solvers and "sklearn" not in names:
            row["sklearn"] = {"time": None, "tol": None, "gap": None, "nnz": None,
                              "n_iter": None, "note": "skipped: too slow at a larger alpha"}
        elif "sklearn" in row and row["sklearn"]["time"] is None:
            sklearn_slow.add(label)
        yield row


def best_peer(row):
    """``(name, seconds)`` of the fastest peer that reached the target, or ``(None, None)``."""
    times = [(row[s]["time"], s) for s in PEERS if s in row and row[s]["time"]]
    return (min(times)[1], min(times)[0]) if times else (None, None)


def fmt(value, spec):
    """Format a number, or a dash for None."""
    return "—" if value is None else format(value, spec)


def single_table(rows, solvers):
    """Single-fit results as a markdown table."""
    head = (["problem", "n × p", "penalty", "alpha", "hard"] + [f"{s} s" for s in solvers]
            + ["best peer/sklreg", "sklearn/sklreg"] + [f"tol {s}" for s in solvers]
            + ["gaps " + "/".join(solvers), "iters " + "/".join(solvers), "nnz sklreg", "notes"])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        peer, peer_time = best_peer(r)
        ours = r["sklreg"]["time"] if "sklreg" in r else None
        ref = r["sklearn"]["time"] if "sklearn" in r else None
        tols = []
        for s in solvers:
            level = r[s].get("tol")
            if s == "skglm" and level is not None:
                level *= r["skglm_tol_scale"]
            tols.append(fmt(level, ".0e"))
        notes = "; ".join(f"{s}: {r[s]['note']}" for s in solvers if r[s].get("note"))
        lines.append("| " + " | ".join(
            [r["problem"], f"{r['n']} × {r['p']}{' sp' if r['sparse'] else ''}", r["label"],
             r["alpha_label"], "**hard**" if r["hard"] else ""]
            + [fmt(r[s]["time"], ".4f") for s in solvers]
            + [(f"{peer_time / ours:.2f} ({peer})" if peer and ours else "—"),
               fmt(ref / ours if ref and ours else None, ".2f")]
            + tols
            + ["/".join(fmt(r[s]["gap"], ".0e") for s in solvers),
               "/".join(fmt(r[s]["n_iter"], "d") for s in solvers),
               fmt(r["sklreg"]["nnz"], "d"), notes]) + " |")
    return "\n".join(lines)


def path_table(rows, solvers):
    """Path results as a markdown table."""
    head = (["problem", "n × p", "penalty"] + [f"{s} s" for s in solvers]
            + ["best peer/sklreg", "sklearn/sklreg"] + [f"tol {s}" for s in solvers]
            + ["max gap " + "/".join(solvers), "iters " + "/".join(solvers), "notes"])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        peer, peer_time = best_peer(r)
        ours = r["sklreg"]["time"] if "sklreg" in r else None
        ref = r["sklearn"]["time"] if "sklearn" in r else None
        notes = "; ".join(f"{s}: {r[s]['note']}" for s in solvers if r[s].get("note"))
        lines.append("| " + " | ".join(
            [r["problem"], f"{r['n']} × {r['p']}{' sp' if r['sparse'] else ''}", r["label"]]
            + [fmt(r[s]["time"], ".3f") for s in solvers]
            + [(f"{peer_time / ours:.2f} ({peer})" if peer and ours else "—"),
               fmt(ref / ours if ref and ours else None, ".2f")]
            + [fmt(r[s]["tol"], ".0e") for s in solvers]
            + ["/".join(fmt(r[s]["max_gap"], ".0e") for s in solvers),
               "/".join(fmt(r[s]["n_iter"], "d") for s in solvers), notes]) + " |")
    return "\n".join(lines)


def summary(rows):
    """Min / median of ``best peer / sklreg`` over hard rows and over all rows."""
    lines = []
    for title, subset in (("hard", [r for r in rows if r.get("hard")]), ("all", rows)):
        ratios = [best_peer(r)[1] / r["sklreg"]["time"] for r in subset
                  if best_peer(r)[1] and r["sklreg"]["time"]]
        if ratios:
            below = sum(x < 1.3 for x in ratios)
            lines.append(f"best peer / sklreg over {title} rows ({len(ratios)}): min "
                         f"{min(ratios):.2f}, median {np.median(ratios):.2f}, max "
                         f"{max(ratios):.2f}; {below} below the 1.3 target")
    return "\n".join(lines)


# ---------------------------------------------------------------- driver
def problems(args, names=None):
    """:func:`bench_linear.load_problems`, for a comma-separated ``--only`` list of exact names
    (or ``names``); dense X is made Fortran-ordered (the layout all four CD solvers use)."""
    wanted = names if names is not None else (args.only.split(",") if args.only else None)
    tokens = wanted or [None]
    for token in tokens:
        sub = argparse.Namespace(quick=args.quick and wanted is None, only=token,
                                 data_dir=args.data_dir)
        for name, X, y in bl.load_problems(sub):
            if wanted is None or name in wanted:
                yield name, (X if sp.issparse(X) else np.asfortranarray(X)), y


def save(results, args):
    """Write the results so far to ``--json`` (after every row: long runs keep their rows)."""
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=float))


def parse_args():
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="bench_linear's quick problems; paths on leukemia, riboflavin, "
                             "dense_corr; 3 repeats")
    parser.add_argument("--only", help="comma-separated problem names (single fits and paths)")
    parser.add_argument("--data-dir", help="folder of the real datasets (manifest.json)")
    parser.add_argument("--target-gap", type=float, default=1e-6)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=30.0,
                        help="seconds per single fit before a solver is skipped")
    parser.add_argument("--path-timeout", type=float, default=120.0, help="seconds per path")
    parser.add_argument("--path-l1-ratio", type=float, nargs="+", default=[1.0],
                        help="l1_ratio of the paths (1 = lasso)")
    parser.add_argument("--path-sets", help="comma-separated path problems (default: "
                                            + ",".join(PATH_SETS) + ")")
    parser.add_argument("--solvers", default=",".join(SOLVERS),
                        help="comma-separated subset of " + ",".join(SOLVERS))
    parser.add_argument("--residual-dual", action="store_true",
                        help="gap from the residual of each point only (no reference dual)")
    parser.add_argument("--no-single", action="store_true", help="skip single fits")
    parser.add_argument("--no-path", action="store_true", help="skip paths")
    parser.add_argument("--json", help="save the results to this file")
    args = parser.parse_args()
    if args.quick:
        args.repeats = 3
    args.repeats = max(args.repeats, 3)
    args.solvers = [s for s in SOLVERS if s in args.solvers.split(",")]
    if "sklreg" not in args.solvers:
        parser.error("--solvers must include sklreg")
    args.augmented_dual = False  # read by bench_linear.try_tol
    return args


def main():
    """Run the benchmark and print the results."""
    args = parse_args()
    if MISSING_PEERS is not None:
        sys.exit(f"bench_peers.py compares sklreg with skglm and celer: {MISSING_PEERS} "
                 "(python -m pip install skglm celer).")
    warnings.simplefilter("ignore", ConvergenceWarning)
    warnings.simplefilter("ignore", LinAlgWarning)
    warnings.simplefilter("ignore", UserWarning)  # celer's and skglm's convergence warnings
    source = Path(sklreg.__file__).resolve().parents[1]
    git = subprocess.run(["git", "-C", str(source), "describe", "--always", "--dirty"],
                         capture_output=True, text=True).stdout.strip()
    print(f"sklreg {sklreg.__version__} from {source} ({git or 'not a git checkout'}), "
          f"skglm {skglm.__version__}, celer {celer.__version__}, scikit-learn "
          f"{sklearn.__version__}, numpy {np.__version__}, Python {platform.python_version()}; "
          f"target relative gap {args.target_gap:g}, {args.repeats} repeats, 1 thread; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}", flush=True)
    bl.check_gap_function()
    print("gap function check: OK")
    bl.relative_gap = GAP  # bench_linear's tolerance search now uses the reference dual too
    results = {"meta": {"sklreg": str(source), "git": git, "args": vars(args),
                        "load_start": os.getloadavg()}, "single": [], "path": []}
    with threadpool_limits(1):
        warm = warm_up()
        results["meta"]["warm_up"] = warm
        print("\nwarm-up on tiny data, first fit (skglm: Numba compilation; sklreg: cache load)"
              " / second fit, s:")
        for label, (first, second) in warm.items():
            print(f"  {label:28s} {first:8.3f} / {second:.4f}")
        print(flush=True)
        if not args.no_single:
            for name, X, y in problems(args):
                slow = set()
                for row in run_single(name, X, y, args, slow):
                    results["single"].append(row)
                    save(results, args)
                    print(single_table([row], args.solvers).splitlines()[-1], flush=True)
        if not args.no_path:
            sets = (args.path_sets.split(",") if args.path_sets
                    else args.only.split(",") if args.only
                    else QUICK_PATH_SETS if args.quick else PATH_SETS)
            for name, X, y in problems(args, names=sets):
                for l1_ratio in args.path_l1_ratio:
                    row = run_path(name, X, y, l1_ratio, args)
                    results["path"].append(row)
                    save(results, args)
                    print(path_table([row], args.solvers).splitlines()[-1], flush=True)
    results["meta"]["load_end"] = os.getloadavg()
    print(f"\nload average {os.getloadavg()[0]:.2f}")
    if results["single"]:
        print("\n## Single fits\n\n" + single_table(results["single"], args.solvers))
        print("\n" + summary(results["single"]))
        print("\nα_max = max_j |Xc_j.yc| / (n l1_ratio). Times: median seconds per fit. "
              "best peer/sklreg > 1: sklreg faster. hard: dense_corr or a real set with "
              "p >= 10 n, at α_max/100 or /1000. tol: each solver's own parameter (skglm: "
              "absolute KKT violation). gaps: relative duality gap by bench_linear."
              "relative_gap() at the solver's point, its dual bound raised to that of a tight "
              "(tol 1e-12) sklreg reference solution unless --residual-dual. iters: epochs "
              "(sklreg, sklearn), outer working-set iterations (skglm, celer). All fits with an "
              "intercept; skglm gets dense X centered by the caller (timed; its own "
              "fit_intercept stalls on uncentered columns), sparse X with fit_intercept=True.")
    if results["path"]:
        print(f"\n## Paths of {N_ALPHAS} alphas (α_max to {PATH_EPS:g} α_max, warm-started)\n\n"
              + path_table(results["path"], args.solvers))
        print("\n" + summary(results["path"]))
        print("\ntol: the tolerance LEVEL (sklreg's tol; celer and sklearn get level/2, skglm "
              "level·α_max). max gap: largest relative gap along the path by relative_gap(). "
              "iters: total epochs (sklreg, sklearn) or outer iterations (skglm, celer) over "
              "the path. Times: median seconds per whole path.")
    if args.json:
        save(results, args)
        print(f"saved {args.json}")


if __name__ == "__main__":
    main()
