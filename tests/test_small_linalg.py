"""The kernels' solves of small dense systems against LAPACK."""

import numpy as np
import pytest

from sklreg.solvers._small_linalg import cholesky_solve, solve_lower, solve_small


@pytest.mark.parametrize("n", [1, 2, 5, 12])
def test_solve_small_matches_lapack_and_leaves_its_inputs(n):
    rng = np.random.default_rng(n)
    A = rng.standard_normal((n, n)) + n * np.eye(n)
    A[0, 0] = 0.0  # a zero leading pivot: only row exchanges solve it
    b = rng.standard_normal(n)
    if n == 1:
        A[0, 0] = 3.0
    A_copy, b_copy = A.copy(), b.copy()

    x = solve_small(A, b)

    np.testing.assert_allclose(x, np.linalg.solve(A, b), rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(A, A_copy)
    np.testing.assert_array_equal(b, b_copy)


def test_solve_small_takes_any_layout():
    rng = np.random.default_rng(0)
    A = np.asfortranarray(rng.standard_normal((4, 4)) + 4 * np.eye(4))
    b = rng.standard_normal(8)[::2]
    np.testing.assert_allclose(solve_small(A, b), np.linalg.solve(A, b), rtol=1e-12)


@pytest.mark.parametrize("A", [np.zeros((3, 3)), np.array([[1.0, 2.0], [2.0, 4.0]]),
                               np.array([[np.nan, 0.0], [0.0, 1.0]]),
                               np.array([[1e-300, 0.0], [0.0, 1.0]])])
def test_solve_small_is_empty_when_singular_or_not_finite(A):
    # exactly singular (a zero pivot, as LAPACK's gesv tells it), NaN, or a solution
    # that overflows: the callers then skip their step
    b = np.full(A.shape[0], 1e10)
    assert solve_small(A, b).shape == (0,)


def test_triangular_solves_match_lapack():
    rng = np.random.default_rng(1)
    M = rng.standard_normal((6, 6))
    H = M @ M.T + np.eye(6)
    L = np.linalg.cholesky(H)
    B = rng.standard_normal((4, 6)).T  # a transposed view, as the kernel passes it
    b = rng.standard_normal(6)

    np.testing.assert_allclose(solve_lower(L, B), np.linalg.solve(L, B), rtol=1e-12)
    np.testing.assert_allclose(cholesky_solve(L, b), np.linalg.solve(H, b), rtol=1e-12)


@pytest.mark.parametrize("grad", [[np.nan], [np.inf], [np.nan, 0.0, 1.0], [np.inf, 0.0, -1.0]])
def test_intercept_newton_step_skips_a_non_finite_gradient(grad):
    # np.linalg.solve raised on it (Numba's finiteness check); solve_small must give the
    # same outcome: no step, done, the intercepts unchanged
    from sklreg.solvers._prox_newton import intercept_newton_step

    grad = np.array(grad)
    n = grad.shape[0]
    hess = np.eye(n) if n == 1 else np.eye(n) - np.full((n, n), 1.0 / n)
    b = np.arange(n, dtype=np.float64)

    step, done = intercept_newton_step(grad, hess, b)

    assert step.shape == (0,) and done
    np.testing.assert_array_equal(b, np.arange(n))
