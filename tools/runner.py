"""Run the series (or some chapters) and record what each chapter measured.

::

    python -m tools.runner                 # every chapter, full mode
    python -m tools.runner 05 06           # chosen chapters
    python -m tools.runner --quick         # quick mode, as CI runs them
    python -m tools.runner --update-readme # also rewrite README.md's results table and the title cells' run times
    python -m tools.runner --quick --twice # Run All twice in one kernel (re-run safety)
    python -m tools.runner --seeds 42 43 44 # every chapter on three seeds: results/seeds.md
    python -m tools.runner 06 --seeds 42    # chapters go before --seeds, which takes every number after it
    python -m tools.runner --seeds 42 --record results/results.json   # an earlier run counts as seed 42
    python -m tools.runner 08 --optional --update-readme   # time chapter 08's optional part (stand-in data)

Each notebook runs top to bottom in a fresh kernel (nbclient), with a progress
bar across chapters. A chapter's headline metrics arrive through
:func:`utils.results.report`, which writes them to ``NN_RESULTS_DIR``; the
runner sets that variable, so it never scrapes outputs. After a chapter it
checks every promise of :data:`utils.results.THRESHOLDS` (in full mode), and
a failing chapter is recorded with its error while the run goes on. Kernels run
with ``NN_STRICT=1``, so a missed promise stops its chapter as it does under pytest
(a learner's notebook only warns).

With ``--seeds``, every chosen chapter runs once per seed (``NN_SEED`` overrides the
seed of each chapter's setup cell); each seed's results are merged, chapter by
chapter, into ``<out>/seeds/seed-NN.json``, and ``<out>/seeds.md`` tabulates the
min, median and max of every promised metric over all seeds recorded there, with
the worst margin to its promise.

Cells tagged ``nbval-skip`` (optional work whose data CI cannot have) are skipped here too.
With ``--optional``, a chapter of :data:`OPTIONAL` runs in full mode with its optional part
switched on and fed stand-in data of the real shape; the time of those cells goes to
``<out>/optional.json`` and, with ``--update-readme``, to the title cell's "Optional part" line.

Outputs, in ``--out`` (default ``results/``): ``results.json`` (machine
readable), ``results.md`` (a table) and ``results.png`` (run time per chapter).
Chapters run again replace their rows; the other chapters of an earlier run in the
same mode stay, marked with the date they were measured.
The executed notebooks themselves, outputs included, go to ``_build/executed/full/``
(or ``quick/``), where the rendered book is built from.
Timings are benchmarks: nothing here fails because a machine is slow.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import math
import os
import platform
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tools import course, sections
from utils import results
from utils.setup import QUICK_ENV, SEED_ENV

EXECUTED_DIR = course.ROOT / "_build" / "executed"
"""Executed notebooks (with outputs) land in ``quick/`` or ``full/`` here; git ignores ``_build/``."""

README_START = "<!-- results:start -->"
README_END = "<!-- results:end -->"
RUN_TIME = re.compile(r"(\*\*Run time\*\* \(full mode, measured\): CPU \(2 cores\) about )(\d+(?:\.\d)?) (s|min)")
"""The title cell's measured run time, which ``--update-readme`` rewrites from a full-mode run."""


@dataclasses.dataclass
class ChapterResult:
    """What one chapter's run produced."""

    chapter: str
    notebook: str
    status: str  # "passed" or "failed"
    seconds: float
    metrics: dict[str, float]
    error: str | None = None
    date: str | None = None  # when it was measured (chapters merged from earlier runs keep theirs)
    optional_seconds: float | None = None  # with ``optional=True``: the time of the optional cells alone


def environment() -> dict[str, Any]:
    """Device and versions of this machine (the kernels run on the same one)."""
    from utils.setup import device_name, silence_tensorflow_logs

    silence_tensorflow_logs()
    import keras
    import tensorflow as tf

    device = device_name()
    return {
        "device": device,
        "gpu": device.startswith("GPU"),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "platform": platform.platform(terse=True),
        "cpu": cpu_model(),
    }


def cpu_model() -> str:
    """The processor's name (from /proc/cpuinfo on Linux), or what ``platform`` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def select(chapters: list[str] | None, root: Path = course.ROOT) -> list[Path]:
    """Notebooks to run: all chapters, or those whose two-digit numbers are given.

    Raises:
        ValueError: for a chapter number that has no notebook.
    """
    available = {p.name[:2]: p for p in course.notebooks(root)}
    if not chapters:
        return list(available.values())
    wanted = [c.zfill(2) for c in chapters]
    unknown = [c for c in wanted if c not in available]
    if unknown:
        raise ValueError(f"no notebook for chapter(s) {unknown}; available: {sorted(available)}")
    return [available[c] for c in wanted]


SKIP_TAG = "nbval-skip"
"""Cells with this tag are skipped by nbval and by the runner alike (except with ``--optional``)."""

STAND_IN_CIFAR10 = '''# Measurement only: random images of CIFAR-10's shape replace the download CI cannot make.
import numpy as np
import utils.data

def _stand_in_cifar10():
    rng = np.random.default_rng(0)
    return ((rng.integers(0, 256, (50_000, 32, 32, 3), dtype=np.uint8), rng.integers(0, 10, 50_000)),
            (rng.integers(0, 256, (10_000, 32, 32, 3), dtype=np.uint8), rng.integers(0, 10, 10_000)))

utils.data.load_cifar10 = _stand_in_cifar10
'''

OPTIONAL = {"08": {"parameters": "RUN_CIFAR = True   # the runner's --optional: run the optional section",
                   "stand_in": STAND_IN_CIFAR10}}
"""Chapters with optional parts (cells tagged ``nbval-skip``): the parameter that switches them on,
and the stand-in data (same shapes as the real data) that replaces a download CI cannot make."""

OPTIONAL_TIME = re.compile(r"(\*\*Optional part\*\* \([^)]*\), measured on stand-in data: CPU \(2 cores\) about )"
                           r"(\d+(?:\.\d)?) (s|min)")
"""The title cell's time of a chapter's optional part, which ``--optional --update-readme`` rewrites."""


def with_optional_part(nb: Any, chapter: str) -> Any:
    """``nb`` with its optional part switched on: the parameter of :data:`OPTIONAL` set after the
    parameters cell, the stand-in data installed after the setup cell, and every cell's
    ``nbval-skip`` tag kept (the runner executes them when asked to).

    Raises:
        KeyError: if the chapter has no optional part.
        ValueError: if the notebook has no setup cell followed by a parameters cell.
    """
    import nbformat

    spec = OPTIONAL[chapter]
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    params = [i for i in code if "parameters" in nb.cells[i].get("metadata", {}).get("tags", [])]
    setup = [i for i in code if "setup_notebook(" in nb.cells[i].source]
    if not params or not setup or setup[0] > params[0]:
        raise ValueError(f"chapter {chapter} needs a setup cell, then a cell tagged 'parameters'")
    params_at, setup_at = params[0], setup[0]
    nb.cells.insert(params_at + 1, nbformat.v4.new_code_cell(spec["parameters"]))
    nb.cells.insert(setup_at + 1, nbformat.v4.new_code_cell(spec["stand_in"]))
    return nb


def run_notebook(path: Path, quick: bool, timeout: int = 1800, passes: int = 1,
                 seed: int | None = None, save_to: Path | None = None, optional: bool = False) -> ChapterResult:
    """Execute one notebook in a fresh kernel and collect its reported metrics.

    ``passes=2`` runs every cell twice in the same kernel, as a learner's second
    *Run All* does; the metrics are those of the last pass. ``seed`` overrides the
    seed of the chapter's setup cell (through ``NN_SEED``). With ``save_to``, the executed
    notebook (outputs included; skipped cells kept, unexecuted) is written to
    ``save_to/<notebook name>``, which is what the rendered book is built from.
    With ``optional``, the chapter's optional part runs too (:func:`with_optional_part`), and
    the time of its cells is the result's ``optional_seconds``.

    Raises:
        ValueError: if ``passes`` is not 1 or more.
    """
    import nbclient
    import nbformat

    if passes < 1:
        raise ValueError(f"passes must be 1 or more, got {passes}")
    chapter = path.name[:2]
    nb = nbformat.read(path, as_version=4)
    if optional:
        nb = with_optional_part(nb, chapter)
    optional_seconds = 0.0
    with tempfile.TemporaryDirectory() as out_dir:
        saved = {k: os.environ.get(k) for k in (QUICK_ENV, results.RESULTS_ENV, results.STRICT_ENV, SEED_ENV)}
        os.environ[QUICK_ENV] = "1" if quick else "0"
        os.environ[results.RESULTS_ENV] = out_dir
        os.environ[results.STRICT_ENV] = "1"
        if seed is None:
            os.environ.pop(SEED_ENV, None)
        else:
            os.environ[SEED_ENV] = str(seed)
        start = time.perf_counter()
        error = None
        try:
            client = nbclient.NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                             resources={"metadata": {"path": str(path.parent)}})
            with client.setup_kernel():
                for _ in range(passes):
                    for index, cell in enumerate(nb.cells):
                        skipped = SKIP_TAG in cell.get("metadata", {}).get("tags", [])
                        if optional or not skipped:
                            cell_start = time.perf_counter()
                            client.execute_cell(cell, index)
                            optional_seconds += (time.perf_counter() - cell_start) if skipped else 0.0
        except Exception as exc:  # a failing chapter is recorded, and the run goes on
            error = _short_error(exc)
        finally:
            seconds = time.perf_counter() - start
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        metrics_file = Path(out_dir) / f"{chapter}.json"
        metrics = json.loads(metrics_file.read_text()) if metrics_file.exists() else {}
    if error is None and not quick:
        missed = results.check(chapter, metrics, require_all=True)
        if missed:
            error = "missed promises: " + "; ".join(missed)
    if save_to is not None:
        save_to.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, save_to / path.name)
    return ChapterResult(chapter, path.name, "failed" if error else "passed", round(seconds, 1), metrics, error,
                         optional_seconds=round(optional_seconds, 1) if optional else None)


def _short_error(exc: Exception) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).strip()
    lines = [line for line in text.splitlines() if line.strip()]
    tail = [line for line in lines if re.match(r"^\w*(Error|Exception)\b", line)]
    return (tail[-1] if tail else (lines[-1] if lines else type(exc).__name__))[:500]


def run(paths: list[Path], quick: bool, progress: bool = True, passes: int = 1,
        seed: int | None = None, save_to: Path | None = None) -> list[ChapterResult]:
    """Run the given notebooks in order, with a progress bar across chapters."""
    from tqdm.auto import tqdm

    done: list[ChapterResult] = []
    bar = tqdm(paths, desc="chapters" if seed is None else f"seed {seed}", unit="chapter", disable=not progress)
    for path in bar:
        bar.set_postfix_str(path.name)
        result = run_notebook(path, quick, passes=passes, seed=seed, save_to=save_to)
        done.append(result)
        bar.write(f"{result.chapter} {result.status:6s} {result.seconds:7.1f} s  {result.error or ''}")
    return done


def save_seed_run(folder: Path, seed: int, run_info: dict[str, Any], chapters: list[ChapterResult]) -> Path:
    """Merge one seed's chapter results into ``folder/seed-NN.json`` (later runs replace a chapter)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"seed-{seed}.json"
    old = json.loads(path.read_text()) if path.exists() else {"seed": seed, "chapters": {}}
    for r in chapters:
        old["chapters"][r.chapter] = {**dataclasses.asdict(r), "date": r.date or run_info["date"],
                                      "mode": run_info["mode"], "environment": run_info["environment"]}
    path.write_text(json.dumps(old, indent=2, sort_keys=True))
    return path


def record_run(results_json: Path, seed: int, folder: Path) -> list[str]:
    """Record an earlier full-mode run (a ``results.json`` the runner wrote) as ``seed``'s results.

    Only chapters that ``folder/seed-NN.json`` does not hold yet, or holds from an earlier date,
    are taken, each keeping the date it was measured. Returns the chapters recorded.

    Raises:
        ValueError: if the file is not a full-mode run of the runner.
    """
    data = json.loads(results_json.read_text())
    if data.get("mode") != "full" or "chapters" not in data:
        raise ValueError(f"{results_json} is not a full-mode run written by the runner (mode {data.get('mode')!r})")
    path = folder / f"seed-{seed}.json"
    held = json.loads(path.read_text())["chapters"] if path.exists() else {}
    fields = {f.name for f in dataclasses.fields(ChapterResult)}
    taken = []
    for c in data["chapters"]:
        result = ChapterResult(**{k: v for k, v in c.items() if k in fields})
        result.date = result.date or data["date"]
        if c["chapter"] in held and held[c["chapter"]]["date"] >= result.date:
            continue
        save_seed_run(folder, seed, {"date": result.date, "mode": "full", "environment": data["environment"]}, [result])
        taken.append(result.chapter)
    return taken


def margin(op: str, bound: float, worst: float) -> float:
    """How far ``worst`` is inside its promise, relative to the bound (negative: missed).

    For a bound of 0 the margin is absolute.
    """
    inside = worst - bound if op in (">=", ">") else bound - worst
    return inside / abs(bound) if bound else inside


def seed_spread(folder: Path) -> tuple[list[int], list[dict[str, Any]]]:
    """Every promised metric's values over the seeds recorded in ``folder`` (the seed-NN.json files).

    Returns the seeds found and one row per (chapter, metric) with min, median,
    max, the worst value for its promise, its margin and whether every seed held.
    """
    import statistics

    runs = {}
    for path in sorted(folder.glob("seed-*.json")):
        data = json.loads(path.read_text())
        runs[int(data["seed"])] = data["chapters"]
    rows = []
    for chapter in sorted({c for chapters in runs.values() for c in chapters}):
        for name, (op, bound) in results.THRESHOLDS.get(chapter, {}).items():
            values = {seed: chapters[chapter]["metrics"].get(name) for seed, chapters in runs.items()
                      if chapter in chapters}
            got = [v for v in values.values() if v is not None]
            worst = (min(got) if op in (">=", ">") else max(got)) if got else float("nan")
            inside = (worst - bound if op in (">=", ">") else bound - worst) if got else None
            spread = (max(got) - min(got)) if got else None
            if got and bound > 0 and min(got) > 0:  # positive quantities vary by factors: compare logarithms
                inside = math.log(worst / bound) if op in (">=", ">") else math.log(bound / worst)
                spread = math.log(max(got) / min(got))
            rows.append({"chapter": chapter, "metric": name, "promise": f"{op} {bound:g}",
                         "inside": inside, "spread": spread,
                         "margin_over_spread": (inside / spread if spread else None) if got else None,
                         "seeds": sorted(values), "missing": sorted(s for s, v in values.items() if v is None),
                         "min": min(got) if got else None, "median": statistics.median(got) if got else None,
                         "max": max(got) if got else None, "margin": margin(op, bound, worst) if got else None,
                         "holds": bool(got) and len(got) == len(values) and not results.check(chapter, {name: worst})})
    return sorted(runs), rows


def spread_markdown(seeds: list[int], rows: list[dict[str, Any]], runs_note: str = "") -> str:
    """The seed-spread table: one row per promised metric.

    *margin* is how far the worst seed is inside the promise, relative to the bound; *margin ÷
    spread* divides that distance by the seeds' range (max − min; for positive quantities, both
    measured as logarithms, since ratios and errors vary by factors): below 1 the worst seed is
    closer to the bound than the seeds are to each other, so another seed could plausibly miss
    ("thin"); "exact" where every seed gave the same value.
    """
    held = sum(r["holds"] for r in rows)
    thin = [f"{r['chapter']} {r['metric']}" for r in rows if is_thin(r)]
    lines = [f"Every promised metric over seeds {', '.join(map(str, seeds))} (full mode). "
             f"{held} of {len(rows)} promises hold on every seed. *Worst margin*: how far the worst seed is "
             "inside the promise, relative to the bound (absolute where the bound is 0). *Margin ÷ spread*: "
             "that distance divided by the range of the seeds' values (logarithms for positive quantities); "
             "below 1 the promise is thin "
             "(another seed could plausibly miss it), \"exact\" where all seeds agree."
             + runs_note + (f" Thin: {', '.join(thin)}." if thin else " No promise is thin."), "",
             "| chapter | metric | promise | min | median | max | worst margin | margin ÷ spread | holds |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if r["min"] is None:
            lines.append(f"| {r['chapter']} | {r['metric']} | {r['promise']} | - | - | - | - | - | "
                         f"no value (seeds {r['missing']}) |")
            continue
        holds = "yes" if r["holds"] else ("**no**" + (f" (no value on seeds {r['missing']})" if r["missing"] else ""))
        ratio = "exact" if not r["spread"] else f"{r['margin_over_spread']:.1f}"
        lines.append(f"| {r['chapter']} | {r['metric']} | {r['promise']} | {r['min']:.4g} | {r['median']:.4g} | "
                     f"{r['max']:.4g} | {r['margin']:+.1%} | {ratio} | {holds} |")
    return "\n".join(lines) + "\n"


def is_thin(row: dict[str, Any]) -> bool:
    """A promise missed, or held by less than the seeds' spread."""
    if not row["holds"]:
        return True
    return bool(row["spread"]) and row["margin_over_spread"] < 1


def write_spread(out: Path) -> str:
    """Rewrite ``out/seeds.md`` and ``out/seeds.json`` from ``out/seeds/seed-NN.json``."""
    seeds, rows = seed_spread(out / "seeds")
    runs = {}
    for seed in seeds:
        data = json.loads((out / "seeds" / f"seed-{seed}.json").read_text())
        runs[seed] = {c: {"status": r["status"], "seconds": r["seconds"], "date": r["date"], "error": r["error"]}
                      for c, r in sorted(data["chapters"].items())}
    failed = sorted({f"{c} (seed {s})" for s, cs in runs.items() for c, r in cs.items() if r["status"] != "passed"})
    note = f" Chapters that failed a run: {', '.join(failed)}." if failed else " Every chapter passed on every seed."
    markdown = spread_markdown(seeds, rows, note)
    (out / "seeds.md").write_text(markdown)
    (out / "seeds.json").write_text(json.dumps({"seeds": seeds, "rows": rows, "runs": runs}, indent=2))
    return markdown


def to_markdown(run_info: dict[str, Any], chapters: list[ChapterResult]) -> str:
    """The human-readable table: one row per chapter, with its metrics and promises."""
    env = run_info["environment"]
    lines = [
        f"Measured {run_info['date']} in {run_info['mode']} mode on {env['device']} ({env.get('cpu', 'CPU')}, "
        f"{env['platform']}), "
        f"TensorFlow {env['tensorflow']}, Keras {env['keras']}, Python {env['python']}. "
        f"All chapters together: {sum(r.seconds for r in chapters) / 60:.0f} min.",
        "",
        "| chapter | status | run time | headline metrics (promise) |",
        "|---|---|---|---|",
    ]
    for r in chapters:
        promised = results.THRESHOLDS.get(r.chapter, {})
        shown = []
        for name, value in r.metrics.items():
            bound = f" ({promised[name][0]} {promised[name][1]:g})" if name in promised else ""
            shown.append(f"{name} = {value:.4g}{bound}")
        status = r.status if not r.error else f"{r.status}: {r.error}"
        if r.date and r.date != run_info["date"]:
            status += f" (measured {r.date})"
        lines.append(f"| {r.notebook} | {status} | {r.seconds / 60:.1f} min | {'<br>'.join(shown) or '-'} |")
    return "\n".join(lines) + "\n"


def merge_with_earlier(path: Path, mode: str, chapters: list[ChapterResult]) -> list[ChapterResult]:
    """``chapters`` plus the other chapters of the earlier run in ``path`` (same mode), in chapter order.

    Running some chapters again then updates their rows and keeps the rest of the table.
    """
    if not path.exists():
        return chapters
    old = json.loads(path.read_text())
    if old.get("mode") != mode:
        return chapters
    fields = {f.name for f in dataclasses.fields(ChapterResult)}
    merged = {}
    for c in old.get("chapters", []):
        kept = ChapterResult(**{k: v for k, v in c.items() if k in fields})
        kept.date = kept.date or old.get("date")
        merged[kept.chapter] = kept
    merged.update({r.chapter: r for r in chapters})
    return [merged[c] for c in sorted(merged)]


def plot(chapters: list[ChapterResult], path: Path, title: str) -> None:
    """Bar chart of run time per chapter, failed chapters in red."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(max(4.0, 0.7 * len(chapters) + 2), 3.5))
    colors = ["tab:blue" if r.status == "passed" else "tab:red" for r in chapters]
    ax.bar([r.chapter for r in chapters], [r.seconds / 60 for r in chapters], color=colors)
    ax.set(title=title, xlabel="chapter", ylabel="wall time (minutes)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def stated_run_time(seconds: float) -> str:
    """How a title cell states a measured run time: "about 25 s" (to 5 s) or "about 2.5 min" (to 0.5 min)."""
    if seconds < 57.5:
        return f"{max(5, 5 * round(seconds / 5))} s"
    minutes = max(1.0, round(seconds / 30) / 2)
    return f"{minutes:g} min"


def title_run_time(path: Path, pattern: re.Pattern[str] = RUN_TIME) -> str | None:
    """The run time a chapter's title cell states ("25 s", "2.5 min"), or None if it states none.

    ``pattern=OPTIONAL_TIME`` reads the time of the chapter's optional part instead."""
    import nbformat

    match = pattern.search(nbformat.read(path, as_version=4).cells[0].source)
    return f"{match[2]} {match[3]}" if match else None


def update_run_times(chapters: list[ChapterResult], folder: Path = course.ROOT / "notebooks") -> list[str]:
    """Rewrite the title-cell run time of each passed chapter's notebook in ``folder`` from its measured
    seconds; return the chapters changed. The runner does it for the notebooks and their executed copies.
    A result with ``optional_seconds`` rewrites the optional part's time (:data:`OPTIONAL_TIME`) instead."""
    from tools import strip

    changed = []
    for r in chapters:
        path = folder / r.notebook
        if r.status != "passed" or not path.exists():
            continue
        nb = json.loads(path.read_text(encoding="utf-8"))
        title = "".join(nb["cells"][0]["source"])
        if r.optional_seconds is None:
            stated = stated_run_time(r.seconds)
            new = RUN_TIME.sub(lambda m, stated=stated: m[1] + stated, title, count=1)
        else:  # a run with --optional, whose chapter time includes the optional part: only that part is news
            stated = stated_run_time(r.optional_seconds)
            new = OPTIONAL_TIME.sub(lambda m, stated=stated: m[1] + stated, title, count=1)
        if new != title:
            nb["cells"][0]["source"] = new
            path.write_text(strip.dumps(nb), encoding="utf-8")
            changed.append(r.chapter)
    return changed


def update_readme(markdown: str, readme: Path) -> None:
    """Replace the README's results section (between the results markers) with ``markdown``.

    Raises:
        ValueError: if the README has no results markers.
    """
    sections.replace_section(readme, README_START, README_END, markdown)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("chapters", nargs="*", help="two-digit chapter numbers (default: all)")
    parser.add_argument("--quick", action="store_true", help="quick mode (NN_QUICK=1), as CI runs it")
    parser.add_argument("--out", type=Path, default=course.ROOT / "results", help="output folder")
    parser.add_argument("--executed", type=Path, default=None,
                        help="where executed notebooks go (default: _build/executed/quick or .../full)")
    parser.add_argument("--update-readme", action="store_true",
                        help="rewrite README.md's results table (and, in full mode, each title cell's run time)")
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--twice", action="store_true", help="run every notebook twice in one kernel")
    parser.add_argument("--seeds", type=int, nargs="+", metavar="SEED",
                        help="run every chosen chapter once per seed; writes <out>/seeds/ and <out>/seeds.md")
    parser.add_argument("--record", type=Path, metavar="RESULTS_JSON",
                        help="with one --seeds value and no chapters: record that earlier full-mode run "
                             "as the seed's results (chapters not measured since), then rewrite seeds.md")
    parser.add_argument("--optional", action="store_true",
                        help="full mode with the chapters' optional parts on stand-in data: times them into "
                             "<out>/optional.json (and, with --update-readme, the title cells)")
    args = parser.parse_args(argv)
    if args.optional:
        return main_optional(args)
    if args.record:
        if not args.seeds or len(args.seeds) != 1 or args.chapters:
            parser.error("--record takes exactly one --seeds value and no chapters")
        taken = record_run(args.record, args.seeds[0], args.out / "seeds")
        print(f"recorded chapters {taken} of {args.record} as seed {args.seeds[0]}")
        print(write_spread(args.out))
        return 0
    paths = select(args.chapters)
    env = environment()
    if args.seeds:
        return main_seeds(args, paths, env)
    mode = ("quick" if args.quick else "full") + (", run twice" if args.twice else "")
    executed = args.executed or EXECUTED_DIR / ("quick" if args.quick else "full")
    today = dt.date.today().isoformat()
    ran = run(paths, args.quick, progress=not args.no_progress, passes=2 if args.twice else 1,
              save_to=None if args.twice else executed)
    for r in ran:
        r.date = today
    chapters = merge_with_earlier(args.out / "results.json", mode, ran)
    run_info = {"date": today, "mode": mode, "environment": env,
                "total_seconds": round(sum(r.seconds for r in chapters), 1)}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(
        json.dumps({**run_info, "chapters": [dataclasses.asdict(r) for r in chapters]}, indent=2))
    markdown = to_markdown(run_info, chapters)
    (args.out / "results.md").write_text(markdown)
    plot(chapters, args.out / "results.png", f"Run time per chapter ({mode} mode, {env['device']})")
    print(markdown)
    if args.update_readme:
        update_readme(markdown, course.ROOT / "README.md")
        if mode == "full":
            print("title cells' run times rewritten:", update_run_times(chapters) or "none changed")
            update_run_times(chapters, executed)  # the book renders these: same title as the notebook
    failed = [r.chapter for r in ran if r.status != "passed"]
    print(f"{len(ran) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


def main_optional(args: argparse.Namespace) -> int:
    """``--optional``: each chosen chapter with an optional part, in full mode with that part on."""
    paths = [p for p in select(args.chapters) if p.name[:2] in OPTIONAL]
    if args.quick or args.seeds or args.twice or not paths:
        print(f"--optional runs in full mode, once, on chapters with optional parts: {sorted(OPTIONAL)}")
        return 2
    env = environment()
    out = args.out / "optional.json"
    record = json.loads(out.read_text()) if out.exists() else {"chapters": {}}
    failed = []
    for path in paths:
        r = run_notebook(path, quick=False, optional=True)
        r.date = dt.date.today().isoformat()
        print(f"{r.chapter} {r.status}: optional part {r.optional_seconds} s of {r.seconds} s  {r.error or ''}")
        if r.status != "passed":
            failed.append(r.chapter)
            continue
        record["chapters"][r.chapter] = {"notebook": r.notebook, "optional_seconds": r.optional_seconds,
                                         "chapter_seconds": r.seconds, "date": r.date, "environment": env}
        if args.update_readme:
            update_run_times([r])
    args.out.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=2, sort_keys=True))
    return 1 if failed else 0


def main_seeds(args: argparse.Namespace, paths: list[Path], env: dict[str, Any]) -> int:
    """``--seeds``: each seed in turn over the chosen chapters, then the spread table."""
    failed = []
    mode = "quick" if args.quick else "full"
    for seed in args.seeds:
        for path in paths:  # saved chapter by chapter, so an interrupted run keeps what it measured
            chapters = run([path], args.quick, progress=not args.no_progress, seed=seed)
            run_info = {"date": dt.date.today().isoformat(), "mode": mode, "environment": env}
            save_seed_run(args.out / "seeds", seed, run_info, chapters)
            failed += [f"{r.chapter} (seed {seed})" for r in chapters if r.status != "passed"]
    print(write_spread(args.out))
    print(f"{len(paths) * len(args.seeds) - len(failed)} passed, {len(failed)} failed" +
          (f": {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
