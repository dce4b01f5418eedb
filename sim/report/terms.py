"""The report's term-by-term section: effects per term and whether a crackdown outlives its terms."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from sim.report.html import Section, _csv, _save
from sim.report.style import arm_name
from sim.stats.terms import TERM_OUTCOMES, active_terms_of, n_terms, term_effects


def outlives_sentences(effects: pd.DataFrame, runs: pd.DataFrame, names: dict[str, str]) -> list[str]:
    """Sentences on whether the effect on bought seats of each arm that stopped acting lasts.

    The claim "outlives it" is made only when a later term's paired effect on
    ``bought_seat_rate_final`` is below zero with a Bonferroni-adjusted p-value under 0.05 (the
    later terms of every arm are one family, so noise makes any such claim at most 5% of the time);
    otherwise the report says it is not distinguishable. From one replicate nothing is tested, and the
    sentence says so instead.
    """
    lines = []
    seats = effects[effects.outcome == "bought_seat_rate_final"]
    stops = {arm: active_terms_of(runs, arm) for arm in seats.arm.unique()}
    tested = {arm: seats[(seats.arm == arm) & (seats.term > stop)] for arm, stop in stops.items() if stop}
    n_tests = sum(len(t) for t in tested.values())  # every arm's later terms form one family
    for arm, later in tested.items():
        stop = stops[arm]
        if later.empty:
            continue
        name = names.get(arm, arm)
        if later.pairs.max() < 2:
            lines.append(
                f"After {name} stopped (term {stop}), whether its effect on bought seats lasts is not tested: "
                "one replicate."
            )
            continue
        significant = later.p_value * n_tests < 0.05
        lasting = later[(later["diff"] < 0) & significant]
        rebound = later[(later["diff"] > 0) & significant]
        if len(rebound) and not len(lasting):
            r = rebound.iloc[0]
            lines.append(
                f"After {name} stopped (term {stop}), bought seats rise above no intervention: in term "
                f"{int(r.term)}, {100 * r['diff']:.1f} points more (95% CI {100 * r.ci_low:.1f} to "
                f"{100 * r.ci_high:.1f})."
            )
        elif len(lasting):
            r = lasting.iloc[0]
            lines.append(
                f"The effect of {name} outlives it: in term {int(r.term)}, after it stopped in term {stop}, "
                f"{-100 * r['diff']:.1f} points fewer seats are bought (95% CI {-100 * r.ci_high:.1f} to "
                f"{-100 * r.ci_low:.1f})."
            )
        else:
            lines.append(
                f"After {name} stopped (term {stop}), its effect on bought seats is not distinguishable from "
                f"no intervention in any later term."
            )
    return lines


def terms_plot(effects: pd.DataFrame, colours: dict[str, str], names: dict[str, str]) -> Figure:
    """Each arm's bought seats (percentage points) and patronage rents (thousand yuan) by term."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)
    scale = {"bought_seat_rate_final": 100.0, "patronage_rents": 1e-3}
    units = {
        "bought_seat_rate_final": "seats vote buying changed (% of seats)",
        "patronage_rents": "rents (thousand yuan)",
    }
    for ax, outcome in zip(axes, TERM_OUTCOMES, strict=True):
        sub = effects[effects.outcome == outcome]
        for arm, g in sub.groupby("arm", sort=False):
            ax.plot(g.term, g["mean"] * scale[outcome], marker="o", color=colours.get(arm), label=names.get(arm, arm))
        ax.set_xlabel("term")
        ax.set_xticks(sorted(sub.term.unique()))
        ax.set_ylabel(units[outcome] + "  (lower is better)")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=9, frameon=False)
    return fig


def terms_section(runs: pd.DataFrame, base: str | None, colours: dict[str, str], out: Path) -> Section | None:
    """Term by term over several elections: figure, CSV and whether an effect outlives its term."""
    if base is None or n_terms(runs) <= 1:
        return None
    effects = term_effects(runs, base)
    _csv(out / "terms.csv", effects)
    names = {a: arm_name(a) for a in effects.arm.unique()}
    sec = Section("terms", "Term by term")
    sec.lines += outlives_sentences(effects, runs, names)
    sec.figures.append(
        _save(
            terms_plot(effects, colours, names),
            out,
            "terms",
            "Each arm's mean share of seats vote buying changed, and patronage rents (posts sold by seated vote "
            "buyers), in each election of the horizon.",
            "terms.csv",
        )
    )
    return sec
