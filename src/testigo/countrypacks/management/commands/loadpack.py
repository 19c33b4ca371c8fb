"""`testigo loadpack ve` or `testigo loadpack path/to/pack`: load a country pack."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from testigo.audit.context import acting_as
from testigo.countrypacks.packfile import PackError
from testigo.countrypacks.services import pack_load


class Command(BaseCommand):
    help = "Load a country pack (a built-in code such as 've', or a directory). Idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("pack", help="built-in pack code or pack directory")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            with acting_as("system:loadpack"):
                report = pack_load(options["pack"])
        except PackError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Pack {report.code}: {report.places_created} places, {report.bodies_created} bodies, "
            f"{report.facilities_created} facilities created; {report.updated} updated."
        )
