"""Jobs that need a process of their own, run from the main suite so that CI runs them.

* The CUDA kernels under Numba's CUDA simulator: ``NUMBA_ENABLE_CUDASIM=1`` must be set
  before Numba is imported, which this process has already done.
* The documentation: a Sphinx build (warnings are errors) that executes every example of
  the gallery.

Each is skipped when its optional dependencies are missing (the ``test`` extra installs
them) and fails with the tail of the job's output otherwise.
"""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_job(args, extra_env, timeout):
    """Run ``args`` from the repository root; fail with the end of its output."""
    env = {**os.environ, **extra_env}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=timeout, check=False)
    output = (result.stdout + result.stderr)[-6000:]
    assert result.returncode == 0, f"{' '.join(map(str, args))} failed:\n{output}"
    return result.stdout


def require(*modules):
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)}")


def test_cuda_kernels_under_simulator():
    require("numba_cuda")
    if not (ROOT / "tests_cuda").is_dir():
        pytest.skip("tests_cuda not in this checkout")
    out = run_job([sys.executable, "-m", "pytest", "tests_cuda", "-q", "-p", "no:cacheprovider"],
                  {"NUMBA_ENABLE_CUDASIM": "1"}, timeout=1800)
    assert " passed" in out and " failed" not in out


def test_docs_build_with_every_example():
    require("sphinx", "pydata_sphinx_theme", "numpydoc", "sphinx_gallery", "matplotlib")
    if not (ROOT / "docs" / "conf.py").is_file():
        pytest.skip("docs not in this checkout")
    run_job(["bash", str(ROOT / "docs" / "build.sh"), sys.executable], {}, timeout=1800)
    images = ROOT / "docs" / "auto_examples" / "images"
    n_examples = len(list((ROOT / "examples").glob("plot_*.py")))
    n_images = len(list(images.glob("sphx_glr_plot_*_001.png")))
    assert n_examples > 0 and n_images == n_examples
