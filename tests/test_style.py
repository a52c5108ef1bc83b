"""`ruff check .` is clean: the Python code and the notebooks follow the rules in pyproject.toml.

CI installs ruff from requirements.txt and runs pytest, so this test is how CI enforces the style;
the pre-commit hook runs the same command before each commit.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tools import course


def ruff_check(root: Path) -> subprocess.CompletedProcess:
    """``python -m ruff check .`` in ``root``, as a contributor types it (it reads pyproject.toml there),
    one line per finding."""
    command = [sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise", "."]
    return subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=300, check=False)


def test_ruff_finds_nothing_in_the_repository():
    done = ruff_check(course.ROOT)
    assert done.returncode == 0, f"ruff check . found problems (ruff check --fix . fixes some):\n" \
        f"{done.stdout[-6000:]}{done.stderr[-2000:]}"


def test_ruff_reports_a_bad_file_and_reads_notebooks(tmp_path):
    """The same invocation on a copy of the configuration fails on an unused import, in a module and in a
    notebook, and accepts the generated bootstrap cell and a setup cell that calls setup_notebook between
    its imports (E402 is off in notebooks)."""
    shutil.copy(course.ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "module.py").write_text('"""A module."""\n\nimport os\n', encoding="utf-8")
    setup = ["from utils.setup import quick_mode, setup_notebook\n", "\n", "info = setup_notebook(seed=42)\n",
             "\n", "import numpy as np\n"]
    cells = [{"cell_type": "code", "metadata": {}, "source": source, "outputs": [], "execution_count": None}
             for source in (course.bootstrap_source(), setup, ["import json\n", "\n", "print(np, quick_mode)"])]
    notebook = {"cells": cells,
                "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                             "language_info": {"name": "python"}},
                "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "98_demo.ipynb").write_text(json.dumps(notebook), encoding="utf-8")

    done = ruff_check(tmp_path)
    report = done.stdout + done.stderr
    assert done.returncode == 1, report
    assert "module.py:3:8: F401" in report, report
    assert "98_demo.ipynb:cell 3:1:8: F401" in report, report
    assert "E402" not in report and "Found 2 errors" in report, report
