"""Find and load the offline benchmark datasets (``NAME.npz``; not shipped with the package).

The folder is given by the ``SKLREG_DATA_DIR`` environment variable; from a source
checkout, ``../shared/data`` beside the repository is used when the variable is unset (not
when it is set to something else: see :func:`find_data_dir`).
Callers skip cleanly when :func:`find_data_dir` returns None.
"""

import json
import os
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp

ENV_VAR = "SKLREG_DATA_DIR"


def find_data_dir():
    """The dataset folder, or None when it is not available.

    ``SKLREG_DATA_DIR`` when set (a folder of ``NAME.npz`` files; ``manifest.json`` is
    needed only by :func:`manifest`), with a warning and None when it is not a folder: a
    mistyped setting does not fall back to another folder silently. Unset, the source
    checkout's ``../shared/data`` when it holds a ``manifest.json``.

    Returns
    -------
    path : pathlib.Path or None
    """
    configured = os.environ.get(ENV_VAR)
    if configured:
        path = Path(configured)
        if path.is_dir():
            return path
        warnings.warn(f"{ENV_VAR}={configured!r} is not a folder: no datasets.", UserWarning,
                      stacklevel=2)
        return None
    path = Path(__file__).resolve().parents[2] / "shared" / "data"
    return path if (path / "manifest.json").is_file() else None


def manifest(data_dir=None):
    """The parsed ``manifest.json`` of the dataset folder."""
    data_dir = Path(data_dir) if data_dir is not None else find_data_dir()
    if data_dir is None:
        raise FileNotFoundError(f"No dataset folder: set {ENV_VAR}.")
    return json.loads((data_dir / "manifest.json").read_text())


def load_dataset(name, data_dir=None):
    """Load ``NAME.npz`` as ``(X, y)``; X is a dense array or a CSR matrix.

    Parameters
    ----------
    name : str
        Dataset name (file stem), e.g. ``'leukemia'``.
    data_dir : str or path-like, optional
        Folder; defaults to :func:`find_data_dir`.

    Returns
    -------
    X : ndarray or scipy.sparse.csr_matrix
    y : ndarray
    """
    data_dir = Path(data_dir) if data_dir is not None else find_data_dir()
    if data_dir is None:
        raise FileNotFoundError(f"No dataset folder: set {ENV_VAR}.")
    with np.load(data_dir / f"{name}.npz", allow_pickle=False) as data:
        if "X" in data:
            X = data["X"]
        else:
            X = sp.csr_matrix(
                (data["data"], data["indices"], data["indptr"]), shape=tuple(data["shape"])
            )
        y = data["y"]
    return X, y
