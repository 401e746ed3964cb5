"""Input checks shared by the estimators, beyond scikit-learn's validation."""

import sys

import numpy as np
import scipy.sparse as sp
from sklearn.utils import assert_all_finite
from sklearn.utils.validation import _check_feature_names, validate_data

from ._jit import jit

FLOAT_DTYPES = (np.float64, np.float32)
_SPARSE_FORMATS = ["csr", "csc"]


def validate_fit_data(estimator, X, y, *, multi_output=False, y_numeric=False):
    """``validate_data(estimator, X, y)`` for fitting, then :func:`check_value_range` on X.

    ``X`` becomes float64 or float32 (kept if already one of them), dense or CSR / CSC.
    Contiguous float ndarrays, and pandas DataFrames of one float dtype (their values),
    with a numeric (or, for classifiers, string) target, an ndarray or a Series of a
    NumPy dtype, the common case, take a fast path that skips scikit-learn's generic
    checks (about 0.15 ms a call, and those of each column of a frame) and checks
    finiteness in the same pass as the value range; it sets the same attributes
    (``n_features_in_``, and ``feature_names_in_`` by scikit-learn's own rules) and
    returns the inputs, or their values, unchanged. Anything else, and any input the
    fast path would reject, goes through scikit-learn's ``validate_data``, so
    conversions, warnings and error messages are scikit-learn's own.

    Returns
    -------
    X, y : validated arrays
    """
    if sp.issparse(y):  # validate_data(multi_output=True) would let it through
        raise TypeError("Sparse data was passed for y, but dense data is required. Use "
                        "'.toarray()' to convert to a dense numpy array.")
    values = X if _is_plain_design(X) else _plain_frame_values(X)
    y_values = _plain_series_values(y)
    if values is not None and _is_plain_target(y_values, values.shape[0], multi_output,
                                               y_numeric):
        summary = _magnitude_range(values.ravel(order="K"))
        if summary[2] and (y_values.dtype.kind != "f" or np.isfinite(y_values).all()):
            if values is X:
                if hasattr(estimator, "feature_names_in_"):
                    del estimator.feature_names_in_
            else:  # scikit-learn's own rules, warnings and errors for the names
                _check_feature_names(estimator, X, reset=True)
            estimator.n_features_in_ = values.shape[1]
            _check_magnitudes(values, "X", values.shape[0], True, *summary[:2])
            return values, y_values
    X, y = validate_data(estimator, X, y, accept_sparse=_SPARSE_FORMATS, dtype=FLOAT_DTYPES,
                         multi_output=multi_output, y_numeric=y_numeric)
    X = native_byte_order(X)
    check_value_range(X, "X", X.shape[0])
    return X, y


def validate_predict_data(estimator, X):
    """``validate_data(estimator, X, reset=False)`` with the fast path of
    :func:`validate_fit_data`: plain float ndarrays with the fitted number of features (the
    estimator fitted without feature names), and DataFrames of one float dtype, their
    names checked by scikit-learn's ``_check_feature_names``."""
    values = X if _is_plain_design(X) else _plain_frame_values(X)
    if (values is not None and values.shape[1] == getattr(estimator, "n_features_in_", -1)
            and (values is not X or not hasattr(estimator, "feature_names_in_"))
            and _magnitude_range(values.ravel(order="K"))[2]):
        if values is not X:
            _check_feature_names(estimator, X, reset=False)
        return values
    return validate_data(estimator, X, accept_sparse=_SPARSE_FORMATS, dtype=FLOAT_DTYPES,
                         reset=False)


def native_byte_order(array):
    """``array``, converted to its dtype in native byte order if it is a non-native ndarray.

    scikit-learn's validation converts a big-endian ndarray to native float64, but keeps the
    byte order of a pandas DataFrame's columns (as read from big-endian files); the Numba
    kernels reject non-native arrays. Sparse matrices are always native (scipy's rule).
    """
    if isinstance(array, np.ndarray) and not array.dtype.isnative:
        return array.astype(array.dtype.newbyteorder("="))
    return array


def _is_plain_design(X):
    return (type(X) is np.ndarray and X.ndim == 2 and X.dtype in FLOAT_DTYPES
            and X.size > 0 and (X.flags.c_contiguous or X.flags.f_contiguous))


def _plain_frame_values(X):
    """The values of a pandas DataFrame whose columns share one float64 or float32 NumPy
    dtype, when ``to_numpy`` gives them contiguous (a view of its one block); else None.

    scikit-learn's validation of such a frame checks the dtype of each column, one by
    one (6 ms for 500 columns, ten times that of the values' own checks).
    """
    pandas = sys.modules.get("pandas")
    if pandas is None or not isinstance(X, pandas.DataFrame) or 0 in X.shape:
        return None
    dtypes = set(X.dtypes)
    dtype = dtypes.pop()
    if dtypes or not isinstance(dtype, np.dtype) or not dtype.isnative:
        return None
    values = X.to_numpy()
    return values if _is_plain_design(values) else None


def _plain_series_values(y):
    """The values of a pandas Series of a NumPy dtype (as ``to_numpy`` gives them), else
    ``y`` itself."""
    pandas = sys.modules.get("pandas")
    if (pandas is not None and isinstance(y, pandas.Series)
            and isinstance(y.dtype, np.dtype) and y.dtype.isnative):
        return y.to_numpy()
    return y


def _is_plain_target(y, n_samples, multi_output, y_numeric):
    if type(y) is not np.ndarray or y.shape[0:1] != (n_samples,):
        return False
    if not (y.ndim == 1 or (multi_output and y.ndim == 2 and y.shape[1] > 0)):
        return False
    return y.dtype.kind in ("fiu" if y_numeric else "fiuU")


def check_value_range(array, name, n_samples, *, check_small=True, advice=None):
    """Reject finite values whose squares overflow or underflow the array's float dtype.

    The solvers form sums of squares (column norms, ``||y||^2``, ``X^T X``, squared
    losses). Entries above ``sqrt(max / n_samples)`` make them overflow (NaN or silently
    wrong coefficients); a column whose largest entry is nonzero but below ``sqrt(tiny)``
    has squares that underflow to zero, so it would be treated as all zeros. NaN and
    infinity are rejected too: scikit-learn's validation lets None through in an object
    target, which it then converts to float (NaN).

    Parameters
    ----------
    array : ndarray or sparse matrix of shape (n_samples,) or (n_samples, n_columns)
        Validated float array.
    name : str
        Name in the error message (``'X'`` or ``'y'``).
    n_samples : int
        Number of terms summed.
    check_small : bool, default=True
        Also reject columns whose squares underflow.
    advice : str, default=None
        How to rescale, ending the message; ``"Rescale {name} (e.g. StandardScaler)."``
        when None (wrong where the values must keep their sign, e.g. Poisson counts).

    Raises
    ------
    ValueError
        Naming the offending magnitude and the safe range, or the non-finite values.
    """
    values = array.data if sp.issparse(array) else np.asarray(array)
    if values.size == 0:
        return
    largest, smallest_nonzero, finite = _magnitude_range(values.ravel(order="K"))
    if not finite:  # scikit-learn's message ("Input y contains NaN.")
        assert_all_finite(values, input_name=name)
    _check_magnitudes(array, name, n_samples, check_small, largest, smallest_nonzero, advice)


def _check_magnitudes(array, name, n_samples, check_small, largest, smallest_nonzero,
                      advice=None):
    """The checks of :func:`check_value_range`, given the array's magnitude range."""
    if advice is None:
        advice = f"Rescale {name} (e.g. StandardScaler)."
    dtype = array.dtype if array.dtype.kind == "f" else np.dtype(np.float64)
    finfo = np.finfo(dtype)
    largest_safe = np.sqrt(finfo.max / max(n_samples, 1)) / 2
    smallest_safe = np.sqrt(finfo.tiny)
    if largest > largest_safe:
        raise ValueError(
            f"{name} has values up to {largest:.3g} in magnitude: their squares overflow "
            f"{dtype.name} (safe up to {largest_safe:.3g} for {n_samples} samples). "
            f"{advice}"
        )
    if check_small:
        if smallest_nonzero >= smallest_safe:
            return  # the common case, without the cost of column maxima
        if sp.issparse(array):
            column_max = abs(array).max(axis=0).toarray().ravel()
        else:
            values = np.asarray(array)
            column_max = np.abs(values).reshape(values.shape[0], -1).max(axis=0)
        tiny = (column_max > 0) & (column_max < smallest_safe)
        if np.any(tiny):
            raise ValueError(
                f"{name} has a column with values at most {column_max[tiny].max():.3g} in "
                f"magnitude: their squares underflow {dtype.name} (smallest safe "
                f"{smallest_safe:.3g}). {advice}"
            )


# IEEE 754 layout: bits of the magnitude (sign cleared), and those of inf
_BITS = {np.dtype(np.float64): (np.int64, 0x7FFF_FFFF_FFFF_FFFF, 0x7FF0_0000_0000_0000),
         np.dtype(np.float32): (np.int32, 0x7FFF_FFFF, 0x7F80_0000)}


def _magnitude_range(values):
    """Largest ``|v|``, smallest nonzero ``|v|`` (``inf`` if none) and whether all are finite.

    One pass over the bits: with the sign cleared, the bits of float magnitudes order as
    integers the way the magnitudes do, and those of inf and NaN above every finite one.
    Integer minima and maxima vectorize (NaN semantics keep float ones scalar): 2x faster
    than four lanes of float comparisons on float64, 4x on float32.

    Parameters
    ----------
    values : ndarray of shape (n_values,)
        Contiguous values; other dtypes than float32 / float64 are converted to float64.
    """
    if values.dtype not in _BITS:
        values = values.astype(np.float64)
    int_type, magnitude_mask, inf_bits = _BITS[values.dtype]
    largest, below_smallest = _magnitude_bits(values.view(int_type), int_type(magnitude_mask))
    none_nonzero = below_smallest == magnitude_mask
    as_float = np.array([largest, 0 if none_nonzero else below_smallest + 1],
                        dtype=int_type).view(values.dtype)
    smallest = np.inf if none_nonzero else float(as_float[1])
    return float(as_float[0]), smallest, bool(largest < inf_bits)


@jit
def _magnitude_bits(bits, magnitude_mask):
    """Largest ``bits & magnitude_mask``, and smallest nonzero one minus one (the mask when
    all are zero: zero minus one, masked, is the mask)."""
    largest = magnitude_mask & 0
    below_smallest = magnitude_mask
    for k in range(bits.shape[0]):
        magnitude = bits[k] & magnitude_mask
        largest = max(largest, magnitude)
        below_smallest = min(below_smallest, (magnitude - 1) & magnitude_mask)
    return largest, below_smallest
