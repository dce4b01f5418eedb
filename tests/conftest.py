"""Shared fixtures: small, fast configurations."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: A small province (3 counties, 24 townships) that still has every mechanism at work.
SMALL = {
    "scenario": "county",  # a preset; the world below overrides its sizes
    "world": {"n_cities": 1, "n_counties": 3, "n_townships": 24, "delegates_per_township": 60.0},
}


@pytest.fixture
def small() -> dict:
    """A fresh copy of the small test configuration."""
    import copy

    return copy.deepcopy(SMALL)


def with_intervention(base: dict, name: str, **params) -> dict:
    """``base`` with one intervention switched on (and optional parameters)."""
    import copy

    cfg = copy.deepcopy(base)
    cfg.setdefault("interventions", {})[name] = {"enabled": True, **params}
    return cfg


def run_sweep(sweep_dir: Path, *args: str, timeout: int = 600):
    """Run ``experiments/run.py -m`` into ``sweep_dir``; fail the test with its stderr if it fails."""
    import subprocess

    cmd = [sys.executable, str(ROOT / "experiments" / "run.py"), "-m", f"hydra.sweep.dir={sweep_dir}", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc
