import numpy as np
import pytest

from utils import checks


def test_assert_close_passes_and_reports(capsys):
    diff = checks.assert_close([1.0, 2.0], np.array([1.0, 2.0 + 1e-8]), atol=1e-6, name="outputs")
    assert 0 < diff < 1e-7
    assert "outputs agree" in capsys.readouterr().out


def test_assert_close_names_the_worst_element():
    with pytest.raises(AssertionError, match=r"worst at index \(1, 0\): got 5, expected 4"):
        checks.assert_close([[1.0], [5.0]], [[1.0], [4.0]], atol=1e-3)


def test_assert_close_accepts_tensors():
    import tensorflow as tf

    assert checks.assert_close(tf.constant([1.0, 2.0]), [1.0, 2.0], quiet=True) == 0.0


def test_assert_close_rejects_shape_mismatch_and_nan():
    with pytest.raises(ValueError, match="shapes differ"):
        checks.assert_close(np.zeros(3), np.zeros((3, 1)))
    with pytest.raises(AssertionError, match="non-finite"):
        checks.assert_close([np.nan], [np.nan])
    with pytest.raises(ValueError, match="atol"):
        checks.assert_close([1.0], [1.0], atol=0)


def test_check_shape():
    checks.check_shape(np.zeros((5, 3)), (None, 3))
    with pytest.raises(AssertionError, match=r"shape \(any, 4\), but it has shape \(5, 3\)"):
        checks.check_shape(np.zeros((5, 3)), (None, 4))
    with pytest.raises(AssertionError):
        checks.check_shape(np.zeros(5), (5, 1))


def test_check_range():
    checks.check_range([0.0, 0.5, 1.0], 0, 1)
    with pytest.raises(AssertionError, match=r"element \(1,\) is 1.5 \(1 of 3"):
        checks.check_range([0.0, 1.5, 1.0], 0, 1)
    with pytest.raises(ValueError):
        checks.check_range([0.0], 1, 0)


def test_exercise_says_it_waits_for_the_stub():
    with pytest.raises(checks.ExerciseNotDone, match=r"Exercise 05\.1 is waiting for your code"):
        with checks.exercise("05.1"):
            raise NotImplementedError("replace this line with your code")
    with pytest.raises(checks.ExerciseNotDone, match=r"name 'dense_params' is not defined\. Run the cell"):
        with checks.exercise("05.1"):
            dense_params(1, 2)  # noqa: F821


def test_exercise_turns_failed_checks_into_feedback(capsys):
    with pytest.raises(checks.ExerciseWrong, match=r"Exercise 05\.2 is not right yet: f\(2\) should be 4, but it is 5"):
        with checks.exercise("05.2"):
            checks.check_equal(5, 4, name="f(2)")
    with pytest.raises(checks.ExerciseWrong, match=r"your code raised ZeroDivisionError"):
        with checks.exercise("05.2"):
            _ = 1 / 0
    with checks.exercise("05.2"):
        checks.check_equal(4, 4)
    assert "Exercise 05.2: all checks passed." in capsys.readouterr().out
    with pytest.raises(ValueError, match="exercise_id"):
        checks.exercise("")


def test_exercise_parts_are_named_in_the_feedback(capsys):
    with checks.exercise("05.4", part="a"):
        checks.check_equal(1, 1)
    assert "Exercise 05.4 (part a): all checks passed." in capsys.readouterr().out
    with pytest.raises(checks.ExerciseWrong, match=r"Exercise 05\.4 \(part b\) is not right yet"):
        with checks.exercise("05.4", part="b"):
            checks.check_equal(2, 1)
    with pytest.raises(ValueError, match="part"):
        checks.exercise("05.4", part="B")


def test_check_equal_and_check_type_say_what_was_expected():
    checks.check_equal(np.array([1, 2]), np.array([1, 2]))
    with pytest.raises(AssertionError, match=r"should be array"):
        checks.check_equal(np.array([1, 3]), np.array([1, 2]))
    with pytest.raises(NotImplementedError):
        checks.check_equal(NotImplemented, 1)
    checks.check_type(3, (int, float))
    with pytest.raises(AssertionError, match="forget to `return`"):
        checks.check_type(None, int, name="f(1)")
    with pytest.raises(AssertionError, match="should be of type int or float, but it is of type str"):
        checks.check_type("3", (int, float))
