"""Dataset loading through Keras' own download cache.

Files are fetched once into Keras' cache (``~/.keras/datasets`` or
``$KERAS_HOME/datasets``) and reused after that. When a download fails, the
learner gets :class:`DatasetUnavailable` with one paragraph that names the file,
where to put it by hand, and that the machine seems to be offline, instead of a
long urllib traceback.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np

T = TypeVar("T")

MNIST_CLASSES = [str(d) for d in range(10)]
FASHION_MNIST_CLASSES = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]


class DatasetUnavailable(RuntimeError):
    """A data file could not be downloaded and is not in Keras' cache."""


def keras_home() -> Path:
    """Keras' cache root: ``$KERAS_HOME`` if set when Keras was imported, else ``~/.keras``."""
    try:
        from keras.src.backend.config import keras_home as _home

        return Path(_home())
    except ImportError:  # older or newer layouts: the documented rule
        if "KERAS_HOME" in os.environ:
            return Path(os.environ["KERAS_HOME"])
        base = Path.home() if os.access(Path.home(), os.W_OK) else Path("/tmp")
        return base / ".keras"


def offline_message(fname: str, origin: str, target: Path, reason: object = "") -> str:
    """The paragraph a learner sees when a download fails."""
    return (
        f"Could not download {fname!r} from {origin}"
        + (f" ({reason})" if reason else "")
        + f". This machine seems to be offline, or that host cannot be reached from it. "
        f"Download the file on a machine that has internet access and copy it to {target} "
        f"(exactly that name), then run this cell again: Keras will find it there and not "
        f"download it again. If you use a different cache folder, set the KERAS_HOME "
        f"environment variable before starting Jupyter."
    )


def _friendly(load: Callable[[], T], fname: str, origin: str, target: Path) -> T:
    try:
        return load()
    except Exception as exc:  # Keras wraps urllib errors in a bare Exception
        if target.exists() and "URL fetch failure" not in str(exc):
            raise
        raise DatasetUnavailable(offline_message(fname, origin, target, exc)) from exc


def get_file(
    fname: str,
    origin: str,
    file_hash: str | None = None,
    extract: bool = False,
    cache_dir: str | os.PathLike[str] | None = None,
    cache_subdir: str = "datasets",
) -> Path:
    """``keras.utils.get_file`` with a clear message when the download fails.

    Args:
        fname: file name in the cache; pass exactly the name the chapter gives,
            so a copy placed by hand is found.
        origin: the URL to download from.
        file_hash: sha256 (64 hex digits) or md5 (32) the file must have;
            ``None`` accepts any file already in the cache.
        extract: unpack an archive; the extraction folder is returned.
        cache_dir: cache root (default: Keras' own, see :func:`keras_home`).
        cache_subdir: folder under the cache root.

    Raises:
        ValueError: on an empty name or origin, or a hash that is neither sha256 nor md5.
        DatasetUnavailable: if the file is not cached and cannot be downloaded.
    """
    if not fname or not origin:
        raise ValueError("fname and origin must both be non-empty")
    if file_hash is not None and (len(file_hash) not in (32, 64) or not all(c in "0123456789abcdefABCDEF" for c in file_hash)):
        raise ValueError(f"file_hash must be 64 (sha256) or 32 (md5) hex digits, got {file_hash!r}")
    import keras

    root = Path(cache_dir) if cache_dir is not None else keras_home()
    target = root / cache_subdir / fname

    def load() -> str:
        return keras.utils.get_file(
            fname=fname, origin=origin, file_hash=file_hash, extract=extract,
            cache_dir=str(root), cache_subdir=cache_subdir,
        )

    return Path(_friendly(load, fname, origin, target))


def load_mnist() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """MNIST digits via ``keras.datasets.mnist``: uint8 images 28x28, labels 0-9."""
    import keras

    return _friendly(
        keras.datasets.mnist.load_data, "mnist.npz",
        "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
        keras_home() / "datasets" / "mnist.npz",
    )


def load_fashion_mnist() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Fashion-MNIST via ``keras.datasets.fashion_mnist``; names in :data:`FASHION_MNIST_CLASSES`."""
    import keras

    return _friendly(
        keras.datasets.fashion_mnist.load_data, "train-labels-idx1-ubyte.gz (and 3 more)",
        "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
        keras_home() / "datasets" / "fashion-mnist",
    )


def subset(x: np.ndarray, y: np.ndarray, n: int | None, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A random subset of ``n`` examples (all of them if ``n`` is None or too large).

    Used by quick mode to shrink a data set while keeping x and y aligned.

    Raises:
        ValueError: if x and y differ in length or n is not positive.
    """
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} examples but y has {len(y)}")
    if n is None or n >= len(x):
        return x, y
    if n <= 0:
        raise ValueError(f"n must be positive, got {n}")
    idx = np.random.default_rng(seed).choice(len(x), size=n, replace=False)
    return x[idx], y[idx]
