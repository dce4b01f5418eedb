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

from sim.analysis.cea import DOMINATED, EFFICIENT, EXTENDED, MIN_BOOTSTRAP_PAIRS
from sim.analysis.plots import NO_INTERVALS, count
from sim.analysis.plots import arm_name as display_name
from sim.analysis.stats import LEVEL, diminishing_from, outcome

if TYPE_CHECKING:
    from sim.analysis.portfolios import BudgetPick, PrimBox

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

    ``n`` identical values are judged by the sign test, which bounds them only from six values on
    (:func:`sim.analysis.stats.t_interval`).
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
        effects: :func:`sim.analysis.stats.paired_effects` rows.
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
def frontier_sentence(table: pd.DataFrame) -> str:
    """Efficient arms with their ICERs; dominated and extendedly dominated arms named as such.

    From a single seed the frontier is that seed's point estimate, with nothing to tell it from
    chance; the sentence says so instead of stating it as a finding.

    Args:
        table: :func:`sim.analysis.cea.cost_effectiveness` table.
    """
    pairs = int(table.pairs.iloc[0]) if "pairs" in table and len(table) else None
    single = pairs is not None and pairs < 2
    eff = table[table.status == EFFICIENT]
    parts = []
    for r in eff.itertuples():
        if not r.reference:
            parts.append(f"{display_name(r.arm)} ({r.cost:,.0f} staff-days)")
            continue
        parts.append(
            f"{display_name(r.arm)} ({r.cost:,.0f} staff-days, {r.effect:.2f} seats; "
            f"{fmt_icer(r.icer)} staff-days per extra seat against {display_name(r.reference)}, "
            f"{fmt_icer_interval(r.icer_low, r.icer_high, pairs=pairs)})"
        )
    if single:
        text = (
            "One seed only: this frontier is that seed's point estimate, not a finding (nothing measures how "
            "it would move on another seed). Efficient on that seed, cheapest first: " + "; ".join(parts) + "."
        )
    else:
        text = "Efficient arms, cheapest first: " + "; ".join(parts) + "."
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


def cost_table_caption(pairs: int) -> str:
    """Caption of the cost-effectiveness table: ICERs with bootstrap intervals, or why they have none."""
    text = "ICER: extra staff-days per extra bought seat prevented against the previous efficient arm"
    if pairs < MIN_BOOTSTRAP_PAIRS:
        seeds = "one seed is" if pairs == 1 else f"{pairs} seeds are"
        return text + f", without an interval ({seeds} too few to resample; {MIN_BOOTSTRAP_PAIRS} needed)."
    return text + ", with its paired bootstrap 95% interval (inf: the extra effect may be nothing)."


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


# ------------------------------------------------------------------------------------ captions
def means_caption(n: int) -> str:
    """Caption of the arm-means figure: 95% t intervals, or none from one replicate."""
    if n < 2:
        return f"Each arm's outcomes on its one run ({NO_INTERVALS}). Shares in per cent."
    return (
        "Mean of each outcome over seeds with 95% t intervals (kept within each outcome's range). Shares in per cent."
    )


def effects_table_caption(n: int) -> str:
    """Caption of the effects table: paired differences with 95% CIs, or without (one replicate)."""
    if n < 2:
        return f"Differences on the one seed every arm ran, in display units ({NO_INTERVALS})."
    return "Paired differences (display units) with 95% CIs and Holm-adjusted p-values."


def forest_caption(n: int) -> str:
    """Caption of the forest plot: paired t 95% intervals, or none from one replicate."""
    if n < 2:
        return (
            f"Differences from the no-intervention arm on the one seed every arm ran ({NO_INTERVALS}); shares in "
            "percentage points. Open markers: one replicate makes nothing distinguishable; the arrow shows the "
            "better direction."
        )
    return (
        "Differences from the no-intervention arm computed seed by seed (common random numbers), with paired "
        "t 95% intervals; shares in percentage points. Filled markers are distinguishable from no intervention "
        "after Holm's adjustment over the arms (family-wise error 5%); the arrow shows the better direction."
    )


def dose_caption(n: int) -> str:
    """Caption of the dose-response figure: means with 95% CIs, or one run per level."""
    if n < 2:
        return (
            f"One run per intensity (log-like axis; {NO_INTERVALS}), with a monotone (isotonic) fit. Whether "
            "returns diminish is not tested from one replicate."
        )
    return (
        "Mean and 95% CI by intensity (log-like axis), with a monotone (isotonic) fit. A dotted line marks where "
        "returns diminish only when the change of the marginal effect is distinguishable from zero (paired "
        "over seeds, Holm-adjusted over levels)."
    )


def time_caption(label: str, n: int, smooth: bool) -> str:
    """Caption of a time-course figure: mean over seeds with a 95% band, or each arm's one run."""
    text = (
        f"{label}: mean over seeds with a 95% band kept at or above zero"
        if n >= 2
        else (f"{label}: each arm's one run (no band: one replicate)")
    )
    return text + ("; each run's series is smoothed with a centred 7-day mean first" if smooth else "")


def factorial_caption(replicates: int) -> str:
    """Caption of the interactions figure: what the stars mean, or that nothing is tested (one replicate)."""
    text = (
        "Effects by least squares on the two-level design within each seed, averaged over seeds: "
        "effect = change from off to on, averaged over the other factors, tested by a t test over seeds (each "
        "effect against its own seed-to-seed spread); "
    )
    if replicates < 2:
        return text + "one seed's estimates, not tested (one replicate per combination), so none is starred."
    return text + "* = significant with Benjamini-Hochberg false discovery rate 5% over all effects."


# ------------------------------------------------------------------------------------ factorial
def interaction_sentence(fx: pd.DataFrame, key: str) -> str:
    """The strongest complements and substitutes among interactions significant at FDR 5%, else a plain no.

    With one replicate per cell nothing is tested (:func:`sim.analysis.stats.factorial_effects`), and
    the sentence says so.
    """
    if "replicates" in fx and len(fx) and int(fx.replicates.min()) < 2:
        return (
            "Interactions are not tested: one replicate per combination of interventions, so nothing measures how "
            "an effect varies from seed to seed (the figure shows one seed's estimates); run replicates=2 or more."
        )
    inter = fx[(fx.term_b != "") & fx.significant].sort_values("effect")
    n = len(fx)
    if inter.empty:
        return f"No two-way interaction is distinguishable from zero (Benjamini-Hochberg, FDR 5% over {n} effects)."
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
    return f"Interactions at FDR 5% ({len(inter)} of {n - len(fx[fx.term_b == ''])}): " + "; ".join(bits) + "."


def wins_sentence(wins: pd.DataFrame) -> str:
    """How often each arm is best across uncertainty samples (ties split equally)."""
    top = wins[wins.win_share >= wins.win_share.max() - 1e-12]
    names = " and ".join(display_name(a) for a in top.arm)
    verb = "is" if len(top) == 1 else "are each"
    return (
        f"Across {int(wins.samples.iloc[0])} samples of the uncertain parameters, {names} {verb} best in "
        f"{top.win_share.iloc[0]:.0%} of them (ties shared)."
    )


def coverage_sentence(runs: pd.DataFrame, sections: dict[str, str]) -> str:
    """What the intervals include: seeds only, or seeds and sampled parameters; links to the sections.

    One run per arm gives no interval whatever was sampled; parameters count as covered only when
    two or more samples of them were drawn.
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
    links = [f"[{name}]({href})" if href else name for name, href in sections.items()]
    if links:
        text += " For uncertainty in the model's parameters, see " + " and ".join(links) + "."
    return text


# ------------------------------------------------------------------------------------ optimised portfolios
#: Growth of the search frontier's hypervolume over its last generations below which the report
#: does not say the search was still improving.
STILL_IMPROVING = 0.01

#: Fewest distinct sampled worlds, and fewest failing and succeeding ones, for scenario discovery.
MIN_PRIM_WORLDS, MIN_PRIM_CASES = 20, 5


def fmt_points(value: float, digits: int = 1) -> str:
    """A difference of shares in percentage points, signed."""
    return f"{100 * value:+.{digits}f} points"


def _name(arm: str, names: dict[str, str]) -> str:
    return names.get(arm, arm)


def spending_words(spending: dict[str, float]) -> str:
    """What a portfolio spends on each intervention, largest first (staff-days and share)."""
    total = sum(spending.values())
    if total <= 0:
        return "nothing"
    parts = sorted(spending.items(), key=lambda kv: -kv[1])
    return ", ".join(f"{display_name(k).lower()} {v:,.0f} ({v / total:.0%})" for k, v in parts)


def _budgets(budgets: list[float]) -> str:
    words = [f"{b:,.0f}" for b in budgets]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _harm_words(p: BudgetPick) -> str:
    """The pick's honest candidates removed against no intervention (its harm), when measured."""
    if math.isnan(p.honest):
        return ""
    if math.isnan(p.honest_low):
        return f"; honest candidates removed {p.honest:+.1f} a round"
    return f"; honest candidates removed {p.honest:+.1f} a round, 95% CI {p.honest_low:+.1f} to {p.honest_high:+.1f}"


def budget_sentence(pick: BudgetPick, names: dict[str, str], also: list[float] | None = None) -> str:
    """The best re-evaluated portfolio within one budget, named best only when the data separate it.

    Args:
        pick: A :class:`sim.analysis.portfolios.BudgetPick` (of the smallest budget of a group).
        names: Portfolio labels in words.
        also: Larger budgets with the same pick (no dearer arm did better), said in the same sentence.
    """
    p = pick
    head = f"Within **{p.budget:,.0f} staff-days**"
    if also:
        head = f"Within **{_budgets([p.budget, *also])} staff-days**"
    if p.arm is None:
        return f"{head} no evaluated arm fits (not even no intervention): check the budgets."
    if p.arm == "none" and p.cheapest_outside is not None:
        return (
            f"{head} no evaluated portfolio fits: the cheapest, **{_name(p.cheapest_outside, names)}**, costs "
            f"{p.cheapest_outside_cost:,.0f} staff-days, so nothing was compared with no intervention."
        )
    if p.arm == "none":
        return f"{head}, no portfolio had fewer bought seats than no intervention on the fresh seeds."
    among = f"adjusted for choosing it among {p.chosen_among} arms" if p.chosen_among > 1 else ""
    interval = fmt_range(p.low, p.high, scale=100, prefix=f"95% CI{' ' + among if among else ''} ", n=p.pairs)
    what = (
        f"**{_name(p.arm, names)}** ({fmt_points(p.effect)} on seats vote buying changed after unseating, "
        f"{interval}; {p.cost:,.0f} staff-days: {spending_words(p.spending)}{_harm_words(p)})"
    )
    if not (p.p_holm < 1 - LEVEL and p.effect < 0):
        return (
            f"{head}, the fewest bought seats on the fresh seeds were under {what}, but it is not distinguishable "
            "from no intervention (adjusted for choosing it among the arms the budget affords), so no portfolio is "
            "named for this budget."
        )
    if p.named_best:
        others = "the other arm" if p.rivals == 1 else f"each of the {p.rivals} other arms"
        return (
            f"{head}, best: {what}. It has fewer bought seats than {others} costing no more within the budget, "
            "distinguishably (paired over the fresh seeds; intervals adjusted for choosing it among the arms the "
            "budget affords)."
        )
    extra = p.cost - p.cheaper_cost
    diff = fmt_range(p.cheaper_low, p.cheaper_high, scale=100, prefix="adjusted 95% CI ", n=p.pairs)
    spend = (
        f"the extra {extra:,.0f} staff-days buy anything"
        if extra > 0.5
        else "its mix does better than one costing the same"
    )
    return (
        f"{head}, the fewest bought seats were under {what}, but **{_name(p.cheaper, names)}** costs "
        f"{p.cheaper_cost:,.0f} staff-days and is not distinguishable from it (the pick minus it: "
        f"{fmt_points(p.cheaper_diff)}, {diff}): the data do not show that {spend}, so it is not named best for "
        "this budget."
    )


def fixed_sentence(pick: BudgetPick, names: dict[str, str], also: list[float] | None = None) -> str | None:
    """What optimisation adds at a budget over the best fixed arm of ``experiment=compare`` it affords.

    Args:
        pick: The budget's pick.
        names: Portfolio labels in words.
        also: Larger budgets with the same pick and the same best fixed arm, said in the same sentence.
    """
    p = pick
    if p.arm is None or p.arm == "none" or p.fixed is None:
        return None
    b = f"At {_budgets([p.budget, *(also or [])])} staff-days"
    fixed = f"**{_name(p.fixed, names)}** ({p.fixed_cost:,.0f} staff-days, {fmt_points(p.fixed_effect)})"
    if p.fixed == p.arm:
        return (
            f"{b} the pick is a fixed arm of the comparison, {fixed}: the search found nothing better within this "
            "budget."
        )
    diff = (
        f"{fmt_points(p.vs_fixed)}, {fmt_range(p.vs_fixed_low, p.vs_fixed_high, scale=100, n=p.pairs)}; paired, the "
        "interval adjusted for the choice of the portfolio and over the budgets"
    )
    if p.vs_fixed < 0 and p.vs_fixed_p_holm < 1 - LEVEL:
        return (
            f"{b} the optimised portfolio lowers the share of seats vote buying changed by a further "
            f"{fmt_points(p.vs_fixed).removeprefix('-')} against the best fixed arm the budget affords, {fixed} "
            f"({diff}): what optimisation adds."
        )
    return (
        f"{b} the optimised portfolio is not distinguishable from the best fixed arm the budget affords, {fixed} "
        f"(difference {diff}): optimisation adds nothing the data can show here."
    )


def reevaluation_sentence(table: pd.DataFrame, fresh_n: int) -> str | None:
    """How far the fresh seeds moved the re-evaluated Pareto portfolios (the winner's curse)."""
    t = table.dropna(subset=["shift"])
    if t.empty:
        return None
    moved = t[(t.shift_p_holm < 1 - LEVEL)]
    worse = int((moved["shift"] > 0).sum())
    text = (
        f"Re-evaluated on {fresh_n} fresh seeds, the {len(t)} Pareto portfolios' effects on bought seats moved by "
        f"{fmt_points(t['shift'].mean())} on average (from {fmt_points(t['shift'].min())} to "
        f"{fmt_points(t['shift'].max())}; fresh minus search, positive: less effective than the search found)"
    )
    if moved.empty:
        text += "; no portfolio's shift is distinguishable from zero (Welch, Holm-adjusted)"
    else:
        text += (
            f"; the shift is distinguishable from zero for {len(moved)} of them (Welch, Holm-adjusted), "
            f"{worse} of which did worse on the fresh seeds"
        )
    if len(t) >= 3 and t.search_effect.nunique() > 1 and t.fresh_effect.nunique() > 1:
        rho = float(t[["search_effect", "fresh_effect"]].corr(method="spearman").iloc[0, 1])
        text += f". Rank correlation of the search and fresh effects: {rho:.2f} (Spearman)"
    return text + "."


def search_sentence(progress: pd.DataFrame, population: int) -> str:
    """What the search did, and whether its frontier was still growing at the end."""
    if progress.empty:
        return "The search has no completed generation."
    last = progress.iloc[-1]
    g = int(last.generation) + 1
    text = (
        f"The search ran {g} generation{'s' if g != 1 else ''} of {population} portfolios ({int(last.trials)} trials, "
        f"{int(last.portfolios)} distinct portfolios)"
    )
    k = min(5, len(progress) - 1)
    if k < 1:
        return text + "; one generation cannot show whether it was still improving."
    before = float(progress.iloc[-1 - k].hypervolume)
    after = float(last.hypervolume)
    growth = (after - before) / before if before > 0 else (math.inf if after > 0 else 0.0)
    if growth > STILL_IMPROVING:
        return (
            text + f"; the hypervolume of its cost / bought-seat frontier grew by {growth:.1%} over the last {k} "
            "generations, so it was still improving: more generations (optimise.generations) may find better "
            "portfolios."
        )
    return (
        text
        + f"; the hypervolume of its cost / bought-seat frontier grew by {growth:.1%} over the last {k} generations "
        "(no sign it was still improving; this does not prove the best portfolios were found)."
    )


def worlds_sentence(info: dict) -> str:
    """Where the robustness stage's parameter worlds come from."""
    n, reps = info.get("draws", 0), info.get("replicates", 1)
    if info.get("source") == "posterior":
        text = (
            f"Robustness: {n} draws from the calibration posterior ({info.get('path')}, sha256 "
            f"{info.get('sha256')}, {info.get('particles')} particles, {info.get('distinct_particles', '?')} of them "
            f"distinct, effective sample size {info.get('ess', 0):.1f}; drawn with replacement in proportion to their "
            f"weights, {info.get('distinct')} distinct worlds, each run once; PRIM and the tests across worlds count "
            f"each distinct world once), {reps} seed{'s' if reps != 1 else ''} each, the same for every portfolio"
        )
    else:
        text = (
            f"Robustness: {n} Latin-hypercube samples over the sensitivity design's ranges of "
            f"{len(info.get('parameters', []))} parameters, {reps} seed{'s' if reps != 1 else ''} each, the same for "
            "every portfolio"
        )
    if info.get("reason"):
        text += f" ({info['reason']})"
    return text + "."


def _effective(row: pd.Series) -> str:
    """How many independent worlds the interval rests on, when draws repeated some."""
    n_eff = float(row.get("effective_worlds", row.worlds))
    if n_eff >= float(row.worlds) - 0.05:
        return ""
    return f", on the {n_eff:.0f} worlds the repeated draws are worth"


def robustness_sentence(row: pd.Series, budget: float, target: float, names: dict[str, str]) -> str:
    """The pick's chance of meeting the target across the sampled worlds, and its regret."""
    return (
        f"Across the {int(row.worlds)} sampled worlds, the pick for {budget:,.0f} staff-days, "
        f"**{_name(row.arm, names)}**, keeps bought seats below {100 * target:g}% in {row.p_target:.0%} of them "
        f"(95% CI {row.p_low:.0%} to {row.p_high:.0%}{_effective(row)}); its regret against the best portfolio "
        f"this budget affords in each world averages {100 * row.regret_mean:.1f} points (90th percentile "
        f"{100 * row.regret_p90:.1f}, worst {100 * row.regret_max:.1f})."
    )


def rival_sentence(rival: tuple | None, pick: str, budget: float, names: dict[str, str]) -> str:
    """Whether another affordable portfolio does better than the pick across the sampled worlds."""
    if rival is None:
        return (
            f"Among the portfolios {budget:,.0f} staff-days afford, the pick has the fewest bought seats on average "
            "across the sampled worlds."
        )
    arm, d, lo, hi, p = rival
    ci = (
        f"{fmt_points(d)}, 95% CI {100 * lo:+.1f} to {100 * hi:+.1f}, paired over the worlds, adjusted for choosing "
        "it among the affordable portfolios"
    )
    if d < 0 and p < 1 - LEVEL:
        return (
            f"Across the sampled worlds **{_name(arm, names)}** has fewer bought seats than the pick for "
            f"{budget:,.0f} staff-days ({ci}): the recommendation for this budget does not hold up under parameter "
            "uncertainty."
        )
    return (
        f"No portfolio {budget:,.0f} staff-days afford is distinguishably better than the pick across the sampled "
        f"worlds (closest: {_name(arm, names)}, {ci})."
    )


def _restriction(key: str, low: float, high: float, full: tuple[float, float]) -> str:
    span = full[1] - full[0]
    at_low = low <= full[0] + 1e-9 * max(1.0, abs(span))
    at_high = high >= full[1] - 1e-9 * max(1.0, abs(span))
    if at_low and not at_high:
        return f"{key} ≤ {high:.3g}"
    if at_high and not at_low:
        return f"{key} ≥ {low:.3g}"
    return f"{key} between {low:.3g} and {high:.3g}"


def prim_sentence(
    boxes: list[PrimBox], arm: str, names: dict[str, str], target: float, n_fail: int, n_worlds: int, distinct: int
) -> str:
    """What "the recommended portfolio fails when ..." may say: PRIM's boxes, or why none is claimed.

    Args:
        boxes: :class:`sim.analysis.portfolios.PrimBox` objects (empty: PRIM found none).
        arm: The portfolio.
        names: Labels in words.
        target: The bought-seat rate it should stay below.
        n_fail: Worlds in which it fails.
        n_worlds: Worlds sampled.
        distinct: Distinct parameter sets among them.
    """
    who = f"**{_name(arm, names)}**"
    if n_fail == 0:
        return (
            f"{who} keeps bought seats below {100 * target:g}% in every sampled world: nothing for scenario "
            "discovery to explain."
        )
    if distinct < MIN_PRIM_WORLDS:
        return (
            f"{who} fails in {n_fail} of {n_worlds} worlds, but the worlds hold only {distinct} distinct parameter "
            f"sets: too few for scenario discovery (at least {MIN_PRIM_WORLDS})."
        )
    if n_fail < MIN_PRIM_CASES or n_worlds - n_fail < MIN_PRIM_CASES:
        return (
            f"{who} fails in {n_fail} of {n_worlds} worlds: too {'few' if n_fail < MIN_PRIM_CASES else 'many'} "
            f"failures for PRIM to separate (at least {MIN_PRIM_CASES} worlds on each side)."
        )
    claimed = [b for b in boxes if b.significant]
    if not claimed:
        text = (
            f"{who} fails (bought seats ≥ {100 * target:g}%) in {n_fail} of {n_worlds} worlds, and PRIM finds no box "
            "of parameter values where those failures concentrate beyond chance (every box on its trajectory has a "
            "restriction with a quasi-p-value of 0.05 or more"
        )
        if boxes:
            b = boxes[0]
            worst = max(b.qp.values())
            text += f"; the best candidate has one of {worst:.2f}, shown in the figure but not claimed"
        return text + ")."
    parts = []
    for i, b in enumerate(claimed):
        cond = " and ".join(_restriction(k, lo, hi, b.full[k]) for k, (lo, hi) in b.limits.items())
        if i == 0:
            parts.append(
                f"mostly when {cond}: that box holds {b.coverage:.0%} of the failing worlds (coverage) and "
                f"{b.density:.0%} of the worlds in it fail (density), against {b.base_rate:.0%} overall"
            )
        else:
            parts.append(
                f"among the other worlds, also when {cond} ({b.coverage:.0%} of all failing worlds; {b.density:.0%} "
                f"of the worlds in it fail, against {b.remaining_rate:.0%} of those other worlds)"
            )
    return (
        f"{who} fails (bought seats ≥ {100 * target:g}%, {n_fail} of {n_worlds} worlds) "
        + "; ".join(parts)
        + " (PRIM, every restriction with a quasi-p-value below 0.05)."
    )
