import keras
import numpy as np
import pytest

from utils import generative


def test_class_entropy_is_1_for_uniform_labels_and_0_for_one_class():
    assert generative.class_entropy(np.arange(10)) == pytest.approx(1.0)
    assert generative.class_entropy(np.full(7, 3)) == 0.0
    assert generative.class_entropy([0, 1], num_classes=4) == pytest.approx(0.5)


def test_pixel_spread_is_the_mean_pairwise_distance():
    images = np.array([[0.0, 0.0], [3.0, 4.0], [0.0, 0.0]])
    assert generative.pixel_spread(images) == pytest.approx((5 + 0 + 5) / 3)
    assert generative.pixel_spread(np.ones((5, 2, 2))) == 0.0


def test_nearest_real_distance_is_the_median_distance_to_the_closest_reference():
    reference = np.array([[0.0, 0.0], [10.0, 0.0]])
    images = np.array([[1.0, 0.0], [10.0, 2.0], [4.0, 3.0]])    # distances 1, 2, 5
    assert generative.nearest_real_distance(images, reference) == pytest.approx(2.0)
    assert generative.nearest_real_distance(reference, reference) == 0.0
    assert np.allclose(generative.nearest_real_distances(images, reference), [1.0, 2.0, 5.0])


def test_judge_images_reads_the_judges_probabilities():
    keras.utils.set_random_seed(0)
    judge = generative.build_judge()
    assert judge.output_shape == (None, 10) and judge.optimizer is not None
    images = np.random.default_rng(0).uniform(-1, 1, (20, 28, 28, 1)).astype("float32")
    verdict = generative.judge_images(judge, images)
    probs = keras.ops.convert_to_numpy(judge(images))
    assert verdict["confident"] == np.mean(probs.max(axis=1) >= 0.9)
    assert verdict["recognised"] == np.mean(probs.max(axis=1) >= 0.5)
    assert np.allclose(verdict["histogram"], np.bincount(probs.argmax(axis=1), minlength=10) / 20)
    assert verdict["spread"] > 0


def test_the_gan_step_updates_both_networks_and_reports_both_losses():
    keras.utils.set_random_seed(0)
    generator, discriminator = generative.build_generator(latent_dim=8), generative.build_discriminator()
    assert generator.output_shape == (None, 28, 28, 1) and discriminator.output_shape == (None, 1)
    gan = generative.GAN(generator, discriminator, latent_dim=8)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3))
    before = [w.copy() for w in generator.get_weights() + discriminator.get_weights()]
    images = np.random.default_rng(0).uniform(-1, 1, (16, 28, 28, 1)).astype("float32")
    history = gan.fit(images, epochs=1, batch_size=8, verbose=0)
    assert set(history.history) == {"d_loss", "g_loss"}
    after = generator.get_weights() + discriminator.get_weights()
    changed = [not np.array_equal(b, a) for b, a in zip(before, after)]
    assert any(changed[:len(generator.get_weights())]) and any(changed[len(generator.get_weights()):])
