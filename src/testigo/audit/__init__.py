"""Append-only, hash-chained audit log of every change and every sensitive read."""
