"""The command line: the ``election-sim`` commands (``entry.py``, ``tools.py``; ``experiments/*.py`` from a checkout).

One run, a grid sweep (``-m``: the plan before any job, one job per arm, collection and the
report after the last; under the basic launcher, ``pool.py``'s forked workers share the runs
with the jobs) and the optimisation (``experiment=optimise``, whose Hydra sweeper in
``hydra_plugins/`` calls :func:`sim.cli.optimise.run_optimise_sweep`); ``api.py`` runs the same
sweep from Python (``sim.sweep``).  The top of the package tree: may import every package of
``sim`` but :mod:`sim.interop`; nothing imports it but the entry points and, for ``sim.sweep``,
the package's public face (on first use).  ``errors.py`` says each failure a user can meet in one
line.
"""
