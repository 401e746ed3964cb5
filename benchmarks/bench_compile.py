"""First fits in fresh processes: Numba compilation with an empty cache, then the cache load.

    python benchmarks/bench_compile.py [--cases NAME ...]

For each case, a new process with a new, empty ``NUMBA_CACHE_DIR`` imports sklreg and fits
one estimator on a small generated problem (the compilation that first fit needs), then a
second new process with that same cache fits it again (the cache load a user sees in every
later session). Each child reports the wall and CPU time of its ``import sklreg`` and of
its first fit, and of a second identical fit (the warm fit, for the overhead). One thread;
the cases run one after the other. Prints a markdown table.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile

CASES = {
    "LinearRegressor l1": (
        "make_regression(200, 50, random_state=0)", "LinearRegressor(penalty='l1', alpha=0.1)"),
    "LinearRegressor l1 600 x 500": (  # large enough for its float32 shadow's kernels
        "make_regression(600, 500, random_state=0)", "LinearRegressor(penalty='l1', alpha=0.1)"),
    "LinearRegressor l2": (
        "make_regression(200, 50, random_state=0)", "LinearRegressor(penalty='l2', alpha=0.1)"),
    "LinearClassifier l1": (
        "make_classification(200, 50, random_state=0)",
        "LinearClassifier(penalty='l1', alpha=0.01)"),
    "LinearClassifier l2": (
        "make_classification(200, 50, random_state=0)",
        "LinearClassifier(penalty='l2', alpha=0.01)"),
    "MLPRegressor l1": (
        "make_regression(200, 20, random_state=0)",
        "MLPRegressor(penalty='l1', alpha=1e-3, max_iter=20)"),
}

CHILD = """
import json, time, warnings
from sklearn.datasets import make_classification, make_regression
X, y = {data}
warnings.simplefilter("ignore")
c0, t0 = time.process_time(), time.perf_counter()
import sklreg
from sklreg import *
c1, t1 = time.process_time(), time.perf_counter()
{estimator}.fit(X, y)
c2, t2 = time.process_time(), time.perf_counter()
{estimator}.fit(X, y)
c3, t3 = time.process_time(), time.perf_counter()
print(json.dumps({{"import": [t1 - t0, c1 - c0], "first": [t2 - t1, c2 - c1],
                  "warm": [t3 - t2, c3 - c2]}}))
"""


def run_child(data, estimator, cache_dir):
    """Run one fresh process; its timings as a dict of ``[wall, cpu]`` pairs."""
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir, OMP_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1", NUMBA_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", CHILD.format(data=data, estimator=estimator)],
                         env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", choices=sorted(CASES), default=sorted(CASES))
    args = parser.parse_args()
    print(f"Python {platform.python_version()}, {platform.processor() or platform.machine()}, "
          f"load average {os.getloadavg()[0]:.1f}")
    print()
    print("| case | empty cache: first fit s (CPU s) | warm cache: import s | "
          "warm cache: first fit s | second fit s |")
    print("|---|---|---|---|---|")
    for name in args.cases:
        data, estimator = CASES[name]
        with tempfile.TemporaryDirectory(prefix="sklreg-compile-") as cache_dir:
            cold = run_child(data, estimator, cache_dir)
            warm = run_child(data, estimator, cache_dir)
        print(f"| {name} | {cold['first'][0]:.1f} ({cold['first'][1]:.1f}) | "
              f"{warm['import'][0]:.2f} | {warm['first'][0]:.3f} | {warm['warm'][0]:.4f} |",
              flush=True)


if __name__ == "__main__":
    main()
