"""Plots of regularization paths, cross-validation curves and network sparsity.

matplotlib is an optional dependency (``pip install 'sklreg[plotting]'``), imported only
when a function here is called. Every function draws on the given ``ax`` (a new figure
when None) and returns it; none calls ``plt.show()``.
"""

from numbers import Integral

import numpy as np
from sklearn.utils.validation import check_is_fitted

__all__ = [
    "plot_cv_curve",
    "plot_layer_sparsity",
    "plot_regularization_path",
    "plot_weight_heatmap",
]


def _import_matplotlib():
    """The matplotlib module; ImportError naming the extra to install without it."""
    try:
        import matplotlib
    except ImportError as error:
        raise ImportError(
            "sklreg.plotting needs matplotlib: pip install 'sklreg[plotting]'"
        ) from error
    return matplotlib


def _axes(ax):
    """``ax``, or the axes of a new figure."""
    if ax is not None:
        return ax
    _import_matplotlib()
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    return ax


def _check_index(value, name):
    """TypeError unless ``value`` is an integer (not a bool), as a list index needs."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}.")


def _check_instance(estimator):
    """The estimator to plot: ``estimator``, or the final step of a Pipeline; TypeError for
    an estimator class passed instead of a fitted instance."""
    if isinstance(estimator, type):
        raise TypeError(
            f"Expected a fitted estimator, got the class {estimator.__name__}: pass "
            "an instance."
        )
    from sklearn.pipeline import Pipeline

    if isinstance(estimator, Pipeline) and estimator.steps:
        return _check_instance(estimator.steps[-1][1])
    return estimator


def _alpha_axis(ax, alphas):
    """Put ``alphas`` on a decreasing log axis of ``ax``, with 0 shown when present.

    A log axis drops ``alpha=0`` (the unpenalized fit) silently, so a grid holding it gets
    a symmetric log axis, linear between 0 and its smallest positive ``alpha``.
    """
    alphas = np.ravel(alphas)
    positive = alphas[alphas > 0]
    if positive.size and not np.any(alphas == 0):
        ax.set_xscale("log")
        ax.set_xlabel("alpha (log scale, decreasing)")
    elif positive.size:
        ax.set_xscale("symlog", linthresh=positive.min())
        ax.set_xlabel(f"alpha (log scale, linear below {positive.min():.3g}; decreasing)")
    else:
        ax.set_xscale("linear")
        ax.set_xlabel("alpha (decreasing)")
    if not ax.xaxis_inverted():
        ax.invert_xaxis()


def plot_regularization_path(path, ax=None, *, target=None, feature_names=None):
    """Plot each coefficient along a regularization path against ``alpha`` (log scale).

    ``alpha`` decreases from left to right, so the plot reads from the sparsest model to
    the least penalized one. A path that ends at ``alpha=0`` is drawn on a symmetric log
    scale, linear between 0 and its smallest positive ``alpha``.

    Parameters
    ----------
    path : RegularizationPath or tuple (alphas, coefs)
        The result of :func:`~sklreg.regularization_path`, or its first two fields:
        ``alphas`` of shape (n_alphas,) and ``coefs`` of shape (n_features, n_alphas), or
        (n_targets, n_features, n_alphas) for several targets.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure when None.
    target : int, default=None
        Which target to plot when ``coefs`` has several (required then; with one, only
        None, 0 or -1, also for the ``(1, n_features, n_alphas)`` path of a ``y`` of
        shape ``(n_samples, 1)``).
    feature_names : sequence of str, default=None
        Legend labels, one per feature. No legend when None.

    Returns
    -------
    ax : matplotlib Axes
        The axes: the lines it draws (``ax.get_lines()``, after any it held) are one per
        feature, in order, then a grey horizontal line at 0.
    """
    if not isinstance(path, tuple | list) or len(path) < 2:
        raise TypeError(
            "Expected the result of sklreg.regularization_path or a tuple (alphas, coefs), "
            f"got {path.__name__ if isinstance(path, type) else type(path).__name__}."
        )
    if target is not None:
        _check_index(target, "target")
    alphas, coefs = (np.asarray(field) for field in tuple(path)[:2])
    if coefs.ndim == 3 and coefs.shape[0] == 1 and target in (None, 0, -1):
        coefs, target = coefs[0], None  # y of shape (n_samples, 1): one target
    if coefs.ndim == 3:
        if target is None:
            raise ValueError(
                f"The path has {coefs.shape[0]} targets: choose one with target=index."
            )
        if not -coefs.shape[0] <= target < coefs.shape[0]:
            raise ValueError(f"target={target} for a path of {coefs.shape[0]} targets.")
        coefs = coefs[target]
    elif target not in (None, 0, -1):
        raise ValueError(f"target={target} for a path of one target.")
    if coefs.ndim != 2 or alphas.ndim != 1 or coefs.shape[1] != alphas.shape[0]:
        raise ValueError(
            "Expected alphas of shape (n_alphas,) and coefs of shape (n_features, n_alphas); "
            f"got {alphas.shape} and {coefs.shape}."
        )
    if feature_names is not None and len(feature_names) != coefs.shape[0]:
        raise ValueError(
            f"feature_names has {len(feature_names)} names for {coefs.shape[0]} features."
        )
    ax = _axes(ax)
    labels = feature_names if feature_names is not None else [None] * coefs.shape[0]
    for coef, label in zip(coefs, labels, strict=True):
        ax.plot(alphas, coef, label=label)
    _alpha_axis(ax, alphas)
    ax.axhline(0.0, color="0.5", linewidth=0.8, zorder=0)
    ax.set_ylabel("coefficient")
    if feature_names is not None:
        ax.legend(fontsize="small")
    return ax


def plot_cv_curve(estimator, ax=None):
    """Plot the cross-validated error or score of a fitted CV estimator against ``alpha``.

    The mean over folds is drawn with a band of plus or minus one standard deviation, and
    the selected ``alpha_`` as a vertical dashed line, with a dot on the selected curve.
    With several ``l1_ratio`` values, one curve per value, the selected ``l1_ratio_``'s
    labelled so. The ``alpha`` axis is logarithmic and decreasing (symmetric log,
    linear near 0, when the grid holds ``alpha=0``).

    Parameters
    ----------
    estimator : LinearRegressorCV or LinearClassifierCV, or a Pipeline ending in one
        A fitted estimator: its ``alphas_`` and ``mse_path_`` (regressor) or ``scores_``
        (classifier) are plotted.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure when None.

    Returns
    -------
    ax : matplotlib Axes
        The axes; the mean curves are the first ``n_l1_ratios`` lines.

    Raises
    ------
    NotFittedError
        When the estimator is not fitted.
    TypeError
        When it is not a CV estimator with ``alphas_`` and ``mse_path_`` or ``scores_``.
    ValueError
        When the ``l1_ratio`` list that labels the curves was changed after ``fit``.
    """
    estimator = _check_instance(estimator)
    params = estimator.get_params() if hasattr(estimator, "get_params") else {}
    if "cv" not in params or "alphas" not in params:
        raise TypeError(
            f"Expected a LinearRegressorCV or LinearClassifierCV, got {type(estimator).__name__}."
        )
    check_is_fitted(estimator)  # (not "alphas_": a fitted RidgeCV was "not fitted yet")
    if not hasattr(estimator, "alphas_") or not (hasattr(estimator, "mse_path_")
                                                 or hasattr(estimator, "scores_")):
        raise TypeError(
            "Expected a LinearRegressorCV or LinearClassifierCV, got a fitted "
            f"{type(estimator).__name__} without the alphas_ and mse_path_ (or scores_) of "
            "a cross-validation curve."
        )
    if hasattr(estimator, "mse_path_"):
        values, ylabel = np.asarray(estimator.mse_path_), "mean squared error (held out)"
    else:
        values, ylabel = np.asarray(estimator.scores_), "score (held out)"
    alphas = np.asarray(estimator.alphas_)
    if values.ndim == 2:  # a single l1_ratio
        values, alphas, ratios, best = values[None], alphas[None], [None], 0
    else:
        ratios, best = _fitted_l1_ratios(estimator, values.shape[0])
        alphas = np.broadcast_to(alphas, values.shape[:2])  # given alphas: one grid
    ax = _axes(ax)
    selected_label = f"alpha_={estimator.alpha_:.3g}"
    for index, (grid, ratio_alphas, ratio) in enumerate(zip(values, alphas, ratios,
                                                             strict=True)):
        mean, std = grid.mean(axis=1), grid.std(axis=1)
        label = "mean over folds" if ratio is None else f"l1_ratio={ratio:g}"
        is_selected = index == best
        if ratio is not None and is_selected:
            label += " (selected)"
            selected_label += f", l1_ratio_={ratio:g}"
        (line,) = ax.plot(ratio_alphas, mean, label=label)
        ax.fill_between(ratio_alphas, mean - std, mean + std, color=line.get_color(),
                        alpha=0.2, linewidth=0)
        if is_selected:
            selected_point = (estimator.alpha_, mean[ratio_alphas == estimator.alpha_][:1])
    ax.axvline(estimator.alpha_, color="k", linestyle="--", linewidth=1, label=selected_label)
    ax.plot(*selected_point, "ko", markersize=5)
    _alpha_axis(ax, alphas)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize="small")
    return ax


def _fitted_l1_ratios(estimator, n_ratios):
    """The ``l1_ratio`` values of the ``n_ratios`` curves of a fitted CV estimator, and the
    index of the selected one (the first equal to ``l1_ratio_``, as the fit selects).

    They are read from the ``l1_ratio`` parameter (as ``fit`` reads it: any array-like of
    numbers); ValueError when it no longer matches the fit (changed by ``set_params``).
    """
    try:
        ratios = np.ravel(np.asarray(estimator.l1_ratio, dtype=np.float64))
    except (TypeError, ValueError):
        ratios = np.array([])
    selected = np.flatnonzero(ratios == estimator.l1_ratio_)
    if ratios.size != n_ratios or not selected.size:
        raise ValueError(
            f"l1_ratio={estimator.l1_ratio!r} is not the list of {n_ratios} values the "
            f"estimator was fitted with (l1_ratio_={estimator.l1_ratio_:g}): fit again "
            "after set_params."
        )
    return ratios, int(selected[0])


def _check_mlp(mlp):
    """The weight matrices of a fitted network (TypeError for an estimator that is not one)."""
    mlp = _check_instance(mlp)
    params = mlp.get_params() if hasattr(mlp, "get_params") else {}
    if not hasattr(mlp, "coefs_") and "hidden_layer_sizes" not in params:
        # check_is_fitted alone called a fitted linear model "not fitted yet"
        raise TypeError(
            "Expected an MLPRegressor or MLPClassifier (or an estimator with a coefs_ list "
            f"of weight matrices), got {type(mlp).__name__}."
        )
    check_is_fitted(mlp, "coefs_")
    return [np.asarray(W) for W in mlp.coefs_]


def _percent(fraction):
    """``fraction`` as a whole percentage, never rounded to 0% or 100% when it is neither
    (one zero weight among thousands is not "0%", one weight left not "100%")."""
    if 0 < fraction < 0.01:
        return "<1%"
    if 0.99 < fraction < 1:
        return ">99%"
    return f"{fraction:.0%}"


def plot_weight_heatmap(mlp, layer=0, ax=None, *, colorbar=True):
    """Show one weight matrix of a fitted network as a heat map, exact zeros in grey.

    Rows are the layer's inputs (the features for ``layer=0``), columns its units. The
    colour scale is symmetric around zero (blue negative, red positive); weights that are
    exactly zero are masked and drawn in light grey, so an L1 network's exact zeros stand
    out from an L2 network's small weights.

    Parameters
    ----------
    mlp : MLPRegressor or MLPClassifier, or a Pipeline ending in one
        A fitted network (any estimator with a ``coefs_`` list of 2-D arrays).
    layer : int, default=0
        Index into ``coefs_`` (negative values count from the output layer).
    ax : matplotlib Axes, default=None
        Where to draw; a new figure when None.
    colorbar : bool, default=True
        Add a colour bar next to ``ax``.

    Returns
    -------
    ax : matplotlib Axes
        The axes; ``ax.images[0].get_array()`` is the weight matrix, masked at its zeros.
    """
    coefs = _check_mlp(mlp)
    _check_index(layer, "layer")
    if not -len(coefs) <= layer < len(coefs):
        raise IndexError(
            f"layer={layer} is out of range: the network has {len(coefs)} weight matrices "
            f"(layers 0 to {len(coefs) - 1})."
        )
    W = coefs[layer]
    ax = _axes(ax)
    limit = float(np.abs(W).max()) or 1.0
    cmap = _import_matplotlib().colormaps["RdBu_r"].with_extremes(bad="0.85")
    image = ax.imshow(np.ma.masked_equal(W, 0.0), cmap=cmap, vmin=-limit, vmax=limit,
                      aspect="auto", interpolation="nearest")
    index = layer % len(coefs)
    ax.set_xlabel(f"unit of layer {index + 1}")
    ax.set_ylabel("input feature" if index == 0 else f"unit of layer {index}")
    ax.set_title(f"weights of layer {index} ({_percent(np.mean(W == 0))} exact zeros)")
    if colorbar:
        ax.figure.colorbar(image, ax=ax, label="weight")
    return ax


def plot_layer_sparsity(mlp, ax=None):
    """Bar chart of the fraction of exactly zero weights in each layer of a fitted network.

    Parameters
    ----------
    mlp : MLPRegressor or MLPClassifier, or a Pipeline ending in one
        A fitted network (any estimator with a ``coefs_`` list of 2-D arrays).
    ax : matplotlib Axes, default=None
        Where to draw; a new figure when None.

    Returns
    -------
    ax : matplotlib Axes
        The axes; ``ax.patches`` are the bars, one per weight matrix, in layer order.
    """
    coefs = _check_mlp(mlp)
    sparsity = np.array([np.mean(W == 0) for W in coefs])
    ax = _axes(ax)
    positions = np.arange(len(coefs))
    bars = ax.bar(positions, sparsity, color="tab:blue")
    ax.bar_label(bars, labels=[_percent(value) for value in sparsity], padding=2)
    ax.set_xticks(positions, [f"layer {i}\n{W.shape[0]}x{W.shape[1]}"
                              for i, W in enumerate(coefs)])
    ax.set_ylim(0, 1.1)
    ax.set_ylabel("fraction of exact zeros")
    ax.set_title("weight sparsity per layer")
    return ax
