"""Numba compilation settings shared by every kernel.

Kernels are free functions on plain arrays and scalars, compiled with
``numba.njit``. They are cached on disk (``cache=True``) when Numba finds a
writable cache location; on a read-only install without a writable
``NUMBA_CACHE_DIR`` they are compiled in memory instead, so the package still
works, only with a slower first fit in each new process.

Kernels are serial (``nogil`` but never ``parallel=True``): a fit computes on one thread, so
``n_jobs`` threads, joblib processes or dask workers never oversubscribe the cores through
Numba, whatever ``NUMBA_NUM_THREADS`` says (``tests/test_dask.py`` checks it).

The array copies of the kernels go through :func:`copy_vector` and :func:`copy_matrix`,
which spare every caller the compilation of Numba's slice assignment.
"""

import numba

__all__ = ["jit", "caching_enabled", "copy_vector", "copy_matrix"]

_caching_failed = False


def jit(func=None, *, fastmath=False, inline="never"):
    """Compile ``func`` in nopython mode, cached on disk when possible.

    Parameters
    ----------
    func : callable
        A Python function written in the Numba subset. When omitted, a decorator
        is returned (``@jit(fastmath=...)``).
    fastmath : bool or set of str, default=False
        Passed to Numba. Kernels only ever use ``{'reassoc', 'contract'}`` for
        reductions: flags such as ``nnan`` would break NaN handling.
    inline : {'never', 'always'}, default='never'
        ``'always'`` inlines the function into its callers at compile time: for the
        small per-coordinate helpers, whose call overhead would otherwise dominate, and
        for a large kernel with a single caller. Numba compiles a called kernel on its
        own, then links its code into each caller and optimizes it again there, so each
        level of calls re-optimizes everything below it: inlined, the first compilation
        of ``LinearClassifier('l1')`` took 10 s less (``_newton_step``). Inlining every
        single-caller kernel made it slower: LLVM's time grows faster than the size of
        the function it optimizes.

    Returns
    -------
    dispatcher : numba.core.registry.CPUDispatcher
        The lazily compiled function; it compiles once per distinct argument
        types (float32 / float64 arrays, for instance).
    """
    global _caching_failed
    if func is None:
        return lambda f: jit(f, fastmath=fastmath, inline=inline)
    options = {"nogil": True, "fastmath": fastmath, "inline": inline}
    try:
        return numba.njit(cache=True, **options)(func)
    except RuntimeError as exc:  # "cannot cache function ...: no locator available"
        if "locator" not in str(exc):
            raise
        _caching_failed = True
        return numba.njit(cache=False, **options)(func)


def caching_enabled():
    """Whether the kernels of this process are cached on disk.

    Returns
    -------
    enabled : bool
        False when no writable cache location was found at import time.
    """
    return not _caching_failed


@jit
def copy_vector(dst, src):
    """``dst[:] = src`` for vectors, written out.

    Numba's assignment of an array to a slice compiles a formatted shape-mismatch message
    for each layout and caller (string formatting, about 2 s each; 8 s of the first
    compilation of the classifier's solver). The kernels copy with these two functions, and
    write other array-to-slice assignments (``Z[k] += step[k]``) as loops.
    """
    for i in range(dst.shape[0]):
        dst[i] = src[i]


@jit
def copy_matrix(dst, src):
    """``dst[:] = src`` for matrices (see :func:`copy_vector`)."""
    for i in range(dst.shape[0]):
        for j in range(dst.shape[1]):
            dst[i, j] = src[i, j]
