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
            "captured_seat_rate_final",
            "Seats captured by vote buyers, after unseating",
            "share",
            residual="vote buyers who would have lost without bribes hold {level} of seats after unseating",
        ),
        Outcome(
            "vacated_seat_rate_final",
            "Seats left vacant by split bought marks, after unseating",
            "share",
            residual="bought marks that split the majority leave {level} of seats vacant after unseating",
        ),
        Outcome(
            "displaced_seat_rate_final",
            "Seats vote buying gave to another candidate, after unseating",
            "share",
            residual="vote buying gives {level} of seats to another candidate who did not pay, after unseating",
        ),
        Outcome(
            "bought_seat_rate_final",
            "Seats vote buying changed, after unseating",
            "share",
            residual="vote buying still changes the winner of {level} of seats after unseating",
        ),
        Outcome("bought_seat_rate", "Seats vote buying changed on congress day", "share"),
        Outcome("seats_bought_final", "Seats vote buying changed, after unseating", "count"),
        Outcome("seats_captured_final", "Seats captured by vote buyers, after unseating", "count"),
        Outcome("payer_seat_rate_final", "Seats held by candidates who paid brokers", "share"),
        Outcome("bribed_share", "Delegates bribed", "share"),
        Outcome("detected_before_vote", "Vote buyers caught before the vote", "count", "higher"),
        Outcome("honest_removed", "Honest candidates removed", "count"),
        Outcome("ballots_without_competition_share", "Ballots that lost competition", "share"),
        Outcome("merit_loss_removals", "Merit lost per seat through removals", "merit"),
        Outcome("merit_loss_buying", "Merit lost per seat through vote buying", "merit"),
        Outcome("merit_loss", "Merit lost per seat against a clean election", "merit"),
        Outcome("cost_total", "Cost", "cost"),
        Outcome("cost_per_100_townships", "Cost per 100 townships", "cost"),
    )
}


#: The headline outcome: what an arm is ranked by (unless the analyst chooses another,
#: ``report.outcome``) and what cost-effectiveness counts.  A captured seat prevented (a seat a
#: vote buyer would have won only by buying) is the unit of benefit.
HEADLINE = "captured_seat_rate_final"


#: What the optimiser (``experiment=optimise``) minimises, and its target is stated in: every seat
#: vote buying changed, after unseating.
OPTIMISED = "bought_seat_rate_final"


#: The seats vote buying changed, split by what became of them (they add up to ``bought_seat_rate_final``).
SPLIT: tuple[str, ...] = ("captured_seat_rate_final", "vacated_seat_rate_final", "displaced_seat_rate_final")


#: Outcomes an arm may be ranked by (``report.outcome``): shares of seats, so that a difference
#: times the seats is seats prevented (cost-effectiveness and net benefit count in seats).
RANKABLE: tuple[str, ...] = (*SPLIT, "bought_seat_rate_final", "payer_seat_rate_final")


#: Harms of the interventions, shown beside the headline wherever it appears.
HARMS: tuple[str, ...] = ("honest_removed", "merit_loss_removals")


#: The harm a net benefit weighs against the seats prevented (``report.harm_weight``).
HARM = "honest_removed"


def outcomes_for(headline: str = HEADLINE) -> list[str]:
    """Outcomes compared between arms, in the order of tables and figure panels, ranking outcome first."""
    rest = [*SPLIT, "bought_seat_rate_final", "payer_seat_rate_final", "bribed_share", "detected_before_vote"]
    return list(dict.fromkeys([headline, *rest, *HARMS, "ballots_without_competition_share", "cost_total"]))


#: Outcomes compared between arms with the default headline.
OUTCOMES: list[str] = outcomes_for(HEADLINE)


def outcome(key: str) -> Outcome:
    """The registry entry of ``key`` (a plain count for keys the registry does not know)."""
    return REGISTRY.get(key, Outcome(key, key.replace("_", " ").capitalize(), "count"))
