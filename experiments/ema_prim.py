"""Scenario discovery with EMA Workbench: 100 experiments, then a PRIM box.

    python experiments/ema_prim.py               # prints the result
    python experiments/ema_prim.py --write-docs  # and rewrites its block of docs/INTEROP.md

Uncertainties: how much delegates care about money and about their peers, and trust in the
hotline (ranges from the configuration schema). Levers: the six interventions switched on or
off. Ten scenarios x ten policies (Latin hypercube samples, seeded); each experiment runs two
replicates on the sweeps' replicate seeds (common random numbers).
PRIM then looks for the conditions under which an election stays nearly clean (fewer than one
bought seat in 36, averaged over the replicates). Needs the ``ema`` extra.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import pandas as pd
from doc_blocks import write_block
from ema_workbench import MultiprocessingEvaluator
from ema_workbench.analysis import prim

from sim.interop.ema import ema_model, prim_inputs

UNCERTAINTIES = ["delegates.money_weight", "delegates.norm_weight", "reporting.trust_initial"]


@dataclass
class PrimResult:
    """What the example finds.

    Attributes:
        policies: One row per sampled policy: its switches (1 on) and in how many of the
            scenarios it stayed nearly clean.
        n_experiments: Experiments run.
        n_clean: Experiments nearly clean.
        stats: The first box's coverage, density, mass and restricted dimensions.
        limits: The first box's restrictions: one row per restricted input, its ``low`` and
            ``high`` limits and the smaller quasi-p of its two (``quasi_p``).
    """

    policies: pd.DataFrame
    n_experiments: int
    n_clean: int
    stats: pd.Series
    limits: pd.DataFrame


def run() -> PrimResult:
    """Run the experiments on two processes, then PRIM's first box."""
    model = ema_model(
        uncertainties=UNCERTAINTIES,
        levers=["interventions.*.enabled"],
        outcomes=["bought_seat_rate_final", "cost_total", "honest_removed"],
        replications=2,
    )
    with MultiprocessingEvaluator(model, n_processes=2) as evaluator:
        experiments, outcomes = evaluator.perform_experiments(
            scenarios=10, policies=10, uncertainty_sampling_kwargs={"rng": 1}, lever_sampling_kwargs={"rng": 2}
        )
    x, y = prim_inputs(experiments, outcomes)
    clean = y["bought_seat_rate_final"] < 1 / 36
    switches = x.filter(like=".enabled").rename(columns=lambda c: c.split(".")[1]).astype(int)
    policies = switches.assign(clean=clean).groupby(list(switches.columns)).clean.agg(["sum", "count"]).reset_index()
    box = prim.Prim(x, clean).find_box()
    stats, table = box.inspect(style="data")[0]
    # EMA's table: (box, min), (box, max), then the quasi-p of the lower and of the upper limit.
    quasi_p = table.iloc[:, 2:].min(axis=1)
    limits = pd.DataFrame({"low": table.iloc[:, 0], "high": table.iloc[:, 1], "quasi_p": quasi_p})
    return PrimResult(policies, len(x), int(clean.sum()), stats, limits)


def render(result: PrimResult) -> str:
    """The result as the Markdown block of docs/INTEROP.md."""
    names = [c for c in result.policies.columns if c not in ("sum", "count")]
    lines = [
        f"{result.n_clean} of the {result.n_experiments} experiments are nearly clean (a mean bought-seat rate "
        "after unseating below 1/36: one seat in a county's 36).",
        "",
        "| interventions switched on (a sampled policy) | experiments nearly clean |",
        "|---|---:|",
    ]
    ordered = result.policies.sort_values(["sum", *names], ascending=False)
    for _, row in ordered.iterrows():
        on = [n for n in names if row[n]]
        lines.append(f"| {', '.join(on) if on else 'none'} | {row['sum']} of {row['count']} |")
    s = result.stats
    lines += [
        "",
        f"PRIM's first box: coverage {s['coverage']:.2f}, density {s['density']:.2f}, mass {s['mass']:.2f}, "
        f"{int(s['res_dim'])} restricted inputs:",
        "",
        "| input | low | high | quasi-p |",
        "|---|---:|---:|---:|",
    ]
    for key, row in result.limits.iterrows():
        lines.append(f"| `{key}` | {row['low']:.3g} | {row['high']:.3g} | {row['quasi_p']:.2g} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    """Run the experiments, print the result and optionally write it into docs/INTEROP.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-docs", action="store_true", help="rewrite the block in docs/INTEROP.md")
    args = parser.parse_args(argv)
    text = render(run())
    print(text)
    if args.write_docs:
        write_block("ema_prim", text)


if __name__ == "__main__":
    main()
