"""The CUDA tests run under Numba's CUDA simulator unless SKLREG_TEST_GPU=1.

The simulator must be enabled before Numba is first imported, hence a separate pytest
process (``NUMBA_ENABLE_CUDASIM=1 python -m pytest tests_cuda -q``); this conftest also
sets it, so that ``python -m pytest tests_cuda`` works alone. With ``SKLREG_TEST_GPU=1``
the same tests run on the real GPU, and so do the ones marked ``gpu``.
"""

import os
import sys

if os.environ.get("SKLREG_TEST_GPU") != "1":
    os.environ["NUMBA_ENABLE_CUDASIM"] = "1"

import pytest  # noqa: E402

if "numba" in sys.modules and os.environ.get("SKLREG_TEST_GPU") != "1":
    from numba import config

    if not config.ENABLE_CUDASIM:
        pytest.exit("numba was imported before tests_cuda/conftest.py could enable the "
                    "CUDA simulator: run with NUMBA_ENABLE_CUDASIM=1.", returncode=4)


def on_real_gpu():
    """True when the kernels run on a real GPU (not the simulator)."""
    from numba import config, cuda

    return not config.ENABLE_CUDASIM and cuda.is_available()


def pytest_collection_modifyitems(config, items):
    if on_real_gpu():
        return
    skip = pytest.mark.skip(reason="needs a real CUDA GPU (run with SKLREG_TEST_GPU=1)")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)
