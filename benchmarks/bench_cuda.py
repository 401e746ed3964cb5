"""CPU against GPU (``device='cuda'``): fit times of the linear models and MLP epochs.

    python benchmarks/bench_cuda.py [--quick] [--repeats 3] [--out benchmarks/results-cuda.md]

Needs numba-cuda (``pip install sklreg[cuda]``) and a CUDA GPU; without them (or under the
CUDA simulator, which is far too slow to time) it prints why and exits with status 0.

Each row: the same data, the same parameters, both devices, a warm-up fit first (Numba / CUDA
compilation excluded), then the median of ``--repeats`` timed fits. The linear models run to
the same relative duality gap ``tol`` (the CPU solver is coordinate descent / proximal Newton,
the GPU one FISTA); the reported gaps are listed so that the accuracy reached can be
compared. The MLP rows time a fixed number of epochs (``tol=0``) with the same batches.
"""

import argparse
import functools
import os
import platform
import sys
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

SIZES = [(2_000, 100), (20_000, 500), (100_000, 1_000)]
QUICK_SIZES = [(2_000, 100), (20_000, 200)]


def gpu_or_exit():
    """The GPU's name, or exit cleanly saying why no GPU timing is possible."""
    from numba import config

    if config.ENABLE_CUDASIM:
        print("bench_cuda: the CUDA simulator is enabled (NUMBA_ENABLE_CUDASIM=1); it is far "
              "too slow to time. Unset it and run on a machine with a CUDA GPU.")
        sys.exit(0)
    from sklreg.cuda import require_cuda

    try:
        cuda = require_cuda()
    except (ImportError, RuntimeError) as exc:
        print(f"bench_cuda: no GPU timing possible: {exc}")
        sys.exit(0)
    return cuda.get_current_device().name


def fit_model(Estimator, X, y, params, device):
    return Estimator(device=device, **params).fit(X, y)


def median_time(fit, repeats):
    fit()  # warm-up: compilation excluded
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model = fit()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), model


def linear_rows(sizes, repeats):
    from sklreg import LinearClassifier, LinearRegressor

    rows = []
    rng = np.random.default_rng(0)
    for n_samples, n_features in sizes:
        X = rng.standard_normal((n_samples, n_features))
        coef = rng.standard_normal(n_features) * (rng.random(n_features) < 0.1)
        y = X @ coef + rng.standard_normal(n_samples)
        labels = (X @ coef + rng.logistic(size=n_samples) > 0).astype(int)
        problems = [
            ("LinearRegressor l1", LinearRegressor, y,
             dict(penalty="l1", alpha=0.01, tol=1e-6, max_iter=100_000)),
            ("LinearRegressor enet", LinearRegressor, y,
             dict(penalty="elasticnet", alpha=0.01, l1_ratio=0.5, tol=1e-6,
                  max_iter=100_000)),
            ("LinearClassifier l1", LinearClassifier, labels,
             dict(penalty="l1", alpha=1e-3, tol=1e-6, max_iter=100_000)),
        ]
        for name, Estimator, target, params in problems:
            for dtype in (np.float64, np.float32):
                Xd = X.astype(dtype)
                result = {}
                for device in ("cpu", "cuda"):
                    seconds, model = median_time(
                        functools.partial(fit_model, Estimator, Xd, target, params, device),
                        repeats)
                    result[device] = (seconds, float(np.max(model.dual_gap_)))
                rows.append((name, f"{n_samples}x{n_features}", np.dtype(dtype).name,
                             *result["cpu"], *result["cuda"]))
                print(rows[-1], flush=True)
    return rows


def mlp_rows(sizes, repeats, epochs=3):
    from sklreg import MLPClassifier

    rows = []
    rng = np.random.default_rng(1)
    for n_samples, n_features in sizes:
        X = rng.standard_normal((n_samples, n_features)).astype(np.float32)
        y = (X[:, 0] * X[:, 1] > 0).astype(int)
        params = dict(hidden_layer_sizes=(256, 128), penalty="l1", alpha=1e-4,
                      max_iter=epochs, tol=0.0, n_iter_no_change=epochs, batch_size=1024,
                      random_state=0)
        result = {}
        for device in ("cpu", "cuda"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                seconds, _ = median_time(
                    functools.partial(fit_model, MLPClassifier, X, y, params, device),
                    repeats)
            result[device] = seconds / epochs
        rows.append(("MLPClassifier l1 (256, 128)", f"{n_samples}x{n_features}", "float32",
                     result["cpu"], np.nan, result["cuda"], np.nan))
        print(rows[-1], flush=True)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two small sizes only")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default=None, help="write a markdown table here")
    args = parser.parse_args()
    gpu = gpu_or_exit()
    sizes = QUICK_SIZES if args.quick else SIZES
    rows = linear_rows(sizes, args.repeats) + mlp_rows(sizes, args.repeats)
    lines = [
        f"GPU: {gpu}; CPU: {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} threads; median of {args.repeats} fits after a warm-up "
        "(MLP: seconds per epoch).",
        "",
        "| model | size | dtype | CPU s | CPU gap | GPU s | GPU gap | CPU / GPU |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, size, dtype, cpu_s, cpu_gap, gpu_s, gpu_gap in rows:
        lines.append(f"| {name} | {size} | {dtype} | {cpu_s:.3g} | {cpu_gap:.1e} | "
                     f"{gpu_s:.3g} | {gpu_gap:.1e} | {cpu_s / gpu_s:.2f} |")
    table = "\n".join(lines)
    print(table)
    if args.out:
        with open(args.out, "w") as handle:
            handle.write(table + "\n")


if __name__ == "__main__":
    main()
