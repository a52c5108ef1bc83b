"""Where the course lives, and the two notebook cells that depend on it.

The repository address is written **here and only here**. Every notebook's
"Open in Colab" badge and bootstrap cell, and the chapter links in README.md,
are generated from it. Instructors who fork the series re-point everything at
their fork with one command::

    python -m utils.course your-github-name/your-fork [--branch main]

``python -m utils.course --check`` exits non-zero if any notebook or the README
is out of step with the values below (a unit test runs the same check).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

REPO = "nn-course/neurons-to-transformers"
"""GitHub ``owner/name`` of the course repository."""

BRANCH = "main"
"""Branch the badges and the Colab bootstrap use."""

NOTEBOOK_REQUIREMENTS: dict[str, str] = {
    "tensorflow": "tensorflow>=2.18,<2.22",
    "keras": "keras>=3.8,<4",
    "numpy": "numpy>=1.26",
    "matplotlib": "matplotlib>=3.8",
    "pandas": "pandas>=2.0",
}
"""Import name -> pip specifier of what the notebooks themselves import.

The bootstrap cell installs only the entries that are not importable, so in
Colab (which ships all of them) nothing is installed and TensorFlow is never
replaced. Each specifier also appears verbatim in requirements.txt (tested).
"""

ROOT = Path(__file__).resolve().parent.parent
BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
_REPO_RE = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_BADGE_RE = re.compile(
    r"\[!\[Open In Colab\]\(" + re.escape(BADGE_IMAGE) + r"\)\]"
    r"\(https://colab\.research\.google\.com/github/[^)\s]+/notebooks/(?P<name>[^)/\s]+\.ipynb)\)"
)


def _check_repo(repo: str, branch: str) -> None:
    if not _REPO_RE.match(repo):
        raise ValueError(f"repository must look like 'owner/name', got {repo!r}")
    if not branch or any(c.isspace() for c in branch):
        raise ValueError(f"branch must be a non-empty name without spaces, got {branch!r}")


def colab_url(notebook: str, repo: str = REPO, branch: str = BRANCH) -> str:
    """The URL that opens ``notebooks/<notebook>`` of the repository in Colab."""
    _check_repo(repo, branch)
    if not notebook.endswith(".ipynb") or "/" in notebook:
        raise ValueError(f"expected a notebook file name like '01_one_neuron.ipynb', got {notebook!r}")
    return f"https://colab.research.google.com/github/{repo}/blob/{branch}/notebooks/{notebook}"


def badge(notebook: str, repo: str = REPO, branch: str = BRANCH) -> str:
    """Markdown for the "Open in Colab" badge of one notebook."""
    return f"[![Open In Colab]({BADGE_IMAGE})]({colab_url(notebook, repo, branch)})"


def bootstrap_source(repo: str = REPO, branch: str = BRANCH) -> str:
    """Source of every notebook's second cell.

    In Colab it clones the repository (so ``utils`` can be imported) and
    installs only the packages Colab lacks; in a local checkout it just finds
    the folder that holds ``utils/``.
    """
    _check_repo(repo, branch)
    folder = repo.split("/")[1]
    return f'''# Bootstrap: make the course's `utils` importable (in Colab: fetch the course first).
import pathlib, subprocess, sys

REPO_URL, BRANCH = "https://github.com/{repo}.git", "{branch}"  # set by: python -m utils.course
COLAB_DIR = pathlib.Path("/content/{folder}")
if "google.colab" in sys.modules and not COLAB_DIR.is_dir():
    subprocess.run(["git", "clone", "-q", "--depth=1", "-b", BRANCH, REPO_URL, str(COLAB_DIR)], check=True)
here = pathlib.Path.cwd().resolve()
root = next((p for p in (here, *here.parents, COLAB_DIR) if (p / "utils" / "__init__.py").is_file()), None)
if root is None:
    raise RuntimeError("utils/ not found: open this notebook from inside the course folder.")
if str(root) not in sys.path:
    sys.path.insert(0, str(root))
from utils.course import NOTEBOOK_REQUIREMENTS
from utils.setup import install_missing
_ = install_missing(NOTEBOOK_REQUIREMENTS)  # in Colab: nothing is missing'''


def notebooks(root: Path = ROOT) -> list[Path]:
    """The chapter notebooks, in reading order."""
    return sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _render_notebook(nb: dict, name: str, repo: str, branch: str) -> dict:
    cells = nb["cells"]
    if len(cells) < 2 or cells[0]["cell_type"] != "markdown" or cells[1]["cell_type"] != "code":
        raise ValueError(f"{name}: expected a markdown title cell followed by the bootstrap code cell")
    title = _source(cells[0])
    if not _BADGE_RE.search(title):
        raise ValueError(f"{name}: the first cell has no 'Open In Colab' badge")
    cells[0]["source"] = _BADGE_RE.sub(lambda m: badge(m.group("name"), repo, branch), title)
    cells[1]["source"] = bootstrap_source(repo, branch)
    tags = cells[1].setdefault("metadata", {}).setdefault("tags", [])
    if "bootstrap" not in tags:
        tags.append("bootstrap")
    return nb


def _render_readme(text: str, repo: str, branch: str) -> str:
    return _BADGE_RE.sub(lambda m: badge(m.group("name"), repo, branch), text)


def _dump(nb: dict) -> str:
    # The layout Jupyter itself writes, so re-pointing produces small diffs.
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def out_of_date(root: Path = ROOT, repo: str = REPO, branch: str = BRANCH) -> list[str]:
    """Files whose badges or bootstrap cell differ from what ``repo``/``branch`` give."""
    stale = []
    for path in notebooks(root):
        text = path.read_text(encoding="utf-8")
        nb = json.loads(text)
        rendered = _render_notebook(json.loads(text), path.name, repo, branch)
        if _source(nb["cells"][0]) != _source(rendered["cells"][0]) or _source(
            nb["cells"][1]
        ) != _source(rendered["cells"][1]):
            stale.append(str(path.relative_to(root)))
    readme = root / "README.md"
    if readme.is_file():
        text = readme.read_text(encoding="utf-8")
        if text != _render_readme(text, repo, branch):
            stale.append("README.md")
    return stale


def repoint(repo: str, branch: str = BRANCH, root: Path = ROOT) -> list[str]:
    """Point this module, every notebook and README.md at ``repo``/``branch``.

    Returns the files it changed.
    """
    _check_repo(repo, branch)
    changed = []
    module = root / "utils" / "course.py"
    text = module.read_text(encoding="utf-8")
    new = re.sub(r'^REPO = ".*"$', f'REPO = "{repo}"', text, count=1, flags=re.M)
    new = re.sub(r'^BRANCH = ".*"$', f'BRANCH = "{branch}"', new, count=1, flags=re.M)
    if new != text:
        module.write_text(new, encoding="utf-8")
        changed.append("utils/course.py")
    for path in notebooks(root):
        text = path.read_text(encoding="utf-8")
        new = _dump(_render_notebook(json.loads(text), path.name, repo, branch))
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed.append(str(path.relative_to(root)))
    readme = root / "README.md"
    if readme.is_file():
        text = readme.read_text(encoding="utf-8")
        new = _render_readme(text, repo, branch)
        if new != text:
            readme.write_text(new, encoding="utf-8")
            changed.append("README.md")
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("repo", nargs="?", help="GitHub owner/name of your fork")
    parser.add_argument("--branch", default=None, help=f"branch to point at (default: {BRANCH})")
    parser.add_argument("--check", action="store_true", help="only report files that are out of date")
    args = parser.parse_args(argv)
    if args.check or not args.repo:
        stale = out_of_date()
        for name in stale:
            print(f"out of date: {name}")
        if not stale:
            print(f"all badges and bootstrap cells point at {REPO} ({BRANCH})")
        return 1 if stale else 0
    changed = repoint(args.repo, args.branch or BRANCH)
    print("\n".join(f"updated {c}" for c in changed) or "nothing to change")
    return 0


if __name__ == "__main__":
    sys.exit(main())
