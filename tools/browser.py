"""JupyterLab and the rendered book in headless Chromium: what ``tests/test_browser.py`` drives.

A learner's first step is *Run All* in JupyterLab, so the series is tested that
way too: :func:`jupyterlab` starts a real JupyterLab server (127.0.0.1, a free
port, a random token, settings in a temporary folder) on a copy of the course,
:func:`launch_chromium` opens Debian's Chromium through Playwright (no browser
download: ``executable_path``), and :func:`run_all` clicks *Run → Run All Cells*
and waits for the status bar's *Idle* with a timeout. :func:`serve` serves a
built book over HTTP on 127.0.0.1 the way a static host would.

Everything started here is stopped in a ``finally``: the server's whole process
group and any kernel it started, even when a test fails or times out, so no
server, kernel, port or browser is left behind.

Chromium is found at ``$NN_CHROMIUM`` or the usual Debian/Ubuntu paths;
``.ci/run`` installs Debian's ``chromium`` package where it is missing.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHROMIUM_ENV = "NN_CHROMIUM"
"""Environment variable naming a Chromium (or Chrome) executable to use instead of the default paths."""

CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome",
                  "/usr/bin/google-chrome-stable")

CHROMIUM_ARGS = ["--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
"""Flags for a headless Chromium as root on a server (Playwright adds --headless, --no-sandbox
and a fresh --user-data-dir itself)."""

LAB_SETTINGS = {
    # No "Would you like to receive official Jupyter news?" toast over the notebook, no update check.
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
    # Every cell in the DOM, so every output can be found on the page.
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
}
"""JupyterLab settings overrides for the tests (written to a temporary app settings folder)."""


def find_chromium() -> Path | None:
    """The Chromium to drive: ``$NN_CHROMIUM`` if set, else the first of :data:`CHROMIUM_PATHS` present."""
    chosen = os.environ.get(CHROMIUM_ENV)
    candidates = [chosen] if chosen else list(CHROMIUM_PATHS)
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return Path(candidate)
    return None


def launch_chromium(playwright: Any, executable: Path | None = None) -> Any:
    """A headless Chromium browser through Playwright, using the system's executable.

    Raises:
        FileNotFoundError: if no Chromium is installed (see :func:`find_chromium`).
    """
    executable = executable or find_chromium()
    if executable is None:
        raise FileNotFoundError(f"no Chromium found (looked at ${CHROMIUM_ENV} and {', '.join(CHROMIUM_PATHS)})")
    return playwright.chromium.launch(executable_path=str(executable), headless=True, args=CHROMIUM_ARGS,
                                      timeout=60_000)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def copy_course(root: Path, dest: Path, notebooks: list[Path]) -> Path:
    """A throw-away copy of the course in ``dest``: the given notebooks and ``utils/`` (what they import)."""
    (dest / "notebooks").mkdir(parents=True, exist_ok=True)
    for path in notebooks:
        shutil.copy2(path, dest / "notebooks" / path.name)
    shutil.copytree(root / "utils", dest / "utils", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return dest


@dataclass
class Lab:
    """A running JupyterLab server."""

    url: str
    token: str
    process: subprocess.Popen
    log: Path
    root: Path
    """The folder the server serves (its notebooks are the ones the browser runs)."""

    def api(self, path: str, method: str = "GET", timeout: float = 10) -> Any:
        """Call the server's REST API (``/api/...``) with the token; return the decoded JSON or None."""
        request = urllib.request.Request(f"{self.url}{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        """Shut down every kernel of the server (a finished notebook's kernel holds memory)."""
        for kernel in self.api("/api/kernels") or []:
            self.api(f"/api/kernels/{kernel['id']}", method="DELETE", timeout=30)

    def page_url(self, relative: str) -> str:
        """The address that opens ``relative`` (a path under the server's root) alone in JupyterLab."""
        return f"{self.url}/lab/tree/{relative}?reset&token={self.token}"  # reset: no tab of an earlier test restored

    def log_tail(self, lines: int = 40) -> str:
        """The end of the server's log, for failure messages."""
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def _children(pid: int) -> list[int]:
    """Every descendant of ``pid`` (Linux ``/proc``; empty elsewhere)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _kill(pids: list[int], sig: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def stop(process: subprocess.Popen, grace: float = 10) -> None:
    """Stop a server started with ``start_new_session=True``: its process group, then any straggler.

    Kernels live in sessions of their own, so the server's descendants are listed first
    and killed too if they outlive the server.
    """
    if process.poll() is None:
        descendants = _children(process.pid)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=grace)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in descendants):
            time.sleep(0.2)
        _kill(descendants, signal.SIGKILL)
    else:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


class LabExited(RuntimeError):
    """The JupyterLab server exited while starting (for instance: its port was taken meanwhile)."""


def _start_lab(root: Path, workdir: Path, env: dict[str, str] | None, timeout: float) -> Lab:
    """Start one JupyterLab server and wait until it answers; stop it again if it does not."""
    port, token = free_port(), secrets.token_hex(24)
    settings = workdir / "lab-settings"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "overrides.json").write_text(json.dumps(LAB_SETTINGS, indent=1))
    log = workdir / "jupyterlab.log"
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip=127.0.0.1", f"--port={port}",
        "--port-retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        f"--LabApp.app_settings_dir={settings}", f"--LabApp.user_settings_dir={workdir / 'user-settings'}",
        f"--LabApp.workspaces_dir={workdir / 'workspaces'}", "--LabApp.expose_app_in_browser=True",
    ]
    full_env = {**os.environ, **(env or {}), "JUPYTER_RUNTIME_DIR": str(workdir / "runtime"),
                "JUPYTER_CONFIG_DIR": str(workdir / "config"),
                "JUPYTERLAB_SETTINGS_DIR": str(workdir / "user-settings"),
                "JUPYTERLAB_WORKSPACES_DIR": str(workdir / "workspaces")}
    with open(log, "wb") as sink:
        process = subprocess.Popen(command, cwd=root, env=full_env, stdout=sink, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    lab = Lab(f"http://127.0.0.1:{port}", token, process, log, root)
    deadline = time.monotonic() + timeout
    try:
        while True:
            if process.poll() is not None:
                raise LabExited(f"JupyterLab exited with status {process.returncode}:\n{lab.log_tail()}")
            try:
                lab.api("/api/status", timeout=5)
                return lab
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"JupyterLab did not answer within {timeout} s:\n{lab.log_tail()}") from None
                time.sleep(0.5)
    except BaseException:
        stop(process)
        raise


@contextlib.contextmanager
def jupyterlab(root: Path, workdir: Path, env: dict[str, str] | None = None, timeout: float = 120,
               attempts: int = 3) -> Iterator[Lab]:
    """A JupyterLab server on 127.0.0.1 (free port, random token) serving ``root``, stopped on exit.

    ``workdir`` receives the server's settings, workspaces, runtime files and log, so
    nothing of a developer's own JupyterLab set-up is read or changed. A server that
    exits while starting (its port taken in the meantime) is started again on another
    port, up to ``attempts`` times.

    Raises:
        RuntimeError: if the server does not answer within ``timeout`` seconds, or keeps exiting (with its log).
    """
    for attempt in range(1, attempts + 1):
        try:
            lab = _start_lab(root, workdir, env, timeout)
            break
        except LabExited:
            if attempt == attempts:
                raise
    try:
        yield lab
    finally:
        with contextlib.suppress(Exception):  # shut kernels down cleanly first; stop() kills what is left
            lab.shutdown_kernels()
        stop(lab.process)


_PROMPTS = """
    const widget = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    const prompts = widget && widget.content && widget.content.model
        ? [...widget.node.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].map(p => p.textContent.trim()) : [];
    const bar = document.querySelector('#jp-main-statusbar');
    const status = bar ? bar.innerText : '';
"""
# Only the notebook in front counts (another tab's cells are in the DOM too).

_CELLS_STATE = "() => {" + _PROMPTS + "return {prompts, status}; }"

_FINISHED = "() => {" + _PROMPTS + """
    return prompts.length > 0 && /\\[\\d+\\]/.test(prompts[0]) && !prompts.some(p => p.includes('*'))
        && /\\|\\s*Idle/.test(status);
}"""

_OUTPUTS = """() => {
    const widget = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    if (!widget || !widget.content || !widget.content.model) return null;
    const cells = [];
    const model = widget.content.model;
    for (let i = 0; i < model.cells.length; i++) {
        const cell = model.cells.get(i);
        cells.push({type: cell.type, outputs: cell.type === 'code' ? cell.outputs.toJSON() : []});
    }
    return cells;
}"""


@dataclass
class RunResult:
    """What *Run All* left in JupyterLab's notebook: every cell's outputs (nbformat JSON) and timing."""

    cells: list[dict[str, Any]]
    seconds: float

    def errors(self) -> list[str]:
        """``"cell N: ErrorName: message"`` for each error output."""
        return [f"cell {i}: {o.get('ename')}: {o.get('evalue')}" for i, c in enumerate(self.cells)
                for o in c["outputs"] if o.get("output_type") == "error"]

    def text(self, index: int) -> str:
        """The printed text (streams and text/plain) of cell ``index``."""
        parts = []
        for out in self.cells[index]["outputs"]:
            text = out.get("text") or out.get("data", {}).get("text/plain", "")
            parts.append("".join(text) if isinstance(text, list) else text)
        return "".join(parts)


def open_notebook(page: Any, lab: Lab, relative: str, timeout: float = 120) -> None:
    """Open a notebook in JupyterLab and wait until its kernel is *Idle*."""
    page.goto(lab.page_url(relative), timeout=timeout * 1000)
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=timeout * 1000)
    idle = "() => /\\|\\s*Idle/.test((document.querySelector('#jp-main-statusbar') || {}).innerText || '')"
    page.wait_for_function(idle, timeout=timeout * 1000, polling=250)


def run_all(page: Any, timeout: float = 600) -> RunResult:
    """Click *Run → Run All Cells* and wait (at most ``timeout`` s) until no cell is queued and the kernel is idle.

    Raises:
        TimeoutError: with the prompts and status bar seen last, if the run does not finish in time.
    """
    start = time.perf_counter()
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    try:
        page.wait_for_function(_FINISHED, timeout=timeout * 1000, polling=500)
    except Exception as exc:  # Playwright's TimeoutError: say where the run stood
        raise TimeoutError(f"Run All did not finish within {timeout} s; last state: "
                           f"{page.evaluate(_CELLS_STATE)}") from exc
    seconds = time.perf_counter() - start
    cells = page.evaluate(_OUTPUTS)
    if cells is None:
        raise RuntimeError("could not read the notebook's outputs (is the app exposed in the browser?)")
    return RunResult(cells, round(seconds, 1))


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # the base class's signature
        pass


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve ``folder`` over HTTP on 127.0.0.1 (a free port) in a thread; yield its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
