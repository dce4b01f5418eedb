"""Cost-effectiveness on hand-made planes with known answers (dominance, extended dominance, ICERs, CEACs)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.stats.cea import DOMINATED, EFFICIENT, EXTENDED, acceptability, cost_effectiveness, frontier, icer_interval


def test_frontier_marks_dominated_and_extendedly_dominated_arms_and_gives_icers():
    # none (0, 0); A (10, 5): ICER 2; B (30, 6) then C (40, 15): B's ICER 20 > C-vs-A ICER 3 -> B extended;
    # D (50, 4): costlier and less effective than A -> dominated.
    arms = ["none", "A", "B", "C", "D"]
    t = frontier(arms, np.array([0, 10, 30, 40, 50]), np.array([0, 5, 6, 15, 4])).set_index("arm")
    assert t.status.to_dict() == {"none": EFFICIENT, "A": EFFICIENT, "B": EXTENDED, "C": EFFICIENT, "D": DOMINATED}
    assert t.loc["A", "icer"] == pytest.approx(2.0) and t.loc["A", "reference"] == "none"
    assert t.loc["C", "icer"] == pytest.approx(3.0) and t.loc["C", "reference"] == "A"
    assert np.isnan(t.loc["B", "icer"]) and np.isnan(t.loc["none", "icer"])


def test_a_costly_arm_with_no_effect_is_dominated_by_doing_nothing():
    # The case that used to be called efficient: 92 staff-days for no change at all.
    t = frontier(["none", "vetting", "teams"], np.array([0.0, 92.0, 300.0]), np.array([0.0, 0.0, 4.0]))
    assert t.set_index("arm").status.to_dict() == {"none": EFFICIENT, "vetting": DOMINATED, "teams": EFFICIENT}


def test_a_costly_arm_with_a_tiny_effect_is_extendedly_dominated():
    t = frontier(["none", "vetting", "teams"], np.array([0.0, 92.0, 300.0]), np.array([0.0, 0.05, 4.0]))
    assert t.set_index("arm").loc["vetting", "status"] == EXTENDED


def runs_for(arms: dict[str, tuple[float, float, float]], seeds: int, seed: int) -> pd.DataFrame:
    """arms: name -> (true reduction in seat share, cost, noise sd of the seat share)."""
    rng = np.random.default_rng(seed)
    base = rng.uniform(0.05, 0.15, seeds)
    rows = []
    for arm, (effect, cost, sd) in arms.items():
        y = np.clip(base - effect + rng.normal(0, sd, seeds), 0, 1)
        for s in range(seeds):
            rows.append({"arm": arm, "seed": s, "y": y[s], "seats": 100, "cost_total": cost})
    return pd.DataFrame(rows)


def test_noisy_costly_arm_without_effect_is_never_efficient_in_95_percent_of_trials():
    efficient = 0
    for t in range(40):
        runs = runs_for(
            {"none": (0, 0, 0), "vetting": (0, 90, 0.01), "teams": (0.04, 300, 0.01), "all": (0.06, 900, 0.01)},
            10,
            5000 + t,
        )
        table, _ = cost_effectiveness(runs, "y", "none", n_boot=200)
        efficient += table.set_index("arm").loc["vetting", "status"] == EFFICIENT
    assert efficient <= 2


def test_icer_interval_known_answer_and_unbounded_when_the_extra_effect_may_be_nothing():
    rng = np.random.default_rng(0)
    d_cost = np.full(4000, 100.0)
    d_effect = rng.normal(4.0, 0.2, 4000)
    lo, hi = icer_interval(d_cost, d_effect)
    assert lo == pytest.approx(100 / (4 + 1.96 * 0.2), rel=0.02)
    assert hi == pytest.approx(100 / (4 - 1.96 * 0.2), rel=0.02)
    lo, hi = icer_interval(d_cost, rng.normal(0.5, 1.0, 4000))
    assert np.isinf(hi) and lo > 0


def test_acceptability_curves_sum_to_one_and_switch_at_the_icer():
    # Deterministic: A costs 10 for 5 seats (ICER 2 against none): preferred above 2 per seat.
    e = np.tile([0.0, 5.0], (10, 1))
    c = np.tile([0.0, 10.0], (10, 1))
    curves = acceptability(e, c, ["none", "A"], np.array([0.0, 1.0, 2.0, 3.0]))
    p = curves.pivot(index="value", columns="arm", values="probability")
    assert p.sum(axis=1).to_numpy() == pytest.approx(1.0)
    assert p.loc[1.0, "none"] == 1 and p.loc[3.0, "A"] == 1 and p.loc[2.0, "A"] == 0.5  # a tie is shared


def test_cost_effectiveness_table_includes_no_intervention_and_counts_seats():
    runs = runs_for({"none": (0, 0, 0), "teams": (0.04, 300, 0.005)}, 12, 1)
    table, curves = cost_effectiveness(runs, "y", "none", n_boot=500)
    t = table.set_index("arm")
    assert t.loc["none", "status"] == EFFICIENT and t.loc["none", "cost"] == 0
    assert t.loc["teams", "effect"] == pytest.approx(4.0, abs=0.5)  # 4 points of 100 seats
    assert t.loc["teams", "icer_low"] < t.loc["teams", "icer"] < t.loc["teams", "icer_high"] < np.inf
    assert set(curves.arm) == {"none", "teams"}


KEY = "bought_seat_rate_final"


def test_one_replicate_gives_no_icer_interval_and_disjoint_seeds_are_refused():
    runs = runs_for({"none": (0, 0, 0), "teams": (0.04, 300, 0.01)}, 1, 3)
    table, _ = cost_effectiveness(runs.rename(columns={"y": KEY}), KEY, "none")
    teams = table.set_index("arm").loc["teams"]
    assert np.isnan(teams.icer_low) and np.isnan(teams.icer_high) and np.isnan(teams.effect_low)
    assert np.isfinite(teams.icer)  # the point estimate is still there
    many = runs_for({"none": (0, 0, 0), "teams": (0.04, 300, 0.01)}, 6, 3)
    table, _ = cost_effectiveness(many.rename(columns={"y": KEY}), KEY, "none")
    teams = table.set_index("arm").loc["teams"]
    assert teams.icer_low < teams.icer_high and table.pairs.iloc[0] == table.pairs_run.iloc[0] == 6
    disjoint = many.copy()
    disjoint.loc[disjoint.arm == "teams", "seed"] += 100  # no seed run under both arms
    with pytest.raises(ValueError, match="no seed was run under every arm"):
        cost_effectiveness(disjoint.rename(columns={"y": KEY}), KEY, "none")
    partly = many[~((many.arm == "teams") & (many.seed < 2))]  # two seeds lost for one arm
    table, _ = cost_effectiveness(partly.rename(columns={"y": KEY}), KEY, "none")
    assert table.pairs.iloc[0] == 4 and table.pairs_run.iloc[0] == 6


def test_fewer_than_five_pairs_give_no_icer_interval_and_no_acceptability_curves():
    # Four seeds have 35 distinct resamples: too few for a percentile interval or a curve to mean anything.
    from sim.stats.cea import MIN_BOOTSTRAP_PAIRS

    assert MIN_BOOTSTRAP_PAIRS == 5
    arms = {"none": (0, 0, 0), "teams": (0.04, 300, 0.01)}
    table, curves = cost_effectiveness(runs_for(arms, 4, 3).rename(columns={"y": KEY}), KEY, "none")
    teams = table.set_index("arm").loc["teams"]
    assert np.isnan(teams.icer_low) and np.isnan(teams.icer_high) and np.isfinite(teams.icer)
    assert curves.empty and list(curves.columns) == ["value", "arm", "probability"]
    table, curves = cost_effectiveness(runs_for(arms, 5, 3).rename(columns={"y": KEY}), KEY, "none")
    teams = table.set_index("arm").loc["teams"]
    assert teams.icer_low < teams.icer_high and not curves.empty


def test_the_paired_bootstrap_is_scipy_s_and_resamples_seeds_with_every_arm_along():
    from sim.stats.cea import bootstrap_means

    rng = np.random.default_rng(5)
    effect = pd.DataFrame(rng.integers(0, 4, (12, 3)).astype(float), columns=["none", "a", "b"])
    cost = pd.DataFrame(rng.normal(100, 10, (12, 3)), columns=["none", "a", "b"])
    boot_e, boot_c = bootstrap_means(effect, cost, n_boot=500, seed=7)
    # The rule it replaced: draw the seeds' indices once per resample and take every arm on them.
    idx = np.random.default_rng(7).integers(0, 12, size=(500, 12))
    assert boot_e == pytest.approx(effect.to_numpy()[idx].mean(axis=1))
    assert boot_c == pytest.approx(cost.to_numpy()[idx].mean(axis=1))
