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
    hex_digits = "0123456789abcdefABCDEF"
    if file_hash is not None and (len(file_hash) not in (32, 64) or not all(c in hex_digits for c in file_hash)):
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


CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def load_cifar10() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """CIFAR-10 via ``keras.datasets.cifar10``: uint8 colour images 32x32x3, labels 0-9 as a flat vector.

    A 170 MB download the first time; offline, :class:`DatasetUnavailable` says what to do.
    Keras returns the labels with shape ``(n, 1)``; here they are flattened to ``(n,)`` like
    every other loader's. Names in :data:`CIFAR10_CLASSES`.
    """
    import keras

    (x, y), (xt, yt) = _friendly(
        keras.datasets.cifar10.load_data, "cifar-10-python.tar.gz",
        "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
        keras_home() / "datasets" / "cifar-10-batches-py-target",
    )
    return (x, np.ravel(y)), (xt, np.ravel(yt))


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


# --- IMDB movie reviews (Large Movie Review Dataset, raw text) ----------------------------

IMDB_FILE = "aclImdb_v1.tar.gz"
IMDB_URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
IMDB_EXTRACTED = "aclImdb_v1_extracted"
"""Where Keras 3's ``get_file(IMDB_FILE, extract=True)`` extracts: the name up to its first dot + ``_extracted``."""
IMDB_CLASSES = ["neg", "pos"]
"""Label 0 is a negative review, label 1 a positive one (the sub-folder names)."""
IMDB_REVIEWS_PER_FOLDER = 12_500
"""Reviews in each of train/neg, train/pos, test/neg, test/pos; fewer means an interrupted extraction."""


def _imdb_complete(folder: Path) -> bool:
    """True when ``folder`` (an ``aclImdb`` folder) holds every labelled review."""
    for split in ("train", "test"):
        for label in IMDB_CLASSES:
            sub = folder / split / label
            if not sub.is_dir() or sum(1 for _ in os.scandir(sub)) < IMDB_REVIEWS_PER_FOLDER:
                return False
    return True


def imdb_dir(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """The extracted ``aclImdb`` folder, downloading and extracting the archive only once.

    ``keras.utils.get_file(..., extract=True)`` unpacks the archive again on every
    call (about 25 s on 2 cores), so an extraction already in Keras' cache (made by
    this function, by Keras or by a TensorFlow tutorial: ``datasets/aclImdb_v1_extracted``)
    is reused as it is. If the cache folder is read-only (an archive seeded there by
    hand), the archive is extracted under the temporary folder instead.

    Args:
        cache_dir: cache root (default: Keras' own, see :func:`keras_home`).

    Raises:
        DatasetUnavailable: if the archive is not cached and cannot be downloaded.
    """
    import tempfile

    datasets = (Path(cache_dir) if cache_dir is not None else keras_home()) / "datasets"
    fallback = Path(tempfile.gettempdir()) / ".keras" / "datasets"
    for base in (datasets, fallback):
        if _imdb_complete(base / IMDB_EXTRACTED / "aclImdb"):
            return base / IMDB_EXTRACTED / "aclImdb"
    archive = datasets / IMDB_FILE
    if not archive.exists() or os.access(datasets, os.W_OK):
        try:
            return get_file(IMDB_FILE, IMDB_URL, extract=True, cache_dir=datasets.parent) / "aclImdb"
        except PermissionError:
            if not archive.exists():
                raise
    # The archive is in a cache we may not write to: extract a link to it elsewhere.
    fallback.mkdir(parents=True, exist_ok=True)
    link = fallback / IMDB_FILE
    if not link.exists():
        link.symlink_to(archive.resolve())
    return get_file(IMDB_FILE, IMDB_URL, extract=True, cache_dir=fallback.parent) / "aclImdb"


def read_imdb_split(
    folder: str | os.PathLike[str], n: int | None = None, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Raw reviews and labels from one split folder of ``aclImdb`` (``train`` or ``test``).

    Only the ``neg`` (label 0) and ``pos`` (label 1) sub-folders are read: ``train/unsup``
    holds 50,000 unlabelled reviews and is not a class. The reviews come in a random
    order fixed by ``seed``; with ``n``, only the first ``n`` of that order are read
    from disk, which is what makes quick mode quick.

    Returns:
        ``(texts, labels)``: an object array of Python strings (still with their
        ``<br />`` markup) and an int64 array of 0/1.

    Raises:
        ValueError: if ``folder`` lacks a ``neg`` or ``pos`` sub-folder, or ``n`` is not positive.
    """
    folder = Path(folder)
    if n is not None and n <= 0:
        raise ValueError(f"n must be positive (or None for every review), got {n}")
    paths, labels = [], []
    for label, name in enumerate(IMDB_CLASSES):
        sub = folder / name
        if not sub.is_dir():
            raise ValueError(f"{folder} should hold the sub-folders {IMDB_CLASSES}, but {name!r} is missing")
        files = sorted(p for p in os.listdir(sub) if p.endswith(".txt"))
        paths += [sub / p for p in files]
        labels += [label] * len(files)
    order = np.random.default_rng(seed).permutation(len(paths))[:n]
    texts = np.empty(len(order), dtype=object)
    for i, j in enumerate(order):
        texts[i] = paths[j].read_text(encoding="utf-8")
    return texts, np.asarray(labels, dtype=np.int64)[order]


def load_imdb(
    n_train: int | None = None,
    n_test: int | None = None,
    validation_split: float = 0.2,
    seed: int = 0,
    cache_dir: str | os.PathLike[str] | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """IMDB movie reviews as raw text: ``(train, validation, test)``, each ``(texts, labels)``.

    The 25,000 training reviews (or a random ``n_train`` of them) are split into
    training and validation sets; the test set is the 25,000 test reviews (or a
    random ``n_test``). Labels: 0 negative, 1 positive (:data:`IMDB_CLASSES`). The
    archive is downloaded and extracted once (see :func:`imdb_dir`).

    Args:
        n_train: reviews taken from the training folder before the split (None: all).
        n_test: reviews taken from the test folder (None: all).
        validation_split: fraction of those training reviews held out for validation.
        seed: fixes which reviews are taken and their order.
        cache_dir: cache root (default: Keras' own).

    Raises:
        ValueError: if ``n_train`` or ``n_test`` is not a positive int, or ``validation_split``
            is not a number in [0, 1).
        DatasetUnavailable: if the archive is not cached and cannot be downloaded.
    """
    for name, n in (("n_train", n_train), ("n_test", n_test)):
        if n is not None and (not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n <= 0):
            raise ValueError(f"{name} must be a positive int or None, got {n!r}")
    if not isinstance(validation_split, (int, float)) or not 0 <= validation_split < 1:
        raise ValueError(f"validation_split must be in [0, 1), got {validation_split}")
    root = imdb_dir(cache_dir)
    x, y = read_imdb_split(root / "train", n_train, seed)
    n_val = int(len(x) * validation_split)
    x_test, y_test = read_imdb_split(root / "test", n_test, seed + 1)
    return (x[n_val:], y[n_val:]), (x[:n_val], y[:n_val]), (x_test, y_test)


def standardize_review(text: object) -> object:
    """Clean review text for ``keras.layers.TextVectorization(standardize=standardize_review)``.

    Lower-cases (UTF-8 aware), turns the ``<br />`` line breaks into spaces, drops
    apostrophes (``don't`` -> ``dont``), turns every other punctuation mark into a
    space and collapses runs of spaces. Works on a string, a list of strings or a
    string tensor, and returns a string tensor of the same shape.

    Raises:
        ValueError: if ``text`` is not made of strings.
    """
    import tensorflow as tf

    try:
        text = tf.convert_to_tensor(text)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"standardize_review expects strings, got {type(text).__name__}") from exc
    if text.dtype != tf.string:
        raise ValueError(f"standardize_review expects strings, got a tensor of {text.dtype.name}")
    text = tf.strings.lower(text, encoding="utf-8")
    text = tf.strings.regex_replace(text, r"<br\s*/?>", " ")
    text = tf.strings.regex_replace(text, r"['\x{2019}]", "")
    text = tf.strings.regex_replace(text, r"[[:punct:]]", " ")
    text = tf.strings.regex_replace(text, r"\s+", " ")
    return tf.strings.strip(text)
