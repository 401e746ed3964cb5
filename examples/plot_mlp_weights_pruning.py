"""
=====================================================
L1 vs L2 weights of a neural network, and pruning it
=====================================================

Two :class:`~sklreg.MLPClassifier` networks with one hidden layer of 32 units learn the
8x8 digits, one with an L2 penalty (scikit-learn's weight decay), one with L1. Training is
proximal, so the L1 network's weights are **exactly** zero where the penalty wins, while
the L2 network's are only small. The first-layer heat maps show exact zeros in grey
(:func:`sklreg.plotting.plot_weight_heatmap`).

A hidden unit whose weights are all zero cannot affect the output, and an input pixel
whose outgoing weights are all zero is ignored: ``prune()`` removes such units and returns
a smaller network that computes the same function.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from sklreg import MLPClassifier
from sklreg.plotting import plot_layer_sparsity, plot_weight_heatmap

X, y = load_digits(return_X_y=True)
X = X / 16.0  # pixel intensities in [0, 1]
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)

networks = {
    "L2, alpha=1e-3": MLPClassifier((32,), penalty="l2", alpha=1e-3, max_iter=150,
                                    random_state=0),
    "L1, alpha=4e-3": MLPClassifier((32,), penalty="l1", alpha=4e-3, max_iter=150,
                                    random_state=0),
}
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)  # a fixed budget of 150 epochs
    for name, mlp in networks.items():
        mlp.fit(X_train, y_train)
        print(f"{name}: test accuracy {mlp.score(X_test, y_test):.3f}, "
              f"exact zeros per layer {np.round(mlp.sparsity_, 2)}")

# %%
# First-layer weights
# -------------------
# Rows are the 64 pixels, columns the 32 hidden units. Grey cells are exact zeros: the L1
# network has many, including whole rows (pixels it ignores, such as the always-blank
# borders) and whole columns (dead hidden units).
fig, axes = plt.subplots(1, 2, figsize=(11, 5.5), layout="constrained")
for ax, (name, mlp) in zip(axes, networks.items(), strict=True):
    plot_weight_heatmap(mlp, layer=0, ax=ax)
    ax.set_title(f"{name}\n{ax.get_title()}")

# %%
# Each hidden unit's input weights as an image
# --------------------------------------------
# The same first-layer weights, one 8x8 image per hidden unit (grey: exact zero). The L1
# units look at a few pixels each.
l1_network = networks["L1, alpha=4e-3"]
l2_network = networks["L2, alpha=1e-3"]
cmap = plt.get_cmap("RdBu_r").with_extremes(bad="0.85")
fig, axes = plt.subplots(4, 16, figsize=(12, 3.4), layout="constrained")
for row, mlp in enumerate((l2_network, l1_network)):
    weights = mlp.coefs_[0]
    limit = np.abs(weights).max()
    for unit in range(32):
        ax = axes[2 * row + unit // 16, unit % 16]
        image = np.ma.masked_equal(weights[:, unit].reshape(8, 8), 0.0)
        ax.imshow(image, cmap=cmap, vmin=-limit, vmax=limit, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
fig.suptitle("input weights of the 32 hidden units: L2 network (top two rows), "
             "L1 network (bottom two rows)")
axes[0, 0].set_ylabel("L2", rotation=0, labelpad=12)
axes[2, 0].set_ylabel("L1", rotation=0, labelpad=12)

# %%
# Pruning
# -------
# ``prune()`` drops the hidden units of the L1 network that are disconnected from the
# input or the output; the predictions do not change.
pruned = l1_network.prune()
same = np.array_equal(pruned.predict(X_test), l1_network.predict(X_test))
print(f"hidden units: {l1_network.hidden_layer_sizes} -> {pruned.hidden_layer_sizes}")
print(f"active input pixels: {l1_network.active_inputs_.sum()} of 64")
print(f"test accuracy after pruning {pruned.score(X_test, y_test):.3f}, "
      f"same predictions: {same}")
n_weights = [sum(W.size for W in mlp.coefs_) for mlp in (l1_network, pruned)]
print(f"weights: {n_weights[0]} -> {n_weights[1]}, "
      f"of which nonzero: {sum(np.count_nonzero(W) for W in pruned.coefs_)}")

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained",
                                  width_ratios=[1.6, 1])
plot_layer_sparsity(l1_network, ax=left)
left.set_title("L1 network: exact zeros per weight matrix")
right.imshow(X_train.mean(axis=0).reshape(8, 8), cmap="Greys")
rows, columns = np.nonzero(~l1_network.active_inputs_.reshape(8, 8))
right.plot(columns, rows, "x", color="tab:red", markersize=9, markeredgewidth=2)
right.set_title(f"mean digit; red x: the {rows.size} pixels\nthe L1 network ignores")
right.set_xticks([])
right.set_yticks([])

plt.show()
