"""Print docs/PARAMETERS.md from the configuration schema and the settings' declarations (the single source).

python experiments/param_table.py > docs/PARAMETERS.md
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sim.calibration.sampler import SMCSettings
from sim.calibration.settings import Design
from sim.config import assumed_ranges, iter_params
from sim.levers import lever_table
from sim.optimise.settings import OptimiseConfig
from sim.sweeps.experiment import SweepSettings


def bounds(meta: dict[str, Any]) -> str:
    """The declared bounds in interval notation (open where the bound is exclusive), or the choices."""
    if "choices" in meta:
        return ", ".join(meta["choices"])
    lo = meta.get("above", meta.get("lo"))
    hi = meta.get("below", meta.get("hi"))
    if (lo, hi) == (None, None):
        return ""
    left = "(" if "above" in meta else "["
    right = ")" if "below" in meta else "]"
    return f"{left}{number(lo)}, {number(hi)}{right}"


def number(value: Any) -> str:
    """A bound as people read it: 2**63 - 1 by name, large whole numbers with separators."""
    if value is None:
        return ""
    if value == 2**63 - 1:
        return "2**63 - 1"
    return f"{value:,}" if isinstance(value, int) else str(value)


def shown(default: Any) -> str:
    """A default as the table shows it (a long mapping by its size)."""
    if isinstance(default, dict) and len(default) > 3:
        return f"{len(default)} entries (see the code)"
    return str(default)


def table(rows: list[tuple[str, Any, dict[str, Any]]], prefix: str = "", with_source: bool = True) -> None:
    """One Markdown table per section of ``rows``."""
    section = None
    order = {head: i for i, head in enumerate(dict.fromkeys(".".join(k.split(".")[:-1]) for k, _, _ in rows))}
    rows = sorted(rows, key=lambda row: order[".".join(row[0].split(".")[:-1])])  # stable: sections together
    for key, default, meta in rows:
        key = prefix + key
        head = ".".join(key.split(".")[:-1]) or "run"
        if head != section:
            section = head
            print(f"\n### `{section}`\n")
            print("| key | default | bounds | unit | meaning |" + (" source |" if with_source else ""))
            print("|---|---|---|---|---|" + ("---|" if with_source else ""))
        source = f" {meta.get('source', 'ASSUMPTION') if meta else ''} |" if with_source else ""
        print(
            f"| `{key}` | {shown(default)} | {bounds(meta)} | {meta.get('unit', '')} | {meta.get('doc', '')} |{source}"
        )


def assumed() -> None:
    """The table of assumed ranges: the parameters nobody fitted, with the range the decision sweeps draw."""
    print("\n## Assumed ranges\n")
    print("Parameters that set an intervention's strength or a key mechanism and that the calibration does not fit:")
    print("each is an *assumption*, with the prior range `sensitivity.assumptions=true` draws it from (a Latin")
    print("hypercube common to every arm, beside the posterior's draws; docs/ASSUMPTIONS.md) and the reasoning.")
    print("U: uniform; LU: log-uniform.\n")
    print("| key | default | assumed range | reasoning |")
    print("|---|---|---|---|")
    for key, a in assumed_ranges().items():
        span = f"{'LU' if a['log'] else 'U'}[{number(a['low'])}, {number(a['high'])}]"
        print(f"| `{key}` | {shown(a['default'])} | *assumed* {span} | {a['reason']} |")


def main() -> None:
    """Print the model's parameters, the decision levers, and the settings of sweeps, optimiser and calibration."""
    print("# Parameters and settings\n")
    print("Generated from the declarations in `sim/config/` (the model), `sim/sweeps/experiment.py`,")
    print("`sim/optimise/settings.py` and `sim/calibration/settings.py` by `python experiments/param_table.py`;")
    print("do not edit by hand. Bounds in brackets are inclusive, in parentheses exclusive; every value is")
    print("checked against them before anything runs.")
    print()
    print("## Model parameters\n")
    print("Source: FACTS = a figure of the source report (shared/seed/FACTS.md); LIT = the literature;")
    print("POSTERIOR / FIT = the calibration (docs/VALIDATION.md); LAW = the election law; ASSUMPTION = chosen.")
    table(iter_params())
    assumed()
    print("\n## Decision levers\n")
    print("What `experiment=optimise` searches (declared with `lever=` in `sim/config/interventions.py`;")
    print("`sim/levers.py`). A lever's value 0 means the intervention is not deployed (cost 0); an intervention")
    print("with two levers is deployed when either is above 0. A portfolio's cost is what the model books for it")
    print("(`cost_total`, staff-days).\n")
    print("| lever | values searched | default (fixed arms) | unit | meaning |")
    print("|---|---|---|---|---|")
    for row in lever_table():
        print(
            f"| `{row['lever']}` | {row['values']} | {row['default (fixed arms)']} | {row['unit']} | {row['meaning']} |"
        )
    print("\n## Sweep settings\n")
    print("How a sweep runs (`experiments/run.py -m ...`): top-level keys beside the model's.")
    table(iter_params(SweepSettings()), with_source=False)
    print("\n## Optimisation settings\n")
    print("`experiment=optimise` (`optimise.*`); the rules between settings are in `sim/optimise/checks.py`.")
    table(iter_params(OptimiseConfig()), prefix="optimise.", with_source=False)
    print("\n## Calibration settings\n")
    print("`experiments/calibrate.py` (its `FULL` and `QUICK` designs set some of these), and the sampler's own.")
    table(iter_params(Design()), prefix="design.", with_source=False)
    table(iter_params(SMCSettings()), prefix="sampler.", with_source=False)


if __name__ == "__main__":
    main()
