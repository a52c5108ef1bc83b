import json
import shutil

import pytest

from utils import course


def test_every_badge_and_bootstrap_points_at_the_course_repo():
    assert course.out_of_date() == []


def test_repoint_rewrites_a_copy_of_the_course(tmp_path):
    root = tmp_path / "fork"
    (root / "utils").mkdir(parents=True)
    shutil.copy(course.ROOT / "utils" / "course.py", root / "utils" / "course.py")
    shutil.copytree(course.ROOT / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns("*.keras", ".ipynb_checkpoints"))
    shutil.copy(course.ROOT / "README.md", root / "README.md")
    changed = course.repoint("teacher/nn-fork", branch="spring", root=root)
    assert "utils/course.py" in changed and "README.md" in changed
    assert len([c for c in changed if c.startswith("notebooks/")]) == len(course.notebooks(root))
    text = (root / "utils" / "course.py").read_text()
    assert 'REPO = "teacher/nn-fork"' in text and 'BRANCH = "spring"' in text
    nb = json.loads((root / "notebooks" / "01_one_neuron.ipynb").read_text())
    title, boot = "".join(nb["cells"][0]["source"]), "".join(nb["cells"][1]["source"])
    assert "github/teacher/nn-fork/blob/spring/notebooks/01_one_neuron.ipynb" in title
    assert "https://github.com/teacher/nn-fork.git" in boot and '"spring"' in boot and "/content/nn-fork" in boot
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
    """Run the generated bootstrap code as a notebook kernel would, from notebooks/."""
    monkeypatch.chdir(course.ROOT / "notebooks")
    namespace: dict = {}
    exec(compile(course.bootstrap_source(), "bootstrap", "exec"), namespace)
    assert namespace["root"] == course.ROOT


def test_bootstrap_explains_when_utils_cannot_be_found(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(RuntimeError, match="utils/ not found"):
        exec(compile(course.bootstrap_source(), "bootstrap", "exec"), {})


def test_notebook_requirements_match_requirements_txt():
    lines = {line.strip() for line in (course.ROOT / "requirements.txt").read_text().splitlines()}
    for spec in course.NOTEBOOK_REQUIREMENTS.values():
        assert spec in lines, f"{spec} is in utils.course.NOTEBOOK_REQUIREMENTS but not in requirements.txt"
