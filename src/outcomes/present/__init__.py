"""Presentation: results made safe and readable for people (narration in sentences, report tables with
disclosure control applied). Imports every layer below it; renders nothing to files."""
