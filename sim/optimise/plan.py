"""The optimisation folder's plan (``optimise.json``): what identifies a search, and rerun reconciliation."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from importlib import metadata
from pathlib import Path
from typing import Any

from sim.atomic_io import atomic_write_json
from sim.config import ConfigError, SimConfig, flatten, to_dict
from sim.levers import (
    SearchedLever,
)
from sim.optimise.portfolios import OBJECTIVES
from sim.optimise.settings import OptimiseConfig
from sim.sweeps.experiment import SensitivityConfig
from sim.sweeps.manifest import MANIFEST, code_version
from sim.sweeps.store import DONE

PLAN, STUDY, BATCHES = "optimise.json", "study.journal", "batches"


TRIALS, RUNS, META, REPORT_DIR = "trials.parquet", "runs.parquet", "sweep.json", "report"


FORMAT = 1


#: Distribution index of NSGA-II's polynomial mutation (see :meth:`Optimiser.sampler`).
MUTATION_ETA = 5.0


# ------------------------------------------------------------------------------------ the plan
def search_identity(
    base: SimConfig, levers: tuple[SearchedLever, ...], opt: OptimiseConfig, base_seed: int
) -> dict[str, Any]:
    """What makes the search's trials what they are (a rerun with other values is refused)."""
    inputs = flatten(to_dict(base))
    inputs.pop("seed", None)
    return {
        "levers": [{"key": s.key, "values": list(s.values)} for s in levers],
        "objectives": list(OBJECTIVES),
        "population": opt.population,
        "replicates": opt.replicates,
        "seed": opt.seed,
        "base_seed": base_seed,
        "base_inputs": inputs,
        "optuna": metadata.version("optuna"),
        "sampler": f"NSGA-II, grid-index encoding, SBX crossover, polynomial mutation eta {MUTATION_ETA:g}",
    }


def make_plan(
    base: SimConfig,
    levers: tuple[SearchedLever, ...],
    opt: OptimiseConfig,
    sens: SensitivityConfig,
    base_seed: int,
    experiment: str = "optimise",
) -> dict[str, Any]:
    """The folder's plan (``optimise.json``)."""
    return {
        "format": FORMAT,
        "experiment": experiment,
        "code": code_version(),
        "search": search_identity(base, levers, opt, base_seed),
        "generations": opt.generations,
        "reevaluate": dataclasses.asdict(opt.reevaluate),
        "robustness": dataclasses.asdict(opt.robustness),
        "budgets": sorted(float(b) for b in opt.budgets),
        "sensitivity_parameters": {k: list(v) for k, v in sens.parameters.items()},
        "jobs": opt.jobs,
    }


def plan_differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What keeps ``new`` from resuming or extending ``old`` (empty if it may)."""
    diffs = []
    if old.get("code", {}).get("id") != new["code"]["id"]:
        diffs.append(
            f"code version: planned with {old.get('code', {}).get('id')} (commit "
            f"{old.get('code', {}).get('commit') or '?'}), now {new['code']['id']} (commit {new['code'].get('commit')})"
        )
    o, n = old.get("search", {}), new["search"]
    for key in sorted(set(o) | set(n)):
        if key == "base_inputs":
            changed = [k for k in sorted(set(o.get(key, {})) | set(n[key])) if o.get(key, {}).get(k) != n[key].get(k)]
            diffs += [f"input {k}: {o.get(key, {}).get(k)!r} -> {n[key].get(k)!r}" for k in changed[:5]]
            if len(changed) > 5:
                diffs.append(f"... and {len(changed) - 5} more inputs")
        elif o.get(key) != n.get(key):
            diffs.append(f"optimise {key}: planned {o.get(key)!r}, now {n.get(key)!r}")
    if new["generations"] < old.get("generations", 0):
        diffs.append(
            f"optimise.generations: the folder's search has {old['generations']}, this command {new['generations']} "
            f"(a search can grow, not shrink: use optimise.generations={old['generations']} or more)"
        )
    return diffs


def reconcile_plan(sweep_dir: Path, new: dict[str, Any], on_change: str) -> str:
    """Compare the command's plan with the folder's; store it and say what happens.

    Returns:
        ``new``, ``resume``, ``extend``, ``archived`` or ``discarded``.

    Raises:
        PlanChangedError: The plans differ and ``on_change`` is ``refuse``.
    """
    from sim.sweeps.manifest import ON_CHANGE, PlanChangedError, _set_aside

    if on_change not in ON_CHANGE:
        raise ConfigError(f"sweep.on_change={on_change!r} must be one of {', '.join(ON_CHANGE)}")
    path = sweep_dir / PLAN
    what = "new"
    if path.exists():
        try:
            old = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{path} cannot be read ({exc}): move it aside or use another hydra.sweep.dir") from exc
        diffs = plan_differences(old, new)
        if not diffs:
            what = "extend" if new["generations"] > old.get("generations", 0) else "resume"
        elif on_change == "refuse":
            raise PlanChangedError(
                f"{sweep_dir} holds another optimisation; this command differs in:\n  - "
                + "\n  - ".join(diffs)
                + "\nNothing was run. To keep both, use another folder (hydra.sweep.dir=...); to start this plan "
                "here, add sweep.on_change=archive (moves the old files to archive/) or sweep.on_change=discard."
            )
        else:
            what = _set_aside(sweep_dir, on_change)
    elif (sweep_dir / MANIFEST).exists() or any(sweep_dir.glob(f"runs/*/*/{DONE}")):
        if on_change == "refuse":
            raise PlanChangedError(
                f"{sweep_dir} holds another sweep (runs without {PLAN}): use another hydra.sweep.dir, or "
                "sweep.on_change=archive or sweep.on_change=discard"
            )
        what = _set_aside(sweep_dir, on_change)
    atomic_write_json(path, new)
    return what


def plan_digest(sweep_dir: Path) -> str:
    """SHA-256 of the folder's plan file as written (``sweep.json`` records the plan it ran)."""
    return hashlib.sha256((Path(sweep_dir) / PLAN).read_bytes()).hexdigest()
