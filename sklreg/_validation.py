"""Input checks shared by the estimators, beyond scikit-learn's validation."""

import numpy as np
import scipy.sparse as sp

from ._jit import jit


def check_value_range(array, name, n_samples, *, check_small=True):
    """Reject finite values whose squares overflow or underflow the array's float dtype.

    The solvers form sums of squares (column norms, ``||y||^2``, ``X^T X``, squared
    losses). Entries above ``sqrt(max / n_samples)`` make them overflow (NaN or silently
    wrong coefficients); a column whose largest entry is nonzero but below ``sqrt(tiny)``
    has squares that underflow to zero, so it would be treated as all zeros.

    Parameters
    ----------
    array : ndarray or sparse matrix of shape (n_samples,) or (n_samples, n_columns)
        Validated, finite float array.
    name : str
        Name in the error message (``'X'`` or ``'y'``).
    n_samples : int
        Number of terms summed.
    check_small : bool, default=True
        Also reject columns whose squares underflow.

    Raises
    ------
    ValueError
        Naming the offending magnitude and the safe range.
    """
    dtype = array.dtype if array.dtype.kind == "f" else np.dtype(np.float64)
    finfo = np.finfo(dtype)
    largest_safe = np.sqrt(finfo.max / max(n_samples, 1)) / 2
    smallest_safe = np.sqrt(finfo.tiny)
    values = array.data if sp.issparse(array) else np.asarray(array)
    if values.size == 0:
        return
    largest, smallest_nonzero = _magnitude_range(values.ravel(order="K"))
    if largest > largest_safe:
        raise ValueError(
            f"{name} has values up to {largest:.3g} in magnitude: their squares overflow "
            f"{dtype.name} (safe up to {largest_safe:.3g} for {n_samples} samples). "
            f"Rescale {name} (e.g. StandardScaler)."
        )
    if check_small:
        if smallest_nonzero >= smallest_safe:
            return  # the common case, without the cost of column maxima
        if sp.issparse(array):
            column_max = abs(array).max(axis=0).toarray().ravel()
        else:
            column_max = np.abs(values).reshape(values.shape[0], -1).max(axis=0)
        tiny = (column_max > 0) & (column_max < smallest_safe)
        if np.any(tiny):
            raise ValueError(
                f"{name} has a column with values at most {column_max[tiny].max():.3g} in "
                f"magnitude: their squares underflow {dtype.name} (smallest safe "
                f"{smallest_safe:.3g}). Rescale {name} (e.g. StandardScaler)."
            )


@jit(inline="always")
def _nonzero_or_inf(magnitude):
    return magnitude if magnitude > 0.0 else np.inf


@jit
def _magnitude_range(values):
    """Largest ``|v|`` and smallest nonzero ``|v|`` (``inf`` if none), in one pass.

    Branch-free min / max (several times faster than comparisons), in four independent
    lanes so that consecutive elements do not wait on each other (1.4x faster).
    """
    n_values = values.shape[0]
    large0 = large1 = large2 = large3 = 0.0
    small0 = small1 = small2 = small3 = np.inf
    n_lanes_end = n_values - n_values % 4
    for start in range(0, n_lanes_end, 4):
        m0, m1 = abs(values[start]), abs(values[start + 1])
        m2, m3 = abs(values[start + 2]), abs(values[start + 3])
        large0, large1 = max(large0, m0), max(large1, m1)
        large2, large3 = max(large2, m2), max(large3, m3)
        small0, small1 = min(small0, _nonzero_or_inf(m0)), min(small1, _nonzero_or_inf(m1))
        small2, small3 = min(small2, _nonzero_or_inf(m2)), min(small3, _nonzero_or_inf(m3))
    for k in range(n_lanes_end, n_values):
        large0 = max(large0, abs(values[k]))
        small0 = min(small0, _nonzero_or_inf(abs(values[k])))
    return (float(max(max(large0, large1), max(large2, large3))),
            float(min(min(small0, small1), min(small2, small3))))
