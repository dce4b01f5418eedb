"""A sweep folder's plan: the runs it holds, their full inputs and the code that computes them.

``SWEEP_DIR/manifest.json`` is written when a sweep starts, before any run::

    {"format": 1,
     "code": {"id": ..., "sim_hash": ..., "commit": ..., "versions": {...}},
     "experiment": ..., "base_seed": ..., "replicates": ..., "sensitivity": {...},
     "arm_keys": [...],                      # the keys whose values make the arms
     "arms": {label: {"overrides": [...], "inputs": {dotted key: value}}},   # seed left out
     "runs": [{"arm", "run_id", "sample", "replicate", "seed", "overrides", "fingerprint"}]}

A rerun into the folder is compared with it (:func:`reconcile`): the same plan resumes, a plan
that only adds replicates or arms extends it, anything else is refused before anything runs,
naming what differs.  Collection and the report read the manifest's runs, never whatever else
lies in the folder.

The code version of a run is the hash of the ``sim/`` package's source (so uncommitted changes
count) and of the versions of the packages the numbers depend on; the git commit is recorded
beside it.  A commit that leaves ``sim/`` and those packages as they were (documentation, tests)
leaves the results valid.
"""

from __future__ import annotations

import copy
import hashlib
import json
import platform
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from sim.atomic_io import atomic_write_json, json_default
from sim.config import ConfigError

MANIFEST = "manifest.json"
FORMAT = 1

#: Packages whose versions are part of a run's identity (they can change the numbers).
RECORDED_PACKAGES = ("mesa", "numpy", "scipy", "networkx", "pandas", "pyarrow", "hydra-core", "SALib", "matplotlib")

#: What ``sweep.on_change`` may say when a rerun's plan differs from the folder's.
ON_CHANGE = ("refuse", "archive", "discard")

#: Files and folders of a sweep that belong to its plan (moved or deleted together); the last four are
#: an optimisation's (sim/optimise/).
SWEEP_CONTENT = (
    MANIFEST,
    "sweep.json",
    "runs",
    "runs.parquet",
    "timeseries.parquet",
    "report",
    "jobs",
    ".submitit",
    "optimise.json",
    "study.journal",
    "batches",
    "trials.parquet",
)

SIM_ROOT = Path(__file__).resolve().parent.parent


class PlanChangedError(ConfigError):
    """A rerun's plan differs from the one the sweep folder holds."""


#: Parts of ``sim`` that never compute a run: statistics, reports and calibration, and the
#: optimisation's numbers and report, only read stored runs and choose which to plan, so a fix to a
#: report does not make a folder's runs another code's (every run's inputs are in its fingerprint).
#: The layering test keeps the model, the interventions and ``sim.simulate`` from importing them.
NOT_RUN_CODE = (
    "stats",
    "report",
    "calibration",
    "optimise/portfolios.py",
    "optimise/robustness.py",
    "optimise/sentences.py",
    "optimise/sections.py",
    "optimise/figures.py",
    "optimise/report.py",
)


def sim_hash(root: Path = SIM_ROOT) -> str:
    """Hash of every source file of the ``sim`` package that computes runs (path and content).

    Files under :data:`NOT_RUN_CODE` are left out.
    """
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        if any(relative == part or relative.startswith(part + "/") for part in NOT_RUN_CODE):
            continue
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def git_commit(root: Path = SIM_ROOT) -> str:
    """The current commit (with '+dirty' if tracked files changed), or '' outside a git checkout."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True, timeout=30
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout.strip()
        return commit + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return ""


def package_versions() -> dict[str, str]:
    """Versions of Python and of the packages results depend on."""
    out = {"python": platform.python_version()}
    for name in RECORDED_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def code_id(source: str | None = None, versions: dict[str, str] | None = None) -> str:
    """The identity of the code that computes runs: sim/'s source and the packages' versions."""
    source = sim_hash() if source is None else source
    versions = package_versions() if versions is None else versions
    return hashlib.sha256(json.dumps([source, versions], sort_keys=True).encode()).hexdigest()[:16]


def code_version() -> dict[str, Any]:
    """The code that computes runs: ``id`` (see :func:`code_id`), sim/'s hash, commit, versions."""
    versions = package_versions()
    source = sim_hash()
    return {"id": code_id(source, versions), "sim_hash": source, "commit": git_commit(), "versions": versions}


def fingerprint(inputs: dict[str, Any], code_id: str) -> str:
    """A run's identity: its full inputs and the code version."""
    text = json.dumps({"inputs": inputs, "code": code_id}, sort_keys=True, default=json_default)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass
class Plan:
    """The runs a sweep plans (see the module docstring for the file's layout)."""

    code: dict[str, Any]
    experiment: str
    base_seed: int
    replicates: int
    sensitivity: dict[str, Any]
    arm_keys: list[str]
    arms: dict[str, dict[str, Any]] = field(default_factory=dict)
    runs: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The manifest's content."""
        return {"format": FORMAT, **self.__dict__}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Plan:
        """A plan from a manifest's content."""
        return cls(**{k: v for k, v in data.items() if k != "format"})

    def runs_of(self, arm: str) -> list[dict[str, Any]]:
        """The planned runs of one arm."""
        return [r for r in self.runs if r["arm"] == arm]


def read_plan(sweep_dir: Path) -> Plan | None:
    """The plan stored in a sweep folder, or None if it has none.

    Raises:
        ConfigError: The manifest exists but cannot be read.
    """
    path = Path(sweep_dir) / MANIFEST
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path} cannot be read ({exc}): move it aside or use another hydra.sweep.dir") from exc
    if data.get("format") != FORMAT:
        raise ConfigError(f"{path} has format {data.get('format')!r}, not {FORMAT}: use another hydra.sweep.dir")
    return Plan.from_json(data)


def write_plan(sweep_dir: Path, plan: Plan) -> None:
    """Store the plan (atomically)."""
    atomic_write_json(Path(sweep_dir) / MANIFEST, plan.to_json())


def _diff(old: dict[str, Any], new: dict[str, Any], limit: int = 5) -> list[str]:
    keys = sorted(set(old) | set(new))
    out = [f"{k}: {old.get(k, '(absent)')!r} -> {new.get(k, '(absent)')!r}" for k in keys if old.get(k) != new.get(k)]
    return [*out[:limit], f"... and {len(out) - limit} more"] if len(out) > limit else out


def differences(old: Plan, new: Plan) -> list[str]:
    """What keeps ``new`` from resuming or extending ``old`` (empty if it may)."""
    diffs: list[str] = []
    if old.code["id"] != new.code["id"]:
        diffs.append(
            f"code version: planned with {old.code['id']} (sim/ {old.code['sim_hash']}, commit "
            f"{old.code.get('commit') or '?'}), now {new.code['id']} (sim/ {new.code['sim_hash']}, commit "
            f"{new.code.get('commit') or '?'})"
        )
    for name in ("experiment", "base_seed", "sensitivity", "arm_keys"):
        if getattr(old, name) != getattr(new, name):
            diffs.append(f"{name}: planned {getattr(old, name)!r}, now {getattr(new, name)!r}")
    if new.replicates < old.replicates:
        diffs.append(
            f"replicates: the folder plans {old.replicates} per arm, this command {new.replicates} "
            f"(a plan can grow, not shrink: use replicates={old.replicates} or more)"
        )
    missing = [a for a in old.arms if a not in new.arms]
    if missing:
        diffs.append(f"arms: the folder plans {', '.join(missing)}, which this command does not run")
    for arm, spec in new.arms.items():
        if arm in old.arms and old.arms[arm]["inputs"] != spec["inputs"]:
            diffs.append(f"inputs of arm {arm}: " + "; ".join(_diff(old.arms[arm]["inputs"], spec["inputs"])))
    return diffs


def merged(old: Plan, new: Plan) -> Plan:
    """``old`` extended by the arms and replicates of ``new`` (which :func:`differences` allowed)."""
    have = {(r["arm"], r["run_id"]) for r in old.runs}
    out = Plan.from_json(copy.deepcopy(old.to_json()))
    out.replicates = max(old.replicates, new.replicates)
    out.code = {**new.code, "first_commit": old.code.get("first_commit", old.code.get("commit", ""))}
    for arm, spec in new.arms.items():
        out.arms.setdefault(arm, spec)
    out.runs += [r for r in new.runs if (r["arm"], r["run_id"]) not in have]
    return out


def reconcile(sweep_dir: Path, new: Plan, on_change: str) -> tuple[Plan, str]:
    """The plan to run in ``sweep_dir``, after comparing ``new`` with the folder's.

    Args:
        sweep_dir: The sweep folder (the caller holds its lock).
        new: The plan of this command.
        on_change: ``refuse``, ``archive`` (move the old plan's files to ``archive/<time>/``) or
            ``discard`` (delete them), for a plan that differs from the folder's.

    Returns:
        The plan to store and run, and a word for what happened: ``new``, ``resume``,
        ``extend``, ``archived`` or ``discarded``.

    Raises:
        PlanChangedError: The plans differ and ``on_change`` is ``refuse``; the message names the
            differences and the ways to proceed.
    """
    sweep_dir = Path(sweep_dir)
    if on_change not in ON_CHANGE:
        raise ConfigError(f"sweep.on_change={on_change!r} must be one of {', '.join(ON_CHANGE)}")
    old = read_plan(sweep_dir)
    if old is None:
        stray = any(sweep_dir.glob("runs/*/*/DONE")) or any(sweep_dir.glob("runs/*/*/ERROR"))
        if stray and on_change == "refuse":
            raise PlanChangedError(
                f"{sweep_dir} holds runs but no {MANIFEST} (a sweep of an older version, or not a sweep): "
                "use another hydra.sweep.dir, or sweep.on_change=archive or sweep.on_change=discard"
            )
        if stray:
            return new, _set_aside(sweep_dir, on_change)
        return new, "new"
    diffs = differences(old, new)
    if not diffs:
        grown = merged(old, new)
        return grown, "extend" if len(grown.runs) > len(old.runs) else "resume"
    if on_change == "refuse":
        raise PlanChangedError(
            f"{sweep_dir} holds another plan; this command differs in:\n  - "
            + "\n  - ".join(diffs)
            + "\nNothing was run. To keep both, use another folder (hydra.sweep.dir=...); to start this plan "
            "here, add sweep.on_change=archive (moves the old runs to archive/) or sweep.on_change=discard "
            "(deletes them)."
        )
    return new, _set_aside(sweep_dir, on_change)


def _set_aside(sweep_dir: Path, on_change: str) -> str:
    """Move (``archive``) or delete (``discard``) the files of the folder's old plan."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = sweep_dir / "archive" / stamp
    for name in SWEEP_CONTENT:
        path = sweep_dir / name
        if not path.exists():
            continue
        if on_change == "archive":
            target.mkdir(parents=True, exist_ok=True)
            path.rename(target / name)
        elif path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
    return "archived" if on_change == "archive" else "discarded"
