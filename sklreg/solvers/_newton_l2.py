"""Exact Newton for L2-penalized logistic and multinomial regression (small ``min(n, p)``).

Coordinate descent on the quadratic models, and L-BFGS, converge slowly on ill-conditioned
designs (raw microarray data, ``p >> n``); with an L2 penalty only, the Newton system

    [H + l2 I   C  ] [dW]     [g  ]
    [C^T        H_b] [db] = - [g_b]

is solved exactly instead. With ``K`` blocks (one for two classes, one per class for
more), the datafit's Hessian in sample ``i``'s predictions is
``D_i = c_i (diag(p_i) - p_i p_i^T)`` (``c_i p_i (1 - p_i)`` for one block), factored as
``L_i L_i^T`` with ``L_i = sqrt(c_i) (diag(sqrt(p_i)) - p_i sqrt(p_i)^T)`` (the
probabilities sum to one); ``J`` maps weights ``V`` to ``(L_i^T V x_i)_i`` and ``H = J^T
J``. The system is formed directly (``K p x K p``) when ``p <= n``, and through the
``K n x K n`` Woodbury identity with the Gram matrix ``X X^T`` otherwise; the intercepts
come from a Schur complement (singular along the ones for more classes, as the softmax).
A backtracking line search on the objective globalizes the steps; the stop is the
certified duality gap of :func:`~sklreg._datafits.classification_dual_gap`.

With fewer samples than features, the objective depends on ``X`` only through ``X X^T``
once the weights lie in the row space of ``X``, where the optimum is (a component outside
it only adds to the penalty): the problem is then first solved on the design ``L`` with
``L L^T = X X^T`` (:func:`row_space_design`, rank x rank systems, no product with ``X``),
its solution mapped back and certified on ``X``.
"""

import numpy as np
import scipy.linalg
import scipy.sparse as sp

from .._datafits import (
    classification_dual_gap,
    classification_loss,
    classification_loss_change,
    classification_probabilities,
    classification_residuals,
)
from ._direct import symmetric_products
from ._prox_newton import ARMIJO, MAX_BACKTRACK, ROUNDING, optimize_intercepts

# largest n_samples (below n_features) solved this way: measured against L-BFGS (about 10
# Newton against 15-200 L-BFGS iterations), Newton was 3-5x faster at 62 and 100 (colon,
# arcene), as fast at 72 (leukemia), and 2-7x slower from 180 up (dna one-vs-rest,
# dorothea's 800, synthetic 600 x 3000 to 5000 x 1000, raw-scaled too). With more samples
# than features, L-BFGS needs 5-7 iterations on well-conditioned data, each O(n p) against
# Newton's O(n p^2): Newton was 2-3.5x slower from 5000 x 30 to 100000 x 20
MAX_DIRECT_SIZE = 128
# L-BFGS iterations after which a problem that :func:`newton_l2` can afford goes to it, plus
# the price of the Newton fit in L-BFGS iterations (:func:`newton_fallback_after`): on
# unscaled designs (raw microarray data: prostate, 136 x 12600) L-BFGS needed 1500 to 2500
# iterations (2-4 s) where Newton needs 15-20 (0.03-0.08 s); with 3 to 5 classes on
# generated 100-300 x 2000-5000 designs, 200 to over 1000; well-conditioned problems
# converge in fewer
NEWTON_FALLBACK_AFTER = 50
# the same where Newton runs on the row space of X (:func:`row_space_pays`): prostate (136 x
# 12600, raw or standardized) took 65 - 72 L-BFGS iterations (55 of them before Newton took
# over, 110 ms) where Newton alone needs 10 - 18 (15 - 24 ms); generated 200 x 5000 designs
# of a flat spectrum converge in 4 - 14 L-BFGS iterations, below the price of Newton
ROW_SPACE_FALLBACK_AFTER = 10
# eigenvalues of X X^T kept by :func:`row_space_design`, relative to the largest: the
# directions dropped change the predictions by at most sqrt of it, relatively
ROW_SPACE_RANK_TOL = 1e-12
# iterations of max_iter kept for Newton when max_iter comes before the handover: L-BFGS
# stops that many iterations short of max_iter (not below NEWTON_FALLBACK_AFTER)
NEWTON_RESERVE = 10
# what a Newton step may cost, in multiply-adds: with K blocks, factoring a K n x K n
# system, (K n)^3 / 3, when n_samples < n_features; otherwise forming the K p x K p
# Hessian, K^2 n p^2 / 2 (dense BLAS: 4e9 take about 0.2 s on one core)
MAX_FALLBACK_STEP_COST = 4e9
# a multiply-add of those (BLAS level 3) against one of an L-BFGS iteration's two products
# with the design: 3x faster (dna, 3186 x 180, 3 classes: a Newton step cost 50
# iterations)
BLAS3_SPEEDUP = 3.0


def direct_newton_applies(X, n_blocks, l1_strength, l2_strength):
    """Whether :func:`newton_l2` should solve this problem."""
    return (n_blocks == 1 and l1_strength == 0.0 and l2_strength > 0.0
            and X.shape[0] <= min(MAX_DIRECT_SIZE, X.shape[1]))


def newton_fallback_after(X, n_blocks):
    """L-BFGS iterations after which :func:`newton_l2` should take over the L2 problem of
    the design ``X`` with ``n_blocks`` blocks, or None when its steps cost too much.

    :data:`NEWTON_FALLBACK_AFTER` (:data:`ROW_SPACE_FALLBACK_AFTER` where Newton runs on
    :func:`row_space_design`, without products with ``X`` in its steps), plus the price of
    the Gram matrix and two Newton steps in L-BFGS iterations: where Newton costs many
    iterations (3 classes, 180 features), L-BFGS that converges in 120 is left to finish.
    """
    n_samples, n_features = X.shape
    entries = X.nnz if sp.issparse(X) else n_samples * n_features
    if n_samples < n_features:
        step = (n_blocks * n_samples) ** 3 / 3.0
        setup = n_samples * entries / 2.0  # X X^T
    else:  # an upper bound for a sparse design
        step = n_blocks**2 * n_samples * n_features**2 / 2.0
        setup = 0.0
    if step > MAX_FALLBACK_STEP_COST:
        return None
    # and at least one pass over the predictions (a design without stored entries)
    iteration = 2.0 * n_blocks * max(entries, n_samples)
    base = ROW_SPACE_FALLBACK_AFTER if row_space_pays(X) else NEWTON_FALLBACK_AFTER
    return base + int((setup + 2.0 * step) / (BLAS3_SPEEDUP * iteration))


def l2_backtracking(Z, P, D, labels, c, w, direction, l2_strength, descent):
    """Armijo backtracking from ``t = 1`` on ``loss(Z + t D) + l2 / 2 ||w + t direction||^2``.

    ``P`` holds the probabilities at ``Z``, ``D`` the change of the predictions along
    ``direction`` (intercepts included), and ``descent`` the directional derivative (< 0).
    The change of the objective is summed term by term
    (:func:`~sklreg._datafits.classification_loss_change`): a difference of totals drowns in
    their rounding near the optimum. A full step whose change is at that rounding level is
    accepted. Returns the step length and the probabilities at ``Z + t D``, or
    ``(None, None)`` when no step decreases the objective.
    """
    multinomial = Z.shape[0] > 1
    w_dot_d, d_dot_d = w @ direction, direction @ direction
    P_new = np.empty_like(P)
    t = 1.0
    for _ in range(MAX_BACKTRACK):
        change = (classification_loss_change(Z, P, D, t, labels, c, multinomial, P_new)
                  + l2_strength * t * (w_dot_d + 0.5 * t * d_dot_d))
        if change <= ARMIJO * t * descent:
            return t, P_new
        # the objective only scales the rounding level: evaluated when a full step fails
        if t == 1.0 and change <= ROUNDING * abs(
                classification_loss(Z, labels, c, multinomial) + 0.5 * l2_strength * (w @ w)):
            return t, P_new
        t *= 0.5
    return None, None


def _dot(A, B):
    product = A @ B
    return product.toarray() if sp.issparse(product) else np.asarray(product)


def _hessian_factors(P, c):
    """``L`` (n_samples, K, K) with ``L_i L_i^T = D_i``, the datafit's Hessian in sample
    ``i``'s predictions (see the module docstring)."""
    n_blocks = P.shape[0]
    if n_blocks == 1:
        return np.sqrt(c * P[0] * (1.0 - P[0])).reshape(-1, 1, 1)
    Pt = P.T
    root = np.sqrt(Pt)
    factors = -Pt[:, :, None] * root[:, None, :]
    factors[:, np.arange(n_blocks), np.arange(n_blocks)] += root
    return np.sqrt(c)[:, None, None] * factors


def _cholesky(A):
    """``cho_factor`` of the symmetric positive definite ``A``, with the smallest jitter on
    its diagonal (``1e-12`` of its largest entry, then 100-fold more) that lets it factor
    in float64. Where ``alpha`` is below the rounding of the curvature (the softmax's null
    space, saturated probabilities), the Newton step becomes a Levenberg-Marquardt step,
    still a descent direction. Raises ``LinAlgError`` when ``A`` is not finite or no jitter
    up to its largest diagonal entry helps."""
    largest = np.abs(np.diagonal(A)).max()
    if not np.isfinite(largest) or not np.isfinite(A).all():
        raise np.linalg.LinAlgError("a Newton system that is not finite")
    jitter = 0.0
    while True:
        shifted = A
        if jitter:
            shifted = A.copy()
            shifted[np.diag_indices_from(shifted)] += jitter
        try:
            return scipy.linalg.cho_factor(shifted, check_finite=False)
        except np.linalg.LinAlgError:
            jitter = 1e-12 * largest if not jitter else 100.0 * jitter
            if not jitter <= largest:
                raise


def _inverse_hessian(X, factors, l2_strength, gram):
    """A function applying ``(J^T J + l2 I)^-1`` to weights of shape (K, n_features).

    ``gram`` is ``X X^T`` for the Woodbury form (``n_samples < n_features``), or None for
    the direct form (blocks ``X^T diag(D[a, b]) X`` of ``J^T J``).
    """
    n_samples, n_features = X.shape
    n_blocks = factors.shape[1]
    if gram is not None:
        # (J J^T)[(b, j), (b', i)] = G_ji (L_j^T L_i)[b, b']: blocks G * (A_b A_b'^T) with
        # A_b = L[:, :, b]
        A = factors.transpose(2, 0, 1).reshape(n_blocks * n_samples, n_blocks)
        system = (A @ A.T) * np.tile(gram, (n_blocks, n_blocks))
        system[np.diag_indices_from(system)] += l2_strength
        factor = _cholesky(system)

        def solve(V):
            U = np.atleast_2d(_dot(V, X.T))  # V X^T, (K, n_samples)
            JV = np.einsum("iab,ai->bi", factors, U)
            Y = scipy.linalg.cho_solve(factor, JV.ravel()).reshape(n_blocks, n_samples)
            T = np.einsum("iab,bi->ai", factors, Y)
            return (V - np.atleast_2d(_dot(T, X))) / l2_strength

        return solve
    if n_blocks == 1:
        scaled = X.multiply(factors[:, 0, :]).tocsr() if sp.issparse(X) else factors[:, 0] * X
        hessian = symmetric_products(scaled)[0]()
    else:  # blocks X^T diag(D[a, b]) X
        D = np.einsum("iar,ibr->abi", factors, factors)
        hessian = np.empty((n_blocks * n_features, n_blocks * n_features))
        for a in range(n_blocks):
            for k in range(a, n_blocks):
                if sp.issparse(X):
                    block = _dot(X.T, X.multiply(D[a, k][:, None]).tocsr())
                else:
                    block = (X.T * D[a, k]) @ X
                hessian[a * n_features:(a + 1) * n_features,
                        k * n_features:(k + 1) * n_features] = block
                hessian[k * n_features:(k + 1) * n_features,
                        a * n_features:(a + 1) * n_features] = block.T
    hessian[np.diag_indices_from(hessian)] += l2_strength
    factor = _cholesky(hessian)

    def solve(V):
        return scipy.linalg.cho_solve(factor, V.ravel()).reshape(n_blocks, n_features)

    return solve


def _semidefinite_solve(S, rhs):
    """``S^+ rhs`` on the eigenvalues of the symmetric ``S`` above ``1e-12`` times its
    largest (for more blocks, the ones are in the null space of the intercepts' Schur
    complement, as ``sum_k D_i[k] = 0``); a zero step when no eigenvalue is positive."""
    values, vectors = np.linalg.eigh(S)
    kept = values > 1e-12 * max(values.max(), 0.0)
    return vectors[:, kept] @ ((vectors[:, kept].T @ rhs) / values[kept])


def _newton_step(X, P, c, R, G, W, fit_intercept, l2_strength, gram):
    """The Newton step ``(step_W, step_b)`` at the probabilities ``P`` (residuals ``R``,
    datafit gradient ``G = R X``); raises ``LinAlgError`` when the system cannot be
    factored, or its intercepts' Schur complement is not finite."""
    n_blocks = W.shape[0]
    factors = _hessian_factors(P, c)
    solve = _inverse_hessian(X, factors, l2_strength, gram)
    step_W = -solve(G + l2_strength * W)
    step_b = np.zeros(n_blocks)
    if fit_intercept:
        # C's columns: X^T D[:, :, k] for each block k; H_b = sum_i D_i
        D = np.einsum("iar,ibr->abi", factors, factors)
        cross = [np.atleast_2d(_dot(D[:, k], X)) for k in range(n_blocks)]
        inv_cross = [solve(C_k) for C_k in cross]
        schur = D.sum(axis=2) - np.array(
            [[C_k.ravel() @ inv_l.ravel() for inv_l in inv_cross] for C_k in cross])
        rhs = -R.sum(axis=1) - np.array([C_k.ravel() @ step_W.ravel() for C_k in cross])
        step_b = _semidefinite_solve(schur, rhs)
        for k in range(n_blocks):
            step_W -= step_b[k] * inv_cross[k]
    return step_W, step_b


def row_space_design(gram):
    """A design of the row space of ``X`` from ``gram = X X^T`` (n_samples < n_features).

    With ``gram = V diag(s) V^T`` (the eigenvalues above :data:`ROW_SPACE_RANK_TOL` times
    the largest kept), ``L = V diag(sqrt(s))`` (n_samples x rank) has ``L L^T = X X^T``:
    weights ``u`` on ``L`` are the weights ``u diag(1 / sqrt(s)) V^T X`` on ``X``, with the
    same predictions and norm, and weights ``W`` on ``X`` project to ``(W X^T) V diag(1 /
    sqrt(s))``.

    Returns
    -------
    design : ndarray of shape (n_samples, rank)
        ``L``.
    to_coefficients : ndarray of shape (n_samples, rank)
        ``V diag(1 / sqrt(s))``.
    """
    values, vectors = np.linalg.eigh(gram)
    kept = values > ROW_SPACE_RANK_TOL * max(values.max(), 0.0)
    roots = np.sqrt(values[kept])
    return np.ascontiguousarray(vectors[:, kept] * roots), vectors[:, kept] / roots


def row_space_pays(X):
    """Whether :func:`newton_l2` should solve on :func:`row_space_design` first: fewer
    samples than features, and the eigendecomposition of ``X X^T`` costs less than the
    products with ``X`` that it saves in two Newton steps (measured: ``eigh`` takes 0.2 -
    1.3 ns times ``n^3`` for 800 to 62 samples, a step's products about 4 ns per stored
    entry of ``X``)."""
    n_samples, n_features = X.shape
    entries = X.nnz if sp.issparse(X) else n_samples * n_features
    return n_samples < n_features and n_samples**3 <= 16 * entries


def newton_l2(X, labels, c, W, b, fit_intercept, l2_strength, max_iter, gap_tol, gram=None,
              row_space=None):
    """Newton's method with a certified stop; updates ``W`` and ``b`` in place.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        Design (float32 or float64).
    labels : ndarray of shape (n_samples,), int64
        Class indices (0 / 1 for one block).
    c : ndarray of shape (n_samples,)
        Sample weights divided by their sum.
    W : ndarray of shape (n_blocks, n_features), float64
        Initial weights, updated in place.
    b : ndarray of shape (n_blocks,), float64
        Initial intercepts, updated in place.
    fit_intercept : bool
        Whether to fit the intercepts.
    l2_strength : float
        ``alpha`` (> 0).
    max_iter : int
        Maximum number of Newton iterations.
    gap_tol : float
        Absolute duality gap at which to stop.
    gram : ndarray of shape (n_samples, n_samples), optional
        ``X X^T`` when ``n_samples < n_features`` (formed here when not given).
    row_space : tuple, optional
        :func:`row_space_design` of ``gram``, when :func:`row_space_pays` (formed here
        when not given).

    Returns
    -------
    gap : float
    n_iter : int
        Newton steps taken. It stops before ``max_iter`` with ``gap > gap_tol`` when no step
        decreases the objective, or when the Newton system cannot be factored in float64.
    """
    n_blocks = W.shape[0]
    multinomial = n_blocks > 1
    if X.shape[1] <= X.shape[0]:
        gram = None  # the direct form
    elif gram is None:
        gram = symmetric_products(X)[1]()
    Z = np.atleast_2d(_dot(W, X.T)) + b[:, None]
    n_iter = 0
    if gram is not None and row_space_pays(X):
        design, to_coefficients = row_space or row_space_design(gram)
        U = (Z - b[:, None]) @ to_coefficients
        _, n_iter = newton_l2(design, labels, c, U, b, fit_intercept, l2_strength, max_iter,
                              gap_tol)
        W[:] = np.atleast_2d(_dot(U @ to_coefficients.T, X))
        Z = np.atleast_2d(_dot(W, X.T)) + b[:, None]  # then certified on X
    P = classification_probabilities(Z, multinomial)
    while True:
        if fit_intercept:
            optimize_intercepts(Z, b, labels, c, P)
        R = classification_residuals(P, labels, c)
        G = np.atleast_2d(_dot(R, X))
        _, gap = classification_dual_gap(Z, P, labels, c, G, W, 0.0, l2_strength)
        if gap <= gap_tol or n_iter >= max_iter:
            return gap, n_iter
        try:
            step_W, step_b = _newton_step(X, P, c, R, G, W, fit_intercept, l2_strength, gram)
        except np.linalg.LinAlgError:
            # l2 below the rounding of the curvature (the softmax's null space, saturated
            # probabilities): the system is indefinite in float64, or overflows
            return gap, n_iter
        n_iter += 1
        D_Z = np.atleast_2d(_dot(step_W, X.T)) + step_b[:, None]
        t, P = l2_backtracking(Z, P, D_Z, labels, c, W.ravel(), step_W.ravel(), l2_strength,
                               float((R * D_Z).sum() + l2_strength * (W * step_W).sum()))
        if t is None:
            return gap, n_iter
        W += t * step_W
        b += t * step_b
        Z += t * D_Z
