"""The articles' figures: the registry of claims, their readings as estimands, the consistency audit, and
the reconciliation of claims with a cohort's estimates.

    >>> import outcomes as oc
    >>> len(oc.claims.registry()) > 0
    True
"""

from .catalog import NIDA_RANGE, SOURCES, readings, registry
from .consistency import ClaimsAudit, audit, hazard_ratio_from_risks, hazard_ratio_from_survival

__all__ = ["NIDA_RANGE", "SOURCES", "ClaimsAudit", "audit", "hazard_ratio_from_risks", "hazard_ratio_from_survival",
           "readings", "registry"]
