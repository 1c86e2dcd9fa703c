"""Generated data: the articles' scenarios, synthetic cohorts with known truths, and synthetic twins of a real
cohort."""
