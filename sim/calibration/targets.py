"""What the model is calibrated against: observed figures, the model quantity each one constrains, and how.

Every target names its source, the summary key of one run (``statistic``), the policy under which
it is simulated, and its observation model: a two-sided tolerance around the figure, or a bound
(``at_most`` / ``at_least``) for figures that only limit a quantity, on a linear or a log10 scale.
A target's *scaled residual* is ``(simulated - observed) / tolerance`` (zero inside a bound);
``|residual| <= 1`` means the simulated value is within the figure's tolerance.

Figures are from the source report (``shared/seed/FACTS.md``) and the public record of the worst
vote-buying cases (Xinhua via China Daily, 2013-12-29, "Hengyang election bribery"; Xinhua,
2015-09-15, on the Liaoning case; China Daily, 2013-01-31, Shaoyang).

Targets come in two groups, used for held-out validation (docs/VALIDATION.md):

* ``monitoring_2021``: the 2021 monitoring records (Shanxi's hotline, Liaoning's inspection),
  simulated under ``policy=as_deployed``;
* ``unchecked_cases``: the scale of the worst cases before the 2014 reforms (Hengyang, Liaoning,
  Shaoyang), simulated under ``policy=none``.

Checks of the mechanics (figures that a configured intensity reproduces by construction) are kept
apart in ``MECHANICS``: meeting them says the quota, queue and capacity work, not that behaviour
is right.  Predictive checks (``PREDICTIVE``) set volumes and prices the fit never sees beside the
record: tips substantiated and people sanctioned per county-level unit (Shanxi), and what a vote
costs (the township cases' prices).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

TWO_SIDED, AT_MOST, AT_LEAST = "two-sided", "at most", "at least"


MONITORING, UNCHECKED = "monitoring_2021", "unchecked_cases"


@dataclass(frozen=True)
class Target:
    """One observed figure and how a simulated statistic is compared with it.

    Attributes:
        name: short label.
        statistic: summary key of a run (mean over replicates).
        observed: the figure (a bound for one-sided targets).
        tolerance: half-width of the acceptable band, or the scale of a bound's violation.
        sense: ``two-sided``, ``at most`` or ``at least``.
        log10: compare on a log10 scale (tolerance in decades).
        policy: ``as_deployed`` or ``none``: the regime the figure was observed under.
        group: ``monitoring_2021`` or ``unchecked_cases`` (the held-out split).
        source: where the figure comes from.
        observation: what the figure covers and why the tolerance.
    """

    name: str
    statistic: str
    observed: float
    tolerance: float
    sense: str
    log10: bool
    policy: str
    group: str
    source: str
    observation: str

    @property
    def upper(self) -> float:
        """The largest value the statistic can take: 1 for shares, unbounded for counts and rates per visit."""
        return 1.0 if self.statistic in SHARE_STATISTICS else math.inf

    def scale_value(self, value: float) -> float:
        """A value on the scale the tolerance is stated in (log10 for counts spanning decades)."""
        if not math.isfinite(value):
            return math.nan
        return math.log10(max(value, 1e-6)) if self.log10 else float(value)

    def residual(self, simulated: float) -> float:
        """Scaled residual of a simulated value: 0 inside a bound, +-1 at the edge of the tolerance."""
        if not math.isfinite(simulated):
            return math.inf
        s, o = simulated, self.observed
        if self.log10:
            s, o = math.log10(max(s, 1e-6)), math.log10(o)
        r = (s - o) / self.tolerance
        if self.sense == AT_MOST:
            return max(r, 0.0)
        if self.sense == AT_LEAST:
            return min(r, 0.0)
        return r


#: Statistics that are shares of something (of tips, townships, seats, visits, cases, candidates).
SHARE_STATISTICS = frozenset(
    {
        "substantiation_rate",
        "township_bribed_share_p95",
        "township_bribed_share_max",
        "county_payer_seat_rate_max",
        "delivery_rate",
        "visit_coverage",
        "direct_within_deadline",
        "supervised_within_deadline",
        "vetting_completion",
    }
)


#: Shanxi: 221 tips received in the election period, all checked, 7 people disciplined, reminded or
#: criticised (FACTS.md).  The 117 county-level units are not in FACTS.md or the article: they are
#: Shanxi's administrative count in the public record (11 prefecture-level cities, 117 county-level
#: divisions).
SHANXI_TIPS, SHANXI_COUNTIES, SHANXI_SANCTIONED = 221, 117, 7


#: Liaoning: 142 concrete problems in 6 areas found in 318 townships (37.8%) (FACTS.md).
LIAONING_PROBLEMS, LIAONING_VISITS, LIAONING_AREAS = 142, 318, 6


TARGETS: tuple[Target, ...] = (
    Target(
        "tips received per county per election",
        "tips_per_county",
        SHANXI_TIPS / SHANXI_COUNTIES,
        1.0,
        TWO_SIDED,
        True,
        "as_deployed",
        MONITORING,
        "Shanxi 2021: 221 tips received by the organisation departments of province, cities and counties "
        "(FACTS.md), over Shanxi's 117 county-level divisions (administrative record, not in FACTS.md)",
        "The 221 are tips on election discipline received through the 12380 platform by organisation "
        "departments over the whole city/county/township leadership change; tips sent to discipline "
        "commissions or petition offices are not in it (more tips), while it also covers county and city "
        "leadership elections (fewer township tips). A tolerance of one decade either way covers that doubt: "
        "what the target settles is the order of magnitude.",
    ),
    Target(
        "share of all tips received leading to a sanction",
        "substantiation_rate",
        SHANXI_SANCTIONED / SHANXI_TIPS,
        0.02,
        TWO_SIDED,
        False,
        "as_deployed",
        MONITORING,
        "Shanxi 2021: 221 tips, all checked; 7 people disciplined, reminded or criticised (FACTS.md)",
        "Over all tips received, as in the record. Binomial 95% interval of 7/221 is about 1.3%-6.4%, "
        "so +-2 points; 7 is a count of people, so at most 7 tips.",
    ),
    Target(
        "problems found per inspection visit (all kinds)",
        "problems_per_visit",
        LIAONING_PROBLEMS / LIAONING_VISITS,
        0.07,
        TWO_SIDED,
        False,
        "as_deployed",
        MONITORING,
        "Liaoning 2021: 142 concrete problems in 6 areas, 318 townships visited (FACTS.md)",
        "A Poisson count of 142 has a 95% margin of +-1.96*sqrt(142)/318 = +-0.07 per visit.",
    ),
    Target(
        "vote-buying finds per inspection visit",
        "vote_buying_finds_per_visit",
        LIAONING_PROBLEMS / LIAONING_VISITS / LIAONING_AREAS,
        0.03,
        AT_MOST,
        False,
        "as_deployed",
        MONITORING,
        "Liaoning 2021: the 142 problems fall in 6 areas and were handed back for rectification (FACTS.md; "
        "source article)",
        "The record does not split the 142 by kind. Vote buying is at most one of the six areas and the "
        "problems were rectified, not prosecuted, so vote-buying finds are at most a sixth of all: <= 0.074 "
        "a visit. This bound is what separates the find rate from the rate of other irregularities.",
    ),
    Target(
        "share of a township's delegates bribed, 95th percentile, unchecked",
        "township_bribed_share_p95",
        523 / 619,
        0.10,
        AT_MOST,
        False,
        "none",
        UNCHECKED,
        "Liaoning 2013: 523 of 619 provincial deputies involved; Hengyang 2012-13: 518 of 527 municipal "
        "deputies took money (Xinhua via China Daily 2013-12-29; Xinhua 2015-09-15)",
        "The worst recorded congresses out of thousands per term (84.5%, 98.3%); the 95th percentile of "
        "townships in an unchecked city must not exceed the second worst case.",
    ),
    Target(
        "share of a township's delegates bribed, worst township, unchecked",
        "township_bribed_share_max",
        0.5,
        0.10,
        AT_LEAST,
        False,
        "none",
        UNCHECKED,
        "Hengyang, Liaoning (above); Nanchong 2011: 477 people punished, 230 of them took bribes (Xinhua 2015-09-15)",
        "Unchecked buying did buy most of a congress: the worst of a city's ~100 townships should reach at "
        "least half of its delegates bribed (a loose lower bound: 100 townships are fewer than the record's "
        "thousands of congresses).",
    ),
    Target(
        "share of a county's seats held by payers, worst county, unchecked",
        "county_payer_seat_rate_max",
        56 / 76,
        0.10,
        AT_MOST,
        False,
        "none",
        UNCHECKED,
        "Hengyang 2012-13: 56 of 76 provincial deputies elected by the city congress had bribed (voided); "
        "Liaoning 2013: 45 of 102 NPC deputies (Xinhua via China Daily 2013-12-29; Xinhua 2015-09-15)",
        "The worst recorded congress had 74% of its seats won by payers; the worst county of an unchecked "
        "city should not exceed it.",
    ),
    Target(
        "bought marks delivered, unchecked",
        "delivery_rate",
        241 / 320,
        0.15,
        TWO_SIDED,
        False,
        "none",
        UNCHECKED,
        "Shaoyang 2013: 320 bribes bought 241 votes (China Daily 2013-01-31; Truex 2016)",
        "An upper bound in one way (some of the 241 would have voted so anyway) and a lower one in another "
        "(votes bought and delivered unnoticed): +-0.15.",
    ),
)


#: Figures the configured intensities reproduce by construction: checks of the mechanics only.
MECHANICS: tuple[Target, ...] = (
    Target(
        "share of townships inspected",
        "visit_coverage",
        0.378,
        0.02,
        TWO_SIDED,
        False,
        "as_deployed",
        "mechanics",
        "Liaoning: 318 townships = 37.8%",
        "Set by team_inspection.coverage_target.",
    ),
    Target(
        "direct checks closed within 5 working days",
        "direct_within_deadline",
        1.0,
        0.05,
        TWO_SIDED,
        False,
        "as_deployed",
        "mechanics",
        "Shanxi: direct checks closed within 5 working days",
        "Set by tipoff_resolution.direct_days and capacity; open cases past the deadline count as late.",
    ),
    Target(
        "supervised cases closed within 10 days",
        "supervised_within_deadline",
        1.0,
        0.05,
        TWO_SIDED,
        False,
        "as_deployed",
        "mechanics",
        "Shanxi: supervised cases reported within 10 days",
        "Set by tipoff_resolution.supervised_days and capacity.",
    ),
    Target(
        "share of the four checks completed before nomination",
        "vetting_completion",
        0.88,
        0.12,
        TWO_SIDED,
        False,
        "as_deployed",
        "mechanics",
        "Jiangxi: integrity 54%, complaints 99%, personal matters 99.5%, files 100%",
        "Set by candidate_vetting.completion.",
    ),
)


#: Within three times the record either way: log10(3) decades.
THREEFOLD = math.log10(3.0)

#: Volumes and prices beside the record, never fitted: predictive checks only.
PREDICTIVE: tuple[Target, ...] = (
    Target(
        "tips substantiated per county-level unit",
        "tips_substantiated_per_county",
        SHANXI_SANCTIONED / SHANXI_COUNTIES,
        THREEFOLD,
        TWO_SIDED,
        True,
        "as_deployed",
        "predictive",
        "Shanxi 2021: 221 tips, all checked, 7 people disciplined (FACTS.md); 117 county-level divisions "
        "(administrative record)",
        "Seven people is at most seven substantiated tips; within three times either way.",
    ),
    Target(
        "people sanctioned after hotline tips per county-level unit",
        "people_sanctioned_hotline_per_county",
        SHANXI_SANCTIONED / SHANXI_COUNTIES,
        THREEFOLD,
        TWO_SIDED,
        True,
        "as_deployed",
        "predictive",
        "Shanxi 2021: 7 people disciplined, reminded or criticised after 221 tips (FACTS.md); 117 county-level "
        "divisions (administrative record)",
        "Brokers removed, delegates sanctioned and candidates disqualified or unseated after a substantiated tip "
        "(the calibration table gives them by kind); within three times either way.",
    ),
    Target(
        "yuan a delegate receives per bribe, unchecked",
        "yuan_per_bribe",
        math.sqrt(50 * 500),
        0.5,
        TWO_SIDED,
        True,
        "none",
        "predictive",
        "Township deals of 50-500 yuan a vote: Xiushui 2002 (50 a deputy), Feitian 2006 (400), Qidong 2007 "
        "(100-800, mostly <= 500) (docs/MODEL.md)",
        "The band 50-500 yuan on a log scale: its geometric middle (158 yuan) +-0.5 decades.",
    ),
    Target(
        "yuan candidates spend per delivered vote, unchecked",
        "yuan_per_delivered_vote",
        2000.0,
        500.0,
        AT_MOST,
        False,
        "none",
        "predictive",
        "The highest price regularly reported below the provincial level, about 2,000 yuan a vote (Shaoyang 2013; "
        "Hengyang) (docs/MODEL.md)",
        "What a delivered mark costs the candidate (bribe, broker's commission, marks not delivered, seized funds) "
        "should not exceed the dearest recorded price of a vote.",
    ),
)

#: People sanctioned by kind and channel, per county-level unit: shown beside the volume checks.
SANCTION_KINDS = (
    "brokers_removed_hotline",
    "delegates_sanctioned_hotline",
    "candidates_sanctioned_hotline",
    "brokers_removed_team_inspection",
    "delegates_sanctioned_team_inspection",
    "candidates_sanctioned_team_inspection",
)


def by_group(group: str | None) -> tuple[Target, ...]:
    """The calibration targets of one group (``None``: all)."""
    return tuple(t for t in TARGETS if group is None or t.group == group)


def derived(summary: Mapping[str, float]) -> dict[str, float]:
    """A run's summary plus the statistics the targets need that it does not hold directly.

    The volumes per county-level unit (``tips_per_county``, ``people_sanctioned_hotline_per_county`` ...)
    need the number of counties: a ``counties`` key (added by the calibration's simulator) or the
    run's input ``in.world.n_counties`` (runs.parquet of a sweep).
    """
    out = dict(summary)
    counties = summary.get("counties") or summary.get("in.world.n_counties")
    if counties:
        for key in ("tips", "tips_substantiated", "people_sanctioned_hotline", "people_sanctioned", *SANCTION_KINDS):
            if key in summary:
                out[f"{key}_per_county"] = summary[key] / counties
    held = summary.get("bought_votes_held", 0)
    out["delivery_rate"] = summary["bought_votes_delivered"] / held if held else float("nan")
    vetted = summary.get("candidates_vetted", 0)
    units = summary.get("units_candidate_vetting", 0.0)
    out["vetting_completion"] = units / (4 * vetted) if vetted else float("nan")
    return out


def mean_statistics(summaries: Iterable[Mapping[str, float]], targets: Iterable[Target]) -> dict[str, float]:
    """Each target's statistic averaged over replicate runs (NaN replicates left out)."""
    rows = [derived(s) for s in summaries]
    out = {}
    for t in targets:
        values = np.array([r.get(t.statistic, np.nan) for r in rows], dtype=float)
        out[t.statistic] = float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")
    return out


def residuals(stats: Mapping[str, float], targets: Iterable[Target]) -> dict[str, float]:
    """Scaled residual of each target."""
    return {t.statistic: t.residual(stats.get(t.statistic, float("nan"))) for t in targets}


def distance(stats: Mapping[str, float], targets: Iterable[Target]) -> float:
    """Root mean square of the scaled residuals: 1 means "on average at the edge of the tolerance"."""
    r = np.array(list(residuals(stats, targets).values()), dtype=float)
    if not np.isfinite(r).all():
        return float("inf")
    return float(np.sqrt(np.mean(r**2)))
