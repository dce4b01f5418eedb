"""Mesa-native use: mesa.batch_run over BatchElectionModel, checked against simulate()."""

from __future__ import annotations

import multiprocessing

import mesa
import numpy as np
import pandas as pd
import pytest
from mesa.experimental.scenarios import Scenario

from sim import simulate
from sim.config import ConfigError
from sim.interop.mesa_batch import SUMMARY_KEYS, BatchElectionModel, seed_of
from sim.model.metrics import SERIES_COLUMNS

FIXED = {"schedule.campaign_days": 10, "schedule.post_election_days": 0}
SWEPT = "interventions.team_inspection.enabled"


@pytest.fixture
def keep_start_method():
    """batch_run switches multiprocessing to 'spawn' for the whole process; put it back."""
    method = multiprocessing.get_start_method(allow_none=True)
    yield
    multiprocessing.set_start_method(method, force=True)


def test_batch_run_rows_equal_simulate(keep_start_method):
    rows = mesa.batch_run(
        BatchElectionModel,
        parameters={SWEPT: [False, True], **FIXED},
        rng=[11, 12],
        data_collection_period=-1,
        display_progress=False,
    )
    assert len(rows) == 4
    assert {(r[SWEPT], r["rng"]) for r in rows} == {(a, s) for a in (False, True) for s in (11, 12)}
    for row in rows:
        expected = simulate(seed=row["rng"], **{SWEPT: row[SWEPT]}, **FIXED)
        assert row["Step"] == 11  # ten campaign days and congress day; then running went False
        for key in SUMMARY_KEYS:
            assert row[key] == pytest.approx(expected.summary[key]), key
        last = expected.timeseries.iloc[-1]
        for col in SERIES_COLUMNS:
            assert row[col] == pytest.approx(last[col]), col
    # The intervention costs something and the swept value reached the model.
    assert all((r["cost_total"] > 0) == r[SWEPT] for r in rows)


def test_daily_rows_equal_the_time_series(keep_start_method):
    rows = mesa.batch_run(
        BatchElectionModel,
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


def test_model_is_built_from_keywords_and_a_seed():
    model = BatchElectionModel({"world": {"n_townships": 4}}, rng=np.int64(9), **{"voting.compliance": np.float64(0.6)})
    assert model.cfg.seed == 9 and model.cfg.world.n_townships == 4 and model.cfg.voting.compliance == 0.6
    assert model.running and model.summary is None
    model.run()
    assert not model.running and model.summary["seed"] == 9
    frame = model.datacollector.get_model_vars_dataframe()
    assert len(frame) == model.n_days and frame["day"].tolist() == list(range(model.n_days))
    assert seed_of(np.random.SeedSequence(4)) == seed_of(np.random.SeedSequence(4)) >= 0
    with pytest.raises(TypeError):
        seed_of(np.random.default_rng(1))
    with pytest.raises(ConfigError):
        BatchElectionModel(**{"voting.compliance": 1.5})
    # SolaraViz rebuilds a model with a Mesa Scenario object: ignored, not taken for the scenario's name.
    rebuilt = BatchElectionModel({"scenario": "county"}, scenario=Scenario(rng=1))
    assert rebuilt.cfg.scenario == "county"
