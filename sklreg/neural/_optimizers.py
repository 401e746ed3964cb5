"""Proximal optimizer kernels for the networks, on flat parameter buffers.

Every network's parameters live in one flat contiguous buffer: first all the weight
matrices (row-major, the penalized entries ``[0, n_penalized)``), then all the biases
(never penalized). An optimizer step is

1. a smooth step (``sgd_step`` or ``adam_step``) on the data-loss gradient plus the L2
   part of the penalty, ``l2_strength * w``, fused in the same pass with the prox of the
   L1 part (elastic-net family): weight ``j`` is soft-thresholded by
   ``step_j * l1_strength``, the prox of the L1 norm in the optimizer's diagonal metric
   (``step_j = lr`` for SGD, ``lr_t / (sqrt(v_j) + eps)`` for Adam). One pass over memory;
   the kernel also returns the penalty of the weights before the step (for ``loss_curve_``)
   and writes each weight's ``step_j`` into ``steps``;
2. for the group lasso, ``prox_group`` then block-soft-thresholds each group by
   ``mean(steps[group]) * strength * sqrt(|group|)``.

Kernels work in place on float32 or float64 arrays of one dtype.
"""

import numpy as np

from .._jit import jit
from .._penalties import prox_enet


@jit(inline="always")
def _soft_threshold_with_velocity(params, velocity, j, step, l1_strength, track):
    z = params[j]
    params[j] = prox_enet(z, step, l1_strength, 0.0, False)
    if track:
        velocity[j] += params[j] - z


@jit
def sgd_step(params, grads, velocity, steps, learning_rate, momentum, nesterov, n_penalized,
             l1_strength, l2_strength):
    """Proximal SGD with (Nesterov) momentum, in place; returns the penalty before the step.

    Smooth step on ``grad + l2_strength * w`` (weights only), as scikit-learn's
    ``SGDOptimizer``: ``velocity = momentum * velocity - learning_rate * grad`` and the
    parameter moves by ``velocity`` (or ``momentum * velocity - learning_rate * grad`` with
    Nesterov's momentum). Then, with ``l1_strength > 0``, each weight is soft-thresholded
    by ``learning_rate * l1_strength`` and the prox's displacement is added to the velocity
    (proximal heavy ball, iPiano: Ochs et al. 2014), so that the velocity stays the realized
    step and a weight held at zero carries no momentum. ``steps[:n_penalized]`` is set to
    ``learning_rate`` (for a group prox that follows).

    Returns
    -------
    penalty : float
        ``l1 ||w||_1 + l2 / 2 ||w||_2^2`` of the weights before the step.
    """
    abs_sum = 0.0
    sq_sum = 0.0
    threshold = l1_strength > 0.0
    for j in range(params.shape[0]):
        grad = grads[j]
        if j < n_penalized:
            w = np.float64(params[j])
            abs_sum += abs(w)
            sq_sum += w * w
            grad += l2_strength * params[j]
            steps[j] = learning_rate
        velocity[j] = momentum * velocity[j] - learning_rate * grad
        if nesterov:
            params[j] += momentum * velocity[j] - learning_rate * grad
        else:
            params[j] += velocity[j]
        if threshold and j < n_penalized:
            _soft_threshold_with_velocity(params, velocity, j, learning_rate, l1_strength, True)
    return l1_strength * abs_sum + 0.5 * l2_strength * sq_sum


@jit
def adam_step(params, grads, first_moment, second_moment, steps, learning_rate_t, beta_1,
              beta_2, epsilon, n_penalized, l1_strength, l2_strength):
    """Proximal Adam, in place; returns the penalty before the step.

    Smooth step on ``grad + l2_strength * w`` (weights only) as scikit-learn's
    ``AdamOptimizer``: ``m = beta_1 m + (1 - beta_1) g``, ``v = beta_2 v + (1 - beta_2) g^2``,
    ``w -= lr_t * m / (sqrt(v) + eps)`` with the bias-corrected ``learning_rate_t``. Then each
    weight is soft-thresholded by ``step_j * l1_strength`` with its own step
    ``step_j = lr_t / (sqrt(v_j) + eps)``: the prox of the L1 norm in Adam's diagonal
    metric. ``steps[:n_penalized]`` receives the ``step_j`` (for a group prox that follows).

    Returns
    -------
    penalty : float
        ``l1 ||w||_1 + l2 / 2 ||w||_2^2`` of the weights before the step.
    """
    abs_sum = 0.0
    sq_sum = 0.0
    threshold = l1_strength > 0.0
    for j in range(params.shape[0]):
        grad = grads[j]
        if j < n_penalized:
            w = np.float64(params[j])
            abs_sum += abs(w)
            sq_sum += w * w
            grad += l2_strength * params[j]
        first_moment[j] = beta_1 * first_moment[j] + (1.0 - beta_1) * grad
        second_moment[j] = beta_2 * second_moment[j] + (1.0 - beta_2) * grad * grad
        step = learning_rate_t / (np.sqrt(second_moment[j]) + epsilon)
        params[j] -= step * first_moment[j]
        if j < n_penalized:
            steps[j] = step
            if threshold:
                _soft_threshold_with_velocity(params, steps, j, step, l1_strength, False)
    return l1_strength * abs_sum + 0.5 * l2_strength * sq_sum


@jit
def prox_group(params, steps, group_ptr, strength, velocity):
    """Block soft-thresholding of each group ``params[group_ptr[g]:group_ptr[g + 1]]``.

    The threshold of group ``g`` is ``mean(steps[group]) * strength * sqrt(|group|)``:
    the exact prox of ``strength * sqrt(|g|) ||w_g||_2`` for the scalar step
    ``mean(steps[group])``. When ``velocity`` is not empty (SGD with momentum) the prox's
    displacement is added to it, as in :func:`sgd_step`.
    """
    track = velocity.shape[0] > 0
    for g in range(group_ptr.shape[0] - 1):
        start, stop = group_ptr[g], group_ptr[g + 1]
        norm_sq = 0.0
        mean_step = 0.0
        for j in range(start, stop):
            norm_sq += params[j] * params[j]
            mean_step += steps[j]
        size = stop - start
        mean_step /= size
        threshold = mean_step * strength * np.sqrt(size)
        norm = np.sqrt(norm_sq)
        scale = 0.0 if norm <= threshold else 1.0 - threshold / norm
        for j in range(start, stop):
            z = params[j]
            params[j] = scale * z
            if track:
                velocity[j] += params[j] - z


@jit
def enet_penalty_value(params, n_penalized, l1_strength, l2_strength):
    """``l1 ||w||_1 + l2 / 2 ||w||_2^2`` over ``params[:n_penalized]`` (float64 sum)."""
    abs_sum = 0.0
    sq_sum = 0.0
    for j in range(n_penalized):
        w = np.float64(params[j])
        abs_sum += abs(w)
        sq_sum += w * w
    return l1_strength * abs_sum + 0.5 * l2_strength * sq_sum


@jit
def group_penalty_value(params, group_ptr, strength):
    """``strength * sum_g sqrt(|g|) ||w_g||_2`` (float64 sum)."""
    total = 0.0
    for g in range(group_ptr.shape[0] - 1):
        start, stop = group_ptr[g], group_ptr[g + 1]
        sq_sum = 0.0
        for j in range(start, stop):
            w = np.float64(params[j])
            sq_sum += w * w
        total += np.sqrt(stop - start) * np.sqrt(sq_sum)
    return strength * total
