"""The report's section on what we assumed: claim probabilities by layer, the assumptions that move the lead.

A layered sweep (``sensitivity.layers=true``, :mod:`sim.sweeps.assumptions`) runs each draw with
(a) the defaults, (b) + the posterior's parameters, (c) + the assumed ranges.  This section gives,
for each claim of the first screen, the share of each layer's draws in which it is made
(:mod:`sim.stats.claims`), names the claims that flip, and for the two leading arms (and each
budget's pick against its runner-up) the assumptions their difference is most sensitive to and the
switching value at which the order flips (:mod:`sim.stats.switching`), with a figure.  Its one
sentence (:func:`assumptions_sentence`) goes on the first screen.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sim.config import assumed_ranges, iter_params
from sim.report.html import Section, _csv, _save
from sim.report.style import arm_name
from sim.stats.claims import claim_probabilities, flips
from sim.stats.outcomes import outcome
from sim.stats.switching import difference_sensitivity, pair_difference, smooth, switching_value
from sim.sweeps.assumptions import LAYERS, layer_of

#: Assumptions whose switching values the section gives for each pair.
TOP = 3

#: What each claim says, for the tables and sentences.
CLAIM_WORDS = {
    "best": "best arm",
    "efficient": "efficient (on the cost-effect frontier)",
    "budget": "best within the budget",
    "net_benefit": "best by net benefit",
}


def layered_draws(meta: dict[str, Any]) -> int | None:
    """The number of draws per layer of a layered sweep, or None for any other sweep."""
    sens = meta.get("config", {}).get("sensitivity", {}) or {}
    return int(sens["n_samples"]) if sens.get("layers") and int(sens.get("n_samples", 0)) > 0 else None


def posterior_layer(runs: pd.DataFrame, meta: dict[str, Any]) -> pd.DataFrame:
    """The runs of the posterior's draws: layer b of a layered sweep, else every run."""
    n = layered_draws(meta)
    return runs if n is None else runs[layer_of(runs["sample"].to_numpy(), n) == "b"]


def leading_pairs(runs_c: pd.DataFrame, key: str, base: str, budgets: list[float]) -> list[tuple[str, str, str]]:
    """The pairs whose difference the section explains: the two leading arms, each budget's pick and runner-up.

    Returns:
        ``(label, first, second)`` with ``first`` the better mean over the assumption layer's draws.
    """
    sign = 1.0 if outcome(key).better == "lower" else -1.0
    means = runs_c[runs_c.arm != base].groupby("arm")[key].mean() * sign
    costs = runs_c.groupby("arm")["cost_total"].mean()
    order = list(means.sort_values(kind="stable").index)
    pairs = [("the two leading arms", order[0], order[1])] if len(order) > 1 else []
    for b in budgets:
        fits = [a for a in order if costs[a] <= b + 1e-9]
        if len(fits) > 1 and (fits[0], fits[1]) not in {(p[1], p[2]) for p in pairs}:
            pairs.append((f"within {b:,.0f} staff-days", fits[0], fits[1]))
    return pairs


def pair_analysis(runs_c: pd.DataFrame, first: str, second: str, key: str, seed: int = 0) -> dict[str, Any]:
    """Sensitivity of ``first``'s lead over ``second`` to the assumptions, and the top three's switching values.

    The costs per unit (staff-days) are left out: they change what a run books, not its seats.
    """
    diff = pair_difference(runs_c, first, second, key)
    assumed = assumed_ranges()
    # A cost per unit changes what a run books, never its seats: left out, so it cannot raise the noise floor.
    costs = {k for k, _, m in iter_params() if m.get("unit") == "staff-days"}
    cols = [f"in.{k}" for k in assumed if f"in.{k}" in runs_c and k not in costs]
    inputs = runs_c.groupby("sample")[cols].first().rename(columns=lambda c: c[3:])
    table = difference_sensitivity(inputs, diff, seed=seed)
    table["default"] = [assumed[p]["default"] for p in table.parameter]
    switches = []
    for p, above in zip(table.parameter.head(TOP), table.above_noise.head(TOP), strict=True):
        x = inputs.loc[diff.index, p].to_numpy(dtype=float)
        value = switching_value(x, diff.to_numpy(dtype=float), assumed[p]["default"])
        switches.append(
            {"parameter": p, "default": assumed[p]["default"], "switching_value": value, "above_noise": bool(above)}
        )
    return {"difference": diff, "inputs": inputs, "indices": table, "switches": pd.DataFrame(switches)}


def switching_figure(analysis: dict[str, Any], first: str, second: str, key: str, out: Path, stem: str) -> str:
    """Per-draw lead of ``first`` over ``second`` against each of the top assumptions, with the switching value."""
    switches = analysis["switches"]
    n = max(len(switches), 1)
    fig, axes = plt.subplots(1, n, figsize=(3.6 * n, 3.2), sharey=True, squeeze=False)
    diff = analysis["difference"]
    scale = 100.0  # points of seats
    for ax, (_, row) in zip(axes[0], switches.iterrows(), strict=False):
        x = analysis["inputs"].loc[diff.index, row.parameter].to_numpy(dtype=float)
        ax.scatter(x, diff.to_numpy() * scale, s=14, color="0.45", alpha=0.7, label="one draw")
        xs, fit = smooth(x, diff.to_numpy(dtype=float))
        ax.plot(xs, fit * scale, color="#1f77b4", lw=2, label="LOWESS mean")
        ax.axhline(0, color="black", lw=0.8)
        ax.axvline(row.default, color="0.3", ls=":", lw=1.2, label="default")
        flips_here = row.switching_value is not None and np.isfinite(row.switching_value)
        if flips_here and row.above_noise:
            ax.axvline(row.switching_value, color="#d62728", ls="--", lw=1.5, label="order flips")
        s1 = analysis["indices"].set_index("parameter").S1[row.parameter]
        ax.set_title(f"S1 {s1:.2f}" + ("" if row.above_noise else " (not above noise)"), fontsize=10)
        ax.set_xlabel(row.parameter.split(".")[-1].replace("_", " "), fontsize=10)
        ax.tick_params(labelsize=9)
    axes[0][0].set_ylabel(f"lead of {arm_name(first)} (points)", fontsize=10)
    axes[0][0].legend(fontsize=9, loc="best")
    fig.tight_layout()
    caption = (
        f"How much better {arm_name(first)} does than {arm_name(second)} on {outcome(key).label.lower()} in each "
        "draw with the assumptions drawn (points; above zero: it leads), against the three assumptions the lead is "
        "most sensitive to (S1: RBD-FAST first-order index); the red dashed line is where the smoothed lead "
        "crosses zero (the order flips), drawn only for an assumption above the noise floor; dotted: the default."
    )
    return _save(fig, out, stem, caption, f"{stem}_draws.csv")


def assumptions_sentence(probabilities: pd.DataFrame, lead: dict[str, Any] | None, first: str | None) -> str:
    """The first screen's sentence: how often the best arm stays best as parameters and assumptions are added."""
    if first is None or probabilities.empty:
        return ""
    row = probabilities[(probabilities.claim == "best") & (probabilities.arm == first)]
    if row.empty:
        return ""
    r = row.iloc[0]
    words = {
        "a": "under seed noise alone",
        "b": "with the calibrated parameters drawn",
        "c": "with the assumptions too",
    }
    parts = [f"{r[f'p_{k}']:.0%} of draws {w}" for k, w in words.items() if f"p_{k}" in r]
    text = f"**{arm_name(first)}** (the best mean with the assumptions drawn) is best in " + ", ".join(parts)
    held, verdict = r.get("verdict_a", "unclear"), r.get("verdict_c", "unclear")
    if verdict == "holds":
        text += ": the lead survives what we assumed"
    elif verdict == "fails" and held == "holds":
        text += ": it is best in most draws under seed noise, but not once the assumed ranges are drawn"
    elif verdict == "fails":
        text += ": it is not the best arm in most draws"
    else:
        text += ": the draws do not settle whether it stays best across what we assumed"
    if lead is not None:
        top = lead["indices"]
        top = top[top.above_noise]
        if len(top):
            p = top.parameter.iloc[0]
            sw = lead["switches"].set_index("parameter")
            value = sw.switching_value.get(p) if p in sw.index else None
            text += f"; the lead rests most on `{p}`"
            if value is not None and np.isfinite(value):
                text += f" (the order flips at {value:.3g}; default {sw.default[p]:.3g})"
    return text + "."


def assumptions_section(
    runs: pd.DataFrame, meta: dict[str, Any], base: str | None, out: Path, key: str, harm_weight: float = 1.0
) -> Section | None:
    """The section of a layered sweep (None for any other sweep)."""
    n = layered_draws(meta)
    if n is None or base is None or runs.arm.nunique() < 2 or "cost_total" not in runs:
        return None
    layer = layer_of(runs["sample"].to_numpy(), n)
    budgets = sorted({round(float(c), 0) for a, c in runs.groupby("arm")["cost_total"].mean().items() if a != base})
    probs = claim_probabilities(runs, layer, key, base, harm_weight, budgets[:-1])
    shown = probs[probs[[c for c in probs if c.startswith("p_")]].max(axis=1) >= 0.05]
    sec = Section("assumptions", "What we assumed: claims across seeds, parameters and assumptions")
    _csv(out / "claims_by_layer.csv", probs)
    sec.tables.append(
        (
            "Probability of each claim",
            shown,
            "claims_by_layer.csv",
            "Share of draws in which each claim is made: (a) seed noise (defaults), (b) + calibrated parameters "
            "(posterior draws), (c) + assumptions (the assumed ranges of docs/PARAMETERS.md drawn by Latin "
            "hypercube); every arm sees the same draws and seeds. A claim holds (fails) when the Wilson 95% "
            "interval of its share lies above (below) one half. Rows under 5% in every layer are left out.",
        )
    )
    flipped = flips(probs)
    runs_c = runs[layer == "c"]
    lead, first = None, None
    for i, (label, a, b) in enumerate(leading_pairs(runs_c, key, base, budgets[:-1])):
        analysis = pair_analysis(runs_c, a, b, key)
        if analysis["indices"].empty:
            continue
        first, lead = (a, analysis) if i == 0 else (first, lead)
        stem = f"assumptions_{i}"
        table = analysis["indices"].merge(
            analysis["switches"][["parameter", "switching_value"]], on="parameter", how="left"
        )
        _csv(out / f"{stem}.csv", table)
        sec.tables.append(
            (
                f"Lead of {arm_name(a)} over {arm_name(b)} ({label})",
                table.head(8),
                f"{stem}.csv",
                "First-order index (RBD-FAST) of each assumption on the lead over the assumption layer's draws; "
                "floor: the largest index of any assumption after shuffling the lead (19 shuffles, a 5% "
                "family-wise test); switching value: where the smoothed lead crosses zero (top three only; a "
                "switching value is a finding only for an assumption above the floor). Costs per unit are left "
                "out: they change what a run books, not its seats.",
            )
        )
        if i == 0:
            draws = analysis["inputs"].loc[analysis["difference"].index, analysis["switches"].parameter.tolist()]
            _csv(out / f"{stem}_draws.csv", draws.assign(lead=analysis["difference"]).reset_index())
            sec.figures.append(switching_figure(analysis, a, b, key, out, stem))
    sec.lines.append(assumptions_sentence(probs, lead, first))
    if len(flipped):
        names = "; ".join(
            f"{arm_name(r.arm)} {CLAIM_WORDS[r.claim]}"
            + (f" {r.budget:,.0f}" if r.claim == "budget" else "")
            + f" (flips at {LAYERS[r.flips_at]})"
            for r in flipped.itertuples()
        )
        sec.lines.append(f"Conclusions that hold under seed noise and flip: {names}.")
    return sec
