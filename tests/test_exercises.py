"""The autograded exercises are real: each check fails on the student stub and passes on the solution.

For every chapter, one kernel runs the chapter's first cells (bootstrap, setup,
parameters) and then its Exercises section twice: first as nbgrader releases it
to students (every check must say it is waiting for the student's code), then
as written here (every check must pass). The student pass comes first, so a
stub can never borrow a value that a solution defined. Chapters with an experiment
exercise (a training setup that must reach a target) run on seeds 42 and 43.
This runs in quick mode; ``NN_EXERCISES_FULL=1`` runs it in full mode instead.

Written questions are graded by hand: their answer cells hold a model answer and
a rubric, which the instructor guide collects.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tools import course, release

NOTEBOOKS = course.notebooks()
HEADER_CELLS = 4  # title, bootstrap, setup, parameters (see CONTRIBUTING.md)
SETUP_TAG = "exercise_setup"
FULL_ENV = "NN_EXERCISES_FULL"
EXPERIMENTS_FROM = 5   # every chapter from 05 on has an experiment exercise
MIN_BUG_HUNTS = 6      # chapters with a "find the bug" exercise


def load(path: Path):
    return nbformat.read(path, as_version=4)


def section_start(nb) -> int:
    """Index of the markdown cell that opens ``## Exercises``."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and cell.source.lstrip().startswith("## Exercises"):
            return index
    raise AssertionError("the chapter has no '## Exercises' section")


def defined_names(source: str) -> set[str]:
    """Top-level names a cell defines (functions, classes, assignments, imports)."""
    names: set[str] = set()
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


def kinds(nb) -> dict[str, str]:
    """Each exercise's kind (warm-up, core, stretch, experiment, bug hunt, written)."""
    return {key: release.statement(nb, key, cells)[1] for key, cells in release.exercises(nb).items()}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_exercises_follow_the_nbgrader_format(path):
    from nbgrader.preprocessors import CheckCellMetadata

    nb = load(path)
    CheckCellMetadata().preprocess(nb, {})  # nbgrader's own validation of the metadata
    start = section_start(nb)
    found = release.exercises(nb)
    chapter = path.name[:2]
    assert 4 <= len(found) <= 6, f"{path.name}: {len(found)} exercises, expected 4 to 6"
    order = sorted(found, key=lambda k: int(k.split(".")[1]))
    assert order == [f"{chapter}.{k}" for k in range(1, len(found) + 1)]
    setup = [i for i, c in enumerate(nb.cells) if SETUP_TAG in c.metadata.get("tags", [])]
    assert len(setup) == 1 and start < setup[0] < min(e["statement"] for e in found.values()), \
        f"{path.name}: one cell tagged {SETUP_TAG} opens the Exercises section"
    kind = kinds(nb)
    assert [k for k in order if kind[k] == "written"] == order[-1:], \
        f"{path.name}: one written question, the last exercise"
    if int(chapter) >= EXPERIMENTS_FROM:
        assert "experiment" in kind.values(), \
            f"{path.name}: chapters from {EXPERIMENTS_FROM:02d} on have an experiment exercise"
    for key, cells in found.items():
        heading = nb.cells[cells["statement"]]
        assert start < cells["statement"] and heading.cell_type == "markdown" and \
            heading.source.startswith(f"### Exercise {key} "), f"{key}: a '### Exercise {key} · ...' cell states it"
        if "answer" in cells:
            check_written(nb, key, cells)
        else:
            check_autograded(nb, key, cells)


def check_written(nb, key: str, cells: dict) -> None:
    assert set(cells) == {"statement", "answer"}, f"{key}: a written question has an answer cell and nothing else"
    answer = nb.cells[cells["answer"]]
    meta = answer.metadata["nbgrader"]
    assert answer.cell_type == "markdown" and meta["solution"] and meta["grade"] and not meta["locked"]
    assert meta["points"] > 0 and "**Model answer.**" in answer.source and "**Rubric" in answer.source, \
        f"{key}: the answer cell holds '**Model answer.**' and a '**Rubric (N points).**' list"


def check_autograded(nb, key: str, cells: dict) -> None:
    assert set(cells) == {"statement", "solution", "checks"}, f"{key} lacks a solution or a check cell"
    sol = nb.cells[cells["solution"]]
    assert "### BEGIN SOLUTION" in sol.source and "### END SOLUTION" in sol.source
    meta = sol.metadata["nbgrader"]
    assert meta["solution"] and not meta["grade"] and not meta["locked"]
    checks = cells["checks"]
    assert checks == list(range(cells["solution"] + 1, cells["solution"] + 1 + len(checks))), \
        f"{key}: its check cells follow the solution cell"
    total = release.points(nb, cells)
    if total >= 3:
        assert len(checks) >= 2, f"{key} is worth {total:g} points: grade it in parts (exNN_k_check_a, _b, ...)"
    for index, letter in zip(checks, "abcdefgh"):
        chk, meta = nb.cells[index], nb.cells[index].metadata["nbgrader"]
        assert meta["grade"] and meta["locked"] and not meta["solution"] and meta["points"] > 0
        if len(checks) == 1:
            assert meta["grade_id"].endswith("_check") and f'with exercise("{key}")' in chk.source, \
                f"{key}: checks run inside with exercise(\"{key}\")"
        else:
            assert meta["grade_id"].endswith(f"_check_{letter}") and \
                f'with exercise("{key}", part="{letter}")' in chk.source, \
                f"{key}: part {letter} is graded by exNN_k_check_{letter}, " \
                f"inside with exercise(\"{key}\", part=\"{letter}\")"
        assert "### BEGIN HIDDEN TESTS" in chk.source and "### END HIDDEN TESTS" in chk.source


def test_the_series_hunts_bugs():
    hunting = [p.name[:2] for p in NOTEBOOKS if "bug hunt" in kinds(load(p)).values()]
    assert len(hunting) >= MIN_BUG_HUNTS, f"'bug hunt' exercises in chapters {hunting}; at least {MIN_BUG_HUNTS} wanted"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_solution_names_are_defined_nowhere_else(path):
    """A stub must not pass by picking up a variable that the chapter defined earlier."""
    nb = load(path)
    solutions = {e["solution"] for e in release.exercises(nb).values() if "solution" in e}
    elsewhere: set[str] = set()
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and index not in solutions:
            elsewhere |= defined_names(cell.source)
    for index in solutions:
        clash = {n for n in defined_names(nb.cells[index].source) if n in elsewhere and n not in {"np", "keras", "tf"}}
        assert not clash, f"{path.name}: solution cell {index} defines {sorted(clash)}, which other cells define too"


def test_grade_ids_are_unique_across_the_series():
    ids = [c.metadata["nbgrader"]["grade_id"] for p in NOTEBOOKS for c in load(p).cells if "nbgrader" in c.metadata]
    assert len(ids) == len(set(ids))


def outputs_error(cell) -> tuple[str, str] | None:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return out["ename"], out["evalue"]
    return None


def printed(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")


def exercise_problems(nb, folder: Path, quick: bool = True, seed: int | None = None) -> list[str]:
    """Run the header, the student version of the Exercises section, then the section itself.

    Returns what is wrong: a check that does not fail on the stub (saying it waits for
    the student's code), a check that does not pass on the solution, any other error.
    """
    import nbclient

    section = nb.cells[section_start(nb):]
    student = release.student_version(nbformat.v4.new_notebook(cells=section)).cells
    for index, cell in enumerate(student):
        cell["id"] = f"student-{index}"
    run = nbformat.v4.new_notebook(metadata=nb.metadata, cells=nb.cells[:HEADER_CELLS] + student + section)
    old = dict(os.environ)
    os.environ["NN_QUICK"] = "1" if quick else "0"
    if seed is not None:
        os.environ["NN_SEED"] = str(seed)
    try:
        nbclient.NotebookClient(run, timeout=600, kernel_name="python3", allow_errors=True,
                                resources={"metadata": {"path": str(folder)}}).execute()
    finally:
        os.environ.clear()
        os.environ.update(old)
    problems = [f"header cell {i} failed: {outputs_error(c)}" for i, c in enumerate(run.cells[:HEADER_CELLS])
                if outputs_error(c)]
    n = len(section)
    for cell in run.cells[HEADER_CELLS:HEADER_CELLS + n]:
        error, meta = outputs_error(cell), cell.metadata.get("nbgrader", {})
        if cell.cell_type == "markdown":
            continue
        if meta.get("grade"):
            if not (error and error[0] == "ExerciseNotDone" and "waiting for your code" in error[1]):
                problems.append(f"{meta['grade_id']} should fail on the student stub, saying it waits "
                                f"for the student's code; got {error}")
        elif meta.get("solution"):
            if error and error[0] != "NotImplementedError":
                problems.append(f"{meta['grade_id']}: the student stub raised {error}")
        elif error:
            problems.append(f"a cell failed in the student version: {error}\n{cell.source[:300]}")
    for cell in run.cells[HEADER_CELLS + n:]:
        error, meta = outputs_error(cell), cell.metadata.get("nbgrader", {})
        if error:
            problems.append(f"{meta.get('grade_id', 'a cell')} fails with the solution: {error}\n{cell.source[:300]}")
        elif meta.get("grade") and cell.cell_type == "code":
            match = release.EXERCISE_ID.match(meta["grade_id"])
            part = f" (part {match['part']})" if match["part"] else ""
            name = f"Exercise {match['chapter']}.{match['number']}{part}"
            if f"{name}: all checks passed." not in printed(cell):
                problems.append(f"{meta['grade_id']} did not report that its checks passed")
    return problems


def seeded_runs() -> list:
    """(notebook, seed): seed 42 for every chapter, 43 too where an experiment must reach a target."""
    runs = []
    for path in NOTEBOOKS:
        runs.append(pytest.param(path, 42, id=f"{path.stem}-42"))
        try:
            experiment = "experiment" in kinds(load(path)).values()
        except ValueError:  # a malformed statement: the format test says so
            experiment = False
        if experiment:
            runs.append(pytest.param(path, 43, id=f"{path.stem}-43"))
    return runs


@pytest.mark.parametrize("path,seed", seeded_runs())
def test_checks_fail_on_the_stub_and_pass_on_the_solution(path, seed):
    full = os.environ.get(FULL_ENV, "") == "1"
    problems = exercise_problems(load(path), path.parent, quick=not full, seed=seed)
    assert not problems, "\n".join(problems)


def test_the_harness_catches_a_check_that_passes_on_the_stub_and_a_wrong_solution(tmp_path):
    cell = nbformat.v4.new_code_cell
    boot = f"import sys; sys.path.insert(0, {str(course.ROOT)!r})"

    def exercise_cells(k: int, body: str, check: str) -> list:
        grade = {"schema_version": 3, "grade_id": f"ex98_{k}_solution", "grade": False, "solution": True,
                 "locked": False}
        hidden = "    ### BEGIN HIDDEN TESTS\n    pass\n    ### END HIDDEN TESTS"
        return [nbformat.v4.new_markdown_cell(f"### Exercise 98.{k} · Demo\n*(core · about 5 min)*"),
                cell(f"def double{k}(x):\n    ### BEGIN SOLUTION\n    {body}\n    ### END SOLUTION",
                     metadata={"nbgrader": grade}),
                cell(f'with exercise("98.{k}"):\n    {check}\n{hidden}',
                     metadata={"nbgrader": {**grade, "grade_id": f"ex98_{k}_check", "grade": True, "solution": False,
                                            "locked": True, "points": 1}})]

    kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": kernelspec})
    nb.cells = [nbformat.v4.new_markdown_cell("# 98 · Demo"), cell(boot), cell("x = 1"), cell("y = 2"),
                nbformat.v4.new_markdown_cell("## Exercises"),
                cell("from utils.checks import exercise, check_equal", metadata={"tags": [SETUP_TAG]}),
                *exercise_cells(1, "return 2 * x", "check_equal(double1(2), 4)"),       # a good exercise
                *exercise_cells(2, "return 2 * x", "check_equal(2 * 2, 4)"),            # passes on the stub
                *exercise_cells(3, "return x + 1", "check_equal(double3(3), 6)")]       # a wrong solution
    problems = "\n".join(exercise_problems(nb, tmp_path))
    assert "ex98_1" not in problems
    assert "ex98_2_check should fail on the student stub" in problems
    assert "ex98_3_check fails with the solution" in problems and "should be 6, but it is 4" in problems


def test_release_has_stubs_no_solutions_and_points_at_the_release(tmp_path):
    written = release.generate(tmp_path / "student", repo="someone/course-fork", branch="student")
    root = tmp_path / "student"
    assert [p.name for p in written] == [p.name for p in NOTEBOOKS]
    assert (root / "utils" / "checks.py").is_file() and (root / "requirements.txt").is_file()
    assert not (root / "tools").exists(), "students get the learner's package, not the maintainers' tools"
    assert course.out_of_date(root, "someone/course-fork", "student") == []
    readme = (root / "README.md").read_text()
    assert all(course.colab_url(p.name, "someone/course-fork", "student") in readme for p in NOTEBOOKS)
    for path, original in zip(written, NOTEBOOKS):
        text = path.read_text()
        assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
        nb, source = load(path), load(original)
        found = release.exercises(nb)
        assert found.keys() == release.exercises(source).keys()
        for cells in found.values():
            if "answer" in cells:
                assert nb.cells[cells["answer"]].source.strip() == "YOUR ANSWER HERE"
                continue
            assert 'raise NotImplementedError("replace this line with your code")' in nb.cells[cells["solution"]].source
            for index in cells["checks"]:
                check = nb.cells[index]
                assert check.metadata.get("editable") is False and check.metadata.get("deletable") is False
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    with pytest.raises(ValueError, match="must not go inside"):
        release.generate(course.ROOT / "notebooks" / "release")


PARTIAL_CHAPTER = "03"  # a quick chapter with a 3-point exercise graded in two parts
SOLUTION_BLOCK = re.compile(r"### BEGIN SOLUTION\n.*?### END SOLUTION", re.S)


def half_solved(source: str) -> str:
    """A solution cell with its first solution block kept and every later one back to the stub."""
    blocks = SOLUTION_BLOCK.findall(source)
    assert len(blocks) >= 2, "the partial-credit exercise needs a solution cell with two solution blocks"
    head, tail = source.split(blocks[0], 1)
    stub = 'raise NotImplementedError("replace this line with your code")'
    return head + blocks[0] + SOLUTION_BLOCK.sub(stub, tail)


def test_an_instructor_can_autograde_a_submission_with_partial_credit(tmp_path):
    """The instructor guide's loop: release, a student answers, autograde, grades per part.

    Alice solves the chapter's first exercise, half of its two-part exercise (the first
    function of the solution cell; the second is still the stub) and writes an answer to
    the written question. She must get every point of the first exercise, the points of
    part a and none of part b, and her written answer must wait for a manual grade.
    """
    import shutil

    from nbgrader.api import Gradebook

    source = next(p for p in NOTEBOOKS if p.name.startswith(PARTIAL_CHAPTER))
    root = tmp_path / "course"
    (root / "notebooks").mkdir(parents=True)
    (root / "notebooks" / source.name).write_bytes(source.read_bytes())
    shutil.copytree(course.ROOT / "utils", root / "utils", ignore=shutil.ignore_patterns("__pycache__"))
    (root / "nbgrader_config.py").write_bytes((course.ROOT / "nbgrader_config.py").read_bytes())
    env = {**release.nbgrader_env(), "NN_QUICK": "1"}

    def nbgrader(*args: str) -> None:
        done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=root, env=env,
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr

    nbgrader("generate_assignment", "notebooks", "--force")
    nbgrader("db", "student", "add", "alice")
    original, released = load(source), load(root / "release" / "notebooks" / source.name)
    found = release.exercises(original)
    first = found[f"{PARTIAL_CHAPTER}.1"]
    split = next(cells for cells in found.values() if len(cells.get("checks", [])) == 2)
    written = next(cells for cells in found.values() if "answer" in cells)
    released.cells[first["solution"]].source = original.cells[first["solution"]].source
    released.cells[split["solution"]].source = half_solved(original.cells[split["solution"]].source)
    released.cells[written["answer"]].source = "Because the loss is bounded, one bad prediction cannot dominate."
    submitted = root / "submitted" / "alice" / "notebooks"
    submitted.mkdir(parents=True)
    nbformat.write(released, submitted / source.name)
    nbgrader("autograde", "notebooks", "--force")
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        notebook = gb.find_submission_notebook(source.stem, "notebooks", "alice")
        grades = {g.name: (g.score, g.max_score, g.needs_manual_grade) for g in notebook.grades}
    part_a, part_b = (original.cells[i].metadata["nbgrader"]["grade_id"] for i in split["checks"])
    whole = original.cells[first["checks"][0]].metadata["nbgrader"]["grade_id"]
    answer = original.cells[written["answer"]].metadata["nbgrader"]["grade_id"]
    assert grades[whole][0] == grades[whole][1] > 0, grades
    assert grades[part_a][0] == grades[part_a][1] > 0 and grades[part_b][0] == 0 < grades[part_b][1], grades
    assert grades[answer][2], f"the written answer should wait for a manual grade: {grades}"
    solved = {whole, part_a, part_b, answer}
    assert all(score == 0 for name, (score, _, _) in grades.items() if name not in solved), grades


def test_instructor_guide_lists_every_exercise():
    table = release.exercise_table()  # raises if a statement lacks its title, level or time
    assert table.count("| all exercises |") == len(NOTEBOOKS)
    guide = release.GUIDE.read_text()
    shown = guide.split(release.GUIDE_START, 1)[1].split(release.GUIDE_END, 1)[0]
    assert shown.strip() == table.strip(), "run: python -m tools.release --update-guide"


def test_update_guide_needs_its_markers(tmp_path):
    guide = tmp_path / "guide.md"
    guide.write_text(f"intro\n{release.GUIDE_START}\nold\n{release.GUIDE_END}\nend\n")
    assert release.update_guide(guide, "new\n")
    assert guide.read_text() == f"intro\n{release.GUIDE_START}\nnew\n{release.GUIDE_END}\nend\n"
    assert not release.update_guide(guide, "new\n")
    guide.write_text("no markers")
    with pytest.raises(ValueError, match="exercises:start"):
        release.update_guide(guide, "x")
