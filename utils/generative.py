"""Generative models of digits and the measures that judge them.

Chapter 14 teaches the DCGAN and the digit judge and prints their code; the chapter after it imports them to
judge its variational autoencoder and diffusion model against the same GAN with the same measures.
This module imports Keras and TensorFlow: import it after :func:`utils.setup.setup_notebook` has run.

Keras draws a layer's random seed when the layer is created, so the order in which these functions
create their layers is part of what they compute: keep it when you change them.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf

# ---------------------------------------------------------------------------------------------
# The judge: a digit classifier and what it says about a set of generated images
# ---------------------------------------------------------------------------------------------


def build_judge() -> keras.Sequential:
    """A small compiled CNN that classifies 28x28x1 digits in [-1, 1] into 10 classes (softmax output).

    Taught in chapter 14, section 7; the chapter after it judges its generators with it.
    """
    judge = keras.Sequential([keras.Input(shape=(28, 28, 1)), keras.layers.Conv2D(16, 3, activation="relu"),
                              keras.layers.MaxPooling2D(), keras.layers.Conv2D(32, 3, activation="relu"),
                              keras.layers.MaxPooling2D(), keras.layers.Flatten(), keras.layers.Dropout(0.3),
                              keras.layers.Dense(10, activation="softmax")], name="judge")
    judge.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return judge


def class_entropy(labels: Any, num_classes: int = 10) -> float:
    """Entropy of the histogram of `labels`, divided by ln(num_classes): 1 = uniform, 0 = one class.

    Taught in chapter 14, section 7 (mode collapse lowers it).
    """
    h = np.bincount(np.asarray(labels), minlength=num_classes) / len(labels)
    h = h[h > 0]
    return max(0.0, float(-(h * np.log(h)).sum() / np.log(num_classes)))   # max: no -0.0


def pixel_spread(images: Any, n: int = 200) -> float:
    """Mean Euclidean distance between two of the first n images (0 if they are all identical).

    Taught in chapter 14, section 7: a judge-free measure of variety.
    """
    flat = np.asarray(images[:n], dtype="float64").reshape(min(n, len(images)), -1)
    sq = (flat ** 2).sum(axis=1)
    d2 = np.clip(sq[:, None] + sq[None, :] - 2 * flat @ flat.T, 0, None)
    return float(np.sqrt(d2)[np.triu_indices(len(flat), k=1)].mean())


def judge_images(judge: keras.Model, images: Any) -> dict[str, Any]:
    """The judge's verdict on images in [-1, 1].

    Returns the confident fraction (top probability >= 0.9), the recognised fraction (>= 0.5), the
    normalised class entropy, the class histogram and the pixel spread. Taught in chapter 14, section 7.
    """
    probs = keras.ops.convert_to_numpy(judge(images, training=False))
    labels = probs.argmax(axis=1)
    return {"confident": float(np.mean(probs.max(axis=1) >= 0.9)),
            "recognised": float(np.mean(probs.max(axis=1) >= 0.5)), "entropy": class_entropy(labels),
            "histogram": np.bincount(labels, minlength=10) / len(labels), "spread": pixel_spread(images)}


def nearest_real_distances(images: Any, reference: Any) -> np.ndarray:
    """The Euclidean distance from each of `images` to the nearest image of `reference` (one value per image).

    Both are flattened to one row per image. Taught in chapter 14, section 7.
    """
    ref = np.asarray(reference, dtype="float64").reshape(len(reference), -1)
    flat = np.asarray(images, dtype="float64").reshape(len(images), -1)
    d2 = (flat ** 2).sum(axis=1)[:, None] + (ref ** 2).sum(axis=1)[None, :] - 2 * flat @ ref.T
    return np.sqrt(np.clip(d2.min(axis=1), 0, None))


def nearest_real_distance(images: Any, reference: Any) -> float:
    """Median over `images` of the distance to the nearest image of `reference`.

    Taught in chapter 14, section 7: a judge-free measure of realism (0 for copies of reference images).
    """
    return float(np.median(nearest_real_distances(images, reference)))


# ---------------------------------------------------------------------------------------------
# The DCGAN of chapter 14
# ---------------------------------------------------------------------------------------------


def build_generator(latent_dim: int = 64) -> keras.Sequential:
    """z -> 7x7x64 -> 14x14x32 -> 28x28x1 in [-1, 1]. Taught in chapter 14, section 8."""
    return keras.Sequential([
        keras.Input(shape=(latent_dim,)),
        keras.layers.Dense(7 * 7 * 64, use_bias=False), keras.layers.BatchNormalization(), keras.layers.LeakyReLU(0.2),
        keras.layers.Reshape((7, 7, 64)),
        keras.layers.Conv2DTranspose(32, 4, strides=2, padding="same", use_bias=False),
        keras.layers.BatchNormalization(), keras.layers.LeakyReLU(0.2),
        keras.layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="tanh")], name="generator")


def build_discriminator() -> keras.Sequential:
    """28x28x1 -> 14x14x32 -> 7x7x64 -> one logit (real vs generated). Taught in chapter 14, section 8."""
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(32, 4, strides=2, padding="same"), keras.layers.LeakyReLU(0.2),
        keras.layers.Conv2D(64, 4, strides=2, padding="same"), keras.layers.LeakyReLU(0.2),
        keras.layers.Dropout(0.3), keras.layers.Flatten(), keras.layers.Dense(1)], name="discriminator")


class GAN(keras.Model):
    """A generator and a discriminator trained against each other by `fit`.

    Taught in chapter 14, section 8 (the custom `train_step`); the chapter after it trains it again to compare.
    """

    def __init__(self, generator: keras.Model, discriminator: keras.Model, latent_dim: int = 64, seed: int = 0):
        super().__init__()
        self.generator, self.discriminator, self.latent_dim = generator, discriminator, latent_dim
        self.noise_seed = keras.random.SeedGenerator(seed)
        self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return [self.d_loss_tracker, self.g_loss_tracker]

    def compile(self, d_optimizer: keras.optimizers.Optimizer, g_optimizer: keras.optimizers.Optimizer) -> None:
        super().compile()
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer

    def train_step(self, real_images: Any) -> dict[str, Any]:
        batch = keras.ops.shape(real_images)[0]
        z = keras.random.normal((batch, self.latent_dim), seed=self.noise_seed)
        with tf.GradientTape() as tape:                        # 1. the discriminator
            real_logits = self.discriminator(real_images, training=True)
            fake_logits = self.discriminator(self.generator(z, training=True), training=True)
            d_loss = (self.loss_fn(keras.ops.ones_like(real_logits), real_logits)
                      + self.loss_fn(keras.ops.zeros_like(fake_logits), fake_logits))
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))
        z = keras.random.normal((batch, self.latent_dim), seed=self.noise_seed)
        with tf.GradientTape() as tape:                        # 2. the generator
            fake_logits = self.discriminator(self.generator(z, training=True), training=True)
            g_loss = self.loss_fn(keras.ops.ones_like(fake_logits), fake_logits)
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {m.name: m.result() for m in self.metrics}
