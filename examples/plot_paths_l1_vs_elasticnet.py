"""
===========================================================
Coefficient paths: L1 vs elastic net on correlated features
===========================================================

Twelve features in four groups of three: each group holds noisy copies of one hidden
factor, so features of a group are strongly correlated (correlation about 0.92). The
target depends on the factors of groups A and B only.

Along the L1 path (lasso), one feature of each useful group enters first and its
correlated twins enter late, if at all. The elastic net (``l1_ratio=0.5``) lets each useful
group enter as a block, sharing the weight among its members; the useless groups C and D
stay at zero longer along both paths.

Both paths are computed by :func:`sklreg.regularization_path` (warm-started, each solution
certified by its duality gap) and drawn by
:func:`sklreg.plotting.plot_regularization_path`; the lines it returns are recoloured by
group.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from sklearn.preprocessing import StandardScaler

from sklreg import regularization_path
from sklreg.plotting import plot_regularization_path

rng = np.random.default_rng(0)
n_samples, n_groups, group_size = 200, 4, 3
factors = rng.normal(size=(n_samples, n_groups))
X = np.repeat(factors, group_size, axis=1) + 0.3 * rng.normal(size=(n_samples, 12))
X = StandardScaler().fit_transform(X)
y = 3 * factors[:, 0] - 2 * factors[:, 1] + rng.normal(size=n_samples)
group_of_feature = np.repeat(np.arange(n_groups), group_size)
print("correlation inside group A:\n", np.corrcoef(X[:, :3].T).round(2))

paths = {
    "L1 (lasso)": regularization_path(X, y, penalty="l1", n_alphas=100),
    "elastic net, l1_ratio=0.5": regularization_path(X, y, penalty="elasticnet",
                                                     l1_ratio=0.5, n_alphas=100),
}

# %%
# The paths
# ---------
# Each line is one coefficient; ``alpha`` decreases from left to right.
colors = ["tab:blue", "tab:orange", "tab:green", "tab:red"]
fig, axes = plt.subplots(1, 2, figsize=(12, 4.2), sharey=True, layout="constrained")
for ax, (name, path) in zip(axes, paths.items(), strict=True):
    plot_regularization_path(path, ax=ax)
    for line, group in zip(ax.get_lines(), group_of_feature, strict=False):
        line.set_color(colors[group])
    ax.set_title(name)
axes[1].set_ylabel("")
handles = [Line2D([], [], color=c, label=f"group {g} ({'useful' if i < 2 else 'noise'})")
           for i, (c, g) in enumerate(zip(colors, "ABCD", strict=True))]
fig.legend(handles=handles, loc="outside right center", fontsize="small")

# %%
# When does each feature enter?
# -----------------------------
# The largest ``alpha`` at which each coefficient is nonzero, relative to the path's first
# ``alpha`` (``alpha_max``): the three features of a useful group enter at different
# points of the L1 path, at (nearly) the same point of the elastic-net path.
for name, path in paths.items():
    print(name)
    for g in range(2):
        entry = []
        for j in np.flatnonzero(group_of_feature == g):
            nonzero = np.flatnonzero(path.coefs[j])
            entry.append(path.alphas[nonzero[0]] / path.alphas[0] if nonzero.size else 0.0)
        print(f"  group {'AB'[g]}: " + ", ".join(f"{value:.3f}" for value in entry))

plt.show()
