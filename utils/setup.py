"""One-call notebook setup: installs what is missing, quiet logs, seeds, TF32 off, plot style, device report.

A chapter's setup cell (the code cell after the bootstrap) starts with::

    from utils.setup import setup_notebook
    info = setup_notebook(seed=42)
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import os
import platform
import subprocess
import sys
from collections.abc import Iterator, Mapping

QUICK_ENV = "NN_QUICK"
"""Environment variable that switches every notebook to quick mode (``NN_QUICK=1``)."""

SEED_ENV = "NN_SEED"
"""Environment variable that overrides the seed every chapter passes to :func:`setup_notebook`.

The full-mode runner's ``--seeds 42 43 44`` sets it, so each chapter runs as a learner's
would after changing ``seed=42`` in its setup cell."""

FORCE_GPU_ENV = "NN_FORCE_GPU_PATHS"
"""Test switch: ``NN_FORCE_GPU_PATHS=1`` makes :func:`setup_notebook` report ``gpu=True`` and
:func:`gpu_supports_mixed_precision` answer True on a CPU, so that every cell branch written for a
GPU (tolerances, mixed precision) is executed in CI, where there is no GPU. Never set it when learning."""

NOTEBOOK_REQUIREMENTS: dict[str, str] = {
    "tensorflow": "tensorflow>=2.18,<2.22",
    "keras": "keras>=3.8,<4",
    "numpy": "numpy>=1.26",
    "matplotlib": "matplotlib>=3.8",
    "pandas": "pandas>=2.0",
}
"""Import name -> pip specifier of what the notebooks themselves import.

:func:`setup_notebook` installs only the entries that are not importable, so in
Colab (which ships all of them) nothing is installed and TensorFlow is never
replaced. Each specifier also appears verbatim in requirements.txt (tested).
"""

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}

# Environment variables that quiet TensorFlow's and its libraries' log output.
_QUIET_ENV = {
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "TF_CPP_MAX_VLOG_LEVEL": "-1",
    "GRPC_VERBOSITY": "ERROR",
    "ABSL_MIN_LOG_LEVEL": "3",
}


def quick_mode() -> bool:
    """Return True when the ``NN_QUICK`` environment variable asks for quick mode.

    Quick mode makes a notebook run in seconds (tiny epochs, data subsets); it is
    what CI uses. Unset, ``0`` or ``false`` means full mode, which is what
    learners run.

    Raises:
        ValueError: if the variable holds something other than a yes/no value.
    """
    return env_flag(QUICK_ENV)


@contextlib.contextmanager
def _stderr_fd_silenced() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null for the duration of the block.

    TensorFlow's C++ code logs straight to the process's stderr while it is being
    imported, before any Python-side setting can reach it; TF 2.21 ignores
    ``TF_CPP_MIN_LOG_LEVEL`` for these messages. Python exceptions are unaffected.
    """
    try:
        sys.stderr.flush()
    except (AttributeError, ValueError):
        pass
    try:
        saved = os.dup(2)
    except OSError:  # no usable fd 2 (unusual embedded interpreters)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def silence_tensorflow_logs() -> None:
    """Import TensorFlow quietly and lower its Python-side log level.

    Safe to call many times. It only silences the import if TensorFlow has not
    been imported yet in this process, which is why notebooks call
    :func:`setup_notebook` before anything else touches TensorFlow.
    """
    for key, value in _QUIET_ENV.items():
        os.environ.setdefault(key, value)
    if "tensorflow" not in sys.modules:
        with _stderr_fd_silenced():
            import keras  # noqa: F401
            import tensorflow  # noqa: F401
    import absl.logging
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    absl.logging.set_verbosity(absl.logging.ERROR)


@dataclasses.dataclass(frozen=True)
class EnvironmentInfo:
    """What :func:`setup_notebook` found: versions, device and mode."""

    python: str
    tensorflow: str
    keras: str
    numpy: str
    device: str
    gpu: bool
    quick: bool
    seed: int
    tf32: bool = False

    def line(self) -> str:
        """One human-readable line, as printed at the top of every notebook."""
        mode = "quick mode" if self.quick else "full mode"
        tf32 = "TF32 on" if self.tf32 else "TF32 off"
        return (
            f"Python {self.python} | TensorFlow {self.tensorflow} | Keras {self.keras} | "
            f"NumPy {self.numpy} | device: {self.device} | {tf32} | {mode} | seed {self.seed}"
        )


def env_flag(name: str) -> bool:
    """True when the environment variable ``name`` holds a yes value (1/true/yes/on).

    Raises:
        ValueError: if it holds something other than a yes/no value.
    """
    value = os.environ.get(name, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name}={value!r} is not understood: use 1/true/yes/on or 0/false/no/off (or leave it unset).")


def gpu_paths_forced() -> bool:
    """True when the test switch :data:`FORCE_GPU_ENV` asks for the GPU code paths on any device."""
    return env_flag(FORCE_GPU_ENV)


def seed_override(seed: int) -> int:
    """``seed``, unless :data:`SEED_ENV` is set, in which case the seed it holds.

    Raises:
        ValueError: if the variable is not a non-negative integer.
    """
    value = os.environ.get(SEED_ENV, "").strip()
    if not value:
        return seed
    if not value.isdigit():
        raise ValueError(f"{SEED_ENV}={value!r} must be a non-negative integer (or unset).")
    return int(value)


def device_name() -> str:
    """Name of the device Keras will train on: the first GPU's name, else ``CPU (N cores)``."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        details = tf.config.experimental.get_device_details(gpus[0])
        name = details.get("device_name", gpus[0].name)
        return f"GPU: {name}" + (f" (+{len(gpus) - 1} more)" if len(gpus) > 1 else "")
    return f"CPU ({os.cpu_count()} cores)"


def _enable_memory_growth() -> None:
    import tensorflow as tf

    for gpu in tf.config.list_physical_devices("GPU"):
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
        except RuntimeError:
            # Already initialised (the setup cell was re-run): growth was set the first time.
            pass


def setup_notebook(seed: int = 42, *, style: bool = True, report: bool = True) -> EnvironmentInfo:
    """Prepare a notebook in one call.

    0. installs whatever of :data:`NOTEBOOK_REQUIREMENTS` is missing (in Colab: nothing);
    1. quiets TensorFlow's C++ and Python log noise (before TensorFlow is imported);
    2. enables GPU memory growth, so one notebook does not grab the whole card;
    3. turns TensorFloat-32 off: Ampere and newer GPUs (Colab's L4 and A100) would otherwise
       multiply float32 matrices with 10-bit mantissas, and the series' from-scratch-vs-Keras
       comparisons at 1e-5 would fail there (it changes nothing on a CPU);
    4. seeds Python, NumPy and TensorFlow through ``keras.utils.set_random_seed``;
    5. applies the series' matplotlib style;
    6. prints one line with the versions, the device, TF32, the mode and the seed.

    Re-running it (or the whole notebook) in the same kernel is safe.

    Args:
        seed: the random seed for Python, NumPy and TensorFlow; the environment
            variable ``NN_SEED`` overrides it (the runner's ``--seeds`` uses that).
        style: apply the series' matplotlib style.
        report: print the one-line environment report.

    Raises:
        ValueError: if ``seed`` is not a non-negative integer.
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    seed = seed_override(seed)
    installed = install_missing(NOTEBOOK_REQUIREMENTS)
    if installed and report:
        print("installed:", ", ".join(installed))
    silence_tensorflow_logs()
    import keras
    import numpy as np
    import tensorflow as tf

    with _stderr_fd_silenced():  # device discovery logs on GPU machines
        _enable_memory_growth()
        device = device_name()
    tf.config.experimental.enable_tensor_float_32_execution(False)
    forced = gpu_paths_forced()
    if forced:
        device += " (GPU code paths forced by NN_FORCE_GPU_PATHS)"
    keras.utils.set_random_seed(seed)
    if style:
        from utils.plots import use_style

        use_style()
    info = EnvironmentInfo(
        python=platform.python_version(),
        tensorflow=tf.__version__,
        keras=keras.__version__,
        numpy=np.__version__,
        device=device,
        gpu=device.startswith("GPU") or forced,
        quick=quick_mode(),
        seed=seed,
        tf32=tf.config.experimental.tensor_float_32_execution_enabled(),
    )
    if report:
        print(info.line())
    return info


def gpu_supports_mixed_precision() -> bool:
    """True when a GPU with compute capability 7.0 or newer (tensor cores) is present.

    Also True under the test switch :data:`FORCE_GPU_ENV`, so CI executes the mixed-precision
    branches on its CPU (where ``mixed_float16`` runs, slowly, but correctly).
    """
    import tensorflow as tf

    if gpu_paths_forced():
        return True
    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return False
    capability = tf.config.experimental.get_device_details(gpus[0]).get("compute_capability")
    return capability is not None and tuple(capability) >= (7, 0)


def enable_mixed_precision() -> bool:
    """Switch Keras to the ``mixed_float16`` policy where the GPU benefits from it.

    Returns True if it was switched on. On a CPU, or a GPU older than compute
    capability 7.0, it leaves the ``float32`` policy in place, says why and
    returns False: there, mixed precision only slows training down.
    Keep the output layer in float32 (``dtype="float32"``) for a stable softmax.
    """
    import keras

    if not gpu_supports_mixed_precision():
        print("Mixed precision not enabled: it needs a GPU with compute capability >= 7.0.")
        keras.mixed_precision.set_global_policy("float32")
        return False
    keras.mixed_precision.set_global_policy("mixed_float16")
    print("Mixed precision enabled: policy mixed_float16.")
    return True


def disable_mixed_precision() -> None:
    """Return to Keras' default ``float32`` policy."""
    import keras

    keras.mixed_precision.set_global_policy("float32")


def missing_packages(requirements: Mapping[str, str]) -> list[str]:
    """The pip specifiers in ``requirements`` whose import name cannot be found.

    Args:
        requirements: maps an import name (``"skimage"``) to a pip specifier
            (``"scikit-image>=0.22"``).

    Raises:
        ValueError: if an import name or specifier is empty.
    """
    missing = []
    for module, spec in requirements.items():
        if not module or not spec:
            raise ValueError(f"need a non-empty import name and pip specifier, got {module!r}: {spec!r}")
        if importlib.util.find_spec(module) is None:
            missing.append(spec)
    return missing


def install_missing(requirements: Mapping[str, str]) -> list[str]:
    """``pip install`` only those of ``requirements`` that are not importable yet.

    :func:`setup_notebook` runs it first, so Colab's own TensorFlow and
    Keras are never reinstalled. Returns the specifiers it installed.
    """
    missing = missing_packages(requirements)
    if missing:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", *missing], check=True)
    return missing
