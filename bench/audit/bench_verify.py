"""Benchmark: `testigo audit verify` over N audit entries (default 1,000,000).

Writes N entries through the real service (``audit_record_many``) into a fresh database, then
times the verification, next to two anchors measured in the same run on the same bytes:
reading the rows alone, and `sha256sum` over a file holding the same entry text.

    .venv/bin/python bench/audit/bench_verify.py [--entries 1000000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="testigo-bench-audit-"))
    os.environ["TESTIGO_DATA_DIR"] = str(work)
    os.environ["TESTIGO_DATABASE_URL"] = args.database_url or f"sqlite:///{work}/bench.sqlite3"
    os.environ["DJANGO_SETTINGS_MODULE"] = "testigo.config.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from testigo.audit.models import AuditEntry
    from testigo.audit.services import Change, audit_record_many, audit_verify

    call_command("migrate", verbosity=0, interactive=False)
    if AuditEntry.objects.exists():
        sys.exit("the benchmark needs an empty database")

    started = time.perf_counter()
    batch = 20_000
    for first in range(0, args.entries, batch):
        changes = [
            Change(
                "update",
                "core.record",
                str(i),
                {
                    "id": i,
                    "surnames": "Pérez Rodríguez",
                    "given_names": "José Gregorio",
                    "national_id": f"V{10_000_000 + i}",
                    "event_date": "2024-08",
                },
                {
                    "id": i,
                    "surnames": "Pérez Rodríguez",
                    "given_names": "José Gregorio",
                    "national_id": f"V{10_000_000 + i}",
                    "event_date": "2024-08-15",
                },
            )
            for i in range(first, min(first + batch, args.entries))
        ]
        with transaction.atomic():
            audit_record_many(changes, actor="bench:audit")
    write_s = time.perf_counter() - started

    started = time.perf_counter()
    result = audit_verify()
    verify_s = time.perf_counter() - started
    assert result.intact and result.checked == args.entries, result

    # The user's command in its own process, for its own peak memory.
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "testigo.cli", "audit", "verify"], check=True, env=os.environ
    )
    command_s = time.perf_counter() - started
    command_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    # Anchor 1: only reading the same rows, no hashing.
    dump = work / "entries.txt"
    started = time.perf_counter()
    with connection.cursor() as cursor, dump.open("w", encoding="utf-8") as out:
        cursor.execute(
            "SELECT seq, recorded_at, actor, action, object_type, object_id, before, after, "
            "prev_hash FROM audit_auditentry ORDER BY seq"
        )
        while rows := cursor.fetchmany(20_000):
            out.writelines("\t".join(map(str, row)) + "\n" for row in rows)
    read_s = time.perf_counter() - started

    # Anchor 2: sha256sum over the same entry text in one stream.
    started = time.perf_counter()
    subprocess.run(["sha256sum", str(dump)], check=True, capture_output=True)
    sha_s = time.perf_counter() - started

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    vendor = connection.vendor
    print(f"database            {vendor}")
    print(f"entries             {args.entries:,}")
    print(f"entry text          {dump.stat().st_size / 1e6:,.0f} MB")
    print(f"write (service)     {write_s:8.1f} s  ({args.entries / write_s:,.0f} entries/s)")
    print(f"verify (in process) {verify_s:8.2f} s  (target < 10 s)")
    print(
        f"`testigo audit verify` {command_s:5.2f} s, peak RSS {command_mb:.0f} MB (incl. start-up)"
    )
    print(f"anchor: read+dump   {read_s:8.2f} s  (verify / read = {verify_s / read_s:.2f})")
    print(f"anchor: sha256sum   {sha_s:8.2f} s  (verify / sha256sum = {verify_s / sha_s:.2f})")
    print(f"bench peak RSS      {peak_mb:8.0f} MB (includes writing the entries)")


if __name__ == "__main__":
    main()
