"""Sweeps: many runs from one plan, stored so that none is lost, redone or mixed.

``experiment.py`` turns an experiment (arms × replicates, or a sensitivity design) into planned
runs with their seeds; ``store.py`` writes each run's files atomically and collects them into
tidy tables; ``hydra_app.py`` is the glue to Hydra's multirun and launchers. This layer imports
:mod:`sim.simulate` and :mod:`sim.config`; at the end of a sweep it hands the stored results to
:mod:`sim.analysis` for the report (analysis never calls back into this layer's Hydra glue).
"""
