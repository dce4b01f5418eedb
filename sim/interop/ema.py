"""EMA Workbench models of the simulator (optional dependency: ``pip install -e '.[ema]'``).

:func:`ema_model` builds an EMA ``Model`` (one run per experiment) or ``ReplicatorModel`` (several
runs per experiment, on the sweeps' replicate seeds, so every experiment meets the same random
numbers) whose uncertainties and levers come from the configuration schema's bounds and whose
outcomes are keys of the run summary::

    from ema_workbench import SequentialEvaluator
    from sim.interop.ema import ema_model, prim_inputs

    model = ema_model(
        uncertainties=["delegates.money_weight", "delegates.norm_weight", "reporting.trust_initial"],
        levers=["interventions.*.enabled"],
        outcomes=["bought_seat_rate_final", "cost_total", "honest_removed"],
        base={"schedule": {"post_election_days": 0}},
        replications=3,
    )
    with SequentialEvaluator(model) as evaluator:
        experiments, outcomes = evaluator.perform_experiments(scenarios=50, policies=2)
    x, y = prim_inputs(experiments, outcomes)   # floats and one value per experiment: PRIM-ready

The model is picklable, so ``MultiprocessingEvaluator`` works too (call it under
``if __name__ == "__main__":`` in a script).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from ema_workbench import (
    ArrayOutcome,
    BooleanParameter,
    Constant,
    IntegerParameter,
    Model,
    RealParameter,
    ReplicatorModel,
    ScalarOutcome,
)
from ema_workbench.em_framework.parameters import Parameter

from sim.config import ConfigError
from sim.interop.params import ParamSpec, plain, select_params
from sim.model.metrics import SERIES_COLUMNS
from sim.model.streams import replicate_seed
from sim.simulate import resolve_config, simulate

#: Outcomes reported when none are named: the primary outcome, what it cost, and false alarms.
DEFAULT_OUTCOMES = ("bought_seat_rate_final", "seats_bought_final", "cost_total", "honest_removed")

#: Columns of EMA's experiments table that are bookkeeping, not inputs.
EMA_BOOKKEEPING = ("scenario", "policy", "model")


def ema_name(key: str) -> str:
    """The EMA name of a configuration key: a Python identifier, as EMA 3 requires (``.`` → ``__``).

    Example:
        >>> ema_name("interventions.team_inspection.enabled")
        'interventions__team_inspection__enabled'
    """
    return key.replace(".", "__")


def config_key(name: str) -> str:
    """The configuration key of an EMA name (the inverse of :func:`ema_name`)."""
    return name.replace("__", ".")


class SimulationFunction:
    """The callable an EMA model runs: keyword parameters in, outcome mapping out.

    Picklable (a plain class holding plain data), as EMA's multiprocessing evaluator needs.

    Args:
        base: Configuration the sampled values are laid on (a nested mapping, as
            :func:`sim.simulate` takes).
        outcomes: Summary keys returned.
        series: Daily series columns returned as arrays, under ``daily_<column>``.
    """

    def __init__(self, base: Mapping[str, Any] | None, outcomes: Sequence[str], series: Sequence[str] = ()) -> None:
        self.base = dict(base or {})
        self.outcomes = tuple(outcomes)
        self.series = tuple(series)

    def __call__(self, **experiment: Any) -> dict[str, Any]:
        """Run one simulation with dotted-key parameters (numpy scalars welcome).

        Args:
            **experiment: Configuration keys as EMA names them (see :func:`ema_name`) and their
                values, ``seed`` among them.

        Returns:
            Each outcome's value, and each requested daily series as an array.

        Raises:
            ValueError: An outcome is not a key of the summary.
        """
        overrides = {config_key(name): plain(value) for name, value in experiment.items()}
        result = simulate(self.base, **overrides)
        missing = [k for k in self.outcomes if k not in result.summary]
        if missing:
            raise ValueError(f"outcomes {missing} are not summary keys; some are: {sorted(result.summary)[:20]}")
        out: dict[str, Any] = {k: plain(result.summary[k]) for k in self.outcomes}
        for column in self.series:
            out[f"daily_{column}"] = result.timeseries[column].to_numpy(dtype=float)
        return out


def to_ema_parameter(spec: ParamSpec) -> Parameter:
    """The EMA parameter sampling ``spec`` over its range.

    Args:
        spec: A parameter picked by :func:`sim.interop.params.select_params`.

    Returns:
        A ``BooleanParameter``, ``IntegerParameter`` or ``RealParameter`` named ``ema_name(key)``.
    """
    name = ema_name(spec.key)
    if spec.kind == "bool":
        return BooleanParameter(name, default=spec.default)
    if spec.kind == "int":
        return IntegerParameter(name, int(spec.lower), int(spec.upper), default=spec.default)
    return RealParameter(name, spec.lower, spec.upper, default=spec.default)


def check_range_ends(specs: Iterable[ParamSpec], base: Mapping[str, Any] | None) -> None:
    """Refuse, before any experiment runs, a range whose ends the configuration would reject.

    Cross-field rules (e.g. the post-election window must outlast the slowest deadline) are not in
    the schema's per-key bounds; one rejected sample would stop EMA's whole batch.

    Raises:
        ValueError: Naming the key, the end and the configuration's reason; pass ``ranges=``.
    """
    for spec in specs:
        for end in (spec.lower, spec.upper):
            end = round(end) if spec.kind == "int" else bool(end) if spec.kind == "bool" else float(end)
            try:
                resolve_config(dict(base or {}), **{spec.key: end})
            except ConfigError as exc:
                raise ValueError(
                    f"{spec.key}: the range end {end!r} is not a valid configuration ({exc}); "
                    f"give a range with ranges={{{spec.key!r}: (low, high)}}"
                ) from exc


def ema_model(
    uncertainties: Iterable[str] = (),
    levers: Iterable[str] = (),
    outcomes: Iterable[str] = DEFAULT_OUTCOMES,
    *,
    base: Mapping[str, Any] | None = None,
    replications: int | None = None,
    base_seed: int = 0,
    series: Iterable[str] = (),
    aggregate: Callable[..., float] = np.mean,
    ranges: Mapping[str, tuple[float, float]] | None = None,
    span: float = 0.5,
    name: str = "election",
) -> Model | ReplicatorModel:
    """An EMA Workbench model of the simulator.

    Args:
        uncertainties: Parameters varied as uncertainties: dotted keys, groups or glob patterns
            (see :func:`sim.interop.params.select_params`).
        levers: Parameters varied as levers (policies), picked the same way, e.g.
            ``["interventions.*.enabled"]`` for the six switches.
        outcomes: Summary keys reported as ``ScalarOutcome``, e.g. ``bought_seat_rate_final``
            (for a ``ReplicatorModel``, the ``aggregate`` of the replicates).
        base: Configuration the sampled values are laid on, e.g.
            ``{"schedule": {"post_election_days": 0}}``.
        replications: None for an EMA ``Model`` (one run per experiment, on the first replicate
            seed); a number for a ``ReplicatorModel`` running that many replicates per experiment.
        base_seed: Replicate ``r`` runs with ``sim.model.streams.replicate_seed(base_seed, r)``,
            the seeds a sweep with this base seed uses (common random numbers).
        series: Daily series columns reported as ``ArrayOutcome`` named ``daily_<column>`` (for
            a ``ReplicatorModel``, one series per replicate).
        aggregate: With ``replications``, the picklable function (``numpy.mean``,
            ``numpy.median``) reducing an outcome's replicates to the scalar EMA records.
        ranges: Sampling ranges replacing the schema's, by key.
        span: Reach of a range the schema leaves open on a side (see ``select_params``).
        name: The model's name (a Python identifier).

    Returns:
        The model, ready for an evaluator's ``perform_experiments``.

    Raises:
        ValueError: A selector matches nothing, a parameter is both uncertainty and lever, an
            outcome or series name is unknown, or ``replications`` is below 1.
    """
    unc = select_params(uncertainties, ranges=ranges, span=span)
    lev = select_params(levers, ranges=ranges, span=span)
    both = {s.key for s in unc} & {s.key for s in lev}
    if both:
        raise ValueError(f"parameters both uncertainty and lever: {sorted(both)}")
    check_range_ends([*unc, *lev], base)
    series = tuple(series)
    unknown = [c for c in series if c not in SERIES_COLUMNS]
    if unknown:
        raise ValueError(f"unknown daily series {unknown}; the columns are {list(SERIES_COLUMNS)}")
    outcomes = tuple(outcomes)
    function = SimulationFunction(base, outcomes, series)
    if replications is None:
        model: Model | ReplicatorModel = Model(name, function=function)
        model.constants = [Constant("seed", replicate_seed(base_seed, 0))]
    else:
        if replications < 1:
            raise ValueError(f"replications={replications} must be at least 1")
        model = ReplicatorModel(name, function=function)
        model.replications = [{"seed": replicate_seed(base_seed, r)} for r in range(replications)]
    model.uncertainties = [to_ema_parameter(s) for s in unc]
    model.levers = [to_ema_parameter(s) for s in lev]
    # EMA registers outcome names with their class process-wide: the same classes whatever the
    # model (ArrayOutcome for series, not TimeSeriesOutcome, which would clash with it).
    function_ = None if replications is None else aggregate
    model.outcomes = [ScalarOutcome(k, function=function_) for k in outcomes] + [
        ArrayOutcome(f"daily_{c}") for c in series
    ]
    return model


def prim_inputs(
    experiments: pd.DataFrame,
    outcomes: Mapping[str, np.ndarray],
    aggregate: Callable[..., np.ndarray] = np.mean,
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """EMA results made ready for PRIM and the other scenario-discovery tools.

    Under pandas 3, EMA's PRIM fails on boolean levers (``box.inspect()``) and integer ones
    (``find_box``); every input column is therefore cast to float (``True`` is 1.0) and named by
    its dotted configuration key again (``interventions.team_inspection.enabled``).  The
    bookkeeping columns (``scenario``, ``policy``, ``model``) are dropped, and outcomes holding one
    value (or series) per replicate are aggregated to one per experiment.

    Args:
        experiments: EMA's experiments table.
        outcomes: EMA's outcomes (arrays of one row per experiment).
        aggregate: How replicates are combined (over the replicate axis, the second).

    Returns:
        The float input table and one 1-d array per scalar outcome (time series kept as they are).
    """
    x = experiments.drop(columns=[c for c in EMA_BOOKKEEPING if c in experiments.columns])
    x = x.astype(float).rename(columns=config_key)
    y: dict[str, np.ndarray] = {}
    for key, values in outcomes.items():
        arr = np.asarray(values)
        if arr.ndim == (3 if key.startswith("daily_") else 2):  # one value (or series) per replicate
            arr = aggregate(arr.astype(float), axis=1)
        y[key] = arr
    return x, y
