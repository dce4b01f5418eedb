"""Optimised portfolios: which mix of interventions, at what intensity, is best for a budget.

``settings.py`` declares the ``optimise.*`` settings and ``checks.py`` checks them; ``plan.py``
is the folder's plan; ``search.py`` runs NSGA-II, the re-evaluation on fresh seeds and the
robustness stage (``worlds.py`` samples its worlds), each through ``runs.py``;
``portfolios.py`` and ``robustness.py`` compute the numbers, ``sentences.py``, ``figures.py``,
``sections.py`` and ``report.py`` write the optimisation report.  May import: :mod:`sim.sweeps`
(the run store), :mod:`sim.stats`, :mod:`sim.report` (the page's machinery),
:mod:`sim.calibration` (posterior worlds), :mod:`sim.levers`, :mod:`sim.simulate`,
:mod:`sim.config`; never :mod:`sim.cli` or :mod:`sim.interop`.
"""
