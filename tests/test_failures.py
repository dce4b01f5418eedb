"""What a user can get wrong or meet says itself in one line: types, sizes, long runs, killed
workers and launchers, read-only and full folders, changed or truncated sweep files."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim import ConfigError, simulate
from sim.config.runtime import LONG_RUN_SECONDS, LongRunError, runtime_estimate
from sim.simulate import resolve_config
from tests.conftest import ROOT

FAST = ["scenario=county", "schedule.campaign_days=12", "schedule.post_election_days=6"]
FAST += ["investigation.direct_days=5", "investigation.supervised_days=6", "report.enabled=false"]


def cli(*args: str, cwd: Path = ROOT, env: dict | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    cmd = [sys.executable, str(ROOT / "experiments" / "run.py"), *args]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout)


def one_line_error(proc: subprocess.CompletedProcess) -> str:
    """The command's message: a single ``error:`` line and no traceback."""
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr[-3000:]
    return errors[0]


# ------------------------------------------------------------------------------------ strict types
@pytest.mark.parametrize(
    ("config", "kwargs", "fragment"),
    [
        ({"voting": {"compliance": "0.5"}}, {}, "voting.compliance='0.5' must be a number"),
        ({"interventions": {"team_inspection": {"enabled": "yes"}}}, {}, "enabled='yes' must be true or false"),
        ({"interventions": {"team_inspection": {"enabled": 1}}}, {}, "enabled=1 must be true or false"),
        ({}, {"seed": "3"}, "seed='3' must be a whole number"),
        ({}, {"voting.compliance": "0.5"}, "voting.compliance='0.5' must be a number"),
        ({}, {"interventions.team_inspection.enabled": 1}, "enabled=1 must be true or false"),
        ({"world": {"n_townships": "12"}}, {}, "world.n_townships='12' must be a whole number"),
    ],
)
def test_simulate_converts_nothing(config, kwargs, fragment):
    with pytest.raises(ConfigError, match="must be") as err:
        resolve_config(config, **kwargs)
    assert fragment in str(err.value)


def test_numbers_of_the_right_kind_still_pass():
    cfg = resolve_config({"voting": {"compliance": 1}}, seed=3, **{"interventions.team_inspection.enabled": True})
    assert cfg.voting.compliance == 1.0 and cfg.seed == 3 and cfg.interventions.team_inspection.enabled is True


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ("interventions.team_inspection.enabled=yes", "interventions.team_inspection.enabled='yes' must be true"),
        ("interventions.team_inspection.enabled=1", "interventions.team_inspection.enabled=1 must be true"),
        ("voting.compliance='0.5'", "voting.compliance='0.5' must be a number"),
        ("seed='3'", "seed='3' must be a whole number"),
    ],
)
def test_the_command_line_converts_nothing(tmp_path, override, fragment):
    proc = cli(f"hydra.run.dir={tmp_path}", override)
    assert proc.returncode == 2 and fragment in one_line_error(proc)
    assert not (tmp_path / "summary.json").exists()


def test_a_sweep_checks_every_value_it_sweeps(tmp_path):
    proc = cli("-m", f"hydra.sweep.dir={tmp_path}", "interventions.team_inspection.enabled=true,yes", *FAST)
    assert proc.returncode == 2 and "enabled='yes'" in one_line_error(proc)
    assert not (tmp_path / "manifest.json").exists()


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ("replicates=3", "replicates=3 does nothing in a single run"),
        ("base_seed=7", "base_seed=7 does nothing in a single run"),
        ("sensitivity.n_samples=4", "sensitivity.n_samples=4 does nothing in a single run"),
        ("experiment=compare", "experiment=compare describes a sweep"),
    ],
)
def test_a_single_run_refuses_what_only_a_sweep_uses(tmp_path, override, fragment):
    proc = cli(f"hydra.run.dir={tmp_path}", override)
    line = one_line_error(proc)
    assert proc.returncode == 2 and fragment in line and "-m" in line
    assert not (tmp_path / "summary.json").exists()


# --------------------------------------------------------------------------------- sizes and time
SIZES = [
    "world.n_townships",
    "world.delegates_per_township",
    "world.candidates_per_township",
    "world.reserves_per_township",
    "schedule.campaign_days",
    "schedule.post_election_days",
    "schedule.terms",
    "interventions.team_inspection.n_teams",
]


@pytest.mark.parametrize("key", SIZES)
def test_every_size_that_costs_time_enters_the_estimate(key):
    base = resolve_config({"policy": "team_inspection", "world": {"n_counties": 2}})
    head, _, name = key.rpartition(".")
    section = base
    for part in head.split("."):
        section = getattr(section, part)
    current = getattr(section, name)
    bigger = type(current)(current * 4 if current else 40)
    if key == "world.n_townships":
        bigger = 48
    larger = resolve_config({"policy": "team_inspection", "world": {"n_counties": 2}}, **{key: bigger})
    assert runtime_estimate(larger) > runtime_estimate(base)


def test_a_run_estimated_over_ten_minutes_is_refused_first_from_python():
    with pytest.raises(LongRunError) as err:
        simulate({}, **{"schedule.campaign_days": 10_000_000})
    assert "schedule.campaign_days=10000000" in str(err.value) and "allow_long=True" in str(err.value)
    cfg = resolve_config({}, **{"schedule.campaign_days": 10_000_000})
    assert runtime_estimate(cfg) > LONG_RUN_SECONDS


def test_a_run_estimated_over_ten_minutes_is_refused_first_from_the_command_line(tmp_path):
    proc = cli(f"hydra.run.dir={tmp_path}", "schedule.campaign_days=10000000")
    line = one_line_error(proc)
    assert proc.returncode == 2 and "schedule.campaign_days=10000000" in line and "--yes" in line
    assert not (tmp_path / "summary.json").exists()


def test_a_sweep_estimated_over_ten_minutes_is_refused_before_planning(tmp_path):
    proc = cli("-m", f"hydra.sweep.dir={tmp_path}", "policy=none,all", "replicates=100000", "scenario=city")
    line = one_line_error(proc)
    assert proc.returncode == 2 and "would take an estimated" in line and "--yes" in line
    assert not (tmp_path / "manifest.json").exists()


def test_yes_lets_a_long_sweep_past_its_estimate(tmp_path):
    args = ["-m", f"hydra.sweep.dir={tmp_path}", "policy=none,all", "scenario=city", "report.enabled=false"]
    assert cli(*args, "replicates=2").returncode == 0
    # The same long sweep with another base seed: refused by its estimate, and with --yes by the
    # folder's plan (another base seed), which is checked after the estimate: nothing runs either way.
    long = [*args, "replicates=4000", "base_seed=7"]
    refused = cli(*long)
    assert refused.returncode == 2 and "would take an estimated" in one_line_error(refused)
    confirmed = cli("--yes", *long)
    line = one_line_error(confirmed)
    assert confirmed.returncode == 2 and "would take an estimated" not in line and "holds another plan" in line


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ({"world.reserves_per_township": 100_000_000}, "world.reserves_per_township=100000000"),
        ({"interventions.team_inspection.n_teams": 1_000_000_000}, "n_teams=1000000000 is above its maximum"),
    ],
)
def test_sizes_that_escaped_the_memory_estimate_are_refused_at_once(override, fragment):
    with pytest.raises(ConfigError) as err:
        resolve_config({"policy": "team_inspection"}, **override)
    assert fragment in str(err.value)


# ------------------------------------------------------------------------------- killed processes
def marked_processes(launcher_pid: int) -> list[int]:
    """Processes started by this launcher (they inherit its mark in their environment)."""
    mark = f"ELECTION_SIM_LAUNCHER={socket.gethostname()}:{launcher_pid}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != launcher_pid:
            try:
                if mark in Path(f"/proc/{entry}/environ").read_bytes().split(b"\0"):
                    found.append(int(entry))
            except OSError:
                continue
    return found


def wait_until(predicate, timeout: float = 120) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


# A worker dies (as under kill -9) when it starts the arm "all".
KILL_A_WORKER = """
import os, signal, sys
import sim
s = sys.modules["sim.simulate"]
_real = s.simulate_many  # every sweep run goes through it (batched or one at a time)
def _dying(configs, **kw):
    in_worker = os.environ.get("ELECTION_SIM_LAUNCHER", "").split(":")[-1] != str(os.getpid())
    if any(cfg.interventions.pledges_talks.enabled for cfg in configs) and in_worker:
        os.kill(os.getpid(), signal.SIGKILL)
    return _real(configs, **kw)
s.simulate_many = _dying
"""


def _hooked_env(tmp_path: Path, code: str) -> dict:
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(code)
    return {**os.environ, "PYTHONPATH": str(hook)}


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads /proc (Linux)")
def test_a_killed_worker_is_one_line_recorded_and_no_worker_is_left(tmp_path):
    env = _hooked_env(tmp_path, KILL_A_WORKER)
    sweep = tmp_path / "sweep"
    cmd = [sys.executable, str(ROOT / "experiments" / "run.py"), "-m", f"hydra.sweep.dir={sweep}"]
    cmd += ["policy=none,pledges_talks", "replicates=20", "hydra.launcher.n_jobs=2", *FAST]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    launcher = proc.pid
    out, err = proc.communicate(timeout=300)
    done = subprocess.CompletedProcess(cmd, proc.returncode, out, err)
    line = one_line_error(done)
    assert done.returncode == 1 and "a worker process was killed" in line and "rerun" in line
    meta = json.loads((sweep / "sweep.json").read_text())
    assert meta["problems"] == [line.removeprefix("error: ")] and meta.get("ended")
    assert wait_until(lambda: not marked_processes(launcher), timeout=30), marked_processes(launcher)


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads /proc (Linux)")
def test_workers_stop_when_their_launcher_is_killed(tmp_path):
    import signal

    sweep = tmp_path / "sweep"
    cmd = [sys.executable, str(ROOT / "experiments" / "run.py"), "-m", f"hydra.sweep.dir={sweep}"]
    cmd += ["policy=none,all", "replicates=400", "hydra.launcher.n_jobs=2", *FAST]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=False
    )
    assert wait_until(lambda: len(list(sweep.glob("runs/*/*/DONE"))) >= 4, timeout=300)
    workers = marked_processes(proc.pid)
    assert workers, "the sweep runs its arms in worker processes"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert wait_until(lambda: not any(Path(f"/proc/{w}").exists() and _alive(w) for w in workers), timeout=60)
    assert len(list(sweep.glob("runs/*/*/DONE"))) < 800


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


# ------------------------------------------------------------------------ folders that refuse work
@pytest.fixture
def small_fs(tmp_path):
    """A 1 MiB file system of its own (tmpfs), for full and read-only folders; skipped where mount is refused."""
    where = tmp_path / "fs"
    where.mkdir()
    if shutil.which("mount") is None or os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root and mount")
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(where)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"mount refused here: {made.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def _read_only(where: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(where)], check=True)


def test_a_read_only_folder_is_one_line_for_a_run_a_sweep_and_a_report(small_fs, tmp_path):
    sweep = tmp_path / "sweep"
    assert cli("-m", f"hydra.sweep.dir={sweep}", "policy=none", "replicates=2", *FAST).returncode == 0
    shutil.copytree(sweep, small_fs / "sweep")
    _read_only(small_fs)
    cases = {
        "single run": cli(f"hydra.run.dir={small_fs / 'one'}"),
        "new sweep": cli("-m", f"hydra.sweep.dir={small_fs / 'new'}", "policy=none", "replicates=2", *FAST),
        "resumed sweep": cli("-m", f"hydra.sweep.dir={small_fs / 'sweep'}", "policy=none", "replicates=2", *FAST),
        "report": subprocess.run(
            [sys.executable, str(ROOT / "experiments" / "report.py"), str(small_fs / "sweep")],
            capture_output=True,
            text=True,
        ),
    }
    for what, proc in cases.items():
        line = one_line_error(proc)
        assert proc.returncode == 2 and "read-only file system" in line and str(small_fs) in line, (what, line)


def test_a_full_disk_is_one_line_and_the_finished_runs_are_kept(small_fs):
    sweep = small_fs / "sweep"
    proc = cli("-m", f"hydra.sweep.dir={sweep}", "policy=none,all", "replicates=30", *FAST)
    line = one_line_error(proc)
    assert proc.returncode == 2 and "no space left" in line and "rerun" in line


# ------------------------------------------------------------------------------ reading a changed sweep
@pytest.fixture(scope="module")
def collected(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("collected")
    assert cli("-m", f"hydra.sweep.dir={d}", "policy=none,all", "replicates=2", *FAST).returncode == 0
    return d


def test_a_report_on_runs_changed_after_collection_says_so(collected, tmp_path):
    from sim import load_results

    d = tmp_path / "copy"
    shutil.copytree(collected, d)
    first = sorted(d.glob("runs/*/*/summary.json"))[0]
    first.write_text("{}")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "experiments" / "report.py"), str(d)], capture_output=True, text=True
    )
    assert proc.returncode == 0 and "Traceback" not in proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "changed since collection" in warnings[0] and str(first) in warnings[0]
    with pytest.warns(UserWarning, match="changed since collection"):
        assert len(load_results(d).runs) == 4


def test_a_report_on_a_truncated_table_is_one_line(collected, tmp_path):
    d = tmp_path / "copy"
    shutil.copytree(collected, d)
    (d / "runs.parquet").write_bytes((d / "runs.parquet").read_bytes()[:100])
    proc = subprocess.run(
        [sys.executable, str(ROOT / "experiments" / "report.py"), str(d)], capture_output=True, text=True
    )
    line = one_line_error(proc)
    assert proc.returncode == 2 and "runs.parquet" in line and "collect it again" in line
