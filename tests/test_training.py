import numpy as np
import pytest

from utils import training


def test_epoch_timer_records_one_duration_per_epoch_and_restarts_with_each_fit():
    import keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.zeros((8, 3), "float32"), np.zeros((8, 1), "float32")
    timer = training.EpochTimer()
    assert timer.seconds == []
    model.fit(x, y, epochs=3, verbose=0, callbacks=[timer])
    assert len(timer.seconds) == 3 and all(s > 0 for s in timer.seconds)
    model.fit(x, y, epochs=2, verbose=0, callbacks=[timer])
    assert len(timer.seconds) == 2


def test_cosine_schedule_decays_from_the_initial_rate_to_zero_at_the_last_step():
    schedule = training.cosine_schedule(epochs=2, n_examples=1_000, batch_size=128)   # 2 * 8 steps
    assert schedule.decay_steps == 16
    assert np.isclose(float(schedule(0)), 1e-3)
    assert np.isclose(float(schedule(8)), 0.5e-3, atol=1e-9)
    assert float(schedule(16)) == pytest.approx(0.0, abs=1e-12)
    assert np.isclose(float(training.cosine_schedule(1, 10, 10, initial_rate=0.1)(0)), 0.1)


@pytest.mark.parametrize("args", [(0, 100, 10), (1, 0, 10), (1, 100, 0), (1.5, 100, 10)])
def test_cosine_schedule_rejects_counts_below_one(args):
    with pytest.raises(ValueError, match="whole number of at least 1"):
        training.cosine_schedule(*args)


def test_cosine_schedule_rejects_a_rate_that_is_not_positive():
    with pytest.raises(ValueError, match="initial_rate"):
        training.cosine_schedule(1, 10, 10, initial_rate=0.0)
