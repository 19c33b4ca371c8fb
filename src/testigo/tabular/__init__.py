"""Reading the spreadsheets and form exports NGOs keep: streaming readers, mappings, validation
and injection-safe export. Pure Python: never imports Django (the import service, provenance and
the web wizard build on this).

    from testigo.tabular import Mapping, RowMapper, open_table, validate, context_from_pack

    context = context_from_pack("ve")
    report = validate("lista.xlsx", context=context, mapping=Mapping.load("foro.yaml"))
    print(report.valid, report.errors, [p.to_dict() for p in report.problems[:10]])

    with open_table("lista.xlsx", **mapping.reader_options()) as table:     # the import itself
        mapper = RowMapper(mapping, context, headers=table.record_headers(), file=table.name,
                           select_multiple=table.select_multiple)
        for mapped in mapper.map_rows(table.records()):
            ...  # mapped.fields, mapped.row.payload, mapped.row.number, mapped.problems
        digest = table.sha256

Modules: `table` (open_table, Row, Table), `textio` and `csvfile` (CSV bytes → rows),
`workbook` (XLSX/ODS, zip-bomb checks), `kobo` (KoboToolbox/ODK layouts and repeat groups),
`mapping` (Mapping, auto_mapping, suggest_fields), `transform` (RowMapper), `validate`
(the dry run), `export` (export_rows), `errors` (the exception tree), `context`.
"""

from testigo.tabular.cells import looks_like_formula, neutralise
from testigo.tabular.context import context_from_pack
from testigo.tabular.errors import (
    DuplicateColumnsError,
    EmptyFileError,
    EncodingError,
    MalformedFileError,
    MappingError,
    RowLimitError,
    TabularError,
    UnsafeFileError,
    UnsupportedFormatError,
)
from testigo.tabular.export import export_rows
from testigo.tabular.mapping import (
    FIELDS,
    IGNORE,
    ColumnRule,
    Mapping,
    Suggestion,
    auto_mapping,
    place_key,
    suggest_fields,
)
from testigo.tabular.problems import Problem
from testigo.tabular.rows import Progress, Row, RowRef
from testigo.tabular.table import DEFAULT_MAX_ROWS, Table, open_table, sha256_file
from testigo.tabular.transform import (
    MappedRow,
    PlaceCandidate,
    RowMapper,
    UnmatchedValue,
    UnresolvedPlace,
)
from testigo.tabular.validate import Preview, ValidationReport, preview, validate
from testigo.tabular.workbook import ZipLimits

__all__ = [
    "DEFAULT_MAX_ROWS",
    "FIELDS",
    "IGNORE",
    "ColumnRule",
    "DuplicateColumnsError",
    "EmptyFileError",
    "EncodingError",
    "MalformedFileError",
    "MappedRow",
    "Mapping",
    "MappingError",
    "PlaceCandidate",
    "Preview",
    "Problem",
    "Progress",
    "Row",
    "RowLimitError",
    "RowMapper",
    "RowRef",
    "Suggestion",
    "Table",
    "TabularError",
    "UnmatchedValue",
    "UnresolvedPlace",
    "UnsafeFileError",
    "UnsupportedFormatError",
    "ValidationReport",
    "ZipLimits",
    "auto_mapping",
    "context_from_pack",
    "export_rows",
    "looks_like_formula",
    "neutralise",
    "open_table",
    "place_key",
    "preview",
    "sha256_file",
    "suggest_fields",
    "validate",
]
