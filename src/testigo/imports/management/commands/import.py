"""`testigo import FILE --source NAME [--mapping MAP.yaml] [--dry-run] [--json]` (DESIGN.md §6).

Exit status: 0 when the file was imported (or, with --dry-run, would be); 1 when the input is
invalid, and then nothing was written. Every problem names its file, row and column.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from testigo.imports.mapfile import SourceMapping
from testigo.imports.services import ImportProgress, ImportReport, import_file
from testigo.tabular import DEFAULT_MAX_ROWS, MappingError

SHOWN_PROBLEMS = 50


class Command(BaseCommand):
    help = (
        "Import a CSV, XLSX or ODS file, or a KoboToolbox/ODK export, as records of a source "
        "(created if new). All or nothing: a file with any error writes nothing (exit 1) and "
        "every problem is listed with its row and column. Without --mapping, the mapping saved "
        "for the source is used, else recognised Spanish and English headers are placed and "
        "the other columns are kept in each record's raw row and listed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the file to import")
        parser.add_argument("--source", required=True, help="the source's name")
        parser.add_argument(
            "--mapping",
            help="a YAML mapping (columns, key, dates, names, places, value tables)",
        )
        parser.add_argument("--dry-run", action="store_true", help="check and report only")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")
        parser.add_argument(
            "--save-mapping",
            action="store_true",
            help="keep the mapping used as the source's mapping (when the import succeeds)",
        )
        parser.add_argument(
            "--ignore-saved-mapping",
            action="store_true",
            help="do not use the source's saved mapping (place recognised headers instead)",
        )
        parser.add_argument(
            "--row-limit",
            type=int,
            default=DEFAULT_MAX_ROWS,
            help=f"stop after this many data rows (default {DEFAULT_MAX_ROWS:,})",
        )
        parser.add_argument(
            "--workers", type=int, default=None, help="processes that normalise rows (0: none)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file", returncode=1)
        if options["row_limit"] < 1:
            raise CommandError("--row-limit must be 1 or more", returncode=1)
        mapping = None
        if options["mapping"]:
            try:
                mapping = SourceMapping.load(options["mapping"])
            except MappingError as exc:
                raise CommandError(str(exc), returncode=1) from None
        quiet = options["json"]
        bar = tqdm(
            total=100,
            unit="%",
            desc=path.name[:30],
            disable=quiet or options["verbosity"] == 0,
            file=sys.stderr,
            bar_format="{desc}: {percentage:3.0f}%|{bar}| [{elapsed}<{remaining}{postfix}]",
        )

        def progress(p: ImportProgress) -> None:
            if p.fraction is not None:
                bar.n = round(100 * p.fraction)
            bar.set_postfix_str(f"{p.rows:,} rows", refresh=False)
            bar.refresh()

        try:
            report = import_file(
                actor="system:import",
                path_or_file=path,
                source_name=options["source"],
                mapping=mapping,
                dry_run=options["dry_run"],
                progress=progress,
                save_mapping=options["save_mapping"],
                use_saved_mapping=not options["ignore_saved_mapping"],
                row_limit=options["row_limit"],
                workers=options["workers"],
            )
        finally:
            bar.close()
        if options["mapping"] and report.mapping_origin == "given":
            report.mapping_origin = f"given: {options['mapping']}"
        if quiet:
            self.stdout.write(json.dumps(report.to_dict(), ensure_ascii=False, default=str))
        else:
            self.stdout.write(summary(report, save_mapping=options["save_mapping"]))
        if not report.valid:
            sys.exit(1)


def _place(problem: dict[str, Any] | Any) -> str:
    where = [problem.file]
    if problem.sheet:
        where.append(f"sheet {problem.sheet}")
    if problem.row is not None:
        where.append(f"row {problem.row}")
    if problem.column:
        where.append(f"column {problem.column!r}")
    return ", ".join(where)


def summary(report: ImportReport, *, save_mapping: bool = False) -> str:
    """The report for a person at a terminal."""
    v = report.validation
    lines = []
    read = [v.format.upper() if v.format else "?"]
    if v.encoding:
        read.append(v.encoding)
    if v.delimiter:
        read.append(f"delimiter {v.delimiter!r}")
    if v.sheet:
        read.append(f"sheet {v.sheet!r}")
    if v.kobo:
        read.append("KoboToolbox/ODK export")
    lines.append(f"{v.file} → source {report.source!r} ({', '.join(read)})")
    lines.append(f"mapping: {report.mapping_origin}")
    lines.append(
        f"key: column {report.key_column!r}" if report.key_column else "key: the row number"
    )
    if v.mapped:
        lines.append("columns placed: " + ", ".join(f"{h} → {f}" for h, f in v.mapped.items()))
    if v.unmapped:
        kept = ", ".join(v.unmapped)
        lines.append(f"kept only in each record's raw row (not mapped): {kept}")
    lines.append(
        f"rows: {v.rows_read:,} read, {v.records:,} records, {v.records_with_errors:,} with "
        f"errors; {v.errors:,} errors, {v.warnings:,} warnings"
    )
    problems = ([v.fatal] if v.fatal else []) + v.problems
    if problems:
        lines.append("problems:")
        for problem in problems[:SHOWN_PROBLEMS]:
            value = f" {problem.value!r}" if problem.value else ""
            lines.append(f"  {_place(problem)}:{value} {problem.reason} [{problem.severity}]")
        hidden = v.errors + v.warnings - min(len(problems), SHOWN_PROBLEMS)
        if hidden > 0:
            lines.append(f"  … and {hidden:,} more (--json lists them all)")
    if v.unresolved_places:
        lines.append("places to resolve (add them under 'places:' in the mapping):")
        for place in v.unresolved_places[:20]:
            nearest = ", ".join(f"{c.name} ({c.code})" for c in place.candidates[:3])
            lines.append(
                f"  {place.text!r}: {place.count:,} rows"
                + (f"; nearest: {nearest}" if nearest else "")
            )
    if v.unmatched_values:
        lines.append("values with no vocabulary term (add them under the column's 'values:'):")
        for value in v.unmatched_values[:20]:
            lines.append(f"  {value.column}: {value.value!r} ({value.count:,} rows)")
    counts = (
        f"{report.created:,} created, {report.new_versions:,} new versions, "
        f"{report.unchanged:,} unchanged"
    )
    if not report.valid:
        lines.append("invalid input: nothing was written.")
    elif report.dry_run:
        lines.append(f"dry run, nothing written; an import would give {counts}.")
    else:
        lines.append(f"imported: {counts} (batch {report.batch_id}, {report.seconds:,.1f} s).")
        if save_mapping:
            lines.append(f"the mapping is saved for {report.source!r}.")
    return "\n".join(lines)
