"""``python -m sklreg``: the demo by default, ``bench`` with its table and chart."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import sklreg
from sklreg import __main__ as cli
from sklreg import _bench


def test_parser_keeps_the_demo_as_default_and_knows_bench():
    parser = cli.build_parser()
    args = parser.parse_args([])
    assert (args.command, args.repeats) == (None, 5)
    assert parser.parse_args(["--repeats", "2"]).repeats == 2
    args = parser.parse_args(["demo", "--repeats", "3"])
    assert (args.command, args.repeats) == ("demo", 3)
    args = parser.parse_args(["bench"])
    assert (args.command, args.repeats, args.quick, args.out) == (
        "bench", 3, False, "sklreg-bench.png")
    args = parser.parse_args(["bench", "--quick", "--repeats", "1", "--out", "chart.png"])
    assert (args.quick, args.repeats, args.out) == (True, 1, "chart.png")
    assert parser.parse_args(["bench", "--no-chart"]).out is None
    # given before the command, --repeats is kept (bench's default of 3 overwrote it)
    assert parser.parse_args(["--repeats", "7", "bench"]).repeats == 7
    assert parser.parse_args(["--repeats", "7", "demo"]).repeats == 7
    assert parser.parse_args(["--repeats", "7", "bench", "--repeats", "2"]).repeats == 2
    for bad in (["--repeats", "0"], ["bench", "--repeats", "-1"], ["benchmark"]):
        with pytest.raises(SystemExit):
            parser.parse_args(bad)


@pytest.mark.parametrize("argv", [["--repeats", "x"], ["bench", "--repeats", "2.5"]])
def test_non_integer_repeats_is_a_clear_usage_error(argv, capsys):
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(argv)
    error = capsys.readouterr().err
    assert "must be a positive integer" in error and "_positive_int" not in error


def test_main_dispatches(monkeypatch):
    calls = []
    monkeypatch.setattr(cli, "demo", lambda repeats: calls.append(("demo", repeats)))
    monkeypatch.setattr(_bench, "bench", lambda **kwargs: calls.append(("bench", kwargs)))
    cli.main([])
    cli.main(["demo", "--repeats", "2"])
    cli.main(["bench", "--quick", "--no-chart"])
    assert calls == [("demo", 5), ("demo", 2),
                     ("bench", {"repeats": 3, "quick": True, "out": None})]


def test_bench_rejects_an_unwritable_chart_path_before_any_fit(tmp_path, monkeypatch, capsys):
    """A missing folder or an extension matplotlib cannot write gave a traceback at the end,
    after the whole benchmark had run (and no extension wrote ``PATH.png``, reported as
    ``PATH``)."""
    pytest.importorskip("matplotlib")
    built = []
    monkeypatch.setattr(_bench, "build_cases", lambda **kwargs: built.append(kwargs) or [])
    for out in (tmp_path / "missing" / "chart.png", tmp_path / "chart.xyz", tmp_path / "chart"):
        with pytest.raises(SystemExit) as raised:
            cli.main(["bench", "--quick", "--out", str(out)])
        assert raised.value.code == 2
        assert "Cannot save the chart" in capsys.readouterr().err
        with pytest.raises(ValueError, match="Cannot save the chart"):
            _bench.bench(repeats=1, quick=True, out=str(out))
    assert built == [] and list(tmp_path.iterdir()) == []


def test_module_help_lists_the_commands():
    env = dict(os.environ, PYTHONPATH=str(Path(sklreg.__file__).resolve().parents[1]))
    completed = subprocess.run([sys.executable, "-m", "sklreg", "--help"], env=env,
                               capture_output=True, text=True, timeout=120, check=True)
    assert "demo" in completed.stdout and "bench" in completed.stdout


BENCHMARKS = sorted((Path(__file__).resolve().parents[1] / "benchmarks").glob("bench_*.py"))


@pytest.mark.parametrize("script", BENCHMARKS, ids=lambda path: path.name)
def test_benchmark_scripts_answer_help_without_running(script):
    """``--help`` prints the usage and exits (bench_correlated.py ran its whole benchmark)."""
    env = dict(os.environ, PYTHONPATH=str(Path(sklreg.__file__).resolve().parents[1]))
    completed = subprocess.run([sys.executable, str(script), "--help"], env=env,
                               capture_output=True, text=True, timeout=60, check=True)
    assert completed.stdout.startswith("usage:")


@pytest.mark.parametrize("argv", [
    ["bench_linear.py", "--only", "riboflavin", "--no-overhead", "--repeats", "3"],
    ["bench_cv.py", "--names", "riboflavin", "--repeats", "1"],
    ["bench_classifier.py", "--only", "colon", "--out", "OUT"],
], ids=lambda argv: argv[0])
def test_benchmark_scripts_skip_datasets_missing_from_the_folder(argv, tmp_path):
    """A data folder with a manifest but without a dataset the script wants (a partial
    copy, or other datasets): the script skips it, naming it, instead of a traceback."""
    data = tmp_path / "data"
    data.mkdir()
    rng = np.random.RandomState(0)
    np.savez(data / "other.npz", X=rng.randn(10, 3), y=rng.randn(10))
    (data / "manifest.json").write_text(
        '[{"name": "other", "n_samples": 10, "n_features": 3, "density": 1.0, '
        '"sparse": false, "task": "regression", "n_classes": null, "source": "test"}]')
    script = Path(__file__).resolve().parents[1] / "benchmarks" / argv[0]
    env = dict(os.environ, PYTHONPATH=str(Path(sklreg.__file__).resolve().parents[1]),
               SKLREG_DATA_DIR=str(data), NUMBA_CACHE_DIR=str(tmp_path / "numba"))
    argv = [str(tmp_path / "out.md") if arg == "OUT" else arg for arg in argv[1:]]
    completed = subprocess.run([sys.executable, str(script), *argv], env=env,
                               capture_output=True, text=True, timeout=300)
    assert "Traceback" not in completed.stderr, completed.stderr[-2000:]
    assert "skipped: not in" in completed.stderr
    assert not (tmp_path / "out.md").exists()


def test_quick_bench_table_chart_and_agreement(tmp_path, capsys):
    out = tmp_path / "bench.png"
    results = _bench.bench(repeats=1, quick=True, out=str(out))
    printed = capsys.readouterr().out
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert not out.exists() and "matplotlib is not installed" in printed
    else:
        assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"Chart saved to {out}" in printed
    cases = {r["case"] for r in results}
    assert {"Lasso", "ElasticNet", "Ridge", "Logistic L2", "Logistic L1",
            "MLPRegressor"} <= cases
    for r in results:
        assert r["case"] in printed
        assert r["sklreg_s"] > 0 and r["sklearn_s"] > 0
        assert r["speedup"] == pytest.approx(r["sklearn_s"] / r["sklreg_s"])
        if r["case"] != "MLPRegressor":
            # both libraries minimize the same objective to tolerance ~1e-6
            assert r["sklreg_converged"]
            assert abs(r["objective_diff"]) < 1e-5
            assert r["sklreg_score"] == pytest.approx(r["sklearn_score"], abs=1e-3)
        else:
            assert np.isnan(r["objective_diff"])


def test_bench_without_matplotlib_skips_the_chart(tmp_path, capsys, monkeypatch):
    one_case = _bench.build_cases(quick=True)[:1]
    monkeypatch.setattr(_bench, "build_cases", lambda **kwargs: one_case)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    out = tmp_path / "bench.png"
    results = _bench.bench(repeats=1, quick=True, out=str(out))
    assert len(results) == 1 and not out.exists()
    assert "matplotlib is not installed: no chart" in capsys.readouterr().out


def test_linear_objective_is_the_mean_loss_plus_the_penalty():
    from sklearn.datasets import make_classification
    from sklearn.metrics import log_loss, mean_squared_error

    from sklreg import LinearClassifier, LinearRegressor

    X, y = make_classification(n_samples=60, n_features=5, random_state=0)
    penalty = 0.05 * (0.5 * 3.0 + 0.5 * 0.5 * 5.0)  # |coef|_1 = 3, |coef|^2 = 5, l1_ratio 0.5
    coef, intercept = np.array([2.0, 1.0, 0.0, 0.0, 0.0]), 0.3
    classifier = LinearClassifier()
    classifier.classes_, classifier.coef_ = np.array([0, 1]), coef[None, :]
    classifier.intercept_, classifier.n_features_in_ = np.array([intercept]), 5
    assert _bench.linear_objective(coef, intercept, X, y, 0.05, 0.5, "logistic") == (
        pytest.approx(log_loss(y, classifier.predict_proba(X)) + penalty, rel=1e-12))
    regressor = LinearRegressor()
    regressor.coef_, regressor.intercept_, regressor.n_features_in_ = coef, intercept, 5
    assert _bench.linear_objective(coef, intercept, X, y, 0.05, 0.5, "squared") == (
        pytest.approx(0.5 * mean_squared_error(y, regressor.predict(X)) + penalty, rel=1e-12))


def test_data_dir_setting_is_used_as_given(tmp_path, monkeypatch):
    """``SKLREG_DATA_DIR`` names the folder: one without a manifest still serves its
    ``NAME.npz`` files, and a path that is not a folder gives a warning and no datasets,
    never another folder (it fell back to ``../shared/data`` silently)."""
    from sklreg._datasets import ENV_VAR, find_data_dir, load_dataset

    X = np.arange(6.0).reshape(3, 2)
    np.savez(tmp_path / "tiny.npz", X=X, y=np.array([0.0, 1.0, 2.0]))
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    assert find_data_dir() == tmp_path
    assert_array_equal(load_dataset("tiny")[0], X)
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "missing"))
    with pytest.warns(UserWarning, match="not a folder"):
        assert find_data_dir() is None


def test_bench_rejects_a_folder_as_chart_path(tmp_path, monkeypatch, capsys):
    """A folder named like a chart passed the check and failed with IsADirectoryError
    after the whole benchmark."""
    pytest.importorskip("matplotlib")
    built = []
    monkeypatch.setattr(_bench, "build_cases", lambda **kwargs: built.append(kwargs) or [])
    folder = tmp_path / "chart.png"
    folder.mkdir()
    with pytest.raises(SystemExit) as raised:
        cli.main(["bench", "--quick", "--out", str(folder)])
    assert raised.value.code == 2
    assert "is a folder" in capsys.readouterr().err
    assert built == []


def test_bench_skips_unreadable_datasets_with_a_warning(tmp_path, monkeypatch):
    """A file in SKLREG_DATA_DIR that is not a dataset (not an .npz archive, or one
    without ``y``) stopped the benchmark with a traceback from np.load."""
    (tmp_path / "riboflavin.npz").write_text("not an npz archive")
    np.savez(tmp_path / "leukemia.npz", X=np.ones((4, 2)))  # no y
    monkeypatch.setenv("SKLREG_DATA_DIR", str(tmp_path))
    with pytest.warns(UserWarning) as caught:
        cases = _bench.build_cases(quick=False)
    messages = " ".join(str(w.message) for w in caught)
    assert "riboflavin.npz" in messages and "leukemia.npz" in messages
    assert not {"riboflavin", "leukemia"} & {case.data for case in cases}


def test_bench_names_the_datasets_missing_from_its_folder(tmp_path, monkeypatch):
    """A data folder without the suite's files (an empty one, a mistyped name) gave a
    benchmark of generated data only, without a word about the real sets it skipped."""
    monkeypatch.setenv("SKLREG_DATA_DIR", str(tmp_path))
    for name in ("_regression_cases", "_logistic_cases"):
        monkeypatch.setattr(_bench, name, lambda *args, **kwargs: [])
    monkeypatch.setattr(_bench, "_mlp_case", lambda *args, **kwargs: None)
    with pytest.warns(UserWarning) as caught:
        _bench.build_cases(quick=False)
    messages = " ".join(str(w.message) for w in caught)
    assert "riboflavin.npz" in messages and "leukemia.npz" in messages
    assert str(tmp_path) in messages


def test_quick_bench_does_not_look_for_the_datasets(tmp_path, monkeypatch):
    """``--quick`` uses no real dataset, but warned about a SKLREG_DATA_DIR that is not a
    folder."""
    import warnings

    monkeypatch.setenv("SKLREG_DATA_DIR", str(tmp_path / "missing"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cases = _bench.build_cases(quick=True)
    assert cases


def test_help_is_plain_text(capsys):
    """The description is the module docstring, whose reST markup (``python -m sklreg``)
    was printed as is by --help."""
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    printed = capsys.readouterr().out
    assert "python -m sklreg: L1" in printed and "``" not in printed


def test_bench_says_when_it_finds_no_data_folder(monkeypatch):
    """Without SKLREG_DATA_DIR and without the checkout's ../shared/data, the benchmark
    left out its real sets without a word."""
    monkeypatch.delenv("SKLREG_DATA_DIR", raising=False)
    monkeypatch.setattr(_bench, "find_data_dir", lambda: None)
    for name in ("_regression_cases", "_logistic_cases"):
        monkeypatch.setattr(_bench, name, lambda *args, **kwargs: [])
    monkeypatch.setattr(_bench, "_mlp_case", lambda *args, **kwargs: None)
    with pytest.warns(UserWarning, match="no data folder.*SKLREG_DATA_DIR"):
        _bench.build_cases(quick=False)


RUN_BENCH_WITHOUT_FITS = """
import runpy, sys
from sklreg import _bench
for name in ("_regression_cases", "_logistic_cases"):
    setattr(_bench, name, lambda *args, **kwargs: [])
_bench._mlp_case = lambda *args, **kwargs: None
_bench.run_case = lambda case, repeats: None
_bench.format_table = lambda results: ""
sys.argv = ["sklreg", "bench", "--no-chart", "--repeats", "1"]
runpy.run_module("sklreg", run_name="__main__", alter_sys=True)
"""


@pytest.mark.parametrize("setting", ["file", "empty folder"])
def test_module_bench_data_warnings_name_the_command_line_not_internals(tmp_path, setting):
    """Under ``python -m sklreg bench`` the data-folder warnings pointed at an internal
    line of _bench.py; now at the command line's own module (no user frame exists, and
    runpy's frame would be unreadable)."""
    path = tmp_path / "data"
    if setting == "file":
        path.write_text("")
    else:
        path.mkdir()
    env = dict(os.environ, PYTHONPATH=str(Path(sklreg.__file__).resolve().parents[1]),
               SKLREG_DATA_DIR=str(path))
    completed = subprocess.run([sys.executable, "-c", RUN_BENCH_WITHOUT_FITS], env=env,
                               capture_output=True, text=True, timeout=120, check=True)
    warning_lines = [line for line in completed.stderr.splitlines() if "UserWarning" in line]
    assert warning_lines, completed.stderr
    main_file = str(Path(cli.__file__).resolve())
    for line in warning_lines:
        assert line.startswith(main_file + ":"), line
