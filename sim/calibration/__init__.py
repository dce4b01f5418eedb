"""Calibration as inference: targets from the record, the ABC-SMC sampler, the posterior and its checks.

``targets.py`` holds the record's figures and their observation models, ``sampler.py`` the
replenishment ABC-SMC, ``inference.py`` the fit (``python experiments/calibrate.py``),
``diagnostics.py`` predictive checks and identifiability, ``posterior.py`` the stored posterior
that sweeps draw from, ``target_table.py`` and ``patterns.py`` the checks the calibration
experiment's report shows.  May import: :mod:`sim.stats`, :mod:`sim.simulate`, :mod:`sim.config`,
:mod:`sim.model`; never :mod:`sim.sweeps`, :mod:`sim.report`, :mod:`sim.optimise`, :mod:`sim.cli`
or :mod:`sim.interop`.
"""
