"""Net benefit: "best by net benefit" is said on a planted truth and almost never on noise."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.stats.net_benefit import best_by_net_benefit, flip_weight, net_benefit_effects, net_benefit_pairs
from sim.stats.outcomes import HEADLINE

SEATS = 300


def synthetic(effects: dict[str, tuple[float, float]], n_seeds: int, rng: np.random.Generator) -> pd.DataFrame:
    """Runs of arms with planted (seats prevented, extra honest removed), around a no-intervention arm.

    Seeds share a province effect (common random numbers); each run adds its own noise.
    """
    parts = []
    province = rng.normal(0.10, 0.02, n_seeds)
    honest = rng.poisson(1.0, n_seeds)
    for arm, (prevented, removed) in {"none": (0.0, 0.0), **effects}.items():
        rate = province - prevented / SEATS + rng.normal(0, 2.0 / SEATS, n_seeds)
        extra = rng.poisson(removed, n_seeds) if removed else np.zeros(n_seeds, dtype=int)
        parts.append(
            pd.DataFrame(
                {
                    "arm": arm,
                    "seed": np.arange(n_seeds),
                    "interventions": arm,
                    HEADLINE: rate,
                    "seats": SEATS,
                    "cost_total": 0.0 if arm == "none" else 100.0,
                    "honest_removed": honest + extra,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def test_net_benefit_is_seats_prevented_less_the_weighed_extra_harm():
    runs = synthetic({"a": (4.0, 2.0)}, 10, np.random.default_rng(0))
    wide = runs.pivot_table(index="seed", columns="arm", values=[HEADLINE, "honest_removed"])
    expected = (wide[HEADLINE]["none"] - wide[HEADLINE]["a"]) * SEATS - 0.5 * (
        wide["honest_removed"]["a"] - wide["honest_removed"]["none"]
    )
    nb = net_benefit_pairs(runs, HEADLINE, "none", 0.5)
    assert np.allclose(nb["a"].to_numpy(), expected.to_numpy()) and (nb["none"] == 0).all()
    with pytest.raises(ValueError, match="harm weight"):
        net_benefit_pairs(runs, HEADLINE, "none", -1.0)


def test_a_planted_best_by_net_benefit_is_recovered_and_the_flip_weight_found():
    # "strong" prevents 6 seats and removes 10 more honest candidates; "gentle" prevents 3 and
    # removes none.  Weighed at 0 strong is best; at 1, gentle (3 against -4); the means cross at
    # (6 - 3) / (10 - 0) = 0.3.
    runs = synthetic({"strong": (6.0, 10.0), "gentle": (3.0, 0.0), "idle": (0.0, 0.0)}, 30, np.random.default_rng(1))
    at_one = best_by_net_benefit(runs, HEADLINE, "none", 1.0)
    assert at_one is not None and at_one.arm == "gentle" and at_one.is_best
    at_zero = best_by_net_benefit(runs, HEADLINE, "none", 0.0)
    assert at_zero is not None and at_zero.arm == "strong" and at_zero.is_best
    flip = flip_weight(runs, HEADLINE, "none")
    assert flip.first == "strong" and flip.then == "gentle" and flip.weight == pytest.approx(0.3, abs=0.08)
    # A weight so high that every arm that removes anyone does more harm than good.
    effects = net_benefit_effects(runs, HEADLINE, "none", 50.0).set_index("arm")
    assert effects.loc["strong", "net_benefit"] < 0 and effects.loc["strong", "distinguishable"]


def test_no_arm_that_does_more_harm_than_good_is_best_and_no_flip_without_a_gentler_arm():
    runs = synthetic({"harsh": (2.0, 8.0)}, 20, np.random.default_rng(2))
    assert best_by_net_benefit(runs, HEADLINE, "none", 1.0) is None
    flip = flip_weight(runs, HEADLINE, "none")  # doing nothing removes nobody: it takes over at 2 / 8
    assert flip.first == "harsh" and flip.then == "none" and flip.weight == pytest.approx(0.25, abs=0.1)
    runs = synthetic({"clean": (3.0, 0.0)}, 20, np.random.default_rng(3))
    assert flip_weight(runs, HEADLINE, "none").weight is None


def test_best_by_net_benefit_is_claimed_on_noise_in_at_most_five_percent_of_sweeps():
    # Four arms that change nothing: any "best by net benefit" is a false claim.
    rng = np.random.default_rng(4)
    n_sweeps = 200
    claims = 0
    for _ in range(n_sweeps):
        runs = synthetic({a: (0.0, 0.0) for a in ("a", "b", "c", "d")}, 8, rng)
        best = best_by_net_benefit(runs, HEADLINE, "none", 1.0)
        claims += best is not None and best.is_best
    # 5% family-wise, with room for the binomial spread of 200 sweeps (sd ~1.5 points).
    assert claims / n_sweeps <= 0.05 + 2.5 * np.sqrt(0.05 * 0.95 / n_sweeps)


def test_two_arms_the_data_cannot_tell_apart_are_not_called_best():
    runs = synthetic({"a": (5.0, 0.0), "b": (5.0, 0.0)}, 12, np.random.default_rng(5))
    best = best_by_net_benefit(runs, HEADLINE, "none", 1.0)
    assert best is not None and not best.is_best
    assert set([best.arm, *best.indistinct, *best.tied]) == {"a", "b"}
