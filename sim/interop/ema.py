"""EMA Workbench models of the simulator (optional dependency: ``pip install -e '.[ema]'``).

:func:`ema_model` builds an EMA ``Model`` (one run per experiment) or ``ReplicatorModel`` (several
runs per experiment, on the sweeps' replicate seeds, so every experiment meets the same random
numbers) whose uncertainties and levers come from the configuration schema and the decision
levers of :mod:`sim.levers`, and whose outcomes are keys of the run summary, each with the
direction an optimisation takes it in::

    from ema_workbench import MultiprocessingEvaluator
    from sim.interop.ema import ema_model

    model = ema_model(
        uncertainties=["delegates.money_weight", "scenario"],
        levers="decision",
        outcomes={"bought_seat_rate_final": "min", "cost_total": "min", "honest_removed": "info"},
        replications=3,
    )
    with MultiprocessingEvaluator(model, n_processes=2) as evaluator:
        experiments, outcomes = evaluator.perform_experiments(scenarios=20, policies=10)

``evaluator.optimize`` (EMA's ε-NSGA-II) searches the levers for the outcomes marked ``min`` or
``max``; ``experiments/ema_optimise.py`` is a worked example.  The model is picklable, so
``MultiprocessingEvaluator`` works (call it under ``if __name__ == "__main__":`` in a script).
Optimise with it: EMA 3.0.0's ``SequentialEvaluator`` fails in ``optimize`` on a model without
uncertainties ("Parameters exist in both ...": it mixes up the samples of a generation).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from ema_workbench import (
    ArrayOutcome,
    CategoricalParameter,
    Constant,
    IntegerParameter,
    Model,
    RealParameter,
    ReplicatorModel,
    ScalarOutcome,
)
from ema_workbench.em_framework.model import Replicator
from ema_workbench.em_framework.parameters import Parameter
from ema_workbench.em_framework.points import ExperimentReplication, Sample
from ema_workbench.em_framework.util import combine

from sim.config import ConfigError, build_config
from sim.interop.params import DECISION, ParamSpec, check_no_idle_parameters, run_overrides, select_params
from sim.levers import BY_KEY, deployed_levers, fixed_arms
from sim.model.metrics import SERIES_COLUMNS
from sim.model.streams import replicate_seed
from sim.presets import GROUPS
from sim.simulate import resolve_config, simulate_many

#: Outcomes reported when none are named: the primary outcome, what it cost, and false alarms.
DEFAULT_OUTCOMES = ("bought_seat_rate_final", "seats_bought_final", "cost_total", "honest_removed")

#: Columns of EMA's experiments table that are bookkeeping, not inputs.
EMA_BOOKKEEPING = ("scenario", "policy", "model")

#: The EMA names of the presets: EMA's experiments table has ``scenario`` and ``policy`` columns of its own.
PRESET_NAMES = {group: f"{group}_preset" for group in GROUPS}

#: How an outcome's direction may be written, and EMA's kind for it.
DIRECTIONS = {
    "min": ScalarOutcome.MINIMIZE,
    "minimize": ScalarOutcome.MINIMIZE,
    "max": ScalarOutcome.MAXIMIZE,
    "maximize": ScalarOutcome.MAXIMIZE,
    "info": ScalarOutcome.INFO,
}


def ema_name(key: str) -> str:
    """The EMA name of a configuration key: a Python identifier, as EMA 3 requires (``.`` → ``__``).

    The presets are ``scenario_preset`` and ``policy_preset``.

    Example:
        >>> ema_name("interventions.team_inspection.n_teams")
        'interventions__team_inspection__n_teams'
    """
    return PRESET_NAMES.get(key, key.replace(".", "__"))


def config_key(name: str) -> str:
    """The configuration key of an EMA name (the inverse of :func:`ema_name`)."""
    for group, preset in PRESET_NAMES.items():
        if name == preset:
            return group
    return name.replace("__", ".")


class SimulationFunction:
    """The callable an EMA model runs: keyword parameters in, outcome mapping out.

    Picklable (a plain class holding plain data), as EMA's multiprocessing evaluator needs.

    Args:
        base: Configuration the sampled values are laid on (a nested mapping, as
            :func:`sim.simulate` takes).
        outcomes: Summary keys returned.
        series: Daily series columns returned as arrays, under ``daily_<column>``.
        specs: The sampled parameters (how each value reaches the configuration).
    """

    def __init__(
        self,
        base: Mapping[str, Any] | None,
        outcomes: Sequence[str],
        series: Sequence[str] = (),
        specs: Sequence[ParamSpec] = (),
    ) -> None:
        self.base = dict(base or {})
        self.outcomes = tuple(outcomes)
        self.series = tuple(series)
        self.specs = tuple(specs)

    def __call__(self, **experiment: Any) -> dict[str, Any]:
        """Run one simulation with the sampled parameters (numpy scalars welcome).

        Args:
            **experiment: Parameters as EMA names them (see :func:`ema_name`) and their values,
                ``seed`` among them.

        Returns:
            Each outcome's value, and each requested daily series as an array.

        Raises:
            ValueError: An outcome is not a key of the summary.
        """
        return self.many([experiment])[0]

    def many(self, experiments: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Run several experiments (an experiment's replications) as one batch of simulations.

        Args:
            experiments: Each experiment's parameters as :meth:`__call__` takes them.

        Returns:
            Each experiment's outcomes, in order, as :meth:`__call__` returns them.

        Raises:
            ValueError: An outcome is not a key of the summary.
        """
        configs = []
        for experiment in experiments:
            values = {config_key(name): value for name, value in experiment.items()}
            configs.append(resolve_config(self.base, **run_overrides(values, self.specs)))
        outputs = []
        for result in simulate_many(configs):
            missing = [k for k in self.outcomes if k not in result.summary]
            if missing:
                raise ValueError(f"outcomes {missing} are not summary keys; some are: {sorted(result.summary)[:20]}")
            out: dict[str, Any] = {k: result.summary[k] for k in self.outcomes}
            for column in self.series:
                out[f"daily_{column}"] = result.timeseries[column].to_numpy(dtype=float)
            outputs.append(out)
        return outputs


class BatchReplicatorModel(ReplicatorModel):
    """EMA's ``ReplicatorModel`` running an experiment's replications as one batch of simulations.

    EMA's own ``Replicator.run_model`` calls the function once per replication; this one hands all
    of them to :meth:`SimulationFunction.many` (:func:`sim.simulate.simulate_many`), so a batched
    engine runs them together.  The outputs are laid out as EMA's (one list per outcome, in the
    order of the replications), and the outcomes are the same run for run.
    """

    def run_model(self, scenario: Sample, policy: Sample, constants: Sample) -> None:
        """Run the model's replications of one experiment (see EMA's ``Replicator.run_model``)."""
        super(Replicator, self).run_model(scenario, policy, constants)
        fixed = {c.name: c.value for c in self.constants}
        experiments = []
        for i, rep in enumerate(self.replications):
            rep.id = i
            experiments.append(ExperimentReplication(scenario, self.policy, fixed, rep))
        outputs: dict[str, list[Any]] = {name: [] for name in self.output_variables}
        for output in self.function.many(experiments):
            for name in self.output_variables:
                outputs[name].append(output.get(name))
        self.outcomes_output = outputs
        self.constraints_output = (combine(scenario, self.policy, fixed), self.outcomes_output)


def to_ema_parameter(spec: ParamSpec) -> Parameter:
    """The EMA parameter sampling ``spec`` over its range.

    Booleans are ``IntegerParameter(0, 1)`` (0 off, 1 on) rather than ``BooleanParameter``, and
    presets the only ``CategoricalParameter``: EMA 3.0.0's ``optimize`` fails on categorical and
    boolean levers (it hands the optimiser's one-element subsets on as lists).

    Args:
        spec: A parameter picked by :func:`sim.interop.params.select_params`.

    Returns:
        The parameter named ``ema_name(spec.key)``.
    """
    name = ema_name(spec.key)
    if spec.kind == "preset":
        return CategoricalParameter(name, list(spec.choices), default=spec.default)
    if spec.kind == "bool":
        return IntegerParameter(name, 0, 1, default=int(spec.default))
    if spec.integer:
        return IntegerParameter(name, int(spec.lower), int(spec.upper))
    return RealParameter(name, spec.lower, spec.upper)


def check_range_ends(specs: Iterable[ParamSpec], base: Mapping[str, Any] | None) -> None:
    """Refuse, before any experiment runs, a range whose ends the configuration would reject.

    Cross-field rules (e.g. the post-election window must outlast the slowest deadline) are not in
    the schema's per-key bounds; one rejected sample would stop EMA's whole batch.

    Raises:
        ValueError: Naming the key, the end and the configuration's reason; pass ``ranges=``.
    """
    for spec in specs:
        ends = spec.choices if spec.kind == "preset" else (spec.lower, spec.upper)
        for end in ends:
            try:
                resolve_config(dict(base or {}), **run_overrides({spec.key: end}, [spec]))
            except ConfigError as exc:
                raise ValueError(
                    f"{spec.key}: the range end {end!r} is not a valid configuration ({exc}); "
                    f"give a range with ranges={{{spec.key!r}: (low, high)}}"
                ) from exc


def outcome_kinds(outcomes: Iterable[str] | Mapping[str, Any]) -> dict[str, int]:
    """Each outcome's EMA kind: ``min``, ``max`` or ``info`` (a plain list: all ``info``).

    Raises:
        ValueError: Naming an outcome whose direction is not one of these.
    """
    if isinstance(outcomes, str):
        outcomes = [outcomes]
    if not isinstance(outcomes, Mapping):
        return dict.fromkeys(outcomes, ScalarOutcome.INFO)
    kinds = {}
    for key, direction in outcomes.items():
        if direction in (ScalarOutcome.MINIMIZE, ScalarOutcome.MAXIMIZE, ScalarOutcome.INFO):
            kinds[key] = int(direction)
        elif isinstance(direction, str) and direction.lower() in DIRECTIONS:
            kinds[key] = DIRECTIONS[direction.lower()]
        else:
            raise ValueError(f"outcomes[{key!r}]={direction!r}: give 'min', 'max' or 'info'")
    return kinds


def _selectors(selection: str | Iterable[str]) -> list[str]:
    return [selection] if isinstance(selection, str) else list(selection)


def ema_model(
    uncertainties: str | Iterable[str] = (),
    levers: str | Iterable[str] = (),
    outcomes: Iterable[str] | Mapping[str, Any] = DEFAULT_OUTCOMES,
    *,
    base: Mapping[str, Any] | None = None,
    replications: int | None = None,
    base_seed: int = 0,
    series: Iterable[str] = (),
    aggregate: Callable[..., float] = np.mean,
    ranges: Mapping[str, Any] | None = None,
    span: float = 0.5,
    name: str = "election",
) -> Model | BatchReplicatorModel:
    """An EMA Workbench model of the simulator.

    Args:
        uncertainties: Parameters varied as uncertainties: dotted keys, groups, glob patterns,
            ``"scenario"`` (the scale presets, as ``scenario_preset``) and the like (see
            :func:`sim.interop.params.select_params`).
        levers: Parameters varied as levers (policies), picked the same way: ``"decision"`` for
            the decision levers of :mod:`sim.levers` (each from 0, its intervention not deployed,
            to its highest value), ``["interventions.*.enabled"]`` for the six switches,
            ``"policy"`` for the policy presets (as ``policy_preset``).
        outcomes: Summary keys reported as ``ScalarOutcome`` (for a ``ReplicatorModel``, the
            ``aggregate`` of the replicates): a list (recorded only), or a mapping to ``"min"``,
            ``"max"`` or ``"info"``, e.g. ``{"bought_seat_rate_final": "min", "cost_total":
            "min"}``; an optimisation takes the outcomes marked ``min`` or ``max`` as objectives.
        base: Configuration the sampled values are laid on, e.g. ``{"scenario": "city"}``.
        replications: None for an EMA ``Model`` (one run per experiment, on the first replicate
            seed); a number for a ``ReplicatorModel`` running that many replicates per experiment.
        base_seed: Replicate ``r`` runs with ``sim.model.streams.replicate_seed(base_seed, r)``,
            the seeds a sweep with this base seed uses (common random numbers).
        series: Daily series columns reported as ``ArrayOutcome`` named ``daily_<column>``.
        aggregate: With ``replications``, the picklable function (``numpy.mean``,
            ``numpy.median``) reducing an outcome's replicates to the scalar EMA records.
        ranges: Sampling ranges replacing the schema's or a lever's, by key; for ``scenario`` or
            ``policy``, the presets to choose from.
        span: Reach of a range the schema leaves open on a side (see ``select_params``).
        name: The model's name (a Python identifier).

    Returns:
        The model, ready for an evaluator's ``perform_experiments`` or ``optimize``.

    Raises:
        ValueError: A selector matches nothing, a parameter is both uncertainty and lever, a
            sampled setting belongs to an intervention no experiment deploys, an outcome's
            direction or a series name is unknown, or ``replications`` is below 1.
    """
    unc = select_params(_selectors(uncertainties), ranges=ranges, span=span)
    lev = select_params(_selectors(levers), ranges=ranges, span=span)
    both = {s.key for s in unc} & {s.key for s in lev}
    if both:
        raise ValueError(f"parameters both uncertainty and lever: {sorted(both)}")
    check_no_idle_parameters([*unc, *lev], resolve_config(dict(base or {})))
    check_range_ends([*unc, *lev], base)
    series = tuple(series)
    unknown = [c for c in series if c not in SERIES_COLUMNS]
    if unknown:
        raise ValueError(f"unknown daily series {unknown}; the columns are {list(SERIES_COLUMNS)}")
    kinds = outcome_kinds(outcomes)
    function = SimulationFunction(base, tuple(kinds), series, [*unc, *lev])
    if replications is None:
        model: Model | BatchReplicatorModel = Model(name, function=function)
        model.constants = [Constant("seed", replicate_seed(base_seed, 0))]
    else:
        if replications < 1:
            raise ValueError(f"replications={replications} must be at least 1")
        model = BatchReplicatorModel(name, function=function)
        model.replications = [{"seed": replicate_seed(base_seed, r)} for r in range(replications)]
    model.uncertainties = [to_ema_parameter(s) for s in unc]
    model.levers = [to_ema_parameter(s) for s in lev]
    # EMA registers outcome names with their class process-wide: the same classes whatever the
    # model (ArrayOutcome for series, not TimeSeriesOutcome, which would clash with it).
    reduce = None if replications is None else aggregate
    model.outcomes = [ScalarOutcome(k, kind=kind, function=reduce) for k, kind in kinds.items()] + [
        ArrayOutcome(f"daily_{c}") for c in series
    ]
    return model


def prim_inputs(
    experiments: pd.DataFrame,
    outcomes: Mapping[str, np.ndarray],
    aggregate: Callable[..., np.ndarray] = np.mean,
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """EMA results made ready for PRIM and the other scenario-discovery tools.

    Under pandas 3, EMA's PRIM fails on boolean inputs (``box.inspect()``) and integer ones
    (``find_box``); every numeric input column is therefore cast to float and named by its dotted
    configuration key again (``interventions.team_inspection.n_teams``); presets stay categories
    (``scenario_preset``).  The bookkeeping columns (``scenario``, ``policy``, ``model``) are
    dropped, and outcomes holding one value (or series) per replicate are aggregated to one per
    experiment.

    Args:
        experiments: EMA's experiments table.
        outcomes: EMA's outcomes (arrays of one row per experiment).
        aggregate: How replicates are combined (over the replicate axis, the second).

    Returns:
        The input table and one 1-d array per scalar outcome (time series kept as they are).
    """
    x = experiments.drop(columns=[c for c in EMA_BOOKKEEPING if c in experiments.columns])
    presets = [c for c in x.columns if c in PRESET_NAMES.values()]
    x = x.astype(dict.fromkeys([c for c in x.columns if c not in presets], float))
    x = x.rename(columns=lambda c: c if c in presets else config_key(c))
    y: dict[str, np.ndarray] = {}
    for key, values in outcomes.items():
        arr = np.asarray(values)
        if arr.ndim == (3 if key.startswith("daily_") else 2):  # one value (or series) per replicate
            arr = aggregate(arr.astype(float), axis=1)
        y[key] = arr
    return x, y


def fixed_arm_samples(model: Model | ReplicatorModel, base: Mapping[str, Any] | None = None) -> list[Sample]:
    """The comparison's fixed arms as lever samples: a known first population for ``optimize``.

    No intervention, each intervention alone and all six, each deployed at the base
    configuration's intensities, as ``experiment=compare`` runs them (and as the project's own
    optimiser starts its search); an arm outside the levers' ranges, or equal to an earlier one
    on these levers, is left out.  Pass them as ``evaluator.optimize(initial_population=...)``.

    Args:
        model: A model from :func:`ema_model` whose levers include decision levers.
        base: The base configuration the model was built on.

    Returns:
        EMA ``Sample`` objects named after the arms (``none``, ``team_inspection``, ``all`` ...).
    """
    cfg = resolve_config(dict(base or {}))
    levers = {config_key(p.name): p for p in model.levers if config_key(p.name) in BY_KEY}
    out, seen = [], set()
    for arm, switches in fixed_arms().items():
        deployed = deployed_levers(build_config(cfg, **switches))
        values = {p.name: deployed[key] for key, p in levers.items()}
        values = {n: int(v) if isinstance(levers[config_key(n)], IntegerParameter) else v for n, v in values.items()}
        inside = all(p.lower_bound <= values[p.name] <= p.upper_bound for p in levers.values())
        if values and inside and tuple(values.items()) not in seen:
            seen.add(tuple(values.items()))
            out.append(Sample(arm, **values))
    return out


__all__ = [
    "DECISION",
    "DEFAULT_OUTCOMES",
    "SimulationFunction",
    "config_key",
    "ema_model",
    "ema_name",
    "fixed_arm_samples",
    "outcome_kinds",
    "prim_inputs",
    "to_ema_parameter",
]
