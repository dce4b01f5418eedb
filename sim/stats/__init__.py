"""Statistics of a sweep, numbers only.

Intervals, paired tests, factorial and dose-response effects, sensitivity indices,
cost-effectiveness, term effects and parameter uncertainty.

Every function takes tables (pandas) or arrays and returns numbers; nothing here writes a sentence,
draws a figure, runs a simulation or reads a file.  May import: numpy, scipy, pandas, statsmodels,
SALib and :mod:`sim.stats` itself, nothing else of ``sim``.
"""
