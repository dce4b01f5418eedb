"""Every sentence the report writes, with a case where its claim must not be made."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.report.sentences import (
    best_arm,
    best_sentence,
    coverage_sentence,
    diminishing_sentence,
    distinguishable_sentence,
    frontier_sentence,
    interaction_sentence,
    near_best_arm,
    wins_sentence,
)
from sim.stats.cea import cost_effectiveness
from sim.stats.dose import slope_table
from sim.stats.factorial import factorial_effects
from sim.stats.outcomes import OPTIMISED
from sim.stats.paired import paired_effects
from sim.stats.sensitivity import policy_wins

KEY = OPTIMISED  # the optimiser's outcome; the report's sentences take any key


def sweep(effects: dict[str, float], n: int = 10, seed: int = 0, sd: float = 0.01, costs=None) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    base = rng.uniform(0.05, 0.15, n)
    rows = []
    for arm, eff in {"none": 0.0, **effects}.items():
        y = base + eff + (0 if arm == "none" else rng.normal(0, sd, n))
        cost = 0 if arm == "none" else (costs or {}).get(arm, 100)
        rows += [
            {"arm": arm, "interventions": arm, "seed": s, KEY: v, "seats": 100, "cost_total": cost}
            for s, v in enumerate(y)
        ]
    return pd.DataFrame(rows)


def test_distinguishable_sentence_names_no_arm_on_pure_noise():
    eff = paired_effects(sweep({"a": 0, "b": 0, "c": 0}, seed=1), [KEY])
    assert distinguishable_sentence(eff, KEY).startswith("No arm is distinguishable")
    eff = paired_effects(sweep({"a": -0.05, "b": 0}, seed=1), [KEY])
    text = distinguishable_sentence(eff, KEY)
    assert text.startswith("Distinguishable from no intervention") and "not distinguishable: B" in text


def best_of(runs: pd.DataFrame):
    eff = paired_effects(runs, [KEY])
    top = eff.sort_values("diff").arm.iloc[0]
    return best_arm(eff, paired_effects(runs[runs.arm != "none"], [KEY], baseline=top), KEY), eff


def test_no_best_arm_is_named_on_pure_noise():
    best, _ = best_of(sweep({"a": 0, "b": 0}, seed=2))
    assert best is None and "none is named best" in best_sentence(best, KEY, 0)


def test_two_equally_good_arms_are_not_called_best():
    best, _ = best_of(sweep({"a": -0.05, "b": -0.05}, seed=3))
    text = best_sentence(best, KEY, 100)
    assert "not clearly the best" in text and "the best arm" not in text


def test_a_clearly_better_arm_is_called_best():
    best, _ = best_of(sweep({"a": -0.08, "b": -0.02}, seed=4))
    assert best.arm == "a" and "the best arm of this sweep" in best_sentence(best, KEY, 100)


def test_exact_ties_are_named_together():
    runs = sweep({"a": -0.05}, seed=5)
    twin = runs[runs.arm == "a"].assign(arm="b", interventions="b")
    best, _ = best_of(pd.concat([runs, twin]))
    assert "tie for the largest effect" in best_sentence(best, KEY, 100)


def test_cheapest_near_best_arm_is_cheap_and_close_but_not_a_no_effect_arm():
    runs = sweep(
        {"all": -0.08, "teams": -0.07, "cheap_null": 0.0}, seed=6, costs={"all": 900, "teams": 300, "cheap_null": 5}
    )
    best, eff = best_of(runs)
    costs = runs.groupby("arm").cost_total.mean()
    assert near_best_arm(eff, costs, best, KEY) == "teams"
    assert near_best_arm(eff, costs, None, KEY) is None


def test_frontier_sentence_calls_a_costly_no_effect_arm_dominated_not_efficient():
    runs = sweep({"vetting": 0.0, "teams": -0.05}, sd=0.0, costs={"vetting": 92, "teams": 300})
    table, _ = cost_effectiveness(runs, KEY, "none", n_boot=200)
    text = frontier_sentence(table)
    efficient_part = text.split("Dominated")[0]
    assert "Candidate" not in efficient_part and "Vetting" not in efficient_part
    assert "Dominated (another arm is cheaper and at least as effective): Vetting" in text


def test_diminishing_sentence_says_no_on_noise_and_names_the_bend_on_a_saturating_curve():
    xs = np.array([0, 1, 2, 4, 8, 16, 32], float)
    rng = np.random.default_rng(8)
    noise = rng.normal(0.5, 0.1, (20, 1)) + rng.normal(0, 0.03, (20, 7))
    assert diminishing_sentence(slope_table(xs, noise), KEY, "teams").startswith("The data do not show")
    bend = noise - 0.2 * (1 - np.exp(-xs / 4))
    assert diminishing_sentence(slope_table(xs, bend), KEY, "teams").startswith("Returns on teams diminish beyond")


def test_interaction_sentence_names_nothing_on_noise():
    rng = np.random.default_rng(9)
    rows = []
    for mask in range(4):
        label = "+".join(n for i, n in enumerate("ab") if mask >> i & 1) or "none"
        rows += [{"interventions": label, "seed": s, KEY: rng.normal(0.3, 0.02)} for s in range(6)]
    fx = factorial_effects(pd.DataFrame(rows), KEY, ["a", "b"])
    assert interaction_sentence(fx, KEY).startswith("No two-way interaction")


def test_wins_sentence_shares_ties():
    rows = [{"sample": s, "arm": a, KEY: 0.1} for s in range(3) for a in ("b", "a")]
    assert "B and A are each best in 50%" in wins_sentence(policy_wins(pd.DataFrame(rows), KEY)) or (
        "A and B are each best in 50%" in wins_sentence(policy_wins(pd.DataFrame(rows), KEY))
    )


def test_coverage_sentence_says_seeds_only_unless_parameters_were_sampled():
    runs = sweep({"a": 0})
    text = coverage_sentence(runs, {"Sensitivity": "#sensitivity"})
    assert "only the seed-to-seed randomness" in text and "[Sensitivity](#sensitivity)" in text
    assert "uncertain parameters sampled" in coverage_sentence(runs.assign(sample=runs.seed % 2), {})
    assert "uncertain parameters sampled" not in coverage_sentence(runs.assign(sample=1), {})  # one sample
    assert "skewed" not in text
    assert "Teams are skewed" in coverage_sentence(runs, {}, ["teams"]) and "near-normal" in text + coverage_sentence(
        runs, {}, ["teams"]
    )


def test_paired_effects_mark_skewed_differences_and_not_normal_ones():
    rng = np.random.default_rng(3)
    runs = sweep({"a": 0.0}, n=30)
    normal = paired_effects(runs, [KEY]).set_index("arm")
    skew = runs.copy()
    skew.loc[skew.arm == "a", KEY] += rng.lognormal(0, 1, 30) * 0.01  # rare large increases
    assert not normal.loc["a", "skewed"] and paired_effects(skew, [KEY]).set_index("arm").loc["a", "skewed"]


def test_a_harmful_arm_is_never_named_best_and_a_noisy_one_does_not_hide_a_clear_one():
    import pandas as pd

    from sim.report.sentences import best_arm
    from sim.stats.paired import paired_effects

    rng = np.random.default_rng(0)
    key = "bought_seat_rate_final"
    rows = []
    for s in range(8):
        base = 0.3 + rng.normal(0, 0.01)
        for arm, shift, noise in (
            ("none", 0.0, 0.0),
            ("harm", 0.1, 0.005),
            ("noisy", -0.2, 0.4),
            ("clear", -0.05, 0.005),
        ):
            rows.append({"arm": arm, "interventions": arm, "seed": s, key: base + shift + rng.normal(0, noise)})
    runs = pd.DataFrame(rows)
    effects = paired_effects(runs, [key])
    best = best_arm(effects, None, key)
    assert best is not None and best.arm == "clear"
    harmful_only = runs[runs.arm.isin(["none", "harm"])]
    assert best_arm(paired_effects(harmful_only, [key]), None, key) is None


def test_a_missing_interval_says_why_one_replicate_or_too_few_identical_values():
    from sim.report.sentences import NO_INTERVAL, fmt_interval, fmt_range

    nan = float("nan")
    assert fmt_interval(KEY, nan, nan, 1) == NO_INTERVAL == fmt_range(nan, nan)
    few = fmt_interval(KEY, nan, nan, 3)
    assert "one replicate" not in few and "same value on all 3 seeds" in few
    assert fmt_interval(KEY, -0.02, -0.02, 10) == "95% CI -2.0 to -2.0"  # from six identical values on, bounded


def test_frontier_from_one_seed_is_a_point_estimate_not_a_finding():
    costs = {"vetting": 92, "teams": 300}
    one, _ = cost_effectiveness(sweep({"vetting": 0.0, "teams": -0.05}, n=1, costs=costs), KEY, "none")
    text = frontier_sentence(one)
    assert "one seed" in text.lower() and "not a finding" in text and not text.startswith("Efficient arms")
    ten, _ = cost_effectiveness(sweep({"vetting": 0.0, "teams": -0.05}, n=10, costs=costs), KEY, "none", n_boot=200)
    text = frontier_sentence(ten)
    assert text.startswith("Efficient arms, cheapest first") and "not a finding" not in text


def test_acceptability_curves_are_drawn_only_from_five_pairs_and_a_missing_icer_interval_says_why():
    from sim.report.sentences import NO_INTERVAL, acceptability_sentence, fmt_icer_interval

    assert "too few" in acceptability_sentence(3) and "3 seeds" in acceptability_sentence(3)
    assert "one seed" in acceptability_sentence(1)
    assert acceptability_sentence(5) is None and acceptability_sentence(30) is None
    nan = float("nan")
    assert fmt_icer_interval(nan, nan, pairs=1) == NO_INTERVAL
    assert "3 seeds are too few" in fmt_icer_interval(nan, nan, pairs=3)
    assert fmt_icer_interval(10.0, 20.0, pairs=3) == "95% CI 10 to 20"


def test_diminishing_sentence_from_one_replicate_says_not_tested():
    xs = np.array([0, 1, 2, 4, 8], float)
    one = diminishing_sentence(slope_table(xs, np.array([[0.5, 0.4, 0.35, 0.33, 0.32]])), KEY, "teams")
    assert "not tested" in one and "one replicate" in one and "do not show" not in one
    rng = np.random.default_rng(1)
    many = diminishing_sentence(slope_table(xs, rng.normal(0.5, 0.03, (12, 5))), KEY, "teams")
    assert many.startswith("The data do not show") and "paired over 12 seeds" in many


def test_captions_say_no_intervals_from_one_replicate_and_count_seeds_in_words():
    from sim.report.captions import (
        cost_table_caption,
        dose_caption,
        effects_table_caption,
        forest_caption,
        means_caption,
        time_caption,
    )

    assert "95%" not in cost_table_caption(1) and "one seed is too few" in cost_table_caption(1)
    assert "95%" not in cost_table_caption(4) and "95% interval" in cost_table_caption(5)
    for caption in (means_caption, forest_caption, dose_caption, effects_table_caption):
        one, many = caption(1), caption(10)
        assert "no intervals: one replicate" in one and "95%" not in one
        assert "95%" in many and "one replicate" not in many
    one, many = time_caption("Tips filed per day", 1, smooth=True), time_caption("Tips filed per day", 10, smooth=True)
    assert "no band: one replicate" in one and "95%" not in one and "95% band" in many


def test_interaction_sentence_from_one_replicate_per_cell_claims_nothing():
    from tests.test_stats import factorial_runs

    one, names = factorial_runs({"a": -0.2, "ab": 0.08}, seeds=1, seed=5)
    text = interaction_sentence(factorial_effects(one.rename(columns={"y": KEY}), KEY, names), KEY)
    assert "not tested" in text and "one replicate" in text and "distinguishable from zero (" not in text
    many, names = factorial_runs({"a": -0.2, "ab": 0.08}, seeds=10, seed=5)
    text = interaction_sentence(factorial_effects(many.rename(columns={"y": KEY}), KEY, names), KEY)
    assert text.startswith("Interactions distinguishable from zero (1 of 3;") and "substitutes A with B" in text
    from sim.report.captions import factorial_caption

    assert "not tested" in factorial_caption(1) and "* = significant" not in factorial_caption(1)
    assert "* = significant" in factorial_caption(2) and "not tested" not in factorial_caption(2)


# ------------------------------------------------------------------------------------ optimised portfolios
def portfolio_runs(effects: dict[str, float], costs: dict[str, float], n: int = 20, sd: float = 0.01, seed: int = 0):
    from tests.test_portfolios import fresh_runs

    return fresh_runs(effects, costs, n=n, sd=sd, seed=seed)


def test_budget_sentences_say_what_was_not_compared_and_never_print_nan():
    from sim.optimise.portfolios import budget_picks
    from sim.optimise.sentences import budget_sentence, fixed_sentence

    names = {"none": "No intervention", "cheap": "Pledges 50%", "fixed": "Pledges and talks (fixed arm)"}
    # Nothing but no intervention fits: say so, and what the cheapest arm costs.
    nothing = budget_picks(portfolio_runs({"cheap": -0.03}, {"cheap": 45.0}), [40.0], [])[0]
    text = budget_sentence(nothing, names)
    assert "no evaluated portfolio fits" in text and "**Pledges 50%**, costs 45 staff-days" in text
    # Three seeds on which a portfolio beats no intervention by the same 3 points: no spread, so only
    # the bound from the share of seeds that could differ, far too wide to recommend it; never [x, x].
    flat = portfolio_runs({"cheap": -0.03, "fixed": -0.03}, {"cheap": 45.0, "fixed": 60.0}, n=3, sd=0.0)
    flat.loc[flat.arm == "fixed", KEY] += 0.001
    pick = budget_picks(flat, [100.0], ["fixed"])[0]
    words = budget_sentence(pick, names) + (fixed_sentence(pick, names) or "")
    assert pick.arm == "none" and pick.lowest == "cheap" and pick.lowest_low < 0 < pick.lowest_high
    assert "nan" not in words.replace("no intervention", "") and "nothing is recommended" in words


def test_budget_sentence_names_best_only_when_separated_from_every_cheaper_arm():
    from sim.optimise.portfolios import budget_picks
    from sim.optimise.sentences import budget_sentence, fixed_sentence

    names = {"none": "No intervention", "cheap": "Teams 2", "dear": "Teams 9", "fixed": "Inspection teams (fixed arm)"}
    clear = budget_picks(
        portfolio_runs({"cheap": -0.02, "dear": -0.05, "fixed": -0.01}, {"cheap": 100, "dear": 900, "fixed": 300}),
        [1000],
        ["fixed"],
    )[0]
    text = budget_sentence(clear, names)
    assert "best: **Teams 9**" in text and "95% CI" in text and "900 staff-days" in text
    assert "honest candidates removed +0.0 a round" in text  # the harm beside the benefit
    assert "what optimisation adds" in fixed_sentence(clear, names)
    # Pure noise: every arm the same. Never "best", never "adds".
    named = adds = 0
    for seed in range(40):
        runs = portfolio_runs(
            {"cheap": 0.0, "dear": 0.0, "fixed": 0.0}, {"cheap": 100, "dear": 900, "fixed": 300}, seed=seed
        )
        pick = budget_picks(runs, [1000], ["fixed"])[0]
        named += ", best:" in budget_sentence(pick, names)
        if pick.arm == "none" and pick.lowest is not None:  # the lowest mean is said, and not recommended
            text = budget_sentence(pick, names)
            assert "nothing is recommended" in text and f"**{names[pick.lowest]}**" in text
        adds += "what optimisation adds" in (fixed_sentence(pick, names) or "")
    assert named <= 2 and adds <= 2
    # A dearer arm no better than a cheaper one: the cheaper one is said, and the dearer is not named best.
    tie = budget_picks(
        portfolio_runs({"cheap": -0.03, "dear": -0.031}, {"cheap": 100, "dear": 900}, seed=2), [1000], []
    )[0]
    if tie.arm == "dear":
        text = budget_sentence(tie, names)
        assert "not named best" in text and "**Teams 2**" in text and ", best:" not in text


def test_reevaluation_sentence_claims_no_shift_on_pure_noise():
    from sim.optimise.portfolios import reevaluation_table
    from sim.optimise.sentences import reevaluation_sentence

    # No selection, the same effects on both seed sets: a shift claimed at most about 5% of the time
    # (Welch, Holm over the portfolios; 60 trials, at most 5 claims allowed).
    moved = 0
    for seed in range(60):
        effects = {f"p{i}": -0.01 * i for i in range(1, 4)}
        costs = {f"p{i}": 100.0 * i for i in range(1, 4)}
        search = portfolio_runs(effects, costs, n=8, seed=seed).assign(stage="search")
        fresh = portfolio_runs(effects, costs, n=20, seed=1000 + seed)
        table = reevaluation_table(pd.concat([search, fresh]), list(effects))
        moved += "distinguishable from zero for" in reevaluation_sentence(table, 20)
    assert moved <= 5
    # A real winner's curse (every search estimate 2 points too good) is said.
    search = portfolio_runs({"p1": -0.05}, {"p1": 100.0}, n=30, sd=0.003, seed=1).assign(stage="search")
    fresh = portfolio_runs({"p1": -0.03}, {"p1": 100.0}, n=30, sd=0.003, seed=2)
    text = reevaluation_sentence(reevaluation_table(pd.concat([search, fresh]), ["p1"]), 30)
    assert "+2." in text.split("points on average")[0] and "distinguishable from zero for 1 of them" in text


def test_search_sentence_says_still_improving_only_when_the_frontier_grew():
    from sim.optimise.sentences import search_sentence

    grow = pd.DataFrame({"generation": range(8), "trials": 8, "portfolios": 8, "hypervolume": np.linspace(1, 2, 8)})
    flat = grow.assign(hypervolume=[1, 1.5, 2, 2, 2, 2, 2, 2.001])
    assert "still improving" in search_sentence(grow, 8)
    text = search_sentence(flat, 8)
    assert "no sign it was still improving" in text and "does not prove" in text and "converged" not in text


def test_rival_sentence_claims_a_better_portfolio_only_when_distinguishable():
    from sim.optimise.robustness import robust_rival
    from sim.optimise.sentences import rival_sentence

    names = {"a": "A", "b": "B", "none": "No intervention"}
    said = 0  # the same portfolios: a better rival claimed in at most about 5% of 60 trials
    for seed in range(60):
        rng = np.random.default_rng(seed)
        level = rng.uniform(0.02, 0.08, 30)
        rows = [
            {"arm": arm, "sample": w, "seed": 0, KEY: level[w] + rng.normal(0, 0.01)}
            for w in range(30)
            for arm in ("none", "a", "b")
        ]
        rival = robust_rival(pd.DataFrame(rows), "a", ["none", "a", "b"])
        said += "does not hold up" in rival_sentence(rival, "a", 1000, names)
    assert said <= 5
    rng = np.random.default_rng(1)
    rows = [
        {"arm": arm, "sample": w, "seed": 0, KEY: 0.05 - (0.02 if arm == "b" else 0) + 0.001 * w + rng.normal(0, 0.002)}
        for w in range(30)
        for arm in ("a", "b")
    ]
    assert "does not hold up" in rival_sentence(robust_rival(pd.DataFrame(rows), "a", ["a", "b"]), "a", 1000, names)


def test_prim_sentence_says_fails_when_only_with_a_significant_box():
    from sim.optimise.robustness import PrimBox
    from sim.optimise.sentences import prim_sentence

    names = {"p": "Teams 12"}
    box = PrimBox(
        limits={"delegates.money_weight": (2.4, 3.0)},
        full={"delegates.money_weight": (1.0, 3.0)},
        qp={"delegates.money_weight": 0.001},
        coverage=0.8,
        density=0.9,
        mass=0.2,
        base_rate=0.25,
        n=8,
    )
    text = prim_sentence([box], "p", names, 0.05, 10, 40, 40)
    assert "when delegates.money_weight ≥ 2.4" in text and "80% of the failing worlds" in text and "90%" in text
    assert "finds no box" in prim_sentence([], "p", names, 0.05, 10, 40, 40)
    candidate = PrimBox(**{**box.__dict__, "significant": False, "qp": {"delegates.money_weight": 0.3}})
    text = prim_sentence([candidate], "p", names, 0.05, 10, 40, 40)
    assert "finds no box" in text and "not claimed" in text and " when " not in text
    assert "fails" not in prim_sentence([], "p", names, 0.05, 0, 40, 40).split(":")[0].replace("fails in", "")
    assert "too few for scenario discovery" in prim_sentence([box], "p", names, 0.05, 10, 40, 4)
    assert "too few failures" in prim_sentence([box], "p", names, 0.05, 2, 40, 40)
    assert "when" not in prim_sentence([box], "p", names, 0.05, 2, 40, 40)
