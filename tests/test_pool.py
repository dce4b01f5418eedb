"""The basic launcher's fork pool: the same runs as the jobs compute, on several processes, failing in one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import ROOT
from tests.test_failures import FAST, KILL_A_WORKER, _hooked_env, marked_processes, one_line_error, wait_until

# Every run writes the process computing it into the sweep folder's ``pids`` (one line each).
RECORD_PIDS = """
import os, sys
import sim
s = sys.modules["sim.simulate"]
_real = s.simulate_many  # every sweep run goes through it (batched or one at a time)
def _recording(configs, **kw):
    with open(os.environ["PIDS_FILE"], "a") as fh:
        fh.write("".join(f"{os.getpid()}\\n" for _ in configs))
    return _real(configs, **kw)
s.simulate_many = _recording
"""


def _sweep(tmp_path: Path, name: str, workers: int, hook: str, *args: str) -> tuple[subprocess.Popen, str, str]:
    (tmp_path / f"{name}-env").mkdir()
    env = {**_hooked_env(tmp_path / f"{name}-env", hook), "PIDS_FILE": str(tmp_path / f"{name}.pids")}
    cmd = [sys.executable, str(ROOT / "experiments" / "run.py"), "-m", f"hydra.sweep.dir={tmp_path / name}"]
    cmd += ["hydra/launcher=basic", f"sweep.workers={workers}", *FAST, *args]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate(timeout=300)
    return proc, out, err


def _outcomes(folder: Path) -> pd.DataFrame:
    runs = pd.read_parquet(folder / "runs.parquet")
    return runs[[c for c in runs.columns if c != "runtime_s" and not c.startswith("time_")]]


def test_the_pool_computes_the_runs_the_jobs_would_on_other_processes(tmp_path):
    arms = ["policy=none,pledges_talks,all", "replicates=3"]
    serial, _, err = _sweep(tmp_path, "serial", 1, RECORD_PIDS, *arms)
    assert serial.returncode == 0, err
    pool, _, err = _sweep(tmp_path, "pool", 2, RECORD_PIDS, *arms)
    assert pool.returncode == 0, err
    pd.testing.assert_frame_equal(_outcomes(tmp_path / "serial"), _outcomes(tmp_path / "pool"), check_exact=True)
    by_serial = set((tmp_path / "serial.pids").read_text().split())
    by_pool = (tmp_path / "pool.pids").read_text().split()
    assert by_serial == {str(serial.pid)}  # one process, the launcher, computed every run
    assert len(by_pool) == 9  # each run computed once, though workers and the jobs share them
    assert set(by_pool) - {str(pool.pid)}, "forked workers computed runs"


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads /proc (Linux)")
def test_a_killed_pool_worker_is_one_line_recorded_and_no_worker_is_left(tmp_path):
    proc, out, err = _sweep(tmp_path, "sweep", 2, KILL_A_WORKER, "policy=none,pledges_talks", "replicates=6")
    line = one_line_error(subprocess.CompletedProcess([], proc.returncode, out, err))
    assert proc.returncode == 1 and "a worker process was killed" in line and "rerun" in line
    meta = json.loads((tmp_path / "sweep" / "sweep.json").read_text())
    assert meta["problems"] == [line.removeprefix("error: ")] and meta.get("ended")
    assert wait_until(lambda: not marked_processes(proc.pid), timeout=30), marked_processes(proc.pid)
    done = list((tmp_path / "sweep").glob("runs/none/*/DONE"))
    assert done, "the other worker's finished runs are kept"
    assert os.path.exists(tmp_path / "sweep" / "manifest.json")
