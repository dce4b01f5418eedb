"""Arms on different worlds: grouped by world, set against their own world's reference, compared
unpaired across worlds, and never called best or distinguishable on noise."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.report.worlds import find_best_across_worlds
from sim.stats.outcomes import HEADLINE
from sim.stats.worlds import arm_worlds, compare_effects, several_worlds, world_effects

KEY = HEADLINE


def worlds_sweep(
    effects: dict[str, tuple[int, float]],
    n: int = 20,
    seed: int = 0,
    sd: float = 0.01,
    levels: tuple[float, ...] = (0.10, 0.30, 0.05),
    shared: np.ndarray | None = None,
) -> pd.DataFrame:
    """Runs of arms on worlds: ``effects`` maps arm -> (world, true effect); each world has a reference.

    Each world's seeds draw its own province (an independent level per seed) unless ``shared`` gives
    the per-seed deviations every world shares (a correlation the seed numbers do not license).
    """
    rng = np.random.default_rng(seed)
    worlds = sorted({w for w, _ in effects.values()})
    rows = []
    for w in worlds:
        base = levels[w] + (shared if shared is not None else rng.normal(0, 0.03, n))
        arms = {f"none_{w}": 0.0, **{a: e for a, (ww, e) in effects.items() if ww == w}}
        for arm, eff in arms.items():
            y = base + eff + (0 if arm.startswith("none") else rng.normal(0, sd, n))
            rows += [
                {"arm": arm, "interventions": "none" if arm.startswith("none") else arm, "sample": -1, "seed": s,
                 "scenario": f"w{w}", "in.world.n_townships": 100 * (w + 1), "townships": 100 * (w + 1),
                 "seats": 300 * (w + 1), KEY: v, "cost_total": 0.0 if arm.startswith("none") else 100.0,
                 "cost_per_100_townships": 0.0 if arm.startswith("none") else 100.0 / (w + 1)}
                for s, v in enumerate(y)
            ]  # fmt: skip
    return pd.DataFrame(rows)


def test_arms_share_a_world_when_their_world_settings_agree_whatever_the_scenario_name():
    runs = worlds_sweep({"a": (0, -0.02), "b": (1, -0.02)})
    runs.loc[runs.arm == "a", "scenario"] = "liaoning"  # same sizes, another name: the same world
    w = arm_worlds(runs)
    assert w["a"] == w["none_0"] != w["b"] == w["none_1"] and several_worlds(runs)
    one = runs[runs["in.world.n_townships"] == 100]
    assert not several_worlds(one)


def test_a_sensitivity_sample_does_not_split_a_world():
    runs = pd.concat([worlds_sweep({"a": (0, -0.02)}).assign(sample=s) for s in range(3)])
    for s in range(3):  # a sampled world setting, the same in every arm of a sample
        runs.loc[runs["sample"] == s, "in.world.n_townships"] = 100 + s
    assert not several_worlds(runs)


def test_each_arm_is_set_against_the_reference_of_its_own_world():
    runs = worlds_sweep({"a": (0, -0.02), "b": (1, -0.10), "c": (2, 0.0)}, sd=0.0)
    eff = world_effects(runs, [KEY]).set_index("arm")
    assert eff.loc["a", "diff"] == pytest.approx(-0.02) and eff.loc["a", "reference"] == "none_0"
    assert eff.loc["b", "diff"] == pytest.approx(-0.10) and eff.loc["b", "reference"] == "none_1"
    assert eff.loc["c", "diff"] == pytest.approx(0.0) and not eff.loc["c", "distinguishable"]
    assert set(eff.index) == {"a", "b", "c"}  # the references are not compared with one another


def test_packages_on_different_worlds_are_compared_unpaired_even_when_seeds_happen_to_line_up():
    # Both worlds move together seed by seed here, which pairing by seed number would exploit: a
    # difference of 0.3 points is then "certain" paired, but not by Welch's test on each world's effects.
    shared = np.random.default_rng(3).normal(0, 0.03, 10)
    runs = worlds_sweep({"a": (0, -0.050), "b": (1, -0.053)}, n=10, sd=0.02, shared=shared)
    runs.loc[runs.arm == "b", KEY] = runs.loc[runs.arm == "a", KEY].to_numpy() - 0.003 + 0.2
    runs.loc[runs.arm == "none_1", KEY] = runs.loc[runs.arm == "none_0", KEY].to_numpy() + 0.2
    row = compare_effects(runs, KEY, "a", ["b"]).iloc[0]
    assert row.test == "Welch" and not row.distinguishable
    assert row["diff"] == pytest.approx(-0.003)
    same = worlds_sweep({"a": (0, -0.05), "b": (0, -0.08)}, sd=0.002)
    row = compare_effects(same, KEY, "a", ["b"]).iloc[0]
    assert row.test == "paired" and row.distinguishable and row["diff"] == pytest.approx(-0.03, abs=0.003)


def test_welch_matches_scipy_and_has_no_interval_without_spread():
    runs = worlds_sweep({"a": (0, -0.05), "b": (1, -0.02)}, n=8)
    row = compare_effects(runs, KEY, "a", ["b"]).iloc[0]
    from scipy import stats

    wide = runs.pivot(index="seed", columns="arm", values=KEY)
    res = stats.ttest_ind(wide.b - wide.none_1, wide.a - wide.none_0, equal_var=False)
    assert row.p_value == pytest.approx(res.pvalue) and row.ci_low == pytest.approx(res.confidence_interval().low)
    flat = worlds_sweep({"a": (0, -0.05), "b": (1, -0.02)}, n=8, sd=0.0)
    flat[KEY] = flat.arm.map({"none_0": 0.1, "a": 0.05, "none_1": 0.3, "b": 0.28})
    row = compare_effects(flat, KEY, "a", ["b"]).iloc[0]
    assert np.isnan(row.ci_low) and row.p_value == 1.0 and not row.distinguishable


def best_of(runs: pd.DataFrame):
    return find_best_across_worlds(runs, world_effects(runs, [KEY]))


@pytest.mark.parametrize("effect", [0.0, -0.03])
def test_no_package_is_called_best_on_noise_in_95_percent_of_sweeps(effect):
    # Five packages on three worlds with the same true effect (none, or all equally good): naming one
    # the best (distinguishable from every other) is a false claim; at most 5% plus two binomial SEs.
    trials, claims = 200, 0
    for t in range(trials):
        runs = worlds_sweep(
            {"a": (0, effect), "b": (0, effect), "c": (1, effect), "d": (2, effect), "e": (1, effect)}, n=5, seed=t
        )
        best = best_of(runs)
        claims += best is not None and not best.indistinct and not best.tied
    assert claims / trials <= 0.05 + 2 * np.sqrt(0.05 * 0.95 / trials)


def test_no_package_is_distinguishable_from_its_reference_on_noise_in_95_percent_of_sweeps():
    trials, claims = 200, 0
    for t in range(trials):
        runs = worlds_sweep({"a": (0, 0.0), "b": (0, 0.0), "c": (1, 0.0), "d": (2, 0.0)}, n=5, seed=t, sd=0.02)
        claims += bool(world_effects(runs, [KEY]).distinguishable.any())
    assert claims / trials <= 0.05 + 2 * np.sqrt(0.05 * 0.95 / trials)


def test_a_clearly_better_package_on_another_world_is_called_best():
    found = 0
    for t in range(20):
        runs = worlds_sweep({"a": (0, -0.03), "b": (0, -0.02), "c": (1, -0.10), "d": (2, -0.03)}, n=10, seed=t)
        best = best_of(runs)
        found += best is not None and best.arm == "c" and not best.indistinct
    assert found >= 18


def test_a_sweep_over_two_worlds_is_reported_per_world_and_unpaired_across(tmp_path):
    from tests.conftest import run_sweep

    args = ["scenario=county", "policy=none,team_inspection", "world.n_townships=12,24", "replicates=4"]
    run_sweep(tmp_path, *args, "schedule.campaign_days=10", "schedule.post_election_days=5",
              "investigation.direct_days=5", "investigation.supervised_days=5")  # fmt: skip
    out = tmp_path / "report"
    text = (out / "report.md").read_text()
    answer = text.split("## Comparison")[0]
    assert "4 arms on 2 worlds" in answer and "Welch's unpaired t test" in answer
    assert "12 townships" in answer and "24 townships" in answer
    table = pd.read_csv(out / "headline.csv")
    assert {"world", "seats prevented per 100 townships", "cost per 100 townships (staff-days)"} <= set(table.columns)
    assert (table["95% CI"] == "(reference)").sum() == 2  # one reference per world
    versus = pd.read_csv(out / "worlds_versus_top.csv")
    assert set(versus.test) == {"Welch"}  # the other package is on the other world
    assert (out / "worlds_plane.png").exists() and not (out / "cost_effectiveness.png").exists()
    assert not list(out.glob("time_*.png"))  # one reference would not fit every arm
    assert "not computed" in text.split("## Cost-effectiveness")[1]


def test_per_100_townships_scales_seat_shares_and_counts_and_refuses_other_shares():
    from sim.stats.worlds import per_100_townships

    runs = worlds_sweep({"a": (0, -0.02), "b": (1, -0.02)})  # worlds of 100 and 200 townships, 3 seats each
    assert per_100_townships(runs, KEY).to_dict() == {"a": 300.0, "b": 300.0, "none_0": 300.0, "none_1": 300.0}
    assert per_100_townships(runs, "honest_removed")["b"] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="bribed_share is a share"):
        per_100_townships(runs, "bribed_share")
