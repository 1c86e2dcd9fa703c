"""Where cohorts come from: program extracts and their mappings, scans of files and engines (DuckDB, Spark),
and count tables. Everything here hands back a model object (a ``Cohort``, a ``ScannedCohort``, a ``CountTable``)."""
