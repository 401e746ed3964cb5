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
   prox in Adam's diagonal metric); ``prox_group`` is the exact prox of the group norm
   in the same metric (a block soft-threshold when a group's steps are equal, as in SGD).
   A group at zero thus stays there exactly when its gradient estimate has norm at most
   ``strength * sqrt(|group|)``, the group lasso's optimality condition; a block
   soft-threshold by the group's mean step would let one weight with a tiny Adam moment
   (a huge step) keep a whole useful input at zero. Under SGD with momentum the
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

import math

import numpy as np

from .._jit import jit

# Scalar updates, shared with the CUDA kernels (``sklreg.cuda`` compiles their ``py_func``
# as device functions).


@jit(inline="always")
def soft_threshold(z, threshold):
    """``sign(z) * max(|z| - threshold, 0)``, without a data-dependent branch."""
    return math.copysign(max(abs(z) - threshold, 0.0), z)


@jit(inline="always")
def sgd_update(param, grad, velocity, learning_rate, momentum, nesterov):
    """One weight's SGD step with (Nesterov) momentum: the new ``(param, velocity)``."""
    velocity = momentum * velocity - learning_rate * grad
    if nesterov:
        return param + momentum * velocity - learning_rate * grad, velocity
    return param + velocity, velocity


@jit(inline="always")
def adam_update(param, grad, first_moment, second_moment, learning_rate_t, beta_1, beta_2,
                epsilon):
    """One weight's Adam step: the new ``(param, first_moment, second_moment, step)``."""
    first_moment = beta_1 * first_moment + (1.0 - beta_1) * grad
    second_moment = beta_2 * second_moment + (1.0 - beta_2) * grad * grad
    step = learning_rate_t / (math.sqrt(second_moment) + epsilon)
    return param - step * first_moment, first_moment, second_moment, step


@jit
def sgd_step(params, grads, velocity, steps, learning_rate, momentum, nesterov, n_penalized,
             l2_strength):
    """SGD with (Nesterov) momentum on ``grads + l2_strength * w`` (weights only), in place.

    As scikit-learn's ``SGDOptimizer``: ``velocity = momentum * velocity - lr * grad`` and
    the parameter moves by ``velocity`` (or ``momentum * velocity - lr * grad`` with
    Nesterov's momentum). ``steps[:n_penalized]`` is set to ``learning_rate``.
    """
    for j in range(n_penalized):
        params[j], velocity[j] = sgd_update(params[j], grads[j] + l2_strength * params[j],
                                            velocity[j], learning_rate, momentum, nesterov)
        steps[j] = learning_rate
    for j in range(n_penalized, params.shape[0]):
        params[j], velocity[j] = sgd_update(params[j], grads[j], velocity[j], learning_rate,
                                            momentum, nesterov)


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
        params[j], first_moment[j], second_moment[j], step = adam_update(
            params[j], grad, first_moment[j], second_moment[j], learning_rate_t, beta_1,
            beta_2, epsilon)
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
            params[j] = soft_threshold(z, steps[j] * l1_strength)
            velocity[j] += velocity_scale * (params[j] - z)
    else:
        for j in range(steps.shape[0]):
            z = params[j]
            params[j] = soft_threshold(z, steps[j] * l1_strength)


@jit(fastmath={"reassoc", "contract"})
def prox_group(params, steps, group_ptr, strength, velocity, velocity_scale):
    """Prox of ``strength * sqrt(|g|) ||w_g||_2`` on each group, in the metric of ``steps``.

    For the group ``g = [group_ptr[k], group_ptr[k + 1])`` with ``z = params[g]``,
    ``s = steps[g]`` and ``tau = strength * sqrt(|g|)``, the new weights minimize
    ``tau ||x||_2 + sum_j (x_j - z_j)^2 / (2 s_j)``: ``x = 0`` when ``||z / s||_2 <= tau``,
    else ``x_j = z_j lam / (lam + s_j)`` where ``lam > 0`` solves ``||p(lam)||_2 = tau``,
    ``p_j(lam) = z_j / (lam + s_j)``. As in trust-region solvers (More & Sorensen 1983)
    Newton's method runs on ``1 / ||p(lam)||``, nearly linear (exactly for equal steps:
    one iteration gives the block soft-threshold ``x = z (1 - s tau / ||z||)``), from
    ``lam = 0``, increasing monotonically to the root. When ``velocity`` is not empty
    (SGD with momentum) the prox's displacement times ``velocity_scale`` is added to it,
    as in :func:`prox_l1`.
    """
    track = velocity.shape[0] > 0
    for g in range(group_ptr.shape[0] - 1):
        start, stop = group_ptr[g], group_ptr[g + 1]
        tau = strength * np.sqrt(stop - start)
        lam = 0.0
        zero = False
        equal_steps = True
        for j in range(start + 1, stop):
            equal_steps &= steps[j] == steps[start]
        for iteration in range(100):
            p_sq = 0.0
            q_sq = 0.0  # sum_j z_j^2 / (lam + s_j)^3 = -d(||p||^2)/d(lam) / 2
            for j in range(start, stop):
                inverse = 1.0 / (lam + np.float64(steps[j]))
                p_j = np.float64(params[j]) * inverse
                p_sq += p_j * p_j
                q_sq += p_j * p_j * inverse
            p_norm = np.sqrt(p_sq)
            if iteration == 0 and p_norm <= tau:
                zero = True
                break
            if p_norm - tau <= 1e-12 * tau:
                break
            lam += (p_sq / q_sq) * (p_norm - tau) / tau
            if equal_steps:  # 1 / ||p(lam)|| is linear: that step was exact
                break
        for j in range(start, stop):
            z = params[j]
            params[j] = 0.0 if zero else z * (lam / (lam + steps[j]))
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
