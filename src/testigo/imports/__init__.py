"""Imports into the database: sources' spreadsheets and form exports as records, with provenance."""
