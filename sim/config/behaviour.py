"""The actors' settings: delegates, candidates, brokers, congress day and patronage."""

from __future__ import annotations

from dataclasses import dataclass

from sim.config.fields import param, prob


# --------------------------------------------------------------------------------------------
# Behaviour
# --------------------------------------------------------------------------------------------
@dataclass
class DelegateConfig:
    """Delegates' traits and their logit choice to take a bribe."""

    integrity_mean: float = param(2.0, unit="logit", doc="mean moral cost of taking a bribe")
    integrity_sd: float = param(1.0, lo=0.0, unit="logit", doc="spread of moral cost across delegates")
    base_detection_belief: float = prob(
        0.08,
        doc="mean prior belief that a bribe is detected",
        assumed=(0.03, 0.15),
        reason="Lochner 2007: people's own arrest-risk beliefs run above official rates; no survey of delegates exists",
    )
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
    reservation_price: float = param(
        100.0,
        lo=0.0,
        unit="yuan",
        source="ASSUMPTION, range 50-200: township deals were struck at 50-500 yuan a vote (Xiushui 2002: 50; "
        "Feitian 2006: 400; Qidong 2007: 100-800, mostly <= 500; see MODEL.md), so the cheapest recorded price "
        "(50) lies in the lower tail and the usual prices above the median",
        doc="median of the delegates' reservation prices: a bribe below a delegate's own price is refused "
        "with certainty (lognormal across delegates, drawn once per run)",
        assumed=(50.0, 200.0),
        log=True,
        reason=(
            "township prices in the record: Xiushui 50, Feitian 400 yuan a deputy (Caijing 2014); a price paid "
            "bounds the reservation from above"
        ),
    )
    reservation_price_sd_log: float = param(
        0.7,
        lo=0.0,
        # Bound: at 5 the 95th percentile is ~3,700 times the median; beyond, prices overflow.
        hi=5.0,
        unit="log",
        source="ASSUMPTION, range 0.4-1.0: 0.7 puts 90% of reservation prices between a third and three times "
        "the median (about 30-300 yuan), the span of the recorded township prices",
        doc="spread of the reservation prices (sd of their log)",
        assumed=(0.4, 1.0),
        reason=(
            "Qidong 2007 offers ran 100-800 yuan within one election (a factor 8 over about the 5th-95th "
            "percentiles: sd of the log about 0.63)"
        ),
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
    risk_weight: float = param(
        1.0,
        lo=0.0,
        unit="logit",
        doc="weight of perceived risk x sanction",
        assumed=(0.5, 2.0),
        reason="the delegates' risk weight is fitted, the candidates' is not: half to twice the delegates' scale",
    )
    rival_weight: float = param(
        2.0,
        lo=0.0,
        unit="logit",
        doc="pressure to buy when rivals on the ballot buy (an arms race)",
        assumed=(0.0, 3.0),
        reason="Hengyang and Shaoyang show everyone paid (an arms race is real) but not how strongly; 0 is inside",
    )
    sanction: float = param(4.0, lo=0.0, unit="logit", doc="severity of disqualification for a candidate")
    vote_target_share: float = param(
        0.6,
        lo=0.0,
        hi=1.0,
        unit="share",
        doc="share of the congress a buyer budgets to buy",
        assumed=(0.5, 0.9),
        reason=(
            "Shaoyang: 470 envelopes prepared for 534 deputies (0.88), 320 handed out (0.60); Qidong 280 for 309 "
            "(0.91); a majority needs more than half"
        ),
    )
    max_bribe: float = param(
        2000.0,
        lo=0.0,
        unit="yuan",
        source="LIT: the highest price regularly reported below provincial level (Shaoyang 2013, Hengyang)",
        doc="ceiling on the price offered per vote",
    )
    quit_risk_tolerance: float = param(
        0.25,
        lo=0.0,
        hi=1.0,
        unit="probability",
        doc="mean township risk above which a buyer stops funding",
        assumed=(0.15, 0.5),
        reason=(
            "Olken 2007: officials kept stealing under a certain audit (upper end); vote buying is a crime with "
            "real sanctions (Hengyang: 50 held), so quitting at moderate risk is plausible (lower end)"
        ),
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
        assumed=(0.0, 0.5),
        reason=(
            "Hicken et al. 2020: a promise to vote one's conscience after taking money worked less than a promise"
            " not to take it; pledges act mainly on acceptance"
        ),
    )
    education_weight: float = param(
        0.375,
        lo=0.0,
        unit="x",
        source="LIT: Vicente 2014 (a campaign changes how bought voters vote); size an assumption",
        doc="share of education's moral cost (logit) that lowers delivery",
        assumed=(0.0, 0.75),
        reason="Vicente 2014 gives the sign, not the size; up to twice the default",
    )
    merit_noise: float = param(
        1.0,
        lo=0.0,
        unit="merit sd",
        doc="noise in delegates' judgement of merit",
        assumed=(0.5, 1.5),
        reason="no clean-race figure to fit it to: half to one and a half merit sds",
    )
    bullet_vote: float = prob(
        0.5,
        doc="chance a complying bought delegate marks only the buyer (leaves rivals off)",
        assumed=(0.0, 1.0),
        reason="no evidence either way (Hengyang's name lists suggest lists of payers, not bullets): the whole range",
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
