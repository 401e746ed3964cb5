"""Compile every CUDA kernel of sklreg to PTX for a real GPU (sm_75), without a GPU.

The simulator runs the kernels as Python, so it cannot tell whether they type-check for the
real CUDA target; this script does, with the argument types the estimators pass (float32 and
float64 designs). It needs libNVVM (CUDA toolkit) and NVRTC, not a GPU or driver:

    CUDA_HOME=/usr/local/cuda LD_LIBRARY_PATH=<dir of libnvrtc.so> python tests_cuda/compile_ptx.py

(NVRTC from ``pip install nvidia-cuda-nvrtc``). It exits with status 1 if a kernel fails.
Not collected by pytest (it must not run under the simulator).
"""

import sys
import types
from importlib import import_module

from numba import cuda
from numba import types as nt

# compiling a device function asks the current device for its compute capability
import_module("numba.cuda.dispatcher").get_current_device = lambda: types.SimpleNamespace(
    compute_capability=(7, 5)
)

from sklreg.cuda import _linear as L  # noqa: E402
from sklreg.cuda import _mlp as M  # noqa: E402

f8, i8, b1 = nt.float64, nt.int64, nt.boolean
ok = 0
fail = []


def arr(dtype, ndim):
    return nt.Array(dtype, ndim, "C")


def check(kernel, signature):
    global ok
    try:
        cuda.compile_ptx(kernel.py_func, signature, cc=(7, 5))
        ok += 1
    except Exception as exc:  # noqa: BLE001 - report every failing kernel
        fail.append((kernel.py_func.__name__, str(signature)[:80], str(exc).split("\n")[0]))


for X in (nt.float64, nt.float32):
    check(
        L.predict_residual,
        (
            nt.Array(X, 2, "F"),  # the column layout of the design
            arr(f8, 1),
            arr(f8, 1),
            arr(f8, 2),
            b1,
            i8,
            arr(f8, 1),
            arr(i8, 1),
            arr(f8, 1),
            arr(f8, 2),
            arr(f8, 2),
            arr(f8, 1),
        ),
    )
    check(
        L.gradient_prox,
        (
            arr(X, 2),
            arr(f8, 1),
            arr(f8, 1),
            arr(f8, 2),
            b1,
            arr(f8, 2),
            arr(f8, 2),
            arr(f8, 2),
            arr(f8, 2),
            f8,
            arr(f8, 1),
            f8,
            f8,
            b1,
            b1,
            arr(f8, 1),
        ),
    )
    check(L.column_curvatures, (arr(X, 2), arr(f8, 1), arr(f8, 1), arr(f8, 1), b1, arr(f8, 1)))
check(L.momentum, (arr(f8, 2),) * 3 + (arr(f8, 1),))
check(
    L.quadratic_gap_sums, (arr(f8, 2), arr(f8, 1), arr(f8, 2), arr(f8, 2), f8, f8, b1, arr(f8, 1))
)
check(L.intercept_sums, (arr(f8, 2), arr(i8, 1), arr(f8, 1), arr(f8, 1), arr(f8, 2)))
check(
    L.classification_gap_sums,
    (arr(f8, 2), arr(i8, 1), arr(f8, 1), arr(f8, 2), arr(f8, 2), f8, f8, f8, arr(f8, 1)),
)
for X in (nt.float64, nt.float32):
    check(M.gather_rows, (arr(X, 2), arr(i8, 1), arr(X, 2)))
    check(M.gather, (arr(f8, 1), arr(i8, 1), arr(f8, 1)))
    check(M.dense_forward, (arr(X, 2), arr(X, 2), arr(X, 1), arr(X, 2), i8))
    check(M.softmax_rows, (arr(X, 2),))
    check(M.output_delta, (arr(X, 2), arr(X, 2), arr(f8, 1), b1, f8, i8, f8, arr(X, 2), arr(f8, 1)))
    check(M.weight_gradient, (arr(X, 2), arr(X, 2), arr(X, 2)))
    check(M.bias_gradient, (arr(X, 2), arr(X, 1)))
    check(M.backward_delta, (arr(X, 2), arr(X, 2), arr(X, 2), i8, arr(X, 2)))
    check(M.penalty_sums, (arr(X, 1), i8, arr(f8, 1)))
    check(M.sgd_prox_step, (arr(X, 1),) * 3 + (f8, f8, b1, i8, f8, f8, f8))
    check(M.adam_prox_step, (arr(X, 1),) * 4 + (f8, f8, f8, f8, i8, f8, f8))
print(f"compiled {ok} kernels to PTX")
for name, signature, error in fail:
    print(f"FAIL {name} {signature}: {error}")
sys.exit(1 if fail else 0)
