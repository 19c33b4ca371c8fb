"""Estimates in the database: capture histories from linked persons, runs as background tasks."""
