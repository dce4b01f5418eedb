"""Adapters to the tools analysts already use: EMA Workbench, Mesa, Solara.

* :mod:`sim.interop.mesa_model` holds :class:`ElectionModel` (``from sim import ElectionModel``):
  the model built from keywords and a seed, as ``mesa.batch_run`` builds it, with its Mesa
  ``DataCollector``.  It subclasses the core model of :mod:`sim.model`, which takes a validated
  configuration and the interventions handed in: reading presets and building interventions is this
  layer's job, not the model's.
* :mod:`sim.interop.ema` builds an EMA Workbench ``Model`` or ``ReplicatorModel`` whose
  uncertainties and levers come from the configuration schema and the decision levers, with
  outcome directions for its optimisation (extra ``[ema]``).
* :mod:`sim.interop.solara_view` is the interactive page and :mod:`sim.interop.view_figures` its
  pictures (extra ``[viz]``).
* :mod:`sim.interop.params` converts values between these tools and the configuration.

This layer may import :mod:`sim.simulate`, :mod:`sim.config`, :mod:`sim.model`,
:mod:`sim.interventions`, :mod:`sim.levers` and :mod:`sim.presets`; nothing imports it but the
entry points and the package's public face (``sim/__init__.py``, for :class:`ElectionModel`).  The
optional libraries are imported only by the module that needs them, so ``import sim.interop`` works
on the core install.
"""
