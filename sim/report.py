"""The report of a sweep: figures (PNG and SVG), the tables behind them (CSV), report.md and report.html."""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from sim.analysis import OUTCOMES, AnalysisError, arm_means, baseline_arm, paired_effects, pareto_front
from sim.plots import arm_colours, arm_means_plot, arm_name, cost_effectiveness, forest_plot, time_course
from sim.store import atomic_write_text, atomic_write_with


class ReportError(RuntimeError):
    """A sweep directory that cannot be reported on; the message says why."""


def load_sweep(sweep_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """The collected tables and metadata of a sweep, or a clear error."""
    sweep_dir = Path(sweep_dir)
    if not sweep_dir.is_dir():
        raise ReportError(f"{sweep_dir} does not exist")
    if not (sweep_dir / "runs.parquet").exists():
        raise ReportError(
            f"{sweep_dir} has no runs.parquet: collect it first (python experiments/collect.py {sweep_dir})"
        )
    runs = pd.read_parquet(sweep_dir / "runs.parquet")
    if runs.empty:
        raise ReportError(f"{sweep_dir}/runs.parquet holds no runs")
    ts = pd.read_parquet(sweep_dir / "timeseries.parquet")
    meta_path = sweep_dir / "sweep.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    return runs, ts, meta


def arm_order(runs: pd.DataFrame, effects: pd.DataFrame | None) -> list[str]:
    """Baseline first, then arms by their effect on capture (most effective first)."""
    arms = list(runs.arm.unique())
    base = [a for a in arms if (runs[runs.arm == a].interventions == "none").all()]
    if effects is not None and len(effects):
        cap = effects[effects.outcome == "capture_rate_final"].sort_values("diff")
        return base + [a for a in cap.arm if a not in base]
    return base + sorted(a for a in arms if a not in base)


def write_report(sweep_dir: Path) -> Path:
    """Write ``SWEEP_DIR/report/`` and return the path of report.html."""
    sweep_dir = Path(sweep_dir)
    runs, ts, meta = load_sweep(sweep_dir)
    out = sweep_dir / "report"
    out.mkdir(exist_ok=True)
    outcomes = [o for o in OUTCOMES if o in runs.columns]
    try:
        base = baseline_arm(runs)
        effects = paired_effects(runs, outcomes, base)
    except AnalysisError as exc:
        base, effects, note = None, None, str(exc)
    else:
        note = ""
    order = arm_order(runs, effects)
    colours = arm_colours(order)
    means = arm_means(runs, outcomes)
    _csv(out / "arm_means.csv", means)
    figures: list[tuple[str, str, str]] = []  # (file stem, title, caption)

    fig = arm_means_plot(means, colours, order)
    figures.append(
        _save(
            fig,
            out,
            "arm_means",
            "Outcomes by arm",
            "Mean of each outcome over replicates, with 95% confidence intervals.",
        )
    )
    if effects is not None:
        _csv(out / "effects_vs_baseline.csv", effects)
        figures.append(
            _save(
                forest_plot(effects, colours, [a for a in order if a != base]),
                out,
                "effects_forest",
                "Effects against no intervention",
                "Differences from the no-intervention arm, computed seed by seed (common random "
                "numbers), with bootstrap 95% CIs; arms sorted by their effect on capture.",
            )
        )
        ce = cost_table(runs, effects)
        _csv(out / "cost_effectiveness.csv", ce)
        figures.append(
            _save(
                cost_effectiveness(ce, colours),
                out,
                "cost_effectiveness",
                "Cost-effectiveness",
                "Reduction in the share of seats held by vote buyers against cost; Pareto-efficient "
                "arms (no other arm is both cheaper and more effective) in bold.",
            )
        )
    congress = int((ts.loc[ts.days_to_congress == 0, "day"]).iloc[0]) if (ts.days_to_congress == 0).any() else 0
    figures.append(
        _save(
            time_course(ts, colours, order, congress),
            out,
            "time_course",
            "Time course",
            "Daily means over replicates with 95% bands; the dashed line marks congress day.",
        )
    )

    summary_lines = written_summary(runs, effects, base, meta, note)
    md = _markdown(summary_lines, figures, runs, meta)
    atomic_write_text(out / "report.md", md)
    page = _html(summary_lines, figures, out, runs, meta)
    atomic_write_text(out / "report.html", page)
    return out / "report.html"


def cost_table(runs: pd.DataFrame, effects: pd.DataFrame) -> pd.DataFrame:
    """Per arm: mean cost, capture reduction (percentage points) with CI, Pareto flag, cost per seat."""
    cap = effects[effects.outcome == "capture_rate_final"].set_index("arm")
    cost = runs.groupby("arm")["cost_total"].mean()
    seats = runs.groupby("arm")["seats"].mean()
    table = pd.DataFrame(
        {
            "arm": cap.index,
            "cost": cost.reindex(cap.index).to_numpy(),
            "reduction": -100 * cap["diff"].to_numpy(),
            "ci_low": -100 * cap["ci_high"].to_numpy(),
            "ci_high": -100 * cap["ci_low"].to_numpy(),
        }
    )
    seats_protected = table.reduction / 100 * seats.reindex(cap.index).to_numpy()
    table["seats_protected"] = seats_protected
    table["cost_per_seat_protected"] = table.cost / seats_protected.where(seats_protected > 0)
    table["efficient"] = pareto_front(table.cost.to_numpy(), table.reduction.to_numpy())
    return table


def written_summary(
    runs: pd.DataFrame, effects: pd.DataFrame | None, base: str | None, meta: dict[str, Any], note: str
) -> list[str]:
    """A few sentences generated from the numbers."""
    per_arm = runs.groupby("arm").size()
    lines = [
        f"Sweep **{meta.get('experiment', '?')}**: {len(per_arm)} arms, "
        f"{per_arm.min()}–{per_arm.max()} replicates per arm ({len(runs)} runs)."
    ]
    if meta.get("runs_planned") and meta.get("runs_planned") != len(runs):
        lines.append(f"Partial sweep: {len(runs)} of {meta['runs_planned']} planned runs are in.")
    if effects is None:
        lines.append(note)
        return lines
    b = runs[runs.arm == base]
    lines.append(
        f"Without intervention, vote buyers hold {b.capture_rate_final.mean():.1%} of seats after the "
        f"post-election window and {b.bribed_share.mean():.1%} of delegates take a bribe."
    )
    cap = effects[effects.outcome == "capture_rate_final"].sort_values("diff")
    best = cap.iloc[0]
    cost = runs[runs.arm == best.arm].cost_total.mean()
    lines.append(
        f"The largest reduction in captured seats comes from **{arm_name(best.arm)}**: "
        f"{-100 * best['diff']:.1f} percentage points (95% CI {-100 * best.ci_high:.1f} to "
        f"{-100 * best.ci_low:.1f}), at {cost:,.0f} staff-days per election round."
    )
    singles = cap[~cap.arm.str.contains(r"\+") & ~cap.arm.isin(["all", "as_deployed"])]
    if len(singles):
        s = singles.iloc[0]
        lines.append(
            f"The most effective single intervention is **{arm_name(s.arm)}** "
            f"({-100 * s['diff']:.1f} points, CI {-100 * s.ci_high:.1f} to {-100 * s.ci_low:.1f})."
        )
    unclear = cap[cap.crosses_zero].arm.tolist()
    if unclear:
        lines.append(
            "Not distinguishable from no intervention (95% CI crosses zero): "
            + ", ".join(arm_name(a) for a in unclear)
            + "."
        )
    return lines


def _csv(path: Path, table: pd.DataFrame) -> None:
    atomic_write_with(path, lambda p: table.to_csv(p, index=False))


def _save(fig: Figure, out: Path, stem: str, title: str, caption: str) -> tuple[str, str, str]:
    for ext in ("png", "svg"):
        atomic_write_with(
            out / f"{stem}.{ext}", lambda p, ext=ext: fig.savefig(p, dpi=130, format=ext, bbox_inches="tight")
        )
    plt.close(fig)
    return stem, title, caption


def _meta_lines(runs: pd.DataFrame, meta: dict[str, Any]) -> list[str]:
    versions = meta.get("versions", {})
    return [
        f"Scenario: {runs['scenario'].iloc[0]}; base seed {meta.get('base_seed', '?')}; "
        f"seeds shared across arms (common random numbers).",
        f"Started {meta.get('started', '?')}, ended {meta.get('ended', '?')}; commit {meta.get('git_commit', '?')}.",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()),
    ]


def _markdown(summary: list[str], figures: list[tuple[str, str, str]], runs: pd.DataFrame, meta: dict[str, Any]) -> str:
    parts = ["# Sweep report", "", *summary, ""]
    for stem, title, caption in figures:
        parts += [f"## {title}", "", f"![{title}]({stem}.png)", "", caption, ""]
    parts += ["## Metadata", "", *[f"- {line}" for line in _meta_lines(runs, meta)], ""]
    return "\n".join(parts)


def _html(
    summary: list[str], figures: list[tuple[str, str, str]], out: Path, runs: pd.DataFrame, meta: dict[str, Any]
) -> str:
    def md_bold(text: str) -> str:
        escaped = html.escape(text)
        while "**" in escaped:
            escaped = escaped.replace("**", "<b>", 1).replace("**", "</b>", 1)
        return escaped

    body = ["<h1>Sweep report</h1>", *[f"<p>{md_bold(s)}</p>" for s in summary]]
    for stem, title, caption in figures:
        data = base64.b64encode((out / f"{stem}.png").read_bytes()).decode("ascii")
        body += [
            f"<h2>{html.escape(title)}</h2>",
            f'<img alt="{html.escape(title)}" src="data:image/png;base64,{data}">',
            f"<p class='cap'>{html.escape(caption)}</p>",
        ]
    body += ["<h2>Metadata</h2><ul>", *[f"<li>{html.escape(x)}</li>" for x in _meta_lines(runs, meta)], "</ul>"]
    style = (
        "body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}"
        "img{max-width:100%;border:1px solid #ddd}.cap{color:#555;font-size:90%}"
    )
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Sweep report</title>"
        f"<style>{style}</style></head><body>{''.join(body)}</body></html>\n"
    )
