"""The report of a sweep: figures (PNG and SVG), the tables behind them (CSV), report.md and report.html."""

from __future__ import annotations

import base64
import html
import json
import logging
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.analysis.plots import (
    arm_colours,
    arm_means_plot,
    arm_name,
    cost_effectiveness,
    dose_response_plot,
    forest_plot,
    interaction_heatmap,
    sensitivity_plot,
    time_course,
    township_network,
)
from sim.analysis.stats import (
    OUTCOMES,
    AnalysisError,
    arm_means,
    baseline_arm,
    dose_key,
    dose_response,
    factorial_effects,
    factorial_factors,
    paired_effects,
    pareto_front,
    policy_wins,
    sensitivity_indices,
    sensitivity_parameters,
)
from sim.analysis.terms import n_terms, outlives_sentences, term_effects, terms_plot
from sim.atomic_io import atomic_write_text, atomic_write_with
from sim.config import ConfigError

log = logging.getLogger("sim")


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
    """Baseline first, then arms by their effect on bought seats (most effective first)."""
    arms = list(runs.arm.unique())
    base = [a for a in arms if (runs[runs.arm == a].interventions == "none").all()]
    if effects is not None and len(effects):
        cap = effects[effects.outcome == "bought_seat_rate_final"].sort_values("diff")
        return base + [a for a in cap.arm if a not in base]
    return base + sorted(a for a in arms if a not in base)


#: Fewest uncertainty samples for which sensitivity indices are computed.
MIN_SENSITIVITY_SAMPLES = 32

#: Most arms shown in the per-arm figures (a factorial has 64; the best are shown).
MAX_ARMS_SHOWN = 16


def write_report(sweep_dir: Path) -> Path:
    """Write ``SWEEP_DIR/report/`` and return the path of report.html."""
    sweep_dir = Path(sweep_dir)
    runs, ts, meta = load_sweep(sweep_dir)
    out = sweep_dir / "report"
    out.mkdir(exist_ok=True)
    for stale in [*out.glob("*.png"), *out.glob("*.svg"), *out.glob("*.csv")]:
        stale.unlink()  # figures of sections this sweep no longer has
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
    shown = order[:MAX_ARMS_SHOWN]
    means = arm_means(runs, outcomes)
    _csv(out / "arm_means.csv", means)
    figures: list[tuple[str, str, str]] = []  # (file stem, title, caption)
    extra_lines: list[str] = []
    cut = (
        f" The {len(shown)} most effective of {len(order)} arms are shown; the CSV has all."
        if len(order) > len(shown)
        else ""
    )

    figures.append(
        _save(
            arm_means_plot(means[means.arm.isin(shown)], colours, shown),
            out,
            "arm_means",
            "Outcomes by arm",
            "Mean of each outcome over replicates, with 95% confidence intervals." + cut,
        )
    )
    if effects is not None:
        _csv(out / "effects_vs_baseline.csv", effects)
        figures.append(
            _save(
                forest_plot(effects[effects.arm.isin(shown)], colours, [a for a in shown if a != base]),
                out,
                "effects_forest",
                "Effects against no intervention",
                "Differences from the no-intervention arm, computed seed by seed (common random "
                "numbers), with bootstrap 95% CIs; arms sorted by their effect on bought seats." + cut,
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
        efficient = ce[ce.efficient].sort_values("cost")
        extra_lines.append(
            "Pareto-efficient arms, cheapest first: "
            + "; ".join(
                f"{arm_name(r.arm)} ({r.cost:,.0f} staff-days, {r.reduction:.1f} points"
                + (
                    f", {r.cost_per_seat_protected:,.0f} staff-days per seat protected)"
                    if r.seats_protected > 0
                    else ")"
                )
                for r in efficient.itertuples()
            )
            + "."
        )
    congress = int(ts.loc[ts.days_to_congress == 0, "day"].iloc[0]) if (ts.days_to_congress == 0).any() else 0
    figures.append(
        _save(
            time_course(ts[ts.arm.isin(shown[:8])], colours, shown[:8], congress),
            out,
            "time_course",
            "Time course",
            "Daily means over replicates with 95% bands; the dashed line marks "
            "congress day." + (" The first 8 arms are shown." if len(shown) > 8 else ""),
        )
    )

    factors = factorial_factors(runs)
    if factors:
        fx = factorial_effects(runs, "bought_seat_rate_final", factors)
        _csv(out / "factorial_effects.csv", fx)
        figures.append(
            _save(
                interaction_heatmap(fx, factors, "seats held by vote buyers"),
                out,
                "interactions",
                "Interactions",
                "Effects estimated by least squares on the two-level design "
                "(effect = change from off to on, averaged over the other factors).",
            )
        )
        inter = fx[fx.term_b != ""].sort_values("effect")
        best, worst = inter.iloc[0], inter.iloc[-1]
        extra_lines.append(
            f"Strongest complements: {arm_name(best.term_a)} with {arm_name(best.term_b)} "
            f"({100 * best.effect:+.1f} points beyond their separate effects); strongest substitutes: "
            f"{arm_name(worst.term_a)} with {arm_name(worst.term_b)} ({100 * worst.effect:+.1f} points)."
        )

    key = dose_key(runs)
    if key:
        dr = dose_response(runs, [o for o in ("bought_seat_rate_final", "bribed_share", "cost_total") if o in runs])
        _csv(out / "dose_response.csv", dr)
        figures.append(
            _save(
                dose_response_plot(dr, key),
                out,
                "dose_response",
                "Dose-response",
                "Outcome against the intensity of the swept parameter; the dotted line marks the first "
                "level whose marginal gain is under half that of the first step.",
            )
        )
        dim = dr[(dr.outcome == "bought_seat_rate_final") & dr.diminishing]
        if len(dim):
            extra_lines.append(f"Returns on {key} diminish from {dim.intensity.iloc[0]:g} on.")

    posterior = meta.get("config", {}).get("sensitivity", {}).get("posterior")
    if "sample" in runs.columns and (runs["sample"] >= 0).any() and not posterior:
        params = sensitivity_parameters(
            runs,
            list(meta.get("config", {}).get("sensitivity", {}).get("parameters", {}))
            or [c[3:] for c in runs.columns if c.startswith("in.")],
        )
        if params and runs["sample"].nunique() >= MIN_SENSITIVITY_SAMPLES:
            idx = sensitivity_indices(runs, "bought_seat_rate_final", params)
            wins = policy_wins(runs)
            _csv(out / "sensitivity_indices.csv", idx)
            _csv(out / "policy_wins.csv", wins)
            figures.append(
                _save(
                    sensitivity_plot(idx, wins, colours),
                    out,
                    "sensitivity",
                    "Sensitivity",
                    "Left: how much of the variation in bought seats each uncertain parameter "
                    "explains, per arm. Right: how often each arm is the best across the samples.",
                )
            )
            top = wins.iloc[0]
            extra_lines.append(
                f"Across {int(top.samples)} samples of the uncertain parameters, "
                f"{arm_name(top.arm)} is best in {top.win_share:.0%} of them."
            )

    if base is not None and n_terms(runs) > 1:
        figures_terms, lines_terms = terms_section(runs, base, colours, out)
        figures.extend(figures_terms)
        extra_lines.extend(lines_terms)

    tables: list[tuple[str, pd.DataFrame, str]] = []
    if posterior and base is not None:  # draws from the calibration's posterior: sim/analysis/posterior.py
        from sim.analysis.posterior import posterior_section

        post_tables, post_lines = posterior_section(runs, baseline=base)
        tables.extend(post_tables)
        extra_lines = post_lines + extra_lines
        for title, table, _ in post_tables:
            _csv(out / f"posterior_{title.split()[0].lower()}.csv", table)
    if meta.get("experiment") == "calibration":
        tables, calib_figures, calib_lines = calibration_section(runs, out)
        figures.extend(calib_figures)
        extra_lines.extend(calib_lines)

    net = township_figure(sweep_dir, runs, base)
    if net is not None:
        figures.append(
            _save(
                net,
                out,
                "township",
                "One township up close",
                "Delegates (circles, by state), brokers (squares) and candidates (triangles) of the "
                "township with most bribes in one run of the baseline arm.",
            )
        )

    summary_lines = written_summary(runs, effects, base, meta, note) + extra_lines
    md = _markdown(summary_lines, figures, runs, meta, tables)
    atomic_write_text(out / "report.md", md)
    page = _html(summary_lines, figures, out, runs, meta, tables)
    atomic_write_text(out / "report.html", page)
    return out / "report.html"


def terms_section(
    runs: pd.DataFrame, base: str, colours: dict[str, str], out: Path
) -> tuple[list[tuple[str, str, str]], list[str]]:
    """The terms section of a sweep over several elections: figure, CSV and what outlives its term."""
    effects = term_effects(runs, base)
    _csv(out / "terms.csv", effects)
    names = {a: arm_name(a) for a in effects.arm.unique()}
    figure = _save(
        terms_plot(effects, colours, names),
        out,
        "terms",
        "Term by term",
        "Each arm's mean share of seats vote buying changed, and patronage rents (posts sold by seated "
        "vote buyers), in each election of the horizon.",
    )
    return [figure], outlives_sentences(effects, runs, names)


def calibration_section(
    runs: pd.DataFrame, out: Path
) -> tuple[list[tuple[str, pd.DataFrame, str]], list[tuple[str, str, str]], list[str]]:
    """The calibration table (against FACTS.md) and the pattern-oriented validation."""
    from sim.analysis.calibration import calibration_table
    from sim.analysis.patterns import run_patterns
    from sim.analysis.plots import spillover_plot, threshold_plot

    table = calibration_table(runs)
    _csv(
        out / "calibration.csv",
        table[["target", "observed", "simulated_mean", "ci_low", "ci_high", "tolerance", "within"]],
    )
    patterns, grid, spill = run_patterns(list(range(8)))
    _csv(out / "patterns.csv", patterns)
    _csv(out / "threshold_grid.csv", grid)
    _csv(out / "spillover.csv", spill)
    figures = [
        _save(
            threshold_plot(grid),
            out,
            "threshold",
            "Pattern: seats held by payers against broker density and sanction",
            "Seats held by candidates who paid, with no intervention (county scale, 8 seeds per point).",
        ),
        _save(
            spillover_plot(spill),
            out,
            "spillover",
            "Pattern: deterrence beyond the places inspected",
            "Change in the share of delegates bribed when two inspection teams work (city scale, same seeds), "
            "in townships they visited and in those they never visited.",
        ),
    ]
    met = int(table.within.sum())
    lines = [
        f"Calibration: {met} of {len(table)} targets within tolerance; "
        f"{int(patterns.holds.sum())} of {len(patterns)} validation patterns reproduced."
    ]
    tables = [
        (
            "Calibration against the source report",
            table,
            "Observed figure (FACTS.md) against the simulated mean over replicates with its 95% CI.",
        ),
        ("Pattern-oriented validation", patterns, "Qualitative patterns from the record; see docs/VALIDATION.md."),
    ]
    return tables, figures, lines


def township_figure(sweep_dir: Path, runs: pd.DataFrame, base: str | None) -> Figure | None:
    """Re-run one run of the sweep (exactly, from its stored configuration) and draw a township."""
    from sim.simulate import simulate

    arm = base or runs.arm.iloc[0]
    first = runs[runs.arm == arm].iloc[0]
    folders = sorted((sweep_dir / "runs").glob("*/*/inputs.json"))
    for path in folders:
        meta = json.loads(path.read_text())
        if meta["keys"]["arm"] == arm and meta["keys"]["seed"] == first.seed and meta.get("config"):
            try:
                model = simulate(meta["config"], keep_model=True).model
            except ConfigError as exc:  # a sweep made by another version of the code
                log.warning("township figure skipped: the stored run no longer fits this code (%s)", exc)
                return None
            assert model is not None
            bribed = np.bincount(model.world.township[model.del_ever_bought], minlength=model.world.n_townships)
            return township_network(model, int(bribed.argmax()))
    return None


def cost_table(runs: pd.DataFrame, effects: pd.DataFrame) -> pd.DataFrame:
    """Per arm: mean cost, bought-seat reduction (points) with CI, harms, Pareto flag, cost per seat protected.

    A seat protected is a bought seat prevented (``bought_seat_rate_final``), nothing else; the
    harms (honest candidates removed, merit lost through removals) stand beside it.
    """
    cap = effects[effects.outcome == "bought_seat_rate_final"].set_index("arm")
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
    table["honest_removed"] = runs.groupby("arm")["honest_removed"].mean().reindex(cap.index).to_numpy()
    table["merit_loss_removals"] = runs.groupby("arm")["merit_loss_removals"].mean().reindex(cap.index).to_numpy()
    table["cost_per_seat_protected"] = table.cost / seats_protected.where(seats_protected > 0)
    table["efficient"] = pareto_front(table.cost.to_numpy(), table.reduction.to_numpy())
    return table


def written_summary(
    runs: pd.DataFrame, effects: pd.DataFrame | None, base: str | None, meta: dict[str, Any], note: str
) -> list[str]:
    """A few sentences generated from the numbers."""
    per_arm = runs.groupby("arm").size()
    count = f"{per_arm.min()}" if per_arm.min() == per_arm.max() else f"{per_arm.min()} to {per_arm.max()}"
    reps = f"{count} replicates per arm"
    if "sample" in runs.columns and (runs["sample"] >= 0).any():
        samples = runs["sample"].nunique()
        reps = f"{samples} uncertainty samples x {runs['replicate'].nunique()} replicates = {count} runs per arm"
    arms = f"{len(per_arm)} arm" + ("" if len(per_arm) == 1 else "s")
    scenario = runs["scenario"].iloc[0]
    lines = [f"Sweep **{meta.get('experiment', '?')}** (scenario {scenario}): {arms}, {reps} ({len(runs)} runs)."]
    if meta.get("runs_planned") and meta.get("runs_planned") != len(runs):
        lines.append(f"Partial sweep: {len(runs)} of {meta['runs_planned']} planned runs are in.")
    if effects is None:
        if meta.get("experiment") != "calibration" and dose_key(runs) is None:  # neither needs a baseline
            lines.append(note)
        return lines
    b = runs[runs.arm == base]
    lines.append(
        f"Without intervention, vote buying changes the winner of {b.bought_seat_rate_final.mean():.1%} of seats "
        f"(after the post-election window; candidates who paid brokers hold {b.payer_seat_rate_final.mean():.1%}, "
        f"most of them on merit) and {b.bribed_share.mean():.1%} of delegates take a bribe."
    )
    cap = effects[effects.outcome == "bought_seat_rate_final"].sort_values("diff")
    best = cap.iloc[0]
    cost = runs[runs.arm == best.arm].cost_total.mean()
    lines.append(
        f"The largest reduction in bought seats comes from **{arm_name(best.arm)}**: "
        f"{-100 * best['diff']:.1f} percentage points (95% CI {-100 * best.ci_high:.1f} to "
        f"{-100 * best.ci_low:.1f}), at {cost:,.0f} staff-days per election round, removing "
        f"{runs[runs.arm == best.arm].honest_removed.mean():.1f} honest candidates a round "
        f"(merit lost through removals {runs[runs.arm == best.arm].merit_loss_removals.mean():.3f} per seat)."
    )
    singles = cap[~cap.arm.str.contains(r"\+") & ~cap.arm.isin(["all", "as_deployed", "all_first_term"])]
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


Table = tuple[str, pd.DataFrame, str]  # (title, table, caption)


def _md_table(table: pd.DataFrame) -> list[str]:
    def cell(v: Any) -> str:
        return f"{v:.4g}" if isinstance(v, float) else str(v)

    head = "| " + " | ".join(table.columns) + " |"
    rule = "|" + "---|" * len(table.columns)
    return [head, rule, *("| " + " | ".join(cell(v) for v in row) + " |" for row in table.itertuples(index=False))]


def _markdown(
    summary: list[str],
    figures: list[tuple[str, str, str]],
    runs: pd.DataFrame,
    meta: dict[str, Any],
    tables: list[Table] | None = None,
) -> str:
    parts = ["# Sweep report", "", *summary, ""]
    for title, table, caption in tables or []:
        parts += [f"## {title}", "", *_md_table(table), "", caption, ""]
    for stem, title, caption in figures:
        parts += [f"## {title}", "", f"![{title}]({stem}.png)", "", caption, ""]
    parts += ["## Metadata", "", *[f"- {line}" for line in _meta_lines(runs, meta)], ""]
    return "\n".join(parts)


def _html(
    summary: list[str],
    figures: list[tuple[str, str, str]],
    out: Path,
    runs: pd.DataFrame,
    meta: dict[str, Any],
    tables: list[Table] | None = None,
) -> str:
    def md_bold(text: str) -> str:
        escaped = html.escape(text)
        while "**" in escaped:
            escaped = escaped.replace("**", "<b>", 1).replace("**", "</b>", 1)
        return escaped

    body = ["<h1>Sweep report</h1>", *[f"<p>{md_bold(s)}</p>" for s in summary]]
    for title, table, caption in tables or []:
        body += [
            f"<h2>{html.escape(title)}</h2>",
            table.to_html(index=False, float_format=lambda v: f"{v:.4g}"),
            f"<p class='cap'>{html.escape(caption)}</p>",
        ]
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
