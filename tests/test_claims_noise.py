"""The claims test-bed: every sentence the report and the optimisation report write, fed noise and planted truths.

Sentence kinds covered: the first screen's "distinguishable", "best", "efficient" and the cheaper arm
it recommends below the best; "complements / substitutes"; "returns diminish"; "outlives it" (terms);
the optimisation report's budget pick, "best for the budget" and "what optimisation adds", the
fresh-seed shift, the better rival across worlds and PRIM's "fails when". Interval coverage on
seat-like and skewed differences is measured in ``tests/test_stats.py``.

Each claim is made from null data (no arm does anything; continuous, lumpy seat counts or skewed
differences; 2 to 30 seeds; 2 to 12 arms) ``REPS`` times per cell, and the number of false claims
must stay within the one-sided binomial bound of a 5% rate (:func:`allowed`: the count a true 5%
exceeds with probability at most 1%). Where a truth is planted the claim must be made. The data
generators and claim detectors are plain functions, so the same trials measure the false-claim
rates at more repetitions (``python tests/test_claims_noise.py``).
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from sim.optimise.portfolios import budget_picks, reevaluation_table
from sim.optimise.robustness import robust_rival
from sim.optimise.sentences import budget_sentence, fixed_sentence, reevaluation_sentence, rival_sentence
from sim.report.first_screen import find_best, near_best_sentence
from sim.report.sentences import (
    best_sentence,
    diminishing_sentence,
    distinguishable_sentence,
    frontier_sentence,
    interaction_sentence,
)
from sim.stats.cea import cost_effectiveness
from sim.stats.dose import slope_table
from sim.stats.factorial import factorial_effects
from sim.stats.outcomes import HEADLINE, OPTIMISED
from sim.stats.paired import paired_effects

pytestmark = pytest.mark.slow

KEY = HEADLINE
SEATS = 36  # a county's congress (FACTS.md: townships elect a few dozen deputies)

#: Null datasets per cell: few, with a one-sided binomial bound (the whole module runs in well under a minute).
REPS = 30

#: Rate a claim may be made at on noise.
ALPHA = 0.05


def allowed(reps: int, rate: float = ALPHA, slack: float = 0.01) -> int:
    """Most false claims in ``reps`` trials consistent with a rate of ``rate`` (exceeded with probability <= slack)."""
    return int(sps.binom.ppf(1 - slack, reps, rate))


# ------------------------------------------------------------------------------------ null data
def seed_levels(rng: np.random.Generator, n: int) -> np.ndarray:
    """Each seed's bought-seat share under no intervention (common random numbers: shared by every arm)."""
    return rng.binomial(SEATS, rng.uniform(0.05, 0.2, n)) / SEATS


def arm_noise(rng: np.random.Generator, kind: str, n: int) -> np.ndarray:
    """What an arm with no effect adds to its seed's share: mean zero, of the given kind."""
    if kind == "continuous":
        return rng.normal(0, 0.01, n)
    if kind == "seats":  # a seat more or fewer, or none: lumpy, often all the same on few seeds
        return rng.choice([-1, 0, 1], p=[0.3, 0.4, 0.3], size=n) / SEATS
    if kind == "skewed":  # frequent small decreases, rare large increases: lognormal, skewness 1.75
        return (rng.lognormal(0, 0.5, n) - np.exp(0.125)) * 0.017
    raise ValueError(kind)


def null_sweep(
    kind: str,
    seeds: int,
    arms: int,
    seed: int,
    effects: dict[str, float] | None = None,
    costs: dict[str, float] | None = None,
) -> pd.DataFrame:
    """``arms`` arms besides no intervention, none with an effect unless ``effects`` plants one; costs 50, 100, ..."""
    rng = np.random.default_rng(seed)
    base = seed_levels(rng, seeds)
    rows = []
    names = [f"arm{i:02d}" for i in range(1, arms + 1)]
    for i, arm in enumerate(["none", *names]):
        y = base if arm == "none" else base + arm_noise(rng, kind, seeds) + (effects or {}).get(arm, 0.0)
        cost = (costs or {}).get(arm, 50.0 * i)
        rows += [
            {"arm": arm, "interventions": arm, "seed": s, KEY: v, "seats": SEATS, "cost_total": cost}
            for s, v in enumerate(y)
        ]
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------ claim detectors
def sweep_claims(runs: pd.DataFrame) -> dict[str, bool]:
    """Which claims of the sweep report's first screen and cost section the runs make, sentence by sentence."""
    effects = paired_effects(runs, [KEY])
    best = find_best(runs, effects)
    table, _ = cost_effectiveness(runs, KEY, "none", n_boot=200)
    frontier = frontier_sentence(table)
    front = table[(table.status == "efficient") & (table.reference != "")]
    shown = front.shown.astype(bool) if "shown" in front else pd.Series(True, index=front.index)
    return {
        "distinguishable": distinguishable_sentence(effects, KEY).startswith("Distinguishable"),
        "best": best is not None and "best arm of this sweep" in best_sentence(best, KEY, 0.0),
        "efficient": bool(shown.any()) and frontier.startswith("Efficient arms"),
    }


def recommendation(runs: pd.DataFrame) -> str | None:
    """The arm the first screen recommends below the best one, if any (None: no recommendation)."""
    effects = paired_effects(runs, [KEY])
    best = find_best(runs, effects)
    if best is None:
        return None
    costs = runs.groupby("arm")["cost_total"].mean()
    ce = cost_effectiveness(runs, KEY, "none", n_boot=200)
    text = near_best_sentence(runs, effects, "none", best.arm, best.arm, costs, ce)
    marker = "the next efficient arm below it is **"
    return text.split(marker)[1].split("**")[0].lower() if marker in text else None


# ------------------------------------------------------------------------------------ sweep report on noise
CELLS = [(2, 12), (3, 4), (10, 6), (30, 3)]


@pytest.mark.parametrize("kind", ["continuous", "seats", "skewed"])
@pytest.mark.parametrize(("seeds", "arms"), CELLS)
def test_first_screen_claims_on_noise_stay_at_5_percent(kind, seeds, arms):
    counts = {"distinguishable": 0, "best": 0, "efficient": 0}
    for rep in range(REPS):
        for claim, made in sweep_claims(null_sweep(kind, seeds, arms, seed=10_000 * seeds + 100 * arms + rep)).items():
            counts[claim] += made
    assert max(counts.values()) <= allowed(REPS), counts


def test_first_screen_claims_are_made_where_a_truth_is_planted():
    made = {"distinguishable": 0, "best": 0, "efficient": 0}
    for rep in range(REPS):
        runs = null_sweep("seats", 10, 3, seed=rep, effects={"arm01": -3 / SEATS, "arm03": -6 / SEATS})
        for claim, value in sweep_claims(runs).items():
            made[claim] += value
    assert min(made.values()) >= 0.8 * REPS, made


#: A cheap arm with no effect (5 staff-days) below a dear real one (900 staff-days, 5 seats): on
#: means the cheap one is often "the next efficient arm below" the best (its ICER over noise is low).
CHEAP_NULL = {"effects": {"arm02": -5 / SEATS}, "costs": {"arm01": 5.0, "arm02": 900.0}}


def test_no_null_arm_is_recommended_below_the_best():
    recommended = sum(
        recommendation(null_sweep("continuous", 10, 2, seed=500 + rep, **CHEAP_NULL)) == "arm01" for rep in range(REPS)
    )
    assert recommended <= allowed(REPS)


def test_a_real_cheaper_step_is_recommended_below_the_best():
    said = 0
    for rep in range(REPS):
        # arm01 (50 staff-days) prevents 4 seats, arm02 (100) 6: both efficient, and arm01 has 67% of the best's effect
        runs = null_sweep("continuous", 10, 2, seed=600 + rep, effects={"arm01": -4 / SEATS, "arm02": -6 / SEATS})
        said += recommendation(runs) == "arm01"
    assert said >= 0.8 * REPS


# ------------------------------------------------------------------------------------ interactions
def factorial(
    factors: int, seeds: int, seed: int, main: float = -0.1, planted: float = 0.0, noise: float = 0.01
) -> tuple[pd.DataFrame, list[str]]:
    """A 2^k factorial with strong main effects, no interaction but the first pair's ``planted`` one."""
    rng = np.random.default_rng(seed)
    names = list("abcd")[:factors]
    base = rng.uniform(0.2, 0.4, seeds)
    rows = []
    for mask in range(2**factors):
        x = np.array([2 * ((mask >> i) & 1) - 1 for i in range(factors)])
        label = "+".join(n for i, n in enumerate(names) if x[i] > 0) or "none"
        mean = base + main / 2 * x.sum() + planted / 2 * x[0] * x[1]
        rows += [{"interventions": label, "seed": s, KEY: v} for s, v in enumerate(mean + rng.normal(0, noise, seeds))]
    return pd.DataFrame(rows), names


def interaction_claims(fx: pd.DataFrame, planted: bool) -> bool:
    """True when the sentence claims an interaction that is not there (any, or one beside the planted a:b)."""
    text = interaction_sentence(fx, KEY)
    if not planted:
        return not text.startswith("No two-way interaction")
    named = fx[(fx.term_b != "") & fx.significant]
    return bool(((named.term_a != "a") | (named.term_b != "b")).any())


@pytest.mark.parametrize("factors", [3, 4])
@pytest.mark.parametrize("seeds", [3, 8])
def test_no_interaction_is_claimed_on_noise_beside_strong_main_effects(factors, seeds):
    false = 0
    for r in range(REPS):
        runs, names = factorial(factors, seeds, 7000 + r)
        false += interaction_claims(factorial_effects(runs, KEY, names), planted=False)
    assert false <= allowed(REPS)


@pytest.mark.parametrize("factors", [3, 4])
def test_one_real_interaction_is_found_and_carries_no_false_one(factors):
    found = false = 0
    for r in range(REPS):
        runs, names = factorial(factors, 8, 8000 + r, planted=0.04)
        fx = factorial_effects(runs, KEY, names)
        pair = fx[(fx.term_a == "a") & (fx.term_b == "b")]
        found += bool(pair.significant.iloc[0])
        false += interaction_claims(fx, True)
    assert found >= 0.8 * REPS and false <= allowed(REPS)


# ------------------------------------------------------------------------------------ dose-response
@pytest.mark.parametrize("kind", ["continuous", "seats", "skewed"])
def test_returns_are_not_said_to_diminish_on_noise(kind):
    xs = np.array([0, 1, 2, 4, 8, 16, 32], float)
    said = 0
    for r in range(REPS):
        rng = np.random.default_rng(9000 + r)
        y = seed_levels(rng, 12)[:, None] + np.column_stack([arm_noise(rng, kind, 12) for _ in xs])
        said += diminishing_sentence(slope_table(xs, y), KEY, "teams").startswith("Returns on teams diminish")
    assert said <= allowed(REPS)


# ------------------------------------------------------------------------------------ optimisation report
def fresh(kind: str, seeds: int, effects: dict[str, float], costs: dict[str, float], seed: int) -> pd.DataFrame:
    """Fresh-stage runs of portfolios on common seeds: each its effect plus noise of ``kind``."""
    rng = np.random.default_rng(seed)
    base = seed_levels(rng, seeds)
    rows = []
    for arm in ["none", *effects]:
        y = base if arm == "none" else base + effects[arm] + arm_noise(rng, kind, seeds)
        cost = costs.get(arm, 0.0)
        rows += [
            {"stage": "fresh", "arm": arm, "sample": -1, "seed": s, KEY: v, OPTIMISED: v, "honest_removed": 0.0}
            | {"cost_total": cost, "cost_team_inspection": cost}
            for s, v in enumerate(y)
        ]
    return pd.DataFrame(rows)


NAMES = {"none": "No intervention", "fixed": "Fixed arm"}


def budget_claims(runs: pd.DataFrame, null: set[str]) -> dict[str, bool]:
    """The optimisation's budget claims: a null arm picked, named best, or said to add to the fixed arm."""
    pick = budget_picks(runs, [10_000.0], ["fixed"] if "fixed" in set(runs.arm) else [])[0]
    text = budget_sentence(pick, NAMES)
    extra = fixed_sentence(pick, NAMES) or ""
    return {
        "pick": pick.arm in null,
        "best": ", best:" in text and pick.arm in null,
        "adds": "what optimisation adds" in extra,
    }


#: Known failure: the paired t test is not robust to skewed differences (measured on centred lognormal
#: differences, skewness 1.75: 7-9% two-sided per comparison at 3 to 10 seeds, one side), and the
#: pick's test against no intervention at 12 arms inherits it.
SKEWED_T = pytest.mark.xfail(strict=True, reason="paired t on skewed differences: false picks above 5%")


@pytest.mark.parametrize(
    ("kind", "seeds", "arms"),
    [
        *[(kind, seeds, arms) for kind in ("continuous", "seats") for seeds, arms in [(3, 4), (10, 12), (20, 3)]],
        ("skewed", 3, 4),
        pytest.param("skewed", 10, 12, marks=SKEWED_T),
        ("skewed", 20, 3),
    ],
)
def test_budget_claims_on_noise_stay_at_5_percent(kind, seeds, arms):
    names = [f"p{i}" for i in range(arms)]
    counts = {"pick": 0, "best": 0, "adds": 0}
    for r in range(REPS):
        costs = {a: 40.0 * (i + 1) for i, a in enumerate(names)} | {"fixed": 20.0}
        runs = fresh(kind, seeds, dict.fromkeys([*names, "fixed"], 0.0), costs, seed=20_000 + 100 * seeds + r)
        for claim, made in budget_claims(runs, set(names) | {"fixed"}).items():
            counts[claim] += made
    assert max(counts.values()) <= allowed(REPS), counts


def test_a_lever_that_costs_and_does_nothing_is_not_the_pick():
    # A real portfolio and a dearer copy of it that adds a lever doing nothing: the lowest mean was
    # the dearer one in 40% of trials; the pick is the cheapest arm not distinguishably worse.
    dear = 0
    for r in range(REPS):
        runs = fresh("seats", 20, {"real": -4 / SEATS, "real+null": -4 / SEATS}, {"real": 100.0, "real+null": 300.0}, r)
        pick = budget_picks(runs, [1000.0], [])[0]
        dear += pick.arm == "real+null"
        assert pick.arm in ("real", "real+null")
    assert dear <= allowed(REPS)


def test_a_real_portfolio_is_picked_and_named_best_over_a_weaker_cheaper_one():
    named = 0
    for r in range(REPS):
        runs = fresh("seats", 20, {"weak": -1 / SEATS, "strong": -5 / SEATS}, {"weak": 100.0, "strong": 300.0}, r)
        pick = budget_picks(runs, [1000.0], [])[0]
        named += pick.arm == "strong" and ", best:" in budget_sentence(pick, NAMES)
    assert named >= 0.8 * REPS


@pytest.mark.parametrize("kind", ["continuous", "seats", "skewed"])
def test_no_shift_and_no_better_rival_is_claimed_on_noise(kind):
    shifts = rivals = 0
    for r in range(REPS):
        effects = {f"p{i}": -0.01 * i for i in range(1, 4)}
        costs = {a: 100.0 * i for i, a in enumerate(effects, 1)}
        search = fresh(kind, 8, effects, costs, seed=30_000 + r).assign(stage="search")
        table = reevaluation_table(pd.concat([search, fresh(kind, 20, effects, costs, seed=31_000 + r)]), list(effects))
        shifts += "distinguishable from zero for" in (reevaluation_sentence(table, 20) or "")
        worlds = fresh(kind, 30, {"a": 0.0, "b": 0.0}, {}, seed=32_000 + r)
        worlds = worlds.drop(columns="sample").rename(columns={"seed": "sample"})  # 30 worlds, one seed each
        rival = robust_rival(worlds.assign(seed=0), "a", ["none", "a", "b"])
        rivals += "does not hold up" in rival_sentence(rival, "a", 1000.0, {"a": "A", "b": "B"})
    assert shifts <= allowed(REPS) and rivals <= allowed(REPS)


# ------------------------------------------------------------------------------------ terms and scenario discovery
def term_runs(kind: str, seeds: int, seed: int, later: float = 0.0) -> pd.DataFrame:
    """Three terms: a crackdown acts in term 1 (-5 seats), then ``later`` in terms 2 and 3; no intervention beside."""
    rng = np.random.default_rng(seed)
    rows = []
    levels = {t: seed_levels(rng, seeds) for t in (1, 2, 3)}
    for arm in ("none", "crackdown"):
        cols = {}
        for t in (1, 2, 3):
            effect = 0.0 if arm == "none" else (-5 / SEATS if t == 1 else later)
            noise = 0.0 if arm == "none" else arm_noise(rng, kind, seeds)
            cols[f"term{t}_bought_seat_rate_final"] = levels[t] + effect + noise  # the term section's outcome
            cols[f"term{t}_patronage_rents"] = np.zeros(seeds)
        for s in range(seeds):
            row = {"arm": arm, "seed": s, "in.interventions.x.enabled": arm != "none"}
            row["in.interventions.x.active_terms"] = 1
            rows.append(row | {c: v[s] for c, v in cols.items()})
    return pd.DataFrame(rows)


def outlives(runs: pd.DataFrame) -> bool:
    """True when the term section says the crackdown's effect outlives it."""
    from sim.report.terms import outlives_sentences
    from sim.stats.terms import term_effects

    return any("outlives it" in line for line in outlives_sentences(term_effects(runs, "none"), runs, {}))


@pytest.mark.parametrize("kind", ["continuous", "seats", "skewed"])
def test_a_crackdown_is_not_said_to_outlive_its_term_on_noise_and_is_where_it_does(kind):
    false = sum(outlives(term_runs(kind, 10, 40_000 + r)) for r in range(REPS))
    found = sum(outlives(term_runs(kind, 10, 41_000 + r, later=-4 / SEATS)) for r in range(REPS))
    assert false <= allowed(REPS) and found >= 0.8 * REPS


def test_prim_claims_no_box_on_noise_and_finds_a_planted_one():
    from sim.optimise.robustness import prim_boxes

    false = 0
    for r in range(20):
        rng = np.random.default_rng(42_000 + r)
        x = pd.DataFrame(rng.uniform(0, 1, (60, 5)), columns=list("abcde"))
        false += any(b.significant for b in prim_boxes(x, rng.uniform(size=60) < 0.3))
    assert false <= allowed(20)
    rng = np.random.default_rng(43_000)
    x = pd.DataFrame(rng.uniform(0, 1, (120, 5)), columns=list("abcde"))
    boxes = prim_boxes(x, ((x.a > 0.6) & (x.c < 0.4)).to_numpy() ^ (rng.uniform(size=120) < 0.03))
    assert boxes and boxes[0].significant and {"a", "c"} <= set(boxes[0].limits)


# ------------------------------------------------------------------------------------ measuring the rates
def measure(reps: int = 100) -> pd.DataFrame:
    """False-claim rates on noise (and the null-arm recommendations and picks) at ``reps`` trials per cell."""
    rows = []

    def add(claim: str, data: str, cell: str, k: float) -> None:
        rows.append({"claim": claim, "data": data, "cell": cell, "rate": k / reps})

    for kind in ("continuous", "seats", "skewed"):
        for seeds, arms in CELLS:
            counts = {"distinguishable": 0, "best": 0, "efficient": 0}
            for rep in range(reps):
                for claim, made in sweep_claims(null_sweep(kind, seeds, arms, seed=50_000 + rep)).items():
                    counts[claim] += made
            for claim, k in counts.items():
                add(claim, kind, f"{seeds} seeds x {arms} arms", k)
    k = sum(
        recommendation(null_sweep("continuous", 10, 2, seed=60_000 + r, **CHEAP_NULL)) == "arm01" for r in range(reps)
    )
    add("null arm recommended below the best", "continuous", "10 seeds x 2 arms", k)
    for factors in (3, 4):
        k = sum(
            interaction_claims(factorial_effects(*_factorial_args(factors, 8, 70_000 + r)), planted=False)
            for r in range(reps)
        )
        add("interaction (strong main effects)", "continuous", f"{factors} factors, 8 seeds", k)
        k = sum(
            interaction_claims(factorial_effects(*_factorial_args(factors, 8, 80_000 + r, 0.04)), planted=True)
            for r in range(reps)
        )
        add("second interaction beside a real one", "continuous", f"{factors} factors, 8 seeds", k)
    k = 0
    for r in range(reps):
        runs = fresh("seats", 20, {"real": -4 / SEATS, "real+null": -4 / SEATS}, {"real": 100.0, "real+null": 300.0}, r)
        k += budget_picks(runs, [1000.0], [])[0].arm == "real+null"
    add("budget pick: a lever that does nothing", "seats", "20 seeds", k)
    return pd.DataFrame(rows)


def _factorial_args(factors: int, seeds: int, seed: int, planted: float = 0.0) -> tuple[pd.DataFrame, str, list[str]]:
    runs, names = factorial(factors, seeds, seed, planted=planted)
    return runs, KEY, names


if __name__ == "__main__":
    table = measure(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
    print(table.to_string(index=False))
