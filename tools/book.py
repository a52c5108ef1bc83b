"""The rendered book of the series: one static HTML page per chapter, outputs included.

::

    python -m tools.runner && python -m tools.book          # full mode  -> _build/html/index.html
    python -m tools.runner --quick --out _build/results-quick && python -m tools.book --quick
                                                             # -> _build/html-quick/index.html
    python -m tools.book --quick 05                          # preview one chapter's page

The book never executes a notebook. It renders the copies that the runner saved,
outputs included, in ``_build/executed/full/`` (or ``quick/``), with Jupyter Book 1.x
(Sphinx + MyST-NB, ``execute_notebooks: "off"``). The README is its front page, the
chapters follow in the order of :func:`tools.course.notebooks` (grouped into the
README's parts), and every chapter page keeps its *Open in Colab* badge and gains a
link to its notebook on GitHub. Kernel stderr (TensorFlow's log lines) is left out.

Exercises are shown as a learner receives them (``--solutions omit``, the default):
statement, the stub nbgrader puts in place of the solution, and the check without
its hidden tests and without outputs. ``--solutions collapse`` keeps the solutions,
folded behind a "show" button, for an instructor's private preview; never publish it.

A quick-mode book says on every page (a banner) and at the top of every chapter that
its numbers come from quick mode. Configuration (``_config.yml``, ``_toc.yml``) is
generated beside the prepared sources, in ``<out>-source/``; nothing is committed.

The build refuses a chapter that has not been executed yet, or whose executed copy
shows an error (``--allow-errors`` for a preview), and warns when an executed copy is
older than its notebook (its cells differ).
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools import course

ROOT = course.ROOT
EXECUTED_DIR = ROOT / "_build" / "executed"
"""Where ``python -m tools.runner`` saves executed notebooks (``quick/`` and ``full/``)."""

DEFAULT_OUT = {"full": ROOT / "_build" / "html", "quick": ROOT / "_build" / "html-quick"}
"""Default output folders: quick and full books never share a folder or a Sphinx environment."""

SOLUTION_MODES = ("omit", "collapse")
GITHUB = "https://github.com"
QUICK_BANNER = ("Quick-mode build: the outputs on these pages come from quick mode (NN_QUICK=1: tiny data, "
                "a few epochs). Their numbers mean nothing; the promised results are those of a full-mode run.")
EXERCISE_NOTE = {
    "omit": (":::{note}\nThis book shows each exercise as a learner receives it: the statement, the stub that "
             "stands in for the solution (`raise NotImplementedError`, or *YOUR ANSWER HERE* for a written "
             "question) and the check, without outputs. Open the notebook (the *Open in Colab* badge at the top, "
             "or a clone) to do the exercises: each check says what is right and what was expected.\n:::"),
    "collapse": (":::{warning}\nInstructor preview: the solutions are included, folded behind each cell's "
                 "*show* button (written answers in a dropdown). Do not publish this build.\n:::"),
}


class BookError(RuntimeError):
    """The book cannot be built as asked (a chapter not executed, an error output, Sphinx failed)."""


@dataclass
class Chapter:
    """One chapter of the book: its notebook in ``notebooks/`` and its executed copy."""

    source: Path
    executed: Path

    @property
    def number(self) -> str:
        return self.source.name[:2]

    @property
    def docname(self) -> str:
        return self.source.stem


@dataclass
class BuildReport:
    """What :func:`build` produced."""

    index: Path
    chapters: list[str]
    mode: str
    seconds: float
    stale: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _source(cell: Any) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _tags(cell: Any) -> list[str]:
    return cell.setdefault("metadata", {}).setdefault("tags", [])


def blob_url(path: str, repo: str = course.REPO, branch: str = course.BRANCH) -> str:
    """GitHub address of a file (``blob``) or a folder (``tree``, for a path ending in ``/``) of the repository."""
    kind = "tree" if path.endswith("/") or (ROOT / path).is_dir() else "blob"
    return f"{GITHUB}/{repo}/{kind}/{branch}/{path.rstrip('/')}"


def chapters_for(numbers: list[str] | None, executed: Path, root: Path = ROOT) -> list[Chapter]:
    """The chapters to render, in reading order: all of them, or the two-digit ``numbers`` given.

    Raises:
        ValueError: for a chapter number that has no notebook.
        BookError: if a chapter has no executed copy in ``executed`` yet.
    """
    available = {p.name[:2]: p for p in course.notebooks(root)}
    wanted = list(available) if not numbers else [n.zfill(2) for n in numbers]
    unknown = [n for n in wanted if n not in available]
    if unknown:
        raise ValueError(f"no notebook for chapter(s) {unknown}; available: {sorted(available)}")
    wanted = sorted(set(wanted))
    chapters = [Chapter(available[n], executed / available[n].name) for n in wanted]
    missing = [c.number for c in chapters if not c.executed.is_file()]
    if missing:
        quick = executed.name == "quick"
        raise BookError(f"chapter(s) {' '.join(missing)} not executed yet (nothing in {executed}); run\n"
                        f"    python -m tools.runner{' --quick' if quick else ''} {' '.join(missing)}"
                        f"{' --out _build/results-quick' if quick else ''}\n"
                        "first (the book never executes notebooks)")
    return chapters


def error_outputs(nb: Any) -> list[str]:
    """``"cell N: ErrorName: message"`` for every error output of an executed notebook."""
    found = []
    for index, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                found.append(f"cell {index}: {out.get('ename')}: {str(out.get('evalue'))[:200]}")
    return found


def is_stale(executed: Any, source: Any) -> bool:
    """Whether the executed copy's cells differ from the notebook's (the notebook changed since the run)."""
    return [(c.cell_type, _source(c)) for c in executed.cells] != [(c.cell_type, _source(c)) for c in source.cells]


def prepare_notebook(nb: Any, chapter: Chapter, mode: str, solutions: str = "omit",
                     executed_on: str | None = None) -> Any:
    """The copy of an executed notebook that the book renders.

    Adds, after the title cell, a line linking the notebook on GitHub (and, in quick
    mode, a warning that the numbers are quick-mode numbers); folds the bootstrap cell;
    and shows the exercises as ``solutions`` says: ``"omit"`` puts nbgrader's student
    version of the solution, answer and check cells in place (stubs, "YOUR ANSWER HERE",
    no hidden tests, no outputs), ``"collapse"`` keeps the solutions and written answers,
    folded.

    Raises:
        ValueError: for an unknown ``solutions`` mode or a notebook without its title cell.
    """
    import nbformat

    if solutions not in SOLUTION_MODES:
        raise ValueError(f"solutions must be one of {SOLUTION_MODES}, got {solutions!r}")
    if not nb.cells or nb.cells[0].cell_type != "markdown" or not _source(nb.cells[0]).startswith("# "):
        raise ValueError(f"{chapter.source.name}: expected a markdown title cell ('# NN · Title') first")
    nb = copy.deepcopy(nb)
    if solutions == "omit":
        from tools.release import student_version

        student = student_version(nb)
        if len(student.cells) != len(nb.cells):  # nbgrader keeps every cell; be sure before pairing them up
            raise BookError(f"{chapter.source.name}: nbgrader's student version has a different number of cells")
    for index, cell in enumerate(nb.cells):
        grading = cell.get("metadata", {}).get("nbgrader", {})
        if "bootstrap" in cell.get("metadata", {}).get("tags", []):
            _tags(cell).append("hide-input")
        elif grading.get("solution") or grading.get("grade"):
            if solutions == "omit":
                cell.source = student.cells[index].source
                if cell.cell_type == "code":
                    cell.outputs, cell.execution_count = [], None
            elif grading.get("solution") and cell.cell_type == "code":
                _tags(cell).append("hide-input")
            elif grading.get("solution"):  # a written answer: folded in a dropdown
                cell.source = f"````{{dropdown}} Model answer\n{_source(cell)}\n````"
    when = f", executed on {executed_on}" if executed_on else ""
    link = f"[`notebooks/{chapter.source.name}`]({blob_url('notebooks/' + chapter.source.name)})"
    if mode == "quick":
        note = (f":::{{admonition}} Quick-mode outputs\n:class: warning\nThe outputs on this page come from a "
                f"**quick-mode** run (`NN_QUICK=1`{when}): tiny data and a few epochs, so its numbers mean nothing. "
                f"The chapter's promised results are those of full mode.\n:::\n\nNotebook: {link}")
    else:
        note = f"Notebook: {link} · outputs from a full-mode run{when}."
    nb.cells.insert(1, nbformat.v4.new_markdown_cell(note))
    heading = next((i for i, c in enumerate(nb.cells) if c.cell_type == "markdown"
                    and re.match(r"##\s+Exercises\b", _source(c))), None)
    if heading is not None:
        nb.cells.insert(heading + 1, nbformat.v4.new_markdown_cell(EXERCISE_NOTE[solutions]))
    return nb


_PART = re.compile(r"^Part ([IVXLC]+):\s*(.+?)\.?\s*$")
_ROW = re.compile(r"\(notebooks/(\d\d)_[^)]*\.ipynb\)")


def parts_from_readme(text: str) -> dict[str, str]:
    """Chapter number -> its part's caption (``"Part I · Foundations"``), from the README's chapter tables."""
    parts: dict[str, str] = {}
    caption = None
    for line in text.splitlines():
        match = _PART.match(line.strip())
        if match:
            caption = f"Part {match[1]} · {match[2][:1].upper()}{match[2][1:]}"
        elif caption and line.startswith("|"):
            row = _ROW.search(line)
            if row:
                parts.setdefault(row[1], caption)
    return parts


def toc(chapters: list[Chapter], parts: dict[str, str]) -> dict[str, Any]:
    """The ``_toc.yml`` (jb-book): the README first, then every chapter in order, grouped into parts.

    A chapter the README does not list yet joins the part of the chapter before it.
    """
    groups: list[dict[str, Any]] = []
    caption = "Chapters"
    for chapter in chapters:
        caption = parts.get(chapter.number, caption)
        if not groups or groups[-1]["caption"] != caption:
            groups.append({"caption": caption, "chapters": []})
        groups[-1]["chapters"].append({"file": chapter.docname})
    return {"format": "jb-book", "root": "intro", "parts": groups}


_LINK = re.compile(r"(\]\()(?!https?://|mailto:|#)([^)\s]+)(\))")


def front_page(readme: str, chapters: list[Chapter], mode: str, built_on: str) -> str:
    """The README as the book's front page.

    Links to a chapter in the book go to its page; a chapter left out of this build and
    every other repository link (docs, results, utils) go to GitHub.
    """
    inside = {f"notebooks/{c.source.name}": c.source.name for c in chapters}

    def relink(match: re.Match[str]) -> str:
        target = match[2]
        path, _, anchor = target.partition("#")
        new = inside.get(path) or blob_url(path)
        return f"{match[1]}{new}{'#' + anchor if anchor else ''}{match[3]}"

    text = _LINK.sub(relink, readme)
    if mode == "quick":
        note = (":::{admonition} Quick-mode build\n:class: warning\n" + QUICK_BANNER + " Build the real book with "
                "`python -m tools.runner && python -m tools.book`.\n:::")
    else:
        note = (f":::{{note}}\nThis is the rendered book of the series: every chapter with the outputs of a "
                f"full-mode run (built {built_on}). The notebooks themselves are in "
                f"[the repository]({GITHUB}/{course.REPO}).\n:::")
    lines = text.splitlines()
    title_at = next((i for i, line in enumerate(lines) if line.startswith("# ")), -1)
    lines.insert(title_at + 1, "\n" + note + "\n")
    return "\n".join(lines) + "\n"


def config(mode: str, title: str, built_on: str) -> dict[str, Any]:
    """The ``_config.yml`` of the book (Jupyter Book 1.x): never execute, drop kernel stderr."""
    footer = f"Rendered from notebooks executed in {mode} mode; built {built_on} with Jupyter Book."
    html: dict[str, Any] = {
        "use_repository_button": True,
        "use_issues_button": False,
        "use_edit_page_button": False,
        "home_page_in_navbar": True,
        "extra_footer": footer,
    }
    if mode == "quick":
        html["announcement"] = QUICK_BANNER
    return {
        "title": title,
        "author": "the course's contributors",
        "copyright": built_on[:4],
        "only_build_toc_files": True,
        "exclude_patterns": ["_build", "**.ipynb_checkpoints"],
        # Quoted 'off' (a bare off is YAML's false): the book renders the runner's outputs and never executes.
        "execute": {"execute_notebooks": "off", "stderr_output": "remove"},
        "parse": {"myst_enable_extensions": ["amsmath", "colon_fence", "dollarmath", "linkify", "substitution"]},
        "html": html,
        # The pages' sources are the notebooks/ folder of the repository: the header's Colab launch
        # button and repository button point there.
        "repository": {"url": f"{GITHUB}/{course.REPO}", "path_to_book": "notebooks", "branch": course.BRANCH},
        "launch_buttons": {"colab_url": "https://colab.research.google.com", "notebook_interface": "jupyterlab"},
        # MathJax from the book itself (sphinx-mathjax-offline), not a CDN: math renders offline too.
        "sphinx": {"extra_extensions": ["sphinx-mathjax-offline"],
                   "config": {"nb_merge_streams": True, "html_show_sphinx": False, "myst_heading_anchors": 3,
                              "suppress_warnings": ["myst.header"]}},
    }


def _write_if_changed(path: Path, text: str) -> None:
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def prepare_sources(chapters: list[Chapter], mode: str, src: Path, solutions: str = "omit",
                    allow_errors: bool = False, readme: Path = ROOT / "README.md") -> list[str]:
    """Write the book's sources (front page, chapters, ``_config.yml``, ``_toc.yml``) to ``src``.

    Returns the chapters whose executed copy is older than the notebook.

    Raises:
        BookError: if an executed notebook has an error output and ``allow_errors`` is false.
    """
    import nbformat
    import yaml

    src.mkdir(parents=True, exist_ok=True)
    built_on = dt.date.today().isoformat()
    stale, errors = [], []
    for chapter in chapters:
        nb = nbformat.read(chapter.executed, as_version=4)
        found = error_outputs(nb)
        if found:
            errors.append(f"{chapter.executed.name}: " + "; ".join(found[:3]))
        if is_stale(nb, nbformat.read(chapter.source, as_version=4)):
            stale.append(chapter.number)
        executed_on = dt.date.fromtimestamp(chapter.executed.stat().st_mtime).isoformat()
        page = prepare_notebook(nb, chapter, mode, solutions, executed_on)
        _write_if_changed(src / chapter.source.name, nbformat.writes(page) + "\n")
    if errors and not allow_errors:
        raise BookError("executed notebooks with errors (fix the chapter and run it again, or pass "
                        "--allow-errors for a preview):\n  " + "\n  ".join(errors))
    for old in src.glob("[0-9][0-9]_*.ipynb"):  # a chapter left out of this build
        if old.name not in {c.source.name for c in chapters}:
            old.unlink()
    text = readme.read_text(encoding="utf-8")
    title = next((line[2:].strip() for line in text.splitlines() if line.startswith("# ")), "The course")
    _write_if_changed(src / "intro.md", front_page(text, chapters, mode, built_on))
    _write_if_changed(src / "_toc.yml", yaml.safe_dump(toc(chapters, parts_from_readme(text)), sort_keys=False,
                                                      allow_unicode=True))
    _write_if_changed(src / "_config.yml", yaml.safe_dump(config(mode, title, built_on), sort_keys=False,
                                                         allow_unicode=True))
    return stale


def render(src: Path, out: Path, doctrees: Path) -> list[str]:
    """Run Sphinx (through Jupyter Book's configuration) on ``src`` into ``out``; return its warnings.

    Raises:
        BookError: if Sphinx fails.
    """
    import io

    from jupyter_book.sphinx import build_sphinx

    warnings = io.StringIO()
    stdout = sys.stdout
    sys.stdout = io.StringIO()  # Sphinx's progress lines; its warnings go to stderr (captured below)
    stderr = sys.stderr
    sys.stderr = warnings
    try:
        code = build_sphinx(src, out, noconfig=True, path_config=str(src / "_config.yml"),
                            confoverrides={"external_toc_path": str(src / "_toc.yml"),
                                           "latex_individualpages": False},
                            doctreedir=str(doctrees), freshenv=True, quiet=True)
    finally:
        sys.stdout, sys.stderr = stdout, stderr
    lines = [line for line in warnings.getvalue().splitlines() if line.strip()]
    if code != 0:
        raise BookError("Sphinx failed:\n" + "\n".join(lines[-40:]) + f"\n(exit status {code})")
    return lines


MATHJAX_UNUSED = ("mml-chtml.js", "mml-svg.js", "tex-mml-chtml.js", "tex-mml-svg.js", "tex-svg.js", "tex-svg-full.js",
                  "tex-chtml-full.js", "tex-chtml-full-speech.js", "node-main.js", "output/svg", "output/svg.js")
"""MathJax bundles that sphinx-mathjax-offline copies but the pages never load (they use tex-chtml.js)."""


def prune_mathjax(out: Path) -> None:
    """Drop the MathJax files no page loads (about half of the 24 MB the extension copies)."""
    folder = out / "_static" / "mathjax"
    for name in MATHJAX_UNUSED:
        path = folder / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.is_file():
            path.unlink()


IMAGE_TYPES = ("image/png", "image/jpeg", "image/svg+xml")


def missing_figures(src: Path, out: Path, chapters: list[Chapter]) -> list[str]:
    """Chapters whose page shows fewer figures (``<img>`` from ``_images/``) than their notebook has image outputs."""
    import nbformat

    short = []
    for chapter in chapters:
        nb = nbformat.read(src / chapter.source.name, as_version=4)
        expected = sum(1 for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
                       if any(t in o.get("data", {}) for t in IMAGE_TYPES))
        page = (out / f"{chapter.docname}.html").read_text(encoding="utf-8")
        shown = len(re.findall(r'<img [^>]*src="_images/', page))
        if shown < expected:
            short.append(f"{chapter.docname}: {shown} of {expected} figures")
    return short


def build(quick: bool = False, out: Path | None = None, chapters: list[str] | None = None,
          executed: Path | None = None, solutions: str = "omit", allow_errors: bool = False) -> BuildReport:
    """Build the book from executed notebooks (never executing one) and return where it is.

    ``out`` defaults to ``_build/html`` (full) or ``_build/html-quick`` (quick); the
    prepared sources and Sphinx's environment go to ``<out>-source/``, so quick and full
    builds never share one. ``executed`` defaults to the runner's ``_build/executed/<mode>``.

    Raises:
        ValueError: for an unknown chapter or ``solutions`` mode.
        BookError: for a chapter not executed yet, an error output, a Sphinx failure, or a
            page that shows fewer figures than its notebook has.
    """
    if solutions not in SOLUTION_MODES:
        raise ValueError(f"solutions must be one of {SOLUTION_MODES}, got {solutions!r}")
    start = time.perf_counter()
    mode = "quick" if quick else "full"
    out = Path(out or DEFAULT_OUT[mode]).resolve()
    executed = Path(executed or EXECUTED_DIR / mode).resolve()
    work = out.with_name(out.name + "-source")
    if out.exists() and any(out.iterdir()):
        if not (out / ".buildinfo").is_file():
            raise BookError(f"{out} exists and is not a previous build of the book: choose another --out")
        shutil.rmtree(out)  # a fresh build each time: no page of a chapter left out survives
    selected = chapters_for(chapters, executed)
    stale = prepare_sources(selected, mode, work / "src", solutions, allow_errors)
    warnings = render(work / "src", out, work / "doctrees")
    prune_mathjax(out)
    short = missing_figures(work / "src", out, selected)
    if short:
        raise BookError("pages without all their figures: " + "; ".join(short))
    return BuildReport(out / "index.html", [c.number for c in selected], mode,
                       round(time.perf_counter() - start, 1), stale, warnings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("chapters", nargs="*", help="two-digit chapter numbers (default: every chapter)")
    parser.add_argument("--quick", action="store_true", help="render the quick-mode run (_build/executed/quick)")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default: _build/html, or _build/html-quick with --quick)")
    parser.add_argument("--executed", type=Path, default=None,
                        help="folder of executed notebooks (default: the runner's _build/executed/<mode>)")
    parser.add_argument("--solutions", choices=SOLUTION_MODES, default="omit",
                        help="exercise solutions: omit (the public book, default) or collapse (instructor preview)")
    parser.add_argument("--allow-errors", action="store_true", help="render chapters whose run failed (a preview)")
    args = parser.parse_args(argv)
    try:
        report = build(args.quick, args.out, args.chapters, args.executed, args.solutions, args.allow_errors)
    except (BookError, ValueError) as exc:
        print(f"book: {exc}", file=sys.stderr)
        return 1
    for line in report.warnings:
        print(f"sphinx: {line}", file=sys.stderr)
    if report.stale:
        print(f"book: warning: the executed copies of chapter(s) {' '.join(report.stale)} are older than their "
              f"notebooks; run them again with the runner before publishing", file=sys.stderr)
    print(f"book: {len(report.chapters)} chapter(s), {report.mode} mode, rendered in {report.seconds} s -> "
          f"{report.index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
