import subprocess
import sys

import pytest

from utils import setup


@pytest.mark.parametrize("value,expected", [("1", True), ("true", True), ("YES", True), (" on ", True),
                                            ("", False), ("0", False), ("false", False), ("off", False)])
def test_quick_mode_reads_the_switch(monkeypatch, value, expected):
    monkeypatch.setenv(setup.QUICK_ENV, value)
    assert setup.quick_mode() is expected


def test_quick_mode_defaults_to_full_mode(monkeypatch):
    monkeypatch.delenv(setup.QUICK_ENV, raising=False)
    assert setup.quick_mode() is False


def test_quick_mode_rejects_junk(monkeypatch):
    monkeypatch.setenv(setup.QUICK_ENV, "maybe")
    with pytest.raises(ValueError, match="NN_QUICK"):
        setup.quick_mode()


def test_setup_notebook_seeds_reports_and_styles(capsys):
    import matplotlib as mpl
    import numpy as np

    info = setup.setup_notebook(seed=7)
    first = np.random.rand(3)
    setup.setup_notebook(seed=7)  # re-running the setup cell is safe and re-seeds
    assert np.array_equal(first, np.random.rand(3))
    out = capsys.readouterr().out
    assert "TensorFlow" in out and "Keras" in out and "device:" in out and "seed 7" in out
    assert info.seed == 7 and info.device and info.gpu == info.device.startswith("GPU")
    assert mpl.rcParams["axes.spines.top"] is False


def test_setup_notebook_seeds_tensorflow():
    import tensorflow as tf

    setup.setup_notebook(seed=3, report=False)
    a = tf.random.uniform((4,)).numpy()
    setup.setup_notebook(seed=3, report=False)
    assert (a == tf.random.uniform((4,)).numpy()).all()


def test_setup_notebook_turns_tensorfloat32_off():
    """From-scratch-vs-Keras checks at 1e-5 would fail on an Ampere GPU with TF32 on."""
    import tensorflow as tf

    tf.config.experimental.enable_tensor_float_32_execution(True)
    info = setup.setup_notebook(seed=0, report=False)
    assert tf.config.experimental.tensor_float_32_execution_enabled() is False
    assert info.tf32 is False and "TF32 off" in info.line()


def test_nn_seed_overrides_the_chapter_seed(monkeypatch):
    monkeypatch.setenv(setup.SEED_ENV, "43")
    assert setup.setup_notebook(seed=42, report=False).seed == 43
    monkeypatch.setenv(setup.SEED_ENV, "")
    assert setup.setup_notebook(seed=42, report=False).seed == 42
    monkeypatch.setenv(setup.SEED_ENV, "-3")
    with pytest.raises(ValueError, match="NN_SEED"):
        setup.setup_notebook(seed=42, report=False)


@pytest.mark.parametrize("seed", [-1, 1.5, "42", True])
def test_setup_notebook_rejects_bad_seed(seed):
    with pytest.raises(ValueError, match="seed"):
        setup.setup_notebook(seed=seed, report=False)


def test_tensorflow_import_is_silent():
    """A fresh interpreter that imports TF through silence_tensorflow_logs prints nothing to stderr."""
    code = ("from utils.setup import silence_tensorflow_logs; silence_tensorflow_logs(); "
            "import tensorflow as tf; tf.constant(1.0) + 1")
    root = setup.__file__.rsplit("/utils/", 1)[0]
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip() == "", proc.stderr


def test_mixed_precision_stays_off_without_a_capable_gpu(capsys):
    import keras

    if setup.gpu_supports_mixed_precision():
        pytest.skip("this machine has a GPU that supports mixed precision")
    assert setup.enable_mixed_precision() is False
    assert keras.mixed_precision.global_policy().name == "float32"
    assert "compute capability" in capsys.readouterr().out


def test_mixed_precision_switches_on_where_supported(monkeypatch):
    import keras

    monkeypatch.setattr(setup, "gpu_supports_mixed_precision", lambda: True)
    try:
        assert setup.enable_mixed_precision() is True
        assert keras.mixed_precision.global_policy().name == "mixed_float16"
    finally:
        setup.disable_mixed_precision()
    assert keras.mixed_precision.global_policy().name == "float32"


def test_missing_packages_finds_only_missing():
    assert setup.missing_packages({"json": "json-is-stdlib"}) == []
    assert setup.missing_packages({"no_such_module_xyz": "no-such-pkg>=1"}) == ["no-such-pkg>=1"]
    with pytest.raises(ValueError):
        setup.missing_packages({"": "x"})


def test_install_missing_calls_pip_only_for_missing(monkeypatch):
    calls = []
    monkeypatch.setattr(setup.subprocess, "run", lambda cmd, check: calls.append(cmd))
    assert setup.install_missing({"json": "json", "numpy": "numpy"}) == []
    assert calls == []
    assert setup.install_missing({"no_such_module_xyz": "pkg-xyz==1.0", "json": "json"}) == ["pkg-xyz==1.0"]
    assert calls[0][-1] == "pkg-xyz==1.0" and calls[0][1:4] == ["-m", "pip", "install"]
