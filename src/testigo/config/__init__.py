"""Wiring only: settings read from the environment, URLs, WSGI/ASGI entry points."""
