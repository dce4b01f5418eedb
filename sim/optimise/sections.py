"""The optimisation report's sections: levers, budgets, re-evaluation, search progress, robustness."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.optimise.figures import frontier_plot, prim_plot, progress_plot, robustness_plot, shift_plot, spending_plot
from sim.optimise.portfolios import (
    NONE,
    OBJECTIVES,
    BudgetPick,
    arm_costs,
    picks_table,
)
from sim.optimise.robustness import PrimBox, distinct_world_means, prim_boxes, robust_rival, robustness_table
from sim.optimise.sentences import (
    MIN_PRIM_CASES,
    MIN_PRIM_WORLDS,
    prim_sentence,
    rival_sentence,
    robustness_sentence,
    search_sentence,
    worlds_sentence,
)
from sim.report.html import Section, _csv, _save
from sim.report.style import DISPLAY_NAMES, arm_name
from sim.stats.outcomes import LEVEL


def _pct(v: float) -> str:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{100 * v:+.1f}"


def _ci(low: float, high: float, scale: float = 100.0) -> str:
    """``a to b`` (points by default), or ``no interval`` when the ends are undefined."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return "no interval"
    return f"{scale * low:+.1f} to {scale * high:+.1f}"


def budget_display(picks: list[BudgetPick], names: dict[str, str]) -> pd.DataFrame:
    """The budget table as the report shows it (points, staff-days, words)."""
    rows = []
    for p in picks:
        if p.arm is None:
            continue
        rows.append(
            {
                "budget (staff-days)": f"{p.budget:,.0f}",
                "pick": names.get(p.arm, p.arm),
                "cost": round(p.cost),
                "effect (points)": _pct(p.effect),
                "95% CI, adjusted for the choice": _ci(p.low, p.high) if p.arm != NONE else "",
                "named best": "yes" if p.named_best and p.p_holm < 1 - LEVEL else "no",
                "cheaper, not distinguishable": names.get(p.cheaper, "") if p.cheaper else "",
                "its cost": round(p.cheaper_cost) if p.cheaper else "",
                "best fixed arm within budget": names.get(p.fixed, "") if p.fixed else "",
                "pick minus fixed (points, 95% CI)": (
                    f"{_pct(p.vs_fixed)} ({_ci(p.vs_fixed_low, p.vs_fixed_high)})"
                    if p.fixed and p.fixed != p.arm
                    else ""
                ),
                "honest removed vs none (95% CI)": (
                    f"{p.honest:+.1f} ({_ci(p.honest_low, p.honest_high, 1.0)})" if not math.isnan(p.honest) else ""
                ),
                "spending (staff-days)": "; ".join(
                    f"{DISPLAY_NAMES.get(k, k)} {v:,.0f}" for k, v in sorted(p.spending.items(), key=lambda kv: -kv[1])
                ),
            }
        )
    return pd.DataFrame(rows)


def _same_sentence(a: BudgetPick, b: BudgetPick) -> bool:
    """Whether two budgets' picks are described by the same words (all but the budget)."""
    keys = ("arm", "named_best", "cheaper", "cheapest_outside", "chosen_among", "rivals", "low", "high", "p_holm")
    return all((pd.isna(x) and pd.isna(y)) or x == y for x, y in ((getattr(a, k), getattr(b, k)) for k in keys))


def pick_groups(picks: list[BudgetPick]) -> list[list[BudgetPick]]:
    """Consecutive budgets whose sentences would be the same, grouped (the larger found nothing else)."""
    groups: list[list[BudgetPick]] = []
    for p in picks:
        if groups and _same_sentence(groups[-1][0], p):
            groups[-1].append(p)
        else:
            groups.append([p])
    return groups


def fixed_groups(group: list[BudgetPick]) -> list[list[BudgetPick]]:
    """Budgets of a group with the same best fixed arm, grouped."""
    out: list[list[BudgetPick]] = []
    for p in group:
        if out and out[-1][0].fixed == p.fixed:
            out[-1].append(p)
        else:
            out.append([p])
    return out


# ------------------------------------------------------------------------------------ sections
def levers_section(plan: dict[str, Any], out: Path) -> Section:
    """The decision levers searched and their values."""
    from sim.levers import BY_KEY

    rows = []
    for item in plan["search"]["levers"]:
        lv = BY_KEY[item["key"]]
        values = item["values"]
        on = [v for v in values if v != 0]
        rows.append(
            {
                "lever": lv.name,
                "choices": len(values),
                "values searched": ("0 (off), " if 0 in values else "")
                + (f"{min(on):g} to {max(on):g}" + (f" step {lv.step:g}" if lv.kind != "bool" else "") if on else ""),
                "default (fixed arms)": lv.default,
                "unit": lv.unit,
                "meaning": lv.doc,
            }
        )
    table = pd.DataFrame(rows)
    _csv(out / "levers.csv", table)
    sec = Section("levers", "Decision levers")
    sec.lines.append(
        "Each lever's value 0 means the intervention is not deployed (cost 0); a portfolio's cost is what the model "
        "books for it in the run (staff-days, cost_total). Levers are declared in the configuration schema "
        "(docs/PARAMETERS.md, Decision levers)."
    )
    sec.tables.append(("Levers searched", table, "levers.csv", "Values searched by the optimiser (a grid per lever)."))
    return sec


def budget_section(
    picks: list[BudgetPick],
    summary: pd.DataFrame,
    trials: pd.DataFrame,
    names: dict[str, str],
    fixed: dict[str, str],
    out: Path,
) -> Section:
    """The best mix for each budget, the frontier with the fixed arms, and what each pick spends."""
    sec = Section("budgets", "Best mix for a budget")
    table = budget_display(picks, names)
    _csv(out / "budgets.csv", picks_table(picks))
    sec.tables.append(
        (
            "Best re-evaluated portfolio within each budget",
            table,
            "budgets.csv",
            "Effects on seats vote buying changed after unseating, against no intervention, in percentage points, "
            "paired over the fresh seeds; the pick's interval is adjusted for having been chosen among the arms the "
            "budget affords (Bonferroni). Named best only when distinguishable from every other arm costing no more "
            "(adjusted the same way); the CSV stores fractions of seats.",
        )
    )
    fixed_names = {label: arm_name(name) for name, label in fixed.items() if name != NONE}
    _csv(out / "frontier.csv", summary.assign(name=summary.arm.map(names)))
    sec.figures.append(
        _save(
            frontier_plot(summary, picks, fixed_names, names),
            out,
            "frontier",
            "Change in seats vote buying changed (after unseating) against no intervention, by cost, all on the same "
            "fresh seeds. Dark: the Pareto portfolios of the search, with 95% paired CIs, and the frontier they make; "
            "blue squares: the fixed arms of the comparison; stars: the best portfolio within each budget (dashed "
            "lines). The search's own trials are in the search section.",
            "frontier.csv",
        )
    )
    if any(p.arm and p.arm != NONE for p in picks):
        sec.figures.append(
            _save(
                spending_plot(picks, names),
                out,
                "spending",
                "Staff-days each budget's pick spends on each intervention (means over the fresh seeds).",
                "budgets.csv",
            )
        )
    fx = summary[summary.arm.isin(fixed.values())].assign(name=lambda t: t.arm.map(names))
    fx_table = pd.DataFrame(
        {
            "fixed arm": fx.name,
            "cost": fx.cost.round(0),
            "effect (points)": (100 * fx.effect).round(2),
            "95% CI": [_ci(lo, hi) for lo, hi in zip(fx.low, fx.high, strict=True)],
        }
    )
    _csv(out / "fixed_arms.csv", fx_table)
    sec.tables.append(
        ("Fixed arms on the fresh seeds", fx_table, "fixed_arms.csv", "The comparison's arms, on the same fresh seeds.")
    )
    return sec


def reevaluation_section(reeval: pd.DataFrame, names: dict[str, str], fresh: pd.DataFrame, out: Path) -> Section:
    """How far fresh seeds moved the Pareto portfolios."""
    sec = Section("reevaluation", "Re-evaluation on fresh seeds")
    if reeval.empty:
        sec.lines.append("No Pareto portfolio was re-evaluated.")
        return sec
    _csv(out / "reevaluation.csv", reeval)
    shown = pd.DataFrame(
        {
            "portfolio": reeval.arm.map(lambda a: names.get(a, a)),
            "cost": reeval.cost.round(0),
            "search effect (points)": (100 * reeval.search_effect).round(2),
            "fresh effect (points)": (100 * reeval.fresh_effect).round(2),
            "fresh 95% CI": [
                f"{100 * a:+.1f} to {100 * b:+.1f}" for a, b in zip(reeval.fresh_low, reeval.fresh_high, strict=True)
            ],
            "p vs none (Holm)": reeval.p_holm.map(lambda p: "<0.001" if p < 0.001 else f"{p:.3f}"),
            "shift (points)": (100 * reeval["shift"]).round(2),
            "shift 95% CI": [
                f"{100 * a:+.1f} to {100 * b:+.1f}" for a, b in zip(reeval.shift_low, reeval.shift_high, strict=True)
            ],
        }
    )
    sec.tables.append(
        (
            "Search against fresh seeds",
            shown,
            "reevaluation.csv",
            "Effects on seats vote buying changed after unseating against no intervention, paired over each seed set; "
            "shift = fresh minus search (Welch interval: the seed sets are disjoint). Holm over every re-evaluated "
            "arm.",
        )
    )
    sec.figures.append(
        _save(
            shift_plot(reeval, names),
            out,
            "reevaluation",
            "Each re-evaluated Pareto portfolio's effect on the search's seeds (open) and on fresh seeds (filled), "
            "with 95% paired CIs; arrows show the move.",
            "reevaluation.csv",
        )
    )
    return sec


def search_section(progress: pd.DataFrame, population: int, trials: pd.DataFrame, out: Path) -> Section:
    """The search's progress, and its trials."""
    sec = Section("search", "The search")
    sec.lines.append(search_sentence(progress, population))
    _csv(out / "search_progress.csv", progress)
    keep = ["number", "generation", "seeded", "portfolio", "description", *OBJECTIVES]
    _csv(out / "trials.csv", trials[[c for c in keep if c in trials]])
    sec.figures.append(
        _save(
            progress_plot(progress, trials),
            out,
            "search_progress",
            "Left: every trial's mean over the search's seeds (colour: generation) and the frontier they make. Right: "
            "the hypervolume of that frontier after each generation, against no intervention and the dearest trial "
            "(Zitzler & Thiele 1999). Every trial's means are in trials.csv.",
            "search_progress.csv",
        )
    )
    return sec


def robustness_section(
    robust: pd.DataFrame,
    fresh: pd.DataFrame,
    picks: list[BudgetPick],
    budgets: list[float],
    target: float,
    names: dict[str, str],
    worlds: dict[str, Any],
    plan: dict[str, Any],
    out: Path,
) -> tuple[Section, list[str]]:
    """Regret, the chance of meeting the target, and PRIM's boxes for each budget's pick."""
    sec = Section("robustness", "Robustness across parameter uncertainty")
    table = robustness_table(robust, arm_costs(fresh), budgets, target)
    _csv(out / "robustness.csv", table)
    lines = [worlds_sentence({**worlds, "draws": int(robust["sample"].nunique())})]
    # PRIM sees each distinct world once: a copy is not independent evidence for a box.
    means = distinct_world_means(robust)
    params = [c for c in robust.columns if c.startswith("in.")]
    x = robust.drop_duplicates("world").set_index("world").loc[means.index, params].rename(columns=lambda c: c[3:])
    seen: set[str] = set()
    box_rows: list[dict[str, Any]] = []
    for group in pick_groups(picks):
        p = group[-1]  # the largest budget of the group: the most portfolios to compete with
        if not p.arm or p.arm == NONE or p.arm not in means.columns:
            continue
        row = table[(table.budget == p.budget) & (table.arm == p.arm)]
        if row.empty:
            continue
        members = table[table.budget == p.budget].arm.tolist()
        text = robustness_sentence(row.iloc[0], p.budget, target, names)
        text += " " + rival_sentence(robust_rival(robust, p.arm, members), p.arm, p.budget, names)
        if p.arm in seen:
            lines.append(text)
            continue
        seen.add(p.arm)
        fail = (means[p.arm] >= target).to_numpy()
        can = (
            plan["robustness"].get("prim", True)
            and len(means) >= MIN_PRIM_WORLDS
            and MIN_PRIM_CASES <= fail.sum() <= len(fail) - MIN_PRIM_CASES
        )
        boxes = prim_boxes(x, fail) if can else []
        text += " " + prim_sentence(boxes, p.arm, names, target, int(fail.sum()), len(fail), len(means))
        lines.append(text)
        label = names.get(p.arm, p.arm)
        for i, b in enumerate(boxes):
            what = f"box {i + 1}" if b.significant else "best candidate, not significant"
            box_rows += prim_box_rows(b, label, what)
            sec.figures.append(prim_figure(b, x, fail, label, what, target, out, f"prim_{len(seen)}_{i + 1}"))
    if box_rows:
        boxes_table = pd.DataFrame(box_rows)
        _csv(out / "prim_boxes.csv", boxes_table)
        sec.tables.append(
            ("PRIM boxes", boxes_table, "prim_boxes.csv", "Restrictions of each box, with coverage and density.")
        )
    sec.tables.append(
        (
            "Regret and the target across the sampled worlds",
            robustness_display(table, names, target),
            "robustness.csv",
            "For each budget, every evaluated portfolio it affords (by its cost on the fresh seeds): regret is the "
            "shortfall against the best affordable portfolio in the same world; budget 'any' compares all of them.",
        )
    )
    sec.lines += lines
    sec.figures.append(
        _save(
            robustness_plot(robust, table, target, names),
            out,
            "robustness",
            "Each evaluated portfolio's bought-seat rate in every sampled world (mean over the world's seeds), and the "
            "share of worlds below the target with a Wilson 95% CI.",
            "robustness.csv",
        )
    )
    return sec, lines


def prim_box_rows(box: PrimBox, portfolio: str, what: str) -> list[dict[str, Any]]:
    """One row per restriction of a PRIM box, with the box's coverage and density."""
    return [
        {
            "portfolio": portfolio,
            "box": what,
            "parameter": k,
            "low": lo,
            "high": hi,
            "sampled low": box.full[k][0],
            "sampled high": box.full[k][1],
            "quasi-p": box.qp[k],
            "coverage": box.coverage,
            "density": box.density,
            "mass": box.mass,
            "overall failure rate": box.base_rate,
        }
        for k, (lo, hi) in box.limits.items()
    ]


def prim_figure(
    box: PrimBox, x: pd.DataFrame, fail: np.ndarray, portfolio: str, what: str, target: float, out: Path, stem: str
) -> tuple[str, str]:
    """The figure of one PRIM box: its peeling trajectory and the worlds on its two main parameters."""
    return _save(
        prim_plot(box, x, fail, f"Where {textwrap_short(portfolio)} fails ({what})"),
        out,
        stem,
        "PRIM (EMA Workbench): left, the boxes along the peeling trajectory, the one kept circled (all "
        "restrictions quasi-p < 0.05, best harmonic mean of coverage and density; when none qualifies, "
        "the best candidate by that score, which is not claimed); right, the sampled "
        "worlds on the box's two most significant parameters "
        f"(x: fails, bought seats ≥ {100 * target:g}%); a box restricting more parameters can leave out "
        "worlds inside the rectangle, by the others.",
        "prim_boxes.csv",
    )


def robustness_display(table: pd.DataFrame, names: dict[str, str], target: float) -> pd.DataFrame:
    """The robustness table for people: budgets and portfolios in words, shares in per cent."""
    shown = table.assign(
        budget=table.budget.map(lambda b: "any" if np.isinf(b) else f"{b:,.0f}"),
        portfolio=table.arm.map(lambda a: names.get(a, a)),
    )[
        [
            "budget",
            "portfolio",
            "cost",
            "mean",
            "p_target",
            "p_low",
            "p_high",
            "regret_mean",
            "regret_p90",
            "regret_max",
            "best_share",
        ]
    ]
    for c in ("mean", "regret_mean", "regret_p90", "regret_max"):
        shown[c] = (100 * shown[c]).round(2)
    for c in ("p_target", "p_low", "p_high", "best_share"):
        shown[c] = (100 * shown[c]).round(0)
    shown["cost"] = shown["cost"].round(0)
    return shown.rename(
        columns={
            "budget": "budget (staff-days)",
            "mean": "mean bought seats (%)",
            "p_target": f"meets < {100 * target:g}% (% of worlds)",
            "p_low": "95% CI low",
            "p_high": "95% CI high",
            "regret_mean": "mean regret (points)",
            "regret_p90": "90th pct regret",
            "regret_max": "worst regret",
            "best_share": "best affordable (% of worlds)",
        }
    )


def textwrap_short(text: str, width: int = 60) -> str:
    """``text`` shortened to ``width`` characters."""
    import textwrap

    return textwrap.shorten(text, width)
