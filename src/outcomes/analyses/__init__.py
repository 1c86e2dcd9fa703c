"""Analyses: pure functions of a Cohort returning frozen results (arm comparisons, competing exits,
secondary outcomes, weighting, parametric extrapolation, power). Imports ``core``, ``stats`` and ``data``."""
