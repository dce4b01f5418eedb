"""Scenario discovery with EMA Workbench: 100 experiments, then a PRIM box.

    python experiments/ema_prim.py            # about a minute on two cores

Uncertainties: how much delegates care about money and about their peers, and trust in the
hotline (ranges from the configuration schema). Levers: the six interventions switched on or
off. Ten scenarios x ten policies (Latin hypercube samples, seeded); each experiment runs two
replicates on the sweeps' replicate seeds (common random numbers).
PRIM then looks for the conditions under which an election stays nearly clean (fewer than one
bought seat in 36, averaged over the replicates). Needs the ``ema`` extra.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ema_workbench import MultiprocessingEvaluator
from ema_workbench.analysis import prim

from sim.interop.ema import ema_model, prim_inputs


def main() -> None:
    """Run the experiments and print the first PRIM box."""
    model = ema_model(
        uncertainties=["delegates.money_weight", "delegates.norm_weight", "reporting.trust_initial"],
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
    print(f"{len(x)} experiments; {clean.sum()} nearly clean")
    switches = x.filter(like=".enabled").rename(columns=lambda c: c.split(".")[1]).astype(int)
    print("share nearly clean, by policy (1 = switched on):")
    print(switches.assign(clean=clean).groupby(list(switches.columns)).clean.mean().to_string())
    box = prim.Prim(x, clean).find_box()
    box.inspect()


if __name__ == "__main__":
    main()
