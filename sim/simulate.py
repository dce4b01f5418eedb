"""One simulation run as a plain function call (no Hydra involved)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from time import perf_counter
from typing import Any

import numpy as np
import pandas as pd

from sim.config import SimConfig, build_config
from sim.interventions import INTERVENTION_NAMES, build_interventions
from sim.model.election import ElectionModel
from sim.model.metrics import TERM_KEYS, combine_terms, per_term_costs, summarize


@dataclass
class RunResult:
    """What one run produces.

    Attributes:
        summary: Outcome scalars (see docs/OUTPUTS in the README).
        timeseries: One row per day.
        model: The finished model (only when ``keep_model=True``), for inspecting agents.
        terms: One row per term (election) with its key outcomes; one row for a single term.
    """

    summary: dict[str, Any]
    timeseries: pd.DataFrame
    model: ElectionModel | None = None
    terms: pd.DataFrame | None = None


def build_model(cfg: SimConfig) -> ElectionModel:
    """The model for ``cfg`` with the interventions its configuration enables.

    Args:
        cfg: A typed configuration (see :func:`sim.config.build_config`).

    Returns:
        A built, not yet run, :class:`ElectionModel`.
    """
    return ElectionModel(cfg, interventions=build_interventions(cfg.interventions))


def simulate(
    config: SimConfig | Mapping[str, Any] | None = None, *, keep_model: bool = False, **overrides: Any
) -> RunResult:
    """Build, run and summarise one simulation.

    Args:
        config: A :class:`SimConfig`, or a (partial, nested) mapping merged onto the defaults.
        keep_model: Return the finished model too.
        **overrides: Dotted-key overrides, e.g. ``simulate(seed=3, **{"world.n_townships": 20})``.

    Returns:
        The run's summary, time series and, optionally, model.

    Example:
        >>> from sim import simulate
        >>> result = simulate({"scenario": "county", "seed": 1})
        >>> 0.0 <= result.summary["capture_rate_final"] <= 1.0
        True
    """
    cfg = build_config(config, **overrides)
    t0 = perf_counter()
    model = build_model(cfg)
    model.run()
    if model.n_terms == 1:
        summary = summarize(model, perf_counter() - t0)
    else:
        summary = combine_terms(model.term_summaries)
        summary["runtime_s"] = perf_counter() - t0
    for name in INTERVENTION_NAMES:
        summary.setdefault(f"units_{name}", 0.0)
        summary.setdefault(f"cost_{name}", 0.0)
    summary.update({f"time_{k}": v for k, v in model.timing.items()})
    series = pd.DataFrame(model.series.columns)
    term_day = np.arange(model.n_days) % model.term_days
    series["phase"] = np.where(
        term_day < model.congress_day, "campaign", np.where(term_day == model.congress_day, "congress", "post")
    )
    terms = pd.DataFrame(per_term_costs(model.term_summaries))[["term", *TERM_KEYS]] if model.term_summaries else None
    return RunResult(summary=summary, timeseries=series, model=model if keep_model else None, terms=terms)
