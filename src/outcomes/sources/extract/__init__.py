"""Program extracts: mappings, privacy at the door, as-of censoring, drug-screen rules, row-level reports."""

from .draft import MappingDraft, draft_mapping
from .events import read_events
from .interviews import read_interviews
from .mapping import Mapping, infer_mapping, load_mapping
from .read import IngestionReport, check_exclusions, read_extract, validate_extract
from .screens import derive_relapse, derive_retention

__all__ = ["IngestionReport", "MappingDraft", "check_exclusions", "draft_mapping", "Mapping", "derive_relapse",
           "derive_retention", "infer_mapping", "load_mapping", "read_events", "read_extract", "read_interviews",
           "validate_extract"]
