"""The report of an optimisation folder (``experiment=optimise``): the best mix for each budget and the evidence.

Same style as the sweep report (:mod:`sim.report`): a first screen that answers "which
mix, at what budget", written by :mod:`sim.optimise.sentences` from the numbers, then sections with
figures (PNG and SVG), the tables behind them (CSV) and the folder's metadata.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from sim.atomic_io import atomic_write_text
from sim.optimise.portfolios import (
    NONE,
    BudgetPick,
    arm_costs,
    budget_picks,
    fixed_labels,
    frontier_mask,
    portfolio_names,
    reevaluation_table,
    search_progress,
    stage,
)
from sim.optimise.sections import (
    budget_section,
    fixed_groups,
    levers_section,
    pick_groups,
    reevaluation_section,
    robustness_section,
    search_section,
)
from sim.optimise.sentences import budget_sentence, fixed_sentence, reevaluation_sentence, search_sentence
from sim.report.html import ReportError, _html, _markdown
from sim.stats.outcomes import LEVEL
from sim.stats.outcomes import OPTIMISED as HEADLINE  # the search minimises all seats buying changed
from sim.stats.paired import paired_effects


def is_optimisation(sweep_dir: Path) -> bool:
    """True for a folder written by ``experiment=optimise``."""
    return (Path(sweep_dir) / "optimise.json").exists()


def _fresh_summary(fresh: pd.DataFrame) -> pd.DataFrame:
    """Per fresh arm: cost, paired effect on bought seats against none with CI, on the frontier or not."""
    effects = paired_effects(fresh, [HEADLINE], baseline=NONE).set_index("arm")
    costs = arm_costs(fresh)
    rows = [{"arm": NONE, "cost": float(costs.get(NONE, 0.0)), "effect": 0.0, "low": 0.0, "high": 0.0}]
    for arm, e in effects.iterrows():
        rows.append({"arm": arm, "cost": float(costs[arm]), "effect": e["diff"], "low": e.ci_low, "high": e.ci_high})
    table = pd.DataFrame(rows)
    table["efficient"] = frontier_mask(table.cost.to_numpy(), table.effect.to_numpy())
    return table


def write_optimise_report(sweep_dir: Path) -> Path:
    """Write ``SWEEP_DIR/report/`` for an optimisation folder and return the path of report.html.

    Raises:
        ReportError: The folder holds no finished optimisation.
    """
    sweep_dir = Path(sweep_dir)
    for name in ("optimise.json", "trials.parquet", "runs.parquet"):
        if not (sweep_dir / name).exists():
            raise ReportError(f"{sweep_dir} has no {name}: run the optimisation (experiment=optimise) to the end first")
    try:
        plan = json.loads((sweep_dir / "optimise.json").read_text())
        meta = json.loads((sweep_dir / "sweep.json").read_text()) if (sweep_dir / "sweep.json").exists() else {}
    except (OSError, ValueError) as exc:
        raise ReportError(f"{sweep_dir}: optimise.json or sweep.json cannot be read ({exc}): rerun the command") from (
            exc
        )
    if not isinstance(meta, dict) or not isinstance(plan, dict):
        raise ReportError(f"{sweep_dir}: optimise.json or sweep.json is not an object: rerun the command")
    from sim.optimise.plan import plan_digest  # the digest the run recorded in sweep.json

    digest = plan_digest(sweep_dir)
    if meta.get("complete") is not True or meta.get("plan_sha256") != digest:
        # Tables of an interrupted run, or of an earlier plan, would be reported under this plan.
        why = (
            "its plan changed since the last finished run"
            if meta.get("complete") and meta.get("plan_sha256") != digest
            else "its last run did not finish"
            + (f" ({'; '.join(meta['problems'])})" if meta.get("problems") else " (stopped, or still running)")
        )
        raise ReportError(
            f"{sweep_dir}: no report for this optimisation: {why}. Rerun the command "
            "(python experiments/run.py -m experiment=optimise ... with the same settings) to finish it; finished "
            "runs are kept."
        )
    trials = pd.read_parquet(sweep_dir / "trials.parquet")
    runs = pd.read_parquet(sweep_dir / "runs.parquet")
    out = sweep_dir / "report"
    out.mkdir(exist_ok=True)
    for stale in [*out.glob("*.png"), *out.glob("*.svg"), *out.glob("*.csv")]:
        stale.unlink()
    fixed = meta.get("fixed_arms") or fixed_labels(runs)
    names = portfolio_names(runs, fixed)
    fresh, robust = stage(runs, "fresh"), stage(runs, "robust")
    budgets = plan["budgets"]
    target = float(plan["robustness"]["target"])
    chosen = meta.get("reevaluated") or [a for a in fresh.arm.unique() if a not in fixed.values()]
    population = int(plan["search"]["population"])

    picks = budget_picks(fresh, budgets, [v for k, v in fixed.items() if k != NONE])
    unevaluated = sorted({p.arm for p in picks if p.arm and p.arm != NONE} - set(robust.arm)) if len(robust) else []
    if unevaluated:
        # The picks come from the analysis code, which may have changed since the run: the
        # robustness stage must have evaluated each of them, or the report would leave them out.
        raise ReportError(
            f"{sweep_dir}: the robustness stage did not evaluate the budget picks {', '.join(unevaluated)} (the "
            "analysis code changed since the run): rerun the command to evaluate them; finished runs are kept"
        )
    progress = search_progress(trials, population)
    reeval = reevaluation_table(runs, chosen)
    summary = _fresh_summary(fresh)

    sections = [
        levers_section(plan, out),
        budget_section(picks, summary, trials, names, fixed, out),
        reevaluation_section(reeval, names, fresh, out),
        search_section(progress, population, trials, out),
    ]
    rob_lines: list[str] = [
        "Robustness across parameter uncertainty was not evaluated (optimise.robustness.draws=0): the intervals "
        "above hold at the calibrated parameters only."
    ]
    if len(robust):
        sec, rob_lines = robustness_section(
            robust, fresh, picks, budgets, target, names, meta.get("worlds", {}), plan, out
        )
        sections.append(sec)
    screen = first_screen(plan, meta, trials, runs, picks, reeval, progress, names, rob_lines)
    runs_meta = runs.assign(scenario=str(plan["search"]["base_inputs"].get("scenario", "?")))
    markdown = _markdown(screen, None, sections, runs_meta, meta).replace("# Sweep report", "# Optimised portfolios", 1)
    atomic_write_text(out / "report.md", markdown)
    html = _html(screen, None, sections, out, runs_meta, meta).replace(
        "<title>Sweep report</title>", "<title>Optimisation report</title>"
    )
    html = html.replace("<h1>Sweep report</h1>", "<h1>Optimised portfolios</h1>", 1)
    atomic_write_text(out / "report.html", html)
    return out / "report.html"


# ------------------------------------------------------------------------------------ first screen
def first_screen(
    plan: dict[str, Any],
    meta: dict[str, Any],
    trials: pd.DataFrame,
    runs: pd.DataFrame,
    picks: list[BudgetPick],
    reeval: pd.DataFrame,
    progress: pd.DataFrame,
    names: dict[str, str],
    rob_lines: list[str],
) -> list[str]:
    """The answer: the best mix for each budget, what optimisation adds, how much fresh seeds moved it, robustness."""
    s = plan["search"]
    fresh_n = int(plan["reevaluate"]["replicates"])
    scenario = s["base_inputs"].get("scenario", "?")
    levers = len(s["levers"])
    load = meta.get("load_start")
    wall = meta.get("wall_s")
    lines = [
        f"Optimisation **{plan.get('experiment', 'optimise')}** (scenario {scenario}): NSGA-II over {levers} levers, "
        f"{plan['generations']} generations of {s['population']} portfolios, each on the same {s['replicates']} seeds "
        f"({len(trials)} trials, {trials.portfolio.nunique()} distinct portfolios); {len(reeval)} Pareto portfolios "
        f"and the {len(meta.get('fixed_arms', {})) or 8} fixed arms of the comparison re-evaluated on {fresh_n} fresh "
        "seeds"
        + (
            f"; run time {wall / 60:.1f} min on {meta.get('cpus')} cores (1-minute load average {load[0]:.1f} at "
            f"the start, {meta.get('load_end', [math.nan])[0]:.1f} at the end)."
            if wall and load
            else "."
        )
    ]
    for group in pick_groups(picks):
        first = group[0]
        text = budget_sentence(first, names, [p.budget for p in group[1:]])
        for sub in fixed_groups(group):
            extra = fixed_sentence(sub[0], names, [p.budget for p in sub[1:]])
            if extra:
                text += " " + extra
        lines.append(text)
    text = reevaluation_sentence(reeval, fresh_n)
    if text:
        lines.append(text)
    lines += rob_lines
    lines.append(search_sentence(progress, int(s["population"])))
    lines.append(
        f"Intervals: effects are paired over common seeds (t intervals, {LEVEL:.0%}), so they cover the simulated "
        "elections' randomness at the calibrated parameters; the robustness section varies the parameters. Costs are "
        "the model's staff-days (assumed conversion factors, docs/MODEL.md)."
    )
    return lines
