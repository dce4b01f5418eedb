"""The institutions' settings: who reports to the hotline, how tips are investigated, perceived risk."""

from __future__ import annotations

from dataclasses import dataclass

from sim.config.fields import param, prob


@dataclass
class ReportingConfig:
    """Who reports to the hotline, and the tips that are false."""

    # The five reporting rates are set together by the tip volume (Shanxi: 221 tips, FACTS.md, over
    # its 117 county-level divisions, the administrative record); each alone stays near its prior,
    # so they move to their posterior medians as a set (docs/VALIDATION.md, "Defaults").
    refuser_scale: float = param(
        0.21,
        lo=0.0,
        unit="x",
        source="POSTERIOR: median, docs/calibration_posterior.parquet (experiments/calibrate.py; docs/VALIDATION.md)",
        doc="multiplier of a refuser's report chance",
    )
    peer_scale: float = param(
        0.003,
        lo=0.0,
        unit="x",
        source="POSTERIOR: median, docs/calibration_posterior.parquet (experiments/calibrate.py; docs/VALIDATION.md)",
        doc="daily report chance of a peer, per share of bought peers",
    )
    rival_campaign: float = prob(
        0.0035,
        source="POSTERIOR: median, docs/calibration_posterior.parquet (experiments/calibrate.py; docs/VALIDATION.md)",
        doc="daily chance a non-buying rival reports buying they see, at full trust",
    )
    rival_after_vote: float = prob(
        0.054,
        source="POSTERIOR: median, docs/calibration_posterior.parquet (experiments/calibrate.py; docs/VALIDATION.md)",
        doc="chance a defeated candidate reports a winner who bought",
    )
    false_tips_per_township_day: float = param(
        0.002,
        lo=0.0,
        unit="tips/day",
        source="POSTERIOR: median, docs/calibration_posterior.parquet (experiments/calibrate.py; docs/VALIDATION.md)",
        doc="false or malicious tips a township a day",
    )
    trust_initial: float = prob(0.5, doc="initial trust that reports are acted upon")
    trust_gain: float = param(0.02, lo=0.0, hi=1.0, unit="trust", doc="trust gained in a county per visible resolution")


@dataclass
class InvestigationConfig:
    """The basic hotline that exists even without any intervention: slow and thin."""

    capacity_per_day: float = param(1.0, lo=0.0, unit="tips/day per county", doc="cases an office can open a day")
    direct_days: int = param(20, lo=1, unit="days", doc="days to close a direct check")
    supervised_days: int = param(40, lo=1, unit="days", doc="days to close a supervised case")
    p_substantiate_true: float = prob(
        0.0549,
        source="FIT: experiments/calibrate.py, docs/calibration_fit.json",
        doc="chance a true tip is substantiated",
    )
    p_substantiate_vague: float = prob(
        0.0054,
        source="FIT: experiments/calibrate.py, docs/calibration_fit.json",
        doc="chance a true but vague (township-level) tip is substantiated",
    )
    p_substantiate_false: float = prob(0.005, doc="chance a false tip is wrongly substantiated")
    implicate_candidate: float = prob(
        0.5,
        doc="chance a sanctioned broker's client is implicated",
        assumed=(0.2, 0.9),
        reason="no figure on how often a broker's case reaches the candidate",
    )
    expose_delegate: float = prob(
        0.5,
        source="ASSUMPTION; the big cases sanctioned nearly all (Hengyang: 518 of 527 deputies resigned)",
        doc="chance a delegate whose bribe is voided by a broker's sanction is sanctioned and loses its seat",
    )


@dataclass
class BeliefConfig:
    """Perceived detection risk: jumps after visible enforcement, decays back."""

    sanction_jump_local: float = prob(
        0.15,
        doc="belief jump in the township of a sanction",
        assumed=(0.05, 0.3),
        reason="Sherman 1990: crackdowns deter at first, then decay; size unknown",
    )
    sanction_jump_county: float = prob(
        0.04,
        doc="belief jump elsewhere in the county (spillover)",
        assumed=(0.0, 0.06),
        reason="Lochner 2007: perceived risk barely responds to others' sanctions, so 0 is inside",
    )
    half_life_days: float = param(10.0, lo=0.1, unit="days", doc="half-life of excess belief")
