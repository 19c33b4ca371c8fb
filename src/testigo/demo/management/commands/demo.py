"""`testigo demo`: migrate, load the synthetic demo data, create demo users, serve."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from testigo.audit.context import acting_as
from testigo.demo.services import demo_cases_ensure, demo_load, demo_users_ensure
from testigo.matching.models import LinkageRun
from testigo.matching.services import linkage_run


class Command(BaseCommand):
    help = (
        "Set up a demo: migrate, load the synthetic data set (idempotent), create demo users, "
        "print their logins and serve on 127.0.0.1:8000. All data is synthetic."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--records", type=int, default=20_000, help="records to generate")
        parser.add_argument("--seed", type=int, default=2024, help="generator seed")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true", help="set up, then exit")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        with acting_as("system:demo"):
            report = demo_load(n_records=options["records"], seed=options["seed"], progress=True)
            logins = demo_users_ensure()
        if not LinkageRun.objects.exists():
            self.stdout.write("Linking records into persons (once; takes a minute) ...")
            with acting_as("system:demo"):
                run = linkage_run()
                demo_cases_ensure()
            self.stdout.write(
                f"Linked {run.records:,} records into {run.persons:,} persons; "
                f"{run.stats.get('pairs_to_review', 0):,} pairs wait for review."
            )
        if report.created:
            self.stdout.write(
                f"Loaded {report.records:,} synthetic records from {report.sources} sources "
                f"({report.problems:,} values the sources gave could not be read; see each "
                "record's problems)."
            )
        else:
            self.stdout.write(f"Demo data already loaded ({report.records:,} records).")
        self.stdout.write(f"Data directory: {settings.DATA_DIR}")
        self.stdout.write("Demo logins (role, user, password):")
        for role, username, password in logins:
            self.stdout.write(f"  {role:<14} {username:<20} {password}")
        if options["no_serve"]:
            return
        self.stdout.write(f"Serving on http://127.0.0.1:{options['port']}/ (Ctrl-C stops)")
        call_command("serve", "--port", str(options["port"]))
