"""The device functions are the CPU's scalar functions compiled for CUDA: same values."""

import numpy as np
import pytest
from numba import cuda

from sklreg._penalties import prox_enet
from sklreg.cuda._device import d_adam_update, d_prox_enet, d_sgd_update, d_soft_threshold
from sklreg.neural._optimizers import adam_update, sgd_update, soft_threshold


@cuda.jit
def _apply_scalars(z, out, step, l1, l2, positive):
    i = cuda.grid(1)
    if i < z.shape[0]:
        out[i, 0] = d_prox_enet(z[i], step, l1, l2, positive)
        out[i, 1] = d_soft_threshold(z[i], step * l1)
        out[i, 2], out[i, 3] = d_sgd_update(z[i], 0.3 * z[i], 0.1, 0.05, 0.9, True)
        out[i, 4], out[i, 5], out[i, 6], out[i, 7] = d_adam_update(
            z[i], 0.3 * z[i], 0.01, 0.02, 0.001, 0.9, 0.999, 1e-8)


@pytest.mark.parametrize("positive", [False, True])
def test_device_scalars_equal_cpu(positive):
    z = np.linspace(-2.0, 2.0, 41)
    out = cuda.to_device(np.zeros((z.size, 8)))
    _apply_scalars[2, 32](cuda.to_device(z), out, 0.5, 0.8, 0.3, positive)
    out = out.copy_to_host()
    expected = np.array([
        (prox_enet(v, 0.5, 0.8, 0.3, positive), soft_threshold(v, 0.4),
         *sgd_update(v, 0.3 * v, 0.1, 0.05, 0.9, True),
         *adam_update(v, 0.3 * v, 0.01, 0.02, 0.001, 0.9, 0.999, 1e-8))
        for v in z
    ])
    np.testing.assert_allclose(out, expected, rtol=1e-14, atol=1e-15)
    assert np.count_nonzero(out[:, 0] == 0.0) > 5  # the threshold is exercised
