"""
=====================================================
Speed against scikit-learn on small problems
=====================================================

Times, measured while this page was built, of sklreg against scikit-learn's ``Lasso``,
``Ridge``, ``LogisticRegression`` and ``MLPRegressor`` on small synthetic problems, with
the settings converted so that both minimize the same objective (see :ref:`objective`).

This is a quick, live illustration, not the project's benchmark: one thread each, a
warm-up fit first (Numba compilation or cache loading excluded), the median of 3 timed
fits. The linear models run at comparable tolerances and the printed table shows how close
the two objectives are at the returned solutions; the networks run the same fixed number
of Adam epochs. The certified protocol (each solver at the loosest tolerance that reaches
the same duality gap, measured by one independent function) and larger problems are in
``benchmarks/`` of the repository.
"""

import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn import linear_model, neural_network
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

import sklreg


def median_time(make_estimator, X, y, repeats=3):
    """Median wall time of ``fit`` over ``repeats`` fresh estimators, after one warm-up."""
    fitted = make_estimator().fit(X, y)
    times = []
    for _ in range(repeats):
        estimator = make_estimator()
        start = time.perf_counter()
        estimator.fit(X, y)
        times.append(time.perf_counter() - start)
    return float(np.median(times)), fitted


def least_squares_objective(model, X, y, alpha, l1_ratio):
    residual = y - X @ model.coef_ - model.intercept_
    w = model.coef_
    return (residual @ residual / (2 * len(y))
            + alpha * (l1_ratio * np.abs(w).sum() + (1 - l1_ratio) / 2 * w @ w))


def logistic_objective(model, X, y, alpha):
    margin = np.where(y == model.classes_[1], 1, -1) * (X @ model.coef_.ravel()
                                                       + model.intercept_[0])
    w = model.coef_.ravel()
    return np.mean(np.logaddexp(0, -margin)) + alpha / 2 * w @ w


# %%
# The problems and the timings
# ----------------------------
X_reg, y_reg = make_regression(n_samples=4000, n_features=500, n_informative=50,
                               noise=10.0, random_state=0)
X_clf, y_clf = make_classification(n_samples=4000, n_features=200, n_informative=40,
                                   random_state=0)
X_mlp, y_mlp = make_regression(n_samples=3000, n_features=50, noise=5.0, random_state=0)
y_mlp = y_mlp / y_mlp.std()
n = len(y_reg)
lasso_alpha = 0.02 * np.abs(X_reg.T @ (y_reg - y_reg.mean())).max() / n
C = 1.0
mlp_settings = dict(hidden_layer_sizes=(64,), solver="adam", max_iter=30, tol=0.0,
                    n_iter_no_change=1000, random_state=0)

cases = {
    # name: (sklearn factory, sklreg factory, X, y, objective or None)
    "Lasso": (
        lambda: linear_model.Lasso(alpha=lasso_alpha, tol=5e-7, max_iter=10_000),
        lambda: sklreg.LinearRegressor(penalty="l1", alpha=lasso_alpha, tol=1e-6,
                                       max_iter=10_000),
        X_reg, y_reg,
        lambda m: least_squares_objective(m, X_reg, y_reg, lasso_alpha, 1.0),
    ),
    "Ridge": (
        lambda: linear_model.Ridge(alpha=10.0),
        lambda: sklreg.LinearRegressor(penalty="l2", alpha=10.0 / n),
        X_reg, y_reg,
        lambda m: least_squares_objective(m, X_reg, y_reg, 10.0 / n, 0.0),
    ),
    "LogisticRegression": (
        lambda: linear_model.LogisticRegression(C=C, tol=1e-8, max_iter=10_000),
        lambda: sklreg.LinearClassifier(penalty="l2", alpha=1 / (C * len(y_clf)), tol=1e-6),
        X_clf, y_clf,
        lambda m: logistic_objective(m, X_clf, y_clf, 1 / (C * len(y_clf))),
    ),
    "MLPRegressor (30 epochs)": (
        lambda: neural_network.MLPRegressor(alpha=1e-4, **mlp_settings),
        # scikit-learn divides alpha by the batch size under adam ('auto': 200 samples)
        lambda: sklreg.MLPRegressor(penalty="l2", alpha=1e-4 / min(200, len(y_mlp)),
                                    **mlp_settings),
        X_mlp, y_mlp,
        None,
    ),
}

results = {}
with threadpool_limits(1), warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)  # the fixed epoch budget
    for name, (make_reference, make_ours, X, y, objective) in cases.items():
        reference_time, reference = median_time(make_reference, X, y)
        our_time, ours = median_time(make_ours, X, y)
        results[name] = (reference_time, our_time)
        line = (f"{name:>25}: scikit-learn {reference_time * 1e3:7.1f} ms, "
                f"sklreg {our_time * 1e3:7.1f} ms, ratio {reference_time / our_time:5.2f}")
        if objective is not None:
            p_ref, p_ours = objective(reference), objective(ours)
            line += f", objective (sklreg - sklearn) / sklearn = {(p_ours - p_ref) / p_ref:+.1e}"
        print(line)

# %%
# The chart
# ---------
# Bars above 1 mean that sklreg is faster. Times on such small problems are a few
# milliseconds, so they vary from build to build.
names = list(results)
ratios = np.array([reference / ours for reference, ours in results.values()])
fig, ax = plt.subplots(figsize=(8, 4.2), layout="constrained")
# bars start at a ratio of 1 (equal times) and go up or down on a log scale
bars = ax.bar(names, ratios - 1, bottom=1, color=np.where(ratios >= 1, "tab:green", "tab:red"))
ax.bar_label(bars, labels=[f"{r:.2f}x\nsklreg {ours * 1e3:.0f} ms\nsklearn {ref * 1e3:.0f} ms"
                           for r, (ref, ours) in zip(ratios, results.values(), strict=True)],
             padding=3, fontsize="small")
ax.axhline(1.0, color="k", linewidth=0.8)
ax.set_yscale("log")
low, high = min(0.25, ratios.min() / 2), max(4.0, ratios.max() * 2)
ax.set_ylim(low, high)
ticks = [t for t in (0.125, 0.25, 0.5, 1, 2, 4, 8, 16, 32) if low <= t <= high]
ax.set_yticks(ticks, [f"{t:g}" for t in ticks])
ax.minorticks_off()
ax.set_ylabel("scikit-learn time / sklreg time")
ax.set_title("fit time ratio, one thread (higher: sklreg faster)")
ax.tick_params(axis="x", labelsize="small")

plt.show()
