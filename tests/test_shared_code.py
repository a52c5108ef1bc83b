"""Chapter code has one home: a function or class that two chapters need lives in ``utils/``.

A helper typed again in a later chapter drifts from the first one (chapter 08's ``EpochTimer``
once recorded ``.seconds`` while chapter 06's recorded ``.times``), and a model compared across
chapters stops being the same model. So the body of every chapter is scanned: a name defined at
the top level of a code cell in two chapters fails the test, unless ``ALLOWED_REPEATS`` lists it
with the chapters and the reason. Exercise solution and check cells (nbgrader cells) are not
scanned: what a student writes there is theirs.
"""

from __future__ import annotations

import ast
import inspect
import json
from collections import defaultdict
from pathlib import Path

import pytest

from tools import course

ALLOWED_REPEATS: dict[str, tuple[set[str], str]] = {
    "sigmoid": ({"01", "02", "03", "10"}, "a one-line NumPy formula, written where it is taught (01, 02) or "
                                          "differentiated by hand (03's loss, 10's LSTM gates)"),
    "softmax": ({"02", "03", "12", "13"}, "a from-scratch formula each chapter derives again: 02 its stability, "
                                          "03 its gradient, 12 and 13 inside attention checked against Keras"),
    "mse": ({"03", "14"}, "two different functions: 03 teaches the loss, 14 scores reconstructions in float64"),
    "build_model": ({"04", "05"}, "two different models: 04's two-layer tanh network that mirrors its NumPy "
                                  "backprop, 05's first MNIST classifier"),
    "tape_gradients": ({"04", "07"}, "two different exercise references: 04 differentiates an MLP's loss, "
                                     "07 a one-channel convolution"),
}
"""Names more than one chapter may define: {name: (the chapters, why)}."""

SHARED_MODULES = ("utils.generative", "utils.models", "utils.training")
"""The modules that hold chapter code reused by later chapters."""


def defined_names(source: str) -> list[str]:
    """Functions and classes defined at the top level of a cell (IPython magics skipped)."""
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    tree = ast.parse("\n".join(lines))
    return [node.name for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]


def definitions(paths: list[Path]) -> dict[str, dict[str, list[int]]]:
    """{name: {chapter: [cell indices]}} over the code cells that are not nbgrader cells."""
    found: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for path in paths:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for index, cell in enumerate(cells):
            if cell["cell_type"] != "code" or "nbgrader" in cell.get("metadata", {}):
                continue
            source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            for name in defined_names(source):
                found[name][path.name[:2]].append(index)
    return found


def repeats(paths: list[Path]) -> list[str]:
    """One message per name defined in more chapters than ALLOWED_REPEATS allows."""
    problems = []
    for name, chapters in sorted(definitions(paths).items()):
        allowed = ALLOWED_REPEATS.get(name, (set(), ""))[0]
        if len(chapters) > 1 and not set(chapters) <= allowed:
            where = ", ".join(f"chapter {ch} (cell {', '.join(map(str, cells))})"
                              for ch, cells in sorted(chapters.items()))
            problems.append(f"{name} is defined in {where}: move it to utils/ (the chapter that teaches it "
                            f"prints its code, the others import it), or list it in ALLOWED_REPEATS with the reason")
    return problems


def shared_names() -> set[str]:
    """Public functions and classes of the shared modules."""
    import importlib

    names = set()
    for module_name in SHARED_MODULES:
        module = importlib.import_module(module_name)
        names |= {name for name, obj in vars(module).items() if not name.startswith("_")
                  and (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__ == module_name}
    return names


def test_no_chapter_types_again_what_another_chapter_defines():
    problems = repeats(course.notebooks())
    assert not problems, "\n".join(problems)


def test_no_chapter_redefines_what_utils_shares():
    """A chapter imports a shared helper; it does not keep its own copy under the same name."""
    shadowed = {name: dict(chapters) for name, chapters in definitions(course.notebooks()).items()
                if name in shared_names()}
    assert not shadowed, f"chapters define names that utils shares; import them instead: {shadowed}"


def test_every_allowed_repeat_is_still_repeated():
    """An allowlist entry whose repeat has gone is stale: remove it."""
    found = definitions(course.notebooks())
    stale = [name for name in ALLOWED_REPEATS if len(found.get(name, {})) < 2]
    assert not stale, f"ALLOWED_REPEATS lists names that fewer than two chapters define: {stale}"


def test_shared_helpers_name_the_chapter_that_teaches_them():
    import importlib

    for module_name in SHARED_MODULES:
        module = importlib.import_module(module_name)
        for name in shared_names() & set(vars(module)):
            doc = inspect.getdoc(getattr(module, name)) or ""
            assert "Taught in chapter" in doc, \
                f"{module_name}.{name}: the docstring should say where it is taught ('Taught in chapter NN, ...')"


def notebook(tmp_path: Path, chapter: str, *cells: dict) -> Path:
    path = tmp_path / f"{chapter}_demo.ipynb"
    path.write_text(json.dumps({"cells": list(cells)}), encoding="utf-8")
    return path


def code(source: str, **metadata) -> dict:
    return {"cell_type": "code", "source": source, "metadata": metadata}


def test_the_scan_catches_a_repeat_and_skips_nbgrader_cells(tmp_path):
    first = notebook(tmp_path, "06", code("class EpochTimer:\n    pass\n"), code("def softmax(z):\n    return z"))
    later = notebook(tmp_path, "08", code("%matplotlib inline\nimport time\n\n\nclass EpochTimer:\n    pass\n"),
                     code("def helper():\n    pass", nbgrader={"solution": True, "grade_id": "x"}))
    other = notebook(tmp_path, "10", code("x = 1"), code("def helper():\n    pass\n\n\ndef softmax(z):\n    return z"))
    problems = repeats([first, later, other])
    assert len(problems) == 2, problems   # helper: its other definition is an exercise solution
    assert problems[0].startswith("EpochTimer is defined in chapter 06 (cell 0), chapter 08 (cell 0): move it")
    assert problems[1].startswith("softmax is defined in chapter 06 (cell 1), chapter 10 (cell 1)"), \
        "an allowed repeat is allowed only in the chapters its entry names"


@pytest.mark.parametrize("name", sorted(ALLOWED_REPEATS))
def test_allowlist_entries_give_chapters_and_a_reason(name):
    chapters, reason = ALLOWED_REPEATS[name]
    assert len(chapters) >= 2 and all(len(ch) == 2 and ch.isdigit() for ch in chapters)
    assert len(reason) > 20, f"{name}: say why the repeat is right"
