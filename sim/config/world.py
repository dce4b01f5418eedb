"""The world's settings: sizes of the province and the structure of its networks."""

from __future__ import annotations

from dataclasses import dataclass

from sim.config.fields import param, prob


# --------------------------------------------------------------------------------------------
# The world
# --------------------------------------------------------------------------------------------
@dataclass
class WorldConfig:
    """Sizes of the province and the structure of its networks."""

    n_cities: int = param(1, lo=1, unit="cities", doc="cities in the province")
    n_counties: int = param(1, lo=1, unit="counties", doc="counties, spread evenly over cities")
    n_townships: int = param(12, lo=1, unit="townships", doc="townships, spread evenly over counties")
    delegates_per_township: float = param(
        67.0, lo=2.0, unit="delegates", doc="mean congress size (county scale: ~800 delegates / 12)"
    )
    delegates_spread: float = param(
        0.25, lo=0.0, hi=0.9, unit="fraction", doc="congress sizes uniform in mean x (1 +/- spread)"
    )
    seats_per_township: int = param(3, lo=1, unit="seats", doc="seats elected by each congress")
    candidates_per_township: int = param(
        5,
        lo=2,
        unit="candidates",
        source="LAW: deputy posts elected by a local congress have 1-3 more candidates than posts (Organic Law "
        "of Local People's Congresses and Governments); 3 seats, 5 candidates",
        doc="candidates on each ballot (competitive: more than seats)",
    )
    reserves_per_township: int = param(
        2,
        lo=0,
        unit="candidates",
        source="LAW: the slate's margin over the seats (5 candidates for 3 seats: 2; the Organic Law requires 1-3 "
        "more candidates than posts), so a ballot can lose its whole margin to vetting and still go to the vote "
        "full; reserves are nominated by the same rule as the slate",
        doc="reserve candidates who replace candidates excluded before nomination",
    )
    peer_degree: int = param(8, lo=0, unit="ties", doc="peer ties per delegate in the ring lattice (even)")
    peer_rewire: float = prob(0.1, doc="share of peer ties rewired at random within the township")
    brokers_per_township: float = param(
        3.0, lo=0.0, unit="brokers", doc="mean number of brokers living in a township (Poisson)"
    )
    broker_kind_shares: list[float] = param(
        [0.5, 0.35, 0.15],
        lo=0.0,
        hi=1.0,
        unit="shares",
        doc="shares of political brokers, clan heads and gang figures (FACTS names all three)",
    )
    broker_ties: list[float] = param([14.0, 22.0, 10.0], lo=0.0, unit="ties", doc="mean delegate ties per broker kind")
    broker_cut: list[float] = param(
        [0.2, 0.1, 0.3], lo=0.0, hi=1.0, unit="share", doc="share of funds a broker keeps, per kind"
    )
    cross_township_share: list[float] = param(
        [0.15, 0.05, 0.2],
        lo=0.0,
        hi=1.0,
        unit="share",
        doc="share of a broker's ties to delegates of other townships of the county, per kind",
    )
    gang_intimidation: float = param(
        0.3, lo=0.0, hi=1.0, unit="fear", doc="retaliation fear added to delegates tied to a gang figure"
    )
    tainted_share: float = prob(
        0.15,
        doc="candidates carrying an undisclosed prior problem (FACTS: 'nominated while tainted')",
        assumed=(0.05, 0.3),
        reason="FACTS says only that nominations while tainted happen; no base rate for township candidates was found",
    )
