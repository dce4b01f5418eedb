"""What the model asks of an intervention: the hooks it calls on a fixed schedule.

The model never imports the interventions (they are built by a higher layer and handed in); it
types them against this protocol, which :class:`sim.interventions.base.Intervention` satisfies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Protocol

if TYPE_CHECKING:
    from sim.model.election import ElectionModel


class InterventionHooks(Protocol):
    """An intervention as the model sees it: its name, order, state, hooks and cost.

    ``start_term`` at the start of every election, ``apply`` once a day while ``active``,
    ``finalize`` after the last day; ``units``, ``outcomes`` and ``cost()`` are what the run's
    summary reports (``units_<name>``, ``<name>_<outcome>``, ``cost_<name>``).
    """

    name: ClassVar[str]
    order: ClassVar[int]
    units: float
    outcomes: dict[str, float]
    active: bool

    def start_term(self, model: ElectionModel) -> None:
        """Carry over from the last term, then initialise if active this term."""

    def apply(self, model: ElectionModel) -> None:
        """Act once a day, after the day's offers, reports and investigations."""

    def finalize(self, model: ElectionModel) -> None:
        """Act once after the last day."""

    def cost(self) -> float:
        """Resources used so far, in staff-days."""
