"""The rendered book (tools.book): its parts on their own, then a quick-mode book of two chapters.

The book is built from notebooks that ``python -m tools.runner --quick`` executed (the
``executed_quick`` and ``quick_book`` fixtures in conftest.py), never by executing them again.
"""

import re

import nbformat
import pytest
import yaml

from tools import book, course

NOTEBOOKS = course.notebooks()


def chapter(number: str, executed_dir) -> book.Chapter:
    source = next(p for p in NOTEBOOKS if p.name.startswith(number))
    return book.Chapter(source, executed_dir / source.name)


# --- the parts, without Sphinx ---------------------------------------------------------------------


def test_toc_has_every_chapter_in_reading_order_in_the_readmes_parts(tmp_path):
    readme = (course.ROOT / "README.md").read_text(encoding="utf-8")
    parts = book.parts_from_readme(readme)
    toc = book.toc([book.Chapter(p, tmp_path / p.name) for p in NOTEBOOKS], parts)
    assert toc["format"] == "jb-book" and toc["root"] == "intro"
    files = [entry["file"] for part in toc["parts"] for entry in part["chapters"]]
    assert files == [p.stem for p in NOTEBOOKS]
    assert toc["parts"][0]["caption"].startswith("Part I · ")
    assert set(parts) == {p.name[:2] for p in NOTEBOOKS}, "every chapter should sit in one of the README's parts"


def test_a_chapter_the_readme_does_not_list_yet_joins_the_part_before_it(tmp_path):
    chapters = [book.Chapter(p, tmp_path / p.name) for p in NOTEBOOKS[:3]]
    toc = book.toc(chapters, {"00": "Part I · Basics"})
    assert toc["parts"] == [{"caption": "Part I · Basics", "chapters": [{"file": c.docname} for c in chapters]}]
    assert book.toc(chapters, {})["parts"][0]["caption"] == "Chapters"


def test_front_page_links_chapters_to_their_pages_and_the_rest_to_github(tmp_path):
    readme = ("# Course\n\nIntro.\n\n[Start](notebooks/00_start_here.ipynb) · [One](notebooks/01_one_neuron.ipynb) · "
              "[guide](docs/instructor_guide.md#4-collect) · [results](results/) · [web](https://example.org) · "
              "[below](#data)\n")
    page = book.front_page(readme, [chapter("00", tmp_path)], "quick", "2026-01-01")
    assert "[Start](00_start_here.ipynb)" in page
    assert f"[One]({book.blob_url('notebooks/01_one_neuron.ipynb')})" in page  # not in this build: GitHub
    assert f"[guide](https://github.com/{course.REPO}/blob/{course.BRANCH}/docs/instructor_guide.md#4-collect)" in page
    assert f"[results](https://github.com/{course.REPO}/tree/{course.BRANCH}/results)" in page
    assert "[web](https://example.org)" in page and "[below](#data)" in page
    assert page.index("# Course") < page.index("Quick-mode build") < page.index("Intro.")
    assert "Quick-mode" not in book.front_page(readme, [], "full", "2026-01-01")


def test_config_never_executes_and_leaves_kernel_stderr_out():
    for mode in ("quick", "full"):
        text = yaml.safe_dump(book.config(mode, "Course", "2026-01-01"), sort_keys=False)
        assert "execute_notebooks: 'off'" in text, "a bare off would be YAML's false"
        loaded = yaml.safe_load(text)
        assert loaded["execute"] == {"execute_notebooks": "off", "stderr_output": "remove"}
        assert ("announcement" in loaded["html"]) == (mode == "quick")
        assert loaded["repository"]["url"].endswith(course.REPO) and loaded["repository"]["path_to_book"] == "notebooks"


def executed_like(path):
    """A chapter's notebook with made-up outputs in every code cell, as if executed."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="an output\n")]
            cell.execution_count = 1
    return nb


def test_public_book_shows_exercises_as_students_get_them(tmp_path):
    nb = executed_like(NOTEBOOKS[0])
    page = book.prepare_notebook(nb, chapter("00", tmp_path), "quick", "omit", "2026-01-01")
    assert len(page.cells) == len(nb.cells) + 2  # the notebook link (and quick warning), the exercise note
    assert "Quick-mode outputs" in page.cells[1].source
    assert book.blob_url("notebooks/" + NOTEBOOKS[0].name) in page.cells[1].source
    assert "hide-input" in page.cells[2].metadata["tags"] and "bootstrap" in page.cells[2].metadata["tags"]
    graded = [c for c in page.cells if c.metadata.get("nbgrader") and c.cell_type == "code"]
    solutions = [c for c in graded if c.metadata["nbgrader"]["solution"]]
    checks = [c for c in graded if c.metadata["nbgrader"]["grade"]]
    assert solutions and checks
    for cell in solutions:
        assert "NotImplementedError" in cell.source and "BEGIN SOLUTION" not in cell.source and cell.outputs == []
    for cell in checks:
        assert "HIDDEN TESTS" not in cell.source and cell.outputs == []
    answers = [c for c in page.cells if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "markdown"]
    assert all(c.source.strip() == "YOUR ANSWER HERE" for c in answers)  # written questions, where a chapter has one
    note = next(i for i, c in enumerate(page.cells) if c.source.startswith(":::{note}"))
    assert re.match(r"##\s+Exercises", page.cells[note - 1].source)
    assert all(c.outputs for c in nb.cells if c.cell_type == "code"), "the executed notebook itself is left as it was"


def with_written_question(nb):
    """``nb`` with a written question at the end: an nbgrader answer cell graded by hand."""
    answer = nbformat.v4.new_markdown_cell("Because the step overshoots the minimum.")
    answer.metadata["nbgrader"] = {"grade": True, "solution": True, "locked": False, "points": 2,
                                   "grade_id": "ex00_9_answer", "schema_version": 3}
    nb.cells += [nbformat.v4.new_markdown_cell("### Exercise 00.9 · Why?\n*(written · about 5 min)*"), answer]
    return nb


def test_written_answers_are_omitted_or_folded(tmp_path):
    nb = with_written_question(executed_like(NOTEBOOKS[0]))
    public = book.prepare_notebook(nb, chapter("00", tmp_path), "quick")
    assert public.cells[-1].source.strip() == "YOUR ANSWER HERE"
    preview = book.prepare_notebook(nb, chapter("00", tmp_path), "quick", "collapse")
    assert preview.cells[-1].source.startswith("````{dropdown} Model answer")
    assert "overshoots" in preview.cells[-1].source


def test_instructor_preview_folds_the_solutions(tmp_path):
    nb = executed_like(NOTEBOOKS[0])
    page = book.prepare_notebook(nb, chapter("00", tmp_path), "full", "collapse")
    assert "outputs from a full-mode run" in page.cells[1].source and "Quick" not in page.cells[1].source
    solutions = [c for c in page.cells if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code"]
    assert solutions
    assert all("BEGIN SOLUTION" in c.source and "hide-input" in c.metadata["tags"] and c.outputs for c in solutions)
    assert any("Do not publish" in c.source for c in page.cells)


def test_missing_failed_and_stale_chapters_are_reported(tmp_path):
    executed = tmp_path / "quick"
    executed.mkdir()
    with pytest.raises(book.BookError, match=r"python -m tools.runner --quick 00 01"):
        book.chapters_for(["01", "0"], executed)
    nb = executed_like(NOTEBOOKS[0])
    assert book.error_outputs(nb) == [] and not book.is_stale(nb, nbformat.read(NOTEBOOKS[0], as_version=4))
    nb.cells[3].outputs.append(nbformat.v4.new_output("error", ename="ValueError", evalue="bad", traceback=[]))
    assert book.error_outputs(nb) == ["cell 3: ValueError: bad"]
    nb.cells[0].source += "\nedited since the run"
    assert book.is_stale(nb, nbformat.read(NOTEBOOKS[0], as_version=4))
    nbformat.write(nb, executed / NOTEBOOKS[0].name)
    with pytest.raises(book.BookError, match="cell 3: ValueError: bad"):
        book.prepare_sources([chapter("00", executed)], "quick", tmp_path / "src")
    stale = book.prepare_sources([chapter("00", executed)], "quick", tmp_path / "src", allow_errors=True)
    assert stale == ["00"] and (tmp_path / "src" / "_toc.yml").is_file()


def test_bad_input_is_refused(tmp_path):
    with pytest.raises(ValueError, match="no notebook for chapter"):
        book.chapters_for(["99"], tmp_path)
    with pytest.raises(ValueError, match="solutions must be one of"):
        book.prepare_notebook(executed_like(NOTEBOOKS[0]), chapter("00", tmp_path), "quick", "show")
    with pytest.raises(ValueError, match="title cell"):
        book.prepare_notebook(nbformat.v4.new_notebook(), chapter("00", tmp_path), "quick")
    (tmp_path / "html").mkdir()
    (tmp_path / "html" / "notes.txt").write_text("mine")
    with pytest.raises(book.BookError, match="not a previous build"):
        book.build(quick=True, out=tmp_path / "html", executed=tmp_path)
    assert (tmp_path / "html" / "notes.txt").is_file()


# --- a quick-mode book of two chapters, built by `python -m tools.book` -----------------------------


def pages(html_dir):
    return {p.name: p.read_text(encoding="utf-8") for p in html_dir.glob("*.html")}


def page_name(number: str) -> str:
    return next(p.stem for p in NOTEBOOKS if p.name.startswith(number)) + ".html"


def test_quick_book_has_a_page_per_chapter_with_its_figures(quick_book):
    html = pages(quick_book.html)
    assert 'url=intro.html' in html["index.html"]
    for number in quick_book.chapters:
        name = page_name(number)
        figures = re.findall(r'<img alt="[^"]*" src="(_images/[0-9a-f]+\.png)"', html[name])
        executed = nbformat.read(quick_book.executed / name.replace(".html", ".ipynb"), as_version=4)
        drawn = [o for c in executed.cells if c.cell_type == "code" and not c.metadata.get("nbgrader")
                 for o in c.outputs if "image/png" in o.get("data", {})]
        assert drawn and len(figures) == len(drawn), f"{name} shows {len(figures)} of the run's {len(drawn)} figures"
        assert all((quick_book.html / src).stat().st_size > 1000 for src in figures)
        assert f'href="{name}"' in html["intro.html"], f"the front page does not link {name}"


def test_quick_book_renders_the_runners_outputs_without_stderr(quick_book):
    start = pages(quick_book.html)[page_name("00")]
    assert quick_book.sentinel in start, "the page should show the runner's outputs, not those of a new execution"
    assert quick_book.stderr_sentinel not in start, "kernel stderr should be left out of the pages"
    assert "learned w =" in start


def test_every_page_of_a_quick_book_says_so(quick_book):
    html = pages(quick_book.html)
    for name, text in html.items():
        if name != "index.html":  # the redirect to intro.html
            assert "bd-header-announcement" in text and "Quick-mode build" in text, name
    for number in quick_book.chapters:
        assert "Quick-mode outputs" in html[page_name(number)]


def test_quick_book_has_math_badges_notebook_links_search_and_no_solutions(quick_book):
    html = pages(quick_book.html)
    for number in quick_book.chapters:
        path = chapter(number, quick_book.html).source
        text = html[path.stem + ".html"]
        assert '<span class="math notranslate nohighlight">' in text, "LaTeX should reach the page as math"
        assert 'src="_static/mathjax/tex-chtml.js"' in text, "MathJax should come with the book, not from a CDN"
        assert (quick_book.html / "_static/mathjax/tex-chtml.js").is_file()
        assert f'href="{course.colab_url(path.name)}"><img alt="Open In Colab"' in text
        assert f'href="{book.blob_url("notebooks/" + path.name)}"' in text
        assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text and "NotImplementedError" in text
    assert "searchindex.js" in html["search.html"] and (quick_book.html / "searchindex.js").is_file()
    assert f"https://github.com/{course.REPO}/blob/{course.BRANCH}/docs/instructor_guide.md" in html["intro.html"]
