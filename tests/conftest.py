"""Unit tests draw off-screen and get a fresh figure state per test.

Also the fixtures of the book and browser tests: chapters executed by the runner, a
quick-mode book built from them, and the system's Chromium (or a skip that says why).
"""

import dataclasses
import importlib
import os
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# --- The rendered book and the browser tests (tests/test_book.py, tests/test_browser.py) ---------------

ROOT = Path(__file__).resolve().parent.parent
REQUIRE_ENV = "NN_REQUIRE_BROWSER"
"""Set to 1 by .ci/run: a missing Jupyter Book, Playwright or Chromium then fails these tests (no skip)."""

BOOK_CHAPTERS = ("00", "01")
"""The chapters of the quick-mode book that the tests build (cheap, with figures, LaTeX and exercises)."""


@dataclasses.dataclass
class QuickBook:
    """A quick-mode book built by the tests: its HTML folder, its chapters, and the marks put in its outputs."""

    html: Path
    executed: Path
    chapters: tuple[str, ...] = BOOK_CHAPTERS
    sentinel: str = "printed when the runner executed this notebook (the book never re-executes)"
    stderr_sentinel: str = "a line the kernel wrote to stderr"


def skip_or_fail(reason: str) -> None:
    """Skip with ``reason``, or fail with it where CI requires these tests to run (``NN_REQUIRE_BROWSER=1``)."""
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason} ({REQUIRE_ENV}=1: CI must run this test)")
    pytest.skip(reason)


def require_module(name: str):
    """Import ``name`` or skip/fail the test saying how to install it."""
    try:
        return importlib.import_module(name)
    except ImportError:
        skip_or_fail(f"{name} is not installed: .venv/bin/pip install -r requirements-docs.txt")


def _run(command: list[str], timeout: float) -> subprocess.CompletedProcess:
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, f"{' '.join(command[1:])} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="session")
def executed_quick(tmp_path_factory) -> Path:
    """:data:`BOOK_CHAPTERS` run by ``python -m tools.runner --quick``, executed copies in a temporary folder."""
    tmp = tmp_path_factory.mktemp("executed")
    _run([sys.executable, "-m", "tools.runner", "--quick", *BOOK_CHAPTERS, "--out", str(tmp / "results"),
          "--executed", str(tmp / "quick"), "--no-progress"], timeout=1200)
    return tmp / "quick"


@pytest.fixture(scope="session")
def quick_book(executed_quick, tmp_path_factory) -> QuickBook:
    """A quick-mode book of :data:`BOOK_CHAPTERS` built by ``python -m tools.book``.

    Chapter 00's first printed line gets :attr:`QuickBook.sentinel` appended first, and a
    stderr output is added: finding the one and not the other on the page proves that the
    book rendered the runner's outputs (instead of executing the notebook again) without
    kernel stderr.
    """
    require_module("jupyter_book")
    import nbformat

    tmp = tmp_path_factory.mktemp("book")
    built = QuickBook(tmp / "html", tmp / "quick")
    executed = built.executed
    executed.mkdir()
    for path in executed_quick.glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        if path.name.startswith("00_"):
            cell, stream = next((c, o) for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
                                if o.get("output_type") == "stream" and o.get("name") == "stdout")
            stream["text"] += built.sentinel + "\n"
            cell.outputs.append(nbformat.v4.new_output("stream", name="stderr", text=built.stderr_sentinel + "\n"))
        nbformat.write(nb, executed / path.name)
    _run([sys.executable, "-m", "tools.book", "--quick", "--executed", str(executed), "--out", str(built.html),
          *BOOK_CHAPTERS], timeout=600)
    return built


@pytest.fixture(scope="session")
def docs_module():
    """``docs_module("playwright.sync_api")``: a module of requirements-docs.txt, or skip (fail under CI)."""
    return require_module


@pytest.fixture(scope="session")
def chromium_executable() -> Path:
    """The system's Chromium (``$NN_CHROMIUM`` or Debian's ``/usr/bin/chromium``), or skip (fail under CI)."""
    from tools import browser

    found = browser.find_chromium()
    if found is None:
        skip_or_fail(f"no Chromium found (${browser.CHROMIUM_ENV} or {', '.join(browser.CHROMIUM_PATHS)}): "
                     "apt-get install chromium, as .ci/run does")
    return found
