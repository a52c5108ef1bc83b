"""Machine-checkable conventions of CONTRIBUTING.md, for every chapter."""

import io
import json
import re
import tokenize

import pytest

from tools import course

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
"""Chapter numbers not written yet although a later chapter exists: ``python -m tools.renumber --insert NN``
records NN here, and the commit that adds chapter NN removes it (tools/renumber.py rewrites this line)."""


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
    from tools import runner

    measured = json.loads((course.ROOT / "results" / "results.json").read_text())
    assert measured["mode"] == "full"
    stale = {}
    for chapter in measured["chapters"]:
        path = course.ROOT / "notebooks" / chapter["notebook"]
        if chapter["status"] == "passed" and path.exists():
            want, stated = runner.stated_run_time(chapter["seconds"]), runner.title_run_time(path)
            if stated != want:
                stale[chapter["notebook"]] = f"states {stated}, measured {want}"
    assert not stale, f"run: python -m tools.runner --update-readme (full mode). {stale}"


# --- The preamble, imports and cell length (CONTRIBUTING.md: "The first cells", "Cells are short") ---------

MAX_BOOTSTRAP_LINES = 6
MAX_CELL_LINES = 15
"""A code cell's limit, counted without its hidden tests; ``long_cell`` metadata (the reason) lifts it."""

LONG_CELL = "long_cell"
PREAMBLE_ONLY = ("keras", "tensorflow", "numpy", "matplotlib", "pandas")
"""Third-party packages imported only in the setup cell (and again in the exercises' setup cell)."""

IMPORT = re.compile(r"^\s*import\s+(?P<names>[\w.]+(?:\s+as\s+\w+)?(?:\s*,\s*[\w.]+(?:\s+as\s+\w+)?)*)"
                    r"|^\s*from\s+(?P<module>[\w.]+)\s+import\b")
HIDDEN_TESTS = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS\b.*?^[ \t]*### END HIDDEN TESTS[^\n]*\n?", re.M | re.S)
EXERCISES = re.compile(r"^## Exercises\b", re.M)


def lines(text: str) -> list[str]:
    return text.splitlines()


def visible_lines(cell) -> list[str]:
    """The cell's lines without its ``### BEGIN HIDDEN TESTS`` … ``### END HIDDEN TESTS`` blocks."""
    return lines(HIDDEN_TESTS.sub("", source(cell)))


def string_lines(text: str) -> set[int]:
    """1-based numbers of the lines inside a multi-line string literal after its first line (a script that a
    cell writes to a file, as chapter 17 does for its worker processes): text, not the cell's own imports."""
    inside: set[int] = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.STRING and token.end[0] > token.start[0]:
                inside.update(range(token.start[0] + 1, token.end[0] + 1))
    except (tokenize.TokenError, SyntaxError):  # not plain Python (a magic): check every line
        return set()
    return inside


def imported_packages(text: str) -> list[tuple[int, str]]:
    """``(line number, top-level package)`` of every import statement in ``text`` (1-based lines), leaving out
    the lines of multi-line string literals (:func:`string_lines`)."""
    found = []
    in_strings = string_lines(text)
    for number, line in enumerate(lines(text), 1):
        if number in in_strings:
            continue
        match = IMPORT.match(line)
        if match and match["module"]:
            found.append((number, match["module"].split(".")[0]))
        elif match:
            found += [(number, name.split()[0].split(".")[0]) for name in match["names"].split(",")]
    return found


def where(index: int, cell) -> str:
    """How a message names a cell: 1-based, as ruff counts them, with its first line."""
    first = next((line for line in lines(source(cell)) if line.strip()), "")
    return f"cell {index + 1} ({first[:60]!r})"


def preamble_problems(cells) -> list[str]:
    """Cell 2 is the generated bootstrap, cell 3 the setup cell, cell 4 the one ``parameters`` cell."""
    problems = []
    if len(cells) < 4 or any(c["cell_type"] != "code" for c in cells[1:4]):
        found = ", ".join(c["cell_type"] for c in cells[1:4])
        return [f"the title cell must be followed by three code cells: bootstrap, setup, parameters (found: {found})"]
    boot, setup, params = cells[1:4]
    if "bootstrap" not in tags(boot):
        problems.append("the second cell must be tagged 'bootstrap'")
    if source(boot) != course.bootstrap_source():
        problems.append(f"the bootstrap cell differs from tools.course.bootstrap_source(): "
                        f"regenerate it with python -m tools.course {course.REPO}")
    if len(lines(source(boot))) > MAX_BOOTSTRAP_LINES:
        problems.append(f"the bootstrap cell has more than {MAX_BOOTSTRAP_LINES} lines")
    setup_lines = lines(source(setup))
    setup_at = next((i for i, line in enumerate(setup_lines) if "setup_notebook(" in line), None)
    tf_at = min((n - 1 for n, package in imported_packages(source(setup)) if package in ("keras", "tensorflow")),
                default=len(setup_lines))
    if setup_at is None:
        problems.append("the setup cell (the third cell) must call setup_notebook(")
    elif tf_at < setup_at:
        problems.append(f"the setup cell imports TensorFlow or Keras (line {tf_at + 1}) before it calls "
                        f"setup_notebook( (line {setup_at + 1})")
    if len(setup_lines) > MAX_CELL_LINES:
        problems.append(f"the setup cell has {len(setup_lines)} lines (at most {MAX_CELL_LINES})")
    tagged = [i for i, c in enumerate(cells) if c["cell_type"] == "code" and "parameters" in tags(c)]
    if tagged != [3]:
        problems.append(f"exactly one code cell tagged 'parameters', right after the setup cell "
                        f"(found at cells {[i + 1 for i in tagged]}, expected [4])")
    if "quick_mode()" not in source(params):
        problems.append("the parameters cell must read quick_mode()")
    return problems


def late_import_problems(cells) -> list[str]:
    """Code cells after the setup cell and before ``## Exercises`` import none of :data:`PREAMBLE_ONLY`."""
    problems = []
    for index, cell in enumerate(cells[3:], 3):
        if cell["cell_type"] == "markdown" and EXERCISES.search(source(cell)):
            break
        if cell["cell_type"] != "code":
            continue
        for number, package in imported_packages(source(cell)):
            if package in PREAMBLE_ONLY:
                problems.append(f"{where(index, cell)} line {number} imports {package}: "
                                "third-party imports belong in the setup cell")
    return problems


def long_cell_problems(cells) -> list[str]:
    """Code cells have at most :data:`MAX_CELL_LINES` visible lines, or a ``long_cell`` reason; no stale reasons."""
    problems = []
    for index, cell in enumerate(cells):
        meta = cell.get("metadata", {})
        if cell["cell_type"] != "code":
            if LONG_CELL in meta:
                problems.append(f"{where(index, cell)} is not a code cell but carries {LONG_CELL!r}")
            continue
        count = len(visible_lines(cell))
        reason = meta.get(LONG_CELL)
        if LONG_CELL in meta and not (isinstance(reason, str) and reason.strip()):
            problems.append(f"{where(index, cell)}: {LONG_CELL!r} must be a non-empty string saying why, "
                            f"got {reason!r}")
        elif count > MAX_CELL_LINES and reason is None:
            problems.append(f"{where(index, cell)} has {count} lines (at most {MAX_CELL_LINES} without hidden "
                            f"tests): split it, or give the reason in its {LONG_CELL!r} metadata")
        elif count <= MAX_CELL_LINES and reason is not None:
            problems.append(f"{where(index, cell)} has {count} lines but still carries {LONG_CELL!r} "
                            f"({reason!r}): remove the stale reason")
    return problems


def test_title_cells_state_the_measured_time_of_their_optional_part():
    """A chapter with an optional part states its time, measured by ``runner --optional`` (results/optional.json)."""
    from tools import runner

    measured = json.loads((course.ROOT / "results" / "optional.json").read_text())["chapters"]
    assert set(measured) == set(runner.OPTIONAL), "run: python -m tools.runner --optional --update-readme"
    for record in measured.values():
        path = course.ROOT / "notebooks" / record["notebook"]
        stated = runner.title_run_time(path, runner.OPTIONAL_TIME)
        assert stated == runner.stated_run_time(record["optional_seconds"]), \
            f"{path.name} states {stated}: run python -m tools.runner --optional --update-readme"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_bootstrap_setup_and_parameters_cells(path):
    problems = preamble_problems(load(path)["cells"])
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_third_party_imports_live_in_the_setup_cell(path):
    problems = late_import_problems(load(path)["cells"])
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_cells_are_short(path):
    problems = long_cell_problems(load(path)["cells"])
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


# The checks themselves, on crafted notebooks: a chapter that keeps the rules, then one break of each rule.

def md(text, **metadata):
    return {"cell_type": "markdown", "metadata": metadata, "source": text}


def code(text, *cell_tags, **metadata):
    return {"cell_type": "code", "metadata": {"tags": list(cell_tags), **metadata}, "source": text,
            "outputs": [], "execution_count": None}


SETUP = """from utils.setup import quick_mode, setup_notebook

info = setup_notebook(seed=42)

import keras
import numpy as np
"""


def good_cells() -> list[dict]:
    return [
        md("# 98 · Demo"),
        code(course.bootstrap_source(), "bootstrap"),
        code(SETUP),
        code("QUICK = quick_mode()\nEPOCHS = 1 if QUICK else 5", "parameters"),
        md("## 1. A section"),
        code("import math\nfrom utils.plots import plot_history\n\nprint(math.pi, np.pi, keras.__version__)"),
        code("\n".join(f"x{i} = {i}" for i in range(20)), long_cell="twenty assignments, read together"),
        code("with exercise('98.1'):\n    check_equal(1, 1)\n    ### BEGIN HIDDEN TESTS\n"
             + "    check_equal(2, 2)\n" * 20 + "    ### END HIDDEN TESTS\n"),
        md("## Exercises"),
        code("import numpy as np\nimport keras\nfrom utils.checks import check_equal, exercise", "exercise_setup"),
    ]


def test_a_chapter_that_keeps_the_rules_passes_every_check():
    cells = good_cells()
    assert preamble_problems(cells) == []
    assert late_import_problems(cells) == []
    assert long_cell_problems(cells) == []


def broken(change) -> list[dict]:
    cells = good_cells()
    change(cells)
    return cells


@pytest.mark.parametrize("change, expected", [
    (lambda c: c.insert(2, md("## Setup")), "three code cells"),
    (lambda c: c[1]["metadata"].update(tags=[]), "tagged 'bootstrap'"),
    (lambda c: c[1].update(source=course.bootstrap_source(course.REPO, "dev")), "differs from tools.course"),
    (lambda c: c[2].update(source="import keras\n" + SETUP), "before it calls setup_notebook("),
    (lambda c: c[2].update(source="import os, tensorflow as tf\n" + SETUP), "(line 1) before it calls"),
    (lambda c: c[2].update(source="from utils.setup import quick_mode\nimport keras"), "must call setup_notebook("),
    (lambda c: c[2].update(source=SETUP + "pass\n" * 10), "the setup cell has 16 lines"),
    (lambda c: c.insert(3, code("QUICK = quick_mode()", "parameters")), "exactly one code cell tagged 'parameters'"),
    (lambda c: c[5]["metadata"].update(tags=["parameters"]), "exactly one code cell tagged 'parameters'"),
    (lambda c: c[3].update(source="EPOCHS = 5"), "must read quick_mode()"),
])
def test_the_preamble_check_finds_each_break(change, expected):
    problems = preamble_problems(broken(change))
    assert problems and all(expected in p for p in problems), problems


def test_bootstrap_length_is_checked(monkeypatch):
    cells = good_cells()
    long_boot = course.bootstrap_source() + "\n# a seventh line"
    cells[1]["source"] = long_boot
    monkeypatch.setattr(course, "bootstrap_source", lambda: long_boot)
    assert preamble_problems(cells) == ["the bootstrap cell has more than 6 lines"]


@pytest.mark.parametrize("line, package", [
    ("import numpy as np", "numpy"),
    ("import matplotlib.pyplot as plt", "matplotlib"),
    ("from tensorflow import data", "tensorflow"),
    ("from keras.layers import Dense", "keras"),
    ("    import pandas as pd", "pandas"),
    ("import os, numpy as np", "numpy"),
])
def test_the_import_check_finds_a_third_party_import_after_the_setup_cell(line, package):
    problems = late_import_problems(broken(lambda c: c.insert(5, code(f"x = 1\n{line}"))))
    assert len(problems) == 1 and f"cell 6 ('x = 1') line 2 imports {package}" in problems[0], problems


def test_the_import_check_allows_stdlib_utils_and_the_exercises_setup():
    cells = broken(lambda c: c.insert(5, code("import collections\nfrom utils.data import load_mnist\n"
                                              "# import numpy as np  (a comment, not an import)")))
    assert late_import_problems(cells) == []
    assert imported_packages("import numpy as np\nfrom keras import ops\nimport os.path, re") == [
        (1, "numpy"), (2, "keras"), (3, "os"), (3, "re")]


def test_the_import_check_skips_a_script_held_in_a_string():
    script = 'SCRIPT = """\\\nimport numpy as np\nimport keras\n"""\nimport pandas as pd'
    assert imported_packages(script) == [(5, "pandas")]
    cells = broken(lambda c: c.insert(5, code('SCRIPT = """\\\nimport numpy as np\nfrom keras import ops\n"""')))
    assert late_import_problems(cells) == []


@pytest.mark.parametrize("change, expected", [
    (lambda c: c[5].update(source="\n".join(["x = 1"] * 16)), "cell 6 ('x = 1') has 16 lines"),
    (lambda c: c[6]["metadata"].pop(LONG_CELL), "cell 7 ('x0 = 0') has 20 lines"),
    (lambda c: c[6]["metadata"].update(long_cell=" "), "must be a non-empty string"),
    (lambda c: c[6]["metadata"].update(long_cell=True), "must be a non-empty string"),
    (lambda c: c[5]["metadata"].update(long_cell="it used to be long"), "remove the stale reason"),
    (lambda c: c[4]["metadata"].update(long_cell="prose"), "is not a code cell"),
    (lambda c: c[7].update(source=c[7]["source"].replace("### END HIDDEN TESTS", "### END")), "cell 8"),
])
def test_the_length_check_finds_each_break(change, expected):
    problems = long_cell_problems(broken(change))
    assert len(problems) == 1 and expected in problems[0], problems


def test_hidden_tests_do_not_count_and_fifteen_lines_are_allowed():
    hidden = "### BEGIN HIDDEN TESTS\n" + "check()\n" * 30 + "### END HIDDEN TESTS\n"
    cell = code("a = 1\n" + hidden + "b = 2\n" + hidden + "c = 3")
    assert visible_lines(cell) == ["a = 1", "b = 2", "c = 3"]
    assert long_cell_problems([code("\n".join(["x = 1"] * MAX_CELL_LINES))]) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_committed_without_outputs(path):
    """No outputs at all: values that must not drift are asserted in the cell, not kept as outputs."""
    for i, cell in enumerate(load(path)["cells"]):
        if cell["cell_type"] != "code":
            continue
        assert cell.get("execution_count") is None, f"cell {i} has an execution count"
        assert not cell.get("outputs"), f"cell {i} has outputs: strip them (python -m tools.strip)"
        assert "NBVAL_CHECK_OUTPUT" not in source(cell), f"cell {i}: assert the values instead of checking outputs"


def test_every_notebook_is_stripped():
    from tools import strip

    unstripped = [p.name for p in NOTEBOOKS if strip.strip_file(p, check=True)]
    assert unstripped == [], "run: python -m tools.strip notebooks/*.ipynb"


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
        ["summary", "common mistakes", "exercises"], \
        f"the last sections should be Summary, Common mistakes, Exercises; got {sections[-3:]}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_only_optional_going_further_cells_are_skipped(path):
    """nbval-skip (which the runner honours too) is for optional work whose data CI cannot have."""
    section = ""
    for cell in load(path)["cells"]:
        if cell["cell_type"] == "markdown":
            found = re.findall(r"^## (.+)$", source(cell), flags=re.M)
            section = found[-1].lower() if found else section
        elif "nbval-skip" in tags(cell):
            assert section.startswith("going further"), \
                f"a skipped cell outside a 'Going further' section: {source(cell)[:80]}"
