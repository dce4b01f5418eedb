"""The glue between Hydra and the simulator: schema registration, single runs, sweep jobs, callback.

Nothing else in the package imports Hydra; the model and the interventions take plain
dataclasses.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from sim.atomic_io import atomic_write_json, atomic_write_with
from sim.cli.configs import checked_config
from sim.cli.errors import os_error_line
from sim.cli.jobs import run_sweep_job
from sim.cli.schema import RunConfig
from sim.config import ConfigError, to_dict
from sim.config.runtime import LONG_RUN_SECONDS, check_runtime, describe_seconds
from sim.simulate import simulate

#: Set by ``--yes`` on the command line: runs and sweeps estimated over 10 minutes may start.
CONFIRMED = {"long": False}

#: Settings that say how a sweep runs; in a single run they would do nothing.
SWEEP_ONLY = ("replicates", "base_seed", "sensitivity", "sweep", "report", "optimise")


def main(cfg: DictConfig) -> None:
    """Entry point called by ``election-sim``: one run, or one job of a multirun."""
    # A log file that cannot be written (a full disk) must not print a traceback per line: the
    # failure itself is said once, by the command.
    logging.raiseExceptions = False
    if HydraConfig.get().mode == RunMode.MULTIRUN:
        run_sweep_job(cfg)
    else:
        run_single(cfg)


def run_single(cfg: DictConfig) -> dict[str, Any]:
    """Run one simulation; write ``summary.json``, ``timeseries.parquet`` and ``config.json``.

    Exits with status 2 and one line when the configuration is bad, a sweep's setting is given
    without ``-m``, the run is estimated over 10 minutes without ``--yes``, or the output folder
    cannot be written.
    """
    sim_cfg = checked_config(cfg)
    out = Path(HydraConfig.get().runtime.output_dir)
    try:
        refuse_sweep_settings(cfg)
        seconds = check_runtime(sim_cfg, confirmed=CONFIRMED["long"])
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    if seconds > LONG_RUN_SECONDS:
        print(f"[run] estimated {describe_seconds(seconds)} (confirmed with --yes)", file=sys.stderr)
    result = simulate(sim_cfg, allow_long=True)
    try:
        atomic_write_json(out / "summary.json", result.summary)
        atomic_write_with(out / "timeseries.parquet", lambda p: result.timeseries.to_parquet(p, index=False))
        atomic_write_json(out / "config.json", to_dict(sim_cfg))
    except OSError as exc:
        print(f"error: {os_error_line(exc, out)}", file=sys.stderr)
        raise SystemExit(2) from exc
    print(human_summary(result.summary))
    print(f"\noutputs: {out}/summary.json, {out}/timeseries.parquet")
    return result.summary


def refuse_sweep_settings(cfg: DictConfig) -> None:
    """Refuse, in a single run, an experiment or a sweep's setting that would do nothing.

    Raises:
        ConfigError: Naming the setting and its value, and saying to add ``-m``.
    """
    name = str(cfg.get("experiment_name", "single"))
    if name != "single":
        raise ConfigError(
            f"experiment={name} describes a sweep, not a single run: add -m (election-sim -m experiment={name})"
        )
    defaults = OmegaConf.structured(RunConfig)
    for key in SWEEP_ONLY:
        given = OmegaConf.to_container(cfg[key], resolve=True) if isinstance(cfg.get(key), DictConfig) else cfg.get(key)
        default = defaults[key]
        default = OmegaConf.to_container(default, resolve=True) if isinstance(default, DictConfig) else default
        if given != default:
            shown = _first_difference(key, given, default)
            raise ConfigError(
                f"{shown} does nothing in a single run (it sets how a sweep runs): add -m for a sweep, or leave it out"
            )


def _first_difference(key: str, given: Any, default: Any) -> str:
    """``key=value`` of the first nested setting that differs from its default."""
    if isinstance(given, dict) and isinstance(default, dict):
        for sub in given:
            if given[sub] != default.get(sub):
                return _first_difference(f"{key}.{sub}", given[sub], default.get(sub))
    return f"{key}={given}"


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
