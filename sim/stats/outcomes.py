"""The outcomes a sweep compares: what each measures, its unit, range and better direction."""

from __future__ import annotations

from dataclasses import dataclass

#: Confidence level of every interval in the report, and family-wise error rate of its claims.
LEVEL = 0.95


ALPHA = 1 - LEVEL


@dataclass(frozen=True)
class Outcome:
    """One outcome of a run: what it is, its unit and range, and which direction is better.

    Attributes:
        key: Column name in ``runs.parquet`` / ``summary.json``.
        label: Words for tables and figures, without the unit.
        kind: ``share`` (0..1, shown in per cent, differences in percentage points), ``count``,
            ``merit`` (a mean merit difference) or ``cost`` (staff-days).
        better: ``lower`` or ``higher``.
        residual: How to say what is left of it, with ``{level}`` for the value (optional).
    """

    key: str
    label: str
    kind: str
    better: str = "lower"
    residual: str = ""

    @property
    def bounds(self) -> tuple[float | None, float | None]:
        """The range of a run's value (None: unbounded)."""
        return {"share": (0.0, 1.0), "count": (0.0, None), "cost": (0.0, None)}.get(self.kind, (None, None))

    @property
    def scale(self) -> float:
        """Factor from stored value to displayed value (shares are shown in per cent)."""
        return 100.0 if self.kind == "share" else 1.0

    @property
    def unit(self) -> str:
        """Unit of a displayed level."""
        return {"share": "%", "count": "count", "cost": "staff-days", "merit": "merit points"}[self.kind]

    @property
    def diff_unit(self) -> str:
        """Unit of a displayed difference."""
        return "percentage points" if self.kind == "share" else self.unit


#: Every outcome the report knows, by key.
REGISTRY: dict[str, Outcome] = {
    o.key: o
    for o in (
        Outcome(
            "bought_seat_rate_final",
            "Seats vote buying changed, after unseating",
            "share",
            residual="vote buying still changes the winner of {level} of seats after unseating",
        ),
        Outcome("bought_seat_rate", "Seats vote buying changed on congress day", "share"),
        Outcome("seats_bought_final", "Seats vote buying changed, after unseating", "count"),
        Outcome("payer_seat_rate_final", "Seats held by candidates who paid brokers", "share"),
        Outcome("bribed_share", "Delegates bribed", "share"),
        Outcome("detected_before_vote", "Vote buyers caught before the vote", "count", "higher"),
        Outcome("honest_removed", "Honest candidates removed", "count"),
        Outcome("merit_loss_removals", "Merit lost per seat through removals", "merit"),
        Outcome("merit_loss_buying", "Merit lost per seat through vote buying", "merit"),
        Outcome("merit_loss", "Merit lost per seat against a clean election", "merit"),
        Outcome("cost_total", "Cost", "cost"),
        Outcome("cost_per_100_townships", "Cost per 100 townships", "cost"),
    )
}


#: The headline outcome: what an arm is ranked by and what cost-effectiveness counts. A bought seat
#: prevented (a seat whose winner vote buying would have changed) is the unit of benefit.
HEADLINE = "bought_seat_rate_final"


#: Harms of the interventions, shown beside the headline wherever it appears.
HARMS: tuple[str, ...] = ("honest_removed", "merit_loss_removals")


#: Outcomes compared between arms, in the order of tables and figure panels.
OUTCOMES: list[str] = [HEADLINE, "payer_seat_rate_final", "bribed_share", "detected_before_vote", *HARMS, "cost_total"]


def outcome(key: str) -> Outcome:
    """The registry entry of ``key`` (a plain count for keys the registry does not know)."""
    return REGISTRY.get(key, Outcome(key, key.replace("_", " ").capitalize(), "count"))
