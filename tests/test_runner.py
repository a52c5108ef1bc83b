"""The full-series runner, exercised in quick mode on two small chapters and on tiny made-up notebooks."""

import dataclasses
import json

import nbformat
import pytest

from tools import course, runner
from utils import results


def tiny_notebook(path, *cells):
    kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": kernelspec})
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
    nb.cells.append(nbformat.v4.new_code_cell("print('after the skipped cell', x)"))
    nbformat.write(nb, path)
    assert runner.run_notebook(path, quick=True, save_to=tmp_path / "executed").status == "passed"
    saved = nbformat.read(tmp_path / "executed" / path.name, as_version=4)
    assert len(saved.cells) == len(nb.cells) and saved.cells[-2].outputs == []  # kept, not executed
    assert "after the skipped cell 1" in saved.cells[-1].outputs[0]["text"]


def test_optional_parts_run_on_stand_in_data_and_are_timed_apart(tmp_path, monkeypatch):
    """--optional: the parameter switches the part on, the stand-in replaces the data, the part is timed."""
    monkeypatch.setitem(runner.OPTIONAL, "95", {"parameters": "RUN_EXTRA = True",
                                                "stand_in": "def load_extra(): return 'stand-in'"})
    path = tiny_notebook(tmp_path / "95_optional.ipynb",
                         "from utils.setup import setup_notebook; info = setup_notebook(seed=1, style=False)",
                         "RUN_EXTRA = False",
                         "import time\nif RUN_EXTRA: extra = load_extra(); time.sleep(1.0)",
                         "print('done')")
    nb = nbformat.read(path, as_version=4)
    nb.cells[2].metadata["tags"] = ["parameters"]
    nb.cells[3].metadata["tags"] = [runner.SKIP_TAG]
    nbformat.write(nb, path)
    plain = runner.run_notebook(path, quick=False)
    assert plain.status == "passed" and plain.optional_seconds is None
    timed = runner.run_notebook(path, quick=False, optional=True)
    assert timed.status == "passed", timed.error
    assert 1.0 <= timed.optional_seconds < timed.seconds
    nb.cells[1].source = "x = 1"  # no setup cell: nowhere to put the stand-in
    nbformat.write(nb, path)
    with pytest.raises(ValueError, match="setup cell"):
        runner.run_notebook(path, quick=False, optional=True)


def test_the_optional_time_is_rewritten_in_the_title_cell_alone(tmp_path):
    path = tmp_path / "95_demo.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        "**Run time** (full mode, measured): CPU (2 cores) about 60 s · GPU: not yet measured.\n\n"
        "**Optional part** (photos, off on a CPU), measured on stand-in data: CPU (2 cores) about 1 min more.")]),
        path)
    with_part = runner.ChapterResult("95", path.name, "passed", 400.0, {}, optional_seconds=290.0)
    assert runner.update_run_times([with_part], tmp_path) == ["95"]
    assert runner.title_run_time(path, runner.OPTIONAL_TIME) == "5 min"
    assert runner.title_run_time(path) == "60 s"  # the chapter's own time is not the optional run's


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
    assert [p.name[:2] for p in runner.select(["01", "0"])] == ["01", "00"]  # in the order given, zero-padded
    with pytest.raises(ValueError, match="99"):
        runner.select(["99"])
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{runner.README_START}\nold\n{runner.README_END}\noutro\n")
    runner.update_readme("new table\n", readme)
    assert readme.read_text() == f"intro\n{runner.README_START}\nnew table\n{runner.README_END}\noutro\n"
    readme.write_text("no markers")
    with pytest.raises(ValueError):
        runner.update_readme("x", readme)


def test_run_times_are_stated_rounded_and_rewritten_in_the_title_cell(tmp_path):
    assert [runner.stated_run_time(s) for s in (3, 13.0, 24, 57, 58, 97.1, 167.1, 562.4)] == \
        ["5 s", "15 s", "25 s", "55 s", "1 min", "1.5 min", "3 min", "9.5 min"]
    path = tmp_path / "93_demo.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        "# 93 · Demo\n\n**Run time** (full mode, measured): CPU (2 cores) about 60 s · GPU: not yet measured.")])
    nbformat.write(nb, path)
    done = runner.ChapterResult("93", path.name, "passed", 97.1, {})
    failed = runner.ChapterResult("94", "94_missing.ipynb", "failed", 5.0, {})
    assert runner.update_run_times([done, failed], tmp_path) == ["93"]
    assert runner.title_run_time(path) == "1.5 min"
    assert "about 1.5 min · GPU: not yet measured." in path.read_text()
    assert runner.update_run_times([done], tmp_path) == []  # already current


def test_seeds_reach_the_kernel_and_the_spread_table(tmp_path, monkeypatch):
    """--seeds: NN_SEED reaches setup_notebook, promises are strict in the kernel, the table spreads."""
    monkeypatch.setitem(results.THRESHOLDS, "93", {"value": (">=", 5.0)})
    path = tiny_notebook(tmp_path / "93_seeded.ipynb",
                         "from utils.setup import setup_notebook; info = setup_notebook(seed=42, style=False)",
                         "from utils import results; results.THRESHOLDS['93'] = {'value': ('>=', 5.0)}",
                         "results.report('93', value=float(info.seed))")
    out = tmp_path / "out"
    for seed in (4, 7, 9):
        result = runner.run_notebook(path, quick=False, seed=seed)
        assert result.metrics == {"value": float(seed)}
        assert (result.status == "failed") == (seed < 5)
        runner.save_seed_run(out / "seeds", seed, {"date": "today", "mode": "full", "environment": {}}, [result])
    assert "missed its promise" in json.loads((out / "seeds" / "seed-4.json").read_text())["chapters"]["93"]["error"]
    table = runner.write_spread(out)
    assert "| 93 | value | >= 5 | 4 | 7 | 9 | -20.0% | -0.3 | **no** |" in table  # log(4/5) / log(9/4)
    assert "0 of 1 promises hold" in table and "93 (seed 4)" in table
    # A chapter run again on one seed replaces that seed's entry, and the table follows.
    runner.save_seed_run(out / "seeds", 4, {"date": "today", "mode": "full", "environment": {}},
                         [runner.run_notebook(path, quick=False, seed=6)])
    table = runner.write_spread(out)
    assert "| 93 | value | >= 5 | 6 | 7 | 9 | +20.0% | 0.4 | yes |" in table and "1 of 1 promises hold" in table
    assert "Thin: 93 value" in table  # held, but by a third of the seeds' spread


def test_margin_is_relative_to_the_bound():
    assert runner.margin(">=", 0.9, 0.99) == pytest.approx(0.1)
    assert runner.margin("<=", 0.5, 0.6) == pytest.approx(-0.2)
    assert runner.margin("<=", 0.0, 0.0) == 0.0


def test_running_some_chapters_again_keeps_the_other_rows(tmp_path):
    old = {"date": "2026-01-01", "mode": "full", "chapters": [
        dataclasses.asdict(runner.ChapterResult("05", "05_a.ipynb", "passed", 60.0, {"x": 1.0})),
        dataclasses.asdict(runner.ChapterResult("06", "06_b.ipynb", "passed", 90.0, {"y": 2.0}))]}
    (tmp_path / "results.json").write_text(json.dumps(old))
    new = runner.ChapterResult("06", "06_b.ipynb", "passed", 80.0, {"y": 3.0}, date="2026-02-02")
    merged = runner.merge_with_earlier(tmp_path / "results.json", "full", [new])
    assert [(r.chapter, r.date, r.metrics) for r in merged] == [("05", "2026-01-01", {"x": 1.0}),
                                                              ("06", "2026-02-02", {"y": 3.0})]
    table = runner.to_markdown({"date": "2026-02-02", "mode": "full", "environment": {
        "device": "CPU", "platform": "p", "tensorflow": "t", "keras": "k", "python": "3"}}, merged)
    assert "| 05_a.ipynb | passed (measured 2026-01-01) |" in table and "| 06_b.ipynb | passed |" in table
    assert "All chapters together: 2 min." in table  # 60 s + 80 s
    assert runner.merge_with_earlier(tmp_path / "results.json", "quick", [new]) == [new]  # never mixes modes


def test_an_earlier_run_is_recorded_as_a_seed_without_overwriting_newer_ones(tmp_path):
    run = {"date": "2026-01-01", "mode": "full", "environment": {}, "chapters": [
        dataclasses.asdict(runner.ChapterResult("05", "05_a.ipynb", "passed", 60.0, {"x": 1.0})),
        dataclasses.asdict(runner.ChapterResult("06", "06_b.ipynb", "passed", 90.0, {"y": 2.0}))]}
    (tmp_path / "results.json").write_text(json.dumps(run))
    newer = runner.ChapterResult("06", "06_b.ipynb", "passed", 80.0, {"y": 3.0}, date="2026-02-02")
    runner.save_seed_run(tmp_path / "seeds", 42, {"date": "2026-02-02", "mode": "full", "environment": {}}, [newer])
    assert runner.record_run(tmp_path / "results.json", 42, tmp_path / "seeds") == ["05"]
    held = json.loads((tmp_path / "seeds" / "seed-42.json").read_text())["chapters"]
    assert (held["05"]["date"], held["06"]["metrics"]) == ("2026-01-01", {"y": 3.0})
    run["mode"] = "quick"
    (tmp_path / "results.json").write_text(json.dumps(run))
    with pytest.raises(ValueError, match="full-mode"):
        runner.record_run(tmp_path / "results.json", 42, tmp_path / "seeds")
