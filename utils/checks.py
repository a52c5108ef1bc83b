"""Numerical comparisons that say what went wrong.

Chapters use them to check a from-scratch version against Keras; exercises use
them to give a learner feedback they can act on instead of a bare
``AssertionError``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
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


# --- exercises -----------------------------------------------------------------------------

class ExerciseNotDone(AssertionError):
    """Raised by a check when the learner's code is still the stub."""


class ExerciseWrong(AssertionError):
    """Raised by a check when the learner's answer is not right yet."""


def exercise(exercise_id: str, part: str | None = None) -> contextlib.AbstractContextManager[None]:
    """Context manager around an exercise's checks that turns failures into feedback.

    ``with exercise("05.1"): check_equal(dense_params(3, 2), 8, name="dense_params(3, 2)")``

    An exercise worth several points is checked in parts, one graded cell each, so a
    half-right answer earns part of the points: ``with exercise("05.4", part="a"): ...``.

    - The learner's code still raises ``NotImplementedError`` (the stub that the student
      release puts in every solution): :class:`ExerciseNotDone`, saying the exercise is
      waiting for their code.
    - A name is not defined (the solution cell was not run): :class:`ExerciseNotDone`,
      saying which name and to run the cell above.
    - A check fails: :class:`ExerciseWrong` with the check's message (what was expected).
    - Everything passes: prints one line saying so.

    Both exceptions are ``AssertionError``s, so nbgrader's autograder scores them 0.

    Raises:
        ValueError: if ``exercise_id`` is empty or ``part`` is not one lower-case letter.
    """
    if not isinstance(exercise_id, str) or not exercise_id.strip():
        raise ValueError(f"exercise_id must be a non-empty string such as '05.1', got {exercise_id!r}")
    if part is not None and not (isinstance(part, str) and len(part) == 1 and part.islower()):
        raise ValueError(f"part must be one lower-case letter such as 'a', got {part!r}")
    return _feedback(f"Exercise {exercise_id}" + (f" (part {part})" if part else ""))


@contextlib.contextmanager
def _feedback(name: str) -> Iterator[None]:
    try:
        yield
    except NotImplementedError:
        raise ExerciseNotDone(
            f"{name} is waiting for your code: the cell above still raises NotImplementedError. "
            "Replace that line with your solution, run the cell, then run this check again."
        ) from None
    except NameError as exc:
        raise ExerciseNotDone(f"{name}: {exc}. Run the cell with your solution first, then this check.") from None
    except (ExerciseNotDone, ExerciseWrong):
        raise
    except AssertionError as exc:
        raise ExerciseWrong(f"{name} is not right yet: {exc}") from None
    except Exception as exc:  # the learner's code failed: say so, as feedback
        raise ExerciseWrong(f"{name}: your code raised {type(exc).__name__}: {exc}") from exc
    print(f"{name}: all checks passed.")


def check_equal(actual: Any, expected: Any, name: str = "result") -> None:
    """Check an exact value (an int, a string, a tuple, a bool).

    Raises:
        NotImplementedError: passed through, if ``actual`` is the stub's ``NotImplemented``.
        AssertionError: showing what was expected and what came back.
    """
    if actual is NotImplemented or actual is Ellipsis:
        raise NotImplementedError(name)
    if isinstance(expected, np.ndarray) or isinstance(actual, np.ndarray):
        ok = np.array_equal(np.asarray(actual), np.asarray(expected))
    else:
        try:
            ok = bool(actual == expected)
        except Exception:  # noqa: BLE001 - e.g. ambiguous comparisons
            ok = False
    if not ok:
        raise AssertionError(f"{name} should be {expected!r}, but it is {actual!r}")


def check_type(value: Any, expected: type | tuple[type, ...], name: str = "result") -> None:
    """Check ``isinstance(value, expected)`` and say what came back otherwise."""
    if value is None and expected is not type(None):
        raise AssertionError(f"{name} is None: did your function forget to `return` its result?")
    if not isinstance(value, expected):
        want = " or ".join(t.__name__ for t in (expected if isinstance(expected, tuple) else (expected,)))
        got = type(value).__name__
        raise AssertionError(f"{name} should be of type {want}, but it is of type {got}: {value!r:.80}")
