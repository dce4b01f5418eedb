"""Adapters to the tools analysts already use: EMA Workbench, Mesa's batch runner, SolaraViz.

* :mod:`sim.interop.ema` builds an EMA Workbench ``Model`` or ``ReplicatorModel`` whose
  uncertainties and levers come from the configuration schema's bounds (extra ``[ema]``).
* :mod:`sim.interop.mesa_batch` holds :class:`BatchElectionModel`, the election model built from
  keyword parameters and a seed, with a Mesa ``DataCollector``, as ``mesa.batch_run`` expects.
* :mod:`sim.interop.solara_view` is the interactive page (Mesa's SolaraViz; extra ``[viz]``).
* :mod:`sim.interop.params` converts values between these tools and the configuration.

This layer may import :mod:`sim.simulate`, :mod:`sim.config`, :mod:`sim.model`,
:mod:`sim.interventions` and :mod:`sim.levers`; nothing but the entry points imports it.  The
optional libraries are imported only by the module that needs them, so ``import sim.interop`` works on the core install.
"""
