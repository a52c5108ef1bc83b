import numpy as np
import pytest

from utils import data


def test_get_file_explains_an_offline_failure(tmp_path):
    # Port 9 on the loopback interface refuses connections at once: an offline machine, in effect.
    with pytest.raises(data.DatasetUnavailable) as err:
        data.get_file("nothing.npz", "http://127.0.0.1:9/nothing.npz", cache_dir=tmp_path)
    msg = str(err.value)
    assert "nothing.npz" in msg and "offline" in msg
    assert str(tmp_path / "datasets" / "nothing.npz") in msg
    assert "Traceback" not in msg


def test_get_file_uses_a_cached_copy_without_downloading(tmp_path):
    target = tmp_path / "datasets" / "cached.txt"
    target.parent.mkdir(parents=True)
    target.write_text("hello")
    path = data.get_file("cached.txt", "http://127.0.0.1:9/cached.txt", cache_dir=tmp_path)
    assert path == target and path.read_text() == "hello"


def test_get_file_checks_the_hash_of_a_cached_copy(tmp_path):
    import hashlib

    target = tmp_path / "datasets" / "c.txt"
    target.parent.mkdir(parents=True)
    target.write_text("hello")
    good = hashlib.sha256(b"hello").hexdigest()
    assert data.get_file("c.txt", "http://127.0.0.1:9/c.txt", file_hash=good, cache_dir=tmp_path) == target
    # A wrong hash makes Keras try to download again, which fails here: the learner is told why.
    with pytest.raises(data.DatasetUnavailable):
        data.get_file("c.txt", "http://127.0.0.1:9/c.txt", file_hash="0" * 64, cache_dir=tmp_path)


@pytest.mark.parametrize("kwargs", [{"fname": "", "origin": "http://x"}, {"fname": "a", "origin": ""},
                                    {"fname": "a", "origin": "http://x", "file_hash": "abc"}])
def test_get_file_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        data.get_file(**kwargs)


def test_load_cifar10_flattens_labels_and_explains_an_offline_failure(monkeypatch):
    import keras

    fake = ((np.zeros((4, 32, 32, 3), np.uint8), np.arange(4).reshape(4, 1)),
            (np.zeros((2, 32, 32, 3), np.uint8), np.arange(2).reshape(2, 1)))
    monkeypatch.setattr(keras.datasets.cifar10, "load_data", lambda: fake)
    (x, y), (xt, yt) = data.load_cifar10()
    assert x.shape == (4, 32, 32, 3) and y.shape == (4,) and yt.tolist() == [0, 1]

    def offline():
        raise Exception("URL fetch failure on https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz: None")

    monkeypatch.setattr(keras.datasets.cifar10, "load_data", offline)
    with pytest.raises(data.DatasetUnavailable, match="offline"):
        data.load_cifar10()


def test_offline_message_is_one_paragraph():
    msg = data.offline_message("f.npz", "https://example.org/f.npz", data.keras_home() / "datasets" / "f.npz")
    assert "\n" not in msg and "KERAS_HOME" in msg and "f.npz" in msg


def test_load_mnist_from_the_cache():
    (x, y), (xt, yt) = data.load_mnist()
    assert x.shape == (60000, 28, 28) and xt.shape == (10000, 28, 28) and x.dtype == np.uint8
    assert set(np.unique(y)) == set(range(10))


def test_load_fashion_mnist_from_the_cache():
    (x, y), (xt, yt) = data.load_fashion_mnist()
    assert x.shape == (60000, 28, 28) and yt.shape == (10000,)
    assert len(data.FASHION_MNIST_CLASSES) == 10


def test_subset_keeps_pairs_aligned():
    x = np.arange(100)
    y = x * 10
    xs, ys = data.subset(x, y, 7, seed=1)
    assert len(xs) == 7 and np.array_equal(ys, xs * 10) and len(set(xs)) == 7
    assert data.subset(x, y, None)[0] is x and data.subset(x, y, 1000)[0] is x
    with pytest.raises(ValueError):
        data.subset(x, y[:5], 3)
    with pytest.raises(ValueError):
        data.subset(x, y, 0)
