"""``python -m sklreg bench``: a small benchmark of sklreg against scikit-learn, table and chart.

A quick look, not the protocol of ``benchmarks/`` (which matches every solver's tolerance to
one certified duality gap): here each library runs at a fixed tolerance, and the table shows
the relative objective difference next to the times so that a speed-up bought by a looser
solution is visible.
"""

import os
import time
import warnings
import zipfile
from pathlib import Path
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from ._datasets import ENV_VAR, caller_stacklevel, find_data_dir, load_dataset

SKLREG_TOL = 1e-6  # relative duality gap
SKLEARN_TOL = 1e-6


class Case(NamedTuple):
    """One comparison: two estimators of the same objective on the same data."""

    name: str
    data: str
    ours: object
    theirs: object
    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    alpha: float | None  # sklreg's alpha, for the objective of linear models
    l1_ratio: float | None
    loss: str | None  # 'squared' or 'logistic'; None: no objective column (networks)


def linear_objective(coef, intercept, X, y, alpha, l1_ratio, loss):
    """sklreg's objective (``CONVENTIONS.md``) of a linear model with unit sample weights.

    Parameters
    ----------
    coef : ndarray of shape (n_features,)
    intercept : float
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        Targets, or labels in {0, 1} for ``loss='logistic'``.
    alpha, l1_ratio : float
    loss : {'squared', 'logistic'}

    Returns
    -------
    objective : float
    """
    coef = np.ravel(coef)
    z = X @ coef + np.ravel(intercept)[0]
    if loss == "squared":
        data = 0.5 * np.mean((y - z) ** 2)
    else:
        data = np.mean(np.logaddexp(0.0, np.where(y > 0, -z, z)))
    return data + alpha * (l1_ratio * np.abs(coef).sum() + 0.5 * (1 - l1_ratio) * coef @ coef)


def diabetes_interactions():
    """scikit-learn's diabetes data with pairwise interactions, split and standardized.

    Returns
    -------
    X_train, X_test, y_train, y_test : ndarray
    """
    from sklearn.datasets import load_diabetes
    from sklearn.preprocessing import PolynomialFeatures

    X, y = load_diabetes(return_X_y=True)
    X = PolynomialFeatures(degree=2, include_bias=False).fit_transform(X)
    return _split(X, y)


def _split(X, y, classifier=False):
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=y if classifier else None)
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


def _alpha_max_regression(X, y, l1_ratio):
    return np.abs(X.T @ (y - y.mean())).max() / (len(y) * l1_ratio)


def _alpha_max_logistic(X, y):
    return np.abs(X.T @ (y - y.mean())).max() / len(y)


def _regression_cases(name, split, fraction):
    """Lasso, elastic net and ridge at ``fraction * alpha_max`` (ridge: ``Ridge(alpha=1)``)."""
    from sklearn.linear_model import ElasticNet, Lasso, Ridge

    from .linear import LinearRegressor

    X_train, X_test, y_train, y_test = split
    n_samples = len(y_train)
    cases = []
    for label, ratio, reference in [("Lasso", 1.0, Lasso), ("ElasticNet", 0.5, ElasticNet)]:
        alpha = fraction * _alpha_max_regression(X_train, y_train, ratio)
        extra = {} if reference is Lasso else {"l1_ratio": ratio}
        theirs = reference(alpha=alpha, tol=SKLEARN_TOL, max_iter=100_000, **extra)
        ours = LinearRegressor("l1" if ratio == 1 else "elasticnet", alpha=alpha,
                               l1_ratio=ratio, tol=SKLREG_TOL, max_iter=100_000)
        cases.append(Case(label, name, ours, theirs, *split, alpha, ratio, "squared"))
    ours = LinearRegressor("l2", alpha=1.0 / n_samples, tol=SKLREG_TOL)
    cases.append(Case("Ridge", name, ours, Ridge(alpha=1.0), X_train, X_test, y_train, y_test,
                      1.0 / n_samples, 0.0, "squared"))
    return cases


def _logistic_cases(name, split, penalties, fraction):
    """L2 logistic regression at ``C = 1`` and L1 at ``fraction * alpha_max``."""
    from sklearn.linear_model import LogisticRegression

    from .linear import LinearClassifier

    X_train, X_test, y_train, y_test = split
    cases = []
    for penalty in penalties:
        if penalty == "l2":
            alpha, ratio = 1.0 / len(y_train), 0.0
            theirs = LogisticRegression(C=1.0, tol=SKLEARN_TOL, max_iter=10_000)
        else:
            alpha, ratio = fraction * _alpha_max_logistic(X_train, y_train), 1.0
            theirs = LogisticRegression(C=1.0 / (alpha * len(y_train)), l1_ratio=1.0,
                                        solver="saga", tol=SKLEARN_TOL, max_iter=10_000)
        ours = LinearClassifier(penalty, alpha=alpha, tol=SKLREG_TOL, max_iter=1000)
        cases.append(Case(f"Logistic {penalty.upper()}", name, ours, theirs, X_train, X_test,
                          y_train, y_test, alpha, ratio, "logistic"))
    return cases


def _mlp_case(name, split, hidden, max_iter):
    """L-BFGS networks of the same objective and the same initial weights."""
    from sklearn.neural_network import MLPRegressor as SklearnMLPRegressor

    from .neural import MLPRegressor

    X_train, X_test, y_train, y_test = split
    scale = y_train.std()
    split = (X_train, X_test, y_train / scale, y_test / scale)
    alpha = 1e-3
    theirs = SklearnMLPRegressor(hidden_layer_sizes=hidden, solver="lbfgs", alpha=alpha,
                                 max_iter=max_iter, random_state=0)
    ours = MLPRegressor(hidden, solver="lbfgs", penalty="l2", alpha=alpha / len(y_train),
                        max_iter=max_iter, random_state=0)
    return Case("MLPRegressor", name, ours, theirs, *split, None, None, None)


def build_cases(quick=False, data_dir=None):
    """The benchmark suite: generated data, scikit-learn's bundled data, real data when found.

    Parameters
    ----------
    quick : bool, default=False
        Small generated problems and no real datasets (a few seconds in all).
    data_dir : path-like, optional
        Folder of the real datasets (default: :func:`sklreg._datasets.find_data_dir`).

    Returns
    -------
    cases : list of Case
    """
    from sklearn.datasets import (
        load_breast_cancer,
        make_classification,
        make_friedman1,
        make_regression,
    )

    n_samples, n_features = (400, 100) if quick else (2000, 500)
    X, y = make_regression(n_samples=n_samples, n_features=n_features, n_informative=20,
                           noise=10.0, random_state=0)
    cases = _regression_cases("make_regression", _split(X, y), 0.01)
    X, y = make_classification(n_samples=n_samples, n_features=n_features // 5,
                               n_informative=10, random_state=0)
    cases += _logistic_cases("make_classification", _split(X, y, classifier=True),
                             ["l2", "l1"], 0.05)
    cases += _regression_cases("diabetes + interactions", diabetes_interactions(), 0.01)[:1]
    X, y = load_breast_cancer(return_X_y=True)
    cases += _logistic_cases("breast_cancer", _split(X, y, classifier=True), ["l1"], 0.05)
    X, y = make_friedman1(n_samples=n_samples, n_features=10, noise=0.5, random_state=0)
    cases.append(_mlp_case("make_friedman1", _split(X, y), (16,) if quick else (32,),
                           100 if quick else 300))
    if not quick and data_dir is None:  # --quick uses none: no warning about the setting
        data_dir = find_data_dir()
        if data_dir is None and not os.environ.get(ENV_VAR):  # (a bad setting warned)
            warnings.warn(f"Skipped riboflavin and leukemia: no data folder (set {ENV_VAR} "
                          "to the folder of the datasets).", UserWarning,
                          stacklevel=caller_stacklevel())
    if not quick and data_dir is not None:
        for name, make in [
            ("riboflavin", lambda s: _regression_cases("riboflavin", s, 0.05)[:1]),
            # L2: scikit-learn's L1 solver (saga) needs minutes on these 7129 columns
            ("leukemia", lambda s: _logistic_cases("leukemia", s, ["l2"], 0.05)),
        ]:
            try:
                X, y = load_dataset(name, data_dir)
            except FileNotFoundError as error:  # (no file, or a folder of that name)
                warnings.warn(f"Skipped {name}: {error}", UserWarning,
                              stacklevel=caller_stacklevel())
                continue
            except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:
                warnings.warn(f"Skipped {Path(data_dir) / (name + '.npz')}: not a readable "
                              f"dataset ({type(error).__name__}: {error}).", UserWarning,
                              stacklevel=caller_stacklevel())
                continue
            classifier = name == "leukemia"
            if classifier:
                classes = np.unique(y)
                if len(classes) != 2:  # (one class: IndexError; three: binarized silently)
                    warnings.warn(f"Skipped {Path(data_dir) / (name + '.npz')}: y has "
                                  f"{len(classes)} label(s); the benchmark's binary logistic "
                                  "regression needs 2 classes.", UserWarning,
                                  stacklevel=caller_stacklevel())
                    continue
                y = (y == classes[1]).astype(np.int64)
            X = X.toarray() if sp.issparse(X) else np.asarray(X)  # (load_dataset's CSR too)
            cases += make(_split(X, y, classifier=classifier))
    return cases


def median_fit_time(model, X, y, repeats):
    """Median wall time of ``repeats`` fits, after one untimed warm-up fit (compilation)."""
    model.fit(X, y)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.fit(X, y)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def run_case(case, repeats):
    """Time both estimators of ``case`` and compare their fits.

    Returns
    -------
    result : dict
        ``case``, ``data``, ``shape``, ``sklreg_s``, ``sklearn_s``, ``speedup`` (sklearn
        time / sklreg time), ``sklreg_score``, ``sklearn_score`` (held out), ``sklreg_nnz``,
        ``sklearn_nnz``, ``objective_diff`` ((P_sklreg - P_sklearn) / |P_sklearn|, NaN
        for networks) and ``sklreg_converged``, ``sklearn_converged`` (no
        ``ConvergenceWarning``).
    """
    from sklearn.exceptions import ConvergenceWarning

    result = {"case": case.name, "data": case.data, "shape": case.X_train.shape}
    for label, model in [("sklreg", case.ours), ("sklearn", case.theirs)]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            result[f"{label}_s"] = median_fit_time(model, case.X_train, case.y_train, repeats)
        result[f"{label}_converged"] = not any(
            issubclass(w.category, ConvergenceWarning) for w in caught)
        result[f"{label}_score"] = model.score(case.X_test, case.y_test)
        weights = model.coef_ if hasattr(model, "coef_") else model.coefs_[0]
        result[f"{label}_nnz"] = int(np.count_nonzero(weights))
    result["speedup"] = result["sklearn_s"] / result["sklreg_s"]
    result["objective_diff"] = np.nan
    if case.loss is not None:
        ours, theirs = (
            linear_objective(m.coef_, m.intercept_, case.X_train, case.y_train, case.alpha,
                             case.l1_ratio, case.loss)
            for m in (case.ours, case.theirs)
        )
        result["objective_diff"] = (ours - theirs) / abs(theirs)
    return result


def format_table(results):
    """The results as a fixed-width text table."""
    header = (f"{'case':<13} {'data':<24} {'n x p':>10} {'sklreg ms':>10} {'sklearn ms':>10} "
              f"{'speed-up':>8} | {'score':>7} {'sklearn':>7} | {'nnz':>5} {'sklearn':>7} | "
              f"{'objective':>9}")
    lines = [header, "-" * len(header)]
    for r in results:
        shape = f"{r['shape'][0]}x{r['shape'][1]}"
        objective = "-" if np.isnan(r["objective_diff"]) else f"{r['objective_diff']:+.1e}"
        ours_ms = f"{1e3 * r['sklreg_s']:.2f}" + ("" if r["sklreg_converged"] else "*")
        theirs_ms = f"{1e3 * r['sklearn_s']:.2f}" + ("" if r["sklearn_converged"] else "*")
        lines.append(
            f"{r['case']:<13} {r['data'][:24]:<24} {shape:>10} {ours_ms:>10} "
            f"{theirs_ms:>10} {r['speedup']:>7.2f}x | {r['sklreg_score']:>7.4f} "
            f"{r['sklearn_score']:>7.4f} | {r['sklreg_nnz']:>5} {r['sklearn_nnz']:>7} | "
            f"{objective:>9}"
        )
    return "\n".join(lines)


def check_chart_path(path):
    """Raise ValueError, before any fit, when the chart could not be saved to ``path``.

    Its folder must exist and, when matplotlib is installed, its extension must name a
    format matplotlib writes (without one, matplotlib would save ``path.png`` instead).
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise ValueError(f"Cannot save the chart to {path}: no folder {path.parent}.")
    if path.is_dir():
        raise ValueError(f"Cannot save the chart to {path}: it is a folder.")
    try:
        from matplotlib.backend_bases import FigureCanvasBase
    except ImportError:
        return
    formats = FigureCanvasBase.get_supported_filetypes()
    if path.suffix[1:].lower() not in formats:
        raise ValueError(
            f"Cannot save the chart to {path}: its extension must be one of "
            f"{', '.join('.' + name for name in sorted(formats))}."
        )


def save_chart(results, path):
    """A bar chart of the speed-ups (log scale), saved to ``path``.

    Returns
    -------
    saved : bool
        False when matplotlib is not installed (nothing is written).
    """
    try:
        from matplotlib.figure import Figure
    except ImportError:
        return False
    labels = [f"{r['case']}\n{r['data']} {r['shape'][0]}x{r['shape'][1]}" for r in results]
    speedups = [r["speedup"] for r in results]
    figure = Figure(figsize=(8, 0.45 * len(results) + 1.5), layout="constrained")
    axes = figure.subplots()
    positions = np.arange(len(results))[::-1]
    colors = ["tab:green" if s >= 1 else "tab:red" for s in speedups]
    axes.barh(positions, speedups, color=colors)
    axes.axvline(1.0, color="black", linewidth=1)
    axes.set_xscale("log")
    axes.set_xlim(min(min(speedups), 1.0) / 1.5, max(max(speedups), 1.0) * 2.0)
    axes.set_yticks(positions, labels, fontsize=7)
    axes.set_xlabel("speed-up: scikit-learn fit time / sklreg fit time (median)")
    axes.set_title("sklreg vs scikit-learn (right of 1: sklreg faster)")
    for position, speedup in zip(positions, speedups, strict=True):
        text = f"{speedup:.2f}x" if speedup < 10 else f"{speedup:.0f}x"
        axes.annotate(text, (speedup, position), xytext=(3, 0), textcoords="offset points",
                      va="center", fontsize=7)
    figure.savefig(path, dpi=120)
    return True


def bench(repeats=3, quick=False, out="sklreg-bench.png", data_dir=None):
    """Run the suite on one thread, print the table and save the chart.

    Parameters
    ----------
    repeats : int, default=3
        Timed fits per estimator (after a warm-up fit); the median is reported.
    quick : bool, default=False
        Small problems only (see :func:`build_cases`).
    out : path-like or None, default='sklreg-bench.png'
        Chart file; None skips the chart. A path the chart could not be saved to raises
        ValueError before any fit (see :func:`check_chart_path`).
    data_dir : path-like, optional
        Folder of the real datasets.

    Returns
    -------
    results : list of dict
        One per case (see :func:`run_case`).
    """
    from threadpoolctl import threadpool_limits

    if out is not None:
        check_chart_path(out)
    cases = build_cases(quick=quick, data_dir=data_dir)
    print(f"{len(cases)} fits per library, median of {repeats} after a warm-up fit, one "
          f"thread; sklreg tol = relative duality gap {SKLREG_TOL:g}, scikit-learn "
          f"tol = {SKLEARN_TOL:g}.\n", flush=True)
    results = []
    with threadpool_limits(1):
        for case in cases:
            results.append(run_case(case, repeats))
    print(format_table(results))
    print("\n*: stopped at max_iter (ConvergenceWarning) before reaching its tolerance.")
    print("scikit-learn: Lasso, ElasticNet, Ridge (auto solver), LogisticRegression (lbfgs "
          "for L2, saga for L1), MLPRegressor (lbfgs, same initial weights).")
    print("n x p: the training part (a quarter of the samples is held out for the score).")
    print("score: held-out R2 (regression) or accuracy; nnz: non-zero weights (first layer "
          "for networks);\nobjective: (P_sklreg - P_sklearn) / |P_sklearn| on the training "
          "data, P being the objective both minimize\n(negative: sklreg's solution is better).")
    if out is not None:
        if save_chart(results, out):
            print(f"\nChart saved to {out}.")
        else:
            print("\nmatplotlib is not installed: no chart (pip install matplotlib).")
    return results
