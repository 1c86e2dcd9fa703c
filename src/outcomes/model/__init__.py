"""The data model: the canonical schema, the validated :class:`~outcomes.Cohort`, episodes ((start, stop] rows),
the outcome registry, the as-of rule, dates, validation and design matrices. Imports only ``core`` and ``stats``."""
