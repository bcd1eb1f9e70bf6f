"""Sphinx configuration for kapre_like's documentation."""

import os
import sys

sys.path.insert(0, os.path.abspath(".."))

project = "kapre_like"
author = "The kapre_like developers"
extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.viewcode"]
autodoc_member_order = "bysource"
napoleon_google_docstring = True
html_theme = "alabaster"
exclude_patterns = ["_build"]
