"""The glue between Hydra and the simulator: schema registration, single runs, sweep jobs, callback.

Nothing else in the package imports Hydra; the model and the interventions take plain
dataclasses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from sim.atomic_io import atomic_write_json, atomic_write_with
from sim.cli.configs import checked_config
from sim.cli.jobs import run_sweep_job
from sim.config import to_dict
from sim.simulate import simulate


def main(cfg: DictConfig) -> None:
    """Entry point called by ``experiments/run.py``: one run, or one job of a multirun."""
    if HydraConfig.get().mode == RunMode.MULTIRUN:
        run_sweep_job(cfg)
    else:
        run_single(cfg)


def run_single(cfg: DictConfig) -> dict[str, Any]:
    """Run one simulation; write ``summary.json``, ``timeseries.parquet`` and ``config.json``."""
    sim_cfg = checked_config(cfg)
    out = Path(HydraConfig.get().runtime.output_dir)
    result = simulate(sim_cfg)
    atomic_write_json(out / "summary.json", result.summary)
    atomic_write_with(out / "timeseries.parquet", lambda p: result.timeseries.to_parquet(p, index=False))
    atomic_write_json(out / "config.json", to_dict(sim_cfg))
    print(human_summary(result.summary))
    print(f"\noutputs: {out}/summary.json, {out}/timeseries.parquet")
    return result.summary


def human_summary(s: dict[str, Any]) -> str:
    """A short text summary of one run."""
    lines = [
        f"scenario {s['scenario']} | seed {s['seed']} | interventions: {s['interventions']}",
        f"  {s['townships']} townships, {s['delegates']:,} delegates, {s['candidates']} candidates, "
        f"{s['brokers']} brokers; {s['buyers']} candidates bought votes",
        f"  seats vote buying changed: {s['seats_bought']}/{s['seats']} on congress day "
        f"({s['bought_seat_rate']:.1%}), {s['seats_bought_final']} after unseating "
        f"({s['bought_seat_rate_final']:.1%}); seats held by candidates who paid: {s['payer_seats_final']}; "
        f"seats removals changed: {s['seats_changed_by_removals_final']}",
        f"  delegates bribed: {s['delegates_bribed']:,} ({s['bribed_share']:.1%}); offers {s['offers']:,}, "
        f"accepted {s['offers_accepted']:,}; bought votes not delivered {s['defections']}",
        f"  tips {s['tips']:,}, substantiated {s['tips_substantiated']} ({s['substantiation_rate']:.1%}), "
        f"mean resolution {s['mean_resolution_days']:.1f} days",
        f"  detected before the vote {s['detected_before_vote']}, winners unseated {s['winners_unseated']}, "
        f"township visits {s['township_visits']} ({s['problems_per_visit']:.2f} problems/visit)",
        f"  candidates removed: tainted {s['tainted_removed']}, honest {s['honest_removed']}; "
        f"merit loss {s['merit_loss']:+.3f} per seat",
        f"  cost {s['cost_total']:,.0f} staff-days | runtime {s['runtime_s']:.2f} s",
    ]
    return "\n".join(lines)
