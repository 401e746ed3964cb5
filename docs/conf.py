"""Sphinx configuration of the sklreg documentation (builds offline)."""

import os
import re
import sys
import warnings

import matplotlib

matplotlib.use("Agg")

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # document this checkout's sklreg

import sklreg  # noqa: E402

project = "sklreg"
author = "sklreg developers"
copyright = "2026, sklreg developers"
version = release = sklreg.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py",
                    "auto_examples/*.zip", "auto_examples/*.json", "auto_examples/*.md5"]
root_doc = "index"
default_role = "literal"

autosummary_generate = True
autosummary_imported_members = True
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

# The build needs no network. The one remote asset of the pages is MathJax, loaded by the
# reader's browser to typeset formulas; set SKLREG_MATHJAX_PATH to a local copy
# (e.g. "mathjax/tex-chtml.js" under html_static_path) for fully offline pages.
if os.environ.get("SKLREG_MATHJAX_PATH"):
    mathjax_path = os.environ["SKLREG_MATHJAX_PATH"]

html_theme = "pydata_sphinx_theme"
html_title = f"sklreg {release}"
html_theme_options = {
    "icon_links": [],
    "navbar_end": ["theme-switcher", "navbar-icon-links"],
    "use_edit_page_button": False,
    "show_version_warning_banner": False,
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "footer_start": ["copyright"],
    "footer_end": [],
}
html_static_path = []
html_show_sourcelink = False

sphinx_gallery_conf = {
    "examples_dirs": ["../examples"],
    "gallery_dirs": ["auto_examples"],
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    "download_all_examples": False,
    "plot_gallery": "True",
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "min_reported_time": 1,
    "abort_on_example_error": False,
    "reference_url": {},
    "backreferences_dir": "generated/backreferences",
    "doc_module": ("sklreg",),
    "show_memory": False,
    "show_signature": False,
    "capture_repr": (),  # no stray reprs of a block's last expression
    "write_computation_times": False,  # its page loads jQuery and DataTables from CDNs
}

warnings.filterwarnings("ignore", category=UserWarning,
                        message="Matplotlib is currently using agg")


# In reStructuredText a bare ``name_`` is a hyperlink reference, and docstrings mention
# fitted attributes such as n_features_in_ in shapes and prose: quote them as literals,
# before numpydoc parses the docstring and again after it (it inserts the docstrings of
# properties listed under Attributes). Attribute names before " : " are left alone.
_TRAILING_UNDERSCORE = re.compile(r"(?<![`\w.*|<])([A-Za-z]\w*_)(?![\w`])")
_ATTRIBUTE_HEADER = re.compile(r"\s*[\w*]+(, [\w*]+)*")


def _quote_trailing_underscores(app, what, name, obj, options, lines):
    for i, line in enumerate(lines):
        head, separator, tail = line.partition(" : ")
        if separator and _ATTRIBUTE_HEADER.fullmatch(head):
            lines[i] = head + separator + _TRAILING_UNDERSCORE.sub(r"``\1``", tail)
        else:
            lines[i] = _TRAILING_UNDERSCORE.sub(r"``\1``", line)


def _skip_foreign_members(app, what, name, obj, skip, options):
    """Document only the methods sklreg defines (not scikit-learn's set_*_request helpers,
    get_params, or tuple's count and index)."""
    function = obj.fget if isinstance(obj, property) else obj
    module = getattr(function, "__module__", None) if callable(function) else None
    if what == "class" and callable(function) and not (module or "").startswith("sklreg"):
        return True
    return None


def setup(app):
    app.connect("autodoc-process-docstring", _quote_trailing_underscores, priority=100)
    app.connect("autodoc-process-docstring", _quote_trailing_underscores, priority=900)
    app.connect("autodoc-skip-member", _skip_foreign_members)

