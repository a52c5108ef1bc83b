"""pytest setup for the whole repository (unit tests and notebooks).

* Quick mode is the default under pytest, so CI executes every notebook in
  seconds; ``NN_QUICK=0 pytest`` runs them in full mode instead.
* Promises are strict under pytest (``NN_STRICT=1``): a missed promise fails the
  test, where a learner's notebook would only warn and go on.
* TensorFlow's log noise is turned down for the notebook kernels that nbval
  starts (they inherit this environment). Kernels keep Jupyter's inline
  matplotlib backend, so every figure is really drawn (a broken label fails).
"""

import os

os.environ.setdefault("NN_QUICK", "1")
os.environ["NN_STRICT"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
