import numpy as np
import pytest

from utils import models


def test_to_input_adds_the_channel_axis_and_scales_to_0_1():
    images = np.array([[[0, 255], [51, 102]]] * 3, dtype=np.uint8)
    x = models.to_input(images)
    assert x.shape == (3, 2, 2, 1) and x.dtype == np.float32
    assert x.min() == 0.0 and x.max() == 1.0 and np.isclose(x[0, 1, 0, 0], 0.2)


@pytest.mark.parametrize("shape", [(28, 28), (2, 28, 28, 1)])
def test_to_input_rejects_what_is_not_a_stack_of_grey_images(shape):
    with pytest.raises(ValueError, match=r"\(n, height, width\)"):
        models.to_input(np.zeros(shape, np.uint8))


def test_build_cnn_is_chapter_08s_network():
    model = models.build_cnn()
    names = [layer.name for layer in model.layers][1:]   # after the input layer
    assert names == [
        "conv1", "pool1", "bn1", "relu1", "conv2", "pool2", "bn2", "relu2",
        "drop_conv", "flatten", "dense", "drop_dense", "output"]
    # conv1 288 + bn1 128 + conv2 18,432 + bn2 256 + dense 7*7*64*128 + 128 + output 1,290
    assert model.count_params() == 288 + 128 + 18_432 + 256 + 401_536 + 1_290
    assert model.output_shape == (None, 10) and model.get_layer("output").dtype_policy.compute_dtype == "float32"
    assert not model.get_layer("conv1").use_bias and model.get_layer("bn1").momentum == 0.9
    assert model.optimizer is not None, "build_cnn compiles the model"


def test_build_cnn_options_and_the_logits_variant():
    plain = models.build_cnn(filters=(4,), batchnorm=False, dropout=None, dense_units=8)
    assert [layer.name for layer in plain.layers][1:] == ["conv1", "pool1", "relu1", "flatten", "dense", "output"]
    assert plain.get_layer("conv1").use_bias
    deep = models.build_cnn(image_shape=(32, 32, 3), filters=(4, 8), convs_per_block=2, augment=True, dense_units=8)
    assert {"conv1a", "conv1b", "conv2a", "conv2b", "augmentation"} <= {layer.name for layer in deep.layers}
    pools = [layer.name for layer in deep.layers if layer.name.startswith("pool")]
    assert pools == ["pool1b", "pool2b"], "only the last convolution of a block pools"
    assert deep.get_layer("bn1a").output.shape[1:3] == (32, 32) and deep.get_layer("bn1b").output.shape[1:3] == (16, 16)
    with_logits = models.build_cnn(logits=True)
    assert with_logits.count_params() == models.build_cnn().count_params()
    assert with_logits.get_layer("logits").activation.__name__ == "linear"
    assert with_logits.layers[-1].name == "probs"


def test_build_cnn_fits_a_tiny_problem():
    import keras

    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).random((64, 12, 12, 1)).astype("float32")
    y = (x[:, :6].mean(axis=(1, 2, 3)) > x[:, 6:].mean(axis=(1, 2, 3))).astype(int)   # top half brighter?
    model = models.build_cnn(image_shape=(12, 12, 1), filters=(4,), dropout=None, dense_units=8, learning_rate=1e-2)
    history = model.fit(x, y, epochs=5, batch_size=16, verbose=0).history
    assert history["loss"][-1] < history["loss"][0]
    probs = model.predict(x[:3], verbose=0)
    assert probs.shape == (3, 10) and np.allclose(probs.sum(axis=1), 1, atol=1e-5)


def test_build_cnn_keeps_its_random_draws_in_order():
    """Same seed, same weights: the layers draw their seeds in a fixed order."""
    import keras

    weights = []
    for _ in range(2):
        keras.utils.set_random_seed(3)
        weights.append(models.build_cnn(filters=(2,), dense_units=4, logits=True).get_weights())
    assert all(np.array_equal(a, b) for a, b in zip(*weights))


@pytest.mark.parametrize("kwargs, message", [
    ({"image_shape": (28, 28)}, "image_shape"),
    ({"filters": ()}, "filters"),
    ({"convs_per_block": 5}, "convs_per_block"),
    ({"dropout": (0.1,)}, "dropout"),
    ({"dropout": (0.1, 1.0)}, "dropout"),
    ({"dense_units": 0}, "dense_units"),
])
def test_build_cnn_rejects_settings_it_cannot_build(kwargs, message):
    with pytest.raises(ValueError, match=message):
        models.build_cnn(**kwargs)


def vectorizer(max_tokens=20):
    import keras

    layer = keras.layers.TextVectorization(max_tokens=max_tokens, ragged=True)
    layer.adapt(["a b c d e f", "a b c", "a"])
    return layer


def test_to_ids_keeps_the_end_and_pads_at_the_end():
    layer = vectorizer()
    ids = models.to_ids(["a b c d e f", "b", "zzz"], layer, 4)
    assert ids.shape == (3, 4) and ids.dtype == np.int32
    vocab = layer.get_vocabulary()
    assert [vocab[i] for i in ids[0]] == ["c", "d", "e", "f"]                       # the last 4 tokens
    assert ids[1].tolist() == [vocab.index("b"), 0, 0, 0]                          # padded at the end
    assert ids[2].tolist() == [1, 0, 0, 0]                                         # [UNK]


def test_to_ids_rejects_a_bad_length_and_a_dense_vectorizer():
    import keras

    with pytest.raises(ValueError, match="max_len"):
        models.to_ids(["a"], vectorizer(), 0)
    dense = keras.layers.TextVectorization(max_tokens=10, output_sequence_length=5)
    dense.adapt(["a b"])
    with pytest.raises(ValueError, match="ragged=True"):
        models.to_ids(["a b"], dense, 3)


def test_build_baseline_averages_over_real_tokens_only():
    import keras

    keras.utils.set_random_seed(0)
    model = models.build_baseline(vocab_size=30, max_len=6, embed_dim=4, dropout=0.4)
    assert model.count_params() == 30 * 4 + 4 + 1 and model.output_shape == (None, 1)
    assert model.get_layer("embedding").input_dim == 30 and model.get_layer("score").units == 1
    ids = np.array([[5, 7, 0, 0, 0, 0], [5, 7, 5, 7, 0, 0]], dtype="int32")
    p = model.predict(ids, verbose=0)[:, 0]
    assert np.isclose(p[0], p[1], atol=1e-6), "the padding must not change the average"
    x = np.random.default_rng(0).integers(1, 30, size=(64, 6)).astype("int32")
    y = (x[:, 0] > 15).astype("float32")
    history = model.fit(x, y, epochs=3, batch_size=16, verbose=0).history
    assert np.all(np.isfinite(history["loss"]))


@pytest.mark.parametrize("kwargs", [{"vocab_size": 0}, {"max_len": 0}, {"embed_dim": 0}, {"dropout": 1.0}])
def test_build_baseline_rejects_bad_sizes(kwargs):
    args = {"vocab_size": 10, "max_len": 5, "embed_dim": 4, "dropout": 0.2, **kwargs}
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        models.build_baseline(**args)


def test_build_resnet_is_chapter_09s_network():
    keras = pytest.importorskip("keras")
    model = models.build_resnet(blocks_per_stage=2)
    convs = [layer.name for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    main = [name for name in convs if not name.startswith("proj")]
    assert len(main) == 1 + 2 * 3 * 2 and {"proj2_1", "proj3_1"} == set(convs) - set(main)
    assert model.get_layer("relu3_2b").output.shape[1:] == (7, 7, 32)
    assert model.get_layer("gap").output.shape[1:] == (32,) and model.output_shape == (None, 10)
    assert model.get_layer("logits").activation.__name__ == "linear" and model.optimizer is not None
    plain = models.build_resnet(blocks_per_stage=2, residual=False)
    assert not any(isinstance(layer, keras.layers.Add) for layer in plain.layers)
    # the residual version adds exactly the two projections (1x1 conv + BN) of the stride-2 blocks
    assert model.count_params() - plain.count_params() == (8 * 16 + 4 * 16) + (16 * 32 + 4 * 32)


def test_residual_block_shortcuts():
    keras = pytest.importorskip("keras")
    x = keras.Input((8, 8, 4))
    same = keras.Model(x, models.residual_block(x, 4, "i"))
    assert "proji" not in [layer.name for layer in same.layers], "matching shapes: identity shortcut"
    down = keras.Model(x, models.residual_block(x, 6, "p", stride=2))
    assert down.output.shape[1:] == (4, 4, 6) and down.get_layer("projp").strides == (2, 2)
    # with the residual branch's last BN scaled to 0, an identity block is ReLU(x)
    same.get_layer("bnib").set_weights([np.zeros(4, "float32"), *same.get_layer("bnib").get_weights()[1:]])
    images = np.random.default_rng(0).normal(size=(2, 8, 8, 4)).astype("float32")
    assert np.allclose(same(images, training=False), np.maximum(images, 0), atol=1e-6)


@pytest.mark.parametrize("kwargs, message", [
    ({"image_shape": (28, 28)}, "image_shape"), ({"widths": ()}, "widths"),
    ({"blocks_per_stage": 0}, "blocks_per_stage"), ({"n_classes": 1}, "n_classes"),
])
def test_build_resnet_rejects_settings_it_cannot_build(kwargs, message):
    with pytest.raises(ValueError, match=message):
        models.build_resnet(**kwargs)
