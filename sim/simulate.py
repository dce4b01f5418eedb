"""One simulation run as a plain function call (no Hydra involved)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from time import perf_counter
from typing import Any

import numpy as np
import pandas as pd

from sim.config import ConfigError, SimConfig, build_config, check_keys, merge_plain, plain_values
from sim.config.runtime import check_runtime
from sim.interventions import INTERVENTION_NAMES, build_interventions
from sim.model.batch import BatchError, ElectionBatch
from sim.model.election import ElectionModel
from sim.model.metrics import TERM_KEYS, combine_terms, per_term_costs, summarize
from sim.presets import compose

#: Daily series that count things: stored as integers.
COUNT_SERIES = (
    "day",
    "days_to_congress",
    "offers",
    "offers_accepted",
    "tips",
    "tips_closed",
    "tips_substantiated",
    "tips_queued",
    "detections",
    "brokers_active",
    "buyers_funding",
    "township_visits",
    "term",
    "seats_bought",
    "delegates_sanctioned",
)


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
    config: SimConfig | Mapping[str, Any] | None = None,
    *,
    seed: int | None = None,
    keep_model: bool = False,
    allow_long: bool = False,
    **overrides: Any,
) -> RunResult:
    """Build, run and summarise one simulation.

    A mapping is composed as the command line composes it: the ``scenario`` preset (default
    ``county``) and the ``policy`` preset (default ``none``) are read from ``sim/conf/``, or chosen
    by a ``province`` preset (a province's package on its own world), then the mapping's other
    keys, then ``seed`` and the dotted overrides, so
    ``simulate({"scenario": "city", "policy": "all"}, seed=3)`` runs exactly what
    ``experiments/run.py scenario=city policy=all seed=3`` runs.  A :class:`SimConfig` is taken
    as it is.  Unknown keys at any level are rejected; numpy scalars are accepted.

    Args:
        config: A :class:`SimConfig`, or a (partial, nested) mapping.
        seed: The run's seed (overrides the configuration's).
        keep_model: Return the finished model too.
        allow_long: Run even when the run is estimated to take over 10 minutes
            (:func:`sim.config.runtime.runtime_estimate`); otherwise such a run is refused first.
        **overrides: Dotted-key overrides, e.g. ``simulate(seed=3, **{"world.n_townships": 20})``.

    Returns:
        The run's summary, time series and, optionally, model.

    Raises:
        ConfigError: Naming the key and the value of any bad input, before anything runs; a
            :class:`sim.config.runtime.LongRunError` for a run estimated over 10 minutes.

    Example:
        >>> from sim import simulate
        >>> result = simulate({"scenario": "county"}, seed=1)
        >>> 0.0 <= result.summary["bought_seat_rate_final"] <= 1.0
        True
    """
    cfg = resolve_config(config, seed=seed, **overrides)
    check_runtime(cfg, confirmed=allow_long)
    t0 = perf_counter()
    model = build_model(cfg)
    model.run()
    return _result(model, perf_counter() - t0, keep_model)


#: Townships a batch holds at most: 1,200 townships are ~100,000 delegates, where one run is already
#: long enough that a batch saves nothing (a province of 841 townships runs alone).
BATCH_TOWNSHIPS = 1200


def batchable(cfg: SimConfig) -> bool:
    """Whether runs of ``cfg`` can be simulated together (:class:`sim.model.batch.ElectionBatch`)."""
    return BATCHING


#: Whether :func:`simulate_many` simulates replicates together (off: one at a time).
BATCHING = True


def plan_batches(configs: Sequence[SimConfig]) -> list[list[int]]:
    """Positions of ``configs`` grouped into batches: equal configurations but for the seed."""
    groups: list[tuple[SimConfig, list[int]]] = []  # configurations are not hashable
    batches: list[list[int]] = []
    for i, cfg in enumerate(configs):
        if not batchable(cfg):
            batches.append([i])
            continue
        key = replace(cfg, seed=0)
        for other, members in groups:
            if other == key:
                members.append(i)
                break
        else:
            groups.append((key, [i]))
    for key, members in groups:
        size = max(1, BATCH_TOWNSHIPS // max(key.world.n_townships, 1))
        batches.extend(members[j : j + size] for j in range(0, len(members), size))
    return batches


def _run_batch(configs: list[SimConfig]) -> list[RunResult]:
    """Simulate ``configs`` (equal but for the seed) together; one result each."""
    t0 = perf_counter()
    batch = ElectionBatch(configs, interventions=build_interventions(configs[0].interventions))
    batch.run()
    runtime = (perf_counter() - t0) / len(configs)
    return [_result(batch.unit_result_model(u), runtime, False) for u in range(len(configs))]


def _result(model: ElectionModel, runtime_s: float, keep_model: bool) -> RunResult:
    """The finished ``model``'s summary, series and terms (``runtime_s``: its build and run)."""
    if model.n_terms == 1:
        summary = summarize(model, runtime_s)
    else:
        summary = combine_terms(model.term_summaries)
        summary["runtime_s"] = runtime_s
    for name in INTERVENTION_NAMES:
        summary.setdefault(f"units_{name}", 0.0)
        summary.setdefault(f"cost_{name}", 0.0)
    summary.update({f"time_{k}": v for k, v in model.timing.items()})
    series = _series_frame(model)
    terms = None
    if model.term_summaries:
        rows = per_term_costs(model.term_summaries)
        terms = pd.DataFrame({key: [row[key] for row in rows] for key in ("term", *TERM_KEYS)})
    return RunResult(summary=summary, timeseries=series, model=model if keep_model else None, terms=terms)


def _series_frame(model: ElectionModel) -> pd.DataFrame:
    """The run's daily series, counts as integers, with each day's phase of the term.

    Columns are typed in numpy and the frame is built once: pandas' per-column checks and
    assignments cost about 10 ms a run, more than a county-scale simulation.
    """
    columns: dict[str, np.ndarray] = {}
    for column, values in model.series.columns.items():
        values = np.asarray(values)
        if column in COUNT_SERIES and not np.isnan(values).any() and (values % 1 == 0).all():
            values = values.astype("int64")
        columns[column] = values
    term_day = np.arange(model.n_days) % model.term_days
    columns["phase"] = np.where(
        term_day < model.congress_day, "campaign", np.where(term_day == model.congress_day, "congress", "post")
    )
    return pd.DataFrame(columns)


def simulate_many(configs: Sequence[SimConfig], *, allow_long: bool = False) -> list[RunResult]:
    """Run several configurations (typically one arm's replicates) and return their results in order.

    Every caller that runs more than one configuration (sweep jobs, the optimiser's chunks, the
    calibration's particles, EMA's replicator) goes through here, so a batched engine that runs
    the replicates of a configuration as one computation serves them all: runs equal but for the
    seed are simulated together (:class:`sim.model.batch.ElectionBatch`, ``BATCHING``).  Each result equals
    what :func:`simulate` returns for the same configuration alone (``tests/test_simulate_many.py``).

    Args:
        configs: Typed configurations (see :func:`sim.config.build_config`), each with its seed.
        allow_long: Run even configurations estimated to take over 10 minutes.

    Returns:
        One :class:`RunResult` per configuration, in the order given.

    Raises:
        ConfigError: Naming the key and the value of a bad configuration (and its position),
            before anything runs.
    """
    checked = []
    for i, cfg in enumerate(configs):
        if not isinstance(cfg, SimConfig):
            raise ConfigError(f"configs[{i}]={cfg!r} must be a SimConfig (see sim.config.build_config)")
        cfg = build_config(cfg)
        check_runtime(cfg, confirmed=allow_long)
        checked.append(cfg)
    _CHECKED.update(id(cfg) for cfg in checked)  # each is checked once, not again by simulate()
    try:
        results: list[RunResult | None] = [None] * len(checked)
        for batch in plan_batches(checked):
            if len(batch) > 1:
                try:
                    for i, result in zip(batch, _run_batch([checked[i] for i in batch]), strict=True):
                        results[i] = result
                    continue
                except BatchError:
                    pass  # a layout the batch cannot split exactly: run these one at a time
            for i in batch:
                results[i] = simulate(checked[i], allow_long=True)
        return [r for r in results if r is not None]
    finally:
        _CHECKED.clear()


#: Configurations :func:`simulate_many` has validated and is running (their ids; the objects are
#: alive and unchanged until it returns), which :func:`resolve_config` need not validate again:
#: validating costs about 0.4 ms, a tenth of a county run's overhead in a sweep.
_CHECKED: set[int] = set()


def simulate_each(configs: Sequence[SimConfig], *, allow_long: bool = False) -> list[RunResult | Exception]:
    """:func:`simulate_many`, where a configuration that fails fails alone.

    The configurations run as one batch; if the batch raises, they run again one at a time, so
    each failing configuration gets its own exception (its traceback attached) and the others
    their results.  Sweep jobs and the optimiser use this to record a failed run and go on.

    Args:
        configs: Typed configurations, each with its seed.
        allow_long: As for :func:`simulate_many`.

    Returns:
        For each configuration, in order, its result or the exception it raised.
    """
    try:
        return list(simulate_many(configs, allow_long=allow_long))
    except Exception as exc:  # each configuration is retried alone and keeps its own error
        if len(configs) == 1:
            return [exc]
    out: list[RunResult | Exception] = []
    for cfg in configs:
        try:
            out.extend(simulate_many([cfg], allow_long=allow_long))
        except Exception as exc:  # returned to the caller, who records it
            out.append(exc)
    return out


def resolve_config(
    config: SimConfig | Mapping[str, Any] | None = None, *, seed: Any = None, **overrides: Any
) -> SimConfig:
    """The validated configuration :func:`simulate` runs (presets loaded, overrides applied).

    Raises:
        ConfigError: Naming the key and the value of any bad input.
    """
    if seed is not None:
        overrides = {**overrides, "seed": seed}
    if isinstance(config, SimConfig):
        if not overrides and id(config) in _CHECKED:
            return config
        return build_config(config, **overrides)
    if config is None:
        config = {}
    # Presets named as keywords are presets too: simulate(scenario="city") loads the city.
    presets = {key: overrides.pop(key) for key in ("scenario", "policy", "province") if key in overrides}
    if presets and isinstance(config, Mapping):
        config = {**config, **presets}
    if not isinstance(config, Mapping):
        raise ConfigError(
            f"config={config!r} must be a mapping (e.g. a dict) or a SimConfig, not {type(config).__name__}"
        )
    data = plain_values(dict(config))
    scenario, policy, rest = compose(data)
    check_keys(rest, SimConfig)
    # The scenario preset names itself (``scenario: city``); merging in order mirrors Hydra's defaults list.
    merged = build_config(merge_plain(merge_plain(scenario, policy), rest))
    return build_config(merged, **overrides) if overrides else merged
