"""The simulator's configuration schema, its validation and its construction from mappings.

Every parameter is a dataclass field made with :func:`param`, which records the bounds that
validation enforces, the unit and the source of the default.  The same metadata generates the
parameter tables of ``docs/MODEL.md`` (``python experiments/param_table.py``), so the code and the
documentation cannot drift apart.

Sources are marked ``FACTS:`` (a figure in the source report summary, ``shared/seed/FACTS.md``),
``LIT:`` (the literature), ``POSTERIOR:`` (the median of the calibration's posterior, where the
record rejects the previous value), ``FIT:`` (the previous point calibration, inside the posterior's
90% interval or not inferred) or ``ASSUMPTION`` (chosen).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from omegaconf import DictConfig, OmegaConf


class ConfigError(ValueError):
    """An invalid configuration value; the message names the key and the value."""


def param(
    default: Any,
    *,
    lo: float | None = None,
    hi: float | None = None,
    unit: str = "",
    source: str = "ASSUMPTION",
    doc: str = "",
    lever: tuple[float, float, float] | None = None,
) -> Any:
    """A documented, bounded configuration field.

    Args:
        default: Default value.
        lo: Smallest allowed value (inclusive), or None.
        hi: Largest allowed value (inclusive), or None.
        unit: Unit of the value, for the documentation.
        source: Where the default comes from (FACTS / LIT / ASSUMPTION).
        doc: One-line meaning of the parameter.
        lever: ``(low, high, step)`` when the parameter is a decision lever of its intervention:
            the values an optimiser may choose are ``low, low + step, ..., high``, and 0 means the
            intervention is not deployed (see :mod:`sim.levers`).
    """
    meta = {"lo": lo, "hi": hi, "unit": unit, "source": source, "doc": doc}
    if lever is not None:
        meta["lever"] = tuple(float(v) for v in lever)
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=meta)
    return field(default=default, metadata=meta)


def prob(default: float, *, source: str = "ASSUMPTION", doc: str = "") -> Any:
    """A probability-valued field, bounded to [0, 1]."""
    return param(default, lo=0.0, hi=1.0, unit="probability", source=source, doc=doc)


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
        0, lo=0, unit="candidates", doc="reserve candidates who replace candidates excluded before nomination"
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
        0.15, doc="candidates carrying an undisclosed prior problem (FACTS: 'nominated while tainted')"
    )


# --------------------------------------------------------------------------------------------
# Behaviour
# --------------------------------------------------------------------------------------------
@dataclass
class DelegateConfig:
    """Delegates' traits and their logit choice to take a bribe."""

    integrity_mean: float = param(2.0, unit="logit", doc="mean moral cost of taking a bribe")
    integrity_sd: float = param(1.0, lo=0.0, unit="logit", doc="spread of moral cost across delegates")
    base_detection_belief: float = prob(0.08, doc="mean prior belief that a bribe is detected")
    accept_intercept: float = param(0.0, unit="logit", doc="intercept of the acceptance logit")
    money_weight: float = param(
        2.0, lo=0.0, unit="logit per log-unit", doc="weight of log(1 + bribe / bribe_reference) in the acceptance logit"
    )
    bribe_reference: float = param(
        100.0,
        lo=1.0,
        unit="yuan",
        source="LIT: township bribes of 50-500 yuan a vote (Xiushui 2002, Feitian 2006, Qidong 2007; see MODEL.md)",
        doc="bribe at which log(1 + bribe / reference) is log 2: the scale on which delegates value money",
    )
    reciprocity_weight: float = param(1.5, lo=0.0, unit="logit", doc="weight of reciprocity (0..1)")
    norm_weight: float = param(2.5, lo=0.0, unit="logit", doc="weight of the share of peers known to have accepted")
    risk_weight: float = param(1.0, lo=0.0, unit="logit", doc="weight of detection belief x sanction x risk aversion")
    sanction: float = param(5.0, lo=0.0, unit="logit", doc="severity of the sanction on a bribed delegate")
    report_propensity_mean: float = prob(0.12, doc="mean chance a refuser reports when trust is full")
    retaliation_fear_mean: float = prob(0.35, doc="mean fear of retaliation (cuts reporting)")
    prior_acceptor_share: float = prob(0.1, doc="delegates known to have taken money before")
    prior_acceptor_weight: float = param(3.0, lo=1.0, unit="x", doc="brokers' preference for prior acceptors")
    lean_share: float = prob(0.0, doc="share of delegates with a prior preference for one candidate of their ballot")
    lean_strength: float = param(
        1.0, lo=0.0, unit="merit sd", doc="how much a prior preference adds to a delegate's judgement of that candidate"
    )


@dataclass
class CandidateConfig:
    """Candidates' traits and their decision to buy votes."""

    budget_mean: float = param(
        12000.0,
        lo=0.0,
        unit="yuan",
        source="LIT: township outlays of 2,500 (Xiushui 2002) to ~24,000 yuan (Feitian 2006); see MODEL.md",
        doc="mean campaign war chest of a township candidate (lognormal); ~300 yuan a vote at the mean",
    )
    budget_sd_log: float = param(0.6, lo=0.0, unit="log", doc="spread of the war chest")
    buy_intercept: float = param(-1.0, unit="logit", doc="intercept of the decision to buy")
    ambition_weight: float = param(2.5, lo=0.0, unit="logit", doc="weight of ambition (0..1)")
    tainted_weight: float = param(1.5, lo=0.0, unit="logit", doc="extra propensity of tainted candidates")
    integrity_weight: float = param(1.0, lo=0.0, unit="logit", doc="weight of the candidate's integrity (z-score)")
    risk_weight: float = param(1.0, lo=0.0, unit="logit", doc="weight of perceived risk x sanction")
    rival_weight: float = param(
        2.0, lo=0.0, unit="logit", doc="pressure to buy when rivals on the ballot buy (an arms race)"
    )
    sanction: float = param(4.0, lo=0.0, unit="logit", doc="severity of disqualification for a candidate")
    vote_target_share: float = param(
        0.6, lo=0.0, hi=1.0, unit="share", doc="share of the congress a buyer budgets to buy"
    )
    max_bribe: float = param(
        2000.0,
        lo=0.0,
        unit="yuan",
        source="LIT: the highest price regularly reported below provincial level (Shaoyang 2013, Hengyang)",
        doc="ceiling on the price offered per vote",
    )
    quit_risk_tolerance: float = param(
        0.25, lo=0.0, hi=1.0, unit="probability", doc="mean township risk above which a buyer stops funding"
    )
    price_competition: float = param(
        0.0, lo=0.0, unit="x", doc="rise in the price per vote when every rival on the ballot buys too (0: none)"
    )
    timing_competition: float = prob(
        0.0, doc="share of the campaign by which buyers facing buying rivals front-load their spending"
    )


@dataclass
class BrokerConfig:
    """Brokers' daily canvassing."""

    approaches_per_day: float = param(3.0, lo=0.0, unit="offers/day", doc="offers a broker can make a day")
    target_swing: float = param(
        0.0,
        unit="logit",
        source="LIT: Stokes 2005 (swing voters) against Stokes et al. 2013 (loyalists); 0 takes no side",
        doc="brokers' preference for delegates not already leaning to the client (negative: for loyalists)",
    )
    lie_low: float = prob(
        0.0,
        doc="how far brokers lie low while an inspection team is in town: that share of their approaches there is "
        "held back (shifted to their other townships) and of the traces of their bribes hidden from the team",
    )
    skim_step: float = param(
        0.05,
        lo=0.0,
        hi=0.5,
        unit="share",
        doc="change of a broker's cut between terms: up after a win, down after a loss",
    )


@dataclass
class ReportingConfig:
    """Who reports to the hotline, and the tips that are false."""

    # The five reporting rates are set together by the tip volume (Shanxi: 221 tips over 117
    # county-level units); each alone stays near its prior, so they move to their posterior medians
    # as a set (docs/VALIDATION.md, "Defaults").
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
    implicate_candidate: float = prob(0.5, doc="chance a sanctioned broker's client is implicated")
    expose_delegate: float = prob(
        0.5,
        source="ASSUMPTION; the big cases sanctioned nearly all (Hengyang: 518 of 527 deputies resigned)",
        doc="chance a delegate whose bribe is voided by a broker's sanction is sanctioned and loses its seat",
    )


@dataclass
class BeliefConfig:
    """Perceived detection risk: jumps after visible enforcement, decays back."""

    sanction_jump_local: float = prob(0.15, doc="belief jump in the township of a sanction")
    sanction_jump_county: float = prob(0.04, doc="belief jump elsewhere in the county (spillover)")
    half_life_days: float = param(10.0, lo=0.1, unit="days", doc="half-life of excess belief")


@dataclass
class VotingConfig:
    """Congress day."""

    compliance: float = prob(
        0.75,
        source="LIT: Shaoyang 2013, 241 votes from 320 bribes (China Daily 2013-01-31; Truex 2016)",
        doc="chance a typical bought delegate delivers the mark (average reciprocity and monitoring, no pledge, "
        "no education); 0 and 1 are exact",
    )
    reciprocity_weight: float = param(
        3.0,
        lo=0.0,
        unit="logit per unit",
        source="LIT: Finan & Schechter 2012 (reciprocity drives targeting); size an assumption (+0.5 logit per sd)",
        doc="delivery logit per unit of reciprocity (0..1, sd ~0.16)",
    )
    monitoring_by_kind: list[float] = param(
        [0.0, 0.4, 0.8],
        lo=0.0,
        hi=1.0,
        unit="logit",
        source="LIT: Stokes 2005, Brusco et al. 2004 (monitoring makes buying work); Hengyang's ballot checkers; "
        "sizes an assumption",
        doc="how well political, clan and gang brokers can check a delegation's count",
    )
    monitoring_weight: float = param(1.0, lo=0.0, unit="logit", doc="delivery logit per unit of broker monitoring")
    pledge_weight: float = param(
        0.33,
        lo=0.0,
        unit="x",
        source="LIT: Hicken et al. 2020, -10.9 points of vote selling after a promise (small stakes)",
        doc="share of a pledge's commitment (logit, fading with the bribe) that lowers delivery",
    )
    education_weight: float = param(
        0.375,
        lo=0.0,
        unit="x",
        source="LIT: Vicente 2014 (a campaign changes how bought voters vote); size an assumption",
        doc="share of education's moral cost (logit) that lowers delivery",
    )
    merit_noise: float = param(1.0, lo=0.0, unit="merit sd", doc="noise in delegates' judgement of merit")
    bullet_vote: float = prob(0.5, doc="chance a complying bought delegate marks only the buyer (leaves rivals off)")


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
class PatronageConfig:
    """Winners who bought votes recoup by selling posts; appointees and brokers enter later elections."""

    posts_per_patron: float = param(
        2.0,
        lo=0.0,
        unit="posts/term",
        source="ASSUMPTION: county-level sellers sold 3-5 posts a year (Shangzhou 27 in ~5 years; Anyang 33 in 11); "
        "a township official sells village and station posts",
        doc="posts a seated vote buyer sells in a term (Poisson mean)",
    )
    post_price: float = param(
        20000.0,
        lo=0.0,
        unit="yuan",
        source="LIT: ~10,000 yuan a post on average (Lushi, Henan 1997-2001); under 30,000 a payer (Suihua 1993-2002)",
        doc="price of a post sold by a township official",
    )
    recoup_share: float = prob(0.5, doc="share of a patron's rents that goes into its war chest next term")
    appointee_candidate: float = prob(
        0.3,
        source="ASSUMPTION; brokers and appointees rewarded with posts and candidacies: Camp 2017, Zarazaga 2014",
        doc="chance an appointee stands as a candidate next term",
    )
    appointee_broker: float = prob(0.2, doc="chance an appointee works as a broker next term")
    appointee_delegate: float = prob(0.3, doc="chance an appointee sits in the congress next term")
    broker_to_slate: float = prob(0.1, doc="chance a broker whose client won is put on the next slate")


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


# --------------------------------------------------------------------------------------------
# Interventions (each toggled by `enabled`; parameters documented in docs/MODEL.md)
# --------------------------------------------------------------------------------------------
@dataclass
class WarningEducationConfig:
    """Warning films, publicised cases and deterrence sessions."""

    enabled: bool = False
    active_terms: int = param(0, lo=0, unit="terms", doc="acts in the first this many terms only (0: every term)")
    coverage: float = param(
        0.6, lo=0.0, hi=1.0, unit="probability", doc="share of delegates reached by a session", lever=(0.0, 1.0, 0.05)
    )
    attendees_per_session: float = param(
        9.2,
        lo=1.0,
        unit="attendees",
        source="FACTS: Yunnan 85,455 attendances / 9,321 sessions",
        doc="size of a session",
    )
    start_day: int = param(0, lo=0, unit="day", doc="campaign day the sessions start")
    rollout_days: int = param(10, lo=1, unit="days", doc="days over which sessions are held")
    moral_boost: float = param(0.8, lo=0.0, unit="logit", doc="moral cost added to an attendee")
    risk_boost: float = prob(0.1, doc="detection belief added to an attendee")
    half_life_days: float = param(20.0, lo=0.1, unit="days", doc="half-life of the effect")
    candidate_risk_boost: float = prob(0.05, doc="perceived risk added to candidates (cases publicised)")
    staff_days_per_session: float = param(1.0, lo=0.0, unit="staff-days", doc="cost of one session")


@dataclass
class RiskScreeningConfig:
    """Risk screening before the campaign with high / medium / low grading."""

    enabled: bool = param(False, unit="on/off", doc="screen townships and candidates", lever=(0.0, 1.0, 1.0))
    active_terms: int = param(0, lo=0, unit="terms", doc="acts in the first this many terms only (0: every term)")
    sensitivity: float = prob(0.7, doc="chance a township with buying is graded high or medium")
    specificity: float = prob(0.8, doc="chance a clean township is graded low")
    high_share: float = prob(0.2, doc="share of townships graded high (the top of the score)")
    medium_share: float = prob(0.3, doc="share graded medium")
    high_risk_boost: float = prob(0.08, doc="perceived risk added in high-risk townships (direct supervision)")
    medium_risk_boost: float = prob(0.03, doc="perceived risk added in medium-risk townships (tracked)")
    units_per_township: float = param(1.0, lo=0.0, unit="screening units", doc="cost to screen a township")
    units_per_candidate: float = param(0.2, lo=0.0, unit="screening units", doc="cost to screen a candidate")
    staff_days_per_unit: float = param(2.0, lo=0.0, unit="staff-days", doc="cost of one screening unit")


@dataclass
class CandidateVettingConfig:
    """The four checks before nomination."""

    enabled: bool = False
    active_terms: int = param(0, lo=0, unit="terms", doc="acts in the first this many terms only (0: every term)")
    completion: float = prob(
        0.77,
        source="FACTS: Jiangxi 54%-100% of checks done (mean of 54, 99, 99.5, 100 = 88%; integrity 54%)",
        doc="share of the four checks completed",
    )
    hit_rate: float = prob(0.6, doc="chance a completed check set finds a tainted record")
    false_alarm_rate: float = prob(0.02, doc="chance an honest candidate is wrongly excluded")
    coverage: float = param(
        1.0,
        lo=0.0,
        hi=1.0,
        unit="probability",
        doc="share of candidates vetted (high-risk first when screening runs)",
        lever=(0.0, 1.0, 0.05),
    )
    checks_per_candidate: int = param(
        4, lo=1, unit="checks", source="FACTS: the four mandatory checks", doc="checks per vetted candidate"
    )
    staff_days_per_check: float = param(0.5, lo=0.0, unit="staff-days", doc="cost of one check")


@dataclass
class TipoffResolutionConfig:
    """Joint investigation with deadlines (Shanxi)."""

    enabled: bool = False
    active_terms: int = param(0, lo=0, unit="terms", doc="acts in the first this many terms only (0: every term)")
    direct_days: int = param(
        7, lo=1, unit="days", source="FACTS: 5 working days = 7 calendar days", doc="deadline of a direct check"
    )
    supervised_days: int = param(
        10, lo=1, unit="days", source="FACTS: supervised cases within 10 days", doc="deadline of a supervised case"
    )
    capacity_multiplier: float = param(
        6.0, lo=1.0, unit="x", doc="investigation capacity relative to the basic hotline", lever=(1.0, 10.0, 0.5)
    )
    substantiation_gain: float = param(1.3, lo=0.0, unit="x", doc="joint teams substantiate true tips more often")
    trust_gain_multiplier: float = param(3.0, lo=1.0, unit="x", doc="visible resolution builds trust faster")
    staff_days_per_case_day: float = param(
        0.5, lo=0.0, unit="staff-days", doc="investigator time per open case per day (a 7-day check: 3.5 staff-days)"
    )


@dataclass
class TeamInspectionConfig:
    """Inspection teams visiting townships (Liaoning, Guangxi, Anhui)."""

    enabled: bool = False
    active_terms: int = param(0, lo=0, unit="terms", doc="acts in the first this many terms only (0: every term)")
    n_teams: int = param(4, lo=0, unit="teams", doc="teams in the field", lever=(0, 64, 1))
    coverage_target: float = prob(
        0.0, doc="if above 0, field as many teams as it takes to visit this share of townships (overrides n_teams)"
    )
    visit_days: int = param(3, lo=1, unit="days", doc="days a team stays in a township")
    start_day: int = param(5, lo=0, unit="day", doc="first day of visits")
    detect_per_tie_day: float = prob(
        0.001,
        source="POSTERIOR: median, docs/calibration_posterior.parquet (experiments/calibrate.py; docs/VALIDATION.md)",
        doc="daily chance a team uncovers one active vote-buying tie",
    )
    irregularity_rate: float = param(
        0.39,
        lo=0.0,
        unit="problems/visit",
        source="POSTERIOR: median, docs/calibration_posterior.parquet (experiments/calibrate.py; docs/VALIDATION.md)",
        doc="other irregularities found per visit",
    )
    visit_risk_jump: float = prob(0.12, doc="belief jump in a visited township")
    visit_risk_jump_county: float = prob(0.03, doc="belief jump in the rest of its county")
    team_members: int = param(3, lo=1, unit="people", doc="people per team (cost is in team-days)")


@dataclass
class PledgesTalksConfig:
    """Signed pledges and heart-to-heart talks (Hunan, Anhui, Shaanxi)."""

    enabled: bool = False
    active_terms: int = param(0, lo=0, unit="terms", doc="acts in the first this many terms only (0: every term)")
    delegate_coverage: float = param(
        0.5,
        lo=0.0,
        hi=1.0,
        unit="probability",
        source="FACTS: Hunan 377,000 pledges",
        doc="share of delegates who sign a pledge",
        lever=(0.0, 1.0, 0.05),
    )
    candidate_coverage: float = param(
        1.0,
        lo=0.0,
        hi=1.0,
        unit="probability",
        source="FACTS: talks with every key official (Anhui, Shaanxi)",
        doc="share of candidates talked to",
        lever=(0.0, 1.0, 0.05),
    )
    commitment: float = param(1.5, lo=0.0, unit="logit", doc="moral cost added by a pledge against a small bribe")
    bribe_scale: float = param(
        200.0,
        lo=0.01,
        unit="yuan",
        source="LIT: 200 yuan, the gift above which officials must hand gifts in (1995 gift rules); Hicken et al. "
        "2020: promises worked only in the low-stakes race",
        doc="bribe at which the pledge's effect falls to 1/e",
    )
    candidate_commitment: float = param(
        0.8, lo=0.0, unit="logit", doc="reduction in a talked-to candidate's propensity to buy"
    )
    staff_days_per_pledge: float = param(0.02, lo=0.0, unit="staff-days", doc="cost of one signed pledge")
    staff_days_per_talk: float = param(0.25, lo=0.0, unit="staff-days", doc="cost of one talk with a candidate")


@dataclass
class InterventionsConfig:
    """All six interventions; each is off unless `enabled` is true."""

    warning_education: WarningEducationConfig = field(default_factory=WarningEducationConfig)
    risk_screening: RiskScreeningConfig = field(default_factory=RiskScreeningConfig)
    candidate_vetting: CandidateVettingConfig = field(default_factory=CandidateVettingConfig)
    tipoff_resolution: TipoffResolutionConfig = field(default_factory=TipoffResolutionConfig)
    team_inspection: TeamInspectionConfig = field(default_factory=TeamInspectionConfig)
    pledges_talks: PledgesTalksConfig = field(default_factory=PledgesTalksConfig)


@dataclass
class SimConfig:
    """Everything one simulation run needs."""

    scenario: str = "county"
    seed: int = param(0, lo=0, hi=2**63 - 1, unit="integer", doc="seed of the run; every random stream derives from it")
    world: WorldConfig = field(default_factory=WorldConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    terms: TermsConfig = field(default_factory=TermsConfig)
    patronage: PatronageConfig = field(default_factory=PatronageConfig)
    delegates: DelegateConfig = field(default_factory=DelegateConfig)
    candidates: CandidateConfig = field(default_factory=CandidateConfig)
    brokers: BrokerConfig = field(default_factory=BrokerConfig)
    reporting: ReportingConfig = field(default_factory=ReportingConfig)
    investigation: InvestigationConfig = field(default_factory=InvestigationConfig)
    beliefs: BeliefConfig = field(default_factory=BeliefConfig)
    voting: VotingConfig = field(default_factory=VotingConfig)
    interventions: InterventionsConfig = field(default_factory=InterventionsConfig)

    def enabled_interventions(self) -> list[str]:
        """Names of the interventions switched on, in declaration order."""
        return [f.name for f in dataclasses.fields(self.interventions) if getattr(self.interventions, f.name).enabled]


# --------------------------------------------------------------------------------------------
# Construction and validation
# --------------------------------------------------------------------------------------------
def build_config(source: SimConfig | Mapping[str, Any] | DictConfig | None = None, **overrides: Any) -> SimConfig:
    """Make a validated :class:`SimConfig` from a mapping, a DictConfig or a SimConfig.

    Unknown keys are rejected at every level (so a typo cannot be silently ignored), numpy
    scalars are accepted as the Python numbers they hold, and every value is checked against its
    type and bounds.

    Args:
        source: Configuration to start from (partial mappings are merged onto the defaults). A
            DictConfig (Hydra's) may hold keys that are not simulation keys; they are left out.
        **overrides: Dotted-key overrides, e.g. ``**{"world.n_townships": 4}``.

    Returns:
        A validated configuration.

    Raises:
        ConfigError: A key is unknown, or a value has the wrong type or is out of bounds.
    """
    if isinstance(source, SimConfig) and not overrides and not _has_foreign_scalars(source):
        # Already typed: only the values need checking (merging through OmegaConf is slow).
        # Configurations are never modified after construction, so it is returned as it is.
        validate(source)
        return source
    if isinstance(source, DictConfig) and not overrides:
        # Hydra's configuration is typed by the schema already: build the dataclasses directly
        # (a sweep plans every job this way); anything unusual takes the OmegaConf path below.
        raw = _sim_section(OmegaConf.to_container(source, resolve=False))  # type: ignore[arg-type]
        try:
            typed = _from_plain(SimConfig, OmegaConf.to_container(OmegaConf.create(raw), resolve=True))
            validate(typed)
            return typed
        except (ConfigError, TypeError, ValueError, KeyError):
            pass  # the OmegaConf path converts what it can and names the problem
    schema = OmegaConf.structured(SimConfig)
    try:
        if isinstance(source, SimConfig):
            merged = OmegaConf.merge(schema, plain_values(to_dict(source)))
        elif source is None:
            merged = schema
        elif isinstance(source, DictConfig):
            # Drop non-simulation keys (e.g. ``hydra``) before resolving interpolations.
            raw = _sim_section(OmegaConf.to_container(source, resolve=False))  # type: ignore[arg-type]
            merged = OmegaConf.merge(schema, OmegaConf.to_container(OmegaConf.create(raw), resolve=True))
        elif isinstance(source, Mapping):
            data = plain_values(dict(source))
            check_keys(data, SimConfig)
            merged = OmegaConf.merge(schema, data)
        else:
            raise ConfigError(
                f"config={source!r} must be a mapping (e.g. a dict) or a SimConfig, not {type(source).__name__}"
            )
        for key, value in overrides.items():
            if not isinstance(key, str) or OmegaConf.select(schema, key, default=_MISSING) is _MISSING:
                raise ConfigError(f"{key}={value!r}: unknown key (see docs/PARAMETERS.md for the keys)")
            value = plain_values(value, key)
            node = OmegaConf.select(schema, key)
            if isinstance(node, DictConfig):
                if not isinstance(value, Mapping):
                    raise ConfigError(f"{key}={value!r} must be a mapping of the keys of section {key}")
                check_keys(value, type(OmegaConf.to_object(node)), key + ".")
            OmegaConf.update(merged, key, value, merge=True)
    except ConfigError:
        raise
    except Exception as exc:  # omegaconf's errors name the key; re-raise as our type
        raise ConfigError(_omegaconf_message(exc)) from exc
    cfg: SimConfig = OmegaConf.to_object(merged)  # type: ignore[assignment]
    validate(cfg)
    return cfg


_MISSING = object()


def check_keys(data: Mapping[str, Any], cls: type, prefix: str = "") -> None:
    """Reject keys that ``cls`` (a configuration dataclass) does not have, at every level.

    Raises:
        ConfigError: Naming the unknown key with its full dotted path, or a section given a value.
    """
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    for key, value in data.items():
        if key not in fields:
            known = ", ".join(sorted(fields))
            raise ConfigError(f"{prefix}{key}={value!r}: unknown key (known keys of this section: {known})")
        hint = hints.get(key)
        if dataclasses.is_dataclass(hint):
            if not isinstance(value, Mapping):
                raise ConfigError(f"{prefix}{key}={value!r} must be a mapping of the keys of section {prefix}{key}")
            check_keys(value, hint, f"{prefix}{key}.")  # type: ignore[arg-type]


def _omegaconf_message(exc: Exception) -> str:
    """OmegaConf's error in one line, naming the key."""
    key = getattr(exc, "full_key", "") or ""
    msg = str(getattr(exc, "msg", "") or exc).splitlines()[0]
    return f"{key}: {msg}" if key else f"invalid configuration: {msg}"


def plain_values(value: Any, key: str = "") -> Any:
    """``value`` with numpy scalars and arrays turned into Python numbers and lists (recursively).

    Notebooks and tools such as the EMA Workbench hand over ``numpy.float64``, ``numpy.int64``
    and ``numpy.bool_``; OmegaConf accepts only Python's own types.

    Raises:
        ConfigError: A mapping has a key that is not a string.
    """
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise ConfigError(f"{key + '.' if key else ''}{k!r}: keys must be strings")
            out[k] = plain_values(v, f"{key}.{k}" if key else k)
        return out
    if isinstance(value, list | tuple):
        return [plain_values(v, key) for v in value]
    if type(value).__module__ == "numpy":
        return value.tolist() if hasattr(value, "tolist") else value.item()
    return value


def _from_plain(cls: type, data: Any) -> Any:
    """A configuration dataclass from plain nested data whose values have their types already.

    Raises:
        TypeError: A key is unknown or a section is not a mapping.
    """
    if not isinstance(data, Mapping):
        raise TypeError(f"{cls.__name__} needs a mapping")
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for key, value in data.items():
        hint = hints[key]  # KeyError for an unknown key
        kwargs[key] = _from_plain(hint, value) if dataclasses.is_dataclass(hint) else value
    return cls(**kwargs)


def _has_foreign_scalars(node: Any) -> bool:
    """True if a typed configuration holds values of non-Python types (e.g. numpy scalars)."""
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        if dataclasses.is_dataclass(value):
            if _has_foreign_scalars(value):
                return True
        elif any(type(v).__module__ == "numpy" for v in (value if isinstance(value, list) else [value])):
            return True
    return False


def _sim_section(data: dict[str, Any]) -> dict[str, Any]:
    """Keep only the keys that belong to a simulation (a Hydra config has others)."""
    names = {f.name for f in dataclasses.fields(SimConfig)}
    return {k: v for k, v in data.items() if k in names}


def validate(cfg: SimConfig) -> None:
    """Check every bounded field and the cross-field rules.

    Raises:
        ConfigError: Naming the offending key and its value.
    """
    _validate_node(cfg, "")
    w = cfg.world
    if w.seats_per_township >= w.candidates_per_township:
        raise ConfigError(
            f"world.seats_per_township={w.seats_per_township} must be smaller than "
            f"world.candidates_per_township={w.candidates_per_township} (a competitive election)"
        )
    if w.n_counties < w.n_cities:
        raise ConfigError(f"world.n_counties={w.n_counties} must be at least world.n_cities={w.n_cities}")
    if w.n_townships < w.n_counties:
        raise ConfigError(f"world.n_townships={w.n_townships} must be at least world.n_counties={w.n_counties}")
    if w.peer_degree % 2:
        raise ConfigError(f"world.peer_degree={w.peer_degree} must be even (a ring lattice)")
    largest = int(w.delegates_per_township * (1.0 + w.delegates_spread)) + 1
    if w.peer_degree > largest:
        # Ties are capped at the congress size; a larger degree changes nothing but the run time.
        raise ConfigError(
            f"world.peer_degree={w.peer_degree} exceeds the largest congress (about {largest} delegates with "
            f"world.delegates_per_township={w.delegates_per_township}): use at most {largest}"
        )
    for key in ("broker_kind_shares", "broker_ties", "broker_cut", "cross_township_share"):
        if len(getattr(w, key)) != 3:
            raise ConfigError(f"world.{key}={getattr(w, key)} must have 3 entries (political, clan, gang)")
    if abs(sum(w.broker_kind_shares) - 1.0) > 1e-9:
        raise ConfigError(f"world.broker_kind_shares={w.broker_kind_shares} must sum to 1")
    for key in ("monitoring_by_kind",):
        if len(getattr(cfg.voting, key)) != 3:
            raise ConfigError(f"voting.{key}={getattr(cfg.voting, key)} must have 3 entries (political, clan, gang)")
    slowest = max(cfg.investigation.supervised_days, cfg.investigation.direct_days)
    if 0 < cfg.schedule.post_election_days < slowest:
        # A shorter window cuts off every case opened on congress day before it can close, so the
        # post-election unseatings would measure the window, not the hotline.
        raise ConfigError(
            f"schedule.post_election_days={cfg.schedule.post_election_days} is shorter than the slowest "
            f"investigation deadline ({slowest} days, investigation.supervised_days): cases opened on congress "
            "day could never close; use 0 (no aftermath) or at least that many days"
        )
    rs = cfg.interventions.risk_screening
    if rs.high_share + rs.medium_share > 1.0:
        raise ConfigError(
            f"interventions.risk_screening.high_share + medium_share = {rs.high_share + rs.medium_share} exceeds 1"
        )
    check_size(cfg)


#: Bytes a run needs per delegate and per network tie (measured peak resident memory of runs
#: from 13,000 to 200,000 delegates: about 450 bytes per delegate with 8 peer ties; rounded up),
#: per candidate, per day (the daily series), per tip, and for the interpreter and libraries.
BYTES_PER_DELEGATE = 600
BYTES_PER_TIE = 40
BYTES_PER_CANDIDATE = 200
BYTES_PER_DAY = 400
BYTES_PER_TIP = 100
BYTES_FIXED = 200 * 2**20


def memory_parts(cfg: SimConfig) -> dict[str, tuple[float, tuple[str, ...]]]:
    """Estimated bytes of each part of a run, with the keys that size it (arithmetic only: instant)."""
    w, s = cfg.world, cfg.schedule
    towns = float(w.n_townships)
    delegates = towns * float(w.delegates_per_township) * (1.0 + float(w.delegates_spread))
    brokers = towns * float(w.brokers_per_township)
    days = float(s.campaign_days) + float(s.post_election_days) + 1.0
    peer = min(float(w.peer_degree), float(w.delegates_per_township) * (1.0 + float(w.delegates_spread)))
    return {
        "delegates": (delegates * BYTES_PER_DELEGATE, ("world.n_townships", "world.delegates_per_township")),
        "peer ties": (delegates * peer * BYTES_PER_TIE, ("world.peer_degree",)),
        "broker ties": (
            brokers * (BYTES_PER_DELEGATE + float(max(w.broker_ties)) * BYTES_PER_TIE),
            ("world.brokers_per_township", "world.broker_ties"),
        ),
        "candidates": (
            towns * float(w.candidates_per_township) * BYTES_PER_CANDIDATE,
            ("world.candidates_per_township",),
        ),
        "days": (days * BYTES_PER_DAY, ("schedule.campaign_days", "schedule.post_election_days")),
        "false tips": (
            towns * float(cfg.reporting.false_tips_per_township_day) * days * BYTES_PER_TIP,
            ("reporting.false_tips_per_township_day",),
        ),
    }


def memory_estimate(cfg: SimConfig) -> tuple[float, float]:
    """Delegates and bytes of memory a run of ``cfg`` needs (arithmetic only: instant)."""
    w = cfg.world
    delegates = float(w.n_townships) * float(w.delegates_per_township) * (1.0 + float(w.delegates_spread))
    return delegates, BYTES_FIXED + sum(b for b, _ in memory_parts(cfg).values())


def available_memory() -> int:
    """Bytes of memory this machine can give a run (MemAvailable, else physical memory)."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 2**62


def check_size(cfg: SimConfig, available: int | None = None) -> None:
    """Refuse a world too big for this machine's memory before building it.

    Raises:
        ConfigError: Naming the keys that size the largest part, the estimate and the memory.
    """
    _, need = memory_estimate(cfg)
    have = available_memory() if available is None else available
    if need > have:
        parts = memory_parts(cfg)
        what, (size, keys) = max(parts.items(), key=lambda item: item[1][0])
        values = ", ".join(f"{k}={_get(cfg, k)}" for k in keys)
        if what == "delegates" or what == "peer ties":
            values = f"world.n_townships={cfg.world.n_townships}, " * (what == "peer ties") + values
        elif "world.n_townships" not in values and what != "days":
            values += f" (with world.n_townships={cfg.world.n_townships})"
        raise ConfigError(
            f"{values}: the run would need an estimated {need / 2**30:,.1f} GiB of memory "
            f"({what}: {size / 2**30:,.1f} GiB); this machine has {have / 2**30:,.1f} GiB available: make it smaller"
        )


def _get(cfg: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        cfg = getattr(cfg, part)
    return cfg


@functools.cache
def _type_hints(cls: type) -> dict[str, Any]:
    """``typing.get_type_hints`` of a configuration class, once (it evaluates every annotation anew)."""
    return typing.get_type_hints(cls)


def _validate_node(node: Any, prefix: str) -> None:
    hints = _type_hints(type(node))
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        key = f"{prefix}{f.name}"
        if dataclasses.is_dataclass(value):
            _validate_node(value, key + ".")
            continue
        _check_type(key, value, hints.get(f.name))
        lo, hi = f.metadata.get("lo"), f.metadata.get("hi")
        values = value if isinstance(value, list) else [value]
        for v in values:
            if isinstance(v, bool) or not isinstance(v, int | float):
                continue
            if not math.isfinite(v):  # NaN and infinities would poison every sum they enter
                raise ConfigError(f"{key}={value} is not a finite number")
            if lo is not None and v < lo:
                raise ConfigError(f"{key}={value} is below its minimum {lo}")
            if hi is not None and v > hi:
                raise ConfigError(f"{key}={value} is above its maximum {hi}")


def _check_type(key: str, value: Any, hint: Any) -> None:
    """Values set directly on a typed configuration are checked like those merged by OmegaConf."""
    if hint is None:
        return
    if typing.get_origin(hint) is list:
        if not isinstance(value, list):
            raise ConfigError(f"{key}={value!r} must be a list")
        item = typing.get_args(hint)[0]
        for v in value:
            _check_type(key, v, item)
        return
    ok = {
        bool: lambda v: isinstance(v, bool),
        int: lambda v: isinstance(v, int) and not isinstance(v, bool),
        float: lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        str: lambda v: isinstance(v, str),
    }.get(hint)
    if ok is not None and not ok(value):
        raise ConfigError(f"{key}={value!r} must be of type {hint.__name__}, not {type(value).__name__}")


def iter_params(node: Any = None, prefix: str = "") -> list[tuple[str, Any, dict[str, Any]]]:
    """All documented parameters as (dotted key, default, metadata), for documentation."""
    node = SimConfig() if node is None else node
    rows: list[tuple[str, Any, dict[str, Any]]] = []
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        if dataclasses.is_dataclass(value):
            rows.extend(iter_params(value, f"{prefix}{f.name}."))
        else:
            rows.append((f"{prefix}{f.name}", value, dict(f.metadata)))
    return rows


def to_dict(cfg: SimConfig) -> dict[str, Any]:
    """The configuration as a plain nested dict (JSON-ready)."""
    return dataclasses.asdict(cfg)


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Flatten a nested mapping into dotted keys; lists stay lists."""
    flat: dict[str, Any] = {}
    for k, v in data.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            flat.update(flatten(v, key + "."))
        elif isinstance(v, list | tuple):
            flat[key] = list(v)
        else:
            flat[key] = v
    return flat


def with_values(cfg: SimConfig, **values: Any) -> SimConfig:
    """``cfg`` with scalar fields set by dotted key: a fast :func:`build_config` for many runs.

    Sets each value by replacing the dataclasses on its path (no OmegaConf merge: about 3 ms
    instead of 70 ms a call), converts integers given for float fields to floats and numpy
    scalars to Python ones, as :func:`build_config` does, then validates the whole configuration.

    Args:
        cfg: A typed configuration (left unchanged).
        **values: Dotted keys of scalar fields and their values, e.g.
            ``**{"interventions.team_inspection.n_teams": 8}``.

    Returns:
        A new, validated configuration.

    Raises:
        ConfigError: Naming the key and the value: an unknown key, a section or list given a
            scalar, a value of the wrong type, or a value out of bounds.
    """
    by_section: dict[str, dict[str, Any]] = {}
    for key, value in values.items():
        head, _, rest = key.partition(".")
        by_section.setdefault(head, {})[rest] = value
    return _replace_node(cfg, by_section, "")  # type: ignore[return-value]


def _replace_node(node: Any, values: dict[str, dict[str, Any]], prefix: str) -> Any:
    fields = {f.name: f for f in dataclasses.fields(node)}
    hints = _type_hints(type(node))
    changes: dict[str, Any] = {}
    for name, sub in values.items():
        key = prefix + name
        if name not in fields:
            rest, value = next(iter(sub.items()))
            raise ConfigError(f"{key}{'.' + rest if rest else ''}={value!r}: unknown key (see docs/PARAMETERS.md)")
        current = getattr(node, name)
        if dataclasses.is_dataclass(current):
            nested: dict[str, dict[str, Any]] = {}
            for rest, value in sub.items():
                if not rest:
                    raise ConfigError(f"{key}={value!r} must be a mapping of the keys of section {key}")
                head, _, tail = rest.partition(".")
                nested.setdefault(head, {})[tail] = value
            changes[name] = _replace_node(current, nested, key + ".")
            continue
        if set(sub) != {""}:
            raise ConfigError(f"{key}.{next(iter(sub))}: unknown key ({key} is not a section)")
        changes[name] = _coerce(key, plain_values(sub[""], key), hints.get(name))
    out = dataclasses.replace(node, **changes)
    if not prefix:
        validate(out)
    return out


def _coerce(key: str, value: Any, hint: Any) -> Any:
    """A value as its field's type, as OmegaConf would convert it (ints to floats), else a ConfigError."""
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if hint is int and isinstance(value, float) and value.is_integer():
        return int(value)
    _check_type(key, value, hint)
    return value
