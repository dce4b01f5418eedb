"""The report's first screen: the answer in sentences, written from the numbers, and the headline table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.report.html import Section
from sim.report.net_benefit import net_benefit_column, net_benefit_sentence, seats_word, split_sentence
from sim.report.plain import five_sentences, key_table
from sim.report.sections import arm_order
from sim.report.sentences import (
    NEAR_BEST_SHARE,
    Best,
    best_arm,
    best_sentence,
    coverage_sentence,
    distinguishable_sentence,
    fmt_diff,
    fmt_icer,
    fmt_icer_interval,
    fmt_interval,
    fmt_level,
    fmt_range,
    near_best_arm,
    no_interval,
)
from sim.report.style import arm_name, count
from sim.stats.cea import MIN_BOOTSTRAP_PAIRS, bootstrap_means, icer_interval, per_pair
from sim.stats.dose import dose_key
from sim.stats.net_benefit import flip_weight
from sim.stats.outcomes import HARM, HARMS, HEADLINE, SPLIT, outcome
from sim.stats.paired import arm_means, paired_effects
from sim.sweeps.experiment import ReportSettings


# ------------------------------------------------------------------------------------ first screen
def first_screen(
    runs: pd.DataFrame,
    effects: pd.DataFrame | None,
    base: str | None,
    ce: tuple[pd.DataFrame, pd.DataFrame] | None,
    meta: dict[str, Any],
    note: str,
    links: dict[str, str],
    sections: list[Section],
    choice: ReportSettings | None = None,
) -> list[str]:
    """The answer in a few sentences (markdown).

    What was run; the seats buying changed, split; the best arm on the ranking outcome
    (``choice.outcome``, captured seats unless the analyst chose another), the cheapest near-best,
    what is left, the harms, the best arm by net benefit beside it; what the intervals cover.
    """
    choice = choice or ReportSettings()
    key = choice.outcome
    lines = [sweep_sentence(runs, meta), split_sentence(runs, base)]
    if effects is None:
        if meta.get("experiment") != "calibration" and dose_key(runs) is None:  # neither needs a baseline
            lines.append(note)
        lines += [line for sec in sections for line in sec.lines]  # the sweep's own findings
        lines.append(coverage_sentence(runs, links))
        return [x for x in lines if x]
    costs = runs.groupby("arm")["cost_total"].mean()
    best = find_best(runs, effects, key)
    lines.append(best_sentence(best, key, float(costs.get(best.arm, 0.0)) if best else 0.0))
    near = near_best_arm(effects, costs, best, key)
    if best is not None and near is not None:
        lines.append(near_best_sentence(runs, effects, base, best.arm, near, costs, ce, key))
    top = best.arm if best is not None else None
    lines.append(residual_sentence(runs, base, top, key))
    lines.append(harms_sentence(effects, [a for a in dict.fromkeys([top, near]) if a]))
    if base is not None and {"seats", HARM} <= set(runs):
        lines.append(net_benefit_sentence(runs, base, key, choice.harm_weight, best))
    head = effects[effects.outcome == key]
    if best is not None or head["distinguishable"].any():  # else the first sentence said it already
        lines.append(distinguishable_sentence(effects, key) or "")
    lines += [line for sec in sections if sec.anchor != "cost-effectiveness" for line in sec.lines]
    head = effects[effects.outcome == key]
    lines.append(coverage_sentence(runs, links, head.arm[head.skewed].tolist() if "skewed" in head else None))
    return [x for x in lines if x]


def plain_screen(
    runs: pd.DataFrame,
    effects: pd.DataFrame,
    base: str | None,
    ce: tuple[pd.DataFrame, pd.DataFrame] | None,
    choice: ReportSettings | None = None,
) -> tuple[list[str], pd.DataFrame]:
    """The first screen in five plain sentences and the small table whose cells they quote.

    The best arm, the cheapest near-best arm and the harm weight at which the choice flips are the
    same results the detailed sentences below use (:func:`find_best`, :func:`near_best_arm`,
    :func:`sim.stats.net_benefit.flip_weight`); :mod:`sim.report.plain` words them.
    """
    choice = choice or ReportSettings()
    key = choice.outcome
    costs = runs.groupby("arm")["cost_total"].mean()
    best = find_best(runs, effects, key)
    near = near_best_arm(effects, costs, best, key)
    frontier = ce[0] if ce is not None else None
    named = [a for a in (best.arm if best else None, near) if a]
    table = key_table(runs, effects, arm_order(runs, effects, key), key, frontier, named=named)
    flip = flip_weight(runs, key, base) if base is not None and {"seats", HARM} <= set(runs) else None
    return five_sentences(runs, best, near, base, table, key, frontier, flip, choice.harm_weight), table


def sweep_sentence(runs: pd.DataFrame, meta: dict[str, Any]) -> str:
    """What was run: experiment, scenario, arms, replicates."""
    per_arm = runs.groupby("arm").size()
    low, high = int(per_arm.min()), int(per_arm.max())
    if "sample" in runs.columns and (runs["sample"] >= 0).any():
        samples = count(runs["sample"].nunique(), "uncertainty sample")
        runs_per_arm = count(high, "run") if low == high else f"{low} to {high} runs"
        reps = f"{samples} x {count(runs['replicate'].nunique(), 'replicate')} = {runs_per_arm} per arm"
    else:
        reps = (count(high, "replicate") if low == high else f"{low} to {high} replicates") + " per arm"
    arms = count(len(per_arm), "arm")
    scenario = runs["scenario"].iloc[0]
    text = f"Sweep **{meta.get('experiment', '?')}** (scenario {scenario}): {arms}, {reps} ({count(len(runs), 'run')})."
    if meta.get("runs_planned") and meta.get("runs_planned") != len(runs):
        text += f" Partial sweep: {len(runs)} of {meta['runs_planned']} planned runs are in."
    return text


def find_best(runs: pd.DataFrame, effects: pd.DataFrame, key: str = HEADLINE) -> Best | None:
    """The best arm on the ranking outcome ``key``, compared pair by pair with every other arm."""
    candidate = best_arm(effects, None, key)  # best among arms that improve distinguishably
    if candidate is None:
        return None
    vs_best = paired_effects(runs, [key], baseline=candidate.arm) if runs.arm.nunique() > 2 else None
    return best_arm(effects, vs_best, key)


def near_best_sentence(
    runs: pd.DataFrame,
    effects: pd.DataFrame,
    base: str | None,
    best: str,
    near: str,
    costs: pd.Series,
    ce: tuple[pd.DataFrame, pd.DataFrame] | None,
    key: str = HEADLINE,
) -> str:
    """The cheapest near-best arm with effect, CI and cost, and what the step up to the best arm costs.

    When the best arm is itself the cheapest near-best, the next efficient arm below it is given
    instead, but only when both are shown efficient (each one's step up the frontier distinguishable
    from zero, :func:`sim.stats.cea.frontier_steps`) and the best arm's step is measured from it: an
    arm efficient on means only is never recommended.
    """
    share = f"at least {NEAR_BEST_SHARE:.0%} of the best arm's effect"
    if near != best:
        intro = f"Cheapest arm with {share}: **{arm_name(near)}**"
        lower = near
    else:
        table = ce[0].set_index("arm") if ce is not None else None
        ref = table.loc[best, "reference"] if table is not None and best in table.index else ""
        if not ref or ref == base:
            return f"No cheaper arm achieves {share}."
        if not (table.loc[best, "shown"] and table.loc[ref, "shown"] and table.loc[best, "step_from"] == ref):
            return (
                f"No cheaper arm achieves {share}, and no cheaper efficient arm is shown (a step along the "
                "frontier below it is not distinguishable from zero)."
            )
        intro = f"No cheaper arm achieves {share}; the next efficient arm below it is **{arm_name(ref)}**"
        lower = ref
    e = effects[(effects.outcome == key) & (effects.arm == lower)].iloc[0]
    step = incremental(runs, base, lower, best, key=key)
    ci = fmt_interval(key, e.ci_low, e.ci_high, int(e.pairs))
    return (
        f"{intro}: {fmt_diff(key, e['diff'])} ({ci}), "
        f"at {costs[lower]:,.0f} staff-days. Going on to {arm_name(best)} costs {step['d_cost']:,.0f} staff-days "
        f"more for {step['d_effect']:.1f} more {seats_word(key)} prevented per round: "
        f"{fmt_icer(step['icer'])} staff-days per extra seat "
        f"({fmt_icer_interval(step['low'], step['high'], pairs=int(step['pairs']))})."
    )


def incremental(
    runs: pd.DataFrame, base: str | None, a: str, b: str, n_boot: int = 2000, key: str = HEADLINE
) -> dict[str, float]:
    """Extra cost, extra seats prevented and ICER of ``b`` over ``a`` with a paired bootstrap interval."""
    effect, cost = per_pair(runs, key, base or a)
    d_cost = float(cost[b].mean() - cost[a].mean())
    d_effect = float(effect[b].mean() - effect[a].mean())
    low = high = float("nan")  # too few seeds to resample: no interval
    if len(effect) >= MIN_BOOTSTRAP_PAIRS:
        boot_e, boot_c = bootstrap_means(effect[[a, b]], cost[[a, b]], n_boot)
        low, high = icer_interval(boot_c[:, 1] - boot_c[:, 0], boot_e[:, 1] - boot_e[:, 0])
    icer = d_cost / d_effect if d_effect > 0 else float("inf")
    return {"d_cost": d_cost, "d_effect": d_effect, "icer": icer, "low": low, "high": high, "pairs": len(effect)}


def residual_sentence(runs: pd.DataFrame, base: str | None, arm: str | None, key: str = HEADLINE) -> str:
    """The ranking outcome left under ``arm`` (or the no-intervention level when there is no best arm)."""
    means = arm_means(runs, [key]).set_index("arm")
    o = outcome(key)
    b = means.loc[base] if base in means.index else None
    without = f"{fmt_level(key, b['mean'])} with no intervention" if b is not None else ""
    if arm is None:
        return f"{o.label}: {without}." if without else ""
    r = means.loc[arm]
    level = fmt_level(key, r["mean"])
    what = o.residual.format(level=level) if o.residual else f"{o.label.lower()} {level}"
    ci = (
        f"95% CI {fmt_level(key, r.ci_low)} to {fmt_level(key, r.ci_high)}"
        if np.isfinite([r.ci_low, r.ci_high]).all()
        else no_interval(int(r.n))
    )
    return f"What is left: under {arm_name(arm)}, {what} ({ci}), against {without}."


def harms_sentence(effects: pd.DataFrame, arms: list[str]) -> str:
    """Each harm under the named arms: the paired change against no intervention with its CI."""
    parts = []
    for arm in arms:
        bits = []
        for key in HARMS:
            rows = effects[(effects.outcome == key) & (effects.arm == arm)]
            if rows.empty:
                continue
            r = rows.iloc[0]
            digits = 2 if outcome(key).kind == "merit" else 1
            s = outcome(key).scale
            bits.append(
                f"{s * r['diff']:+.{digits}f} {outcome(key).label.lower()} "
                f"({fmt_range(r.ci_low, r.ci_high, f'+.{digits}f', s, n=int(r.pairs))})"
            )
        if bits:
            parts.append(f"under {arm_name(arm)}, " + "; ".join(bits))
    if not parts:
        return ""
    return "Harms against no intervention, per election round: " + ". ".join(parts) + "."


def headline_table(
    runs: pd.DataFrame,
    effects: pd.DataFrame,
    ce: tuple[pd.DataFrame, pd.DataFrame] | None,
    base: str | None,
    choice: ReportSettings | None = None,
) -> pd.DataFrame:
    """One row per arm: ranking effect and CI, Holm p, the split of bought seats, net benefit, cost, harms, left."""
    choice = choice or ReportSettings()
    key = choice.outcome
    o = outcome(key)
    head = effects[effects.outcome == key].set_index("arm")
    means = arm_means(runs, [key]).set_index("arm")
    order = arm_order(runs, effects, key)
    net = net_benefit_column(runs, base, key, choice.harm_weight)
    rows = []
    ce_t = ce[0].set_index("arm") if ce is not None else None
    for arm in order:
        row: dict[str, Any] = {"arm": arm_name(arm)}
        if arm in head.index:
            e = head.loc[arm]
            row[f"effect ({'points' if o.kind == 'share' else o.diff_unit})"] = round(o.scale * e["diff"], 2)
            row["95% CI"] = fmt_range(e.ci_low, e.ci_high, scale=o.scale, prefix="", n=int(e.pairs))
            row["p (Holm)"] = "<0.001" if e.p_holm < 0.001 else f"{e.p_holm:.3f}"
        else:
            row[f"effect ({'points' if o.kind == 'share' else o.diff_unit})"] = 0.0
            row["95% CI"], row["p (Holm)"] = "(reference)", ""
        row.update(split_columns(effects, arm, key))
        if net is not None:
            row[net.name] = round(float(net.get(arm, 0.0)), 2) + 0.0
        if ce_t is not None and arm in ce_t.index:
            row.update(cost_columns(ce_t.loc[arm], key))
        for h_key in HARMS:
            h = effects[(effects.outcome == h_key) & (effects.arm == arm)]
            value = round(float(h["diff"].iloc[0]), 2) if len(h) else 0.0
            row[f"{outcome(h_key).label.lower()} (change)"] = value + 0.0  # no "-0"
        row[f"left: {o.label.lower()} ({o.unit})"] = round(o.scale * float(means.loc[arm, "mean"]), 1)
        rows.append(row)
    return with_cost_per_100_townships(pd.DataFrame(rows), runs, order)


def with_cost_per_100_townships(table: pd.DataFrame, runs: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    """The table with each arm's mean cost per 100 townships beside its cost (worlds of any size compare)."""
    if "cost_per_100_townships" not in runs:  # a sweep made before the key existed
        return table
    per_100 = runs.groupby("arm")["cost_per_100_townships"].mean()
    at = table.columns.get_loc("cost (staff-days)") + 1 if "cost (staff-days)" in table else len(table.columns)
    table.insert(at, "cost per 100 townships (staff-days)", [round(float(per_100[a])) for a in order])
    return table


def split_columns(effects: pd.DataFrame, arm: str, key: str) -> dict[str, float]:
    """The change in captured, vacated and displaced seats (points) for an arm, besides the ranking outcome."""
    out = {}
    for part in SPLIT:
        if part == key:
            continue
        rows = effects[(effects.outcome == part) & (effects.arm == arm)]
        name = part.split("_")[0]
        out[f"{name} (points)"] = round(100 * float(rows["diff"].iloc[0]), 2) + 0.0 if len(rows) else 0.0
    return out


def cost_columns(c: pd.Series, key: str) -> dict[str, Any]:
    """Seats prevented, cost, frontier status and ICER of one arm (a row of the cost-effectiveness table)."""
    pairs = int(c.pairs)
    status = c.status
    if status == "efficient" and c.reference and not bool(c.get("shown", False)):
        status = "efficient on means"  # a step to it is not distinguishable from zero
    return {
        f"{seats_word(key)} prevented": round(float(c.effect), 2),
        "cost (staff-days)": round(float(c.cost), 0),
        "status": status if pairs >= 2 else f"{c.status} (one seed)",  # one seed's frontier: no finding
        "ICER (staff-days per seat)": (
            f"{fmt_icer(c.icer)} ({fmt_icer_interval(c.icer_low, c.icer_high, prefix='', pairs=pairs)})"
            if c.reference
            else ""
        ),
    }


def uncertainty_links(sections: list[Section], sweep_dir: Path) -> dict[str, str]:
    """Where parameter uncertainty is treated.

    This report's sections, else sibling sweeps' reports, else the command that makes them (no link).
    """
    links = {}
    for name in ("sensitivity", "calibration"):
        if any(s.anchor == name for s in sections):
            links[f"the {name} section"] = f"#{name}"
            continue
        found = sorted((sweep_dir.parent.parent / name).glob("*/report/report.html"))
        if found:
            links[f"the {name} report"] = str(
                Path("..", "..", "..", *found[0].relative_to(sweep_dir.parent.parent).parts)
            )
        else:
            links[f"the {name} experiment (`experiment={name}`)"] = ""
    return links
