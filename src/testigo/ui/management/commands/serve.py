"""`testigo serve`: run the web app with gunicorn (threads), bound to loopback by default."""

from __future__ import annotations

import os
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve Testigo with gunicorn. Put a TLS-terminating proxy in front for anything public."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--threads", type=int, default=8)

    def handle(self, *args: Any, **options: Any) -> None:
        argv = [
            "gunicorn",
            "testigo.config.wsgi:application",
            "--bind", f"{options['host']}:{options['port']}",
            "--workers", str(options["workers"]),
            "--worker-class", "gthread",
            "--threads", str(options["threads"]),
            "--access-logfile", "-",
            "--timeout", "120",
        ]  # fmt: skip
        os.execvp(sys.executable, [sys.executable, "-m", *argv])  # noqa: S606
