"""Sweeps: many runs from one plan, stored so that none is lost, redone or mixed.

``experiment.py`` turns an experiment (arms × replicates, or a sensitivity design) into planned
runs with their seeds; ``assumptions.py`` draws the schema's assumed ranges and lays out the
three layers of draws (seeds; + posterior; + assumptions); ``manifest.py`` is a folder's plan
and the code version of its runs; ``store.py`` writes each run's files atomically, verifies
them and collects them into tidy tables; ``progress.py`` shows the sweep's progress;
``launcher.py`` stops jobs whose launching process is gone.  No Hydra here: :mod:`sim.cli` drives these
from the command line.  May import :mod:`sim.simulate`, :mod:`sim.config`, :mod:`sim.model`
(seeds) and :mod:`sim.calibration` (posterior draws as a sensitivity design); never
:mod:`sim.stats`, :mod:`sim.report`, :mod:`sim.optimise`, :mod:`sim.cli` or :mod:`sim.interop`.
"""
