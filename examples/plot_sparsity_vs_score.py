"""
===================================
Sparsity vs score as alpha grows
===================================

The larger ``alpha``, the more coefficients an L1 penalty sets to zero. Up to a point this
*improves* the held-out score (the zeroed coefficients were fitting noise); beyond it the
model loses real signal. Cross-validation finds the turning point.

First a linear model, tuned by :class:`~sklreg.LinearRegressorCV` and drawn by
:func:`sklreg.plotting.plot_cv_curve`; then a neural network, whose size after
``prune()`` shrinks with ``alpha``.
"""

# %%
# A linear model: 100 features, 8 of them informative
# ---------------------------------------------------
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from sklreg import LinearRegressorCV, MLPClassifier, regularization_path
from sklreg.plotting import plot_cv_curve

X, y = make_regression(n_samples=300, n_features=100, n_informative=8, noise=20.0,
                       random_state=0)
cv = LinearRegressorCV(penalty="l1", alphas=40, cv=5).fit(X, y)
path = regularization_path(X, y, penalty="l1", alphas=cv.alphas_)
n_nonzero = (path.coefs != 0).sum(axis=0)
print(f"selected alpha_ = {cv.alpha_:.3g}: {np.count_nonzero(cv.coef_)} nonzero "
      f"coefficients of 100 (8 informative)")

fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
plot_cv_curve(cv, ax=ax)
ax.set_yscale("log")
count_ax = ax.twinx()
count_ax.plot(path.alphas, n_nonzero, color="tab:green", drawstyle="steps-mid")
count_ax.set_ylabel("nonzero coefficients (fit on all data)", color="tab:green")
count_ax.tick_params(axis="y", colors="tab:green")
ax.set_zorder(count_ax.get_zorder() + 1)  # the CV curve and its legend on top
ax.patch.set_visible(False)
ax.legend(loc="upper center")
ax.set_title("L1 linear regression: held-out error and model size along alpha")

# %%
# A neural network on the digits
# ------------------------------
# An :class:`~sklreg.MLPClassifier` with 48 hidden units, trained with an L1 penalty of
# growing strength. The fraction of zero weights rises steadily; the test accuracy holds
# until most weights are gone, then drops. ``prune()`` turns the zeros into a smaller
# network.
X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X / 16.0, y, test_size=0.3,
                                                    random_state=0)
alphas = np.geomspace(1e-4, 3e-2, 7)
accuracy, zero_fraction, hidden_units = [], [], []
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)  # a fixed budget of 100 epochs
    for alpha in alphas:
        mlp = MLPClassifier((48,), penalty="l1", alpha=alpha, max_iter=100, random_state=0)
        mlp.fit(X_train, y_train)
        accuracy.append(mlp.score(X_test, y_test))
        zero_fraction.append(np.mean(np.concatenate([W.ravel() for W in mlp.coefs_]) == 0))
        hidden_units.append(mlp.prune().hidden_layer_sizes[0])
        print(f"alpha={alpha:.1e}: accuracy {accuracy[-1]:.3f}, "
              f"{zero_fraction[-1]:.0%} zero weights, hidden units left: {hidden_units[-1]}")

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
left.semilogx(alphas, accuracy, "o-", label="test accuracy")
left.semilogx(alphas, zero_fraction, "s-", label="fraction of zero weights")
left.set_xlabel("alpha (log scale)")
left.set_ylim(0, 1.05)
left.legend(loc="lower left")
left.set_title("L1 network: accuracy and sparsity")
right.semilogx(alphas, hidden_units, "o-", color="tab:purple")
right.set_xlabel("alpha (log scale)")
right.set_ylabel("hidden units after prune()")
right.set_ylim(0, 50)
right.set_title("network size after pruning (48 units before)")

plt.show()
