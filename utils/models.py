"""Models that more than one chapter builds, and the functions that turn raw data into their inputs.

Each function is taught in one chapter (its docstring says where; that chapter prints its code)
and imported by the later ones, so that a model compared across chapters is the same model.
This module imports Keras: import it after :func:`utils.setup.setup_notebook` has run (the chapters
import it in a later cell than their setup cell).

Keras draws a layer's random seed when the layer is created, so the order in which these functions
create their layers is part of what they compute: keep it when you change them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np

# ---------------------------------------------------------------------------------------------
# Images: chapter 08's CNN (chapter 16 explains its predictions)
# ---------------------------------------------------------------------------------------------


def to_input(images: np.ndarray) -> np.ndarray:
    """uint8 images (n, 28, 28) -> float32 images (n, 28, 28, 1) with values in [0, 1].

    Taught in chapter 08, section 1 (a convolution wants a channel axis); chapter 16 uses it too.

    Raises:
        ValueError: if ``images`` is not a stack of 2-D grey images, shape (n, height, width).
    """
    images = np.asarray(images)
    if images.ndim != 3:
        raise ValueError(f"to_input: expected grey images of shape (n, height, width), got shape {images.shape}")
    return images[..., None].astype("float32") / 255.0


def make_augmentation() -> keras.Sequential:
    """Random flips, shifts and zooms that keep a garment's class; active only in training.

    Taught in chapter 08, section 5; ``build_cnn(augment=True)`` puts it at the start of the network.
    """
    return keras.Sequential([
        keras.layers.RandomFlip("horizontal"),
        keras.layers.RandomTranslation(0.08, 0.08, fill_mode="constant"),
        keras.layers.RandomZoom(0.1, fill_mode="constant"),
    ], name="augmentation")


def conv_block(x: Any, n_filters: int, tag: str, batchnorm: bool = True, bn_momentum: float = 0.9,
               pool: bool = False) -> Any:
    """Conv2D(3x3, 'same') -> [MaxPooling(2x2)] -> [BatchNormalization] -> ReLU, layer names ending in ``tag``.

    Taught in chapter 08, section 3. The convolution has no bias when batch norm follows it (BN's
    beta does that job), and BN's running statistics follow the batches with ``bn_momentum``. With
    ``pool``, the block pools *before* batch norm and ReLU: max-pooling commutes with ReLU, and with
    BN's per-channel map at prediction time where its scale is positive (where it is negative, flipping
    the signs of the filter and of gamma gives the same map). So at prediction time the block can compute
    exactly what convolution -> BN -> ReLU -> pooling computes; only training differs (BN's batch
    statistics come from the pooled values), and BN and ReLU handle a quarter as many values.
    """
    x = keras.layers.Conv2D(n_filters, 3, padding="same", use_bias=not batchnorm, name=f"conv{tag}")(x)
    x = keras.layers.MaxPooling2D(name=f"pool{tag}")(x) if pool else x
    x = keras.layers.BatchNormalization(momentum=bn_momentum, name=f"bn{tag}")(x) if batchnorm else x
    return keras.layers.Activation("relu", name=f"relu{tag}")(x)


def build_cnn(image_shape: Sequence[int] = (28, 28, 1), filters: Sequence[int] = (32, 64), convs_per_block: int = 1,
              batchnorm: bool = True, dropout: Sequence[float] | None = (0.1, 0.3), augment: bool = False,
              learning_rate: float | keras.optimizers.schedules.LearningRateSchedule = 1e-3, name: str = "cnn",
              *, dense_units: int = 128, bn_momentum: float = 0.9, logits: bool = False) -> keras.Model:
    """Blocks of conv layers (the last one of each block pools), [dropout], Dense(dense_units), [dropout], softmax.

    Taught in chapter 08, section 3, whose settings are the defaults; chapter 16 explains its predictions.
    Each block is ``convs_per_block`` calls of :func:`conv_block`, the last with ``pool=True``; the model
    is compiled. ``dropout`` is a pair of rates (after the convolutions, in the dense head), or None for no dropout.
    Without ``logits``, the output layer is float32 even under mixed precision (chapter 08, section 7).
    ``logits=True`` (chapter 16) splits it into a Dense layer named ``logits``, the class scores, and a
    softmax named ``probs`` (these two follow the global dtype policy). Compiled with Adam at
    ``learning_rate`` (a number or a schedule) and sparse cross-entropy.

    Raises:
        ValueError: for an image shape that is not (height, width, channels), no filters, a number of
            convolutions per block outside 1..4, or dropout that is not a pair of rates in [0, 1).
    """
    _check_cnn_settings(image_shape, filters, convs_per_block, dropout, dense_units)
    inputs = keras.Input(shape=tuple(image_shape))
    x = make_augmentation()(inputs) if augment else inputs
    for b, n_filters in enumerate(filters, start=1):
        for c in range(convs_per_block):
            tag = f"{b}" if convs_per_block == 1 else f"{b}{'abcd'[c]}"
            x = conv_block(x, n_filters, tag, batchnorm, bn_momentum, pool=c == convs_per_block - 1)
    x = keras.layers.Dropout(dropout[0], name="drop_conv")(x) if dropout else x
    x = keras.layers.Dense(dense_units, activation="relu", name="dense")(keras.layers.Flatten(name="flatten")(x))
    if logits:  # (the logits layer is created before the dropout layer: the order chapter 16 was measured with)
        scores = keras.layers.Dense(10, name="logits")
        x = keras.layers.Dropout(dropout[1], name="drop_dense")(x) if dropout else x
        outputs = keras.layers.Activation("softmax", name="probs")(scores(x))
    else:
        x = keras.layers.Dropout(dropout[1], name="drop_dense")(x) if dropout else x
        outputs = keras.layers.Dense(10, activation="softmax", dtype="float32", name="output")(x)
    model = keras.Model(inputs, outputs, name=name)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def _check_cnn_settings(image_shape: Sequence[int], filters: Sequence[int], convs_per_block: int,
                        dropout: Sequence[float] | None, dense_units: int) -> None:
    """Raise ValueError, saying what was expected, for settings build_cnn cannot build."""
    if len(image_shape) != 3 or min(image_shape) < 1:
        raise ValueError(f"build_cnn: image_shape should be (height, width, channels), got {tuple(image_shape)}")
    if len(filters) == 0 or min(filters) < 1:
        raise ValueError(f"build_cnn: filters should hold at least one positive count per block, got {filters!r}")
    if not 1 <= convs_per_block <= 4:
        raise ValueError(f"build_cnn: convs_per_block should be 1 to 4, got {convs_per_block!r}")
    if dropout is not None and (len(dropout) != 2 or not all(0 <= rate < 1 for rate in dropout)):
        raise ValueError(f"build_cnn: dropout should be None or a pair of rates in [0, 1), got {dropout!r}")
    if dense_units < 1:
        raise ValueError(f"build_cnn: dense_units should be at least 1, got {dense_units!r}")


# ---------------------------------------------------------------------------------------------
# Images: chapter 09's residual network with global average pooling
# ---------------------------------------------------------------------------------------------


def residual_block(x: Any, n_filters: int, tag: str, stride: int = 1, residual: bool = True,
                   bn_momentum: float = 0.9) -> Any:
    """Conv(3x3, stride) -> BN -> ReLU -> Conv(3x3) -> BN, [+ shortcut] -> ReLU, layer names ending in ``tag``.

    Taught in chapter 09, section 2. With ``residual``, the block adds its input back before the last
    ReLU: the input itself (identity shortcut) when the shapes match, otherwise a 1x1 convolution with the
    block's stride and batch norm (projection shortcut, layers ``proj{tag}`` and ``projbn{tag}``). Without it,
    the same two convolutions form a plain block. Convolutions have no bias (batch norm follows) and He init.
    """
    conv = dict(padding="same", use_bias=False, kernel_initializer="he_normal")
    y = keras.layers.Conv2D(n_filters, 3, strides=stride, name=f"conv{tag}a", **conv)(x)
    y = keras.layers.BatchNormalization(momentum=bn_momentum, name=f"bn{tag}a")(y)
    y = keras.layers.Activation("relu", name=f"relu{tag}a")(y)
    y = keras.layers.Conv2D(n_filters, 3, name=f"conv{tag}b", **conv)(y)
    y = keras.layers.BatchNormalization(momentum=bn_momentum, name=f"bn{tag}b")(y)
    if residual:
        shortcut = x
        if stride != 1 or x.shape[-1] != n_filters:
            shortcut = keras.layers.Conv2D(n_filters, 1, strides=stride, name=f"proj{tag}", **conv)(x)
            shortcut = keras.layers.BatchNormalization(momentum=bn_momentum, name=f"projbn{tag}")(shortcut)
        y = keras.layers.Add(name=f"add{tag}")([y, shortcut])
    return keras.layers.Activation("relu", name=f"relu{tag}b")(y)


def build_resnet(image_shape: Sequence[int] = (28, 28, 1), widths: Sequence[int] = (8, 16, 32),
                 blocks_per_stage: int = 7, residual: bool = True, n_classes: int = 10,
                 learning_rate: float = 1e-3, name: str = "resnet", *, bn_momentum: float = 0.9) -> keras.Model:
    """A stem conv, stages of :func:`residual_block` (``residual=False``: plain blocks), global average pooling, logits.

    Taught in chapter 09, section 1 (plain against residual at the same depth) and section 3 (the GAP
    head); chapter 09, section 5 pretrains it for transfer learning; chapter 16 runs Grad-CAM's deletion
    test on its shallow form. The stem is Conv(3x3, ``widths[0]``,
    layer ``stem``) -> BN -> ReLU; stage ``s`` (1-based) has ``blocks_per_stage`` blocks of ``widths[s-1]``
    filters, tagged ``{s}_{b}``, the first block of every stage after the first with stride 2. The head is
    ``GlobalAveragePooling2D`` (layer ``gap``) and ``Dense(n_classes)`` (layer ``logits``, no softmax), so
    ``1 + 2 * len(widths) * blocks_per_stage`` convolutions lie on the main path. Compiled with Adam at
    ``learning_rate`` and sparse cross-entropy from logits.

    Raises:
        ValueError: for an image shape that is not (height, width, channels), no widths, fewer than one
            block per stage, or fewer than two classes.
    """
    if len(image_shape) != 3 or min(image_shape) < 1:
        raise ValueError(f"build_resnet: image_shape should be (height, width, channels), got {tuple(image_shape)}")
    if len(widths) == 0 or min(widths) < 1:
        raise ValueError(f"build_resnet: widths should hold at least one positive count per stage, got {widths!r}")
    if blocks_per_stage < 1:
        raise ValueError(f"build_resnet: blocks_per_stage should be at least 1, got {blocks_per_stage!r}")
    if n_classes < 2:
        raise ValueError(f"build_resnet: n_classes should be at least 2, got {n_classes!r}")
    inputs = keras.Input(shape=tuple(image_shape))
    x = keras.layers.Conv2D(widths[0], 3, padding="same", use_bias=False, kernel_initializer="he_normal",
                            name="stem")(inputs)
    x = keras.layers.BatchNormalization(momentum=bn_momentum, name="bn_stem")(x)
    x = keras.layers.Activation("relu", name="relu_stem")(x)
    for s, n_filters in enumerate(widths, start=1):
        for b in range(1, blocks_per_stage + 1):
            stride = 2 if s > 1 and b == 1 else 1
            x = residual_block(x, n_filters, f"{s}_{b}", stride, residual, bn_momentum)
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    outputs = keras.layers.Dense(n_classes, name="logits")(x)
    model = keras.Model(inputs, outputs, name=name)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return model


# ---------------------------------------------------------------------------------------------
# Text: chapter 11's ids and bag of embeddings (chapter 12 starts its Transformer from them)
# ---------------------------------------------------------------------------------------------


def to_ids(texts: Any, vectorizer: Callable[[Any], Any], max_len: int) -> np.ndarray:
    """Ids of the last ``max_len`` tokens of each text, padded with 0 at the end: (batch, max_len) int32.

    Taught in chapter 11, section 5; chapter 12 encodes the same reviews with it. ``vectorizer`` is a
    ``keras.layers.TextVectorization`` built with ``ragged=True``, so that each text keeps its own length
    and we can choose which end to keep.

    Raises:
        ValueError: if ``max_len`` is below 1, or the vectorizer does not return ragged rows.
    """
    if int(max_len) != max_len or max_len < 1:
        raise ValueError(f"to_ids: max_len should be a whole number of at least 1, got {max_len!r}")
    ragged = vectorizer(texts)
    if not hasattr(ragged, "to_tensor"):
        raise ValueError("to_ids: the vectorizer should return ragged rows: build it with "
                         "TextVectorization(..., ragged=True)")
    return ragged[:, -max_len:].to_tensor(shape=(None, max_len)).numpy().astype("int32")


def build_baseline(vocab_size: int, max_len: int, embed_dim: int, dropout: float) -> keras.Model:
    """Bag of embeddings: Embedding(mask_zero) -> Dropout -> masked average -> one sigmoid unit. Compiled.

    Taught in chapter 11, sections 4 and 6; chapter 12 starts its Transformer from the word vectors it
    learns (the layer named ``embedding``). The output unit is named ``score``. Adam at its default
    learning rate, binary cross-entropy, accuracy.

    Raises:
        ValueError: if a size is below 1 or ``dropout`` is not a rate in [0, 1).
    """
    for label, value in (("vocab_size", vocab_size), ("max_len", max_len), ("embed_dim", embed_dim)):
        if value < 1:
            raise ValueError(f"build_baseline: {label} should be at least 1, got {value!r}")
    if not 0 <= dropout < 1:
        raise ValueError(f"build_baseline: dropout should be a rate in [0, 1), got {dropout!r}")
    inputs = keras.Input(shape=(max_len,), dtype="int32")
    x = keras.layers.Embedding(vocab_size, embed_dim, mask_zero=True, name="embedding")(inputs)
    x = keras.layers.Dropout(dropout)(x)
    x = keras.layers.GlobalAveragePooling1D()(x)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="score")(x)
    model = keras.Model(inputs, outputs, name="bag_of_embeddings")
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model
