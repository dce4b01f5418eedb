"""The intervention hook: a small base class the model calls on a fixed schedule.

Shape borrowed from Covasim's interventions: ``initialize`` at the start of each election (term)
in which the intervention acts, after the province is built and before candidates decide whether
to buy votes, ``apply`` once a day after the investigation step while it acts, ``carry_over``
between terms (what of its effect outlasts the election), ``finalize`` once after the last day,
plus ``cost`` in resource units.  Interventions run in order
of their ``order`` attribute (screening before vetting and inspection, which it steers), so that
their interactions are explicit and the same in every run.  The model types interventions against
:class:`sim.model.hooks.InterventionHooks`, which this class satisfies.
"""

from __future__ import annotations

from abc import ABC
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

if TYPE_CHECKING:
    from sim.model.election import ElectionModel


class Intervention(ABC):  # noqa: B024 - every hook is optional; subclasses override what they need
    """Base class of all interventions.

    Subclasses set ``name`` (also the name of their random stream and of their ``cost_<name>``
    outcome), ``order`` (when they run relative to the others) and ``unit`` (what ``units``
    counts), and override the hooks they need.

    Args:
        config: The intervention's parameters (any object; the six built-in ones take their
            dataclass from :mod:`sim.config`).
    """

    name: ClassVar[str] = "intervention"
    order: ClassVar[int] = 100
    unit: ClassVar[str] = "units"

    def __init__(self, config: Any = None) -> None:
        self.config = config
        self.units = 0.0  # resources used, in ``unit``
        self.staff_days = 0.0  # the same resources in a common currency
        self.outcomes: dict[str, float] = {}
        self.active = True  # acts in the current term (see ``active_terms``)

    def rng(self, model: ElectionModel) -> np.random.Generator:
        """The intervention's own random stream (draws here never shift the core processes')."""
        return model.streams[f"intervention.{self.name}"]

    def start_term(self, model: ElectionModel) -> None:
        """Called at the start of every election: carry over, then initialize if active this term.

        An intervention with ``active_terms = n > 0`` in its configuration acts in the first ``n``
        terms only; 0 (or no such setting) means every term.
        """
        limit = int(getattr(self.config, "active_terms", 0) or 0)
        if model.term > 0:
            self.carry_over(model)
        self.active = limit == 0 or model.term < limit
        # This term's outcomes only: an intervention that no longer acts reports zeros.
        self.outcomes = dict.fromkeys(self.outcomes, 0.0)
        if self.active:
            self.initialize(model)

    def carry_over(self, model: ElectionModel) -> None:  # noqa: B027 - optional hook
        """Called between terms: undo what of the intervention's effect does not outlast an election."""

    def initialize(self, model: ElectionModel) -> None:  # noqa: B027 - optional hook
        """Called at the start of each term it acts in, before candidates decide whether to buy."""

    def apply(self, model: ElectionModel) -> None:  # noqa: B027 - optional hook
        """Called once a day, after the day's offers, reports and investigations."""

    def finalize(self, model: ElectionModel) -> None:  # noqa: B027 - optional hook
        """Called once after the last day."""

    def spend(self, units: Any, staff_days_per_unit: float) -> None:
        """Book resources used (in a batch of runs, an array of each run's)."""
        if np.ndim(units):
            self.units = self.units + np.asarray(units, dtype=float)
            self.staff_days = self.staff_days + np.asarray(units, dtype=float) * staff_days_per_unit
            return
        self.units += float(units)
        self.staff_days += float(units) * staff_days_per_unit

    def cost(self) -> float:
        """Resources used so far, in staff-days (the unit ``cost_total`` adds up)."""
        return self.staff_days
