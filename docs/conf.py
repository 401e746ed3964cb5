"""Sphinx configuration of the sklreg documentation (builds offline)."""

import os
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
autodoc_default_options = {"members": True, "inherited-members": False}
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
    "backreferences_dir": None,
    "show_memory": False,
    "show_signature": False,
}

warnings.filterwarnings("ignore", category=UserWarning,
                        message="Matplotlib is currently using agg")
