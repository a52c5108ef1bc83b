"""Maintainer and instructor tooling for the series; notebooks never import anything from here.

``tools/`` holds what is used *around* the chapters rather than inside them (the student
release leaves it out; the learner's package is ``utils/``). One command each::

    python -m tools.course OWNER/REPO     # re-point badges and bootstrap cells at a fork
    python -m tools.strip notebooks/*.ipynb  # strip outputs (the pre-commit hook)
    python -m tools.runner                # full-mode run: results/, README table, title run times
    python -m tools.release               # the student release (and --update-guide)
    python -m tools.book                  # the rendered book, from the runner's executed notebooks
    python -m tools.benchmark             # chapter 08's CNN vs the keras.io convnet recipe, timed here
    python -m tools.renumber --insert NN  # free number NN for a new chapter: chapters NN.. move up by one

:mod:`tools.browser` drives JupyterLab and the book in headless Chromium for the browser
tests; :mod:`tools.sections` rewrites the generated parts of README.md and the instructor
guide. The book's and the browser's extra dependencies (Jupyter Book, Playwright) live in
``requirements-docs.txt``, so a learner's ``requirements.txt`` stays as it is.
"""
