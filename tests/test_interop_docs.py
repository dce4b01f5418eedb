"""docs/INTEROP.md quotes what the code does: its EMA examples are rerun and compared, block by block."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from sim import simulate
from sim.interop.ema import config_key
from sim.interop.params import run_overrides, select_params
from sim.model.streams import replicate_seed

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENTS = ROOT / "experiments"
INTEROP = ROOT / "docs" / "INTEROP.md"

pytestmark = pytest.mark.slow


def script(name: str):
    """An example script, imported as a module (its ``run`` and ``render``)."""
    spec = importlib.util.spec_from_file_location(name, EXPERIMENTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # EMA's multiprocessing evaluator pickles by module name
    spec.loader.exec_module(module)
    return module


def block(name: str) -> str:
    sys.path.insert(0, str(EXPERIMENTS))
    try:
        from doc_blocks import read_block
    finally:
        sys.path.remove(str(EXPERIMENTS))
    return read_block(name, INTEROP)


def stale(name: str) -> str:
    return f"docs/INTEROP.md is stale: run python experiments/{name}.py --write-docs (and read the new numbers)"


def test_the_optimisation_front_in_the_docs_is_current():
    module = script("ema_optimise")
    front = module.run()
    assert block("ema_optimise") == module.render(front), stale("ema_optimise")
    # The front's numbers are its portfolios' runs: each reruns to them with simulate().
    specs = select_params(["decision"])
    levers = [c for c in front.columns if config_key(c) in {s.key for s in specs}]
    for _, row in front.iterrows():
        overrides = run_overrides({config_key(c): row[c] for c in levers}, specs)
        runs = [simulate(seed=replicate_seed(0, r), **overrides).summary for r in range(module.REPLICATIONS)]
        for key in module.OUTCOMES:
            assert row[key] == pytest.approx(np.mean([run[key] for run in runs])), (key, row.to_dict())
    assert front["cost_total"].min() == 0  # no intervention, from the first population, costs nothing


def test_the_prim_result_in_the_docs_is_current():
    module = script("ema_prim")
    assert block("ema_prim") == module.render(module.run()), stale("ema_prim")


def test_the_code_quoted_in_the_docs_is_the_scripts_code():
    text = INTEROP.read_text()
    for name, heading in (("ema_optimise", "### Example: ε-NSGA-II"), ("ema_prim", "### Example: a hundred")):
        section = re.split(r"\n##+ ", text[text.index(heading) :])[0]
        code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
        source = {line.strip() for line in (EXPERIMENTS / f"{name}.py").read_text().splitlines()}
        missing = [line.strip() for line in code.splitlines() if line.strip() and line.strip() not in source]
        assert missing == [], f"INTEROP.md quotes code {name}.py does not hold: {missing}"
