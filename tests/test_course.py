import json
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from tools import course
from utils import setup


def test_every_badge_and_bootstrap_points_at_the_course_repo():
    stale = course.out_of_date()
    assert stale == [], f"regenerate the badges and bootstrap cells: python -m tools.course {course.REPO}\n{stale}"


def test_repoint_rewrites_a_copy_of_the_course(tmp_path):
    root = tmp_path / "fork"
    (root / "tools").mkdir(parents=True)
    shutil.copy(course.ROOT / "tools" / "course.py", root / "tools" / "course.py")
    shutil.copytree(course.ROOT / "notebooks", root / "notebooks",
                    ignore=shutil.ignore_patterns("*.keras", ".ipynb_checkpoints"))
    shutil.copy(course.ROOT / "README.md", root / "README.md")
    changed = course.repoint("teacher/nn-fork", branch="spring", root=root)
    assert "tools/course.py" in changed and "README.md" in changed
    assert len([c for c in changed if c.startswith("notebooks/")]) == len(course.notebooks(root))
    text = (root / "tools" / "course.py").read_text()
    assert 'REPO = "teacher/nn-fork"' in text and 'BRANCH = "spring"' in text
    nb = json.loads((root / "notebooks" / "01_one_neuron.ipynb").read_text())
    title, boot = "".join(nb["cells"][0]["source"]), "".join(nb["cells"][1]["source"])
    assert "github/teacher/nn-fork/blob/spring/notebooks/01_one_neuron.ipynb" in title
    assert "\"teacher/nn-fork\", \"spring\"" in boot and '"spring"' in boot and "/content/nn-fork" in boot
    assert course.REPO not in title + boot
    assert "github/teacher/nn-fork/blob/spring/notebooks/" in (root / "README.md").read_text()
    assert course.out_of_date(root, "teacher/nn-fork", "spring") == []
    assert course.out_of_date(root) != []  # ...and no longer matches the original


@pytest.mark.parametrize("repo,branch", [("no-slash", "main"), ("a/b/c", "main"), ("a/b", ""), ("a/b", "two words")])
def test_repoint_rejects_bad_names(repo, branch):
    with pytest.raises(ValueError):
        course.bootstrap_source(repo, branch)


def test_colab_url_rejects_bad_notebook_names():
    assert course.colab_url("01_one_neuron.ipynb").endswith("/notebooks/01_one_neuron.ipynb")
    with pytest.raises(ValueError):
        course.colab_url("notebooks/01_one_neuron.ipynb")
    with pytest.raises(ValueError):
        course.colab_url("01_one_neuron.py")


def test_bootstrap_finds_utils_from_the_notebooks_folder(tmp_path, monkeypatch):
    """Run the generated bootstrap code as a notebook kernel would, from notebooks/ and from deeper
    (nbgrader autogrades in autograded/<student>/<assignment>/)."""
    source = course.bootstrap_source()
    assert len(source.splitlines()) <= 6 and max(map(len, source.splitlines())) <= 120
    deep = Path(tempfile.mkdtemp(dir=course.ROOT, prefix=".autograded_")) / "alice" / "notebooks"
    deep.mkdir(parents=True)
    try:
        for folder in (course.ROOT / "notebooks", deep):
            monkeypatch.chdir(folder)
            monkeypatch.setattr(sys, "path", list(sys.path))
            exec(compile(source, "bootstrap", "exec"), {})
            assert sys.path[0] == str(course.ROOT)
    finally:
        shutil.rmtree(deep.parent.parent)


def test_bootstrap_stops_in_its_own_cell_outside_the_course(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StopIteration):
        exec(compile(course.bootstrap_source(), "bootstrap", "exec"), {})
    assert "open notebooks inside the course" in course.bootstrap_source().splitlines()[0]


def test_notebook_requirements_match_requirements_txt():
    lines = {line.strip() for line in (course.ROOT / "requirements.txt").read_text().splitlines()}
    for spec in setup.NOTEBOOK_REQUIREMENTS.values():
        assert spec in lines, f"{spec} is in utils.setup.NOTEBOOK_REQUIREMENTS but not in requirements.txt"
