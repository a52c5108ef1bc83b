import json

import pytest

from utils import results


@pytest.fixture
def promise(monkeypatch):
    monkeypatch.setitem(results.THRESHOLDS, "98", {"acc": (">=", 0.9), "loss": ("<=", 0.5)})


def test_full_mode_asserts_thresholds_when_strict(monkeypatch, promise):
    monkeypatch.setenv("NN_QUICK", "0")
    monkeypatch.setenv(results.STRICT_ENV, "1")
    assert results.report("98", acc=0.95) == {"acc": 0.95}
    with pytest.raises(AssertionError, match=r"acc = 0.85, promised >= 0.9"):
        results.report("98", acc=0.85)
    with pytest.raises(AssertionError, match="loss"):
        results.report("98", acc=0.95, loss=0.7)


def test_a_learner_is_warned_and_the_notebook_goes_on(monkeypatch, promise, capsys):
    monkeypatch.setenv("NN_QUICK", "0")
    monkeypatch.delenv(results.STRICT_ENV, raising=False)
    assert results.report("98", acc=0.896, loss=0.2) == {"acc": 0.896, "loss": 0.2}
    out = capsys.readouterr().out
    assert "WARNING: chapter 98 missed a promise" in out and "acc = 0.896, promised >= 0.9" in out
    assert "loss = 0.2, promised" not in out  # only the missed one is named
    assert "seed=42" in out and "another device" in out  # what it likely means, and how to check
    assert results.report("98", acc=0.95) == {"acc": 0.95}
    assert "WARNING" not in capsys.readouterr().out


def test_pytest_runs_strict():
    """conftest.py makes every notebook under pytest strict, whatever the shell says."""
    assert results.strict_mode()


def test_quick_mode_reports_without_asserting(monkeypatch, promise, capsys):
    monkeypatch.setenv("NN_QUICK", "1")
    assert results.report("98", acc=0.1) == {"acc": 0.1}
    assert "full mode only" in capsys.readouterr().out


def test_nan_never_meets_a_promise(promise):
    assert results.check("98", {"acc": float("nan")}) == ["acc = nan, promised >= 0.9"]


def test_check_require_all_flags_missing_metrics(promise):
    assert results.check("98", {"acc": 0.95}) == []
    assert results.check("98", {"acc": 0.95}, require_all=True) == ["loss was never reported (promised <= 0.5)"]


def test_report_writes_for_the_runner(monkeypatch, tmp_path, promise):
    monkeypatch.setenv("NN_QUICK", "1")
    monkeypatch.setenv(results.RESULTS_ENV, str(tmp_path))
    results.report("98", acc=0.5)
    results.report("98", loss=0.25)
    assert json.loads((tmp_path / "98.json").read_text()) == {"acc": 0.5, "loss": 0.25}


@pytest.mark.parametrize("chapter,metrics", [("5", {"a": 1}), ("05", {}), ("05", {"a": "high"})])
def test_report_rejects_bad_input(chapter, metrics):
    with pytest.raises(ValueError):
        results.report(chapter, **metrics)


def test_threshold_table_is_well_formed():
    for chapter, promises in results.THRESHOLDS.items():
        assert len(chapter) == 2 and chapter.isdigit()
        for name, (op, bound) in promises.items():
            assert op in results._OPS and isinstance(bound, (int, float)), (chapter, name)
