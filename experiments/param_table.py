"""Print the parameter tables of docs/MODEL.md from the configuration schema (the single source).

python experiments/param_table.py > docs/PARAMETERS.md
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sim.config import iter_params
from sim.levers import lever_table


def main() -> None:
    """Print one Markdown table per configuration section."""
    print("# Parameters\n")
    print("Generated from `sim/config/` by `python experiments/param_table.py`; do not edit by hand.")
    print("Source: FACTS = a figure of the source report (shared/seed/FACTS.md); ASSUMPTION = chosen, to be")
    print("checked by calibration.\n")
    section = None
    for key, default, meta in iter_params():
        head = ".".join(key.split(".")[:-1]) or "run"
        if head != section:
            section = head
            print(f"\n## `{section}`\n")
            print("| key | default | bounds | unit | meaning | source |")
            print("|---|---|---|---|---|---|")
        lo, hi = meta.get("lo"), meta.get("hi")
        bounds = f"[{'' if lo is None else lo}, {'' if hi is None else hi}]" if (lo, hi) != (None, None) else ""
        print(
            f"| `{key}` | {default} | {bounds} | {meta.get('unit', '')} | {meta.get('doc', '')} "
            f"| {meta.get('source', 'ASSUMPTION') if meta else ''} |"
        )
    print("\n## Decision levers\n")
    print("What `experiment=optimise` searches (declared with `lever=` in `sim/config/interventions.py`; `sim/levers.py`). A lever's")
    print("value 0 means the intervention is not deployed (cost 0); an intervention with two levers is deployed when")
    print("either is above 0. A portfolio's cost is what the model books for it (`cost_total`, staff-days).\n")
    print("| lever | values searched | default (fixed arms) | unit | meaning |")
    print("|---|---|---|---|---|")
    for row in lever_table():
        print(
            f"| `{row['lever']}` | {row['values']} | {row['default (fixed arms)']} | {row['unit']} | {row['meaning']} |"
        )


if __name__ == "__main__":
    main()
