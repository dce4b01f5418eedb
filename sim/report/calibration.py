"""The report's calibration section: the table against every target and the pattern-oriented validation."""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from sim.stats.intervals import mean_ci

if TYPE_CHECKING:
    pass
from pathlib import Path

from sim.report.html import Section, _csv, _save
from sim.report.style import MAX_WIDTH_IN, PALETTE


def threshold_plot(grid: pd.DataFrame) -> Figure:
    """Captured seats against broker density (one line per sanction severity) and against sanction."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(MAX_WIDTH_IN, 5.6))
    sanctions = sorted(grid.sanction.unique())
    cmap = plt.get_cmap("viridis")
    for i, s in enumerate(sanctions):
        sub = grid[grid.sanction == s].sort_values("brokers_per_township")
        ax1.plot(
            sub.brokers_per_township,
            100 * sub.payer_seat_rate,
            marker="o",
            color=cmap(i / max(len(sanctions) - 1, 1)),
            label=f"sanction {s:g}",
        )
    ax1.set_xlabel("brokers per township (mean)")
    ax1.set_ylabel("seats held by candidates who paid (%)")
    ax1.legend(
        title="sanction severity (logit)", loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=4, frameon=False
    )
    for i, b in enumerate(sorted(grid.brokers_per_township.unique())[1:]):
        sub = grid[grid.brokers_per_township == b].sort_values("sanction")
        ax2.plot(
            sub.sanction, 100 * sub.payer_seat_rate, marker="o", color=PALETTE[(i + 1) % len(PALETTE)], label=f"{b:g}"
        )
    ax2.set_xlabel("sanction severity for delegates and candidates (logit)")
    ax2.set_ylabel("seats held by candidates who paid (%)")
    ax2.legend(title="brokers per township", loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=4, frameon=False)
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
    fig.suptitle("Seats held by payers saturate in broker density and fall with the sanction", fontsize=11)
    fig.tight_layout()
    return fig


def spillover_plot(table: pd.DataFrame) -> Figure:
    """Change in bribed share in visited and never-visited townships (mean and 95% CI over seeds)."""
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    for i, group in enumerate(("visited", "never visited")):
        m, lo, hi = mean_ci(table[table.townships == group]["diff"].to_numpy())
        ax.barh(i, 100 * m, color=PALETTE[5 if i == 0 else 2])
        ax.errorbar(100 * m, i, xerr=[[100 * (m - lo)], [100 * (hi - m)]], color="black", capsize=4)
    ax.set_yticks([0, 1], ["townships visited", "townships never visited"])
    ax.axvline(0, color="grey", lw=1)
    ax.set_xlabel("change in delegates bribed (percentage points)")
    ax.set_title("Inspection deters beyond the townships it visits")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def calibration_section(runs: pd.DataFrame, out: Path) -> Section:
    """The calibration table (against FACTS.md) and the pattern-oriented validation."""
    from sim.calibration.patterns import run_patterns
    from sim.calibration.target_table import calibration_table, volumes_table
    from sim.report.calibration import spillover_plot, threshold_plot

    table = calibration_table(runs)
    cols = ["target", "observed", "simulated_mean", "ci_low", "ci_high", "tolerance", "within"]
    _csv(out / "calibration.csv", table[[*cols, "kind"]])
    volumes = volumes_table(runs)
    _csv(out / "volumes.csv", volumes)
    patterns, grid, spill = run_patterns(list(range(8)))
    _csv(out / "patterns.csv", patterns)
    _csv(out / "threshold_grid.csv", grid)
    _csv(out / "spillover.csv", spill)
    sec = Section("calibration", "Calibration and validation")
    sec.lines.append(
        f"Calibration: {int(table.within.sum())} of {len(table)} targets within tolerance; "
        f"{int(patterns.holds.sum())} of {len(patterns)} validation patterns reproduced."
    )
    sec.tables += [
        (
            "Calibration against the source report",
            table,
            "calibration.csv",
            "Observed figure (FACTS.md and the public record) against the simulated mean over replicates with "
            "its 95% CI; predictive checks were never fitted.",
        ),
        (
            "Volumes per county-level unit, as deployed, beside Shanxi",
            volumes,
            "volumes.csv",
            "Tips and people sanctioned (by kind and channel) per county-level unit under the interventions, "
            "beside Shanxi's 221 tips and 7 people disciplined over its 117 county-level divisions; ratio: "
            "simulated over Shanxi (docs/MODEL.md explains the gap).",
        ),
        (
            "Pattern-oriented validation",
            patterns,
            "patterns.csv",
            "Qualitative patterns from the record; see docs/VALIDATION.md.",
        ),
    ]
    sec.figures += [
        _save(
            threshold_plot(grid),
            out,
            "threshold",
            "Pattern: seats held by candidates who paid brokers, no intervention, against broker density and "
            "sanction (county scale, "
            "8 seeds per point).",
            "threshold_grid.csv",
        ),
        _save(
            spillover_plot(spill),
            out,
            "spillover",
            "Pattern: change in the share of delegates bribed when two inspection teams work (city scale, same "
            "seeds), in townships they visited and in those they never visited.",
            "spillover.csv",
        ),
    ]
    return sec
