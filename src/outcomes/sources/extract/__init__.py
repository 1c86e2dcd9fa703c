"""Program extracts: mappings, privacy at the door, as-of censoring, drug-screen rules, row-level reports."""

from .mapping import Mapping, infer_mapping, load_mapping
from .read import IngestionReport, read_extract, validate_extract
from .screens import derive_relapse, derive_retention

__all__ = ["IngestionReport", "Mapping", "derive_relapse", "derive_retention", "infer_mapping", "load_mapping",
           "read_extract", "validate_extract"]
