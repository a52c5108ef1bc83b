"""The student release: every chapter with its solutions replaced by stubs, from one command.

::

    python -m tools.release                                  # -> release/ (this repo's address)
    python -m tools.release --repo you/nn-course --branch student --out ../student
    python -m tools.release --gradebook                      # also record it for `nbgrader autograde`

The notebooks in ``notebooks/`` are the instructor versions. nbgrader itself
(``nbgrader generate_assignment``, with this repository's ``nbgrader_config.py``)
replaces each solution with a stub that raises ``NotImplementedError``, removes
the hidden tests, clears outputs and locks the check cells. This module then
makes the result a course folder a student can use on its own: ``notebooks/``,
``utils/``, ``requirements.txt``, ``environment.yml`` and a short README, with
every Colab badge and bootstrap cell pointing at the release location
(``--repo``/``--branch``), where you push or upload that folder.

With ``--gradebook``, nbgrader also records the assignment and its check cells in
``gradebook.db`` here, which ``nbgrader autograde notebooks`` needs later.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from tools import course, sections

ASSIGNMENT = "notebooks"
"""The nbgrader assignment: the repository's ``notebooks/`` folder (see nbgrader_config.py)."""

COPIED = ("requirements.txt", "environment.yml")
GUIDE = course.ROOT / "docs" / "instructor_guide.md"
EXERCISE_ID = re.compile(r"^ex(?P<chapter>\d{2})_(?P<number>\d+)_(?P<kind>solution|check|answer)(?:_(?P<part>[a-z]))?$")
"""``exNN_k_solution``, ``exNN_k_check`` (or ``exNN_k_check_a``, ``_b``, … for an exercise graded in
parts), ``exNN_k_answer`` (a written answer, graded by hand)."""


def nbgrader_config(root: Path = course.ROOT) -> Any:
    """The traitlets config in ``root/nbgrader_config.py`` (the code stub, the folders)."""
    from traitlets.config.loader import PyFileConfigLoader

    return PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()


def nbgrader_env() -> dict[str, str]:
    """The environment for an ``nbgrader`` subprocess: this Python's scripts first on PATH.

    nbgrader runs the ``alembic`` command of its own environment to manage the gradebook,
    so its folder must be on PATH even when the virtual environment is not activated.
    """
    import os

    scripts = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": scripts + os.pathsep + os.environ.get("PATH", "")}


def student_version(nb: Any, config: Any = None) -> Any:
    """A copy of one notebook as nbgrader releases it: stubs in, hidden tests out, no outputs.

    Uses nbgrader's own preprocessors with the course's configuration; the tests
    use it to prove that every check fails on the stub.
    """
    import copy

    from nbgrader.preprocessors import ClearHiddenTests, ClearOutput, ClearSolutions

    config = config if config is not None else nbgrader_config()
    nb = copy.deepcopy(nb)
    resources: dict[str, Any] = {}
    for pre in (ClearSolutions(config=config), ClearHiddenTests(config=config), ClearOutput(config=config)):
        nb, resources = pre.preprocess(nb, resources)
    return nb


def exercises(nb: Any) -> dict[str, dict[str, Any]]:
    """The cell indices of each exercise, by key (``"05.1"``).

    An automatically graded exercise: ``{"solution": i, "checks": [j, ...]}`` (one check cell, or
    one per part); a written one: ``{"answer": i}``. ``"statement"`` is the nearest markdown cell
    above the solution or answer cell.

    Raises:
        ValueError: if a ``grade_id`` does not follow :data:`EXERCISE_ID`.
    """
    found: dict[str, dict[str, Any]] = {}
    for index, cell in enumerate(nb.cells):
        meta = cell.get("metadata", {}).get("nbgrader")
        if not meta:
            continue
        match = EXERCISE_ID.match(meta.get("grade_id", ""))
        if not match:
            raise ValueError(f"cell {index}: grade_id {meta.get('grade_id')!r} should look like ex05_1_solution, "
                             "ex05_1_check, ex05_1_check_a or ex05_1_answer")
        entry = found.setdefault(f"{match['chapter']}.{match['number']}", {})
        if match["kind"] == "check":
            entry.setdefault("checks", []).append(index)
        else:
            entry[match["kind"]] = index
            # the nearest markdown cell above (a bug hunt's broken code may stand in between)
            entry["statement"] = next(i for i in range(index - 1, -1, -1) if nb.cells[i].get("cell_type") == "markdown")
    return found


def points(nb: Any, cells: dict[str, Any]) -> float:
    """An exercise's points: its check cells' (all parts) or its written answer's."""
    graded = cells.get("checks", []) + ([cells["answer"]] if "answer" in cells else [])
    return sum(nb.cells[i].metadata["nbgrader"]["points"] for i in graded)


KINDS = ("warm-up", "core", "stretch", "experiment", "bug hunt", "written")
LEVEL = re.compile(r"\((" + "|".join(KINDS) + r")\s*·\s*about\s*(\d+)\s*min", re.I)
GUIDE_START, GUIDE_END = "<!-- exercises:start -->", "<!-- exercises:end -->"
RUBRICS_START, RUBRICS_END = "<!-- rubrics:start -->", "<!-- rubrics:end -->"


def exercise_table(notebooks: list[Path] | None = None) -> str:
    """Markdown table of every exercise: chapter, title, level, expected minutes, points.

    Read from the notebooks themselves (the ``### Exercise NN.k · Title`` cell, its
    *(level · about N min)* line and the check cell's points), so the instructor
    guide cannot drift from them.

    Raises:
        ValueError: if an exercise's statement lacks its title, level or time.
    """
    import nbformat

    rows = ["| chapter | exercise | kind | about | points | graded |", "|---|---|---|---|---|---|"]
    for path in notebooks if notebooks is not None else course.notebooks():
        nb = nbformat.read(path, as_version=4)
        minutes = total = 0
        for key, cells in release_order(exercises(nb)):
            title, kind, mins = statement(nb, key, cells, path.name)
            pts = points(nb, cells)
            parts = len(cells.get("checks", []))
            graded = "by hand (rubric below)" if "answer" in cells else (
                f"automatically, in {parts} parts" if parts > 1 else "automatically")
            minutes, total = minutes + mins, total + pts
            rows.append(f"| {path.stem} | {key} {title} | {kind} | {mins} min | {pts:g} | {graded} |")
        rows.append(f"| **{path.stem}** | all exercises | | **{minutes} min** | **{total:g}** | |")
    return "\n".join(rows) + "\n"


def statement(nb: Any, key: str, cells: dict[str, Any], name: str = "notebook") -> tuple[str, str, int]:
    """An exercise's title, kind and expected minutes, read from its statement cell.

    Raises:
        ValueError: if the statement lacks ``### Exercise NN.k · Title`` or ``(kind · about N min)``.
    """
    text = nb.cells[cells["statement"]].source
    title = re.match(rf"### Exercise {re.escape(key)} · (.+)", text)
    level = LEVEL.search(text)
    if not title or not level:
        raise ValueError(f"{name} exercise {key}: its statement should start with '### Exercise {key} · Title' "
                         f"and give '({' | '.join(KINDS)} · about N min)'")
    return title[1].strip(), level[1].lower(), int(level[2])


def rubrics(notebooks: list[Path] | None = None) -> str:
    """Every written question with its model answer and rubric, read from the instructor notebooks."""
    import nbformat

    parts = []
    for path in notebooks if notebooks is not None else course.notebooks():
        nb = nbformat.read(path, as_version=4)
        for key, cells in release_order(exercises(nb)):
            if "answer" not in cells:
                continue
            title, _, _ = statement(nb, key, cells, path.name)
            question = nb.cells[cells["statement"]].source.split("\n", 1)[1].strip()
            answer = nb.cells[cells["answer"]].source.strip()
            if "**Rubric" not in answer:
                raise ValueError(f"{path.name} exercise {key}: "
                                 "the answer cell should end with a '**Rubric (N points).**' list")
            parts.append(f"#### {key} · {title} ({path.stem})\n\n{question}\n\n{answer}\n")
    return "\n".join(parts)


def release_order(found: dict[str, dict[str, int]]) -> list[tuple[str, dict[str, int]]]:
    """Exercises in their numbered order (05.2 before 05.10)."""
    return sorted(found.items(), key=lambda item: int(item[0].split(".")[1]))


def update_guide(guide: Path, table: str, start: str = GUIDE_START, end: str = GUIDE_END) -> bool:
    """Put ``table`` between the guide's ``start`` and ``end`` markers; return whether it changed.

    Raises:
        ValueError: if the guide lacks the markers.
    """
    return sections.replace_section(guide, start, end, table)


def generate(out: Path, repo: str = course.REPO, branch: str = course.BRANCH, gradebook: bool = False,
             root: Path = course.ROOT) -> list[Path]:
    """Write the student release of the whole series to ``out`` and return its notebooks.

    Raises:
        ValueError: if ``out`` is inside ``notebooks/``, or ``repo``/``branch`` are malformed.
        RuntimeError: if nbgrader fails (its output is included).
    """
    course._check_repo(repo, branch)
    out = Path(out).resolve()
    if (root / ASSIGNMENT).resolve() in (out, *out.parents):
        raise ValueError(f"the release must not go inside {root / ASSIGNMENT}")
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "nbgrader", "generate_assignment", ASSIGNMENT, "--force",
                   f"--CourseDirectory.root={root}", f"--CourseDirectory.release_directory={tmp}"]
        if not gradebook:
            command.append("--no-db")
        done = subprocess.run(command, cwd=root, capture_output=True, text=True, env=nbgrader_env())
        if done.returncode != 0:
            raise RuntimeError(f"nbgrader generate_assignment failed:\n{done.stdout}\n{done.stderr}")
        if out.exists():
            shutil.rmtree(out)
        (out / ASSIGNMENT).mkdir(parents=True)
        for path in sorted((Path(tmp) / ASSIGNMENT).glob("*.ipynb")):
            shutil.copy2(path, out / ASSIGNMENT / path.name)
    shutil.copytree(root / "utils", out / "utils", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in COPIED:
        shutil.copy2(root / name, out / name)
    (out / "README.md").write_text(student_readme(course.notebooks(out), repo, branch), encoding="utf-8")
    course.repoint(repo, branch, root=out)
    return course.notebooks(out)


def student_readme(notebooks: list[Path], repo: str, branch: str) -> str:
    """The release's README: how to start, and one Colab badge per chapter."""
    rows = "\n".join(f"| {p.stem} | {course.badge(p.name, repo, branch)} |" for p in notebooks)
    return f"""# Neural networks, from one neuron to Transformers: student version

Each chapter ends with exercises. Write your code where a cell says `YOUR CODE HERE`
(replace the `raise NotImplementedError(...)` line), run it, then run the check cell
below it: it tells you what is right and, when something is not, what was expected.

Run it on your machine:
`python3 -m venv .venv && .venv/bin/pip install -r requirements.txt && .venv/bin/jupyter lab notebooks/`,
or open a chapter in Google Colab:

| chapter | open |
|---|---|
{rows}
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=course.ROOT / "release", help="folder to write (replaced)")
    parser.add_argument("--repo", default=course.REPO, help="GitHub owner/name where the release will live")
    parser.add_argument("--branch", default=course.BRANCH, help="branch where the release will live")
    parser.add_argument("--gradebook", action="store_true", help="record the assignment in gradebook.db")
    parser.add_argument("--update-guide", action="store_true",
                        help=f"only rewrite the exercise table and rubrics in {GUIDE.relative_to(course.ROOT)}")
    args = parser.parse_args(argv)
    if args.update_guide:
        changed = update_guide(GUIDE, exercise_table())
        changed = update_guide(GUIDE, rubrics(), RUBRICS_START, RUBRICS_END) or changed
        print(f"{GUIDE.name}: {'updated' if changed else 'already up to date'}")
        return 0
    written = generate(args.out, args.repo, args.branch, args.gradebook)
    points = 0
    for path in written:
        nb = json.loads(path.read_text(encoding="utf-8"))
        points += sum(c["metadata"]["nbgrader"].get("points", 0) for c in nb["cells"]
                      if c.get("metadata", {}).get("nbgrader", {}).get("grade"))
    print(f"wrote {len(written)} student notebooks ({points:g} points of autograded checks) to {args.out}, "
          f"pointing at {args.repo} ({args.branch})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
