"""The election model as Mesa's own tools expect it: keyword parameters, a seed, a DataCollector.

``mesa.batch_run`` builds a model as ``model_cls(**params, rng=seed)``, steps it while
``running`` and reads ``model.datacollector``.  :class:`BatchElectionModel` is that model::

    import mesa
    from sim.interop.mesa_batch import BatchElectionModel

    rows = mesa.batch_run(
        BatchElectionModel,
        parameters={"interventions.team_inspection.enabled": [False, True], "schedule.post_election_days": 0},
        rng=[1, 2],                 # the runs' seeds (the configuration's ``seed``)
        data_collection_period=-1,  # one row a run, on the last day; 1 for one row a day
        display_progress=False,
    )

Each row holds the parameters, the day's series (``SERIES_COLUMNS``) and the summary keys in
:attr:`BatchElectionModel.summary_keys`; on the last day these equal what :func:`sim.simulate`
returns for the same configuration and seed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from mesa import DataCollector
from mesa.experimental.scenarios import Scenario

from sim.interop.params import plain
from sim.interventions import INTERVENTION_NAMES, build_interventions
from sim.model.election import ElectionModel
from sim.model.metrics import SERIES_COLUMNS, combine_terms, summarize
from sim.simulate import resolve_config

#: Summary keys collected every day by default (the election under way, so far).
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


def run_summary(model: ElectionModel) -> dict[str, Any]:
    """The summary as :func:`sim.simulate` gives it once the run is over; before, the election so far.

    Args:
        model: A model, finished or not.

    Returns:
        Outcome scalars (``runtime_s`` and ``time_*`` aside, which only a timed run has).
    """
    summary = combine_terms(model.term_summaries) if not model.running and model.n_terms > 1 else summarize(model, 0.0)
    for name in INTERVENTION_NAMES:
        summary.setdefault(f"units_{name}", 0.0)
        summary.setdefault(f"cost_{name}", 0.0)
    return summary


class BatchElectionModel(ElectionModel):
    """:class:`ElectionModel` built from keyword parameters and a seed, with a Mesa DataCollector.

    Args:
        config: A (partial, nested) configuration the parameters are laid on, as
            :func:`sim.simulate` takes; e.g. ``{"world": {"n_townships": 24}}``.
        rng: The run's seed (Mesa's name for it); None keeps the configuration's ``seed``.
        **params: Dotted configuration keys, e.g. ``**{"voting.compliance": 0.6}``; numpy
            scalars are accepted. A Mesa ``Scenario`` object passed as ``scenario`` (SolaraViz
            adds one when it rebuilds a model) is ignored: the configuration is the scenario.

    Attributes:
        datacollector: One row a day (collected after each step): the daily series and the
            summary keys in :attr:`summary_keys`.
        summary: The summary once the run is over (None before).

    Raises:
        sim.config.ConfigError: A key is unknown or a value out of bounds.
    """

    #: Summary keys the DataCollector reports (a subclass may choose others).
    summary_keys: tuple[str, ...] = SUMMARY_KEYS

    def __init__(self, config: Mapping[str, Any] | None = None, *, rng: Any = None, **params: Any) -> None:
        if isinstance(params.get("scenario"), Scenario):
            del params["scenario"]
        overrides = {key: plain(value) for key, value in params.items()}
        if rng is not None:
            overrides["seed"] = seed_of(rng)
        cfg = resolve_config(config, **overrides)  # loads the scenario and policy presets as simulate() does
        clash = set(self.summary_keys) & set(SERIES_COLUMNS)
        if clash:
            raise ValueError(f"summary keys {sorted(clash)} are also daily series columns")
        super().__init__(cfg, interventions=build_interventions(cfg.interventions))
        self.summary: dict[str, Any] | None = None
        self._so_far: dict[str, Any] = {}
        reporters: dict[str, Any] = {col: self._series_reporter(col) for col in SERIES_COLUMNS}
        reporters.update({key: self._summary_reporter(key) for key in self.summary_keys})
        self.datacollector = DataCollector(model_reporters=reporters)

    def _series_reporter(self, column: str) -> Any:
        def report(model: BatchElectionModel) -> float:
            return float(model.series.columns[column][model.recorded_row])

        return report

    def _summary_reporter(self, key: str) -> Any:
        def report(model: BatchElectionModel) -> Any:
            return model._so_far.get(key)

        return report

    @property
    def recorded_row(self) -> int:
        """The row of the daily series recorded last (-1 before the first day)."""
        return self.steps - 1

    def step(self) -> None:
        """Advance one day, then collect the day's row."""
        super().step()
        self._so_far = run_summary(self)
        if not self.running:
            self.summary = self._so_far
        self.datacollector.collect(self)
