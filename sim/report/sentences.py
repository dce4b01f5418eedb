"""The sentences the report writes, each from the statistic that licenses it.

Every function here returns either a sentence or ``None`` (nothing may be claimed); each has a
test in ``tests/test_claims.py`` with a case where the claim must not be made.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.report.style import arm_name as display_name
from sim.report.style import count
from sim.stats.cea import DOMINATED, EFFICIENT, EXTENDED, MIN_BOOTSTRAP_PAIRS
from sim.stats.dose import diminishing_from
from sim.stats.outcomes import LEVEL, outcome

if TYPE_CHECKING:
    pass


#: The cheapest near-best arm is the cheapest one achieving at least this share of the best arm's effect.
NEAR_BEST_SHARE = 0.8


def fmt_diff(key: str, value: float) -> str:
    """A difference in its display unit: percentage points for shares."""
    o = outcome(key)
    unit = {"share": " points", "count": ""}.get(o.kind, f" {o.diff_unit}")
    return f"{o.scale * value:+.1f}{unit}"


#: Said instead of an interval when there is none (one replicate: no seed-to-seed spread to measure).
NO_INTERVAL = "no 95% CI: one replicate"


def no_interval(n: int | None = None) -> str:
    """Why a t interval is missing: one replicate (:data:`NO_INTERVAL`), or ``n`` values all the same.

    ``n`` identical values have an interval only when the outcome's range is known
    (:func:`sim.stats.intervals.flat_interval`); a count or cost has none.
    """
    if n is None or n < 2:
        return NO_INTERVAL
    seeds = "both seeds" if n == 2 else f"all {n} seeds"
    return f"no 95% CI: the same value on {seeds}, too few to bound it"


def fmt_range(
    lo: float, hi: float, fmt: str = "+.1f", scale: float = 1.0, prefix: str = "95% CI ", n: int | None = None
) -> str:
    """``95% CI a to b`` with ``fmt`` applied to the scaled ends, or :func:`no_interval` of ``n`` when undefined."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return no_interval(n)
    return f"{prefix}{scale * lo:{fmt}} to {scale * hi:{fmt}}"


def fmt_interval(key: str, lo: float, hi: float, n: int | None = None) -> str:
    """``95% CI a to b`` in the display unit of ``key`` (:func:`no_interval` of ``n`` when there is none)."""
    return fmt_range(lo, hi, scale=outcome(key).scale, n=n)


def fmt_level(key: str, value: float) -> str:
    """A level in its display unit (per cent for shares)."""
    o = outcome(key)
    return f"{o.scale * value:.1f}%" if o.kind == "share" else f"{value:,.1f}"


def fmt_icer(value: float) -> str:
    """Staff-days per seat; infinite and non-positive ratios in words."""
    if math.isinf(value) and value > 0:
        return "unbounded"
    if value <= 0:
        return "cost-saving"
    return f"{value:,.0f}"


def fmt_icer_interval(lo: float, hi: float, prefix: str = "95% CI ", pairs: int | None = None) -> str:
    """An ICER interval in words, or why there is none: one replicate, or too few seeds to resample.

    Args:
        lo: Lower end (NaN when there is no interval).
        hi: Upper end.
        prefix: Words before the ends.
        pairs: Seeds run under every arm (None: taken as one).
    """
    if math.isnan(lo) or math.isnan(hi):
        if pairs is None or pairs < 2:
            return NO_INTERVAL
        return f"no 95% CI: {pairs} seeds are too few to resample, {MIN_BOOTSTRAP_PAIRS} needed"
    return f"{prefix}{fmt_icer(lo)} to {fmt_icer(hi)}"


# ------------------------------------------------------------------------------------ arms vs none
def distinguishable_sentence(effects: pd.DataFrame, key: str) -> str | None:
    """Which arms' effect on ``key`` is (and is not) distinguishable from no intervention (Holm).

    Args:
        effects: :func:`sim.stats.paired.paired_effects` rows.
        key: The outcome.

    Returns:
        The sentence, or None when there are no arms.
    """
    rows = effects[effects.outcome == key]
    if rows.empty:
        return None
    yes = rows[rows.distinguishable].sort_values("diff", ascending=outcome(key).better == "lower")
    no = rows[~rows.distinguishable]
    family = f"Holm-adjusted over {len(rows)} arm{'s' if len(rows) > 1 else ''}, family-wise error rate 5%"
    if yes.empty:
        return f"No arm is distinguishable from no intervention ({family})."
    text = "Distinguishable from no intervention (" + family + "): " + ", ".join(display_name(a) for a in yes.arm)
    if len(no):
        text += "; not distinguishable: " + ", ".join(display_name(a) for a in no.arm)
    return text + "."


@dataclass
class Best:
    """The arm with the most favourable mean effect and the arms the data cannot tell from it."""

    arm: str
    effect: pd.Series
    tied: list[str]
    indistinct: list[str]


def best_arm(effects: pd.DataFrame, vs_best: pd.DataFrame | None, key: str) -> Best | None:
    """The arm with the most favourable mean effect on ``key`` among those that improve on none.

    Only arms whose effect goes the right way and is distinguishable from no intervention are
    candidates: a harmful arm is never "best", and a noisy arm with a better mean does not hide a
    clearly effective one.

    Args:
        effects: :func:`paired_effects` against no intervention.
        vs_best: :func:`paired_effects` of every arm against the candidate best arm (the arm with
            the most favourable mean), or None when there is only one arm.
        key: The outcome.

    Returns:
        None when no arm improves on no intervention distinguishably.
    """
    rows = effects[effects.outcome == key]
    sign = 1.0 if outcome(key).better == "lower" else -1.0
    rows = rows[rows.distinguishable.astype(bool) & (sign * rows["diff"] < 0)]
    if rows.empty:
        return None
    score = sign * rows["diff"]
    top = rows.loc[score.idxmin()]
    tied = rows[np.isclose(score, score.min(), rtol=1e-12, atol=1e-15)].arm.tolist()
    indistinct: list[str] = []
    if vs_best is not None and len(vs_best):
        other = vs_best[(vs_best.outcome == key) & ~vs_best.distinguishable]
        indistinct = [a for a in other.arm if a not in tied]
    return Best(top.arm, top, [a for a in tied if a != top.arm], indistinct)


def best_sentence(best: Best | None, key: str, cost: float) -> str:
    """The first screen's first sentence; names a single best arm only when the data separate it."""
    if best is None:
        return "No arm is distinguishable from no intervention, so none is named best."
    e = best.effect
    what = (
        f"{fmt_diff(key, e['diff'])} on {outcome(key).label.lower()} "
        f"({fmt_interval(key, e.ci_low, e.ci_high, int(e.pairs))}), at {cost:,.0f} staff-days per election round"
    )
    if best.tied:
        names = ", ".join(display_name(a) for a in [best.arm, *best.tied])
        return f"**{names}** tie for the largest effect: {what}."
    text = f"Largest effect: **{display_name(best.arm)}**, {what}."
    if best.indistinct:
        text += (
            " Not distinguishable from it (paired, Holm-adjusted): "
            + ", ".join(display_name(a) for a in best.indistinct)
            + ", so it is not clearly the best."
        )
    else:
        text += " It is distinguishable from every other arm (paired, Holm-adjusted): the best arm of this sweep."
    return text


def near_best_arm(effects: pd.DataFrame, costs: pd.Series, best: Best | None, key: str) -> str | None:
    """The cheapest arm distinguishable from none that achieves ``NEAR_BEST_SHARE`` of the best's effect.

    Returns:
        The arm, or None when there is no best arm.
    """
    if best is None:
        return None
    rows = effects[(effects.outcome == key) & effects.distinguishable].copy()
    sign = 1.0 if outcome(key).better == "lower" else -1.0
    rows = rows[sign * rows["diff"] <= NEAR_BEST_SHARE * sign * best.effect["diff"]]
    rows["cost"] = costs.reindex(rows.arm).to_numpy()
    return str(rows.sort_values(["cost", "arm"]).arm.iloc[0]) if len(rows) else None


# ------------------------------------------------------------------------------------ cost-effectiveness
def _efficient_part(r: object, pairs: int | None, extra: str = "") -> str:
    """One efficient arm in words: cost, seats prevented, ICER against the previous efficient arm."""
    return (
        f"{display_name(r.arm)} ({r.cost:,.0f} staff-days, {r.effect:.2f} seats; "
        f"{fmt_icer(r.icer)} staff-days per extra seat against {display_name(r.reference)}, "
        f"{fmt_icer_interval(r.icer_low, r.icer_high, pairs=pairs)}{extra})"
    )


def _acceptability_words(r: object) -> str:
    """How likely an arm efficient on means is to be cost-effective, from its acceptability curve.

    The largest share of bootstrap resamples in which it has the highest net benefit over the values
    per seat drawn, and the value at which it is reached (:func:`sim.stats.cea.with_acceptability_peak`).
    """
    p = getattr(r, "p_ce_max", float("nan"))
    if p is None or not math.isfinite(p):
        return ""
    return f"; cost-effective in at most {p:.0%} of resamples, at {fmt_icer(r.p_ce_value)} staff-days per seat"


def frontier_sentence(table: pd.DataFrame) -> str:
    """Efficient arms with their ICERs, said efficient only where each step to them is shown.

    An arm is called efficient when its step up the frontier, from the last arm shown efficient below
    it (no intervention at first), adds an effect distinguishable from zero (``shown``: paired over
    seeds, adjusted for the choice of the arms and over the steps, :func:`sim.stats.cea.frontier_steps`);
    the frontier's other arms are *efficient on means*, with
    the highest probability their acceptability curve gives them of being cost-effective, and where.
    Dominated and extendedly dominated arms are named as such. From a single seed the frontier is
    that seed's point estimate, with nothing to tell it from chance; the sentence says so.

    Args:
        table: :func:`sim.stats.cea.cost_effectiveness` table.
    """
    pairs = int(table.pairs.iloc[0]) if "pairs" in table and len(table) else None
    single = pairs is not None and pairs < 2
    eff = table[(table.status == EFFICIENT) & (table.reference != "")]
    shown = eff.shown.astype(bool) if "shown" in eff else pd.Series(False, index=eff.index)
    if single:
        parts = [_efficient_part(r, pairs) for r in eff.itertuples()]
        text = (
            "One seed only: this frontier is that seed's point estimate, not a finding (nothing measures how "
            "it would move on another seed). Efficient on that seed, cheapest first: " + "; ".join(parts) + "."
        )
    else:
        family = (
            f"paired over {count(pairs or 0, 'seed')}, adjusted for choosing the frontier among the arms and over "
            f"the {count(len(eff), 'step')} along it"
        )
        if shown.any():
            text = (
                "Efficient arms, cheapest first, each adding seats prevented distinguishably over the last one "
                f"below it ({family}): " + "; ".join(_efficient_part(r, pairs) for r in eff[shown].itertuples()) + "."
            )
        elif len(eff):
            text = (
                f"No arm is shown efficient: no step up from no intervention is distinguishable from zero ({family})."
            )
        else:
            text = "No arm is efficient: none prevents more bought seats on average than no intervention at its cost."
        means = eff[~shown]
        if len(means):
            text += (
                " Efficient on means only (its step up the frontier is not distinguishable from zero): "
                + "; ".join(_efficient_part(r, pairs, _acceptability_words(r)) for r in means.itertuples())
                + "."
            )
    for status, words in (
        (DOMINATED, "Dominated (another arm is cheaper and at least as effective)"),
        (EXTENDED, "Extendedly dominated (a mix of two efficient arms does better)"),
    ):
        names = table[table.status == status].arm
        if len(names):
            text += f" {words}{' on that seed' if single else ''}: " + ", ".join(display_name(a) for a in names) + "."
    return text


def acceptability_sentence(pairs: int) -> str | None:
    """Why the acceptability curves are not drawn (too few seeds to resample), or None when they are."""
    if pairs >= MIN_BOOTSTRAP_PAIRS:
        return None
    seeds = "one seed run under every arm is" if pairs == 1 else f"{pairs} seeds run under every arm are"
    return (
        f"No acceptability curves: {seeds} too few to resample "
        f"(the bootstrap behind them needs at least {MIN_BOOTSTRAP_PAIRS})."
    )


# ------------------------------------------------------------------------------------ dose-response
def diminishing_sentence(marginals: pd.DataFrame, key: str, parameter: str) -> str:
    """Says returns diminish beyond X when the marginal effects differ beyond their intervals, else a plain no.

    From one replicate nothing is tested, and the sentence says so rather than reporting an absence of
    evidence.
    """
    x = diminishing_from(marginals, outcome(key).better)
    n = int(marginals.pairs.iloc[0]) if len(marginals) else 0
    if n < 2:
        return f"Whether returns on {parameter} diminish is not tested: one replicate per level."
    if x is None:
        return (
            f"The data do not show returns on {parameter} diminishing: no change of the marginal effect on "
            f"{outcome(key).label.lower()} is distinguishable from zero (paired over {count(n, 'seed')}, "
            "Holm-adjusted)."
        )
    r = marginals[marginals.intensity == x].iloc[0]
    s = outcome(key).scale
    return (
        f"Returns on {parameter} diminish beyond {x:g}: the marginal effect falls from "
        f"{s * r.slope:+.2f} to {s * (r.slope + r.change):+.2f} {outcome(key).diff_unit} per unit of {parameter} "
        f"(change 95% CI {s * r.change_low:+.2f} to {s * r.change_high:+.2f}, Holm-adjusted)."
    )


# ------------------------------------------------------------------------------------ factorial
def interaction_sentence(fx: pd.DataFrame, key: str) -> str:
    """The strongest complements and substitutes among interactions significant after Holm, else a plain no.

    The interactions are their own family (Holm over them alone, family-wise error 5%), whatever the
    main effects (:func:`sim.stats.factorial.factorial_effects`).

    With one replicate per cell nothing is tested (:func:`sim.stats.factorial.factorial_effects`), and
    the sentence says so.
    """
    if "replicates" in fx and len(fx) and int(fx.replicates.min()) < 2:
        return (
            "Interactions are not tested: one replicate per combination of interventions, so nothing measures how "
            "an effect varies from seed to seed (the figure shows one seed's estimates); run replicates=2 or more."
        )
    inter = fx[(fx.term_b != "") & fx.significant].sort_values("effect")
    n = int((fx.term_b != "").sum())
    family = f"Holm-adjusted over the {n} interactions, family-wise error rate 5%"
    if inter.empty:
        return f"No two-way interaction is distinguishable from zero ({family})."
    sign = 1.0 if outcome(key).better == "lower" else -1.0
    comp = inter[sign * inter.effect < 0]
    subs = inter[sign * inter.effect > 0]
    bits = []
    s = outcome(key).scale
    if len(comp):
        c = comp.iloc[0] if sign > 0 else comp.iloc[-1]
        bits.append(
            f"strongest complements {display_name(c.term_a)} with {display_name(c.term_b)} "
            f"({s * c.effect:+.1f} {outcome(key).diff_unit} beyond their separate effects)"
        )
    if len(subs):
        c = subs.iloc[-1] if sign > 0 else subs.iloc[0]
        bits.append(
            f"strongest substitutes {display_name(c.term_a)} with {display_name(c.term_b)} "
            f"({s * c.effect:+.1f} {outcome(key).diff_unit})"
        )
    return f"Interactions distinguishable from zero ({len(inter)} of {n}; {family}): " + "; ".join(bits) + "."


def wins_sentence(wins: pd.DataFrame) -> str:
    """How often each arm is best across uncertainty samples (ties split equally)."""
    top = wins[wins.win_share >= wins.win_share.max() - 1e-12]
    names = " and ".join(display_name(a) for a in top.arm)
    verb = "is" if len(top) == 1 else "are each"
    return (
        f"Across {int(wins.samples.iloc[0])} samples of the uncertain parameters, {names} {verb} best in "
        f"{top.win_share.iloc[0]:.0%} of them (ties shared)."
    )


def coverage_sentence(runs: pd.DataFrame, sections: dict[str, str], skewed: list[str] | None = None) -> str:
    """What the intervals include: seeds only, or seeds and sampled parameters; links to the sections.

    One run per arm gives no interval whatever was sampled; parameters count as covered only when
    two or more samples of them were drawn. ``skewed`` names the arms whose paired differences are
    detectably skewed (:func:`sim.stats.intervals.skewed`): the t intervals assume near-normal
    differences, which the sentence then says (the claims are tested with
    :mod:`sim.stats.skew_corrected`).
    """
    n = int(runs.groupby("arm").size().min())
    samples = int(runs.loc[runs["sample"] >= 0, "sample"].nunique()) if "sample" in runs.columns else 0
    if n < 2:
        text = (
            "With one replicate per arm there are no intervals: nothing measures the seed-to-seed randomness of the "
            "simulated elections, so no arm is called distinguishable; run more replicates (replicates=N)."
        )
    elif samples >= 2:
        text = (
            f"The {LEVEL:.0%} intervals of the mean (t over {n} runs per arm, paired between arms by sample and seed) "
            "span both the seed-to-seed randomness of the simulated elections and the uncertain parameters sampled "
            f"in this sweep ({samples} samples, within their stated ranges)."
        )
    else:
        at = "one sample of the uncertain parameters" if samples == 1 else "fixed parameters"
        text = (
            f"The {LEVEL:.0%} intervals of the mean (t over {n} seeds, paired between arms) cover only the "
            f"seed-to-seed randomness of the simulated elections at {at}; they do not include uncertainty in the "
            "model's parameters or structure."
        )
    if skewed and n >= 2:
        text += (
            " The paired differences of " + ", ".join(display_name(a) for a in skewed) + " are skewed (D'Agostino's "
            "test): t intervals assume near-normal differences and on skewed ones cover less than "
            f"{LEVEL:.0%}; whether an arm is distinguishable is tested with a correction for skewness "
            "(docs/CLAIMS.md)."
        )
    links = [f"[{name}]({href})" if href else name for name, href in sections.items()]
    if links:
        text += " For uncertainty in the model's parameters, see " + " and ".join(links) + "."
    return text


def fmt_points(value: float, digits: int = 1) -> str:
    """A difference of shares in percentage points, signed."""
    return f"{100 * value:+.{digits}f} points"
