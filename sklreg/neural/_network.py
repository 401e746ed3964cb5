"""Forward pass, losses and back-propagation of a fully connected network (pure functions).

The parameters of a network with layer sizes ``layer_units = [n_in, h_1, ..., n_out]`` are
stored in one flat buffer (:func:`make_layout`): all weight matrices first, row-major, then
all biases. ``coefs[l]`` has shape ``(layer_units[l], layer_units[l + 1])``: row ``i`` holds
the outgoing weights of unit ``i`` of layer ``l`` (one group of ``penalty='group'``).
Matrix products go through NumPy's BLAS (or scipy.sparse for a sparse first layer).
"""

from collections import namedtuple

import numpy as np
from scipy.special import expit, xlogy
from sklearn.utils.extmath import safe_sparse_dot

Layout = namedtuple(
    "Layout", ["layer_units", "coef_bounds", "intercept_bounds", "n_penalized", "group_ptr"]
)


def make_layout(layer_units):
    """Where each layer's weights and biases live in the flat parameter buffer.

    Parameters
    ----------
    layer_units : list of int
        Units per layer, input and output included.

    Returns
    -------
    layout : Layout
        ``coef_bounds[l] = (start, stop, shape)``, ``intercept_bounds[l] = (start, stop)``,
        ``n_penalized`` (number of weights) and ``group_ptr`` (int64 offsets of the rows of
        every weight matrix: the groups of the group lasso).
    """
    coef_bounds, intercept_bounds, group_ptr = [], [], [0]
    start = 0
    for fan_in, fan_out in zip(layer_units[:-1], layer_units[1:], strict=True):
        coef_bounds.append((start, start + fan_in * fan_out, (fan_in, fan_out)))
        group_ptr.extend(start + fan_out * np.arange(1, fan_in + 1))
        start += fan_in * fan_out
    n_penalized = start
    for fan_out in layer_units[1:]:
        intercept_bounds.append((start, start + fan_out))
        start += fan_out
    return Layout(list(layer_units), coef_bounds, intercept_bounds, n_penalized,
                  np.asarray(group_ptr, dtype=np.int64))


def unpack(flat, layout):
    """Views ``(coefs, intercepts)`` into the flat buffer (writes go through)."""
    coefs = [flat[a:b].reshape(shape) for a, b, shape in layout.coef_bounds]
    intercepts = [flat[a:b] for a, b in layout.intercept_bounds]
    return coefs, intercepts


def pack(coefs, intercepts, dtype):
    """A new flat buffer holding copies of ``coefs`` then ``intercepts``."""
    return np.concatenate([np.ravel(c) for c in coefs] + [np.ravel(b) for b in intercepts]
                          ).astype(dtype, copy=False)


def inplace_activation(name, Z):
    """Apply activation ``name`` to ``Z`` in place."""
    if name == "relu":
        np.maximum(Z, 0, out=Z)
    elif name == "tanh":
        np.tanh(Z, out=Z)
    elif name == "logistic":
        expit(Z, out=Z)
    elif name == "exp":
        with np.errstate(over="ignore"):  # an overflow is a divergence, caught by the fit
            np.exp(Z, out=Z)
    elif name == "softmax":
        Z -= Z.max(axis=1, keepdims=True)
        np.exp(Z, out=Z)
        Z /= Z.sum(axis=1, keepdims=True)
    return Z


def inplace_derivative(name, A, delta):
    """Multiply ``delta`` by the activation's derivative, given the activated values ``A``."""
    if name == "relu":
        delta[A == 0] = 0
    elif name == "tanh":
        delta *= 1 - A**2
    elif name == "logistic":
        delta *= A
        delta *= 1 - A


def forward(X, coefs, intercepts, activation, out_activation):
    """Activations of every layer: ``[X, A_1, ..., A_out]``."""
    activations = [X]
    last = len(coefs) - 1
    for layer, (W, b) in enumerate(zip(coefs, intercepts, strict=True)):
        Z = safe_sparse_dot(activations[-1], W, dense_output=True)
        Z += b
        inplace_activation(out_activation if layer == last else activation, Z)
        activations.append(Z)
    return activations


def sample_losses(Y, output, loss):
    """Loss of each sample's prediction ``output`` (ndarray of shape (n_samples,)).

    ``loss``: 'squared' (half the squared error, averaged over outputs), 'poisson' (half
    the Poisson deviance ``y log(y / mu) - y + mu`` of the predicted mean ``mu``, summed over
    outputs, as scikit-learn), 'log_loss' (softmax cross-entropy) or 'binary_log_loss'
    (logistic, summed over the labels of a multilabel problem, as scikit-learn).
    Probabilities are clipped to ``[eps, 1 - eps]``.
    """
    if loss == "squared":
        return 0.5 * ((Y - output) ** 2).mean(axis=1)
    if loss == "poisson":
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            ratio = Y / output
            y_log_ratio = xlogy(Y, ratio)
            # y / mu under- or overflowed: the logarithms apart (inf where mu is 0)
            apart = (Y > 0) & ~((ratio > 0) & (ratio < np.inf))
            y_log_ratio[apart] = Y[apart] * (np.log(Y[apart]) - np.log(output[apart]))
            y_log_ratio[Y == 0] = 0.0  # 0 log(0 / mu) = 0, also where mu underflowed to 0
            losses = y_log_ratio - Y + output
        losses[output == np.inf] = np.inf  # not inf - inf
        return losses.sum(axis=1)
    eps = np.finfo(output.dtype).eps
    prob = np.clip(output, eps, 1 - eps)
    if loss == "log_loss":
        return -xlogy(Y, prob).sum(axis=1)
    return -(xlogy(Y, prob) + xlogy(1 - Y, 1 - prob)).sum(axis=1)


def data_loss(Y, output, sample_weight, loss):
    """Sample-weighted mean loss ``sum_i s_i l_i / sum_i s_i`` (float); see sample_losses.

    A row of zero weight adds nothing, even where its loss overflowed (``inf * 0``)."""
    losses = sample_losses(Y, output, loss)
    if sample_weight is not None:
        losses[sample_weight == 0] = 0.0
    return float(np.average(losses, weights=sample_weight))


def loss_gradient(X, Y, sample_weight, coefs, intercepts, coef_grads, intercept_grads,
                  activation, out_activation, loss):
    """Data loss and its gradient (written into ``coef_grads`` / ``intercept_grads``).

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_outputs)
    sample_weight : ndarray of shape (n_samples,) or None
        Sample weights normalized to mean 1 over the training set (None: all ones). The
        loss is ``mean_i s_i l_i`` over the rows given: the weighted mean of the training
        set on all of it, an unbiased estimate of it on a random batch (the batch's own
        weighted mean ``sum s_i l_i / sum s_i`` is not, and is undefined on zero weights).
    coefs, intercepts : lists of ndarray
        Parameters.
    coef_grads, intercept_grads : lists of ndarray
        Outputs, same shapes (views into a flat gradient buffer).
    activation, out_activation, loss : str

    Returns
    -------
    loss : float
        ``mean_i s_i l_i`` (no penalty).
    """
    activations = forward(X, coefs, intercepts, activation, out_activation)
    output = activations[-1]
    losses = sample_losses(Y, output, loss)
    # canonical link: d loss / d pre-activation = output - Y for all four losses
    delta = output - Y
    scale = 1.0 / (X.shape[0] * (Y.shape[1] if loss == "squared" else 1.0))
    if sample_weight is None:
        value = float(np.mean(losses))
        delta *= scale
    else:
        # a row of zero weight adds nothing, even where its loss overflowed (the exp output
        # of 'poisson': inf * 0 would be NaN)
        excluded = sample_weight == 0
        losses[excluded] = 0.0
        delta[excluded] = 0.0
        value = float(np.mean(losses * sample_weight))
        delta *= (sample_weight * scale)[:, None].astype(delta.dtype)
    for layer in range(len(coefs) - 1, -1, -1):
        previous = activations[layer]
        if layer == 0 and not isinstance(previous, np.ndarray):
            coef_grads[0][...] = safe_sparse_dot(previous.T, delta, dense_output=True)
        else:
            np.matmul(previous.T, delta, out=coef_grads[layer])
        np.sum(delta, axis=0, out=intercept_grads[layer])
        if layer > 0:
            delta = delta @ coefs[layer].T
            inplace_derivative(activation, previous, delta)
    return value
