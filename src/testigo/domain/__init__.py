"""Pure-Python domain layer: values and algorithms that never import Django."""
