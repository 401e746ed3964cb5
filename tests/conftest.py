import os

import pytest
from hypothesis import HealthCheck, settings

from sklreg._datasets import ENV_VAR, find_data_dir, load_dataset


@pytest.fixture(scope="session")
def real_dataset():
    """Loader of the offline datasets; skips the test when the folder is absent."""
    data_dir = find_data_dir()
    if data_dir is None:
        pytest.skip(f"real datasets not available (set {ENV_VAR})")

    def load(name):
        if not (data_dir / f"{name}.npz").is_file():
            pytest.skip(f"dataset {name!r} not in {data_dir}")
        return load_dataset(name, data_dir)

    return load


# Property-based tests: a fast, reproducible default (CI) and a thorough profile selected by
# HYPOTHESIS_PROFILE=thorough (random examples, many more of them).
settings.register_profile(
    "fast", max_examples=30, deadline=None, derandomize=True, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough", max_examples=500, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fast"))
