"""The presets as data: Hydra's config groups (scenario, policy, province, experiment) and the root config.

YAML files only; this module makes the folder a package so that Hydra (``pkg://sim.conf``) and
:mod:`sim.presets` find the presets inside an installed wheel as in a checkout.  It imports nothing.
"""
