"""Machine-checkable conventions of CONTRIBUTING.md, for every chapter."""

import json
import re

import pytest

from utils import course

NOTEBOOKS = course.notebooks()
IDS = [p.name for p in NOTEBOOKS]


def load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def source(cell):
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def tags(cell):
    return cell.get("metadata", {}).get("tags", [])


NOT_YET_WRITTEN: set[int] = set()
"""Chapter numbers not written yet although a later chapter exists (none at present)."""


def test_chapters_are_numbered_in_reading_order():
    numbers = [int(p.name[:2]) for p in NOTEBOOKS]
    assert numbers == sorted(set(numbers)) and numbers[0] == 0, numbers
    gaps = set(range(numbers[-1] + 1)) - set(numbers)
    assert gaps <= NOT_YET_WRITTEN, f"chapter numbers missing from the series: {sorted(gaps - NOT_YET_WRITTEN)}"
    assert not NOT_YET_WRITTEN & set(numbers), "a chapter in NOT_YET_WRITTEN exists now: remove it from that set"
    for p in NOTEBOOKS:
        assert re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", p.name), p.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_title_cell(path):
    cell = load(path)["cells"][0]
    text = source(cell)
    assert cell["cell_type"] == "markdown"
    assert text.startswith(f"# {path.name[:2]} · "), "title must read '# NN · Title'"
    assert course.badge(path.name) in text
    for part in ("What you will learn", "Prerequisites", "Run time"):
        assert part in text, f"the first cell must say {part!r}"


def test_title_cells_state_the_run_times_of_the_last_full_run():
    """Each title cell's run time is the full-mode runner's measurement (runner --update-readme writes it)."""
    from utils import runner

    measured = json.loads((course.ROOT / "results" / "results.json").read_text())
    assert measured["mode"] == "full"
    stale = {}
    for chapter in measured["chapters"]:
        path = course.ROOT / "notebooks" / chapter["notebook"]
        if chapter["status"] == "passed" and path.exists():
            want, stated = runner.stated_run_time(chapter["seconds"]), runner.title_run_time(path)
            if stated != want:
                stale[chapter["notebook"]] = f"states {stated}, measured {want}"
    assert not stale, f"run: python -m utils.runner --update-readme (full mode). {stale}"


def test_title_cells_state_the_measured_time_of_their_optional_part():
    """A chapter with an optional part states its time, measured by ``runner --optional`` (results/optional.json)."""
    from utils import runner

    measured = json.loads((course.ROOT / "results" / "optional.json").read_text())["chapters"]
    assert set(measured) == set(runner.OPTIONAL), "run: python -m utils.runner --optional --update-readme"
    for chapter, record in measured.items():
        path = course.ROOT / "notebooks" / record["notebook"]
        stated = runner.title_run_time(path, runner.OPTIONAL_TIME)
        assert stated == runner.stated_run_time(record["optional_seconds"]), \
            f"{path.name} states {stated}: run python -m utils.runner --optional --update-readme"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_bootstrap_setup_and_parameters_cells(path):
    cells = load(path)["cells"]
    assert "bootstrap" in tags(cells[1]) and source(cells[1]) == course.bootstrap_source()
    code = [c for c in cells if c["cell_type"] == "code"]
    setup_at = next(i for i, c in enumerate(code) if "setup_notebook(" in source(c))
    tf_at = next((i for i, c in enumerate(code) if re.search(r"^\s*(import|from) (tensorflow|keras)\b", source(c), re.M)), len(code))
    assert setup_at < tf_at, "setup_notebook() must run before TensorFlow or Keras is imported"
    params = [c for c in code if "parameters" in tags(c)]
    assert len(params) == 1, "exactly one cell tagged 'parameters'"
    assert "quick_mode()" in source(params[0])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_committed_without_outputs(path):
    """No outputs at all: values that must not drift are asserted in the cell, not kept as outputs."""
    for i, cell in enumerate(load(path)["cells"]):
        if cell["cell_type"] != "code":
            continue
        assert cell.get("execution_count") is None, f"cell {i} has an execution count"
        assert not cell.get("outputs"), f"cell {i} has outputs: strip them (python -m utils.strip)"
        assert "NBVAL_CHECK_OUTPUT" not in source(cell), f"cell {i}: assert the values instead of checking outputs"


def test_every_notebook_is_stripped():
    from utils import strip

    assert [p.name for p in NOTEBOOKS if strip.strip_file(p, check=True)] == [], "run: python -m utils.strip notebooks/*.ipynb"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_idioms_and_portability(path):
    nb = load(path)
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    code = "\n".join(source(c) for c in nb["cells"] if c["cell_type"] == "code")
    everything = "\n".join(source(c) for c in nb["cells"])
    assert "../shared" not in everything and "/work/" not in everything
    assert "from tensorflow import keras" not in code and "tf.keras" not in code, "write `import keras`"
    assert "plt.show()" not in code
    assert "input_shape=" not in code, "use keras.Input(shape=...) as the first layer"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_ends_with_summary_mistakes_and_exercises(path):
    sections = [line.lstrip("#").strip().lower() for c in load(path)["cells"] if c["cell_type"] == "markdown"
                for line in source(c).splitlines() if re.match(r"^## \S", line)]
    assert [s.split()[0] if not s.startswith("common") else "common mistakes" for s in sections[-3:]] == \
        ["summary", "common mistakes", "exercises"], f"the last sections should be Summary, Common mistakes, Exercises; got {sections[-3:]}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_only_optional_going_further_cells_are_skipped(path):
    """nbval-skip (which the runner honours too) is for optional work whose data CI cannot have."""
    section = ""
    for cell in load(path)["cells"]:
        if cell["cell_type"] == "markdown":
            found = re.findall(r"^## (.+)$", source(cell), flags=re.M)
            section = found[-1].lower() if found else section
        elif "nbval-skip" in tags(cell):
            assert section.startswith("going further"), f"a skipped cell outside a 'Going further' section: {source(cell)[:80]}"
