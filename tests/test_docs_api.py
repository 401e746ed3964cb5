"""The API reference (docs/api.rst) lists every public name; their examples run."""

import doctest
import inspect
import re
import warnings
from pathlib import Path

import pytest

import sklreg
import sklreg.plotting

API_PAGE = Path(__file__).resolve().parents[1] / "docs" / "api.rst"


def listed_names(module_name):
    """Names listed in the autosummary tables that follow ``.. currentmodule:: module_name``."""
    names, current = set(), None
    for line in API_PAGE.read_text().splitlines():
        directive = re.match(r"\.\. currentmodule:: (\S+)", line)
        if directive:
            current = directive.group(1)
        elif current == module_name and re.fullmatch(r"   [A-Za-z_]\w*", line):
            names.add(line.strip())
    return names


@pytest.mark.skipif(not API_PAGE.exists(), reason="docs/ not in this checkout")
@pytest.mark.parametrize("module", [sklreg, sklreg.plotting], ids=lambda m: m.__name__)
def test_every_public_name_is_documented(module):
    public = {name for name in module.__all__ if not name.startswith("__")}
    assert public - listed_names(module.__name__) == set()
    assert listed_names(module.__name__) - public == set()


def public_objects():
    for module in (sklreg, sklreg.plotting):
        for name in module.__all__:
            obj = getattr(module, name)
            if not name.startswith("__") and inspect.getdoc(obj) and ">>>" in obj.__doc__:
                yield pytest.param(obj, id=f"{module.__name__}.{name}")


@pytest.mark.parametrize("obj", public_objects())
def test_docstring_examples_print_what_they_claim(obj):
    """The Examples sections are doctests: LinearRegressor's claimed 4 non-zero lasso
    coefficients on the diabetes data, where there are 7 (as with scikit-learn's Lasso)."""
    finder, runner = doctest.DocTestFinder(recurse=False), doctest.DocTestRunner(verbose=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. max_iter reached in a short example
        for test in finder.find(obj, obj.__name__, globs={}):
            runner.run(test)
    assert runner.failures == 0, f"{runner.failures} failing example(s) in {obj.__name__}"
