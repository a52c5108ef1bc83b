"""Several devices and several processes on one machine, for chapter 17 (scaling up).

Chapter 17 teaches data parallelism with TensorFlow's own engine, ``tf.distribute``:
``MirroredStrategy`` over two logical CPU devices in the notebook's process (:func:`split_cpu`), and
``MultiWorkerMirroredStrategy`` over real worker processes that talk over 127.0.0.1
(:func:`run_workers`), plus a training process that is killed and restarted (:func:`run_script`).
Every process started here is stopped again when its call returns, fails, times out or is
interrupted, so a hung worker never hangs the notebook and no port stays bound.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tf_config(ports: Sequence[int], index: int) -> dict:
    """The ``TF_CONFIG`` of worker ``index`` in a cluster of workers on 127.0.0.1 at ``ports``.

    Raises:
        ValueError: for no ports, a repeated port, or an index outside the cluster.
    """
    if len(ports) == 0 or len(set(ports)) != len(ports):
        raise ValueError(f"tf_config: ports should be distinct and at least one, got {list(ports)}")
    if not 0 <= index < len(ports):
        raise ValueError(f"tf_config: index should be in 0..{len(ports) - 1}, got {index}")
    return {"cluster": {"worker": [f"127.0.0.1:{p}" for p in ports]}, "task": {"type": "worker", "index": index}}


def split_cpu(n: int = 2) -> list[str]:
    """Split the CPU into ``n`` logical devices for ``tf.distribute`` and return their names.

    TensorFlow accepts this only before it has run anything; the setup cell's ``setup_notebook``
    runs nothing, so call this right after it. Calling it again with the same ``n`` is safe.

    Raises:
        ValueError: if ``n`` is not a positive int.
        RuntimeError: if TensorFlow already started with another number of logical CPUs
            (restart the kernel and run the notebook from the top).
    """
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"split_cpu: n should be a positive int, got {n!r}")
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * n)
    except RuntimeError:
        pass  # already initialised: fine if the layout is the one asked for, checked below
    names = [d.name for d in tf.config.list_logical_devices("CPU")]
    if len(names) != n:
        raise RuntimeError(f"split_cpu: TensorFlow already runs with {len(names)} logical CPU device(s), not {n}; "
                           "restart the kernel and run the notebook from the top")
    return names


def _stop(processes: Sequence[subprocess.Popen]) -> None:
    for p in processes:
        if p.poll() is None:
            p.kill()
    for p in processes:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass


def _environment(extra: dict[str, str] | None, hide_gpus: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    if hide_gpus:
        env["CUDA_VISIBLE_DEVICES"] = ""
    env.update(extra or {})
    return env


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def run_workers(script: str | Path, n_workers: int = 2, args: Sequence[str] = (), timeout: float = 180.0,
                hide_gpus: bool = True) -> list[str]:
    """Run ``python script WORKER_INDEX *args`` as ``n_workers`` processes of one tf.distribute cluster.

    Each process gets a ``TF_CONFIG`` naming all workers on 127.0.0.1 (free ports chosen now) and
    its own index, which it also receives as its first argument. ``hide_gpus`` keeps the workers
    on the CPU (two processes on one GPU would compete for its memory). Returns each worker's
    standard output, in index order.

    Raises:
        ValueError: for fewer than one worker or a timeout that is not positive.
        FileNotFoundError: if the script does not exist.
        RuntimeError: if a worker exits with an error (its last lines of stderr are quoted) or the
            workers are not all done within ``timeout`` seconds in total. All workers are stopped first.
    """
    if n_workers < 1 or not timeout > 0:
        raise ValueError(f"run_workers: need n_workers >= 1 and timeout > 0, got {n_workers} and {timeout}")
    script = Path(script)
    if not script.is_file():
        raise FileNotFoundError(f"run_workers: no script at {script}")
    ports: list[int] = []
    while len(ports) < n_workers:
        port = free_port()
        if port not in ports:
            ports.append(port)
    processes: list[subprocess.Popen] = []
    with tempfile.TemporaryDirectory(prefix="workers_") as logs:
        # output goes to files, not pipes: a talkative worker can never block on a full pipe
        outs = [Path(logs) / f"out{i}" for i in range(n_workers)]
        errs = [Path(logs) / f"err{i}" for i in range(n_workers)]
        try:
            for i in range(n_workers):
                env = _environment({"TF_CONFIG": json.dumps(tf_config(ports, i))}, hide_gpus)
                with open(outs[i], "w") as out, open(errs[i], "w") as err:
                    processes.append(subprocess.Popen([sys.executable, str(script), str(i), *map(str, args)],
                                                      env=env, stdout=out, stderr=err, text=True))
            deadline = time.monotonic() + timeout
            while any(p.poll() is None for p in processes):
                failed = [i for i, p in enumerate(processes) if p.poll() not in (None, 0)]
                if failed:
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"run_workers: workers not done after {timeout:.0f} s; all workers stopped")
                time.sleep(0.05)
            for i, p in enumerate(processes):
                if p.poll() not in (None, 0):
                    raise RuntimeError(f"run_workers: worker {i} exited with code {p.returncode}:\n"
                                       f"{_tail(errs[i].read_text())}")
            return [out.read_text() for out in outs]
        finally:
            _stop(processes)


def run_script(script: str | Path, args: Sequence[str] = (), timeout: float = 180.0,
               env: dict[str, str] | None = None, hide_gpus: bool = True) -> subprocess.CompletedProcess:
    """Run ``python script *args`` in a fresh process and return it finished (exit code, stdout, stderr).

    Unlike :func:`run_workers` a non-zero exit code is not an error here: chapter 17 kills a
    training run on purpose and looks at how it ended. ``env`` adds environment variables.

    Raises:
        ValueError: for a timeout that is not positive.
        FileNotFoundError: if the script does not exist.
        RuntimeError: if the process is not done within ``timeout`` seconds (it is stopped first).
    """
    if not timeout > 0:
        raise ValueError(f"run_script: timeout should be positive, got {timeout}")
    script = Path(script)
    if not script.is_file():
        raise FileNotFoundError(f"run_script: no script at {script}")
    try:
        return subprocess.run([sys.executable, str(script), *map(str, args)], env=_environment(env, hide_gpus),
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"run_script: {script.name} not done after {timeout:.0f} s; stopped") from None
