"""``classification_loss_change`` against a reference in extended precision.

Near the optimum a proximal Newton step changes the objective by far less than the
rounding errors of a sum over the samples (``~sqrt(n_samples) eps``): the line search
needs the change itself, accurate to its own size. The probabilities at the new point,
which the smooth solvers take from it, are checked too.
"""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sklreg._datafits import classification_loss_change, classification_probabilities

N_SAMPLES = 20_000


def reference_change(Z, D, t, labels, c):
    """``sum_i c_i (loss(z_i + t d_i) - loss(z_i))`` in long double, each term separately."""
    Z = Z.astype(np.longdouble)
    Z_new = Z + np.longdouble(t) * D.astype(np.longdouble)
    if Z.shape[0] == 1:  # logits of class 1 against class 0
        Z, Z_new = np.vstack([np.zeros_like(Z), Z]), np.vstack([np.zeros_like(Z), Z_new])

    def loss(A):
        top = A.max(axis=0)
        lse = top + np.log(np.exp(A - top).sum(axis=0))
        return lse - A[labels, np.arange(A.shape[1])]

    terms = c.astype(np.longdouble) * (loss(Z_new) - loss(Z))
    return math.fsum(float(v) for v in terms)


@pytest.mark.skipif(np.finfo(np.longdouble).eps > 1e-18, reason="no extended precision")
@pytest.mark.parametrize("n_blocks", [1, 3])
@pytest.mark.parametrize("size", [1e-9, 0.3, 5.0])  # the last one beyond the expm1 form
def test_loss_change_is_accurate(n_blocks, size):
    rng = np.random.RandomState(0)
    Z = rng.normal(0.0, 3.0, (n_blocks, N_SAMPLES))
    D = rng.normal(0.0, size, (n_blocks, N_SAMPLES))
    labels = rng.randint(0, max(n_blocks, 2), N_SAMPLES)
    c = rng.uniform(0.5, 1.0, N_SAMPLES)
    c[::10] = 0.0
    c /= c.sum()
    for t in [1.0, 0.25]:
        expected = reference_change(Z, D, t, labels, c)
        P = classification_probabilities(Z, n_blocks > 1)
        P_new = np.full_like(P, np.nan)
        got = classification_loss_change(Z, P, D, t, labels, c, n_blocks > 1, P_new)
        # the difference of two totals is off by ~1e-14 here, the change itself by far less
        assert abs(got - expected) <= 1e-9 * abs(expected) + 1e-19
        assert got == classification_loss_change(Z, P, D, t, labels, c, n_blocks > 1,
                                                  np.empty((n_blocks, 0)))
        # every sample's, a zero weight's included
        assert_allclose(P_new, classification_probabilities(Z + t * D, n_blocks > 1),
                        rtol=1e-13, atol=1e-300)
