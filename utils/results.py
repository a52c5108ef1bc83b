"""Each chapter's headline metrics, and the thresholds they must meet.

:data:`THRESHOLDS` is the one table of what the series promises. A chapter
reports its headline numbers with :func:`report`, which

* prints them,
* in full mode, asserts each promised threshold (quick mode trains too little
  for them to mean anything, so there it only reports), and
* when ``NN_RESULTS_DIR`` is set (the full-series runner sets it), writes them
  to ``<NN_RESULTS_DIR>/<chapter>.json`` so the runner need not scrape outputs.
"""

from __future__ import annotations

import json
import math
import operator
import os
from pathlib import Path

from utils.setup import quick_mode

RESULTS_ENV = "NN_RESULTS_DIR"

_OPS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt}

THRESHOLDS: dict[str, dict[str, tuple[str, float]]] = {
    "00": {"first_taste_slope_error": ("<=", 0.05), "first_taste_intercept_error": ("<=", 0.05)},
    "01": {"perceptron_train_accuracy": (">=", 1.0), "perceptron_test_accuracy": (">=", 0.95),
           "xor_best_accuracy": ("<=", 0.75), "neuron_vs_keras_max_diff": ("<=", 1e-6),
           "keras_neuron_test_accuracy": (">=", 0.95)},
    # chapter 02 thresholds
    # chapter 03 thresholds
    # chapter 04 thresholds
    # chapter 05 thresholds
    # chapter 06 thresholds
}
"""chapter -> metric -> (comparison, bound) that full mode must meet."""


def check(chapter: str, metrics: dict[str, float], require_all: bool = False) -> list[str]:
    """The promised thresholds of ``chapter`` that ``metrics`` miss (empty if all met).

    Only the metrics present are checked, since a chapter reports them cell by
    cell; with ``require_all`` (the runner, after a whole chapter) a promised
    metric that was never reported counts as missed.
    """
    failures = []
    for name, (op, bound) in THRESHOLDS.get(chapter, {}).items():
        if name not in metrics:
            if require_all:
                failures.append(f"{name} was never reported (promised {op} {bound:g})")
            continue
        value = metrics[name]
        if not (math.isfinite(value) and _OPS[op](value, bound)):
            failures.append(f"{name} = {value:.4g}, promised {op} {bound:g}")
    return failures


def report(chapter: str, **metrics: float) -> dict[str, float]:
    """Report a chapter's headline metrics; in full mode, assert its thresholds.

    Args:
        chapter: two-digit chapter number, e.g. ``"05"``.
        **metrics: metric name -> value (plain floats).

    Raises:
        ValueError: on a malformed chapter number, no metrics, or a value that is not a number.
        AssertionError: in full mode, if a promised threshold is missed.
    """
    if len(chapter) != 2 or not chapter.isdigit():
        raise ValueError(f"chapter must be two digits like '05', got {chapter!r}")
    if not metrics:
        raise ValueError("report at least one metric, e.g. report('05', test_accuracy=0.981)")
    values: dict[str, float] = {}
    for name, value in metrics.items():
        try:
            values[name] = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"metric {name} must be a number, got {value!r}") from None
    quick = quick_mode()
    promised = THRESHOLDS.get(chapter, {})
    for name, value in values.items():
        bound = f"   (promised {promised[name][0]} {promised[name][1]:g})" if name in promised else ""
        print(f"{name:>32s} = {value:.4g}{bound}")
    out_dir = os.environ.get(RESULTS_ENV)
    if out_dir:
        path = Path(out_dir) / f"{chapter}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        old = json.loads(path.read_text()) if path.exists() else {}
        old.update(values)
        path.write_text(json.dumps(old, indent=2, sort_keys=True))
    if quick:
        print("quick mode: thresholds are checked in full mode only")
        return values
    failures = check(chapter, values)
    if failures:
        raise AssertionError(f"chapter {chapter} missed its promise: " + "; ".join(failures))
    return values

