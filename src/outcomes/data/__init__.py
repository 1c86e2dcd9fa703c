"""Data: the canonical schema, the validated :class:`~outcomes.Cohort`, the outcome registry, as-of views,
program extracts and synthetic cohorts. Imports only ``core`` and ``stats``."""
