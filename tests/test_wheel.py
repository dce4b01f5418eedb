"""An installed wheel works without the checkout: presets, the sweeper, the posterior, the commands.

Builds a wheel of the package, installs it with the pinned versions (constraints.txt) into a fresh
virtual environment outside the checkout, and from a folder that is not the checkout runs one run
(compared with the checkout's simulate()), a tiny sweep with its report, and a tiny sweep that draws
from the calibration's posterior shipped inside the package.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def _run(cmd: list[str], cwd: Path, timeout: int = 900) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(cmd)}\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path]:
    """(the fresh environment's bin folder, a work folder outside the checkout)."""
    base = tmp_path_factory.mktemp("wheel")
    # Built from a copy, so the build leaves nothing in the checkout (setuptools writes build/ in place).
    source = base / "source"
    skip = shutil.ignore_patterns(".git", ".venv", "results", "build", "dist", "*.egg-info", "__pycache__", ".*cache")
    shutil.copytree(ROOT, source, ignore=skip)
    dist = base / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(source)], cwd=base)
    wheels = list(dist.glob("election_integrity_sim-*.whl"))
    assert len(wheels) == 1, wheels
    venv.create(base / "env", with_pip=True)
    bin_dir = base / "env" / "bin"
    _run(
        [str(bin_dir / "python"), "-m", "pip", "install", "-q", "-c", str(ROOT / "constraints.txt"), str(wheels[0])],
        cwd=base,
    )
    work = base / "work"
    work.mkdir()
    return bin_dir, work


def test_the_wheel_holds_the_presets_the_sweeper_and_the_posterior(installed):
    bin_dir, work = installed
    code = (
        "import sim, sim.presets, sim.calibration.posterior as p, hydra_plugins.sim_optimise_sweeper as s;"
        "print(sim.__file__); print(sim.presets.preset_names('policy')); print(p.resolve(p.DEFAULT_NAME));"
        "print(len(p.load_posterior(p.DEFAULT_NAME)))"
    )
    out = _run([str(bin_dir / "python"), "-c", code], cwd=work).stdout.splitlines()
    assert "site-packages" in out[0] and not out[0].startswith(str(ROOT))
    assert "all" in out[1] and "none" in out[1]
    assert "site-packages" in out[2], out[2]
    assert int(out[3]) > 10


def test_one_run_from_any_folder_matches_the_checkout(installed):
    from sim import simulate

    bin_dir, work = installed
    _run([str(bin_dir / "election-sim"), "seed=3", "hydra.run.dir=one"], cwd=work)
    summary = json.loads((work / "one" / "summary.json").read_text())
    expected = simulate({}, seed=3).summary
    for key in ("seats_bought_final", "delegates_bribed", "offers", "tips", "cost_total"):
        assert summary[key] == expected[key], key


def test_a_tiny_sweep_and_its_report_from_any_folder(installed):
    bin_dir, work = installed
    _run([str(bin_dir / "election-sim"), "-m", "policy=none,all", "replicates=2", "hydra/launcher=basic"], cwd=work)
    sweep = work / "results" / "single" / "county"
    meta = json.loads((sweep / "sweep.json").read_text())
    assert meta["runs_done"] == 4 and meta["problems"] == []
    assert (sweep / "report" / "report.html").is_file()
    _run([str(bin_dir / "election-sim-report"), str(sweep)], cwd=work)


def test_a_posterior_sweep_reads_the_posterior_shipped_with_the_package(installed):
    bin_dir, work = installed
    args = ["experiment=compare_posterior", "scenario=county", "sensitivity.n_samples=2", "replicates=1", "policy=none"]
    _run([str(bin_dir / "election-sim"), "-m", *args, "hydra/launcher=basic", "hydra.sweep.dir=post"], cwd=work)
    # 2 draws in each of the three layers (seeds; + the posterior; + the assumed ranges)
    assert json.loads((work / "post" / "sweep.json").read_text())["runs_done"] == 2 * 3
