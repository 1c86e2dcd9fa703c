"""De-identification: identifiers found by name and content, Safe Harbor transforms, keyed pseudonyms
that link quarters, and the re-identification risk that remains."""

from ..sources.extract.detect import find_identifiers
from .deidentify import LEVELS, DeidentifiedExtract, deidentify
from .risk import ReidentificationRisk, reidentification_risk
from .safe_harbor import RESTRICTED_ZIP3, load_key, new_key, pseudonyms, safe_zip3

__all__ = ["DeidentifiedExtract", "LEVELS", "RESTRICTED_ZIP3", "ReidentificationRisk", "deidentify",
           "find_identifiers", "load_key", "new_key", "pseudonyms", "reidentification_risk", "safe_zip3"]
