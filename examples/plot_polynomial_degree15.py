"""
=====================================================
A degree-15 polynomial: no penalty, L2 and L1
=====================================================

Twenty noisy samples of a smooth curve are fitted with a polynomial of degree 15:
fifteen coefficients and an intercept for twenty points. Without a penalty the fit
follows the noise and swings wildly between the samples; an L2 penalty gives a smooth
curve with every coefficient small but nonzero; an L1 penalty gives a smooth curve too,
using only a few of the monomials: the others are **exactly** zero.

The polynomial features are standardized before the penalty (see
:ref:`scaling_features`): ``x**15`` and ``x`` have very different scales.
"""

# %%
# Data and models
# ---------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler

from sklreg import LinearRegressor


def true_function(x):
    return np.cos(1.5 * np.pi * x)


rng = np.random.default_rng(1)
x_train = np.sort(rng.uniform(0, 1, 20))
y_train = true_function(x_train) + rng.normal(scale=0.1, size=x_train.size)
x_test = rng.uniform(0, 1, 1000)
y_test = true_function(x_test) + rng.normal(scale=0.1, size=x_test.size)

settings = {
    "no penalty": dict(penalty=None),
    "L2, alpha=1e-3": dict(penalty="l2", alpha=1e-3),
    "L1, alpha=1e-3": dict(penalty="l1", alpha=1e-3, max_iter=100_000),
}
models = {}
for name, params in settings.items():
    model = make_pipeline(
        PolynomialFeatures(degree=15, include_bias=False),
        StandardScaler(),
        LinearRegressor(**params),
    )
    models[name] = model.fit(x_train[:, None], y_train)
    test_mse = np.mean((model.predict(x_test[:, None]) - y_test) ** 2)
    n_zero = int(np.sum(model[-1].coef_ == 0))
    print(f"{name:>15}: test MSE {test_mse:8.4f}, {n_zero:2d} of 15 coefficients exactly 0")

# %%
# The fitted curves
# -----------------
# The unpenalized curve leaves the plot between samples (the y axis is clipped to the
# range of the data); both penalized curves follow the true function.
grid = np.linspace(0, 1, 500)
fig, axes = plt.subplots(1, 3, figsize=(11, 3.6), sharey=True, layout="constrained")
for ax, (name, model) in zip(axes, models.items(), strict=True):
    ax.plot(grid, true_function(grid), color="0.6", linewidth=2, label="true function")
    ax.plot(grid, model.predict(grid[:, None]), color="tab:red", label="fit")
    ax.scatter(x_train, y_train, s=14, color="k", zorder=3, label="training samples")
    ax.set_title(name)
    ax.set_xlabel("x")
    ax.set_ylim(-1.8, 1.8)
axes[0].set_ylabel("y")
axes[0].legend(loc="lower left", fontsize="small")

# %%
# The coefficients
# ----------------
# One panel per model, each with its own scale: without a penalty the coefficients of the
# standardized monomials reach about 1e10, cancelling each other (the exact least-squares
# solution of a design whose condition number is about 1e13). Exact zeros are marked with
# a black cross.
fig, axes = plt.subplots(3, 1, figsize=(8, 6.5), sharex=True, layout="constrained")
degrees = np.arange(1, 16)
for ax, (name, model) in zip(axes, models.items(), strict=True):
    coef = model[-1].coef_
    ax.bar(degrees, coef, color=np.where(coef >= 0, "tab:blue", "tab:orange"))
    zeros = coef == 0
    ax.plot(degrees[zeros], coef[zeros], "kx", markersize=8,
            label=f"exactly zero ({zeros.sum()})")
    ax.axhline(0, color="0.5", linewidth=0.8)
    ax.set_title(f"{name}: max |coef| = {np.abs(coef).max():.3g}", fontsize="medium")
    ax.set_ylabel("coefficient")
    if zeros.any():
        ax.legend(loc="upper right", fontsize="small")
axes[-1].set_xticks(degrees)
axes[-1].set_xlabel("degree of the monomial")

plt.show()
