"""The dry run: read a whole file through its mapping and report every problem, writing nothing."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from testigo.domain.reported import ReportedContext
from testigo.tabular.errors import TabularError
from testigo.tabular.mapping import Mapping, Suggestion, auto_mapping, suggest_fields
from testigo.tabular.problems import Problem, ProblemLog
from testigo.tabular.rows import Progress
from testigo.tabular.table import DEFAULT_MAX_ROWS, Source, open_table
from testigo.tabular.transform import RowMapper, UnmatchedValue, UnresolvedPlace
from testigo.tabular.workbook import ZipLimits

__all__ = ["Preview", "ValidationReport", "preview", "validate"]


@dataclass
class ValidationReport:
    """What a dry run found. `valid` is what an all-or-nothing import checks."""

    file: str
    sha256: str | None = None
    format: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    kobo: bool = False
    headers: list[str] = field(default_factory=list)
    mapped: dict[str, str] = field(default_factory=dict)  # header → field
    unmapped: list[str] = field(default_factory=list)  # kept in the raw payload only
    unmapped_with_data: list[str] = field(default_factory=list)
    mapping_used: dict[str, Any] = field(default_factory=dict)  # `Mapping.to_dict()`
    rows_read: int = 0  # every data row, repeat-group rows included
    records: int = 0  # rows that would become records
    records_with_errors: int = 0
    blank_rows: int = 0
    errors: int = 0
    warnings: int = 0
    problem_counts: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    problems_truncated: bool = False
    unresolved_places: list[UnresolvedPlace] = field(default_factory=list)
    unmatched_values: list[UnmatchedValue] = field(default_factory=list)
    fatal: Problem | None = None  # why reading stopped, if it did

    @property
    def valid(self) -> bool:
        """True if the file can be imported: read to the end, with no error-level problem."""
        return self.fatal is None and self.errors == 0 and self.records > 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (for ``testigo import --dry-run --json`` and the web wizard)."""
        data = asdict(self)
        data["valid"] = self.valid
        return data


def validate(
    source: Source,
    *,
    context: ReportedContext,
    mapping: Mapping | None = None,
    name: str | None = None,
    max_rows: int = DEFAULT_MAX_ROWS,
    max_problems: int = 10_000,
    today: date | None = None,
    zip_limits: ZipLimits | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> ValidationReport:
    """Read the whole file with `mapping` (or `auto_mapping`) and report; never writes.

    A file that cannot be read at all (empty, unknown encoding, zip bomb, duplicate columns,
    too many rows, ...) gives a report whose `fatal` problem says why; nothing is raised for
    bad input. At most `max_problems` problems are kept, all are counted.
    """
    report = ValidationReport(file=name or Path(str(getattr(source, "name", source))).name)
    log = ProblemLog(max_problems)
    options = mapping.reader_options() if mapping else {}
    try:
        table = open_table(
            source,
            name=name,
            max_rows=max_rows,
            zip_limits=zip_limits,
            on_progress=on_progress,
            **options,
        )
    except TabularError as exc:
        return _fatal(report, exc)
    with table:
        report.file = table.name
        report.format, report.sheet, report.kobo = table.format, table.sheet, table.kobo
        report.delimiter = table.delimiter
        records_sheet = mapping.records_sheet if mapping else None
        try:
            headers = table.record_headers(records_sheet)
            mapping = mapping or auto_mapping(headers)
            mapper = RowMapper(
                mapping,
                context,
                headers=headers,
                file=table.name,
                select_multiple=table.select_multiple,
                today=today,
            )
        except TabularError as exc:
            return _fatal(report, exc)
        report.headers = headers
        report.mapped = {header: rule.field for header, rule in mapper.rules}
        report.unmapped = list(mapper.unmapped)
        report.mapping_used = mapping.to_dict()
        unmapped_seen: set[str] = set()
        unmapped = mapper.unmapped
        try:
            for mapped in mapper.map_rows(table.records(records_sheet)):
                report.records += 1
                if not mapped.ok:
                    report.records_with_errors += 1
                for problem in mapped.problems:
                    log.add(problem)
                for header in unmapped:
                    if header not in unmapped_seen and mapped.row.values.get(header, "").strip():
                        unmapped_seen.add(header)
        except TabularError as exc:
            _fatal(report, exc)
        report.rows_read = table.rows_read
        report.blank_rows = table.blank_rows
        report.encoding = table.encoding
        report.unmapped_with_data = [h for h in unmapped if h in unmapped_seen]
        for problem in [*table.problems.items, *mapper.column_problems()]:
            log.add(problem)
        if report.fatal is None:
            report.sha256 = table.sha256
            if report.records == 0:
                log.add(
                    Problem(
                        table.name,
                        None,
                        None,
                        "",
                        "the file has a header but no data rows",
                        "no_rows",
                    )
                )
    report.errors, report.warnings = log.errors, log.warnings
    report.problem_counts = dict(log.by_code)
    report.problems = sorted(log.items, key=lambda p: (p.sheet or "", p.row or 0))
    report.problems_truncated = log.truncated
    report.unresolved_places = mapper.unresolved_places()
    report.unmatched_values = mapper.unmatched_values()
    return report


def _fatal(report: ValidationReport, exc: TabularError) -> ValidationReport:
    report.fatal = Problem(report.file, None, None, "", str(exc), exc.code)
    report.errors += 1
    return report


@dataclass
class Preview:
    """The first rows of a file and what each column probably holds (the wizard's first page).

    `mapped` is what the automatic mapping (or the given one) places; `suggestions` rank fields
    for every header. `encoding` is final only if a non-ASCII byte was among the rows read.
    """

    file: str
    format: str
    encoding: str | None
    delimiter: str | None
    sheet: str | None
    sheets: list[str]
    kobo: bool
    header_row: int
    headers: list[str]
    rows: list[dict[str, str]]
    row_numbers: list[int]
    mapped: dict[str, str]
    suggestions: dict[str, list[Suggestion]]
    problems: list[Problem]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def preview(
    source: Source,
    *,
    mapping: Mapping | None = None,
    name: str | None = None,
    rows: int = 20,
    today: date | None = None,
) -> Preview:
    """Read the header and the first `rows` rows, and suggest a field for each column.

    Raises:
        TabularError: the file cannot be read (the message says why).
    """
    options = mapping.reader_options() if mapping else {}
    records_sheet = mapping.records_sheet if mapping else None
    with open_table(source, name=name, **options) as table:
        headers = table.record_headers(records_sheet)
        first = list(itertools.islice(table.records(records_sheet), rows))
        used = mapping or auto_mapping(headers)
        return Preview(
            file=table.name,
            format=table.format,
            encoding=table.encoding,
            delimiter=table.delimiter,
            sheet=table.sheet,
            sheets=table.sheets,
            kobo=table.kobo,
            header_row=table.header_row,
            headers=headers,
            rows=[row.values for row in first],
            row_numbers=[row.number for row in first],
            mapped={h: rule.field for h in headers if (rule := used.rule_for(h)) is not None},
            suggestions=suggest_fields(headers, [row.values for row in first], today=today),
            problems=list(table.problems.items),
        )
