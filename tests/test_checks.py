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
