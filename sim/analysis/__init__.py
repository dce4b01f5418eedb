"""Analysis: statistics, figures and the report, computed from stored results.

``stats.py`` holds the statistics (paired effects, intervals, cost-effectiveness, factorial and
sensitivity analyses), ``plots.py`` the figures, ``report.py`` the self-contained HTML report,
``calibration.py`` and ``patterns.py`` the comparison with the source report's figures. This
layer reads stored results (tables in, figures and text out) and may run the model through
:func:`sim.simulate` for its pattern checks; it never imports the sweep machinery's Hydra glue.
"""
