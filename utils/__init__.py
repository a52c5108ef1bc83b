"""The learner's package: the only code the notebooks import (maintainer tooling is in ``tools/``).

Importing this package is cheap: no TensorFlow import happens until a helper
needs it, so notebooks can call :func:`utils.setup.setup_notebook` to silence
TensorFlow's C++ logs *before* TensorFlow is loaded (``models`` and ``training``
import Keras, so a chapter imports them after that call, in the cell that first uses them).

Modules
-------
setup    one-call notebook setup, quick mode, device report, mixed precision
plots    the figures that several chapters share
data     dataset loading through Keras' cache, with a clear offline message
checks   numerical comparisons that explain themselves when they fail
results  each chapter's headline metrics and the thresholds they must meet
models   models that more than one chapter builds, and their input converters
training training helpers that more than one chapter uses (epoch timer, schedule)
"""

__all__ = ["checks", "data", "models", "plots", "results", "setup", "training"]
