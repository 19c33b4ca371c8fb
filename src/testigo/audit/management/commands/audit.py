"""`testigo audit verify`: check the audit log's hash chain."""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from testigo.audit.services import audit_verify


class Command(BaseCommand):
    help = "Audit log tools. `verify` re-hashes the chain: exit 0 intact, 1 broken."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="verify")
        verify = sub.add_parser("verify", help="check the hash chain of the audit log")
        verify.add_argument("--json", action="store_true", help="print a JSON report")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] != "verify":
            raise CommandError(f"unknown action {options['action']!r}")
        started = time.perf_counter()
        result = audit_verify()
        elapsed = time.perf_counter() - started
        if options["json"]:
            report: dict[str, Any] = {"intact": result.intact, "checked": result.checked}
            if result.broken:
                report["first_bad_entry"] = result.broken.seq
                report["reason"] = result.broken.reason
            self.stdout.write(json.dumps(report))
        elif result.intact:
            self.stdout.write(
                f"Audit log intact: {result.checked:,} entries verified in {elapsed:.1f} s."
            )
        else:
            assert result.broken is not None
            self.stderr.write(
                f"Audit log BROKEN at entry {result.broken.seq}: {result.broken.reason}. "
                f"({result.checked:,} entries read.)"
            )
        if not result.intact:
            raise SystemExit(1)
