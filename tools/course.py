"""Where the course lives, and the two notebook cells that depend on it.

The repository address is written **here and only here**. Every notebook's
"Open in Colab" badge and bootstrap cell, and the chapter links in README.md,
are generated from it. Instructors who fork the series re-point everything at
their fork with one command::

    python -m tools.course your-github-name/your-fork [--branch main]

``python -m tools.course --check`` exits non-zero if any notebook or the README
is out of step with the values below (a unit test runs the same check).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from tools import strip

REPO = "nn-course/neurons-to-transformers"
"""GitHub ``owner/name`` of the course repository."""

BRANCH = "main"
"""Branch the badges and the Colab bootstrap use."""

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
    """Source of every notebook's second cell (six lines).

    In Colab it clones the repository; anywhere, it puts the nearest folder holding
    ``utils/`` (the working directory or one of its parents, then Colab's clone) on
    ``sys.path``. Outside the course folder ``next`` finds nothing and raises StopIteration
    in this cell, whose first line says what to do. Installing what Colab lacks is
    :func:`utils.setup.setup_notebook`'s first step. Its three imports share one line (the
    ``noqa`` tells ruff so) to keep the cell at six lines.
    """
    _check_repo(repo, branch)
    folder = repo.split("/")[1]
    return f'''# Bootstrap (made by tools.course): find the course's utils/ (open notebooks inside the course; Colab clones it).
import pathlib, subprocess, sys  # noqa: E401, I001
REPO, BRANCH, COLAB = "{repo}", "{branch}", pathlib.Path("/content/{folder}")
if "google.colab" in sys.modules and not COLAB.is_dir():
    subprocess.run(f"git clone -q --depth=1 -b {{BRANCH}} https://github.com/{{REPO}}.git {{COLAB}}".split(), check=True)
sys.path.insert(0, str(next(p for p in (*pathlib.Path("utils").absolute().parents, COLAB) if (p / "utils").is_dir())))'''


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
    module = root / "tools" / "course.py"  # absent from a student release, which ships no tools
    text = module.read_text(encoding="utf-8") if module.is_file() else ""
    new = re.sub(r'^REPO = ".*"$', f'REPO = "{repo}"', text, count=1, flags=re.M)
    new = re.sub(r'^BRANCH = ".*"$', f'BRANCH = "{branch}"', new, count=1, flags=re.M)
    if new != text:
        module.write_text(new, encoding="utf-8")
        changed.append("tools/course.py")
    for path in notebooks(root):
        text = path.read_text(encoding="utf-8")
        new = strip.dumps(_render_notebook(json.loads(text), path.name, repo, branch))
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
