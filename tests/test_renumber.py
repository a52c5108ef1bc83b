"""python -m tools.renumber: inserting a chapter shifts every reference exactly once, and a stale one fails.

The insertion runs on full copies of the working tree (never on the repository itself); nothing is
executed. ``test_every_chapter_number_in_the_repository_is_consistent`` is the test that catches a
stale reference in the repository as it is; the ``broken`` cases show that it fails when one piece of
an insertion is undone by hand.
"""

from __future__ import annotations

import collections
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tools import course, renumber

ROOT = course.ROOT
INSERT_AT = "09"
"""Where the tests insert a chapter (after 08, where the modern-CNN chapter is planned)."""

COPY_IGNORED = shutil.ignore_patterns(".git", "_build", ".venv", "release", "__pycache__", ".pytest_cache",
                                      ".ruff_cache", ".ipynb_checkpoints", ".gpu_paths_*", "*.keras",
                                      "submitted", "autograded", "feedback", "gradebook.db")
REGENERATED_WITH_BARE_NUMBERS = {"results/seeds.md"}
"""Regenerated files whose chapter numbers no reference form finds ("| NN | metric |", "Thin: NN ...")."""

PENDING = renumber.not_yet_written(ROOT)
pending = pytest.mark.skipif(bool(PENDING), reason=f"an insertion is pending (NOT_YET_WRITTEN = {PENDING}): "
                                                   "write that chapter first")


def copy_tree(source: Path, dest: Path, git: bool) -> Path:
    shutil.copytree(source, dest, ignore=COPY_IGNORED)
    if git:
        def run(*args: str) -> None:
            subprocess.run(["git", "-c", "user.name=test", "-c", "user.email=test@example.org",
                            "-c", "commit.gpgsign=false", *args], cwd=dest, check=True, capture_output=True)
        run("init", "-q")
        run("add", "-A")
        run("commit", "-q", "-m", "the course before the insertion")
    return dest


@pytest.fixture(scope="module")
def original(tmp_path_factory) -> Path:
    return copy_tree(ROOT, tmp_path_factory.mktemp("original") / "course", git=True)


@pytest.fixture(scope="module")
def inserted(original, tmp_path_factory):
    """A copy of ``original`` (with its git history) after ``insert(INSERT_AT)``: (root, changed, notes)."""
    root = tmp_path_factory.mktemp("inserted") / "course"
    shutil.copytree(original, root)
    notes: list[str] = []
    changed = renumber.insert(INSERT_AT, root=root, notes=notes)
    return root, changed, notes


def shifted(number: str, mapping: dict[str, str]) -> str:
    return mapping.get(number, number)


def renamed(rel: str, mapping: dict[str, str]) -> str:
    path = Path(rel)
    if rel.startswith("notebooks/") and path.suffix == ".ipynb":
        return str(path.parent / (shifted(path.name[:2], mapping) + path.name[2:]))
    return rel


def masked(text: str, refs: list[renumber.Ref]) -> str:
    out, pos = [], 0
    for ref in refs:
        out += [text[pos:ref.start], "##"]
        pos = ref.end
    return "".join(out) + text[pos:]


def scan(root: Path) -> dict[tuple[str, int | None], tuple[list[tuple[str, str]], str]]:
    """Per file (and per notebook cell): its references (form, number) in order, and its text with them masked."""
    stems = {p.stem for p in renumber.chapters(root).values()}
    found = {}
    for rel in renumber.files(root):
        text = (root / rel).read_text(encoding="utf-8")
        if rel == renumber.NOT_YET_WRITTEN_FILE:
            text = renumber._NOT_YET_WRITTEN_LINE.sub("NOT_YET_WRITTEN = ...", text)
        if rel.startswith("notebooks/") and rel.endswith(".ipynb"):
            for index, cell in enumerate(json.loads(text)["cells"]):
                source = renumber.cell_source(cell)
                refs = renumber.cell_refs(cell, index, stems)
                grade = renumber.grade_id_number(cell)
                metadata = re.sub(r'"ex\d\d_', '"ex##_', json.dumps(cell.get("metadata", {}), sort_keys=True))
                found[rel, index] = ([(r.form, r.number) for r in refs] + ([("grade_id", grade)] if grade else []),
                                     masked(source, refs) + metadata)
        else:
            refs = renumber.text_refs(rel, text, stems)
            found[rel, None] = ([(r.form, r.number) for r in refs], masked(text, refs))
    return found


def raw_texts(root: Path) -> dict[str, str]:
    """Every text file of a tree, read directly (the independent check does not use renumber's listing)."""
    texts = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if ".git" in path.relative_to(root).parts or not path.is_file() or rel in renumber.OWN_FILES:
            continue
        try:
            texts[rel] = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
    return texts


SIMPLE_FORMS = {
    "chapter NN": re.compile(r"(?:(?<=\\n)|\b)[Cc]hapters? (\d\d)\b"),   # also after a JSON string's \n
    "report": re.compile(r'report\(\\?"(\d\d)\\?"'),
    "grade_id": re.compile(r'"grade_id": "ex(\d\d)_'),
    "title": re.compile(r'"# (\d\d) · '),
    "link": re.compile(r"notebooks/(\d\d)_[a-z0-9_]+\.ipynb"),
    "exercise": re.compile(r"(?:(?<=\\n)|\b)Exercise (\d\d)\.\d"),
    "THRESHOLDS key": re.compile(r'^    "(\d\d)": \{', re.M),
}


def simple_counts(root: Path) -> dict[str, collections.Counter]:
    texts = raw_texts(root)
    return {form: collections.Counter(m[1] for text in texts.values() for m in pattern.finditer(text))
            for form, pattern in SIMPLE_FORMS.items()}


# --- the insertion, on a copy ------------------------------------------------------------------------------

@pending
def test_the_map_is_explicit_and_covers_every_chapter_from_the_insertion_on(original):
    last = max(int(n) for n in renumber.chapters(original))
    mapping = renumber.chapter_map(INSERT_AT, original)
    assert mapping == {f"{n:02d}": f"{n + 1:02d}" for n in range(int(INSERT_AT), last + 1)}
    assert renumber.chapter_map(int(INSERT_AT), original) == mapping


@pending
def test_insert_renames_the_notebooks_with_git_and_frees_the_number(original, inserted):
    root, changed, _ = inserted
    mapping = renumber.chapter_map(INSERT_AT, original)
    before = [p.name for p in course.notebooks(original)]
    after = [p.name for p in course.notebooks(root)]
    assert after == [renamed(f"notebooks/{n}", mapping)[len("notebooks/"):] for n in before]
    assert INSERT_AT not in {n[:2] for n in after}
    status = subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True).stdout
    moves = {line[3:] for line in status.splitlines() if line.startswith("R")}
    assert moves == {f"notebooks/{n} -> {renamed(f'notebooks/{n}', mapping)}" for n in before if n[:2] in mapping}
    assert renumber.not_yet_written(root) == {int(INSERT_AT)}
    moved = [renamed(f"notebooks/{n}", mapping) for n in before if n[:2] in mapping]
    for rel in ("utils/results.py", "README.md", "docs/instructor_guide.md", "results/results.json",
                renumber.NOT_YET_WRITTEN_FILE, *moved):
        assert rel in changed, f"{rel} should be among the changed files: {changed}"


@pending
def test_every_reference_from_the_insertion_on_moves_up_by_one_and_nothing_else_changes(original, inserted):
    root, _, _ = inserted
    mapping = renumber.chapter_map(INSERT_AT, original)
    before, after = scan(original), scan(root)
    assert set(after) == {(renamed(rel, mapping), cell) for rel, cell in before}
    total = 0
    for (rel, cell), (refs, text) in before.items():
        refs_after, text_after = after[renamed(rel, mapping), cell]
        where = f"{rel}" + ("" if cell is None else f" cell {cell}")
        assert refs_after == [(form, shifted(n, mapping)) for form, n in refs], where
        if rel not in REGENERATED_WITH_BARE_NUMBERS:
            assert text_after == text, f"{where}: something besides a chapter reference changed"
        total += len(refs)
    assert total > 1000  # the scan found the references (a scan that finds nothing would prove nothing)


@pending
def test_an_independent_count_of_each_form_agrees(original, inserted):
    """Plain regular expressions over the raw files, not renumber's finders: counts per number move as mapped."""
    root, _, _ = inserted
    mapping = renumber.chapter_map(INSERT_AT, original)
    before, after = simple_counts(original), simple_counts(root)
    for form, counts in before.items():
        expected = collections.Counter({shifted(n, mapping): c for n, c in counts.items()})
        assert after[form] == expected, form
        assert sum(counts.values()) > 0, f"{form}: found nowhere, so it checks nothing"
    assert before["chapter NN"][INSERT_AT] > 0 and after["chapter NN"][INSERT_AT] == 0


@pending
def test_thresholds_grade_ids_and_badges_follow(original, inserted):
    root, _, _ = inserted
    mapping = renumber.chapter_map(INSERT_AT, original)
    read = lambda r: renumber.thresholds((r / "utils" / "results.py").read_text())  # noqa: E731
    assert read(root) == {shifted(k, mapping): v for k, v in read(original).items()}
    assert list(read(root)) == sorted(read(root))

    def grade_ids(r: Path) -> list[str]:
        return [c["metadata"]["nbgrader"]["grade_id"] for p in course.notebooks(r)
                for c in json.loads(p.read_text())["cells"] if "nbgrader" in c.get("metadata", {})]

    assert grade_ids(root) == [f"ex{shifted(g[2:4], mapping)}{g[4:]}" for g in grade_ids(original)]
    for path in course.notebooks(root):
        assert all(g.startswith(f"ex{path.name[:2]}_") for g in grade_ids(root) if g[2:4] == path.name[:2])
    assert course.out_of_date(root) == []


@pending
def test_the_renumbered_copy_passes_every_consistency_check(inserted):
    root, _, notes = inserted
    assert renumber.problems(root) == []
    assert notes == []  # no "chapters NN–MM" range spans the insertion point here


@pending
def test_insert_after_the_last_chapter_only_reserves_the_number(original, tmp_path):
    root = copy_tree(original, tmp_path / "course", git=False)
    last = max(int(n) for n in renumber.chapters(root))
    assert renumber.insert(last + 1, root=root) == [renumber.NOT_YET_WRITTEN_FILE]
    assert renumber.not_yet_written(root) == {last + 1}
    assert renumber.problems(root) == []


@pending
def test_insert_without_git_renames_plainly(original, tmp_path):
    root = copy_tree(original, tmp_path / "course", git=False)
    last = max(int(n) for n in renumber.chapters(root))
    old = renumber.chapters(root)[f"{last:02d}"]
    changed = renumber.insert(last, root=root)
    new = root / "notebooks" / (f"{last + 1:02d}" + old.name[2:])
    assert not old.exists() and new.is_file() and str(new.relative_to(root)) in changed
    assert renumber.problems(root) == []


# --- the guards --------------------------------------------------------------------------------------------

@pending
@pytest.mark.parametrize("number, message", [
    ("00", r"01 \.\. \d\d"), (0, r"01 \.\. \d\d"), ("99", r"01 \.\. \d\d"), ("9x", "two digits"), ("-1", "two digits"),
])
def test_insert_refuses_a_number_outside_the_series(original, number, message):
    with pytest.raises(ValueError, match=message):
        renumber.insert(number, root=original)


@pending
def test_insert_refuses_while_an_insertion_is_pending_and_changes_nothing(inserted):
    root, _, _ = inserted
    snapshot = {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and ".git" not in p.parts}
    with pytest.raises(ValueError, match=rf"NOT_YET_WRITTEN .* is \[{int(INSERT_AT)}\]: an insertion is pending"):
        renumber.insert("05", root=root)
    assert snapshot == {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and ".git" not in p.parts}


# --- the stale-reference check -----------------------------------------------------------------------------

def test_every_chapter_number_in_the_repository_is_consistent():
    """Titles, report() keys, exercise and grade ids, badges, README tables, THRESHOLDS, results/, the
    chapter-keyed constants and every prose reference ("chapter NN", "chapters NN–MM", ...) name the right,
    existing chapter. A failure names the file and line; after inserting a chapter, use tools.renumber."""
    problems = renumber.problems()
    assert problems == [], "\n".join(problems)


def _replace_in_notebook(root: Path, number: str, old: str, new: str, in_metadata: bool = False) -> None:
    path = renumber.chapters(root)[number]
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if in_metadata and old in cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", ""):
            cell["metadata"]["nbgrader"]["grade_id"] = cell["metadata"]["nbgrader"]["grade_id"].replace(old, new)
            break
        if not in_metadata and old in renumber.cell_source(cell):
            cell["source"] = renumber.cell_source(cell).replace(old, new, 1)
            break
    else:
        raise AssertionError(f"{old!r} not found in {path.name}")
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _replace_in_file(root: Path, rel: str, old: str, new: str) -> None:
    text = (root / rel).read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {rel}"
    (root / rel).write_text(text.replace(old, new, 1), encoding="utf-8")


MOVED = f"{int(INSERT_AT) + 1:02d}"
"""The chapter that was INSERT_AT before the insertion."""


def _undo_report(root: Path) -> None:
    _replace_in_notebook(root, MOVED, f'report("{MOVED}"', f'report("{INSERT_AT}"')


def _undo_grade_id(root: Path) -> None:
    _replace_in_notebook(root, MOVED, f"ex{MOVED}_1_", f"ex{INSERT_AT}_1_", in_metadata=True)


def _beyond_the_last(root: Path) -> None:
    beyond = max(int(n) for n in renumber.chapters(root)) + 1
    readme = root / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8") + f"\nChapter {beyond} comes next.\n", encoding="utf-8")


def _undo_prose(root: Path) -> None:
    """The first other chapter that refers to the moved one: "chapter MOVED" -> "chapter INSERT_AT"."""
    number = next(n for n, path in sorted(renumber.chapters(root).items())
                  if n != MOVED and f"chapter {MOVED}" in path.read_text(encoding="utf-8"))
    _replace_in_notebook(root, number, f"chapter {MOVED}", f"chapter {INSERT_AT}")


def _undo_thresholds(root: Path) -> None:
    _replace_in_file(root, "utils/results.py", f'    "{MOVED}": {{', f'    "{INSERT_AT}": {{')


def _undo_results(root: Path) -> None:
    _replace_in_file(root, "results/results.json", f'"chapter": "{MOVED}"', f'"chapter": "{INSERT_AT}"')


def _undo_readme_link(root: Path) -> None:
    name = renumber.chapters(root)[MOVED].name
    _replace_in_file(root, "README.md", f"(notebooks/{name})", f"(notebooks/{INSERT_AT}{name[2:]})")


def _undo_exercise_heading(root: Path) -> None:
    _replace_in_notebook(root, MOVED, f"### Exercise {MOVED}.2 ", f"### Exercise {INSERT_AT}.2 ")


UNDONE = [
    (_undo_report, f"report('{INSERT_AT}') in chapter {MOVED}"),
    (_undo_grade_id, f"grade_id 'ex{INSERT_AT}_1_"),
    (_beyond_the_last, "which does not exist"),
    (_undo_prose, f"chapter reference to chapter {INSERT_AT}, which does not exist"),
    (_undo_thresholds, "THRESHOLDS keys"),
    (_undo_results, f"results/results.json: chapter {INSERT_AT} does not exist"),
    (_undo_readme_link, f"README.md: chapter row {MOVED} links {INSERT_AT}"),
    (_undo_exercise_heading, f"heading 'Exercise {INSERT_AT}.2' in chapter {MOVED}"),
]
"""One piece of the insertion undone by hand, and what the check must say about it."""


@pending
@pytest.mark.parametrize("undo, expected", UNDONE, ids=[undo.__name__.strip("_") for undo, _ in UNDONE])
def test_the_check_fails_when_one_piece_of_the_insertion_is_undone(inserted, tmp_path, undo, expected):
    root = tmp_path / "course"
    shutil.copytree(inserted[0], root, ignore=COPY_IGNORED)  # no .git: the check lists files itself
    undo(root)
    problems = renumber.problems(root)
    assert any(expected in p for p in problems), "\n".join(problems)


# --- the reference forms, one by one -----------------------------------------------------------------------

@pytest.mark.parametrize("text, numbers", [
    ("see chapter 08.", ["08"]),
    ("Chapter 08's CNN", ["08"]),
    ("**Prerequisites**: chapters 05–07 (a first network, training well).", ["05", "07"]),
    ("chapters 05-07", ["05", "07"]),
    ("Chapters 01 to 04 built neurons", ["01", "04"]),
    ("chapters 05 and 06", ["05", "06"]),
    ("(chapters 10, 12 and 13)", ["10", "12", "13"]),
    ("chapters 05 (a first deep network), 06 (training well: optimisers,\nbatch norm) and 08 (CNNs)",
     ["05", "06", "08"]),
    ("chapters 05–06 (training well) and 09 (recurrent networks)", ["05", "06", "09"]),
    ("ch. 08 and ch.09", ["08", "09"]),
    ("one per chapter from 05 on", ["05"]),
    ("chapter 08, section 6 (chapter 14 explains it)", ["08", "14"]),
    ("on 2026-12-08, 0.08 of the seed 42 runs, 10,000 images, section 10", []),
    ("chapter 2 of another book", []),
])
def test_chapter_list_forms(text, numbers):
    assert [r.number for r in sorted(renumber.chapter_list_refs(text), key=lambda r: r.start)] == numbers


@pytest.mark.parametrize("text, numbers", [
    ("### Exercise 11.3 · From padded ids to an additive mask", ["11"]),
    ("like the $-10^9$ of exercise 11.3), which", ["11"]),
    ("exercises 11.1 and 11.2", ["11", "11"]),
    ('grade_id "ex09_3_check_a" and ex09_5_answer', ["09", "09"]),
    ("about 10.5 min, exNN_k_check", []),
])
def test_exercise_forms(text, numbers):
    assert [r.number for r in renumber.exercise_refs(text)] == numbers


@pytest.mark.parametrize("text, numbers", [
    ("python -m tools.runner 05 06 --seeds 42 43", ["05", "06"]),
    ("python -m tools.runner 08 --optional --update-readme", ["08"]),
    ("python -m tools.book --quick 05", ["05"]),
    ("# or: ... runner 05 06 for some chapters", ["05", "06"]),
    ("python -m tools.runner --seeds 42 43 44", []),
])
def test_command_forms(text, numbers):
    assert [r.number for r in renumber.command_refs(text)] == numbers


def test_python_literals_and_regions():
    source = ('THRESHOLDS = {"08": {"acc": (">=", 0.08)}, "09": {"x": ("<=", 1e-12)}}\n'
              'report("10", seed=42)  # 2026-12-08\nname = f"chapter {n!r} like \'05\'"\n')
    assert [r.number for r in renumber.literal_refs(source)] == ["08", "09", "10"]
    wide = 'toc = {"00": "Part I · Basics", "08": "Part II · Vision"}\n'  # non-ASCII before a literal
    assert [(r.number, wide[r.start:r.end]) for r in renumber.literal_refs(wide)] == [("00", "00"), ("08", "08")]
    assert [r.number for r in renumber.literal_refs('with exercise("08.1", part="a"):\n    pass\n',
                                                    exercise_ids=True)] == ["08"]
    region = renumber.Region("x.py", "EXPERIMENTS_FROM", integer=True)
    refs = renumber.region_refs("A = 1\nEXPERIMENTS_FROM = 5   # chapters from 05 on\n", region)
    assert [(r.number, r.form) for r in refs] == [("05", "integer")]
    with pytest.raises(ValueError, match="no longer defines EXPERIMENTS_FROM"):
        renumber.region_refs("A = 1\n", region)


def test_json_refs_find_chapters_but_not_seeds_or_dates():
    text = json.dumps({"seeds": [42], "rows": [{"chapter": "09", "date": "2026-12-09"}],
                       "runs": {"42": {"09": {"seconds": 10}}}, "chapters": {"10": {"notebook": "10_x.ipynb"}}},
                      indent=2)
    assert [r.number for r in renumber.json_refs(text)] == ["09", "09", "10"]


def test_one_pass_never_shifts_a_reference_twice():
    text = "chapters 09–10, then chapter 11; exercise 10.2; 2026-12-10"
    refs = renumber.chapter_list_refs(text) + renumber.exercise_refs(text)
    refs = sorted(refs, key=lambda r: r.start)
    mapping = {"09": "10", "10": "11", "11": "12"}
    assert renumber._shift(text, refs, mapping) == "chapters 10–11, then chapter 12; exercise 11.2; 2026-12-10"


def test_a_range_across_the_insertion_point_is_reported():
    notes = renumber._spanning_ranges("x.md", "Prerequisites: chapters 05–07 and chapter 09–10.", 6)
    assert notes == ["x.md: 'chapters 05–07' now includes the new chapter 06"]


def test_the_tables_columns_hold_chapters():
    text = ("| week | chapters | exercises to assign | notes |\n|---|---|---|---|\n"
            "| 10 | 10 (rest), 11 Attention | rest of 10; 11's warm-up (11.1) | about 10,000 images |\n"
            "\nafter | 12 |\n")
    table = next(t for t in renumber.TABLES if t.header.startswith("| week"))
    assert [r.number for r in renumber.table_refs(text, table)] == ["10", "11", "10", "11", "11"]


def test_the_command_line(capsys):
    assert renumber.main(["--check"]) == 0
    assert "every chapter number is consistent" in capsys.readouterr().out
    assert renumber.main(["--insert", "00"]) == 2  # refused before anything is read for writing
    assert capsys.readouterr().err.startswith("error: ")
