"""Captions of the sweep report's tables and figures: what each shows and how to read its intervals."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.report.style import NO_INTERVALS
from sim.stats.cea import MIN_BOOTSTRAP_PAIRS

if TYPE_CHECKING:
    pass


def cost_table_caption(pairs: int) -> str:
    """Caption of the cost-effectiveness table: ICERs with bootstrap intervals, or why they have none."""
    text = "ICER: extra staff-days per extra bought seat prevented against the previous efficient arm"
    if pairs < MIN_BOOTSTRAP_PAIRS:
        seeds = "one seed is" if pairs == 1 else f"{pairs} seeds are"
        return text + f", without an interval ({seeds} too few to resample; {MIN_BOOTSTRAP_PAIRS} needed)."
    return text + ", with its paired bootstrap 95% interval (inf: the extra effect may be nothing)."


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
    return (
        "Paired differences (display units) with 95% t CIs; p-values from the paired t test corrected for "
        "skewed differences (the larger of the two), then Holm-adjusted over the arms."
    )


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
        "(the t test corrected for skewed differences, Holm's adjustment over the arms, family-wise error 5%: "
        "an interval clear of zero may still be open); the arrow shows the better direction."
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
    return text + (
        "* = significant after Holm's adjustment (family-wise error rate 5%), the main effects and the "
        "interactions each their own family."
    )
