"""The election model as a Mesa model: built from keywords and a seed, carrying its DataCollector.

``from sim import ElectionModel`` is this class.  It subclasses the core model
(:class:`sim.model.election.ElectionModel`, which takes a validated configuration and the
intervention objects) and does what the core may not, by the layering of the package: it reads
the ``scenario`` and ``policy`` presets, applies keyword settings and builds the interventions, as
:func:`sim.simulate` does.  So Mesa's own tools take it as they take any Mesa model::

    import mesa
    from sim import ElectionModel

    model = ElectionModel(scenario="city", policy="all", rng=3, **{"voting.compliance": 0.6})
    model.run()                      # or step() day by day while model.running
    model.datacollector.get_model_vars_dataframe()   # one row a day

    rows = mesa.batch_run(
        ElectionModel,
        parameters={"policy": ["none", "team_inspection"], "schedule.post_election_days": 0},
        rng=[1, 2],                 # the runs' seeds (the configuration's ``seed``)
        data_collection_period=-1,  # one row a run, on the last day; 1 for one row a day
        display_progress=False,
    )

Settings are dotted configuration keys (``**{"voting.compliance": 0.6}``) or the same with ``__``
for each dot, which a plain keyword argument can spell (``voting__compliance=0.6``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from mesa import DataCollector
from mesa.experimental.scenarios import Scenario

from sim.config import ConfigError, SimConfig
from sim.interop.params import plain
from sim.interventions import INTERVENTION_NAMES, build_interventions
from sim.model.election import ElectionModel as CoreElectionModel
from sim.model.metrics import SERIES_COLUMNS, combine_terms, summarize
from sim.simulate import COUNT_SERIES, resolve_config

if TYPE_CHECKING:
    from sim.model.hooks import InterventionHooks

#: Summary keys the DataCollector reports every day by default (the election under way, so far).
SUMMARY_KEYS = (
    "bought_seat_rate",
    "bought_seat_rate_final",
    "seats_bought_final",
    "payer_seat_rate_final",
    "delegates_bribed",
    "acceptance_rate",
    "detected_before_vote",
    "winners_unseated",
    "tainted_removed",
    "honest_removed",
    "substantiation_rate",
    "merit_loss",
    "cost_total",
)


def seed_of(rng: Any) -> int:
    """The configuration seed for the ``rng`` Mesa hands a model.

    Args:
        rng: An integer (numpy's too), or a ``numpy.random.SeedSequence`` (its first 31-bit
            state word).

    Returns:
        A non-negative Python int.

    Raises:
        TypeError: For a generator or anything else that is not a seed (the model's random streams
            are all derived from one integer seed).
    """
    if isinstance(rng, bool):
        raise TypeError(f"rng={rng!r} is not a seed")
    if isinstance(rng, int | np.integer):
        return int(rng)
    if isinstance(rng, np.random.SeedSequence):
        return int(rng.generate_state(1)[0] & 0x7FFFFFFF)
    raise TypeError(f"rng={rng!r}: give an integer seed (every random stream of a run derives from it)")


def run_summary(model: CoreElectionModel) -> dict[str, Any]:
    """The summary as :func:`sim.simulate` gives it once the run is over; before, the election so far.

    Args:
        model: A model, finished or not.

    Returns:
        Outcome scalars (``runtime_s`` and ``time_*`` aside, which only a timed run has).
    """
    finished_terms = not model.running and model.n_terms > 1
    summary = combine_terms(model.term_summaries) if finished_terms else summarize(model, 0.0)
    summary.pop("runtime_s", None)
    for name in INTERVENTION_NAMES:
        summary.setdefault(f"units_{name}", 0.0)
        summary.setdefault(f"cost_{name}", 0.0)
    return summary


def model_config(
    config: SimConfig | Mapping[str, Any] | None = None,
    *,
    rng: Any = None,
    scenario: Any = None,
    policy: Any = None,
    **params: Any,
) -> SimConfig:
    """The configuration :class:`ElectionModel` runs for these arguments (see its docstring).

    Raises:
        ConfigError: Naming the key and the value of any bad input.
    """
    overrides = {key.replace("__", "."): plain(value) for key, value in params.items()}
    if isinstance(scenario, Scenario):  # SolaraViz hands a Mesa Scenario back when it rebuilds a model
        rng = scenario.rng if rng is None else rng
        scenario = None
    presets = {k: v for k, v in (("scenario", scenario), ("policy", policy)) if v is not None}
    if isinstance(config, SimConfig) and presets:
        raise ConfigError(
            f"{', '.join(f'{k}={v!r}' for k, v in presets.items())}: a SimConfig is taken as it is; "
            "name presets with a mapping or keywords only (ElectionModel(scenario='city', policy='all'))"
        )
    if rng is not None:
        try:
            overrides["seed"] = seed_of(rng)
        except TypeError as exc:
            raise ConfigError(str(exc)) from exc
    return resolve_config(config, **presets, **overrides)


class ElectionModel(CoreElectionModel):
    """The election model built as :func:`sim.simulate` builds it, with a Mesa DataCollector.

    ``ElectionModel(scenario="city", policy="all", rng=3, **{"voting.compliance": 0.6})`` runs
    exactly what ``simulate({"scenario": "city", "policy": "all"}, seed=3, **{"voting.compliance":
    0.6})`` runs: on the last day the DataCollector's row equals that run's summary and its last
    row of the daily series.

    Args:
        config: A (partial, nested) configuration, as :func:`sim.simulate` takes it, or a
            :class:`sim.config.SimConfig` taken as it is.
        rng: The run's seed (Mesa's name for it: an integer or a ``SeedSequence``); None keeps the
            configuration's ``seed``.
        scenario: A scenario preset (``county``, ``city``, ``province``); default ``county``.  A
            Mesa ``Scenario`` object (SolaraViz passes one when it rebuilds a model) lends only its
            ``rng``.
        policy: A policy preset (``none``, ``all``, ``as_deployed``, one intervention's name).
        interventions: Intervention objects to run instead of those the configuration enables (as
            the core model takes them: ``ElectionModel(cfg, interventions=[...])``).
        **params: Dotted configuration keys, or the same with ``__`` for each dot
            (``voting__compliance=0.6``); numpy scalars are accepted.

    Attributes:
        datacollector: One row a day, collected after each step: the daily series
            (``SERIES_COLUMNS``; counts as integers) and the summary keys in
            :attr:`summary_keys` so far.
        summary: The run's summary once it is over (None before).

    Raises:
        sim.config.ConfigError: Naming the key and the value of any bad input, before anything
            is built.
    """

    #: Summary keys the DataCollector reports (a subclass may choose others).
    summary_keys: tuple[str, ...] = SUMMARY_KEYS

    def __init__(
        self,
        config: SimConfig | Mapping[str, Any] | None = None,
        *,
        rng: Any = None,
        scenario: Any = None,
        policy: Any = None,
        interventions: Sequence[InterventionHooks] | None = None,
        **params: Any,
    ) -> None:
        cfg = model_config(config, rng=rng, scenario=scenario, policy=policy, **params)
        clash = set(self.summary_keys) & set(SERIES_COLUMNS)
        if clash:
            raise ValueError(f"summary keys {sorted(clash)} are also daily series columns")
        hooks = build_interventions(cfg.interventions) if interventions is None else interventions
        super().__init__(cfg, interventions=hooks)
        self.summary: dict[str, Any] | None = None
        self._so_far: dict[str, Any] = {}
        reporters: dict[str, Any] = {col: self._series_reporter(col) for col in SERIES_COLUMNS}
        reporters.update({key: self._summary_reporter(key) for key in self.summary_keys})
        self.datacollector = DataCollector(model_reporters=reporters)

    def _series_reporter(self, column: str) -> Any:
        as_type = int if column in COUNT_SERIES else float

        def report(model: ElectionModel) -> int | float:
            return as_type(model.series.columns[column][model.recorded_row])

        return report

    def _summary_reporter(self, key: str) -> Any:
        def report(model: ElectionModel) -> Any:
            return model._so_far.get(key)

        return report

    @property
    def recorded_row(self) -> int:
        """The row of the daily series recorded last (-1 before the first day)."""
        return self.steps - 1

    @property
    def summary_so_far(self) -> dict[str, Any]:
        """The summary of the days run so far (the run's summary once it is over)."""
        return self.summary if self.summary is not None else self._so_far

    def step(self) -> None:
        """Advance one day, then collect the day's row."""
        super().step()
        self._so_far = run_summary(self)
        if not self.running:
            self.summary = self._so_far
        self.datacollector.collect(self)
