"""Linkage in the database: runs of the engine, persons from clusters, the review queue."""
