"""Numerical comparisons that say what went wrong.

Chapters use them to check a from-scratch version against Keras; exercises use
them to give a learner feedback they can act on instead of a bare
``AssertionError``.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _array(value: Any) -> np.ndarray:
    # Accepts NumPy arrays, TensorFlow tensors, Keras variables, lists, scalars.
    if hasattr(value, "numpy"):
        value = value.numpy()
    return np.asarray(value, dtype=float)


def max_abs_diff(actual: Any, expected: Any) -> float:
    """Largest absolute element-wise difference.

    Raises:
        ValueError: if the shapes differ (no silent broadcasting).
    """
    a, e = _array(actual), _array(expected)
    if a.shape != e.shape:
        raise ValueError(f"shapes differ: got {a.shape}, expected {e.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - e)))


def assert_close(actual: Any, expected: Any, atol: float = 1e-6, name: str = "values", quiet: bool = False) -> float:
    """Check two arrays agree within ``atol`` and print the largest difference.

    Returns the largest absolute difference, so a notebook can show it.

    Raises:
        ValueError: if ``atol`` is not positive or the shapes differ.
        AssertionError: if they disagree, naming the worst element, both values
            and the tolerance.
    """
    if not atol > 0:
        raise ValueError(f"atol must be positive, got {atol}")
    a, e = _array(actual), _array(expected)
    diff = max_abs_diff(a, e)
    if not np.all(np.isfinite(a)):
        raise AssertionError(f"{name}: got non-finite values (nan or inf) where finite numbers were expected")
    if diff > atol:
        where = np.unravel_index(np.argmax(np.abs(a - e)), a.shape) if a.ndim else ()
        raise AssertionError(
            f"{name} differ: max |difference| = {diff:.3g} > tolerance {atol:g}; "
            f"worst at index {tuple(int(i) for i in where)}: got {a[where]:.6g}, expected {e[where]:.6g}"
        )
    if not quiet:
        print(f"OK {name} agree: max |difference| = {diff:.2e} (tolerance {atol:g})")
    return diff


def check_shape(value: Any, expected: tuple[int | None, ...], name: str = "result") -> None:
    """Check an array's shape; ``None`` in ``expected`` matches any size.

    Raises:
        AssertionError: naming the expected and the actual shape.
    """
    shape = tuple(_array(value).shape)
    ok = len(shape) == len(expected) and all(e is None or s == e for s, e in zip(shape, expected))
    if not ok:
        want = "(" + ", ".join("any" if e is None else str(e) for e in expected) + ")"
        raise AssertionError(f"{name} should have shape {want}, but it has shape {shape}")


def check_range(value: Any, low: float, high: float, name: str = "result") -> None:
    """Check every element lies in ``[low, high]``.

    Raises:
        ValueError: if ``low > high``.
        AssertionError: naming the first element outside the range.
    """
    if low > high:
        raise ValueError(f"low ({low}) must not exceed high ({high})")
    a = _array(value)
    bad = np.argwhere(~((a >= low) & (a <= high)))
    if len(bad):
        idx = tuple(int(i) for i in bad[0])
        raise AssertionError(
            f"{name} should lie in [{low:g}, {high:g}], but element {idx} is {a[idx] if a.ndim else a:.6g} "
            f"({len(bad)} of {a.size} elements are outside)"
        )
