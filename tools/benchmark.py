"""Benchmark: chapter 08's CNN against the keras.io "simple MNIST convnet" recipe, on this machine.

::

    python -m tools.benchmark            # both data sets, full size: results/benchmark.{json,md}
    python -m tools.benchmark --quick    # seconds, on subsets: checks the plumbing, measures nothing

In one run, on the same split of each data set (the chapter's: 5,000 training images held out for
validation, seed 42), it trains

* the **recipe** as published on keras.io (examples/vision/mnist_convnet): Conv(32) → pool →
  Conv(64) → pool → Flatten → Dropout(0.5) → Dense(10, softmax), Adam at its defaults, categorical
  cross-entropy on one-hot labels, batch 128, 15 epochs. The one change: it validates on the
  chapter's 5,000 held-out images instead of ``validation_split=0.1``, so both models train on the
  same 55,000 images;
* **chapter 08's CNN** as the chapter trains it: :func:`utils.models.build_cnn` with the settings of the
  chapter's parameters cell (full mode), read from the notebook by :func:`chapter_settings`, and a cosine
  learning-rate schedule over the chapter's ``EPOCHS``, with its ``BATCH_SIZE``.

After every epoch it measures test accuracy (outside the timed training). It reports, for each model,
the training time (validation included, test evaluation excluded) needed to first reach the target,
and their ratio: on Fashion-MNIST the target is the recipe's own final test accuracy, on MNIST 99.0%.
A benchmark, not a test: nothing fails because a machine is slow or a model misses the target.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tools import course

RECIPE_EPOCHS, BATCH_SIZE, N_VAL, SEED = 15, 128, 5_000, 42
CHAPTER = course.ROOT / "notebooks" / "08_cnn_image_classification.ipynb"
MNIST_TARGET = 0.990
"""Test accuracy both models must reach on MNIST (the recipe's page reports about 99%)."""


@dataclasses.dataclass
class Run:
    """One model trained on one data set: per-epoch training seconds and test accuracies."""

    model: str
    dataset: str
    epoch_seconds: list[float]
    test_accuracy: list[float]

    def time_to(self, target: float) -> float | None:
        """Training seconds until the test accuracy first reaches ``target`` (None if it never does)."""
        for epoch, accuracy in enumerate(self.test_accuracy):
            if accuracy >= target:
                return round(sum(self.epoch_seconds[: epoch + 1]), 1)
        return None


def chapter_settings(notebook: Path = CHAPTER) -> dict[str, Any]:
    """The full-mode values of the chapter's parameters cell: EPOCHS, BATCH_SIZE, FILTERS, DENSE_UNITS, ...

    The cell is run with quick mode off and no GPU, so the benchmark trains what the chapter trains.
    """
    import types

    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    cell = next(c for c in cells if "parameters" in c.get("metadata", {}).get("tags", []))
    names: dict[str, Any] = {"quick_mode": lambda: False, "info": types.SimpleNamespace(gpu=False)}
    exec("".join(cell["source"]), names)
    return {k: v for k, v in names.items() if k.isupper()}


def build_chapter_cnn(n_train: int, settings: dict[str, Any]) -> Any:
    """Chapter 08's CNN as section 3 builds it (``chapter_cnn``), with its cosine schedule. Compiled."""
    from utils.models import build_cnn
    from utils.training import cosine_schedule

    return build_cnn(filters=settings["FILTERS"], dense_units=settings["DENSE_UNITS"], dropout=settings["DROPOUT"],
                     bn_momentum=settings["BN_MOMENTUM"],
                     learning_rate=cosine_schedule(settings["EPOCHS"], n_train, settings["BATCH_SIZE"]))


def build_recipe() -> Any:
    """The keras.io simple MNIST convnet, as published (compiled)."""
    import keras

    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        keras.layers.MaxPooling2D(pool_size=(2, 2)),
        keras.layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        keras.layers.MaxPooling2D(pool_size=(2, 2)),
        keras.layers.Flatten(),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(10, activation="softmax"),
    ], name="keras_io_recipe")
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def split(dataset: str, n_train: int | None = None, n_test: int | None = None) -> tuple[Any, ...]:
    """The chapter's split: (x_train, y_train, x_val, y_val, x_test, y_test), images (n, 28, 28, 1) in [0, 1]."""
    import numpy as np

    from utils import data
    from utils.models import to_input

    loaders = {"fashion_mnist": data.load_fashion_mnist, "mnist": data.load_mnist}
    if dataset not in loaders:
        raise ValueError(f"dataset must be one of {sorted(loaders)}, got {dataset!r}")
    (x, y), (xt, yt) = loaders[dataset]()
    order = np.random.default_rng(SEED).permutation(len(x))
    val, train = order[:N_VAL], order[N_VAL:][:n_train]
    return to_input(x[train]), y[train], to_input(x[val]), y[val], to_input(xt[:n_test]), yt[:n_test]


def train(name: str, dataset: str, build: Callable[[int], Any], epochs: int, one_hot: bool,
          arrays: tuple[Any, ...], batch_size: int = BATCH_SIZE) -> Run:
    """Train ``build(len(x_train))`` for ``epochs``, timing each epoch and testing after it (untimed)."""
    import keras

    x_train, y_train, x_val, y_val, x_test, y_test = arrays
    encode = (lambda y: keras.utils.to_categorical(y, 10)) if one_hot else (lambda y: y)
    keras.utils.set_random_seed(SEED)
    model = build(len(x_train))
    seconds: list[float] = []
    accuracy: list[float] = []
    for _ in range(epochs):  # one fit per epoch: the test evaluation between them is not timed
        start = time.perf_counter()
        model.fit(x_train, encode(y_train), batch_size=batch_size, epochs=1, validation_data=(x_val, encode(y_val)),
                  verbose=0)
        seconds.append(time.perf_counter() - start)
        accuracy.append(float(model.evaluate(x_test, encode(y_test), verbose=0, return_dict=True)["accuracy"]))
        print(f"{dataset:>13s} {name:>8s} epoch {len(seconds):2d}: {seconds[-1]:6.1f} s, "
              f"test accuracy {accuracy[-1]:.4f}")
    return Run(name, dataset, [round(s, 2) for s in seconds], [round(a, 4) for a in accuracy])


def compare(runs: dict[str, Run], target: float) -> dict[str, Any]:
    """Times to ``target``, their ratio (chapter / recipe) and both final accuracies."""
    recipe, chapter = runs["recipe"], runs["chapter"]
    t_recipe, t_chapter = recipe.time_to(target), chapter.time_to(target)
    return {"target": round(target, 4), "recipe_seconds": t_recipe, "chapter_seconds": t_chapter,
            "ratio": round(t_chapter / t_recipe, 2) if t_recipe and t_chapter else None,
            "recipe_final": recipe.test_accuracy[-1], "chapter_final": chapter.test_accuracy[-1],
            "recipe_total_seconds": round(sum(recipe.epoch_seconds), 1),
            "chapter_total_seconds": round(sum(chapter.epoch_seconds), 1)}


def benchmark(quick: bool = False) -> dict[str, Any]:
    """Both models on both data sets; the comparison of each data set."""
    settings = chapter_settings()
    recipe_epochs, chapter_epochs = (1, 1) if quick else (RECIPE_EPOCHS, settings["EPOCHS"])
    sizes = {"n_train": 1_000, "n_test": 1_000} if quick else {}
    out: dict[str, Any] = {}
    for dataset in ("fashion_mnist", "mnist"):
        arrays = split(dataset, **sizes)
        runs = {
            "recipe": train("recipe", dataset, lambda n: build_recipe(), recipe_epochs, True, arrays),
            "chapter": train("chapter", dataset, lambda n: build_chapter_cnn(n, {**settings, "EPOCHS": chapter_epochs}),
                             chapter_epochs, False, arrays, batch_size=settings["BATCH_SIZE"]),
        }
        target = runs["recipe"].test_accuracy[-1] if dataset == "fashion_mnist" else MNIST_TARGET
        out[dataset] = {"comparison": compare(runs, target),
                        "runs": {k: dataclasses.asdict(r) for k, r in runs.items()}}
    return out


def to_markdown(record: dict[str, Any]) -> str:
    """The benchmark as a Markdown table, with when and where it ran."""
    env = record["environment"]
    runs = next(iter(record["results"].values()))["runs"]
    n_recipe, n_chapter = (len(runs[k]["epoch_seconds"]) for k in ("recipe", "chapter"))
    lines = [f"Measured {record['date']} ({record['mode']} mode) on {env['device']} ({env['cpu']}), "
             f"TensorFlow {env['tensorflow']}, Keras {env['keras']}. Training time includes validation, "
             "not the test evaluation after each epoch.", "",
             "| data set | target test accuracy | recipe: time to target | chapter 08: time to target | ratio "
             f"| recipe final ({n_recipe} epochs) | chapter 08 final ({n_chapter} epochs) |",
             "|---|---|---|---|---|---|---|"]
    for dataset, result in record["results"].items():
        c = result["comparison"]
        def fmt(s: float | None) -> str:
            return "not reached" if s is None else f"{s:.0f} s"
        ratio = "–" if c["ratio"] is None else f"{c['ratio']:.2f}"
        lines.append(f"| {dataset} | {c['target']:.4f} | {fmt(c['recipe_seconds'])} | {fmt(c['chapter_seconds'])} "
                     f"| {ratio} | {c['recipe_final']:.4f} | {c['chapter_final']:.4f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="subsets and one epoch: checks the plumbing only")
    parser.add_argument("--out", type=Path, default=course.ROOT / "results", help="output folder")
    args = parser.parse_args(argv)
    from utils.setup import setup_notebook

    setup_notebook(seed=SEED, style=False, report=False)
    from tools.runner import environment

    record = {"date": dt.date.today().isoformat(), "mode": "quick" if args.quick else "full",
              "environment": environment(), "results": benchmark(args.quick)}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "benchmark.json").write_text(json.dumps(record, indent=2))
    markdown = to_markdown(record)
    (args.out / "benchmark.md").write_text(markdown)
    print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
