"""EMA Workbench adapter, run against the real library (evaluators, PRIM, ε-NSGA-II)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from ema_workbench import (
    CategoricalParameter,
    IntegerParameter,
    Model,
    MultiprocessingEvaluator,
    RealParameter,
    ReplicatorModel,
    ScalarOutcome,
    SequentialEvaluator,
)
from ema_workbench.analysis import prim
from ema_workbench.util import EMAError

from sim import simulate
from sim.interop.ema import (
    BatchReplicatorModel,
    SimulationFunction,
    config_key,
    ema_model,
    fixed_arm_samples,
    prim_inputs,
)
from sim.interop.params import plain, run_overrides, select_params
from sim.levers import LEVERS
from sim.model.streams import replicate_seed

#: County scale, a short campaign and no aftermath: a run takes a tenth of a second.
BASE = {"schedule": {"campaign_days": 8, "post_election_days": 0}}
UNCERTAIN = ["delegates.money_weight", "reporting.trust_initial"]
OUTCOMES = ["bought_seat_rate_final", "cost_total", "honest_removed"]


def direct(row, seed: int, specs) -> dict:
    """What simulate() gives for one row of EMA's experiments table."""
    values = {config_key(k): row[k] for k in row.index if k not in ("scenario", "policy", "model", "seed")}
    return simulate(BASE, seed=seed, **run_overrides(values, specs)).summary


def test_plain_turns_numpy_scalars_into_python_ones():
    out = plain({"a": np.float64(0.5), "b": [np.int64(3), np.bool_(True)], "c": np.array(2.0), "d": "x"})
    assert out == {"a": 0.5, "b": [3, True], "c": 2.0, "d": "x"}
    assert type(out["a"]) is float and type(out["b"][0]) is int and type(out["b"][1]) is bool


def test_parameters_come_from_the_schema_bounds():
    specs = {s.key: s for s in select_params(["reporting.trust_initial", "interventions.*.enabled", "delegates"])}
    assert (specs["reporting.trust_initial"].lower, specs["reporting.trust_initial"].upper) == (0.0, 1.0)
    assert sum(k.endswith(".enabled") for k in specs) == 6
    assert specs["interventions.team_inspection.enabled"].kind == "bool"
    # Open above: half to one and a half times the default (money_weight: lo 0, default 2).
    assert (specs["delegates.money_weight"].lower, specs["delegates.money_weight"].upper) == (1.0, 3.0)
    # A group leaves out what has no range (accept_intercept: unbounded, default 0) ...
    assert "delegates.accept_intercept" not in specs
    # ... a key named on its own must be given one.
    with pytest.raises(ValueError, match="no range"):
        select_params(["delegates.accept_intercept"])
    assert select_params(["delegates.accept_intercept"], ranges={"delegates.accept_intercept": (-1, 1)})
    with pytest.raises(ValueError, match="matches no parameter"):
        select_params(["delegates.no_such_key"])
    with pytest.raises(ValueError, match="outside its bounds"):
        select_params(["reporting.trust_initial"], ranges={"reporting.trust_initial": (0.5, 1.5)})


def test_decision_levers_are_the_declared_levers_from_zero():
    m = ema_model(levers="decision", outcomes=OUTCOMES)
    assert [config_key(p.name) for p in m.levers] == [lv.key for lv in LEVERS]
    teams = m.levers["interventions__team_inspection__n_teams"]
    assert isinstance(teams, IntegerParameter) and (teams.lower_bound, teams.upper_bound) == (0, 64)
    coverage = m.levers["interventions__warning_education__coverage"]
    assert isinstance(coverage, RealParameter) and (coverage.lower_bound, coverage.upper_bound) == (0.0, 1.0)
    capacity = m.levers["interventions__tipoff_resolution__capacity_multiplier"]
    assert (capacity.lower_bound, capacity.upper_bound) == (0.0, 10.0)
    screening = m.levers["interventions__risk_screening__enabled"]
    assert isinstance(screening, IntegerParameter) and (screening.lower_bound, screening.upper_bound) == (0, 1)
    # A lever named alone, by its short name, narrowed as the optimiser's ranges are.
    narrow = ema_model(levers=["team_inspection.n_teams"], ranges={"interventions.team_inspection.n_teams": (0, 16)})
    assert narrow.levers["interventions__team_inspection__n_teams"].upper_bound == 16
    with pytest.raises(ValueError, match="leaves the lever's range"):
        ema_model(levers=["team_inspection.n_teams"], ranges={"interventions.team_inspection.n_teams": (0, 99)})


def test_a_lever_switches_its_intervention_and_zero_switches_it_off():
    specs = select_params(["decision"])
    run = SimulationFunction(BASE, ["cost_total", "township_visits"], specs=specs)
    zeros = {p.name: 0 for p in ema_model(levers="decision").levers}
    off = run(seed=1, **zeros)
    teams = run(seed=1, **{**zeros, "interventions__team_inspection__n_teams": 10})
    assert off == {"cost_total": 0.0, "township_visits": 0}
    assert teams["cost_total"] > 0 and teams["township_visits"] > 0  # not a silent no-op without the switch
    # A tip-off capacity between 0 and its lowest deployed value (1x) deploys 1x.
    overrides = run_overrides({"interventions.tipoff_resolution.capacity_multiplier": 0.4}, specs)
    assert overrides == {
        "interventions.tipoff_resolution.enabled": True,
        "interventions.tipoff_resolution.capacity_multiplier": 1.0,
    }


def test_a_switch_beside_its_lever_is_dropped_or_refused():
    specs = {s.key for s in select_params(["decision", "interventions.*.enabled"])}
    assert "interventions.team_inspection.enabled" not in specs and "interventions.team_inspection.n_teams" in specs
    with pytest.raises(ValueError, match="already switches team_inspection"):
        select_params(["team_inspection.n_teams", "interventions.team_inspection.enabled"])


def test_a_setting_of_an_intervention_no_experiment_deploys_is_refused():
    with pytest.raises(ValueError, match=r"detect_per_tie_day is sampled, but team_inspection is off"):
        ema_model(uncertainties=["interventions.team_inspection.detect_per_tie_day"])
    # Deployed by a lever, by the base configuration or by the policy preset: accepted.
    ema_model(["interventions.team_inspection.detect_per_tie_day"], levers="decision")
    ema_model(["interventions.team_inspection.detect_per_tie_day"], base={"policy": "team_inspection"})
    ema_model(["interventions.team_inspection.detect_per_tie_day"], levers="policy")


def test_presets_are_categories_under_names_of_their_own():
    m = ema_model(["scenario"], ["policy"], OUTCOMES, ranges={"scenario": ["county", "city"]})
    assert isinstance(m.uncertainties["scenario_preset"], CategoricalParameter)
    assert isinstance(m.levers["policy_preset"], CategoricalParameter)
    assert [c.value for c in m.uncertainties["scenario_preset"].categories] == ["county", "city"]
    with pytest.raises(ValueError, match="give two or more of the presets"):
        ema_model(["scenario"], ranges={"scenario": ["county", "metropolis"]})
    specs = select_params(["scenario", "policy"])
    run = SimulationFunction({"schedule": {"campaign_days": 5, "post_election_days": 0}}, ["delegates"], specs=specs)
    city = run(seed=1, scenario_preset="city", policy_preset="none")["delegates"]
    county = run(seed=1, scenario_preset="county", policy_preset="none")["delegates"]
    assert city > 5 * county  # the preset, not EMA's own 'scenario' column, chose the scale


def test_outcome_directions():
    m = ema_model(outcomes={"bought_seat_rate_final": "min", "delegates_bribed": "MAX", "cost_total": "info"})
    kinds = {o.name: o.kind for o in m.outcomes}
    assert kinds == {
        "bought_seat_rate_final": ScalarOutcome.MINIMIZE,
        "delegates_bribed": ScalarOutcome.MAXIMIZE,
        "cost_total": ScalarOutcome.INFO,
    }
    assert all(o.kind == ScalarOutcome.INFO for o in ema_model(outcomes=OUTCOMES).outcomes)
    with pytest.raises(ValueError, match=r"outcomes\['cost_total'\]='lowest'"):
        ema_model(outcomes={"cost_total": "lowest"})


def test_model_types_and_seeds():
    m = ema_model(
        [*UNCERTAIN, "interventions.team_inspection.detect_per_tie_day"], ["interventions.*.enabled"], OUTCOMES
    )
    assert type(m) is Model
    assert all(p.name.isidentifier() for p in [*m.uncertainties, *m.levers])
    assert isinstance(m.uncertainties["reporting__trust_initial"], RealParameter)
    assert isinstance(m.levers["interventions__pledges_talks__enabled"], IntegerParameter)  # 0 off, 1 on
    assert m.constants["seed"].value == replicate_seed(0, 0)
    r = ema_model(UNCERTAIN, outcomes=OUTCOMES, replications=3, base_seed=7)
    assert type(r) is BatchReplicatorModel and isinstance(r, ReplicatorModel)
    assert [rep["seed"] for rep in r.replications] == [replicate_seed(7, i) for i in range(3)]
    with pytest.raises(ValueError, match="both uncertainty and lever"):
        ema_model(UNCERTAIN, ["reporting"])


def test_sequential_model_equals_simulate_and_prim_finds_a_box():
    model = ema_model(UNCERTAIN, ["interventions.*.enabled"], OUTCOMES, base=BASE, series=["bribed_share"])
    specs = select_params([*UNCERTAIN, "interventions.*.enabled"])
    with SequentialEvaluator(model) as evaluator:
        experiments, outcomes = evaluator.perform_experiments(scenarios=6, policies=3)
    assert len(experiments) == 18 and outcomes["daily_bribed_share"].shape == (18, 9)
    for i in (0, 17):
        expected = direct(experiments.iloc[i], replicate_seed(0, 0), specs)
        for key in OUTCOMES:
            assert outcomes[key][i] == pytest.approx(expected[key])
    # Some policies spend, none spends without an intervention on.
    enabled = experiments.filter(like="__enabled").to_numpy(dtype=int).any(axis=1)
    assert (outcomes["cost_total"][~enabled] == 0).all() and (outcomes["cost_total"][enabled] > 0).all()

    x, y = prim_inputs(experiments, outcomes)
    assert set(x.dtypes) == {np.dtype(float)} and "policy" not in x.columns
    clean = y["bought_seat_rate_final"] <= np.median(y["bought_seat_rate_final"])
    box = prim.Prim(x, clean).find_box()
    assert 0.0 < box.coverage <= 1.0 and 0.0 < box.density <= 1.0
    box.inspect()  # fails under pandas 3 on bool/int columns; the cast makes it work


def test_prim_inputs_keep_presets_as_categories():
    short = {"schedule": {"campaign_days": 4, "post_election_days": 0}}
    model = ema_model(
        ["scenario", "reporting.trust_initial"], outcomes=OUTCOMES, base=short, ranges={"scenario": ["county", "city"]}
    )
    with SequentialEvaluator(model) as evaluator:
        experiments, outcomes = evaluator.perform_experiments(scenarios=4)
    x, _ = prim_inputs(experiments, outcomes)
    assert isinstance(x["scenario_preset"].dtype, pd.CategoricalDtype) and x["reporting.trust_initial"].dtype == float
    assert set(x["scenario_preset"]) <= {"county", "city"}


def test_replicator_on_two_processes_uses_the_replicate_seeds():
    model = ema_model(UNCERTAIN, outcomes=OUTCOMES, base=BASE, replications=2, base_seed=5)
    specs = select_params(UNCERTAIN)
    with MultiprocessingEvaluator(model, n_processes=2) as evaluator:
        experiments, outcomes = evaluator.perform_experiments(scenarios=3)
    assert outcomes["bought_seat_rate_final"].shape == (3,)
    row = experiments.iloc[1]
    runs = [direct(row, replicate_seed(5, r), specs) for r in range(2)]
    for key in OUTCOMES:
        assert outcomes[key][1] == pytest.approx(np.mean([run[key] for run in runs]))
    x, y = prim_inputs(experiments, outcomes)
    assert list(x.columns) == UNCERTAIN and y["cost_total"].shape == (3,)


def test_eps_nsga2_optimises_the_decision_levers(tmp_path):
    model = ema_model(levers="decision", outcomes={"bought_seat_rate_final": "min", "cost_total": "min"}, base=BASE)
    arms = fixed_arm_samples(model, BASE)
    assert [s.name for s in arms] == [
        "none", "warning_education", "risk_screening", "candidate_vetting",
        "tipoff_resolution", "team_inspection", "pledges_talks", "all",
    ]  # fmt: skip
    assert all(v == 0 for v in dict(arms[0]).values())
    assert dict(arms[5])["interventions__team_inspection__n_teams"] == 4
    # EMA 3.0.0's SequentialEvaluator cannot optimise a model without uncertainties (it mixes up the
    # samples of a generation); the multiprocessing evaluator can.
    with MultiprocessingEvaluator(model, n_processes=2) as evaluator:
        front, convergence = evaluator.optimize(
            nfe=24,
            epsilons=[1 / 36, 20.0],
            population_size=8,
            initial_population=arms,
            rng=1,
            directory=str(tmp_path),
            filename="archive.tar.gz",
        )
    assert list(front.columns) == [p.name for p in model.levers] + ["bought_seat_rate_final", "cost_total"]
    assert len(front) >= 1 and convergence["nfe"].iloc[-1] >= 24
    # The front's portfolios lie within the levers' ranges and none dominates another.
    for p in model.levers:
        assert front[p.name].between(p.lower_bound, p.upper_bound).all()
    points = front[["bought_seat_rate_final", "cost_total"]].to_numpy()
    for a in points:
        assert not any((b <= a).all() and (b < a).any() for b in points)
    # Its cheapest portfolio re-runs to the numbers on the front.
    cheapest = front.sort_values("cost_total").iloc[0]
    specs = select_params(["decision"])
    values = {config_key(p.name): cheapest[p.name] for p in model.levers}
    rerun = simulate(BASE, seed=replicate_seed(0, 0), **run_overrides(values, specs)).summary
    assert rerun["cost_total"] == pytest.approx(cheapest["cost_total"])
    assert rerun["bought_seat_rate_final"] == pytest.approx(cheapest["bought_seat_rate_final"])


def test_an_unknown_outcome_is_named():
    model = ema_model(UNCERTAIN, outcomes=["no_such_outcome"], base=BASE)
    with pytest.raises(EMAError, match="no_such_outcome"), SequentialEvaluator(model) as evaluator:
        evaluator.perform_experiments(scenarios=1)


def test_a_range_the_configuration_rejects_is_refused_before_any_experiment():
    with pytest.raises(ValueError, match="schedule.post_election_days"):
        ema_model(uncertainties=["schedule.post_election_days"], base={"scenario": "county"})
    ema_model(
        uncertainties=["schedule.post_election_days"],
        base={"scenario": "county"},
        ranges={"schedule.post_election_days": (45, 60)},
    )
