"""The results store: atomic files, completion markers, and collection into tidy tables.

Layout of a sweep directory::

    SWEEP_DIR/
      sweep.json                 metadata: config, commit, versions, seeds, times, planned/done/failed
      runs/<arm>/<run_id>/       one folder per run
          summary.json           outcome scalars
          inputs.json            the run's full configuration, flattened
          timeseries.parquet     one row per day
          DONE                   completion marker: the run's config fingerprint (written last)
          ERROR                  instead of DONE, when the run failed: the traceback
      runs.parquet               one row per finished run: arm, replicate, seed, inputs, outcomes
      timeseries.parquet         every run's days, keyed by arm, replicate and seed
      report/                    figures, tables and report.html (see experiments/report.py)

Every file is written to a temporary name in the same folder and renamed into place, so a run
killed at any moment leaves either the whole file or none; the DONE marker is written last, so a
run counts as finished only when all its files are there.  (Files are not fsync'ed: this protects
against killed processes, which is what sweeps meet, not against a power cut, at a cost per run
larger than a small simulation.)
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from sim.atomic_io import atomic_write_json, atomic_write_text, atomic_write_with, json_default

DONE, ERROR = "DONE", "ERROR"


def fingerprint(inputs: dict[str, Any]) -> str:
    """A stable hash of a run's inputs: a finished run is reused only if its inputs are the same."""
    text = json.dumps(inputs, sort_keys=True, default=json_default)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def safe_name(label: str) -> str:
    """A label usable as one folder name (no '/' nesting, no shell-hostile characters)."""
    return re.sub(r"[^A-Za-z0-9_.=+,-]", "_", label) or "none"


def run_dir(sweep_dir: Path, arm: str, run_id: str) -> Path:
    """Folder of one run of a sweep."""
    return Path(sweep_dir) / "runs" / safe_name(arm) / run_id


def is_done(folder: Path, inputs_fingerprint: str) -> bool:
    """True if the run in ``folder`` finished with the same inputs."""
    marker = Path(folder) / DONE
    try:
        return marker.read_text().strip() == inputs_fingerprint
    except OSError:
        return False


def write_run(
    folder: Path,
    summary: dict[str, Any],
    timeseries: pd.DataFrame,
    inputs: dict[str, Any],
    keys: dict[str, Any],
    config: dict[str, Any] | None = None,
) -> None:
    """Write one finished run; the DONE marker goes last.

    Args:
        folder: The run's folder.
        summary: Outcome scalars.
        timeseries: Daily rows.
        inputs: Flattened configuration.
        keys: Identifiers of the run within its sweep (arm, replicate, sample, seed).
        config: The nested configuration, to re-run the run exactly.
    """
    folder = Path(folder)
    (folder / ERROR).unlink(missing_ok=True)
    (folder / DONE).unlink(missing_ok=True)
    atomic_write_json(folder / "inputs.json", {"keys": keys, "inputs": inputs, "config": config})
    atomic_write_with(folder / "timeseries.parquet", lambda p: timeseries.to_parquet(p, index=False))
    atomic_write_json(folder / "summary.json", summary)
    atomic_write_text(folder / DONE, fingerprint(inputs) + "\n")


def write_failure(folder: Path, keys: dict[str, Any], error: str) -> None:
    """Record a failed run (the sweep goes on; the collector reports it)."""
    folder = Path(folder)
    (folder / DONE).unlink(missing_ok=True)
    atomic_write_json(folder / ERROR, {"keys": keys, "error": error})


def iter_runs(sweep_dir: Path) -> Iterator[Path]:
    """Folders of the runs of a sweep that have a DONE or ERROR marker."""
    root = Path(sweep_dir) / "runs"
    if not root.is_dir():
        return
    for arm in sorted(p for p in root.iterdir() if p.is_dir()):
        for run in sorted(p for p in arm.iterdir() if p.is_dir()):
            if (run / DONE).exists() or (run / ERROR).exists():
                yield run


def collect(sweep_dir: Path) -> dict[str, Any]:
    """Gather every finished run of a sweep into ``runs.parquet`` and ``timeseries.parquet``.

    Returns:
        Counts and the failures: ``{"done": n, "failed": n, "errors": [...]}``.
    """
    sweep_dir = Path(sweep_dir)
    rows, series, errors = [], [], []
    for folder in iter_runs(sweep_dir):
        if (folder / ERROR).exists():
            errors.append(json.loads((folder / ERROR).read_text()))
            continue
        meta = json.loads((folder / "inputs.json").read_text())
        summary = json.loads((folder / "summary.json").read_text())
        keys, inputs = meta["keys"], meta["inputs"]
        row = {**keys, **{f"in.{k}": v for k, v in inputs.items()}, **summary}
        rows.append(row)
        ts = pd.read_parquet(folder / "timeseries.parquet")
        for k, v in keys.items():
            ts.insert(0, k, v)
        series.append(ts)
    if rows:
        table = pd.DataFrame(rows)
        front = [c for c in ("arm", "sample", "replicate", "seed") if c in table.columns]
        inputs_cols = [c for c in table.columns if c.startswith("in.")]
        rest = [c for c in table.columns if c not in front and c not in inputs_cols]
        table = table[front + inputs_cols + rest].sort_values(front).reset_index(drop=True)
        atomic_write_with(sweep_dir / "runs.parquet", lambda p: table.to_parquet(p, index=False))
        ts_all = pd.concat(series, ignore_index=True)
        atomic_write_with(sweep_dir / "timeseries.parquet", lambda p: ts_all.to_parquet(p, index=False))
    return {"done": len(rows), "failed": len(errors), "errors": errors}
