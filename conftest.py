"""pytest setup for the whole repository (unit tests and notebooks).

* Quick mode is the default under pytest, so CI executes every notebook in
  seconds; ``NN_QUICK=0 pytest`` runs them in full mode instead.
* TensorFlow's log noise is turned down for the notebook kernels that nbval
  starts (they inherit this environment). Kernels keep Jupyter's inline
  matplotlib backend, so every figure is really drawn (a broken label fails).
"""

import os

os.environ.setdefault("NN_QUICK", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
