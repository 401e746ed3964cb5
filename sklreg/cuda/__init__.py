"""Optional CUDA kernels (numba-cuda) behind the estimators' ``device='cuda'``.

Nothing here is imported unless a fit asks for ``device='cuda'``: the CPU path never
needs numba-cuda. :func:`require_cuda` is the single entry point that checks the
optional dependency and the presence of a GPU (the CUDA simulator counts as one when
``NUMBA_ENABLE_CUDASIM=1`` is set before Numba is imported).
"""

import importlib.util

__all__ = ["require_cuda", "check_device"]

INSTALL_HINT = "pip install sklreg[cuda]"


def require_cuda():
    """Return the ``numba.cuda`` module, or raise a clear error saying what is missing.

    Returns
    -------
    cuda : module
        ``numba.cuda`` (provided by numba-cuda).

    Raises
    ------
    ImportError
        numba-cuda is not installed, or fails to import.
    RuntimeError
        numba-cuda is installed but no usable CUDA GPU (or driver) was found.
    """
    if importlib.util.find_spec("numba_cuda") is None:
        raise ImportError(
            "device='cuda' needs the optional dependency numba-cuda, which is not "
            f"installed: `{INSTALL_HINT}` (or `pip install numba-cuda`)."
        )
    try:
        from numba import cuda
    except ImportError as error:  # e.g. a numba-cuda built for another numba
        raise ImportError(
            f"device='cuda' needs numba-cuda, which is installed but could not be imported "
            f"({error}): reinstall it with `{INSTALL_HINT}` (or `pip install -U numba-cuda`)."
        ) from error

    available = False
    try:
        available = cuda.is_available()
    except Exception:  # noqa: BLE001 - a broken driver install counts as no GPU
        available = False
    if not available:
        raise RuntimeError(
            "device='cuda' was requested but no CUDA GPU detected (numba-cuda is installed, "
            "but found no usable GPU or driver). Use device='cpu', or set "
            "NUMBA_ENABLE_CUDASIM=1 before importing numba to run the CUDA simulator."
        )
    return cuda


def check_device(device, X=None):
    """Validate a fit's ``device`` against its input; return True for the CUDA path.

    Raises the errors of :func:`require_cuda`, and a ValueError for sparse input (the
    device kernels take dense arrays).
    """
    if device != "cuda":
        return False
    if X is not None:
        import scipy.sparse as sp

        if sp.issparse(X):
            raise ValueError(
                "device='cuda' supports dense X only; got a sparse matrix. Use "
                "device='cpu' for sparse input (or X.toarray())."
            )
    require_cuda()
    return True
