"""Optimisation with EMA Workbench: ε-NSGA-II over the decision levers, bought seats against cost.

    python experiments/ema_optimise.py               # prints the front
    python experiments/ema_optimise.py --write-docs  # and rewrites its block of docs/INTEROP.md

The levers are the seven decision levers of ``sim/levers.py`` (0: the intervention is not
deployed), at county scale; each portfolio runs two replicates on the sweeps' replicate seeds
(common random numbers), and EMA's ε-NSGA-II minimises the mean bought-seat rate after unseating
and the mean cost in staff-days.  The first population holds the comparison's fixed arms (no
intervention, each alone, all six), the rest is random.  Needs the ``ema`` extra.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import pandas as pd
from doc_blocks import write_block
from ema_workbench import MultiprocessingEvaluator

from sim.interop.ema import config_key, ema_model, fixed_arm_samples
from sim.interop.params import run_overrides, select_params
from sim.levers import LEVERS, OFF, deployed_levers
from sim.simulate import resolve_config

OUTCOMES = {"bought_seat_rate_final": "min", "cost_total": "min"}
#: ε per objective, below which two portfolios count as one: one bought seat in the two replicates
#: of a county's 36 seats (1/72, the smallest difference the mean can show), and 20 staff-days (a
#: team of four for five days).
EPSILONS = [1 / 72, 20.0]
NFE, POPULATION, REPLICATIONS, SEED = 160, 16, 2, 1

#: How each deployed lever is written in the front's table (``{}``: its value, a share in per cent).
LABELS = {
    "interventions.warning_education.coverage": "education {}",
    "interventions.risk_screening.enabled": "screening",
    "interventions.candidate_vetting.coverage": "vetting {}",
    "interventions.tipoff_resolution.capacity_multiplier": "tip-offs x{}",
    "interventions.team_inspection.n_teams": "{} teams",
    "interventions.pledges_talks.delegate_coverage": "pledges {}",
    "interventions.pledges_talks.candidate_coverage": "talks {}",
}


def lever_text(key: str, value: float) -> str:
    """A deployed lever's value as the front's table writes it (``education 61%``, ``4 teams``)."""
    if not key.endswith("coverage"):
        return LABELS[key].format(f"{value:.2g}")
    return LABELS[key].format(f"{value:.0%}" if value >= 0.1 else f"{value:.1%}")


def run() -> pd.DataFrame:
    """Run ε-NSGA-II on two processes and return its front (one row per portfolio, cheapest first).

    Returns:
        EMA's front: the levers (EMA names) and the two objectives.
    """
    model = ema_model(levers="decision", outcomes=OUTCOMES, replications=REPLICATIONS)
    with tempfile.TemporaryDirectory() as tmp, MultiprocessingEvaluator(model, n_processes=2) as evaluator:
        front, _ = evaluator.optimize(
            nfe=NFE,
            epsilons=EPSILONS,
            population_size=POPULATION,
            initial_population=fixed_arm_samples(model),
            rng=SEED,
            directory=tmp,
            filename="archive.tar.gz",
        )
    return front.sort_values(["cost_total", "bought_seat_rate_final"]).reset_index(drop=True)


def portfolio(row: pd.Series) -> str:
    """A front row's portfolio as it was run (e.g. ``screening, 12 teams``; ``none``).

    A lever between 0 and its lowest deployed value deploys that value (tip-offs x1), as the run did.
    """
    specs = select_params(["decision"])
    values = {config_key(name): row[name] for name in row.index if config_key(name) in LABELS}
    cfg = resolve_config(**run_overrides(values, specs))
    deployed = deployed_levers(cfg)
    parts = [lever_text(lv.key, deployed[lv.key]) for lv in LEVERS if deployed[lv.key] != OFF]
    return ", ".join(parts) if parts else "none"


def render(front: pd.DataFrame) -> str:
    """The settings and the front, as the Markdown block of docs/INTEROP.md."""
    lines = [
        "```python",
        f"OUTCOMES = {OUTCOMES!r}",
        f"EPSILONS = [1 / {round(1 / EPSILONS[0])}, {EPSILONS[1]!r}]",
        f"NFE, POPULATION, REPLICATIONS, SEED = {NFE}, {POPULATION}, {REPLICATIONS}, {SEED}",
        "```",
        "",
        f"County scale, this repository's defaults: {len(front)} portfolios on the ε-front, cheapest first "
        f"(the mean of {REPLICATIONS} replicates each):",
        "",
        "| portfolio | bought-seat rate after unseating | cost (staff-days) |",
        "|---|---:|---:|",
    ]
    for _, row in front.iterrows():
        lines.append(f"| {portfolio(row)} | {row['bought_seat_rate_final']:.1%} | {row['cost_total']:,.0f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    """Run the optimisation, print its front and optionally write it into docs/INTEROP.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-docs", action="store_true", help="rewrite the block in docs/INTEROP.md")
    args = parser.parse_args(argv)
    text = render(run())
    print(text)
    if args.write_docs:
        write_block("ema_optimise", text)


if __name__ == "__main__":
    main()
