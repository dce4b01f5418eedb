"""The Hydra configuration shipped with the package: scenario, policy and experiment presets.

Hydra reads it as ``pkg://sim.conf`` and :mod:`sim.presets` reads the same files, so a wheel needs
no checkout.  YAML only: it holds no code and imports nothing.
"""
