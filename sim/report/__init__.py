"""The sweep report: the first screen's sentences, the evidence sections, figures and the HTML page.

:func:`sim.report.write.write_report` reads a sweep folder's tables and writes ``report/``.  The
numbers come from :mod:`sim.stats`; this package turns them into sentences (``sentences.py``,
``captions.py``, ``first_screen.py``, ``plain.py`` for the five plain ones), figures (``style.py``,
``figures.py``, and one module per
special section) and files (``html.py``, with ``numbers.py`` for table cells as people read them
and ``glossary.py`` for the terms it links).  May import: :mod:`sim.stats`, :mod:`sim.calibration`
(for the calibration section), :mod:`sim.sweeps` (reading a folder), :mod:`sim.simulate`,
:mod:`sim.model` (the township figure re-runs one simulation), :mod:`sim.config`; never
:mod:`sim.optimise`, :mod:`sim.cli` or :mod:`sim.interop`.
"""
