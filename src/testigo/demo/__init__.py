"""Synthetic demo data: a seeded generator of true persons, events and messy source records.

`testigo.demo.generator` is pure Python and never imports Django. The Django app in this package
loads what it generates.
"""
