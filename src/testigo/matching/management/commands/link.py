"""`testigo link`: deduplicate person records.

File mode (DESIGN.md §6), no database needed:
    testigo link --input records.csv --output clusters.csv [--json]
Database mode: link the records in the database into persons and refresh the review queue:
    testigo link --database
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from testigo.audit.context import acting_as
from testigo.linkage import LinkInputError, link_csv


class Command(BaseCommand):
    help = (
        "Find the same person across records. --input/--output: a CSV file (record_id, source, "
        "given_names, family_names, sex, birth_date, national_id, state, municipality, "
        "event_date) to record_id,person_id. --database: link the database's records."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--input", help="person records CSV (file mode)")
        parser.add_argument("--output", help="where to write record_id,person_id (file mode)")
        parser.add_argument("--database", action="store_true", help="link the database records")
        parser.add_argument("--json", action="store_true", help="print a JSON report")
        parser.add_argument("--no-progress", action="store_true", help="no progress display")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["database"]:
            self._database(options)
            return
        if not options["input"] or not options["output"]:
            raise CommandError("give --input and --output (file mode), or --database")
        try:
            report = link_csv(
                options["input"],
                options["output"],
                progress=not options["no_progress"] and not options["json"],
            )
        except (LinkInputError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps(report.to_json_dict()))
        else:
            self.stdout.write(report.summary())

    def _database(self, options: dict[str, Any]) -> None:
        from testigo.matching.services import linkage_run

        bar = tqdm(total=100, desc="linkage", disable=options["no_progress"] or options["json"])
        stages: dict[str, float] = {}

        def progress(stage: str, fraction: float) -> None:
            stages[stage] = fraction
            bar.n = int(100 * sum(stages.values()) / max(len(stages), 1) * len(stages) / 5)
            bar.set_postfix_str(stage)
            bar.refresh()

        try:
            with acting_as("system:link"):
                run = linkage_run(progress=progress)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            bar.close()
        report = {"run": run.pk, "records": run.records, "persons": run.persons, **run.stats}
        if options["json"]:
            self.stdout.write(json.dumps(report, default=str))
        else:
            self.stdout.write(
                f"Linked {run.records:,} records into {run.persons:,} persons; "
                f"{run.stats.get('pairs_to_review', 0):,} pairs wait for review."
            )
