"""Device functions shared with the CPU kernels, and launch helpers.

The scalar arithmetic (prox of the elastic net, terms of the duality gaps, optimizer updates,
stable logistic functions) is written once as plain Python functions that the CPU kernels
compile with ``numba.njit``; here the same Python functions (their ``py_func``) are compiled
again with ``cuda.jit(device=True)``. A change to the prox or to Adam's update therefore
changes both paths.

Importing this module imports ``numba.cuda``: only :func:`sklreg.cuda.require_cuda` should
lead here.
"""

import numpy as np
from numba import cuda

from .._datafits import (
    _log1pexp,
    _sigmoid,
    _xlogx,
    conjugate_scale,
    enet_conjugate_term,
    lasso_dual_correlation,
)
from .._penalties import prox_enet
from ..neural._optimizers import adam_update, sgd_update, soft_threshold


def _device(dispatcher):
    """Compile a CPU dispatcher's Python function as a CUDA device function."""
    return cuda.jit(device=True)(dispatcher.py_func)


d_prox_enet = _device(prox_enet)
d_lasso_dual_correlation = _device(lasso_dual_correlation)
d_conjugate_scale = _device(conjugate_scale)
d_enet_conjugate_term = _device(enet_conjugate_term)
d_log1pexp = _device(_log1pexp)
d_sigmoid = _device(_sigmoid)
d_xlogx = _device(_xlogx)
d_soft_threshold = _device(soft_threshold)
d_sgd_update = _device(sgd_update)
d_adam_update = _device(adam_update)


def _simulated():
    from numba import config

    return bool(config.ENABLE_CUDASIM)


THREADS = 16 if _simulated() else 128  # the simulator runs one Python thread per thread


def launch(kernel, n_threads, *args):
    """Run ``kernel`` on at least ``n_threads`` threads (1-D grid)."""
    n_threads = max(int(n_threads), 1)
    blocks = (n_threads + THREADS - 1) // THREADS
    kernel[blocks, THREADS](*args)


def to_device(array, dtype=None):
    """A C-contiguous device copy of ``array`` (optionally converted to ``dtype``)."""
    return cuda.to_device(np.ascontiguousarray(array, dtype=dtype))
