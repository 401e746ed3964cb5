"""Proximal optimizer kernels for the networks, on flat parameter buffers.

Every network's parameters live in one flat contiguous buffer: first all the weight
matrices (row-major, the penalized entries ``[0, n_penalized)``), then all the biases
(never penalized). An optimizer step is a chain of two kernels, as optax chains
transformations:

1. a smooth step (``sgd_step`` or ``adam_step``) on the data-loss gradient plus the L2
   part of the penalty, ``l2_strength * w``, which writes each penalized weight's step
   size into ``steps``;
2. the prox of the non-smooth part in the optimizer's diagonal metric: ``prox_l1``
   soft-thresholds weight ``j`` by ``steps[j] * l1_strength`` (``steps[j] = lr`` for SGD,
   ``lr_t / (sqrt(v_j) + eps)`` for Adam, the step of the biased moment ``m``; the caller
   multiplies ``l1_strength`` by ``1 - beta_1**t`` so that the threshold is the step of the
   gradient estimate ``m_hat``, ``lr * sqrt(1 - beta_2**t) / (sqrt(v_j) + eps)``, the
   prox in Adam's diagonal metric); ``prox_group`` block-soft-thresholds each group
   by ``mean(steps[group]) * strength * sqrt(|group|)``. Under SGD with momentum the
   prox's displacement, times ``velocity_scale``, is added to the velocity. Heavy ball
   (``velocity_scale = 1``): the velocity stays the realized step ``w_new - w_old``
   (iPiano: Ochs et al. 2014). Nesterov (``velocity_scale = 1 / momentum``): the stored
   weights are the look-ahead point ``w = theta + momentum * v``; the prox moves ``w``
   and leaves ``theta``, so ``v`` absorbs ``displacement / momentum``. Either way a weight
   held at zero carries no momentum and the fixed points are exactly the stationary
   points of the penalized objective (with Nesterov and ``velocity_scale = 1`` they would
   be those of an L1 strength ``1 - momentum + momentum**2`` times too small).

The loops have no data-dependent branches: the soft-threshold is written
``sign(z) * max(|z| - t, 0)`` rather than with :func:`sklreg._penalties.prox_enet`'s
branches, which mispredict on the random signs of network weights (16x slower measured on
26,000 weights). Kernels work in place on float32 or float64 arrays of one dtype.
"""

import numpy as np

from .._jit import jit


@jit
def sgd_step(params, grads, velocity, steps, learning_rate, momentum, nesterov, n_penalized,
             l2_strength):
    """SGD with (Nesterov) momentum on ``grads + l2_strength * w`` (weights only), in place.

    As scikit-learn's ``SGDOptimizer``: ``velocity = momentum * velocity - lr * grad`` and
    the parameter moves by ``velocity`` (or ``momentum * velocity - lr * grad`` with
    Nesterov's momentum). ``steps[:n_penalized]`` is set to ``learning_rate``.
    """
    velocity_factor = momentum if nesterov else 1.0
    grad_factor = learning_rate if nesterov else 0.0
    for j in range(n_penalized):
        grad = grads[j] + l2_strength * params[j]
        velocity[j] = momentum * velocity[j] - learning_rate * grad
        params[j] += velocity_factor * velocity[j] - grad_factor * grad
        steps[j] = learning_rate
    for j in range(n_penalized, params.shape[0]):
        grad = grads[j]
        velocity[j] = momentum * velocity[j] - learning_rate * grad
        params[j] += velocity_factor * velocity[j] - grad_factor * grad


@jit
def adam_step(params, grads, first_moment, second_moment, steps, learning_rate_t, beta_1,
              beta_2, epsilon, n_penalized, l2_strength):
    """Adam on ``grads + l2_strength * w`` (weights only), in place.

    As scikit-learn's ``AdamOptimizer``: ``m = beta_1 m + (1 - beta_1) g``,
    ``v = beta_2 v + (1 - beta_2) g^2`` and ``w -= lr_t * m / (sqrt(v) + eps)`` with the
    bias-corrected ``learning_rate_t``. The per-weight step ``lr_t / (sqrt(v) + eps)`` of
    the penalized weights is written into ``steps``.
    """
    for j in range(params.shape[0]):
        grad = grads[j]
        if j < n_penalized:
            grad += l2_strength * params[j]
        first_moment[j] = beta_1 * first_moment[j] + (1.0 - beta_1) * grad
        second_moment[j] = beta_2 * second_moment[j] + (1.0 - beta_2) * grad * grad
        step = learning_rate_t / (np.sqrt(second_moment[j]) + epsilon)
        params[j] -= step * first_moment[j]
        if j < n_penalized:
            steps[j] = step


@jit
def prox_l1(params, steps, l1_strength, velocity, velocity_scale):
    """Soft-threshold ``params[j]`` by ``steps[j] * l1_strength`` for j < len(steps).

    When ``velocity`` is not empty (SGD with momentum) the prox's displacement times
    ``velocity_scale`` is added to it (see the module docstring).
    """
    if velocity.shape[0] > 0:
        for j in range(steps.shape[0]):
            z = params[j]
            params[j] = np.sign(z) * max(abs(z) - steps[j] * l1_strength, 0.0)
            velocity[j] += velocity_scale * (params[j] - z)
    else:
        for j in range(steps.shape[0]):
            z = params[j]
            params[j] = np.sign(z) * max(abs(z) - steps[j] * l1_strength, 0.0)


@jit
def prox_group(params, steps, group_ptr, strength, velocity, velocity_scale):
    """Block soft-thresholding of each group ``params[group_ptr[g]:group_ptr[g + 1]]``.

    The threshold of group ``g`` is ``mean(steps[group]) * strength * sqrt(|group|)``:
    the exact prox of ``strength * sqrt(|g|) ||w_g||_2`` for the scalar step
    ``mean(steps[group])``. When ``velocity`` is not empty (SGD with momentum) the prox's
    displacement times ``velocity_scale`` is added to it, as in :func:`prox_l1`.
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
                velocity[j] += velocity_scale * (params[j] - z)


@jit(fastmath={"reassoc", "contract"})
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
