#!/usr/bin/env bash
# Build the documentation offline, executing every gallery example; warnings are errors.
# Usage: docs/build.sh [python]   (default: python on PATH). Output: docs/_build/html
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${1:-python}"
export MPLBACKEND=Agg PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 NUMBA_NUM_THREADS=1
rm -rf docs/_build docs/auto_examples docs/generated docs/sg_execution_times.rst  # clean: runs every example
exec "$PYTHON" -m sphinx -W --keep-going -b html docs docs/_build/html
