"""utils.distributed: ports, TF_CONFIG, logical CPUs and worker processes that always stop."""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from utils import distributed

ROOT = Path(__file__).resolve().parents[1]


def test_free_port_can_be_bound():
    port = distributed.free_port()
    assert 1024 <= port <= 65535
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))


def test_tf_config_names_every_worker_and_this_one():
    config = distributed.tf_config([5001, 5002], 1)
    assert config == {"cluster": {"worker": ["127.0.0.1:5001", "127.0.0.1:5002"]},
                      "task": {"type": "worker", "index": 1}}
    json.dumps(config)


@pytest.mark.parametrize("ports, index", [([], 0), ([5001, 5001], 0), ([5001], 1), ([5001], -1)])
def test_tf_config_rejects_bad_clusters(ports, index):
    with pytest.raises(ValueError, match="tf_config"):
        distributed.tf_config(ports, index)


@pytest.mark.parametrize("n", [0, -1, 1.5, True])
def test_split_cpu_rejects_what_is_not_a_positive_int(n):
    with pytest.raises(ValueError, match="split_cpu"):
        distributed.split_cpu(n)


def test_split_cpu_in_a_fresh_process_twice_then_refuses_another_layout():
    code = ("from utils.distributed import split_cpu\n"
            "print(split_cpu(2)); print(split_cpu(2))\n"
            "try:\n    split_cpu(3)\nexcept RuntimeError as e:\n    print('refused:', e)\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")).stdout.splitlines()
    assert out[0] == out[1] == str(["/device:CPU:0", "/device:CPU:1"])
    assert out[2].startswith("refused:") and "restart the kernel" in out[2]


def _script(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "worker.py"
    path.write_text("import json, os, sys, time\n" + body)
    return path


def test_run_workers_gives_each_worker_its_index_and_the_whole_cluster(tmp_path):
    script = _script(tmp_path, "c = json.loads(os.environ['TF_CONFIG'])\n"
                               "print(sys.argv[1], sys.argv[2], c['task']['index'], len(c['cluster']['worker']),"
                               " repr(os.environ['CUDA_VISIBLE_DEVICES']))\n")
    outputs = distributed.run_workers(script, 3, args=["hello"], timeout=60)
    assert [o.split() for o in outputs] == [[str(i), "hello", str(i), "3", "''"] for i in range(3)]


def test_a_failing_worker_is_reported_with_its_error_and_the_others_are_stopped(tmp_path):
    script = _script(tmp_path, "i = int(sys.argv[1])\n"
                               "open(sys.argv[2] + f'/pid{i}', 'w').write(str(os.getpid()))\n"
                               "while i == 0 and not os.path.exists(sys.argv[2] + '/pid1'):\n    time.sleep(0.05)\n"
                               "if i == 0:\n    raise SystemExit('worker zero gives up')\n"
                               "time.sleep(60)\n")
    start = time.perf_counter()
    with pytest.raises(RuntimeError, match="worker 0 exited with code 1:\n.*worker zero gives up"):
        distributed.run_workers(script, 2, args=[str(tmp_path)], timeout=60)
    assert time.perf_counter() - start < 30
    _assert_gone(int((tmp_path / "pid1").read_text()))


def test_workers_that_hang_are_stopped_after_the_timeout(tmp_path):
    script = _script(tmp_path, "open(sys.argv[2] + f'/pid{sys.argv[1]}', 'w').write(str(os.getpid()))\n"
                               "time.sleep(60)\n")
    with pytest.raises(RuntimeError, match="workers not done after 2 s"):
        distributed.run_workers(script, 2, args=[str(tmp_path)], timeout=2)
    for i in range(2):
        _assert_gone(int((tmp_path / f"pid{i}").read_text()))


def _assert_gone(pid: int) -> None:
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_run_script_returns_the_exit_code_and_output(tmp_path):
    script = _script(tmp_path, "print(os.environ['EXTRA'], sys.argv[1]); os._exit(3)\n")
    done = distributed.run_script(script, args=["x"], env={"EXTRA": "set"}, timeout=60)
    assert done.returncode == 3 and done.stdout.split() == ["set", "x"]


def test_run_script_stops_a_hung_script(tmp_path):
    script = _script(tmp_path, "time.sleep(60)\n")
    start = time.perf_counter()
    with pytest.raises(RuntimeError, match="not done after 1 s"):
        distributed.run_script(script, timeout=1)
    assert time.perf_counter() - start < 15


@pytest.mark.parametrize("call", [lambda p: distributed.run_workers(p, 0),
                                  lambda p: distributed.run_workers(p, 2, timeout=0),
                                  lambda p: distributed.run_script(p, timeout=-1)])
def test_bad_arguments_raise_value_error(tmp_path, call):
    with pytest.raises(ValueError):
        call(_script(tmp_path, "pass\n"))


@pytest.mark.parametrize("run", [distributed.run_workers, distributed.run_script])
def test_a_missing_script_raises_file_not_found(tmp_path, run):
    with pytest.raises(FileNotFoundError):
        run(tmp_path / "nowhere.py")


def test_talkative_workers_do_not_block_on_a_full_pipe(tmp_path):
    script = _script(tmp_path, "sys.stdout.write('x' * 1_000_000); sys.stderr.write('y' * 1_000_000)\n")
    outputs = distributed.run_workers(script, 2, timeout=30)
    assert [len(o) for o in outputs] == [1_000_000, 1_000_000]
