"""Maintainer and instructor tooling for the series; notebooks never import anything from here.

``tools/`` holds what is used *around* the chapters rather than inside them: the
rendered book (:mod:`tools.book`, ``python -m tools.book``), built from the
notebooks that ``python -m utils.runner`` executed, and the helpers that drive
JupyterLab and the book in headless Chromium for the browser tests
(:mod:`tools.browser`). Its extra dependencies (Jupyter Book, Playwright) live in
``requirements-docs.txt``, so a learner's ``requirements.txt`` stays as it is;
the Colab bootstrap cell never fetches or needs this package.
"""
