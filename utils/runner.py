"""Run the series (or some chapters) and record what each chapter measured.

::

    python -m utils.runner                 # every chapter, full mode
    python -m utils.runner 05 06           # chosen chapters
    python -m utils.runner --quick         # quick mode, as CI runs them
    python -m utils.runner --update-readme # also rewrite README.md's results table
    python -m utils.runner --quick --twice # Run All twice in one kernel (re-run safety)

Each notebook runs top to bottom in a fresh kernel (nbclient), with a progress
bar across chapters. A chapter's headline metrics arrive through
:func:`utils.results.report`, which writes them to ``NN_RESULTS_DIR``; the
runner sets that variable, so it never scrapes outputs. After a chapter it
checks every promise of :data:`utils.results.THRESHOLDS` (in full mode), and
a failing chapter is recorded with its error while the run goes on. Cells tagged
``nbval-skip`` (optional work whose data CI cannot have) are skipped here too.

Outputs, in ``--out`` (default ``results/``): ``results.json`` (machine
readable), ``results.md`` (a table) and ``results.png`` (run time per chapter).
Timings are benchmarks: nothing here fails because a machine is slow.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import platform
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from utils import course, results
from utils.setup import QUICK_ENV

README_START = "<!-- results:start -->"
README_END = "<!-- results:end -->"


@dataclasses.dataclass
class ChapterResult:
    """What one chapter's run produced."""

    chapter: str
    notebook: str
    status: str  # "passed" or "failed"
    seconds: float
    metrics: dict[str, float]
    error: str | None = None


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
"""Cells with this tag are skipped by nbval and by the runner alike."""


def run_notebook(path: Path, quick: bool, timeout: int = 1800, passes: int = 1) -> ChapterResult:
    """Execute one notebook in a fresh kernel and collect its reported metrics.

    ``passes=2`` runs every cell twice in the same kernel, as a learner's second
    *Run All* does; the metrics are those of the last pass.

    Raises:
        ValueError: if ``passes`` is not 1 or more.
    """
    import nbclient
    import nbformat

    if passes < 1:
        raise ValueError(f"passes must be 1 or more, got {passes}")
    chapter = path.name[:2]
    nb = nbformat.read(path, as_version=4)
    nb.cells = [c for c in nb.cells if SKIP_TAG not in c.get("metadata", {}).get("tags", [])]
    with tempfile.TemporaryDirectory() as out_dir:
        saved = {k: os.environ.get(k) for k in (QUICK_ENV, results.RESULTS_ENV)}
        os.environ[QUICK_ENV] = "1" if quick else "0"
        os.environ[results.RESULTS_ENV] = out_dir
        start = time.perf_counter()
        error = None
        try:
            client = nbclient.NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                             resources={"metadata": {"path": str(path.parent)}})
            with client.setup_kernel():
                for _ in range(passes):
                    for index, cell in enumerate(nb.cells):
                        client.execute_cell(cell, index)
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
    return ChapterResult(chapter, path.name, "failed" if error else "passed", round(seconds, 1), metrics, error)


def _short_error(exc: Exception) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).strip()
    lines = [line for line in text.splitlines() if line.strip()]
    tail = [line for line in lines if re.match(r"^\w*(Error|Exception)\b", line)]
    return (tail[-1] if tail else (lines[-1] if lines else type(exc).__name__))[:500]


def run(paths: list[Path], quick: bool, progress: bool = True, passes: int = 1) -> list[ChapterResult]:
    """Run the given notebooks in order, with a progress bar across chapters."""
    from tqdm.auto import tqdm

    done: list[ChapterResult] = []
    bar = tqdm(paths, desc="chapters", unit="chapter", disable=not progress)
    for path in bar:
        bar.set_postfix_str(path.name)
        result = run_notebook(path, quick, passes=passes)
        done.append(result)
        bar.write(f"{result.chapter} {result.status:6s} {result.seconds:7.1f} s  {result.error or ''}")
    return done


def to_markdown(run_info: dict[str, Any], chapters: list[ChapterResult]) -> str:
    """The human-readable table: one row per chapter, with its metrics and promises."""
    env = run_info["environment"]
    lines = [
        f"Measured {run_info['date']} in {run_info['mode']} mode on {env['device']} ({env.get('cpu', 'CPU')}, "
        f"{env['platform']}), "
        f"TensorFlow {env['tensorflow']}, Keras {env['keras']}, Python {env['python']}.",
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
        lines.append(f"| {r.notebook} | {status} | {r.seconds / 60:.1f} min | {'<br>'.join(shown) or '-'} |")
    return "\n".join(lines) + "\n"


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


def update_readme(markdown: str, readme: Path) -> None:
    """Replace the README's results section (between the results markers) with ``markdown``.

    Raises:
        ValueError: if the README has no results markers.
    """
    text = readme.read_text(encoding="utf-8")
    if README_START not in text or README_END not in text:
        raise ValueError(f"{readme} has no {README_START} ... {README_END} section")
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    readme.write_text(f"{head}{README_START}\n{markdown}{README_END}{tail}", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("chapters", nargs="*", help="two-digit chapter numbers (default: all)")
    parser.add_argument("--quick", action="store_true", help="quick mode (NN_QUICK=1), as CI runs it")
    parser.add_argument("--out", type=Path, default=course.ROOT / "results", help="output folder")
    parser.add_argument("--update-readme", action="store_true", help="rewrite README.md's results table")
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--twice", action="store_true", help="run every notebook twice in one kernel")
    args = parser.parse_args(argv)
    paths = select(args.chapters)
    env = environment()
    mode = ("quick" if args.quick else "full") + (", run twice" if args.twice else "")
    chapters = run(paths, args.quick, progress=not args.no_progress, passes=2 if args.twice else 1)
    run_info = {"date": dt.date.today().isoformat(), "mode": mode, "environment": env,
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
    failed = [r.chapter for r in chapters if r.status != "passed"]
    print(f"{len(chapters) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
