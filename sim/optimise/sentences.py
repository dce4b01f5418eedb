"""Sentences of the optimisation report, written from the numbers: budgets, picks, re-evaluation, robustness."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

from sim.report.style import arm_name as display_name
from sim.stats.outcomes import LEVEL

if TYPE_CHECKING:
    from sim.optimise.portfolios import BudgetPick
    from sim.optimise.robustness import PrimBox
from sim.report.sentences import fmt_points, fmt_range

# ------------------------------------------------------------------------------------ optimised portfolios
#: Growth of the search frontier's hypervolume over its last generations below which the report
#: does not say the search was still improving.
STILL_IMPROVING = 0.01


#: Fewest distinct sampled worlds, and fewest failing and succeeding ones, for scenario discovery.
MIN_PRIM_WORLDS, MIN_PRIM_CASES = 20, 5


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


def _lowest_words(p: BudgetPick, names: dict[str, str]) -> str:
    """The lowest-mean arm a cheaper pick was preferred to, with the pick's difference from it."""
    diff = fmt_range(p.lowest_low, p.lowest_high, scale=100, prefix="adjusted 95% CI ", n=p.pairs)
    return (
        f"**{_name(p.lowest, names)}** ({p.lowest_cost:,.0f} staff-days; "
        f"{'no intervention' if p.arm == 'none' else 'the pick'} minus it {fmt_points(p.lowest_diff)}, {diff})"
    )


def budget_sentence(pick: BudgetPick, names: dict[str, str], also: list[float] | None = None) -> str:
    """The best re-evaluated portfolio within one budget, named best only when the data separate it.

    Args:
        pick: A :class:`sim.optimise.portfolios.BudgetPick` (of the smallest budget of a group).
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
    if p.arm == "none" and p.lowest is None:
        return f"{head}, no portfolio had fewer bought seats than no intervention on the fresh seeds."
    if p.arm == "none":
        return (
            f"{head}, no portfolio has distinguishably fewer bought seats than no intervention: the fewest were "
            f"under {_lowest_words(p, names)}, so nothing is recommended for this budget."
        )
    among = f"adjusted for choosing it among {p.chosen_among} arms" if p.chosen_among > 1 else ""
    interval = fmt_range(p.low, p.high, scale=100, prefix=f"95% CI{' ' + among if among else ''} ", n=p.pairs)
    what = (
        f"**{_name(p.arm, names)}** ({fmt_points(p.effect)} on seats vote buying changed after unseating, "
        f"{interval}; {p.cost:,.0f} staff-days: {spending_words(p.spending)}{_harm_words(p)})"
    )
    if p.lowest is not None:
        what += (
            f"; the fewest bought seats were under {_lowest_words(p, names)}, and the pick costs less and is not "
            "distinguishably worse"
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
        boxes: :class:`sim.optimise.robustness.PrimBox` objects (empty: PRIM found none).
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
