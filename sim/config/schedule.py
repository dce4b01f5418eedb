"""The calendar's settings: campaign days, the aftermath, and what carries over between terms."""

from __future__ import annotations

from dataclasses import dataclass

from sim.config.fields import param, prob


@dataclass
class TermsConfig:
    """What carries over from one election of the province to the next (``schedule.terms`` > 1)."""

    delegate_renewal: float = prob(
        0.6, doc="share of congress delegates replaced at a new term (sanctioned ones always); no figure found"
    )
    incumbent_renomination: float = prob(0.5, doc="chance a seated winner stands again")
    belief_carryover: float = prob(
        0.5,
        source="ASSUMPTION: deterrence with a half-life of about one term; after the Suihua and Lushi cases "
        "officials avoided the posts at once (qualitative reports only)",
        doc="share of the excess perceived risk a township lived with on average during a term that the next "
        "election starts with (the memory of enforcement)",
    )
    trust_carryover: float = prob(
        0.5, doc="share of the trust in the hotline gained (or lost) during a term that lasts into the next"
    )
    broker_rebuild: float = prob(0.3, doc="chance a sanctioned broker's place is taken by a new broker next term")
    broker_growth: float = prob(0.5, doc="share of a rewarded broker's dormant ties it activates for the next term")
    dormant_ties: float = param(
        1.0, lo=0.0, unit="x", doc="ties a broker could grow into, as a multiple of its ties at the start"
    )


@dataclass
class ScheduleConfig:
    """Calendar of a run."""

    campaign_days: int = param(30, lo=1, unit="days", doc="days of campaigning before congress day")
    terms: int = param(1, lo=1, hi=50, unit="terms", doc="elections of the same province run in sequence")
    post_election_days: int = param(
        45,
        lo=0,
        unit="days",
        doc="days after the vote in which findings unseat winners; at least the slowest deadline "
        "(investigation.supervised_days) so a case opened on congress day can close",
    )
