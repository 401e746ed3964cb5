"""Training steps of the MLPs on the GPU: forward / backward matrix products and the
proximal optimizer updates, on device-resident parameters.

The parameters stay in one flat device buffer laid out as on the CPU
(:func:`~sklreg.neural._network.make_layout`); weight and bias views are slices of it. The
training data are copied to the device once per fit; each mini-batch is gathered on the
device from the indices the CPU loop draws (same shuffling, same batches). Per batch the
host receives three scalars (the batch loss and the two penalty sums); the parameters come
back to the host once per epoch, for the loss curve, early stopping and the fitted
``coefs_`` / ``intercepts_`` (plain NumPy arrays).

The optimizer kernels call the CPU's own scalar updates (``sgd_update``, ``adam_update``,
``soft_threshold`` of :mod:`sklreg.neural._optimizers`, compiled as device functions), the
prox of the L1 part fused into the same pass.
"""

import math

import numpy as np
from numba import cuda

from ._device import (
    d_adam_update,
    d_sgd_update,
    d_sigmoid,
    d_soft_threshold,
    launch,
    to_device,
)

ACTIVATIONS = {"identity": 0, "logistic": 1, "tanh": 2, "relu": 3, "softmax": 4, "exp": 5}
LOSSES = {"squared": 0, "log_loss": 1, "binary_log_loss": 2, "poisson": 3}
# exp(z) overflows float64 above this (the simulator's math.exp raises there)
LOG_MAX_FLOAT = math.log(np.finfo(np.float64).max)


@cuda.jit(device=True)
def _activate(z, activation):
    if activation == 1:
        return d_sigmoid(z)
    if activation == 2:
        return math.tanh(z)
    if activation == 3:
        return max(z, 0.0)
    if activation == 5:
        return math.exp(z) if z <= LOG_MAX_FLOAT else math.inf
    return z


@cuda.jit(device=True)
def _derivative(a, activation):
    """Derivative of the activation, from its activated value ``a``."""
    if activation == 1:
        return a * (1.0 - a)
    if activation == 2:
        return 1.0 - a * a
    if activation == 3:
        return 1.0 if a != 0.0 else 0.0
    return 1.0


@cuda.jit
def gather_rows(source, index, out):
    """``out[r] = source[index[r]]`` for the rows of a 2-D array."""
    position = cuda.grid(1)
    n_rows, n_columns = out.shape
    if position >= n_rows * n_columns:
        return
    r = position // n_columns
    j = position % n_columns
    out[r, j] = source[index[r], j]


@cuda.jit
def gather(source, index, out):
    r = cuda.grid(1)
    if r < out.shape[0]:
        out[r] = source[index[r]]


@cuda.jit
def dense_forward(A, W, b, Z, activation):
    """``Z = act(A @ W + b)`` (the softmax, a row operation, is applied by ``softmax_rows``)."""
    position = cuda.grid(1)
    n_rows, n_out = Z.shape
    if position >= n_rows * n_out:
        return
    i = position // n_out
    o = position % n_out
    z = 0.0
    for k in range(A.shape[1]):
        z += A[i, k] * W[k, o]
    Z[i, o] = _activate(z + b[o], activation)


@cuda.jit
def softmax_rows(Z):
    i = cuda.grid(1)
    if i >= Z.shape[0]:
        return
    z_max = Z[i, 0]
    for o in range(1, Z.shape[1]):
        z_max = max(z_max, Z[i, o])
    total = 0.0
    for o in range(Z.shape[1]):
        e = math.exp(Z[i, o] - z_max)
        Z[i, o] = e
        total += e
    for o in range(Z.shape[1]):
        Z[i, o] /= total


@cuda.jit
def output_delta(output, Y, sample_weight, weighted, scale, loss, eps, delta, sums):
    """Per-sample losses (weighted, summed into ``sums[0]``) and ``delta = (out - Y) s scale``.

    The four losses have the canonical link: the derivative in the pre-activation is
    ``output - Y``.
    """
    i = cuda.grid(1)
    n_rows, n_out = output.shape
    if i >= n_rows:
        return
    weight = sample_weight[i] if weighted else 1.0
    if weight == 0.0:  # adds nothing, even where its loss overflowed (inf * 0 is NaN)
        for o in range(n_out):
            delta[i, o] = 0.0
        return
    value = 0.0
    for o in range(n_out):
        out, y = output[i, o], Y[i, o]
        if loss == 0:
            value += 0.5 * (y - out) ** 2 / n_out
        elif loss == 3:  # as sample_losses on the CPU
            if out == math.inf or (out == 0.0 and y != 0.0):
                value += math.inf
            else:
                value += out - y
                if y != 0.0:
                    ratio = y / out
                    if 0.0 < ratio < math.inf:
                        value += y * math.log(ratio)
                    else:
                        value += y * (math.log(y) - math.log(out))
        else:
            p = min(max(out, eps), 1.0 - eps)
            if y != 0.0:
                value -= y * math.log(p)
            if loss == 2 and y != 1.0:
                value -= (1.0 - y) * math.log(1.0 - p)
        delta[i, o] = (out - y) * (weight * scale)
    cuda.atomic.add(sums, 0, value * weight)


@cuda.jit
def weight_gradient(A, delta, grad_W):
    """``grad_W = A^T @ delta``."""
    position = cuda.grid(1)
    n_in, n_out = grad_W.shape
    if position >= n_in * n_out:
        return
    k = position // n_out
    o = position % n_out
    total = 0.0
    for i in range(A.shape[0]):
        total += A[i, k] * delta[i, o]
    grad_W[k, o] = total


@cuda.jit
def bias_gradient(delta, grad_b):
    o = cuda.grid(1)
    if o >= grad_b.shape[0]:
        return
    total = 0.0
    for i in range(delta.shape[0]):
        total += delta[i, o]
    grad_b[o] = total


@cuda.jit
def backward_delta(delta, W, A, activation, delta_previous):
    """``delta_previous = (delta @ W^T) * act'(A)``."""
    position = cuda.grid(1)
    n_rows, n_in = delta_previous.shape
    if position >= n_rows * n_in:
        return
    i = position // n_in
    k = position % n_in
    total = 0.0
    for o in range(delta.shape[1]):
        total += delta[i, o] * W[k, o]
    delta_previous[i, k] = total * _derivative(A[i, k], activation)


@cuda.jit
def penalty_sums(params, n_penalized, sums):
    """``sums[1] += ||w||_1``, ``sums[2] += ||w||^2`` over the penalized weights."""
    j = cuda.grid(1)
    if j < n_penalized:
        w = params[j]
        cuda.atomic.add(sums, 1, abs(w))
        cuda.atomic.add(sums, 2, w * w)


@cuda.jit
def sgd_prox_step(params, grads, velocity, learning_rate, momentum, nesterov, n_penalized,
                  l2_strength, l1_strength, velocity_scale):
    """``sgd_step`` then ``prox_l1`` of the CPU, fused (one thread per parameter)."""
    j = cuda.grid(1)
    if j >= params.shape[0]:
        return
    grad = grads[j]
    if j < n_penalized:
        grad += l2_strength * params[j]
    new, velocity_j = d_sgd_update(params[j], grad, velocity[j], learning_rate, momentum,
                                   nesterov)
    if j < n_penalized and l1_strength > 0.0:
        shrunk = d_soft_threshold(new, learning_rate * l1_strength)
        velocity_j += velocity_scale * (shrunk - new)
        new = shrunk
    params[j] = new
    velocity[j] = velocity_j


@cuda.jit
def adam_prox_step(params, grads, first_moment, second_moment, learning_rate_t, beta_1,
                   beta_2, epsilon, n_penalized, l2_strength, l1_strength):
    """``adam_step`` then ``prox_l1`` of the CPU, fused (one thread per parameter)."""
    j = cuda.grid(1)
    if j >= params.shape[0]:
        return
    grad = grads[j]
    if j < n_penalized:
        grad += l2_strength * params[j]
    new, m, v, step = d_adam_update(params[j], grad, first_moment[j], second_moment[j],
                                    learning_rate_t, beta_1, beta_2, epsilon)
    if j < n_penalized and l1_strength > 0.0:
        new = d_soft_threshold(new, step * l1_strength)
    params[j] = new
    first_moment[j] = m
    second_moment[j] = v


class DeviceNetwork:
    """A network's parameters, gradient, optimizer state and training data on the device.

    Parameters
    ----------
    X, Y : ndarray
        Dense training inputs and encoded targets (one dtype).
    sample_weight : ndarray or None
        Weights normalized to mean 1 (the contract of ``loss_gradient``).
    flat : ndarray
        The host parameter buffer (copied to the device; :meth:`to_host` writes it back).
    layout : Layout
        Where the layers live in ``flat``.
    activation, out_activation, loss : str
    """

    def __init__(self, X, Y, sample_weight, flat, layout, activation, out_activation, loss):
        self.dtype = flat.dtype
        self.X = to_device(X, self.dtype)
        self.Y = to_device(Y, self.dtype)
        self.weighted = sample_weight is not None
        self.sample_weight = to_device(np.ones(X.shape[0]) if sample_weight is None
                                       else sample_weight, np.float64)
        self.flat = to_device(flat)
        self.grad = cuda.device_array_like(self.flat)
        self.layout = layout
        self.coefs = [self.flat[a:b].reshape(shape) for a, b, shape in layout.coef_bounds]
        self.intercepts = [self.flat[a:b] for a, b in layout.intercept_bounds]
        self.coef_grads = [self.grad[a:b].reshape(shape) for a, b, shape in layout.coef_bounds]
        self.intercept_grads = [self.grad[a:b] for a, b in layout.intercept_bounds]
        self.activation = ACTIVATIONS[activation]
        self.out_activation = ACTIVATIONS[out_activation]
        self.loss = LOSSES[loss]
        self.eps = float(np.finfo(self.dtype).eps)
        self.state = {}

    def load_state(self, state):
        """Copy the optimizer's host arrays (velocity, moments) to the device."""
        self.state = {name: to_device(value) for name, value in state.items()
                      if isinstance(value, np.ndarray)}

    def save_state(self, state):
        for name, value in self.state.items():
            state[name][:] = value.copy_to_host()

    def to_host(self, flat):
        flat[:] = self.flat.copy_to_host()

    def _batch(self, index):
        index = to_device(np.asarray(index, dtype=np.int64))
        n_rows = index.shape[0]
        X = cuda.device_array((n_rows, self.X.shape[1]), dtype=self.dtype)
        Y = cuda.device_array((n_rows, self.Y.shape[1]), dtype=self.dtype)
        sample_weight = cuda.device_array(n_rows)
        launch(gather_rows, X.size, self.X, index, X)
        launch(gather_rows, Y.size, self.Y, index, Y)
        launch(gather, n_rows, self.sample_weight, index, sample_weight)
        return X, Y, sample_weight

    def loss_gradient(self, index, l1_strength=0.0, l2_strength=0.0):
        """Data loss of the rows ``index`` (gradient into the device buffer ``grad``) and
        the penalty ``l1 ||w||_1 + l2 / 2 ||w||^2`` at the current parameters."""
        X, Y, sample_weight = self._batch(index)
        n_rows = X.shape[0]
        activations = [X]
        last = len(self.coefs) - 1
        for layer, (W, b) in enumerate(zip(self.coefs, self.intercepts, strict=True)):
            Z = cuda.device_array((n_rows, W.shape[1]), dtype=self.dtype)
            activation = self.out_activation if layer == last else self.activation
            launch(dense_forward, Z.size, activations[-1], W, b, Z, activation)
            if activation == ACTIVATIONS["softmax"]:
                launch(softmax_rows, n_rows, Z)
            activations.append(Z)
        output = activations[-1]
        delta = cuda.device_array(output.shape, dtype=self.dtype)
        sums = to_device(np.zeros(3))
        scale = 1.0 / (n_rows * (output.shape[1] if self.loss == 0 else 1.0))
        launch(output_delta, n_rows, output, Y, sample_weight, self.weighted, scale,
               self.loss, self.eps, delta, sums)
        for layer in range(last, -1, -1):
            launch(weight_gradient, self.coef_grads[layer].size, activations[layer], delta,
                   self.coef_grads[layer])
            launch(bias_gradient, self.intercept_grads[layer].size, delta,
                   self.intercept_grads[layer])
            if layer > 0:
                previous = cuda.device_array(activations[layer].shape, dtype=self.dtype)
                launch(backward_delta, previous.size, delta, self.coefs[layer],
                       activations[layer], self.activation, previous)
                delta = previous
        launch(penalty_sums, self.layout.n_penalized, self.flat, self.layout.n_penalized,
               sums)
        loss_sum, abs_sum, sq_sum = map(float, sums.copy_to_host())
        return loss_sum / n_rows, l1_strength * abs_sum + 0.5 * l2_strength * sq_sum

    def gradient_to_host(self):
        return self.grad.copy_to_host()

    def sgd_step(self, learning_rate, momentum, nesterov, l2_strength, l1_strength,
                 velocity_scale):
        launch(sgd_prox_step, self.flat.shape[0], self.flat, self.grad,
               self.state["velocity"], learning_rate, momentum, nesterov,
               self.layout.n_penalized, l2_strength, l1_strength, velocity_scale)

    def adam_step(self, learning_rate_t, beta_1, beta_2, epsilon, l2_strength, l1_strength):
        launch(adam_prox_step, self.flat.shape[0], self.flat, self.grad,
               self.state["first_moment"], self.state["second_moment"], learning_rate_t,
               beta_1, beta_2, epsilon, self.layout.n_penalized, l2_strength, l1_strength)
