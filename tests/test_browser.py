"""The series in a real browser: *Run All* in JupyterLab, and the rendered book, in headless Chromium.

JupyterLab runs on 127.0.0.1 (a free port, a random token) over a temporary copy of the
chapters, in quick mode; Playwright drives Debian's Chromium (no browser download) and
clicks *Run → Run All Cells* as a learner would, then waits for the status bar's *Idle*.
Screenshots go to ``_build/screenshots/`` (git-ignored). The server, its kernels and the
browser are stopped in the fixtures' teardown whatever happens (see tools/browser.py).

Needs requirements-docs.txt and Chromium; without them these tests skip, saying why,
except under CI (``NN_REQUIRE_BROWSER=1``), where they fail instead.
"""

import re
import subprocess
import time
import urllib.request

import nbformat
import pytest

from tools import browser, course

SCREENSHOTS = course.ROOT / "_build" / "screenshots"

CHAPTERS = {
    # chapter: (source of the cell whose figure must be drawn, a line the chapter must print)
    "00": ('fig.suptitle("A first taste', "learned w = "),
    "05": ("plot_confusion_matrix(", "misclassified test digits"),
}
"""The chapters run in JupyterLab: 00, and 05 (MNIST, a Keras model trained) as a heavier one."""


def notebook(number: str):
    return next(p for p in course.notebooks() if p.name.startswith(number))


@pytest.fixture(scope="module")
def chromium(chromium_executable, docs_module):
    """One headless Chromium for the module, closed at the end."""
    sync_api = docs_module("playwright.sync_api")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser_ = browser.launch_chromium(playwright, chromium_executable)
        try:
            yield browser_
        finally:
            browser_.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory, docs_module):
    """JupyterLab on a temporary copy of the chapters in :data:`CHAPTERS`, in quick mode; stopped at the end."""
    docs_module("jupyterlab")
    tmp = tmp_path_factory.mktemp("jupyterlab")
    root = browser.copy_course(course.ROOT, tmp / "course", [notebook(n) for n in CHAPTERS])
    with browser.jupyterlab(root, tmp / "server", env={"NN_QUICK": "1", "NN_STRICT": "1"}) as server:
        yield server


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.parametrize("number", list(CHAPTERS))
def test_run_all_in_jupyterlab(number, lab, page):
    path = lab.root / "notebooks" / notebook(number).name  # the copy JupyterLab runs
    figure_source, printed = CHAPTERS[number]
    cells = nbformat.read(path, as_version=4).cells
    figure_at = next(i for i, c in enumerate(cells) if c.cell_type == "code" and figure_source in c.source)
    try:
        browser.open_notebook(page, lab, f"notebooks/{path.name}")
        result = browser.run_all(page, timeout=900)
        assert len(result.cells) == len(cells)
        assert result.errors() == [], f"{path.name} raised in JupyterLab: {result.errors()}"
        traceback = re.compile(r"Traceback \(most recent call last\)")
        assert not page.locator(".jp-OutputArea-output", has_text=traceback).count(), "a traceback is shown"
        assert any("image/png" in o.get("data", {}) for o in result.cells[figure_at]["outputs"])
        figure = page.locator(".jp-Notebook .jp-Cell").nth(figure_at).locator(".jp-OutputArea-output img").first
        figure.scroll_into_view_if_needed()
        assert figure.evaluate("img => img.complete && img.naturalWidth > 100 && img.naturalHeight > 100"), \
            "the figure is not drawn as an image"
        assert page.locator(".jp-OutputArea-output", has_text=printed).count() >= 1, f"{printed!r} was not printed"
        last_check = max(i for i, c in enumerate(cells)
                         if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade"))
        assert "all checks passed" in result.text(last_check)
    finally:
        page.screenshot(path=str(SCREENSHOTS / f"jupyterlab-{path.stem}.png"))
        lab.shutdown_kernels()


@pytest.mark.browser
def test_the_book_in_a_browser(quick_book, page):
    """The quick book's front page, a chapter page (figures, LaTeX typeset, Colab badge) and its search."""
    first = notebook(quick_book.chapters[0])
    with browser.serve(quick_book.html) as url:
        page.goto(f"{url}/index.html")  # redirects to the README's page
        page.wait_for_url(re.compile(r"/intro\.html$"), timeout=30_000)
        assert page.locator("h1").first.inner_text().startswith("Neurons to Transformers")
        assert "Quick-mode build" in page.locator(".bd-header-announcement").inner_text()
        for number in quick_book.chapters:
            assert page.locator(f'nav a[href="{notebook(number).stem}.html"]').count() >= 1
        page.screenshot(path=str(SCREENSHOTS / "book-front-page.png"))

        page.goto(f"{url}/{first.stem}.html")
        figures = page.locator(".cell_output img")
        assert figures.count() >= 1
        for i in range(figures.count()):
            figures.nth(i).scroll_into_view_if_needed()
            assert figures.nth(i).evaluate("img => img.complete && img.naturalWidth > 100"), f"figure {i} is not drawn"
        badge = page.locator(f'a[href="{course.colab_url(first.name)}"] img[alt="Open In Colab"]')
        assert badge.count() == 1, "the Open in Colab badge is missing"
        assert page.locator(f'a[href$="/notebooks/{first.name}"]').count() >= 1, "the link to the notebook is missing"
        page.wait_for_selector("mjx-container", timeout=60_000)  # MathJax, served by the book itself, typeset the LaTeX
        assert page.locator("mjx-container").count() >= 1
        figures.first.scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / f"book-{first.stem}.png"))

        page.goto(f"{url}/search.html?q=perceptron")
        page.wait_for_selector("#search-results ul.search li", timeout=30_000)
        assert page.locator('#search-results a[href*="01_one_neuron"]').count() >= 1


# --- the helpers themselves, without a browser ---------------------------------------------------------


def test_stop_leaves_no_process_of_the_group_behind():
    """What the fixtures rely on: a server's process group and its own-session children all end."""
    process = subprocess.Popen(["bash", "-c", "setsid sleep 300 & sleep 300 & wait"], start_new_session=True)
    deadline = time.monotonic() + 10
    while len(browser._children(process.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    children = browser._children(process.pid)
    assert len(children) >= 2
    browser.stop(process, grace=5)
    assert process.poll() is not None
    time.sleep(0.2)
    def running(pid: int) -> bool:  # a zombie waiting for its parent counts as gone
        try:
            return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False

    assert [p for p in children if running(p)] == []


def test_free_port_chromium_lookup_and_static_server(tmp_path, monkeypatch):
    assert 1024 < browser.free_port() < 65536
    fake = tmp_path / "chrome"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv(browser.CHROMIUM_ENV, str(fake))
    assert browser.find_chromium() == fake
    monkeypatch.setenv(browser.CHROMIUM_ENV, str(tmp_path / "missing"))
    assert browser.find_chromium() is None
    (tmp_path / "index.html").write_text("<h1>book</h1>")
    with browser.serve(tmp_path) as url:
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(f"{url}/index.html", timeout=10) as response:
            assert b"<h1>book</h1>" in response.read()
