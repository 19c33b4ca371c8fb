"""The record: sources, records, persons, incidents, violations, detentions, cases, vocabularies."""
