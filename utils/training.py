"""Training helpers that more than one chapter uses: an epoch timer and a learning-rate schedule.

Each helper is taught in one chapter (its docstring says where) and imported by the later ones,
so that there is one definition to read and to fix. This module imports Keras: import it after
:func:`utils.setup.setup_notebook` has run (the chapters import it in a later cell than their setup cell).
"""

from __future__ import annotations

import math
import time
from typing import Any

import keras


class EpochTimer(keras.callbacks.Callback):
    """Records the wall-clock seconds of every epoch in ``self.seconds``.

    Taught in chapter 06, section 9 (batch size and time per epoch); chapter 08 times its networks
    with it. ``seconds`` starts empty at every ``fit``; the first epoch also builds the training step,
    so compare epochs after the first.
    """

    def __init__(self) -> None:
        super().__init__()
        self.seconds: list[float] = []
        self._start = 0.0

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.seconds = []

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.seconds.append(time.perf_counter() - self._start)


def cosine_schedule(epochs: int, n_examples: int, batch_size: int,
                    initial_rate: float = 1e-3) -> keras.optimizers.schedules.CosineDecay:
    """A learning rate that starts at ``initial_rate`` and follows half a cosine down to 0 at the last step.

    Taught in chapter 08, section 2 (the recipe of its dense network and CNN); chapter 16 trains
    chapter 08's CNN with it. The last step is ``epochs * ceil(n_examples / batch_size)``, the number
    of training steps ``fit`` takes with that batch size.

    Raises:
        ValueError: if ``epochs``, ``n_examples`` or ``batch_size`` is below 1, or ``initial_rate`` is not positive.
    """
    for name, value in (("epochs", epochs), ("n_examples", n_examples), ("batch_size", batch_size)):
        if int(value) != value or value < 1:
            raise ValueError(f"cosine_schedule: {name} should be a whole number of at least 1, got {value!r}")
    if not initial_rate > 0:
        raise ValueError(f"cosine_schedule: initial_rate should be positive, got {initial_rate!r}")
    steps = int(epochs) * math.ceil(n_examples / batch_size)
    return keras.optimizers.schedules.CosineDecay(initial_rate, decay_steps=steps)
