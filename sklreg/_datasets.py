"""Find and load the offline benchmark datasets (``NAME.npz``; not shipped with the package).

The folder is given by the ``SKLREG_DATA_DIR`` environment variable; from a source
checkout, ``../shared/data`` beside the repository is used when the variable is unset or
empty (not when it is set to something else: see :func:`find_data_dir`).
Callers skip cleanly when :func:`find_data_dir` returns None.
"""

import json
import os
import sys
import warnings
import zipfile
import zlib
from pathlib import Path

import numpy as np
import scipy.sparse as sp

ENV_VAR = "SKLREG_DATA_DIR"
_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def caller_stacklevel():
    """The ``stacklevel`` that points a warning at the user's line.

    For ``warnings.warn`` in the function calling this: the first frame outside the sklreg
    package, however many sklreg functions lie between (``bench`` -> ``build_cases`` ->
    ``find_data_dir``). Under ``python -m sklreg``, where every frame up to runpy's is
    sklreg's, the outermost sklreg frame (the command line's ``main()``), not runpy.
    """
    frame = sys._getframe(1)  # the function that warns: stacklevel 1
    level = 1
    while frame.f_back is not None and os.path.abspath(
            frame.f_code.co_filename).startswith(_PACKAGE):
        if frame.f_back.f_globals.get("__name__") == "runpy":
            break
        frame = frame.f_back
        level += 1
    return level


def find_data_dir():
    """The dataset folder, or None when it is not available.

    ``SKLREG_DATA_DIR`` when set (a folder of ``NAME.npz`` files, a leading ``~`` standing
    for the home folder; ``manifest.json`` is needed only by :func:`manifest`), with a
    warning and None when it is not a folder: a mistyped setting does not fall back to
    another folder silently. Unset or empty (``SKLREG_DATA_DIR=``, as ``.ci/run`` and the
    XDG base-directory convention take it; scikit-learn's ``SCIKIT_LEARN_DATA=`` would be
    the current folder), the source checkout's ``../shared/data`` when it holds a
    ``manifest.json``.

    Returns
    -------
    path : pathlib.Path or None
    """
    configured = os.environ.get(ENV_VAR)
    if configured:
        path = Path(configured).expanduser()  # as scikit-learn's SCIKIT_LEARN_DATA
        if path.is_dir():
            return path
        warnings.warn(f"{ENV_VAR}={configured!r} is not a folder: no datasets.", UserWarning,
                      stacklevel=caller_stacklevel())
        return None
    path = Path(__file__).resolve().parents[2] / "shared" / "data"
    return path if (path / "manifest.json").is_file() else None


def _folder(data_dir):
    """``data_dir`` (default: :func:`find_data_dir`) as a Path; FileNotFoundError without one."""
    if data_dir is None:
        data_dir = find_data_dir()
        if data_dir is None:
            configured = os.environ.get(ENV_VAR)
            raise FileNotFoundError(
                f"No dataset folder: {ENV_VAR}={configured!r} is not a folder." if configured
                else f"No dataset folder: set {ENV_VAR}.")
    data_dir = Path(data_dir).expanduser()
    if not data_dir.is_dir():
        raise FileNotFoundError(f"No dataset folder {data_dir}: no such folder.")
    return data_dir


def manifest(data_dir=None):
    """The parsed ``manifest.json`` of the dataset folder.

    Raises
    ------
    FileNotFoundError
        Without a dataset folder, or without a ``manifest.json`` in it.
    ValueError
        When ``manifest.json`` is not valid JSON.
    """
    path = _folder(data_dir) / "manifest.json"
    if not path.is_file():
        raise FileNotFoundError(f"No manifest.json in {path.parent}.")
    try:
        return json.loads(path.read_text())
    except ValueError as error:  # JSONDecodeError, or bytes that are not UTF-8
        raise ValueError(f"{path} is not valid JSON: {error}") from error


def _manifest_shape(data_dir, name):
    """``(n_samples, n_features)`` the manifest gives ``name``; None without a manifest entry
    (the manifest is optional for loading)."""
    try:
        entries = manifest(data_dir)
    except (OSError, ValueError):
        return None
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and entry.get("name") == name:
            shape = entry.get("n_samples"), entry.get("n_features")
            return shape if None not in shape else None
    return None


def _read_npz(path):
    """``(X, y)`` of an ``.npz`` dataset file; ValueError for whatever is not one."""
    if not zipfile.is_zipfile(path):  # np.load would try a pickle: "contains pickled data"
        raise ValueError("not an .npz (zip) archive; empty or truncated?")
    with np.load(path, allow_pickle=False) as data:
        if "X" in data:
            X = data["X"]
            if X.ndim != 2:
                raise ValueError(f"X has shape {X.shape}, not (n_samples, n_features)")
        elif {"data", "indices", "indptr", "shape"} <= set(data.files):
            shape = data["shape"]
            if shape.shape != (2,) or shape.dtype.kind not in "iu":
                raise ValueError(f"the CSR shape is {shape!r}, not two integers")
            X = sp.csr_matrix(
                (data["data"], data["indices"], data["indptr"]), shape=tuple(shape.tolist())
            )
            X.check_format(full_check=True)  # column indices within the shape, sorted indptr
        else:
            raise ValueError(f"neither X nor the CSR arrays data, indices, indptr, shape "
                             f"(it holds {', '.join(data.files) or 'nothing'})")
        if X.dtype.kind not in "biuf":
            raise ValueError(f"X has dtype {X.dtype}, not numbers")
        stored = X.data if sp.issparse(X) else X
        if X.dtype.kind == "f" and not np.isfinite(stored).all():
            raise ValueError(f"X has {np.count_nonzero(~np.isfinite(stored))} NaN or "
                             "infinite value(s)")
        if "y" not in data:
            raise ValueError("no y")
        y = data["y"]
    if y.ndim == 0:
        raise ValueError(f"y is the single value {y!r}, not one value per sample")
    if y.ndim != 1:  # (targets or class codes: one value per sample)
        raise ValueError(f"y has shape {y.shape}, not (n_samples,)")
    if y.dtype.kind not in "biuf":
        raise ValueError(f"y has dtype {y.dtype}, not real numbers")
    if len(y) != X.shape[0]:
        raise ValueError(f"{X.shape[0]} rows of X for {len(y)} values of y")
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise ValueError(f"y has {np.count_nonzero(~np.isfinite(y))} NaN or infinite "
                         "value(s)")
    return X, y


def load_dataset(name, data_dir=None):
    """Load ``NAME.npz`` as ``(X, y)``; X is a dense array or a CSR matrix.

    Parameters
    ----------
    name : str
        Dataset name: the stem of a file of the folder, e.g. ``'leukemia'`` (a name with a
        path separator or ``'..'``, which would read outside the folder, is refused).
    data_dir : str or path-like, optional
        Folder; defaults to :func:`find_data_dir`.

    Returns
    -------
    X : ndarray or scipy.sparse.csr_matrix
    y : ndarray of shape (n_samples,)
        Real numbers as stored: float64 targets for regression, int64 class codes for
        classification.

    Raises
    ------
    FileNotFoundError
        Without a dataset folder, or without ``NAME.npz`` in it (the message lists the
        datasets of the folder).
    TypeError
        When ``name`` is not a str.
    ValueError
        When ``name`` is not a plain file stem, or ``NAME.npz`` is not a dataset: not an
        ``.npz`` archive (empty, truncated), without ``X`` (or its CSR arrays, with a shape
        of two integers) or ``y``, with an ``X`` that is not finite numbers, a ``y`` that
        is not one finite real number per sample (a 1-D array of targets or class codes),
        or a shape other than the one ``manifest.json`` gives it.
    """
    if not isinstance(name, str):
        raise TypeError(f"The dataset name must be a str, not {type(name).__name__}.")
    if (name in ("", ".", "..") or "\0" in name
            or any(sep in name for sep in ("/", "\\", os.sep, os.altsep) if sep)):
        # data_dir / "../x.npz" or "/abs/x.npz" would read a file outside the folder
        raise ValueError(f"The dataset name {name!r} is not a plain file stem (such as "
                         "'leukemia'): no path separator, no '..'.")
    data_dir = _folder(data_dir)
    path = data_dir / f"{name}.npz"
    if not path.is_file():
        # regular files only (or links to them): a folder x.npz is no dataset x
        available = sorted(file.stem for file in data_dir.glob("*.npz") if file.is_file())
        missing = f"{path.name} is a folder" if path.is_dir() else f"no file {path.name}"
        raise FileNotFoundError(f"No dataset {name!r} in {data_dir} ({missing}); "
                                f"available: {', '.join(available) or 'none'}.")
    try:
        X, y = _read_npz(path)
        expected = _manifest_shape(data_dir, name)
        if expected is not None and tuple(X.shape) != tuple(expected):
            raise ValueError(f"X has shape {X.shape}, the manifest says {tuple(expected)}")
    except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile, zlib.error) as error:
        raise ValueError(f"{path} is not a readable dataset: {error}.") from error
    return X, y
