"""The API reference (docs/api.rst) lists every public name."""

import re
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
