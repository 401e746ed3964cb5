import pytest

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
