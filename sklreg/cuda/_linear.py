"""Accelerated proximal gradient on the GPU for the penalized linear models (dense data).

One solver serves the three convex datafits of ``CONVENTIONS.md`` (least squares on the
prepared design, binary logistic, multinomial): FISTA with the gradient-based adaptive
restart of O'Donoghue & Candes (2015), on the stacked variable ``theta`` of shape
``(n_blocks, n_features + 1)`` whose last column holds the intercepts (unpenalized, updated
by a plain gradient step; unused for least squares, whose intercept is eliminated by
centering). Every iteration is three launches, with no copy to the host:

1. ``predict_residual``, one thread per sample: ``Z = theta X^T`` and the derivatives ``R``
   of the datafit in ``Z``;
2. ``gradient_prox``, one thread per weight: ``G = R X`` and the prox step
   (:func:`~sklreg._penalties.prox_enet`, the CPU's own function compiled for the device),
   accumulating the restart test ``(z - w_new) . (w_new - w)``;
3. ``momentum``: the FISTA extrapolation, or a restart.

The steps are diagonally preconditioned: FISTA runs in the metric ``D = diag(d)``, ``d_j``
the curvature of column ``j`` alone (its weighted, centered squared norm; for the intercept
the sum of the weights), i.e. on the variable ``D^1/2 theta`` of unit-norm columns.
Coordinate ``j`` takes the step ``step / d_j`` (the separable prox with it), ``1 / step`` is
the largest eigenvalue of ``D^-1/2 H D^-1/2`` (power iteration), and the restart test and
the gradient mapping are measured in the metric. Columns scaled by ``1e3`` or ``1e-3`` then
converge as unscaled ones. Columns that are zero, or constant up to the rounding of their
centering, have no curvature of their own and take the longest step of the others.

Every ``CHECK_EVERY`` iterations the certified duality gap of ``CONVENTIONS.md`` is computed
on the device (sums reduced with atomics, a handful of scalars copied back, assembled by the
same scalar functions as on the CPU) and compared with ``tol * P_null``. Centering of the
least-squares design is done on the fly, ``X[i, j] - q_i mean_j``, as the CPU kernels do.
"""

import math
import warnings

import numpy as np
from numba import cuda
from sklearn.exceptions import ConvergenceWarning

from .._datafits import (
    classification_gap_from_sums,
    feasible_dual_scale,
    quadratic_gap_from_sums,
)
from ..solvers._prox_newton import intercept_newton_step
from ._device import (
    d_conjugate_scale,
    d_enet_conjugate_term,
    d_lasso_dual_correlation,
    d_log1pexp,
    d_prox_enet,
    d_sigmoid,
    d_xlogx,
    launch,
    to_device,
)

QUADRATIC, LOGISTIC, MULTINOMIAL, LINEAR = 0, 1, 2, 3
CHECK_EVERY = 10  # iterations between two gap computations
POWER_ITERATIONS = 50
LIPSCHITZ_SAFETY = 1.1  # power iteration underestimates the largest eigenvalue
MAX_INTERCEPT_NEWTON = 100
# an objective this far (relative) above the starting one at a check means divergence
DIVERGENCE_SLACK = 1e-6

# a centered column whose norm is below this times sqrt(n_samples) eps times the norm it
# had before centering is the rounding of a constant one: no curvature of its own
CONSTANT_COLUMN_ROUNDING = 4.0

# state array: t of FISTA, restart test accumulator, next t
T, RESTART, T_NEXT = 0, 1, 2


@cuda.jit(device=True)
def _softmax_parts(Z, i):
    """``(max_k Z[k, i], sum_k exp(Z[k, i] - max))``: sample ``i``'s softmax is
    ``exp(Z[k, i] - max) / sum``."""
    z_max = Z[0, i]
    for k in range(1, Z.shape[0]):
        z_max = max(z_max, Z[k, i])
    exp_sum = 0.0
    for k in range(Z.shape[0]):
        exp_sum += math.exp(Z[k, i] - z_max)
    return z_max, exp_sum


@cuda.jit
def predict_residual(X, X_mean, q, theta, fit_intercept, datafit, y, labels, c, Z, R, state):
    """``Z[k, i] = x_i . theta[k, :p] (+ theta[k, p])`` and the datafit derivatives ``R``."""
    i = cuda.grid(1)
    if i == 0:  # idempotent: after a momentum step, its t becomes current
        state[T] = state[T_NEXT]
        state[RESTART] = 0.0
    n_samples, n_features = X.shape
    if i >= n_samples:
        return
    n_blocks = theta.shape[0]
    for k in range(n_blocks):
        z = theta[k, n_features] if fit_intercept else 0.0
        for j in range(n_features):
            z += (X[i, j] - q[i] * X_mean[j]) * theta[k, j]
        Z[k, i] = z
    if datafit == QUADRATIC:
        R[0, i] = Z[0, i] - y[i]
    elif datafit == LOGISTIC:
        R[0, i] = c[i] * (d_sigmoid(Z[0, i]) - (1.0 if labels[i] == 1 else 0.0))
    elif datafit == MULTINOMIAL:
        z_max, exp_sum = _softmax_parts(Z, i)
        for k in range(n_blocks):
            p = math.exp(Z[k, i] - z_max) / exp_sum
            R[k, i] = c[i] * (p - (1.0 if labels[i] == k else 0.0))
    else:  # LINEAR: the product by diag(c), for the power iteration
        for k in range(n_blocks):
            R[k, i] = c[i] * Z[k, i]


@cuda.jit
def column_curvatures(X, X_mean, q, c, fit_intercept, d):
    """``d[j] = sum_i c_i (X[i, j] - q_i X_mean[j])^2`` (the diagonal of ``X^T diag(c) X``
    of the centered design), and ``d[n_features] = sum_i c_i`` (0 without intercept)."""
    j = cuda.grid(1)
    n_samples, n_features = X.shape
    if j > n_features:
        return
    total = 0.0
    if j < n_features:
        for i in range(n_samples):
            x = X[i, j] - q[i] * X_mean[j]
            total += c[i] * x * x
    elif fit_intercept:
        for i in range(n_samples):
            total += c[i]
    d[j] = total


@cuda.jit
def gradient_prox(X, X_mean, q, R, fit_intercept, theta_z, theta, theta_new, G, step, scale,
                  l1_strength, l2_strength, positive, take_step, state):
    """``G = R X`` (last column: ``R`` summed, the intercepts); with ``take_step`` the prox
    step from ``theta_z`` into ``theta_new``, of length ``step * scale[j]`` for column ``j``,
    accumulating the restart test in the metric ``diag(1 / scale)``."""
    index = cuda.grid(1)
    n_blocks = R.shape[0]
    n_samples, n_features = X.shape
    if index >= n_blocks * (n_features + 1):
        return
    k = index // (n_features + 1)
    j = index % (n_features + 1)
    g = 0.0
    if j < n_features:
        for i in range(n_samples):
            g += (X[i, j] - q[i] * X_mean[j]) * R[k, i]
    elif fit_intercept:
        for i in range(n_samples):
            g += R[k, i]
    G[k, j] = g
    if not take_step:
        return
    z = theta_z[k, j]
    step_j = step * scale[j]
    if j < n_features:
        new = d_prox_enet(z - step_j * g, step_j, l1_strength, l2_strength, positive)
    else:
        new = z - step_j * g if fit_intercept else 0.0
    theta_new[k, j] = new
    cuda.atomic.add(state, RESTART, (z - new) * (new - theta[k, j]) / scale[j])


@cuda.jit
def momentum(theta, theta_new, theta_z, state):
    """FISTA's extrapolation, or a restart when the last step went against the momentum."""
    index = cuda.grid(1)
    n_blocks, width = theta.shape
    if index >= n_blocks * width:
        return
    k = index // width
    j = index % width
    t = state[T]
    new = theta_new[k, j]
    if state[RESTART] > 0.0:
        t_next = 1.0
        theta_z[k, j] = new
    else:
        t_next = 0.5 * (1.0 + math.sqrt(1.0 + 4.0 * t * t))
        theta_z[k, j] = new + (t - 1.0) / t_next * (new - theta[k, j])
    theta[k, j] = new
    if index == 0:
        state[T_NEXT] = t_next


@cuda.jit
def quadratic_gap_sums(R, y, theta, G, l1_strength, l2_strength, positive, sums):
    """Sums of the least-squares gap: ``[||r||^2, r.y, ||w||_1, l2 ||w||^2, dual norm, conj]``
    (see :func:`~sklreg._datafits.quadratic_gap_from_sums`).

    ``R = -r`` and ``G = -X^T r`` (from ``predict_residual`` / ``gradient_prox``).
    """
    index = cuda.grid(1)
    n_samples = R.shape[1]
    n_features = theta.shape[1] - 1
    if index < n_samples:
        r = -R[0, index]
        cuda.atomic.add(sums, 0, r * r)
        cuda.atomic.add(sums, 1, r * y[index])
    if index < n_features:
        w = theta[0, index]
        XTr = -G[0, index]
        cuda.atomic.add(sums, 2, abs(w))
        cuda.atomic.add(sums, 3, l2_strength * w * w)
        cuda.atomic.max(sums, 4, d_lasso_dual_correlation(XTr, w, l2_strength, positive))
        cuda.atomic.add(sums, 5, d_enet_conjugate_term(XTr, l1_strength,
                                                       d_conjugate_scale(l2_strength),
                                                       positive))


@cuda.jit
def intercept_sums(Z, labels, c, grad, hess):
    """Gradient and Hessian of the datafit in the intercepts (atomics over the samples)."""
    i = cuda.grid(1)
    n_blocks, n_samples = Z.shape
    if i >= n_samples or c[i] == 0.0:
        return
    if n_blocks == 1:
        p = d_sigmoid(Z[0, i])
        cuda.atomic.add(grad, 0, c[i] * (p - (1.0 if labels[i] == 1 else 0.0)))
        cuda.atomic.add(hess, (0, 0), c[i] * p * (1.0 - p))
        return
    z_max, exp_sum = _softmax_parts(Z, i)
    for k in range(n_blocks):
        p_k = math.exp(Z[k, i] - z_max) / exp_sum
        cuda.atomic.add(grad, k, c[i] * (p_k - (1.0 if labels[i] == k else 0.0)))
        cuda.atomic.add(hess, (k, k), c[i] * p_k)
        for m in range(n_blocks):
            p_m = math.exp(Z[m, i] - z_max) / exp_sum
            cuda.atomic.add(hess, (k, m), -c[i] * p_k * p_m)


@cuda.jit
def classification_gap_sums(Z, labels, c, theta, G, scale, l1_strength, l2_strength, sums):
    """Sums of the classification gap, for the dual points ``-scale R`` and ``-R``.

    ``sums = [loss, ||W||_1, ||W||^2, max|G|, entropy(scale), entropy(1), conj(scale),
    conj(1)]``, the conjugates as sums of ``(|v| - l1)_+^2`` (divided by ``2 l2`` on the
    host; a positive one with ``l2 == 0`` means infeasible). ``scale < 0``: first pass,
    only the loss, norms and ``max|G|``.
    """
    index = cuda.grid(1)
    n_blocks, n_samples = Z.shape
    n_features = theta.shape[1] - 1
    if index < n_samples and c[index] != 0.0:
        i = index
        if scale < 0.0:
            if n_blocks == 1:
                z = Z[0, i]
                loss = d_log1pexp(-z if labels[i] == 1 else z)
            else:
                z_max, exp_sum = _softmax_parts(Z, i)
                loss = z_max + math.log(exp_sum) - Z[labels[i], i]
            cuda.atomic.add(sums, 0, c[i] * loss)
        else:
            for which in range(2):
                s = scale if which == 0 else 1.0
                neg_entropy = 0.0
                if n_blocks == 1:
                    q = s * d_sigmoid(Z[0, i]) + (1.0 - s) * (1.0 if labels[i] == 1 else 0.0)
                    neg_entropy = d_xlogx(q) + d_xlogx(1.0 - q)
                else:
                    z_max, exp_sum = _softmax_parts(Z, i)
                    for k in range(n_blocks):
                        p = math.exp(Z[k, i] - z_max) / exp_sum
                        q = s * p + ((1.0 - s) if labels[i] == k else 0.0)
                        neg_entropy += d_xlogx(q)
                cuda.atomic.add(sums, 4 + which, -c[i] * neg_entropy)
    if index < n_blocks * n_features:
        k = index // n_features
        j = index % n_features
        if scale < 0.0:
            w = theta[k, j]
            cuda.atomic.add(sums, 1, abs(w))
            cuda.atomic.add(sums, 2, w * w)
            cuda.atomic.max(sums, 3, abs(G[k, j]))
        else:
            cuda.atomic.add(sums, 6, d_enet_conjugate_term(scale * G[k, j], l1_strength, 1.0,
                                                           False))
            cuda.atomic.add(sums, 7, d_enet_conjugate_term(G[k, j], l1_strength, 1.0, False))


class DeviceProblem:
    """A dense problem on the device and the FISTA buffers for one target.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Dense design (float32 or float64; copied to the device once).
    datafit : {QUADRATIC, LOGISTIC, MULTINOMIAL}
    n_blocks : int
        Rows of ``theta``.
    fit_intercept : bool
        Intercepts in ``theta[:, -1]`` (classification only).
    X_mean, q : ndarray, optional
        On-the-fly centering ``X[i, j] - q[i] X_mean[j]`` (least squares).
    labels, c : ndarray, optional
        Class indices and normalized sample weights (classification).
    removed_sq_norms : ndarray of shape (n_features,), optional
        What centering removed from each column's weighted squared norm (``S X_offset_j^2``),
        to tell the columns that are constant up to rounding (see :meth:`set_metric`).

    Attributes
    ----------
    scale : ndarray of shape (n_features + 1,)
        ``1 / d_j``, the inverse of the metric of FISTA (also on the device, ``d_scale``).
    curvatures : ndarray of shape (n_features + 1,)
        ``d_j`` as computed (zero for zero columns and for an intercept not fitted).
    """

    def __init__(self, X, datafit, n_blocks, fit_intercept, X_mean=None, q=None, labels=None,
                 c=None, removed_sq_norms=None):
        n_samples, n_features = X.shape
        self.n_samples, self.n_features, self.n_blocks = n_samples, n_features, n_blocks
        self.datafit, self.fit_intercept = datafit, bool(fit_intercept)
        # two layouts, so that both passes read X coalesced (consecutive threads, consecutive
        # addresses): by columns for the predictions (a thread per sample), by rows for the
        # gradient (a thread per feature); twice the memory of X
        self.X_columns = cuda.to_device(np.asfortranarray(X))
        self.X = to_device(X)
        self.X_mean = to_device(np.zeros(n_features) if X_mean is None else X_mean,
                                np.float64)
        self.q = to_device(np.zeros(n_samples) if q is None else q, np.float64)
        self.labels = to_device(np.zeros(n_samples, np.int64) if labels is None else labels,
                                np.int64)
        self.c = to_device(np.ones(n_samples) if c is None else c, np.float64)
        self.y = to_device(np.zeros(n_samples))
        shape = (n_blocks, n_features + 1)
        self.theta = cuda.device_array(shape)
        self.theta_z = cuda.device_array(shape)
        self.theta_new = cuda.device_array(shape)
        self.G = cuda.device_array(shape)
        self.Z = cuda.device_array((n_blocks, n_samples))
        self.R = cuda.device_array((n_blocks, n_samples))
        self.state = to_device(np.array([1.0, 0.0, 1.0]))
        self.set_metric(removed_sq_norms)

    def set_metric(self, removed_sq_norms=None):
        """The diagonal metric ``d`` of FISTA: the column curvatures ``d_j`` (a kernel).

        A column of no curvature (zero, constant, or an intercept not fitted), or of one at
        the rounding of a constant column's centering (``d_j`` below
        ``(CONSTANT_COLUMN_ROUNDING sqrt(n) eps)^2`` times ``d_j + removed_sq_norms[j]``),
        gets the smallest curvature of the others: its gradient is (nearly) zero and its
        weight only follows its penalty, while a metric at the rounding would move an
        unpenalized weight by the inverse of the rounding (up to 1e15).
        """
        width = self.n_features + 1
        d_device = to_device(np.zeros(width))
        launch(column_curvatures, width, self.X, self.X_mean, self.q, self.c,
               self.fit_intercept, d_device)
        d = d_device.copy_to_host()
        self.curvatures = d.copy()
        before = d.copy()
        if removed_sq_norms is not None:
            before[:-1] += removed_sq_norms
        rounding = CONSTANT_COLUMN_ROUNDING * math.sqrt(self.n_samples) * np.finfo(float).eps
        flat = ~(d > rounding**2 * before)  # also NaN
        if not self.fit_intercept:
            flat[-1] = True
        if np.all(flat):
            d = np.ones(width)
        else:
            d[flat] = np.min(d[~flat])
        self.scale = 1.0 / d
        self.d_scale = to_device(self.scale)

    def metric_frobenius2(self):
        """``||X D^-1/2||_F^2 = sum_j d_j / metric_j`` (intercept included): the number of
        columns of nonzero curvature, for the stops without penalty."""
        return float(self.curvatures @ self.scale)

    def set_target(self, y):
        self.y = to_device(y, np.float64)

    def gradient(self, theta, datafit=None, take_step=False, step=0.0, l1=0.0, l2=0.0,
                 positive=False):
        """Launch ``predict_residual`` then ``gradient_prox`` at ``theta`` (device array)."""
        datafit = self.datafit if datafit is None else datafit
        launch(predict_residual, self.n_samples, self.X_columns, self.X_mean, self.q, theta,
               self.fit_intercept, datafit, self.y, self.labels, self.c, self.Z, self.R,
               self.state)
        launch(gradient_prox, self.n_blocks * (self.n_features + 1), self.X, self.X_mean,
               self.q, self.R, self.fit_intercept, theta, self.theta, self.theta_new, self.G,
               step, self.d_scale, l1, l2, positive, take_step, self.state)

    def lipschitz(self, seed=0):
        """Lipschitz constant of the datafit gradient in the metric ``D``: the largest
        eigenvalue of ``D^-1/2 H D^-1/2`` (``H`` the bound on the Hessian), by power
        iteration on the device."""
        factor = {QUADRATIC: 1.0, LOGISTIC: 0.25, MULTINOMIAL: 0.5}[self.datafit]
        v = np.random.default_rng(seed).standard_normal((1, self.n_features + 1))
        if not self.fit_intercept:
            v[0, -1] = 0.0
        saved_blocks, self.n_blocks = self.n_blocks, 1
        Z, R, G = self.Z, self.R, self.G
        self.Z = cuda.device_array((1, self.n_samples))
        self.R = cuda.device_array((1, self.n_samples))
        self.G = cuda.device_array((1, self.n_features + 1))
        root_scale = np.sqrt(self.scale)
        estimate = 0.0
        try:
            for _ in range(POWER_ITERATIONS):
                v /= np.linalg.norm(v)
                self.gradient(to_device(v * root_scale), datafit=LINEAR)
                v = self.G.copy_to_host() * root_scale
                previous, estimate = estimate, float(np.linalg.norm(v))
                if estimate == 0.0 or abs(estimate - previous) <= 1e-3 * estimate:
                    break
        finally:
            self.n_blocks, self.Z, self.R, self.G = saved_blocks, Z, R, G
        return factor * LIPSCHITZ_SAFETY * estimate

    def optimize_intercepts(self):
        """Make the intercepts optimal for the current weights (Newton, sums on device)."""
        theta = self.theta.copy_to_host()
        b = np.ascontiguousarray(theta[:, -1])
        for _ in range(MAX_INTERCEPT_NEWTON):
            grad = to_device(np.zeros(self.n_blocks))
            hess = to_device(np.zeros((self.n_blocks, self.n_blocks)))
            launch(predict_residual, self.n_samples, self.X_columns, self.X_mean, self.q,
                   self.theta, True, self.datafit, self.y, self.labels, self.c, self.Z,
                   self.R, self.state)
            launch(intercept_sums, self.n_samples, self.Z, self.labels, self.c, grad, hess)
            step, done = intercept_newton_step(grad.copy_to_host(), hess.copy_to_host(), b)
            if step.shape[0]:
                theta[:, -1] = b
                self.theta.copy_to_device(theta)
            if done:
                break

    def gap(self, l1, l2, positive):
        """Primal objective and certified duality gap at ``theta`` (sums on device)."""
        if self.datafit == QUADRATIC:
            self.gradient(self.theta)
            sums = to_device(np.zeros(6))
            launch(quadratic_gap_sums, max(self.n_samples, self.n_features), self.R, self.y,
                   self.theta, self.G, l1, l2, positive, sums)
            primal, gap, _, _ = quadratic_gap_from_sums(*sums.copy_to_host(), l1, l2)
            return primal, gap
        if self.fit_intercept:
            self.optimize_intercepts()
        self.gradient(self.theta)
        size = max(self.n_samples, self.n_blocks * self.n_features)
        first = to_device(np.zeros(8))
        launch(classification_gap_sums, size, self.Z, self.labels, self.c, self.theta, self.G,
               -1.0, l1, l2, first)
        loss, l1_norm, w_norm2, g_max = first.copy_to_host()[:4]
        entropy_scaled = entropy_one = conj_scaled = conj_one = 0.0
        if l1 > 0.0 or l2 > 0.0:
            scale = feasible_dual_scale(g_max, l1) if l1 > 0.0 else 1.0
            second = to_device(np.zeros(8))
            launch(classification_gap_sums, size, self.Z, self.labels, self.c, self.theta,
                   self.G, scale, l1, l2, second)
            entropy_scaled, entropy_one, conj_scaled, conj_one = second.copy_to_host()[4:]
        return classification_gap_from_sums(loss, l1_norm, w_norm2, entropy_scaled,
                                            conj_scaled, entropy_one, conj_one, l1, l2)

    def gradient_mapping_norm2(self, step, positive):
        """``||G_step(theta)||_D^2``, the stopping measure without penalty, in the metric.

        ``G_step(theta) = (theta - P(theta - step D^-1 grad)) / step`` with ``P`` the
        projection on the constraints (``positive``): zero exactly at a constrained optimum,
        and ``||D^-1/2 grad||^2`` without constraints (the gradient of the problem of
        unit-norm columns).
        """
        if step == 0.0:
            return 0.0
        self.gradient(self.theta, take_step=True, step=step, positive=positive)
        move = self.theta.copy_to_host() - self.theta_new.copy_to_host()
        return float(np.sum(move * move / self.scale)) / (step * step)

    def restart_from(self, theta):
        """Set ``theta`` (host array) as the current point, without momentum."""
        self.theta.copy_to_device(np.ascontiguousarray(theta, dtype=np.float64))
        self.theta_z.copy_to_device(np.ascontiguousarray(theta, dtype=np.float64))
        self.state.copy_to_device(np.array([1.0, 0.0, 1.0]))

    def fista(self, theta0, l1, l2, positive, max_iter, gap_tol, lipschitz=None):
        """Run FISTA with adaptive restart from ``theta0`` until the gap is below ``gap_tol``.

        Returns ``(theta, gap, n_iter)``. Without penalty there is no certificate: ``gap`` is
        then ``||G||_D^2 / lipschitz``, ``G`` the gradient mapping in the metric ``D``
        (:meth:`gradient_mapping_norm2`), and the run stops when it is below ``gap_tol``.
        ``lipschitz`` is the one of the metric (:meth:`lipschitz`).

        The power iteration can underestimate ``lipschitz`` (it stops on a plateau of its
        estimate, far below the largest eigenvalue when the start vector barely meets its
        eigenvector), and FISTA then diverges. Every check compares the objective with the
        one at ``theta0``: above it, the run restarts from the last checked point that was
        not, with twice the constant.
        """
        if lipschitz is None:
            lipschitz = self.lipschitz()
        last_good = np.array(theta0, dtype=np.float64)
        self.restart_from(last_good)
        penalized = l1 > 0.0 or l2 > 0.0
        if lipschitz == 0.0:  # X == 0 (or all weights zero): nothing to fit but intercepts
            max_iter = 0
        step = 1.0 / lipschitz if lipschitz > 0.0 else 0.0
        measure_scale = step  # the first one: a doubled lipschitz does not loosen the stop
        start_objective = None
        n_iter = 0
        width = self.n_blocks * (self.n_features + 1)
        while True:
            if n_iter % CHECK_EVERY == 0 or n_iter >= max_iter:
                moves_intercepts = self.fit_intercept and self.datafit != QUADRATIC
                if moves_intercepts:
                    b_before = self.theta.copy_to_host()[:, -1]
                objective, gap = self.gap(l1, l2, positive)
                if start_objective is None:
                    start_objective = objective
                if not objective <= start_objective * (1.0 + DIVERGENCE_SLACK):
                    # diverging (or not finite): the step was too long
                    lipschitz *= 2.0
                    step = 1.0 / lipschitz
                    self.restart_from(last_good)
                    objective, gap = self.gap(l1, l2, positive)
                    moves_intercepts = False  # z is reset to theta
                last_good = self.theta.copy_to_host()
                if not penalized:
                    gap = self.gradient_mapping_norm2(step, positive) * measure_scale
                if gap <= gap_tol or n_iter >= max_iter:
                    break
                if moves_intercepts:  # the gap moved the intercepts: shift z with them
                    theta_z = self.theta_z.copy_to_host()
                    theta_z[:, -1] += self.theta.copy_to_host()[:, -1] - b_before
                    self.theta_z.copy_to_device(theta_z)
            self.gradient(self.theta_z, take_step=True, step=step, l1=l1, l2=l2,
                          positive=positive)
            launch(momentum, width, self.theta, self.theta_new, self.theta_z, self.state)
            n_iter += 1
        if not penalized and self.fit_intercept and self.datafit != QUADRATIC:
            self.optimize_intercepts()
        return self.theta.copy_to_host(), gap, n_iter


def solve_least_squares_cuda(design, l1_strength, l2_strength, *, positive=False,
                             max_iter=10_000, tol=1e-4, W_init=None):
    """GPU counterpart of :func:`~sklreg.linear._least_squares.solve_least_squares`.

    Same problem (the prepared dense :class:`~sklreg.linear._design.Design`, scaled
    objective), same relative stopping rule, same result type; ``max_iter`` counts FISTA
    iterations. The weights returned are rounded to the design's dtype and the gap
    reported is the one of the rounded weights, computed on the device. Without penalty
    (no certificate) the run stops, as LSQR does on the CPU, when the gradient mapping
    ``g`` of the problem of unit-norm columns (``D^-1/2`` times the one of ``X``, ``D`` the
    squared column norms) satisfies ``||g|| <= atol ||X D^-1/2||_F ||y||`` with ``atol``
    :func:`~sklreg.linear._least_squares.unpenalized_atol` of ``tol``
    (``||X D^-1/2||_F^2`` is the number of nonzero columns).
    """
    from ..linear._least_squares import LeastSquaresResult, starting_point, unpenalized_atol

    A = design.A
    n_features = A.shape[1]
    W, gaps, n_iter, null_objectives = starting_point(design, positive, W_init)
    gap_tols = tol * null_objectives
    problem = DeviceProblem(A, QUADRATIC, 1, False, X_mean=design.X_mean, q=design.sqrt_sw,
                            removed_sq_norms=design.sw_sum * design.X_offset**2)
    penalized = l1_strength > 0.0 or l2_strength > 0.0
    # ||X D^-1/2||_F^2 ||y||^2 per target, which the unpenalized stop scales
    # (||y||^2 = 2 P_null)
    atol = unpenalized_atol(tol)
    backward_scales = problem.metric_frobenius2() * 2.0 * null_objectives
    lipschitz = None
    for k in np.flatnonzero(null_objectives > 0.0):
        problem.set_target(design.Y[:, k])
        if lipschitz is None:  # of the design alone: shared by the targets
            lipschitz = problem.lipschitz()
        theta0 = np.zeros((1, n_features + 1))
        theta0[0, :n_features] = W[k]
        stop = gap_tols[k]
        if not penalized and lipschitz > 0.0:
            # fista measures step ||g||_D^2 (step 1 / lipschitz), in the metric:
            # ||g||_D <= atol ||X D^-1/2||_F ||y||. tol * P_null on it would leave P - P* up
            # to cond(D^-1/2 X^T X D^-1/2) times that
            stop = atol**2 * backward_scales[k] / lipschitz
        theta, gap, n_iter[k] = problem.fista(theta0, l1_strength, l2_strength, positive,
                                              max_iter, stop, lipschitz)
        rounded = theta.copy()
        rounded[0, :n_features] = theta[0, :n_features].astype(A.dtype)
        W[k] = rounded[0, :n_features]
        if penalized and A.dtype != np.float64:  # certify the weights returned
            # as certify_rounded on the CPU: P(rounded) - P* <= gap + P(rounded) - P(theta)
            primal, gap = problem.gap(l1_strength, l2_strength, positive)
            problem.theta.copy_to_device(rounded)
            primal_rounded, gap_rounded = problem.gap(l1_strength, l2_strength, positive)
            gap = min(gap_rounded, gap + max(primal_rounded - primal, 0.0))
        if not penalized and gap > stop:
            relative = np.sqrt(gap * lipschitz / backward_scales[k])
            warnings.warn(
                f"The GPU FISTA solver reached max_iter={max_iter} without a penalty with a "
                f"gradient norm of {relative:.3e} times ||X D^-1/2||_F ||y|| (the columns of X "
                f"scaled to unit norm), above atol = {atol:.1e} (from tol={tol:g}). Increase "
                "max_iter.", ConvergenceWarning, stacklevel=3)
        gaps[k] = gap if penalized else np.nan
    return LeastSquaresResult(W, gaps, gap_tols, n_iter, "cuda-fista")


def solve_classification_cuda(problem, W, b, l1_strength, l2_strength, max_iter, tol):
    """GPU counterpart of :meth:`~sklreg.linear._classifier.ClassificationProblem.solve`.

    With intercepts and a class of zero weight, solves the problem of the present classes
    as the CPU does (``ClassificationProblem.solve_present_classes``; a single present
    class in closed form, without the GPU).
    Updates ``W`` and ``b`` (of the original, uncentered problem) in place. Returns the
    final gap, the FISTA iterations and ``tol * P_null``. Without penalty (no certificate)
    the run stops, as least squares does, when the gradient ``g`` of the problem of
    unit-norm columns (in the metric ``D`` of FISTA, ``D`` the column curvatures
    ``sum_i c_i x_ij^2``, ``x_i`` with a 1 for the intercept) satisfies
    ``||D^-1/2 g|| <= atol sqrt(sum_i c_i ||D^-1/2 x_i||^2)`` (the largest norm it can
    have, the square root of the number of nonzero columns), ``atol``
    :func:`~sklreg.linear._least_squares.unpenalized_atol` of ``tol``; it warns itself
    when it does not, and the tolerance returned is then infinite.
    """
    from ..linear._least_squares import unpenalized_atol

    if problem.has_absent_classes:  # no minimizer: the problem of the present classes
        return problem.solve_present_classes(solve_classification_cuda, W, b, l1_strength,
                                             l2_strength, max_iter, tol)
    fit_intercept = problem.fit_intercept
    gap_tol = tol * problem.null_objective()
    datafit = LOGISTIC if problem.n_blocks == 1 else MULTINOMIAL
    X, X_offset = problem.centered
    device_problem = DeviceProblem(X, datafit, problem.n_blocks, fit_intercept,
                                   labels=problem.labels, c=problem.c,
                                   removed_sq_norms=problem.c.sum() * X_offset**2)
    theta0 = np.zeros((problem.n_blocks, problem.n_features + 1))
    theta0[:, :-1] = W
    theta0[:, -1] = b + W @ X_offset if fit_intercept else 0.0
    penalized = l1_strength > 0.0 or l2_strength > 0.0
    lipschitz = device_problem.lipschitz()
    stop = gap_tol
    unpenalized = not penalized and lipschitz > 0.0
    if unpenalized:
        # fista measures step ||g||_D^2 (step 1 / lipschitz, in the metric); tol * P_null on
        # it would leave P - P* up to the condition number of the Hessian times that
        atol = unpenalized_atol(tol)
        scale2 = device_problem.metric_frobenius2()
        stop = atol**2 * scale2 / lipschitz
    theta, gap, n_iter = device_problem.fista(theta0, l1_strength, l2_strength, False,
                                              max_iter, stop, lipschitz)
    if unpenalized and gap > stop:
        relative = np.sqrt(gap * lipschitz / scale2)
        warnings.warn(
            f"The GPU FISTA solver reached max_iter={max_iter} without a penalty with a "
            f"gradient norm of {relative:.3e} times its largest possible, above atol = "
            f"{atol:.1e} (from tol={tol:g}). Increase max_iter.", ConvergenceWarning,
            stacklevel=3)
        gap_tol = np.inf  # warned here
    W[:] = theta[:, :-1]
    b[:] = theta[:, -1] - W @ X_offset if fit_intercept else 0.0
    return float(gap), int(n_iter), gap_tol
