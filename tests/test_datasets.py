"""The offline dataset loader: NAME.npz files read as (X, y), clear errors for bad ones."""

import json
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_array_equal

from sklreg import _bench
from sklreg._datasets import ENV_VAR, load_dataset, manifest


@pytest.fixture
def data_dir(tmp_path):
    rng = np.random.RandomState(0)
    np.savez(tmp_path / "dense.npz", X=rng.randn(5, 3), y=rng.randn(5))
    X = sp.random(6, 4, density=0.5, format="csr", random_state=0)
    np.savez(tmp_path / "sparse.npz", data=X.data, indices=X.indices, indptr=X.indptr,
             shape=np.array(X.shape), y=np.arange(6))
    entries = [{"name": "dense", "n_samples": 5, "n_features": 3},
               {"name": "sparse", "n_samples": 6, "n_features": 4}]
    (tmp_path / "manifest.json").write_text(json.dumps(entries))
    return tmp_path


def test_dense_and_sparse_datasets_load(data_dir):
    X, y = load_dataset("dense", data_dir)
    assert X.shape == (5, 3) and y.shape == (5,)
    X, y = load_dataset("sparse", data_dir)
    assert sp.issparse(X) and X.format == "csr" and X.shape == (6, 4)
    assert_array_equal(y, np.arange(6))


def test_unknown_name_lists_the_datasets_of_the_folder(data_dir):
    """The error was numpy's bare "No such file or directory: '.../nope.npz'"."""
    with pytest.raises(FileNotFoundError, match=r"No dataset 'nope'.*dense, sparse"):
        load_dataset("nope", data_dir)
    with pytest.raises(FileNotFoundError, match="no such folder"):
        load_dataset("dense", data_dir / "missing")


def test_unknown_name_lists_only_dataset_files(data_dir):
    """The list of available datasets came from ``glob("*.npz")``: a folder named
    ``x.npz`` was listed as the dataset ``x``, which then could not be loaded."""
    (data_dir / "folder.npz").mkdir()
    with pytest.raises(FileNotFoundError, match=r"available: dense, sparse\.$"):
        load_dataset("nope", data_dir)
    with pytest.raises(FileNotFoundError, match="is a folder"):
        load_dataset("folder", data_dir)


def test_folder_setting_that_is_not_a_folder_is_named(tmp_path, monkeypatch):
    """With SKLREG_DATA_DIR set to a missing folder the error said "set SKLREG_DATA_DIR"."""
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "missing"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(FileNotFoundError, match="is not a folder"):
            load_dataset("dense")
        with pytest.raises(FileNotFoundError, match="is not a folder"):
            manifest()


def _corrupt(data_dir, kind):
    path = data_dir / "bad.npz"
    content = (data_dir / "dense.npz").read_bytes()
    rng = np.random.RandomState(0)
    if kind == "text":
        path.write_text("not an npz archive")
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "truncated":
        path.write_bytes(content[: len(content) // 2])
    elif kind == "npy":
        np.save(path.with_suffix(".npy"), np.ones(3))
        path.with_suffix(".npy").rename(path)
    elif kind == "no y":
        np.savez(path, X=rng.randn(4, 2))
    elif kind == "no X":
        np.savez(path, y=rng.randn(4))
    elif kind == "lengths":
        np.savez(path, X=rng.randn(4, 2), y=rng.randn(5))
    elif kind == "X not 2-D":
        np.savez(path, X=rng.randn(4), y=rng.randn(4))
    elif kind == "column index":
        np.savez(path, data=np.ones(2), indices=np.array([0, 7]), indptr=np.array([0, 1, 2]),
                 shape=np.array([2, 3]), y=np.ones(2))
    elif kind == "y scalar":
        np.savez(path, X=rng.randn(4, 2), y=np.float64(1.0))
    elif kind == "CSR shape floats":
        np.savez(path, data=np.ones(2), indices=np.array([0, 1]), indptr=np.array([0, 1, 2]),
                 shape=np.array([2.0, 3.0]), y=np.ones(2))
    elif kind == "CSR shape scalar":
        np.savez(path, data=np.ones(2), indices=np.array([0, 1]), indptr=np.array([0, 1, 2]),
                 shape=np.array(2), y=np.ones(2))
    elif kind == "X text":
        np.savez(path, X=np.array([["a", "b"], ["c", "d"]]), y=np.ones(2))
    elif kind == "y text":
        np.savez(path, X=rng.randn(4, 2), y=np.array(["a", "b", "a", "b"]))
    elif kind == "y 2-D":
        np.savez(path, X=rng.randn(4, 2), y=rng.randn(4, 2))
    elif kind == "y complex":
        np.savez(path, X=rng.randn(4, 2), y=rng.randn(4) + 1j)
    elif kind == "y NaN":
        np.savez(path, X=rng.randn(4, 2), y=np.array([0.0, np.nan, 1.0, np.inf]))
    elif kind == "X NaN":
        np.savez(path, X=np.array([[1.0, np.nan], [0.0, 1.0]]), y=np.ones(2))
    elif kind == "CSR inf":
        np.savez(path, data=np.array([1.0, np.inf]), indices=np.array([0, 1]),
                 indptr=np.array([0, 1, 2]), shape=np.array([2, 3]), y=np.ones(2))
    elif kind == "manifest":
        np.savez(path, X=rng.randn(4, 2), y=rng.randn(4))
        entries = json.loads((data_dir / "manifest.json").read_text())
        entries.append({"name": "bad", "n_samples": 40, "n_features": 2})
        (data_dir / "manifest.json").write_text(json.dumps(entries))


CORRUPTIONS = ["text", "empty", "truncated", "npy", "no y", "no X", "lengths", "X not 2-D",
               "column index", "manifest", "y scalar", "CSR shape floats", "CSR shape scalar",
               "X text", "y text", "y 2-D", "y complex", "y NaN", "X NaN", "CSR inf"]


@pytest.mark.parametrize("kind", CORRUPTIONS)
def test_unreadable_dataset_is_a_value_error_naming_the_file(data_dir, kind):
    """A text file was reported as "contains pickled (object) data", an empty one raised
    EOFError, a missing array a bare KeyError ("data is not a file in the archive" for a
    missing X), and X and y of different lengths, a CSR column index beyond the shape or a
    shape other than the manifest's loaded silently. A 0-d y or a CSR shape of floats or
    of one number raised a bare TypeError (which ``python -m sklreg bench`` did not catch),
    and an X of strings loaded as a dataset, as did a y of strings, complex numbers or
    non-finite values, or of two columns (the README of the datasets: y is float64 targets
    or int64 class codes, one per sample), and an X holding NaN or infinite values."""
    _corrupt(data_dir, kind)
    with pytest.raises(ValueError, match=r"bad\.npz is not a readable dataset"):
        load_dataset("bad", data_dir)


def _no_fits(monkeypatch):
    for name in ("_regression_cases", "_logistic_cases"):
        monkeypatch.setattr(_bench, name, lambda *args, **kwargs: [])
    monkeypatch.setattr(_bench, "_mlp_case", lambda *args, **kwargs: None)
    monkeypatch.setattr(_bench, "run_case", lambda case, repeats: None)  # (no case to time)
    monkeypatch.setattr(_bench, "format_table", lambda results: "")


def test_bench_skips_an_empty_dataset_file_with_a_warning(tmp_path, monkeypatch):
    """An empty riboflavin.npz stopped ``python -m sklreg bench`` with an EOFError."""
    (tmp_path / "riboflavin.npz").write_bytes(b"")
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    _no_fits(monkeypatch)
    with pytest.warns(UserWarning, match="riboflavin.npz"):
        _bench.build_cases(quick=False)


def test_bench_names_a_dataset_folder_as_such(tmp_path, monkeypatch):
    """A folder riboflavin.npz was reported as "no riboflavin.npz in ..."."""
    (tmp_path / "riboflavin.npz").mkdir()
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    _no_fits(monkeypatch)
    with pytest.warns(UserWarning, match="riboflavin.npz is a folder"):
        _bench.build_cases(quick=False)


def test_manifest_errors_name_the_file(data_dir):
    (data_dir / "manifest.json").write_text("{not json")
    with pytest.raises(ValueError, match=r"manifest\.json is not valid JSON"):
        manifest(data_dir)
    (data_dir / "manifest.json").unlink()
    with pytest.raises(FileNotFoundError, match=r"No manifest\.json in"):
        manifest(data_dir)


def test_folder_setting_with_a_tilde_is_the_home_folder(data_dir, monkeypatch):
    """SKLREG_DATA_DIR='~/data' (as written in a .env file or a CI setting, where no shell
    expands it) was "not a folder": scikit-learn expands its SCIKIT_LEARN_DATA setting."""
    from sklreg._datasets import find_data_dir

    monkeypatch.setenv("HOME", str(data_dir.parent))
    monkeypatch.setenv(ENV_VAR, f"~/{data_dir.name}")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert find_data_dir() == data_dir
        assert load_dataset("dense")[0].shape == (5, 3)
    assert load_dataset("dense", f"~/{data_dir.name}")[0].shape == (5, 3)


@pytest.mark.parametrize("setting", ["file", "empty folder"])
@pytest.mark.parametrize("call", ["load_dataset", "manifest", "build_cases", "bench"])
def test_data_folder_warnings_point_at_the_callers_line(tmp_path, monkeypatch, setting,
                                                         call):
    """The warnings about the data folder pointed at internal lines of _datasets.py and
    _bench.py (stacklevel=2 from a function its caller's caller called), not at the
    call in the user's code."""
    path = tmp_path / "data"
    if setting == "file":
        path.write_text("")  # SKLREG_DATA_DIR naming a file: "is not a folder"
    else:
        path.mkdir()  # no dataset in it: "Skipped riboflavin", "Skipped leukemia"
    monkeypatch.setenv(ENV_VAR, str(path))
    _no_fits(monkeypatch)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if call == "load_dataset":
                load_dataset("riboflavin")
            elif call == "manifest":
                manifest()
            elif call == "build_cases":
                _bench.build_cases()
            else:
                _bench.bench(repeats=1, out=None)
        except FileNotFoundError:
            assert call in ("load_dataset", "manifest")
    caught = [w for w in caught if issubclass(w.category, UserWarning)]
    if setting == "empty folder" and call in ("load_dataset", "manifest"):
        assert not caught  # an error, no warning
        return
    assert caught
    for warning in caught:
        assert warning.filename == __file__, (warning.filename, str(warning.message))


def test_bench_takes_a_csr_dataset_and_skips_labels_it_cannot_use(tmp_path, monkeypatch):
    """``load_dataset`` documents CSR datasets, but the benchmark's ``np.asarray(X)`` made a
    0-d object array of one (TypeError, uncaught); a leukemia.npz of one class raised an
    IndexError (``np.unique(y)[1]``) and one of three classes was binarized silently."""
    rng = np.random.RandomState(0)
    X = sp.random(40, 30, density=0.3, format="csr", random_state=0)
    np.savez(tmp_path / "riboflavin.npz", data=X.data, indices=X.indices, indptr=X.indptr,
             shape=np.array(X.shape), y=rng.randn(40))
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    monkeypatch.setattr(_bench, "_mlp_case", lambda *args, **kwargs: None)
    for labels in (np.zeros(40), np.arange(40) % 3):
        np.savez(tmp_path / "leukemia.npz", X=rng.randn(40, 5), y=labels)
        with pytest.warns(UserWarning, match=r"leukemia\.npz.*2 classes"):
            cases = _bench.build_cases()
        riboflavin = [case for case in cases if case is not None and case.data == "riboflavin"]
        assert len(riboflavin) == 1 and riboflavin[0].X_train.shape == (30, 30)
        assert not any(case is not None and case.data == "leukemia" for case in cases)


@pytest.mark.parametrize("y", [np.array(["a", "b"] * 20), np.ones((40, 2))],
                         ids=["text", "2-D"])
def test_bench_skips_a_dataset_whose_y_is_not_one_number_per_sample(tmp_path, monkeypatch, y):
    """A riboflavin.npz whose y was strings or two columns loaded, and ``python -m sklreg
    bench`` died (TypeError in ``y.mean()``; a 2-D y failed in the fits) instead of
    skipping it with the warning it gives other unreadable datasets."""
    rng = np.random.RandomState(0)
    np.savez(tmp_path / "riboflavin.npz", X=rng.randn(40, 5), y=y)
    np.savez(tmp_path / "leukemia.npz", X=rng.randn(40, 5), y=np.arange(40) % 2)
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    monkeypatch.setattr(_bench, "_mlp_case", lambda *args, **kwargs: None)
    with pytest.warns(UserWarning, match=r"Skipped .*riboflavin\.npz: not a readable dataset"):
        cases = _bench.build_cases()
    data = [case.data for case in cases if case is not None]
    assert "riboflavin" not in data and "leukemia" in data


@pytest.mark.parametrize("name", ["../outside", "..", ".", "", "sub/dense", "sub\\dense",
                                  "/abs/dense", "dense\0"])
def test_name_that_is_not_a_plain_file_stem_is_refused(data_dir, name):
    """``load_dataset('../x')`` read ``x.npz`` beside the data folder (and an absolute
    name any ``.npz`` on the machine): a dataset name is a file stem of the folder."""
    sub = data_dir / "sub"
    sub.mkdir()
    np.savez(data_dir.parent / "outside.npz", X=np.ones((2, 2)), y=np.ones(2))
    np.savez(sub / "dense.npz", X=np.ones((2, 2)), y=np.ones(2))
    with pytest.raises(ValueError, match="plain file stem"):
        load_dataset(name, sub if name == ".." else data_dir)


@pytest.mark.parametrize("name", [3, None, b"dense"])
def test_name_that_is_not_a_string_is_a_type_error(data_dir, name):
    with pytest.raises(TypeError, match="dataset name must be a str"):
        load_dataset(name, data_dir)


def test_empty_folder_setting_is_the_same_as_unset(data_dir, monkeypatch):
    """``SKLREG_DATA_DIR=`` is unset (as ``.ci/run``'s ``-z`` test takes it), neither the
    current folder (``Path('')``) nor a setting that is "not a folder"."""
    from sklreg._datasets import find_data_dir

    monkeypatch.chdir(data_dir)  # the current folder holds datasets: not used
    monkeypatch.delenv(ENV_VAR, raising=False)
    unset = find_data_dir()
    monkeypatch.setenv(ENV_VAR, "")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert find_data_dir() == unset != data_dir
        if unset is None:
            with pytest.raises(FileNotFoundError, match=f"set {ENV_VAR}"):
                load_dataset("dense")


def test_bench_skips_a_dataset_whose_X_is_not_finite(tmp_path, monkeypatch):
    """A riboflavin.npz with a NaN in X loaded, and ``python -m sklreg bench`` died in
    the fit (alpha_max NaN: InvalidParameterError) instead of skipping it."""
    rng = np.random.RandomState(0)
    X = rng.randn(40, 5)
    X[3, 2] = np.nan
    np.savez(tmp_path / "riboflavin.npz", X=X, y=rng.randn(40))
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    monkeypatch.setattr(_bench, "_mlp_case", lambda *args, **kwargs: None)
    with pytest.warns(UserWarning, match=r"Skipped .*riboflavin\.npz: not a readable dataset"):
        cases = _bench.build_cases()
    assert not any(case is not None and case.data == "riboflavin" for case in cases)
