"""Mesa-native use: ``sim.ElectionModel`` built from keywords, with its DataCollector, under ``mesa.batch_run``."""

from __future__ import annotations

import multiprocessing

import mesa
import numpy as np
import pandas as pd
import pytest
from mesa.experimental.scenarios import Scenario

from sim import ElectionModel, simulate
from sim.config import ConfigError, build_config
from sim.interop.mesa_model import SUMMARY_KEYS, seed_of
from sim.model.election import ElectionModel as CoreElectionModel
from sim.model.metrics import SERIES_COLUMNS
from sim.simulate import COUNT_SERIES

FIXED = {"schedule.campaign_days": 10, "schedule.post_election_days": 0}


@pytest.fixture
def keep_start_method():
    """batch_run switches multiprocessing to 'spawn' for the whole process; put it back."""
    method = multiprocessing.get_start_method(allow_none=True)
    yield
    multiprocessing.set_start_method(method, force=True)


def test_the_public_model_is_a_mesa_model_built_from_keywords():
    assert issubclass(ElectionModel, mesa.Model) and issubclass(ElectionModel, CoreElectionModel)
    model = ElectionModel(scenario="city", policy="all", rng=3, **{"voting.compliance": 0.6, **FIXED})
    assert model.cfg.scenario == "city" and model.cfg.seed == 3 and model.cfg.voting.compliance == 0.6
    assert model.cfg.world.n_townships == 100 and len(model.cfg.enabled_interventions()) == 6
    assert model.running and model.summary is None
    model.run()
    expected = simulate({"scenario": "city", "policy": "all"}, seed=3, **{"voting.compliance": 0.6, **FIXED})
    assert model.summary == {
        k: v for k, v in expected.summary.items() if k != "runtime_s" and not k.startswith("time_")
    }
    frame = model.datacollector.get_model_vars_dataframe()
    assert len(frame) == model.n_days == len(expected.timeseries)
    for col in SERIES_COLUMNS:
        np.testing.assert_allclose(frame[col].to_numpy(), expected.timeseries[col].to_numpy(), err_msg=col)
    assert frame["bought_seat_rate_final"].iloc[-1] == expected.summary["bought_seat_rate_final"]


def test_counts_are_integers_and_shares_floats():
    model = ElectionModel(rng=1, **FIXED)
    model.run()
    frame = model.datacollector.get_model_vars_dataframe()
    for col in COUNT_SERIES:
        if col in frame:
            assert frame[col].dtype == np.int64, col
    assert frame["day"].tolist() == list(range(model.n_days))
    assert frame["bribed_share"].dtype == np.float64
    assert frame["delegates_bribed"].dtype == np.int64 and frame["cost_total"].dtype == np.float64


def test_keyword_forms_are_the_same_run():
    dotted = ElectionModel(rng=2, **{"interventions.team_inspection.enabled": True, "voting.compliance": 0.7})
    plain = ElectionModel(rng=2, interventions__team_inspection__enabled=True, voting__compliance=0.7)
    preset = ElectionModel(rng=2, policy="team_inspection", voting__compliance=0.7)
    mapping = ElectionModel({"policy": "team_inspection", "voting": {"compliance": 0.7}}, rng=np.int64(2))
    configs = [m.cfg for m in (dotted, plain, preset, mapping)]
    assert all(c == configs[0] for c in configs)
    cfg = build_config(seed=5)
    assert ElectionModel(cfg).cfg == cfg  # a SimConfig is taken as it is
    assert ElectionModel(cfg, interventions=[]).interventions == []  # hooks handed in, as the core takes them


def test_bad_input_is_named_before_anything_is_built():
    with pytest.raises(ConfigError, match=r"voting.compliance=1.5"):
        ElectionModel(voting__compliance=1.5)
    with pytest.raises(ConfigError, match=r"scenario='provnce' is not a preset"):
        ElectionModel(scenario="provnce")
    with pytest.raises(ConfigError, match=r"sead=5: unknown key; did you mean seed\?"):
        ElectionModel(sead=5)
    with pytest.raises(ConfigError, match=r"SimConfig is taken as it is"):
        ElectionModel(build_config(), policy="all")
    with pytest.raises(ConfigError, match=r"give an integer seed"):
        ElectionModel(rng=np.random.default_rng(1))
    assert seed_of(np.random.SeedSequence(4)) == seed_of(np.random.SeedSequence(4)) >= 0


def test_a_mesa_scenario_object_is_not_taken_for_a_preset():
    # SolaraViz rebuilds a model with a Mesa Scenario object; only its rng counts.
    rebuilt = ElectionModel(scenario=Scenario(rng=4))
    assert rebuilt.cfg.scenario == "county" and rebuilt.cfg.seed == 4


def test_batch_run_takes_the_class_itself(keep_start_method):
    rows = mesa.batch_run(
        ElectionModel,
        parameters={"policy": ["none", "team_inspection"], **FIXED},
        rng=[11, 12],
        data_collection_period=-1,
        display_progress=False,
    )
    assert len(rows) == 4
    assert {(r["policy"], r["rng"]) for r in rows} == {(p, s) for p in ("none", "team_inspection") for s in (11, 12)}
    for row in rows:
        expected = simulate({"policy": row["policy"]}, seed=row["rng"], **FIXED)
        assert row["Step"] == 11  # ten campaign days and congress day; then running went False
        for key in SUMMARY_KEYS:
            assert row[key] == expected.summary[key], key
        last = expected.timeseries.iloc[-1]
        for col in SERIES_COLUMNS:
            assert row[col] == pytest.approx(last[col]), col
        assert type(row["day"]) is int and type(row["offers"]) is int and type(row["seats_bought_final"]) is int
    # The policy reached the model: inspection costs something, no intervention nothing.
    assert all((r["cost_total"] > 0) == (r["policy"] == "team_inspection") for r in rows)


def test_daily_rows_of_two_terms_equal_the_time_series(keep_start_method):
    rows = mesa.batch_run(
        ElectionModel,
        parameters={"schedule.terms": 2, **FIXED},
        rng=[3],
        data_collection_period=1,
        display_progress=False,
    )
    table = pd.DataFrame(rows)
    expected = simulate(seed=3, **{"schedule.terms": 2}, **FIXED)
    assert len(table) == len(expected.timeseries) == 22
    for col in SERIES_COLUMNS:
        np.testing.assert_allclose(table[col].to_numpy(), expected.timeseries[col].to_numpy(), err_msg=col)
    # Two terms: the last row is the run's summary over both terms, as simulate() gives it.
    assert table["bought_seat_rate_final"].iloc[-1] == pytest.approx(expected.summary["bought_seat_rate_final"])
