"""`testigo serve`: the web app (gunicorn, threads) and a background-task worker beside it."""

from __future__ import annotations

import signal
import subprocess
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = (
        "Serve Testigo with gunicorn on loopback, plus one background-task worker "
        "(--no-worker to run workers elsewhere). Put a TLS proxy in front for anything public."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument("--no-worker", action="store_true", help="no task worker")

    def handle(self, *args: Any, **options: Any) -> None:
        web = [
            sys.executable, "-m", "gunicorn", "testigo.config.wsgi:application",
            "--bind", f"{options['host']}:{options['port']}",
            "--workers", str(options["workers"]),
            "--worker-class", "gthread",
            "--threads", str(options["threads"]),
            "--timeout", "120",
        ]  # fmt: skip
        processes = [subprocess.Popen(web)]  # noqa: S603
        if not options["no_worker"]:
            worker = [sys.executable, "-m", "testigo.cli", "db_worker"]
            processes.append(subprocess.Popen(worker))  # noqa: S603
        try:
            processes[0].wait()
        except KeyboardInterrupt:
            pass
        finally:
            for process in processes:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for process in processes:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
