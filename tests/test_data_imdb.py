"""The IMDB loader in utils.data, on tiny fake aclImdb trees (no 25 s extraction)."""

import tarfile

import numpy as np
import pytest

from utils import data


def _fake_tree(root, per_folder=3):
    """An aclImdb folder with ``per_folder`` reviews per class, plus an unsup folder."""
    for split in ("train", "test"):
        for label in ("neg", "pos"):
            folder = root / split / label
            folder.mkdir(parents=True)
            for i in range(per_folder):
                (folder / f"{i}_{split}.txt").write_text(f"{split} {label} review {i}<br />Fine.", encoding="utf-8")
    unsup = root / "train" / "unsup"
    unsup.mkdir()
    (unsup / "0_0.txt").write_text("no label here", encoding="utf-8")
    (root / "train" / "urls_pos.txt").write_text("http://x", encoding="utf-8")
    return root


def test_read_imdb_split_reads_neg_and_pos_only(tmp_path):
    root = _fake_tree(tmp_path / "aclImdb")
    texts, labels = data.read_imdb_split(root / "train")
    assert len(texts) == 6 and texts.dtype == object and labels.dtype == np.int64
    assert all(t.startswith(f"train {'pos' if y else 'neg'}") for t, y in zip(texts, labels))
    assert sorted(labels.tolist()) == [0, 0, 0, 1, 1, 1]
    assert not any("no label" in t for t in texts)


def test_read_imdb_split_subset_is_seeded(tmp_path):
    root = _fake_tree(tmp_path / "aclImdb")
    a, ya = data.read_imdb_split(root / "test", n=4, seed=1)
    b, yb = data.read_imdb_split(root / "test", n=4, seed=1)
    assert len(a) == 4 and list(a) == list(b) and list(ya) == list(yb)
    full, _ = data.read_imdb_split(root / "test", seed=1)
    assert list(full[:4]) == list(a)  # a subset is the start of the same shuffled order
    assert len(data.read_imdb_split(root / "test", n=100)[0]) == 6


def test_read_imdb_split_rejects_bad_input(tmp_path):
    with pytest.raises(ValueError, match="neg"):
        data.read_imdb_split(tmp_path)
    root = _fake_tree(tmp_path / "aclImdb")
    with pytest.raises(ValueError):
        data.read_imdb_split(root / "train", n=0)


def _fake_cache(tmp_path, monkeypatch, per_folder=3):
    monkeypatch.setattr(data, "IMDB_REVIEWS_PER_FOLDER", per_folder)
    monkeypatch.setattr(data, "IMDB_URL", "http://127.0.0.1:9/aclImdb_v1.tar.gz")
    src = _fake_tree(tmp_path / "src" / "aclImdb", per_folder)
    cache = tmp_path / "cache"
    (cache / "datasets").mkdir(parents=True)
    with tarfile.open(cache / "datasets" / data.IMDB_FILE, "w:gz") as tar:
        tar.add(src, arcname="aclImdb")
    return cache


def test_imdb_dir_extracts_once_then_reuses(tmp_path, monkeypatch):
    cache = _fake_cache(tmp_path, monkeypatch)
    folder = data.imdb_dir(cache_dir=cache)
    assert folder == cache / "datasets" / data.IMDB_EXTRACTED / "aclImdb"
    assert (folder / "train" / "pos").is_dir()

    def no_get_file(*args, **kwargs):
        raise AssertionError("extracted again")

    monkeypatch.setattr(data, "get_file", no_get_file)
    assert data.imdb_dir(cache_dir=cache) == folder


def test_imdb_dir_completes_an_interrupted_extraction(tmp_path, monkeypatch):
    cache = _fake_cache(tmp_path, monkeypatch)
    partial = cache / "datasets" / data.IMDB_EXTRACTED / "aclImdb" / "test" / "neg"
    partial.mkdir(parents=True)
    (partial / "0_test.txt").write_text("half", encoding="utf-8")
    folder = data.imdb_dir(cache_dir=cache)
    assert len(list((folder / "train" / "neg").iterdir())) == 3


def test_load_imdb_splits_and_subsets(tmp_path, monkeypatch):
    cache = _fake_cache(tmp_path, monkeypatch, per_folder=5)
    (x, y), (xv, yv), (xt, yt) = data.load_imdb(validation_split=0.2, cache_dir=cache)
    assert (len(x), len(xv), len(xt)) == (8, 2, 10)
    assert not set(x) & set(xv)
    texts, labels = np.concatenate([x, xv, xt]), np.concatenate([y, yv, yt])
    assert all(("pos" in t) == bool(label) for t, label in zip(texts, labels))
    (x, _), (xv, _), (xt, _) = data.load_imdb(n_train=4, n_test=3, validation_split=0.5, seed=2, cache_dir=cache)
    assert (len(x), len(xv), len(xt)) == (2, 2, 3)


@pytest.mark.parametrize("kwargs", [{"n_train": 0}, {"n_test": -1}, {"n_train": 2.5}, {"validation_split": 1.0},
                                    {"validation_split": -0.1}, {"validation_split": "0.2"}])
def test_load_imdb_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        data.load_imdb(**kwargs)


def test_imdb_dir_explains_an_offline_failure(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "IMDB_URL", "http://127.0.0.1:9/aclImdb_v1.tar.gz")
    with pytest.raises(data.DatasetUnavailable, match="aclImdb_v1.tar.gz"):
        data.imdb_dir(cache_dir=tmp_path)


def test_standardize_review_cleans_markup_and_punctuation():
    out = data.standardize_review(["A GREAT film!<br /><br />I didn't like the end... 8/10",
                                   "Bad.<br/>Really   bad,really", "Ça c’est tout"])
    assert [s.decode() for s in out.numpy()] == ["a great film i didnt like the end 8 10",
                                                  "bad really bad really", "ça cest tout"]
    assert data.standardize_review("Hi!").numpy() == b"hi"


def test_standardize_review_works_inside_text_vectorization():
    import keras

    vectorize = keras.layers.TextVectorization(standardize=data.standardize_review, output_sequence_length=4)
    vectorize.adapt(["good<br />movie", "bad movie!"])
    assert "good" in vectorize.get_vocabulary() and "br" not in vectorize.get_vocabulary()
    assert vectorize(["Good movie."]).shape == (1, 4)


@pytest.mark.parametrize("bad", [[1, 2], 3.5, np.zeros(3)])
def test_standardize_review_rejects_non_strings(bad):
    with pytest.raises(ValueError):
        data.standardize_review(bad)
