"""Every cell branch written for a GPU has run, on the CPU, before a learner meets it on a GPU.

CI has no GPU, so ``NN_FORCE_GPU_PATHS=1`` makes ``setup_notebook`` report ``info.gpu = True``
and ``gpu_supports_mixed_precision()`` answer True (mixed_float16 runs on a CPU, slowly but
correctly). Each chapter whose code branches on the device runs here in quick mode with the
switch on. Optional cells tagged ``nbval-skip`` run too, on stand-in data of the real shape
(random images for CIFAR-10, which cannot be downloaded where CI runs).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import nbformat
import pytest

from tools import course, runner
from utils import setup

GPU_MARKERS = ("info.gpu", "gpu_supports_mixed_precision", "enable_mixed_precision")
"""Code that behaves differently on a GPU."""

STAND_IN = runner.STAND_IN_CIFAR10
"""Random images of CIFAR-10's shape replace the download this machine cannot make."""

MUST_HAVE_RUN = {"08": ["mp_ms", "cifar_history"]}
"""Names that only the GPU branches define: their presence after the run proves the branches ran."""


def code(cell: dict) -> str:
    return "".join(cell["source"]) if cell["cell_type"] == "code" else ""


def chapters_with_gpu_branches() -> list[Path]:
    return [p for p in course.notebooks()
            if any(m in code(c) for c in json.loads(p.read_text())["cells"] for m in GPU_MARKERS)]


def test_the_gpu_chapters_are_found():
    """The scan finds the branches we know of (a scan that finds nothing would test nothing)."""
    names = [p.name[:2] for p in chapters_with_gpu_branches()]
    assert {"05", "08"} <= set(names), names


def test_forcing_the_gpu_paths_changes_what_setup_reports(monkeypatch):
    monkeypatch.setenv(setup.FORCE_GPU_ENV, "1")
    info = setup.setup_notebook(seed=1, report=False)
    assert info.gpu and "forced" in info.device and setup.gpu_supports_mixed_precision()
    monkeypatch.setenv(setup.FORCE_GPU_ENV, "0")
    info = setup.setup_notebook(seed=1, report=False)
    assert info.gpu == setup.device_name().startswith("GPU") and "forced" not in info.device


@pytest.mark.parametrize("path", chapters_with_gpu_branches(), ids=lambda p: p.name[:2])
def test_gpu_branches_run_on_the_cpu(path, monkeypatch):
    monkeypatch.setenv(setup.FORCE_GPU_ENV, "1")
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if runner.SKIP_TAG in tags:
            tags.remove(runner.SKIP_TAG)
    setup_index = next(i for i, c in enumerate(nb.cells) if "setup_notebook(" in code(c))
    nb.cells.insert(setup_index + 1, nbformat.v4.new_code_cell(STAND_IN))
    names = MUST_HAVE_RUN.get(path.name[:2], [])
    nb.cells.append(nbformat.v4.new_code_cell(
        f"missing = [n for n in {names!r} if n not in globals()]\n"
        "assert not missing, f'GPU branches did not run: {missing} undefined'"))
    # Inside the repository, so the bootstrap cell finds utils/ as it does for the real notebook.
    folder = Path(tempfile.mkdtemp(prefix=".gpu_paths_", dir=course.ROOT))
    try:
        copy = folder / path.name
        nbformat.write(nb, copy)
        result = runner.run_notebook(copy, quick=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert result.status == "passed", result.error
