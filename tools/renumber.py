"""Insert a chapter: renumber every chapter from NN on, across the whole repository, in one pass.

::

    python -m tools.renumber --insert NN   # chapters NN, NN+1, ... become NN+1, NN+2, ...; NN is left free
    python -m tools.renumber --check       # every chapter number in the repository names the right chapter

``--insert`` builds one explicit old -> new map (``{"NN": "NN+1", ...}`` for every chapter from NN to
the last), finds every reference in every file *of the original text*, and replaces each one once, so a
reference is never shifted twice. Then it regenerates what is generated (the instructor guide's tables,
the results tables and chart, the badges) with the tools that own them, and records NN in
``NOT_YET_WRITTEN`` (``tests/test_notebooks.py``): the numbering test then accepts the gap, and the
commit that adds the new chapter removes NN from that set. It refuses (``ValueError``) a number
outside 01 .. last + 1, or while ``NOT_YET_WRITTEN`` is not empty (an insertion is already pending).
Run it on a clean working tree and commit its changes as one commit. In a git repository the
notebooks move with ``git mv``.

The references it rewrites (NN, MM: two-digit chapter numbers; k: an exercise number):

* **notebook file names** ``NN_name`` (with ``.ipynb``, ``.html`` or bare, as the instructor guide's
  tables write them), wherever they appear: links, Colab badge URLs, results, tests, workflows;
  the files themselves are renamed;
* **prose**, in notebooks, Markdown, Python comments, docstrings and strings: ``chapter NN``,
  ``Chapter NN``, ``chapters NN`` and ``ch. NN``, each followed by a list of items ``NN``, ``NN–MM``,
  ``NN-MM`` or ``NN to MM``, an optional ``'s`` and an optional parenthesis, separated by ``,``,
  ``and`` or ``or`` ("chapters NN (a first deep network), MM (training well) and ..."); and
  ``chapter(s) from NN on``;
* **exercise ids**: ``Exercise NN.k`` / ``exercise NN.k`` (headings, statements, prose, lists of them)
  in notebooks and Markdown, the ``"NN.k"`` string of ``exercise("NN.k", ...)`` in notebook code, and
  nbgrader ``grade_id`` values ``exNN_k_solution``, ``exNN_k_check``, ``exNN_k_check_a``,
  ``exNN_k_answer`` (cell metadata, and in the text of notebooks and Markdown);
* the **title cell** ``# NN · Title``;
* **two-digit string literals** ``"NN"`` in Python (notebook code and ``.py`` files, found with
  ``ast``, so ``0.08`` or ``1e-12`` never match): ``report("NN", ...)``, the keys of
  ``utils.results.THRESHOLDS``, ``tools.runner.OPTIONAL``, ``MUST_HAVE_RUN``, ``PARTIAL_CHAPTER``,
  ``BOOK_CHAPTERS``, the browser test's ``CHAPTERS``, ``ALLOWED_REPEATS``, chapters named in tests;
  in the JSON files of ``results/``, a ``"chapter"`` value and the keys of a ``"chapters"`` object or
  of a seed's ``"runs"`` (never a seed, a date or a measurement);
* **command lines** in docs and docstrings: ``tools.runner NN MM``, ``tools.runner --quick NN``,
  ``... runner NN``, ``tools.book --quick NN``;
* the tables of :data:`TABLES`, found by their header row: the **README's chapter tables** (the
  ``| NN |`` column), chapter 00's **map of the series** ("NN one neuron · NN activations"), the
  instructor guide's **schedule** (every two-digit number after its week column) and its exercise
  table ("| NN_name | NN.k Title |"); the guide's rubric headings ``#### NN.k · Title``;
* the **regions of** :data:`REGIONS`: Python constants where every two-digit number is a chapter
  (``ALLOWED_REPEATS``'s reasons, "written where it is taught (NN, MM)"), or an integer chapter
  (``EXPERIMENTS_FROM = 5``).

Regenerated rather than rewritten: the instructor guide's exercise table and rubrics
(``tools.release``), ``results/results.md``, ``results.png``, ``seeds.md``, ``seeds.json`` and the
README's results table (``tools.runner``, from the rewritten JSON files and THRESHOLDS); the badges are
rendered once more by ``tools.course``. Before writing anything it checks that regenerating these from
the current files reproduces them, so that an insertion never hides an unrelated change.

Not rewritten, on purpose: a number without one of the forms above ("08" alone, "(08)", "in 00.2":
write "chapter 08", "exercise 00.2"), so seeds, dates, sizes and decimals stay as they are; exercise
ids and grade ids in ``.py`` files (the unit tests and docstrings there use ``05.1`` as an example of the
format, not as a reference); this module and ``tests/test_renumber.py``, whose numbers are examples.
A range that spans the insertion point (``chapters NN–MM`` with NN < inserted <= MM) now includes the
new chapter: ``insert`` says so in its notes, for a human to decide. The new chapter itself is the next
commit's work: its README row, its line in chapter 00's map and in the guide's schedule, counts in words
("all fifteen chapters"), and its THRESHOLDS entry.

:func:`problems` is the consistency check (``--check``, and ``tests/test_renumber.py`` on the
repository and on a renumbered copy): every title, ``report``, exercise id, grade id and badge of a
notebook carries its own number, the README's tables link each number to its file, the chapter-keyed
tables and results name existing chapters, and every reference in the forms above names a chapter
(and every ``Exercise NN.k`` an exercise) that exists.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from tools import course, release, strip

ROOT = course.ROOT

NOT_YET_WRITTEN_FILE = "tests/test_notebooks.py"
_NOT_YET_WRITTEN_LINE = re.compile(r"^NOT_YET_WRITTEN: set\[int\] = (.*)$", re.M)

SKIPPED_DIRS = {".git", ".venv", "venv", "_build", "release", "submitted", "autograded", "feedback", "node_modules",
                "__pycache__", ".pytest_cache", ".ruff_cache", ".ipynb_checkpoints"}
"""Folders never renumbered (build output, environments, nbgrader's working folders)."""

OWN_FILES = {"tools/renumber.py", "tests/test_renumber.py"}
"""This tool and its test: their numbers are examples, never references."""

TEXT_SUFFIXES = {".md", ".py", ".json", ".yml", ".yaml", ".toml", ".txt", ".cfg", ".ini", ".sh", ".ipynb", ""}


@dataclasses.dataclass(frozen=True)
class Region:
    """A Python constant (or function) whose chapter numbers the generic forms do not all catch.

    ``bare``: every two-digit number in its lines is a chapter; ``integer``: its value is a chapter
    number written as an int. Every region is also checked: its chapter numbers must exist.
    """

    path: str
    name: str
    bare: bool = False
    integer: bool = False


REGIONS = (
    Region("utils/results.py", "THRESHOLDS"),
    Region("tools/runner.py", "OPTIONAL"),
    Region("tests/test_gpu_paths.py", "MUST_HAVE_RUN"),
    Region("tests/test_gpu_paths.py", "test_the_gpu_chapters_are_found"),
    Region("tests/test_exercises.py", "PARTIAL_CHAPTER"),
    Region("tests/test_exercises.py", "EXPERIMENTS_FROM", integer=True),
    Region("tests/test_shared_code.py", "ALLOWED_REPEATS", bare=True),
    Region("tests/conftest.py", "BOOK_CHAPTERS"),
    Region("tests/test_browser.py", "CHAPTERS", bare=True),
)
"""Code keyed by chapter number. A region whose name its file no longer defines is an error."""


@dataclasses.dataclass(frozen=True)
class Table:
    """Markdown tables (found by their header row, in any file) whose given columns hold chapter numbers."""

    header: str
    columns: tuple[int, ...]
    leading: bool = False  # only the number that starts the cell ("NN.k Title", "**NN_name**")


TABLES = (
    Table("| # | chapter | what you do | open |", (0,)),                      # README.md, one table per part
    Table("| part | chapters | what you build |", (1,)),                       # chapter 00's map of the series
    Table("| week | chapters | exercises to assign | notes |", (1, 2, 3)),   # the instructor guide's schedule
    Table("| chapter | exercise | kind | about | points | graded |", (0, 1), leading=True),  # the guide's exercises
)
"""In these columns every two-digit number (and the NN of an exercise id NN.k) is a chapter; in a
``leading`` table only the number a cell starts with (an exercise title may hold other numbers)."""


@dataclasses.dataclass(frozen=True)
class Ref:
    """One reference: ``text[start:end]`` is the chapter number (two digits, or an int for ``integer``)."""

    start: int
    end: int
    number: str  # always two digits
    form: str


# --- finding references ------------------------------------------------------------------------------------

_N = r"\d\d(?!\d)(?!\.\d)(?!,\d)"  # two digits, not part of a longer number, a decimal or 10,000
_CHAPTER_WORD = re.compile(r"\b(?:[Cc]hapters?\s+|[Cc]h\.\s*)(?=\d\d(?!\d))")
_ITEM = re.compile(rf"(?P<a>{_N})(?:(?:\s*[–-]\s*|\s+to\s+)(?P<b>{_N}))?(?:['’]s\b)?")
_PAREN = re.compile(r"\s*\([^()]*\)")
_SEP = re.compile(rf"(?:\s*,\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+)(?={_N})")
_FROM = re.compile(r"\b[Cc]hapters?\s+from\s+(\d\d)(?!\d)")
_EXERCISE_WORD = re.compile(r"\b[Ee]xercises?\s+(?=\d\d\.\d)")
_EXERCISE_ITEM = re.compile(r"(\d\d)\.\d+\b")
_EXERCISE_SEP = re.compile(r"(?:\s*,\s*(?:and\s+)?|\s+and\s+|\s+or\s+)(?=\d\d\.\d)")
_GRADE_ID = re.compile(r"\bex(\d\d)_\d+_(?:solution|check|answer)(?:_[a-z])?\b")
_COMMAND = re.compile(r"(?:\btools\.|\.\.\.[ \t])(?:runner|book)\b"
                      r"(?:[ \t]+--(?:quick|optional|twice|update-readme|no-progress)\b)*"
                      r"(?P<numbers>(?:[ \t]+\d\d(?![\w.]))+)")
_TITLE = re.compile(r"\A# (\d\d) · ")
_BARE = re.compile(r"(?<![\w.+\-])(\d\d)(?!\w|\.\d)")
_TABLE_NUMBER = re.compile(r"(?<![\d.,])(\d\d)(?!\d|,\d)")
_TABLE_LEADING = re.compile(r"\A\s*(?:\*\*)?(\d\d)(?=[._]\w)")
_EXERCISE_HEADING = re.compile(r"^#{2,4} (\d\d)\.\d+ · ", re.M)
_FILE = re.compile(r"(?<![A-Za-z0-9_])(\d\d)(_[a-z0-9_]+)(?![a-z0-9_])")


def chapter_list_refs(text: str) -> list[Ref]:
    """``chapter NN``, ``chapters NN–MM``, ``Chapter NN's``, ``chapters NN, MM and LL``, ``ch. NN``, …"""
    refs = []
    for word in _CHAPTER_WORD.finditer(text):
        pos = word.end()
        while True:
            item = _ITEM.match(text, pos)
            if not item:
                break
            refs += [Ref(item.start(g), item.end(g), item[g], "chapter") for g in ("a", "b") if item[g]]
            pos = item.end()
            paren = _PAREN.match(text, pos)
            pos = paren.end() if paren else pos
            sep = _SEP.match(text, pos)
            if not sep:
                break
            pos = sep.end()
    refs += [Ref(m.start(1), m.end(1), m[1], "chapter") for m in _FROM.finditer(text)]
    return refs


def exercise_refs(text: str) -> list[Ref]:
    """``Exercise NN.k`` (headings, feedback), ``exercise NN.k``, ``exercises NN.k and NN.j``; grade ids."""
    refs = []
    for word in _EXERCISE_WORD.finditer(text):
        pos = word.end()
        while item := _EXERCISE_ITEM.match(text, pos):
            refs.append(Ref(item.start(1), item.end(1), item[1], "exercise"))
            sep = _EXERCISE_SEP.match(text, item.end())
            if not sep:
                break
            pos = sep.end()
    refs += [Ref(m.start(1), m.end(1), m[1], "grade_id") for m in _GRADE_ID.finditer(text)]
    return refs


def command_refs(text: str) -> list[Ref]:
    """Chapter arguments of ``tools.runner NN MM``, ``tools.book --quick NN``, ``... runner NN``."""
    refs = []
    for m in _COMMAND.finditer(text):
        base = m.start("numbers")
        refs += [Ref(base + n.start(), base + n.end(), n[0], "command") for n in re.finditer(r"\d\d", m["numbers"])]
    return refs


def file_refs(text: str, stems: set[str]) -> list[Ref]:
    """``NN_name`` of an existing notebook (``stems``), with or without ``.ipynb``."""
    return [Ref(m.start(1), m.end(1), m[1], "file") for m in _FILE.finditer(text) if m[1] + m[2] in stems]


def table_refs(text: str, table: Table) -> list[Ref]:
    """The chapter numbers in the chosen columns of every Markdown table with ``table``'s header row."""
    refs: list[Ref] = []
    for header in re.finditer(re.escape(table.header), text):
        pos = start = header.start()
        for line in text[start:].splitlines(keepends=True):
            if not line.startswith("|"):
                break
            if pos > start and not line.startswith("|---"):
                bars = [i for i, c in enumerate(line) if c == "|"]
                for column in table.columns:
                    if column + 1 < len(bars):
                        lo, hi = pos + bars[column] + 1, pos + bars[column + 1]
                        pattern = _TABLE_LEADING if table.leading else _TABLE_NUMBER
                        refs += [Ref(lo + m.start(1), lo + m.end(1), m[1], "table")
                                 for m in pattern.finditer(text[lo:hi])]
            pos += len(line)
    return refs


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+')


def json_refs(text: str) -> list[Ref]:
    """Chapter numbers in the runner's JSON files: a ``"chapter"`` value, a key of a ``"chapters"``
    object, or a key of a seed's object in ``"runs"`` (never a seed, a date or a number)."""
    refs = []
    stack: list[list[Any]] = []  # [container, its key path, key awaiting a value, expecting a key]
    path: tuple[str, ...] = ()
    for m in _JSON_TOKEN.finditer(text):
        token = m[0]
        frame = stack[-1] if stack else None
        if token in "{[":
            key = frame[2] if frame and frame[0] == "{" else "[]"
            path = (*frame[1], key) if frame else ()
            stack.append([token, path, None, token == "{"])
        elif token in "}]":
            stack.pop()
        elif token == ":":
            pass
        elif token == ",":
            if frame and frame[0] == "{":
                frame[3] = True
        elif frame and frame[0] == "{" and frame[3]:  # a key
            frame[2], frame[3] = json.loads(token), False
            key_path = frame[1]
            if re.fullmatch(r'"\d\d"', token) and (key_path[-1:] == ("chapters",) or key_path[-2:-1] == ("runs",)):
                refs.append(Ref(m.start() + 1, m.end() - 1, token[1:3], "literal"))
        elif frame and frame[0] == "{" and frame[2] == "chapter" and re.fullmatch(r'"\d\d"', token):
            refs.append(Ref(m.start() + 1, m.end() - 1, token[1:3], "literal"))
    return refs


def _line_offsets(source: str) -> list[int]:
    """Where each line starts, counting lines as ``ast`` does (at ``\\n``)."""
    return [0] + [m.end() for m in re.finditer("\n", source)]


def _char_offset(source: str, offsets: list[int], lineno: int, col: int) -> int:
    """ast's (line, UTF-8 byte column) -> a character offset in ``source``."""
    line = source[offsets[lineno - 1]:offsets[lineno] if lineno < len(offsets) else len(source)]
    return offsets[lineno - 1] + len(line.encode("utf-8")[:col].decode("utf-8", errors="ignore"))


def _parse(source: str) -> ast.Module | None:
    """``source`` parsed, IPython magics (``%``/``!`` lines) blanked to comments of the same length."""
    cleaned = re.sub(r"^([ \t]*)[%!]", r"\1#", source, flags=re.M)
    try:
        return ast.parse(cleaned)
    except SyntaxError:
        return None


def literal_refs(source: str, exercise_ids: bool = False) -> list[Ref]:
    """String literals that are exactly ``"NN"`` (and, with ``exercise_ids``, ``"NN.k"``) in Python code."""
    wanted = re.compile(r"\d\d(?:\.\d+)?" if exercise_ids else r"\d\d")
    tree = _parse(source)
    refs = []
    if tree is None:  # not Python after all: fall back to quoted literals
        quoted = re.compile(r"""(["'])(\d\d)(\.\d+)?\1""")
        return [Ref(m.start(2), m.end(2), m[2], "literal") for m in quoted.finditer(source)
                if exercise_ids or not m[3]]
    offsets = _line_offsets(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and wanted.fullmatch(node.value) \
                and node.end_lineno is not None and node.end_col_offset is not None:
            lo = _char_offset(source, offsets, node.lineno, node.col_offset)
            hi = _char_offset(source, offsets, node.end_lineno, node.end_col_offset)
            at = source.find(node.value, lo, hi)
            if at >= 0:
                refs.append(Ref(at, at + 2, node.value[:2], "exercise" if "." in node.value else "literal"))
    return refs


def _region_nodes(tree: ast.Module, name: str) -> list[ast.stmt]:
    """The top-level statement that defines ``name`` and the docstring right after it, if any."""
    for index, node in enumerate(tree.body):
        targets = (node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign)
                   else [])
        defines = any(isinstance(t, ast.Name) and t.id == name for t in targets) or \
            (isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == name)
        if defines:
            after = tree.body[index + 1:index + 2]
            doc = [a for a in after if isinstance(a, ast.Expr) and isinstance(a.value, ast.Constant)
                   and isinstance(a.value.value, str)]
            return [node, *doc]
    return []


def region_refs(source: str, region: Region) -> list[Ref]:
    """The chapter numbers of one :class:`Region` of ``source``.

    Raises:
        ValueError: if the file no longer defines the region's name.
    """
    tree = ast.parse(source)
    nodes = _region_nodes(tree, region.name)
    if not nodes:
        raise ValueError(f"{region.path} no longer defines {region.name}: update REGIONS in tools/renumber.py")
    offsets = _line_offsets(source)
    lo = offsets[nodes[0].lineno - 1]
    end_line = nodes[-1].end_lineno or nodes[-1].lineno
    hi = offsets[end_line] if end_line < len(offsets) else len(source)
    if region.integer:
        value = nodes[0].value if isinstance(nodes[0], (ast.Assign, ast.AnnAssign)) else None
        if not (isinstance(value, ast.Constant) and isinstance(value.value, int)):
            raise ValueError(f"{region.path}: {region.name} should be an int chapter number")
        at = _char_offset(source, offsets, value.lineno, value.col_offset)
        end = _char_offset(source, offsets, value.end_lineno or value.lineno, value.end_col_offset or 0)
        return [Ref(at, end, f"{value.value:02d}", "integer")]
    refs = [r for r in literal_refs(source) if lo <= r.start < hi]
    if region.bare:
        refs += [Ref(lo + m.start(1), lo + m.end(1), m[1], "region") for m in _BARE.finditer(source[lo:hi])]
    return refs


def text_refs(rel: str, text: str, stems: set[str]) -> list[Ref]:
    """Every reference in one file that is not a notebook (``rel`` is its path from the root)."""
    suffix = Path(rel).suffix
    refs = chapter_list_refs(text) + command_refs(text) + file_refs(text, stems)
    if suffix != ".py":
        refs += exercise_refs(text)
    if suffix == ".py":
        refs += literal_refs(text)
        refs += [r for region in REGIONS if region.path == rel for r in region_refs(text, region)]
    if suffix == ".json":
        refs += json_refs(text)
    if suffix == ".md":
        refs += [r for table in TABLES for r in table_refs(text, table)]
        refs += [Ref(m.start(1), m.end(1), m[1], "exercise") for m in _EXERCISE_HEADING.finditer(text)]
    return _unique(refs, rel)


def cell_refs(cell: dict[str, Any], index: int, stems: set[str]) -> list[Ref]:
    """Every reference in one notebook cell's source."""
    text = cell_source(cell)
    refs = chapter_list_refs(text) + exercise_refs(text) + command_refs(text) + file_refs(text, stems)
    if cell.get("cell_type") == "code":
        refs += literal_refs(text, exercise_ids=True)
    else:
        refs += [r for table in TABLES for r in table_refs(text, table)]
    if index == 0 and (m := _TITLE.match(text)):
        refs.append(Ref(m.start(1), m.end(1), m[1], "title"))
    return _unique(refs, f"cell {index}")


def _unique(refs: list[Ref], where: str) -> list[Ref]:
    """One reference per span, in text order.

    Raises:
        ValueError: if two forms claim overlapping but different spans (a bug in a pattern).
    """
    spans: dict[tuple[int, int], Ref] = {}
    for ref in refs:
        spans.setdefault((ref.start, ref.end), ref)
    ordered = [spans[k] for k in sorted(spans)]
    for a, b in zip(ordered, ordered[1:]):
        if b.start < a.end:
            raise ValueError(f"{where}: overlapping references {a} and {b}")
    return ordered


def cell_source(cell: dict[str, Any]) -> str:
    """A cell's source as one string (Jupyter stores it as a string or a list of lines)."""
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _set_source(cell: dict[str, Any], text: str) -> None:
    """Put ``text`` back in the form the cell had: one string, or a list of lines split at ``\\n`` only."""
    if text != cell_source(cell):
        cell["source"] = re.findall(r"[^\n]*\n|[^\n]+", text) if isinstance(cell.get("source"), list) else text


def grade_id_number(cell: dict[str, Any]) -> str | None:
    """The chapter number of a cell's nbgrader ``grade_id`` (``exNN_k_...``, as :data:`tools.release.EXERCISE_ID`
    parses it), if it has one."""
    m = release.EXERCISE_ID.match(cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", ""))
    return m["chapter"] if m else None


# --- the repository ----------------------------------------------------------------------------------------

def _is_git_root(root: Path) -> bool:
    done = subprocess.run(["git", "-C", str(root), "rev-parse", "--show-toplevel"], capture_output=True, text=True)
    return done.returncode == 0 and Path(done.stdout.strip()).resolve() == root.resolve()


def files(root: Path) -> list[str]:
    """The repository's text files (paths from ``root``), this tool's own files excepted."""
    if _is_git_root(root):
        listed = subprocess.run(["git", "-C", str(root), "ls-files", "--cached", "--others", "--exclude-standard"],
                                capture_output=True, text=True, check=True).stdout.splitlines()
        paths = sorted({p for p in listed if (root / p).is_file()})
    else:
        paths = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()
                       and not any(part in SKIPPED_DIRS or part.startswith(".gpu_paths_")
                                   for part in p.relative_to(root).parts[:-1]))
    found = []
    for rel in paths:
        if rel in OWN_FILES or Path(rel).suffix not in TEXT_SUFFIXES:
            continue
        data = (root / rel).read_bytes()
        if b"\0" in data:
            continue
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        found.append(rel)
    return found


def chapters(root: Path) -> dict[str, Path]:
    """``{"NN": notebook path}`` of the chapters that exist."""
    return {p.name[:2]: p for p in course.notebooks(root)}


def not_yet_written(root: Path) -> set[int]:
    """``NOT_YET_WRITTEN`` of ``root``'s tests/test_notebooks.py.

    Raises:
        ValueError: if the file does not define it as ``NOT_YET_WRITTEN: set[int] = ...``.
    """
    text = (root / NOT_YET_WRITTEN_FILE).read_text(encoding="utf-8")
    m = _NOT_YET_WRITTEN_LINE.search(text)
    if not m:
        raise ValueError(f"{NOT_YET_WRITTEN_FILE} has no 'NOT_YET_WRITTEN: set[int] = ...' line")
    value = m[1].split("#")[0].strip()
    return set() if value == "set()" else set(ast.literal_eval(value))


def _repo_and_branch(root: Path) -> tuple[str, str]:
    module = root / "tools" / "course.py"
    text = module.read_text(encoding="utf-8") if module.is_file() else ""
    repo = re.search(r'^REPO = "(.*)"$', text, re.M)
    branch = re.search(r'^BRANCH = "(.*)"$', text, re.M)
    return (repo[1] if repo else course.REPO), (branch[1] if branch else course.BRANCH)


def thresholds(source: str) -> dict[str, Any]:
    """``THRESHOLDS`` read from the source of a ``utils/results.py`` (no import: it may be a copy)."""
    for node in ast.parse(source).body:
        target = node.target if isinstance(node, ast.AnnAssign) else (
            node.targets[0] if isinstance(node, ast.Assign) else None)
        if isinstance(target, ast.Name) and target.id == "THRESHOLDS" and node.value is not None:
            return ast.literal_eval(node.value)
    raise ValueError("utils/results.py defines no THRESHOLDS")


# --- generated files: results/ and the instructor guide ----------------------------------------------------

class _Thresholds:
    """Use ``table`` as ``utils.results.THRESHOLDS`` inside the block (the runner's tables read it)."""

    def __init__(self, table: dict[str, Any]):
        self.table = table

    def __enter__(self) -> None:
        from utils import results

        self.saved = results.THRESHOLDS
        results.THRESHOLDS = self.table

    def __exit__(self, *exc: object) -> None:
        from utils import results

        results.THRESHOLDS = self.saved


def _load_results(path: Path) -> tuple[dict[str, Any], list[Any]]:
    from tools import runner

    data = json.loads(path.read_text(encoding="utf-8"))
    fields = {f.name for f in dataclasses.fields(runner.ChapterResult)}
    chapters_ = [runner.ChapterResult(**{k: v for k, v in c.items() if k in fields}) for c in data["chapters"]]
    return {k: v for k, v in data.items() if k != "chapters"}, chapters_


def _between(text: str, start: str, end: str) -> str | None:
    if start not in text or end not in text:
        return None
    return text.split(start, 1)[1].split(end, 1)[0]


def generated_problems(root: Path) -> list[str]:
    """Generated files that differ from what their tools would generate now from ``root``'s sources."""
    from tools import runner

    found = []
    results_dir = root / "results"
    table = thresholds((root / "utils" / "results.py").read_text(encoding="utf-8"))
    with _Thresholds(table):
        if (results_dir / "results.json").is_file():
            info, ran = _load_results(results_dir / "results.json")
            markdown = runner.to_markdown(info, ran)
            if (results_dir / "results.md").is_file() and \
                    (results_dir / "results.md").read_text(encoding="utf-8") != markdown:
                found.append("results/results.md differs from results/results.json")
            readme = root / "README.md"
            shown = _between(readme.read_text(encoding="utf-8"), runner.README_START, runner.README_END) \
                if readme.is_file() else None
            if shown is not None and shown != "\n" + markdown:
                found.append("README.md's results table differs from results/results.json")
        if (results_dir / "seeds").is_dir() and (results_dir / "seeds.md").is_file():
            with tempfile.TemporaryDirectory() as tmp:
                shutil.copytree(results_dir / "seeds", Path(tmp) / "seeds")
                markdown = runner.write_spread(Path(tmp))
                spread = (Path(tmp) / "seeds.json").read_text(encoding="utf-8")
            if (results_dir / "seeds.md").read_text(encoding="utf-8") != markdown or \
                    (results_dir / "seeds.json").read_text(encoding="utf-8") != spread:
                found.append("results/seeds.md or seeds.json differs from results/seeds/")
    guide = root / "docs" / "instructor_guide.md"
    if guide.is_file():
        text = guide.read_text(encoding="utf-8")
        notebooks = course.notebooks(root)
        for start, end, make in ((release.GUIDE_START, release.GUIDE_END, release.exercise_table),
                                 (release.RUBRICS_START, release.RUBRICS_END, release.rubrics)):
            shown = _between(text, start, end)
            try:
                made = make(notebooks)
            except ValueError as exc:  # an exercise whose id and heading disagree
                found.append(f"docs/instructor_guide.md's {start} section cannot be made: {exc}")
                continue
            if shown is not None and shown.strip() != made.strip():
                found.append(f"docs/instructor_guide.md's {start} section differs from the notebooks")
    return found


def regenerate(root: Path, chart: bool = True) -> None:
    """Rewrite the generated files from ``root``'s (renumbered) sources with the tools that own them.

    ``chart=False`` leaves ``results/results.png`` alone (its bars only change with results.json)."""
    from tools import runner

    results_dir = root / "results"
    table = thresholds((root / "utils" / "results.py").read_text(encoding="utf-8"))
    with _Thresholds(table):
        if (results_dir / "results.json").is_file():
            info, ran = _load_results(results_dir / "results.json")
            markdown = runner.to_markdown(info, ran)
            if (results_dir / "results.md").is_file():
                (results_dir / "results.md").write_text(markdown)
            readme = root / "README.md"
            if readme.is_file() and _between(readme.read_text(encoding="utf-8"), runner.README_START,
                                             runner.README_END) is not None:
                runner.update_readme(markdown, readme)
            if chart and (results_dir / "results.png").is_file():
                runner.plot(ran, results_dir / "results.png",
                            f"Run time per chapter ({info['mode']} mode, {info['environment']['device']})")
        if (results_dir / "seeds").is_dir() and (results_dir / "seeds.md").is_file():
            runner.write_spread(results_dir)
    guide = root / "docs" / "instructor_guide.md"
    if guide.is_file():
        text = guide.read_text(encoding="utf-8")
        notebooks = course.notebooks(root)
        if _between(text, release.GUIDE_START, release.GUIDE_END) is not None:
            release.update_guide(guide, release.exercise_table(notebooks))
        if _between(text, release.RUBRICS_START, release.RUBRICS_END) is not None:
            release.update_guide(guide, release.rubrics(notebooks), release.RUBRICS_START, release.RUBRICS_END)
    repo, branch = _repo_and_branch(root)
    course.repoint(repo, branch, root=root)


# --- inserting a chapter -----------------------------------------------------------------------------------

def chapter_map(at: int | str, root: Path = ROOT) -> dict[str, str]:
    """The explicit old -> new map of inserting a chapter at ``at``: every chapter from ``at`` on, plus one.

    Raises:
        ValueError: for a number outside 01 .. last + 1, a gap in the numbering, or while
            ``NOT_YET_WRITTEN`` is not empty (an insertion is pending: write that chapter first).
    """
    if isinstance(at, str) and not re.fullmatch(r"\d{1,2}", at):
        raise ValueError(f"a chapter number is two digits like '09', got {at!r}")
    number = int(at)
    existing = sorted(int(n) for n in chapters(root))
    if not existing:
        raise ValueError(f"{root / 'notebooks'} holds no chapters")
    pending = not_yet_written(root)
    if pending:
        raise ValueError(f"NOT_YET_WRITTEN in {NOT_YET_WRITTEN_FILE} is {sorted(pending)}: an insertion is pending. "
                         "Add that chapter (and remove its number from the set) before inserting another")
    if existing != list(range(existing[-1] + 1)):
        raise ValueError(f"the chapters are not numbered 00 .. {existing[-1]:02d} without gaps: {existing}")
    if not 1 <= number <= existing[-1] + 1:
        raise ValueError(f"a new chapter goes at 01 .. {existing[-1] + 1:02d} (00 stays the first chapter), "
                         f"got {number:02d}")
    return {f"{n:02d}": f"{n + 1:02d}" for n in range(number, existing[-1] + 1)}


def _shift(text: str, refs: list[Ref], mapping: dict[str, str]) -> str:
    """``text`` with every reference replaced through ``mapping`` at once (each span exactly once)."""
    out, pos = [], 0
    for ref in refs:
        if ref.number not in mapping:
            continue
        new = str(int(mapping[ref.number])) if ref.form == "integer" else mapping[ref.number]
        out += [text[pos:ref.start], new]
        pos = ref.end
    return "".join(out) + text[pos:]


def _spanning_ranges(rel: str, text: str, at: int) -> list[str]:
    notes = []
    for word in _CHAPTER_WORD.finditer(text):
        item = _ITEM.match(text, word.end())
        if item and item["b"] and int(item["a"]) < at <= int(item["b"]):
            notes.append(f"{rel}: {text[word.start():item.end()]!r} now includes the new chapter {at:02d}")
    return notes


def _renamed(name: str, mapping: dict[str, str]) -> str:
    return mapping.get(name[:2], name[:2]) + name[2:]


def insert(at: int | str, root: Path = ROOT, notes: list[str] | None = None) -> list[str]:
    """Renumber chapters ``at`` .. last to ``at + 1`` .. last + 1, leaving ``at`` free for a new chapter.

    Every reference is found in the original text and replaced once (see the module docstring),
    the generated files are regenerated, and ``at`` is recorded in ``NOT_YET_WRITTEN``. ``notes``,
    if given, receives what a human should look at (ranges that now include the new chapter).

    Returns:
        The files it changed, as paths from ``root`` (renamed notebooks by their new names).

    Raises:
        ValueError: see :func:`chapter_map`; also if the generated files are out of step before
            the insertion (regenerate them first), or a region of :data:`REGIONS` has gone.
    """
    root = Path(root).resolve()
    mapping = chapter_map(at, root)
    number = int(at)
    stale = generated_problems(root)
    if stale:
        raise ValueError("generated files are out of step; regenerate them first (python -m tools.runner "
                         "--update-readme, python -m tools.release --update-guide):\n" + "\n".join(stale))
    stems = {p.stem for p in chapters(root).values()}
    listed = files(root)
    before = {rel: (root / rel).read_bytes() for rel in listed}
    png = root / "results" / "results.png"
    before_png = png.read_bytes() if png.is_file() else None
    new_text: dict[str, str] = {}
    for rel in listed:
        text = before[rel].decode("utf-8")
        if rel.startswith("notebooks/") and rel.endswith(".ipynb"):
            nb = json.loads(text)
            for index, cell in enumerate(nb.get("cells", [])):
                source = cell_source(cell)
                _set_source(cell, _shift(source, cell_refs(cell, index, stems), mapping))
                if notes is not None:
                    notes += _spanning_ranges(f"{rel} cell {index}", source, number)
                grade = cell.get("metadata", {}).get("nbgrader", {})
                old = grade_id_number(cell)
                if old in mapping:
                    grade["grade_id"] = "ex" + mapping[old] + grade["grade_id"][4:]
            new = strip.dumps(nb)
        else:
            new = _shift(text, text_refs(rel, text, stems), mapping)
            if notes is not None:
                notes += _spanning_ranges(rel, text, number)
        if rel == NOT_YET_WRITTEN_FILE:
            new = _NOT_YET_WRITTEN_LINE.sub(f"NOT_YET_WRITTEN: set[int] = {{{number}}}", new, count=1)
        new_text[rel] = new
    git = _is_git_root(root)
    renames = {path.relative_to(root).as_posix(): f"notebooks/{_renamed(path.name, mapping)}"
               for path in course.notebooks(root) if path.name[:2] in mapping}
    for old_rel in sorted(renames, reverse=True):  # last first: a new name is never an existing file
        tracked = git and subprocess.run(["git", "-C", str(root), "ls-files", "--error-unmatch", old_rel],
                                         capture_output=True).returncode == 0
        if tracked:
            subprocess.run(["git", "-C", str(root), "mv", old_rel, renames[old_rel]], check=True,
                           capture_output=True)
        else:
            (root / old_rel).rename(root / renames[old_rel])
    for rel, text in new_text.items():
        target = root / renames.get(rel, rel)
        if text.encode("utf-8") != before[rel] or rel in renames:
            target.write_text(text, encoding="utf-8")
    regenerate(root, chart=new_text.get("results/results.json") != before.get("results/results.json", b"").decode())
    changed = set(renames.values())
    for rel in listed:
        now = root / renames.get(rel, rel)
        if now.read_bytes() != before[rel]:
            changed.add(renames.get(rel, rel))
    if before_png is not None and png.read_bytes() != before_png:
        changed.add("results/results.png")
    return sorted(changed)


# --- the consistency check ---------------------------------------------------------------------------------

_REPORT = re.compile(r"""\breport\(\s*(["'])(\d\d)\1""")
_EXERCISE_CALL = re.compile(r"""\bexercise\(\s*(["'])(\d\d)\.(\d+)\1""")
_README_ROW = re.compile(r"^\| (\d\d) \| \[[^\]]*\]\(notebooks/([^)]+\.ipynb)\)", re.M)


def _exercise_ids(path: Path) -> set[str]:
    ids = set()
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        m = release.EXERCISE_ID.match(cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", ""))
        if m:
            ids.add(f"{m['chapter']}.{m['number']}")
    return ids


def notebook_problems(path: Path, repo: str, branch: str) -> list[str]:
    """A notebook's own numbers: title, badge, ``report``, exercise ids and grade ids all say ``NN``."""
    number, name = path.name[:2], path.name
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = nb.get("cells", [])
    found = []
    title = cell_source(cells[0]) if cells else ""
    if not title.startswith(f"# {number} · "):
        found.append(f"{name}: the title cell should start '# {number} · '")
    badges = [m["name"] for m in course._BADGE_RE.finditer(title)]
    if badges != [name] or course.badge(name, repo, branch) not in title:
        found.append(f"{name}: the title cell's Colab badge points at {badges}, not at {name}")
    for index, cell in enumerate(cells):
        text = cell_source(cell)
        found += [f"{name} cell {index}: report({m[2]!r}) in chapter {number}" for m in _REPORT.finditer(text)
                  if m[2] != number]
        found += [f"{name} cell {index}: exercise('{m[2]}.{m[3]}') in chapter {number}"
                  for m in _EXERCISE_CALL.finditer(text) if m[2] != number]
        if cell.get("cell_type") == "markdown":
            found += [f"{name} cell {index}: heading 'Exercise {m[1]}.{m[2]}' in chapter {number}"
                      for m in re.finditer(r"^#+ Exercise (\d\d)\.(\d+)", text, re.M) if m[1] != number]
        grade = grade_id_number(cell)
        if grade is not None and grade != number:
            found.append(f"{name} cell {index}: grade_id {cell['metadata']['nbgrader']['grade_id']!r} "
                         f"in chapter {number}")
    return found


def reference_problems(root: Path) -> list[str]:
    """Every reference in the forms this module handles names an existing chapter (and exercise, and file)."""
    existing = chapters(root)
    stems = {p.stem for p in existing.values()}
    exercises = {i for p in existing.values() for i in _exercise_ids(p)}
    found = []

    def check(where: str, text: str, refs: list[Ref], prose: bool) -> None:
        for ref in refs:
            line = text.count("\n", 0, ref.start) + 1
            if ref.number not in existing:
                found.append(f"{where}:{line}: {ref.form} reference to chapter {ref.number}, which does not exist: "
                             f"{text[max(0, ref.start - 30):ref.end + 10]!r}")
            elif prose and ref.form == "exercise":
                m = re.match(r"\d\d\.(\d+)", text[ref.start:])
                if m and f"{ref.number}.{int(m[1])}" not in exercises:
                    found.append(f"{where}:{line}: exercise {m[0]} does not exist")
        if prose:
            for m in re.finditer(r"(?<![A-Za-z0-9_])(\d\d_[a-z0-9_]+)\.ipynb", text):
                if m[1] not in stems:
                    line = text.count("\n", 0, m.start()) + 1
                    found.append(f"{where}:{line}: {m[0]} is not a chapter notebook")

    for rel in files(root):
        text = (root / rel).read_text(encoding="utf-8")
        if rel.startswith("notebooks/") and rel.endswith(".ipynb"):
            for index, cell in enumerate(json.loads(text).get("cells", [])):
                check(f"{rel} cell {index}", cell_source(cell), cell_refs(cell, index, stems), prose=True)
        elif rel.startswith("tests/") and rel.endswith(".py"):  # tests make up chapters ("98"): regions only
            check(rel, text, _unique([r for region in REGIONS if region.path == rel
                                      for r in region_refs(text, region)], rel), prose=False)
        elif rel.endswith(".py"):  # prose, commands and regions (a literal "NN" may be an example)
            refs = [r for r in text_refs(rel, text, stems) if r.form != "literal"]
            refs += [r for region in REGIONS if region.path == rel for r in region_refs(text, region)]
            check(rel, text, _unique(refs, rel), prose=False)
        else:
            check(rel, text, text_refs(rel, text, stems), prose=rel.endswith(".md"))
    return found


def table_problems(root: Path) -> list[str]:
    """THRESHOLDS, the README's chapter tables and the results name existing chapters, each by its own number."""
    existing = chapters(root)
    names = {p.name for p in existing.values()}
    found = []
    reporting = {p.name[:2] for p in existing.values()
                 if any(_REPORT.search(cell_source(c)) for c in json.loads(p.read_text(encoding="utf-8"))["cells"])}
    promised = set(thresholds((root / "utils" / "results.py").read_text(encoding="utf-8")))
    if promised != reporting:
        found.append(f"THRESHOLDS keys {sorted(promised)} are not the chapters that call report(): {sorted(reporting)}")
    readme = root / "README.md"
    if readme.is_file():
        rows = _README_ROW.findall(readme.read_text(encoding="utf-8"))
        found += [f"README.md: chapter row {n} links {f}" for n, f in rows if f[:2] != n or f not in names]
        listed = [f for _, f in rows]
        found += [f"README.md: {n} should appear in exactly one chapter table row ({listed.count(n)})"
                  for n in sorted(names) if listed.count(n) != 1]

    def record(where: str, chapter: str, notebook: str | None) -> None:
        if chapter not in existing:
            found.append(f"{where}: chapter {chapter} does not exist")
        elif notebook is not None and notebook != existing[chapter].name:
            found.append(f"{where}: chapter {chapter} is {existing[chapter].name}, not {notebook}")

    results_dir = root / "results"
    if (results_dir / "results.json").is_file():
        for entry in json.loads((results_dir / "results.json").read_text())["chapters"]:
            record("results/results.json", entry["chapter"], entry["notebook"])
    for path in sorted((results_dir / "seeds").glob("seed-*.json")):
        for key, entry in json.loads(path.read_text())["chapters"].items():
            record(f"results/seeds/{path.name}", key, entry.get("notebook"))
            if entry.get("chapter") != key:
                found.append(f"results/seeds/{path.name}: key {key} holds chapter {entry.get('chapter')}")
    if (results_dir / "seeds.json").is_file():
        spread = json.loads((results_dir / "seeds.json").read_text())
        for chapter in {r["chapter"] for r in spread.get("rows", [])} | \
                {c for run in spread.get("runs", {}).values() for c in run}:
            record("results/seeds.json", chapter, None)
    if (results_dir / "optional.json").is_file():
        for key, entry in json.loads((results_dir / "optional.json").read_text())["chapters"].items():
            record("results/optional.json", key, entry.get("notebook"))
    pending = not_yet_written(root)
    numbers = sorted(int(n) for n in existing)
    gaps = set(range(numbers[-1] + 1)) - set(numbers) if numbers else set()
    if gaps - pending or pending & set(numbers):
        found.append(f"the numbering has gaps {sorted(gaps)} but NOT_YET_WRITTEN is {sorted(pending)}")
    return found


def problems(root: Path = ROOT) -> list[str]:
    """Everything that says a chapter number and says the wrong one (empty: consistent)."""
    root = Path(root).resolve()
    repo, branch = _repo_and_branch(root)
    found = [p for path in chapters(root).values() for p in notebook_problems(path, repo, branch)]
    found += table_problems(root)
    found += reference_problems(root)
    found += generated_problems(root)
    found += [f"{f}: out of date for {repo} ({branch})" for f in course.out_of_date(root, repo, branch)]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--insert", metavar="NN", help="free chapter number NN: chapters NN .. last move up by one")
    group.add_argument("--check", action="store_true", help="only check that every chapter number is consistent")
    args = parser.parse_args(argv)
    if args.check:
        found = problems()
        print("\n".join(found) or "every chapter number is consistent")
        return 1 if found else 0
    notes: list[str] = []
    try:
        changed = insert(args.insert, notes=notes)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("\n".join(f"changed {c}" for c in changed))
    for note in notes:
        print(f"note: {note}")
    number = int(args.insert)
    print(f"chapter {number:02d} is free and listed in NOT_YET_WRITTEN ({NOT_YET_WRITTEN_FILE}); "
          "check with python -m tools.renumber --check, then commit this as one commit")
    return 0


if __name__ == "__main__":
    sys.exit(main())
