"""The full-series runner, exercised in quick mode on two small chapters and on tiny made-up notebooks."""

import json

import nbformat
import pytest

from utils import course, results, runner


def tiny_notebook(path, *cells):
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    boot = f"import sys; sys.path.insert(0, {str(course.ROOT)!r})"
    nb.cells = [nbformat.v4.new_code_cell(boot)] + [nbformat.v4.new_code_cell(c) for c in cells]
    nbformat.write(nb, path)
    return path


def test_runner_runs_two_chapters_and_writes_its_reports(tmp_path):
    code = runner.main(["00", "01", "--quick", "--out", str(tmp_path), "--no-progress"])
    assert code == 0
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["mode"] == "quick" and data["environment"]["tensorflow"] and data["environment"]["device"]
    assert [c["chapter"] for c in data["chapters"]] == ["00", "01"]
    for chapter in data["chapters"]:
        assert chapter["status"] == "passed" and chapter["seconds"] > 0 and chapter["error"] is None
        assert set(results.THRESHOLDS[chapter["chapter"]]) <= set(chapter["metrics"])
    table = (tmp_path / "results.md").read_text()
    assert "| 01_one_neuron.ipynb | passed |" in table and "(>= 0.95)" in table
    assert (tmp_path / "results.png").read_bytes()[:4] == b"\x89PNG"


def test_a_failing_chapter_is_recorded_with_its_error(tmp_path):
    path = tiny_notebook(tmp_path / "97_broken.ipynb", "x = 1", "1 / 0", "print('never')")
    result = runner.run_notebook(path, quick=True)
    assert result.status == "failed" and "ZeroDivisionError" in result.error and result.chapter == "97"


def test_twice_catches_a_notebook_that_fails_on_a_second_run_all(tmp_path):
    path = tiny_notebook(tmp_path / "95_rerun.ipynb", "runs = globals().get('runs', 0) + 1",
                         "assert runs == 1, 'this cell breaks when the notebook runs again'")
    assert runner.run_notebook(path, quick=True).status == "passed"
    twice = runner.run_notebook(path, quick=True, passes=2)
    assert twice.status == "failed" and "breaks when the notebook runs again" in twice.error
    with pytest.raises(ValueError, match="passes"):
        runner.run_notebook(path, quick=True, passes=0)


def test_cells_tagged_nbval_skip_are_skipped(tmp_path):
    path = tiny_notebook(tmp_path / "94_skip.ipynb", "x = 1", "raise RuntimeError('optional data missing')")
    nb = nbformat.read(path, as_version=4)
    assert runner.run_notebook(path, quick=True).status == "failed"
    nb.cells[-1].metadata["tags"] = [runner.SKIP_TAG]
    nbformat.write(nb, path)
    assert runner.run_notebook(path, quick=True).status == "passed"


def test_a_missed_promise_fails_the_chapter_in_full_mode(tmp_path, monkeypatch):
    monkeypatch.setitem(results.THRESHOLDS, "96", {"accuracy": (">=", 0.9), "loss": ("<=", 1.0)})
    path = tiny_notebook(tmp_path / "96_promise.ipynb",
                         "import os; os.environ['NN_QUICK'] = '1'  # report() must not assert in the kernel",
                         "from utils.results import report; report('96', accuracy=0.95)")
    result = runner.run_notebook(path, quick=False)
    assert result.metrics == {"accuracy": 0.95}
    assert result.status == "failed" and "loss was never reported" in result.error
    assert runner.run_notebook(path, quick=True).status == "passed"  # quick mode checks no promise


def test_select_and_readme_update(tmp_path):
    assert [p.name[:2] for p in runner.select(["1", "00"])] == ["01", "00"]
    with pytest.raises(ValueError, match="99"):
        runner.select(["99"])
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{runner.README_START}\nold\n{runner.README_END}\noutro\n")
    runner.update_readme("new table\n", readme)
    assert readme.read_text() == f"intro\n{runner.README_START}\nnew table\n{runner.README_END}\noutro\n"
    readme.write_text("no markers")
    with pytest.raises(ValueError):
        runner.update_readme("x", readme)
