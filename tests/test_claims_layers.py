"""Claim probabilities across layers of draws, and the sensitivity of two arms' difference: planted truths and noise."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.stats.claims import claim_probabilities, draw_claims, flips
from sim.stats.switching import difference_sensitivity, pair_difference, switching_value

KEY = "bought_seat_rate_final"
ARMS = {"none": 0.0, "A": 0.03, "B": 0.01, "C": 0.0}  # planted effects (share of seats prevented)
COSTS = {"none": 0.0, "A": 300.0, "B": 100.0, "C": 50.0}


def synthetic(draws: int, effects: dict[str, object], seed: int, noise: float = 0.004, x: np.ndarray | None = None):
    """A sweep: ``draws`` draws x 2 seeds x arms; an arm's effect may depend on the draw's assumed value ``x``."""
    rng = np.random.default_rng(seed)
    x = rng.random(draws) if x is None else x
    rows = []
    for s in range(draws):
        for r in range(2):
            base = 0.08 + rng.normal(0, 0.01)  # the draw's province, common to every arm
            for arm, eff in effects.items():
                e = eff(x[s]) if callable(eff) else eff
                rows.append(
                    {
                        "sample": s,
                        "replicate": r,
                        "seed": 1000 * s + r,
                        "arm": arm,
                        KEY: base - e + rng.normal(0, noise),
                        "cost_total": COSTS[arm] * (1 + 0.05 * rng.normal()),
                        "seats": 300,
                        "honest_removed": 0.0,
                        "in.x": x[s],
                    }
                )
    return pd.DataFrame(rows)


def layered(draws: int = 40, seed: int = 1):
    """Layers a and b: A best by far; layer c: B's effect grows with the assumption x and passes A's above 0.25."""
    a = synthetic(draws, ARMS, seed)
    b = synthetic(draws, ARMS, seed + 1)
    c = synthetic(draws, {**ARMS, "B": lambda v: 0.12 * v}, seed + 2)
    b["sample"] += draws
    c["sample"] += 2 * draws
    runs = pd.concat([a, b, c], ignore_index=True)
    return runs, np.repeat(["a", "b", "c"], len(a))


def test_a_planted_best_arm_holds_under_seeds_and_parameters_and_flips_under_the_assumption():
    runs, layer = layered()
    p = claim_probabilities(runs, layer, KEY, "none", budgets=[150.0]).set_index(["claim", "arm"])
    best_a = p.loc[("best", "A")]
    assert best_a.p_a == 1.0 and best_a.p_b == 1.0 and best_a.verdict_b == "holds"
    assert 0.1 < best_a.p_c < 0.4 and best_a.verdict_c == "fails"  # x < 0.25 in about a quarter of draws
    flipped = flips(p.reset_index())
    assert ("best", "A", "c") in set(zip(flipped.claim, flipped.arm, flipped.flips_at, strict=True))
    # within 150 staff-days only B and C are affordable: B (effect 0.01 > 0) is the pick
    budget = p.loc["budget"]
    assert budget.loc["B"].p_a == 1.0 and budget.loc["A"].p_a == 0.0
    assert p.loc[("efficient", "A")].p_a == 1.0 and p.loc[("efficient", "C")].p_a < 0.5  # C prevents nothing


def test_net_benefit_best_is_claimed_only_above_zero():
    runs = synthetic(20, {"none": 0.0, "A": -0.04, "B": -0.03}, seed=3)  # both arms do harm
    credit = draw_claims(runs, KEY, "none")
    assert credit.loc["net_benefit"].to_numpy().sum() == 0.0
    assert credit.loc["best"].to_numpy().sum() == 20.0  # the best arm is still the least bad, every draw


def test_on_noise_no_arm_is_said_to_hold_as_best_in_more_than_five_percent_of_sweeps():
    false = 0
    for k in range(100):
        runs = synthetic(40, {"none": 0.0, "A": 0.01, "B": 0.01, "C": 0.01}, seed=100 + k)
        p = claim_probabilities(runs, np.repeat("a", len(runs)), KEY, "none")
        false += bool((p[p.claim == "best"].verdict_a == "holds").any())
    assert false <= 5


def test_the_sensitivity_finds_the_planted_assumption_and_its_switching_value():
    rng = np.random.default_rng(5)
    n = 64
    inputs = pd.DataFrame(rng.random((n, 4)), columns=["x", "y", "z", "w"])
    diff = pd.Series(0.05 * (0.3 - inputs.x) + rng.normal(0, 0.003, n))
    table = difference_sensitivity(inputs, diff, seed=1)
    assert table.parameter.iloc[0] == "x" and table.above_noise.iloc[0]
    assert not table.above_noise.iloc[1:].any()
    value = switching_value(inputs.x.to_numpy(), diff.to_numpy(), default=0.5)
    assert value is not None and abs(value - 0.3) < 0.06
    assert switching_value(inputs.y.to_numpy(), (diff + 1).to_numpy()) is None  # never crosses


def test_on_noise_the_sensitivity_claims_a_parameter_in_at_most_five_percent_of_sweeps():
    false = 0
    for k in range(40):
        rng = np.random.default_rng(1000 + k)
        inputs = pd.DataFrame(rng.random((32, 3)), columns=["x", "y", "z"])
        table = difference_sensitivity(inputs, pd.Series(rng.normal(0, 1, 32)), seed=k)
        false += bool(table.above_noise.any())
    assert false <= 2  # 5% of 40


def test_the_pair_difference_is_positive_while_the_first_arm_is_better():
    runs = synthetic(10, ARMS, seed=9)
    assert (pair_difference(runs, "A", "B", KEY) > 0).all()
    assert (pair_difference(runs, "B", "A", KEY) < 0).all()
