"""The six interventions' settings, each off unless ``enabled``; decision levers are marked ``lever=``."""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.config.fields import param, prob


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
    moral_boost: float = param(
        0.8,
        lo=0.0,
        unit="logit",
        doc="moral cost added to an attendee",
        assumed=(0.0, 1.2),
        reason=(
            "Vicente 2014: a campaign lowered money's sway; size unknown, at most about half the fitted integrity scale"
        ),
    )
    risk_boost: float = prob(
        0.1,
        doc="detection belief added to an attendee",
        assumed=(0.0, 0.15),
        reason="Lochner 2007: perceived risk barely responds to others' sanctions, so 0 is inside",
    )
    half_life_days: float = param(
        20.0,
        lo=0.1,
        unit="days",
        doc="half-life of the effect",
        assumed=(5.0, 60.0),
        log=True,
        reason="Sherman 1990: deterrence decays within weeks to months; no estimate for training sessions",
    )
    candidate_risk_boost: float = prob(
        0.05,
        doc="perceived risk added to candidates by cases publicised at full coverage (scaled by coverage)",
        assumed=(0.0, 0.08),
        reason=(
            "Lochner 2007: perceived risk barely responds to others' sanctions, so 0 is inside; 0.08 is a high-"
            "risk screening grade"
        ),
    )
    staff_days_per_session: float = param(
        1.0,
        lo=0.0,
        unit="staff-days",
        doc="cost of one session",
        assumed=(0.5, 2.0),
        log=True,
        reason="no cost figures in the record (docs/VALIDATION.md): a factor of two either way",
    )


@dataclass
class RiskScreeningConfig:
    """Risk screening before the campaign with high / medium / low grading."""

    enabled: bool = param(False, unit="on/off", doc="screen townships and candidates", lever=(0.0, 1.0, 1.0))
    active_terms: int = param(0, lo=0, unit="terms", doc="acts in the first this many terms only (0: every term)")
    sensitivity: float = prob(0.7, doc="chance a township with buying is graded high or medium")
    specificity: float = prob(0.8, doc="chance a clean township is graded low")
    high_share: float = prob(0.2, doc="share of townships graded high (the top of the score)")
    medium_share: float = prob(0.3, doc="share graded medium")
    high_risk_boost: float = prob(
        0.08,
        doc="perceived risk added in high-risk townships (direct supervision)",
        assumed=(0.0, 0.12),
        reason=(
            "Olken 2007: even a certain audit cut missing funds by only about 8 points, so a visit moves beliefs "
            "modestly"
        ),
    )
    medium_risk_boost: float = prob(
        0.03,
        doc="perceived risk added in medium-risk townships (tracked)",
        assumed=(0.0, 0.05),
        reason=(
            "Olken 2007: even a certain audit cut missing funds by only about 8 points, so a visit moves beliefs "
            "modestly"
        ),
    )
    units_per_township: float = param(1.0, lo=0.0, unit="screening units", doc="cost to screen a township")
    units_per_candidate: float = param(0.2, lo=0.0, unit="screening units", doc="cost to screen a candidate")
    staff_days_per_unit: float = param(
        2.0,
        lo=0.0,
        unit="staff-days",
        doc="cost of one screening unit",
        assumed=(1.0, 4.0),
        log=True,
        reason="no cost figures in the record (docs/VALIDATION.md): a factor of two either way",
    )


@dataclass
class CandidateVettingConfig:
    """The four checks before nomination."""

    enabled: bool = False
    active_terms: int = param(0, lo=0, unit="terms", doc="acts in the first this many terms only (0: every term)")
    completion: float = prob(
        0.77,
        source="FACTS: Jiangxi 54%-100% of checks done; 0.77 is the middle of that range (their mean is 88%)",
        doc="share of the four checks completed",
    )
    hit_rate: float = prob(
        0.6,
        doc="chance a completed check set finds a tainted record",
        assumed=(0.2, 0.8),
        reason=(
            "before 2014 most tainted officials were promoted unnoticed (63% of 103 senior cases, Tian Guoliang; "
            "80% of 72, Shenzhen University 2012; 廉政瞭望 2014(4)); the 2021 checks are stricter but not certain"
        ),
    )
    false_alarm_rate: float = prob(
        0.02,
        doc="chance an honest candidate is wrongly excluded",
        assumed=(0.0, 0.05),
        reason="exclusions rest on documented findings, so wrong ones are rare",
    )
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
    staff_days_per_check: float = param(
        0.5,
        lo=0.0,
        unit="staff-days",
        doc="cost of one check",
        assumed=(0.25, 1.0),
        log=True,
        reason="no cost figures in the record (docs/VALIDATION.md): a factor of two either way",
    )


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
    substantiation_gain: float = param(
        1.3,
        lo=0.0,
        unit="x",
        doc="joint teams substantiate true tips more often",
        assumed=(1.0, 2.0),
        reason=(
            "joint discipline, organisation, legal and petition teams should prove more tips, not fewer; by how "
            "much is unknown"
        ),
    )
    trust_gain_multiplier: float = param(
        3.0,
        lo=1.0,
        unit="x",
        doc="visible resolution builds trust faster",
        assumed=(1.0, 4.0),
        reason="no figure on how fast visible resolution builds trust",
    )
    staff_days_per_case_day: float = param(
        0.5,
        lo=0.0,
        unit="staff-days",
        doc="investigator time per open case per day (a 7-day check: 3.5 staff-days)",
        assumed=(0.25, 1.0),
        log=True,
        reason="no cost figures in the record (docs/VALIDATION.md): a factor of two either way",
    )


@dataclass
class TeamInspectionConfig:
    """Inspection teams visiting townships (Liaoning, Guangxi, Anhui)."""

    enabled: bool = False
    active_terms: int = param(0, lo=0, unit="terms", doc="acts in the first this many terms only (0: every term)")
    n_teams: int = param(
        4,
        lo=0,
        # 20 times Liaoning's 473 county-to-township teams (FACTS.md): more would revisit the same
        # townships the same day and book staff-days for nothing.
        hi=10_000,
        unit="teams",
        doc="teams in the field",
        lever=(0, 64, 1),
        why=" (20 times Liaoning's 473 county-to-township teams; more would revisit the same townships)",
    )
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
    visit_risk_jump: float = prob(
        0.12,
        doc="belief jump in a visited township",
        assumed=(0.0, 0.2),
        reason=(
            "Olken 2007: even a certain audit cut missing funds by only about 8 points, so a visit moves beliefs "
            "modestly"
        ),
    )
    visit_risk_jump_county: float = prob(
        0.03,
        doc="belief jump in the rest of its county",
        assumed=(0.0, 0.05),
        reason="Lochner 2007: perceived risk barely responds to others' sanctions, so 0 is inside",
    )
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
    commitment: float = param(
        1.5,
        lo=0.0,
        unit="logit",
        doc="moral cost added by a pledge against a small bribe",
        assumed=(0.0, 2.5),
        reason=(
            "Hicken et al. 2020: a promise cut vote selling by 10.9 points in the small-stakes race only (about "
            "0.4-0.9 logit); 0 is inside"
        ),
    )
    bribe_scale: float = param(
        200.0,
        lo=0.01,
        unit="yuan",
        source="LIT: 200 yuan, the gift above which officials must hand gifts in (1995 gift rules); Hicken et al. "
        "2020: promises worked only in the low-stakes race",
        doc="bribe at which the pledge's effect falls to 1/e",
        assumed=(100.0, 400.0),
        log=True,
        reason=(
            "spans the township price band (Xiushui 50, Feitian 400 yuan a deputy); Hicken et al. 2020: promises "
            "held only at small stakes"
        ),
    )
    candidate_commitment: float = param(
        0.8,
        lo=0.0,
        unit="logit",
        doc="reduction in a talked-to candidate's propensity to buy",
        assumed=(0.0, 1.2),
        reason=(
            "no estimate of a talk's effect on a candidate's decision to pay; up to the voter-side promise effect"
            " of Hicken et al. 2020, 0 (cheap talk) inside"
        ),
    )
    staff_days_per_pledge: float = param(
        0.02,
        lo=0.0,
        unit="staff-days",
        doc="cost of one signed pledge",
        assumed=(0.01, 0.04),
        log=True,
        reason="no cost figures in the record (docs/VALIDATION.md): a factor of two either way",
    )
    staff_days_per_talk: float = param(
        0.25,
        lo=0.0,
        unit="staff-days",
        doc="cost of one talk with a candidate",
        assumed=(0.125, 0.5),
        log=True,
        reason="no cost figures in the record (docs/VALIDATION.md): a factor of two either way",
    )


@dataclass
class InterventionsConfig:
    """All six interventions; each is off unless `enabled` is true."""

    warning_education: WarningEducationConfig = field(default_factory=WarningEducationConfig)
    risk_screening: RiskScreeningConfig = field(default_factory=RiskScreeningConfig)
    candidate_vetting: CandidateVettingConfig = field(default_factory=CandidateVettingConfig)
    tipoff_resolution: TipoffResolutionConfig = field(default_factory=TipoffResolutionConfig)
    team_inspection: TeamInspectionConfig = field(default_factory=TeamInspectionConfig)
    pledges_talks: PledgesTalksConfig = field(default_factory=PledgesTalksConfig)
