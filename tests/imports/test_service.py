"""`import_file`, the service behind the command and the wizard: the same result on worker
processes as in one process, progress, workbooks and KoboToolbox keys."""

from __future__ import annotations

import pytest

from testigo.audit.services import audit_verify
from testigo.core.models import Record
from testigo.imports.mapfile import SourceMapping
from testigo.imports.rowwork import Lookups
from testigo.imports.services import import_file

from .conftest import FIXED_MAPPING, HEADER, ROWS, TITLE, write_csv, write_xlsx

pytestmark = pytest.mark.django_db


def many_rows(count: int) -> list[list[str]]:
    """The messy rows again and again, each with its own ID so that none repeats."""
    rows = []
    for i in range(count):
        row = list(ROWS[i % len(ROWS)])
        row[1] = f"V-{20_000_000 + i}"
        rows.append(row)
    return rows


def comparable(report: dict) -> dict:
    return {k: v for k, v in report.items() if k not in ("seconds", "workers", "batch", "source")}


def test_worker_processes_give_exactly_the_report_of_one_process(tmp_path):
    path = write_csv(tmp_path / "lista.csv", [TITLE, [], HEADER, *many_rows(300)])
    reports = [
        import_file(
            actor="test",
            path_or_file=path,
            source_name="Foro",
            dry_run=True,
            workers=workers,
            chunk_rows=17,
        ).to_dict()
        for workers in (0, 2)
    ]
    assert reports[1]["workers"] == 2
    assert comparable(reports[0]) == comparable(reports[1])
    assert reports[0]["errors"] == 100 and reports[0]["unresolved_places"][0]["count"] == 50


def test_worker_processes_write_the_same_records_as_one_process(tmp_path):
    path = write_csv(tmp_path / "lista.csv", [HEADER, *many_rows(60)])
    mapping = SourceMapping.from_yaml(FIXED_MAPPING)
    for workers, source in ((0, "A"), (2, "B")):
        report = import_file(
            actor="test",
            path_or_file=path,
            source_name=source,
            mapping=mapping,
            workers=workers,
            chunk_rows=7,
        )
        assert report.written and report.created == 60

    def fields(source: str) -> list[tuple]:
        return list(
            Record.objects.filter(source__name=source)
            .order_by("source_row")
            .values_list(
                "external_key",
                "source_row",
                "raw",
                "given_names",
                "surnames",
                "sex",
                "national_id",
                "event_date",
                "place",
                "act_type",
                "problems",
                "search_text",
                "version",
            )
        )

    assert fields("A") == fields("B")
    assert audit_verify().intact


def test_progress_is_reported_up_to_the_whole_file(tmp_path):
    path = write_csv(tmp_path / "lista.csv", [HEADER, *many_rows(50)])
    seen = []
    import_file(
        actor="test",
        path_or_file=path,
        source_name="Foro",
        dry_run=True,
        progress=seen.append,
        chunk_rows=10,
    )
    assert [p.rows for p in seen if p.phase == "reading"][:3] == [10, 20, 30]
    assert seen[-1].phase == "finishing" and seen[-1].fraction == 1.0


def test_a_workbook_imports_like_a_csv(tmp_path):
    path = write_xlsx(tmp_path / "lista.xlsx", [TITLE, HEADER, *ROWS])
    report = import_file(
        actor="test",
        path_or_file=path,
        source_name="Foro",
        mapping=SourceMapping.from_yaml(FIXED_MAPPING),
    )
    assert report.valid, report.problems
    assert report.validation.format == "xlsx" and report.created == 6
    record = Record.objects.get(source_row=3)
    assert record.raw["Apellidos y nombres"] == "PÉREZ RODRÍGUEZ JOSÉ GREGORIO"


def test_a_kobo_export_is_keyed_by_its_submission_uuid(tmp_path):
    header = [
        "grupo_victima/nombre_completo",
        "grupo_victima/estado",
        "_id",
        "_uuid",
        "_submission_time",
        "_index",
    ]
    rows = [
        ["Ana Pérez", "Lara", "1", "u-1", "2024-08-20T10:00:00", "1"],
        ["Luis Díaz", "Zulia", "2", "u-2", "2024-08-21T10:00:00", "2"],
    ]
    mapping = SourceMapping.from_yaml("columns: {nombre_completo: full_name, estado: state}")
    first = write_csv(tmp_path / "kobo.csv", [header, *rows])
    report = import_file(actor="test", path_or_file=first, source_name="Kobo", mapping=mapping)
    assert report.valid and report.key_column == "_uuid"
    assert sorted(Record.objects.values_list("external_key", flat=True)) == ["u-1", "u-2"]
    second = write_csv(
        tmp_path / "kobo2.csv", [header, rows[1], [*rows[0][:1], "Falcón", *rows[0][2:]]]
    )
    report = import_file(actor="test", path_or_file=second, source_name="Kobo", mapping=mapping)
    assert (report.created, report.new_versions, report.unchanged) == (0, 1, 1)
    assert Record.objects.get(external_key="u-1", version=2).place.code == "VE-I"


def test_the_first_import_on_an_empty_database_loads_the_reference_data(tmp_path):
    path = write_csv(
        tmp_path / "a.csv", [["Nombre", "Estado", "Hecho"], ["Ana Pérez", "Lara", "detenida"]]
    )
    report = import_file(actor="test", path_or_file=path, source_name="Foro")
    record = Record.objects.get()
    assert report.written and record.place.code == "VE-K"
    assert record.act_type.code == "arbitrary_detention"


def test_a_worker_that_fails_stops_the_import_instead_of_hanging(tmp_path):
    from testigo.imports.rowwork import PrepareSettings
    from testigo.imports.services import WorkerFailed, _on_workers
    from testigo.tabular import Row, context_from_pack

    broken = PrepareSettings(
        mapping={"columns": "not a mapping"},
        context=context_from_pack("ve"),
        headers=("Nombre",),
        file="x.csv",
        select_multiple=frozenset(),
        today=None,
        key_column=None,
        layout=None,
        lookups=Lookups(),
    )
    chunks = iter([[Row(n, {"Nombre": "Ana"})] for n in range(2, 40)])
    with pytest.raises(WorkerFailed, match="must map each header"):
        list(_on_workers(chunks, broken, 2, []))


def test_a_deleted_source_is_refused_by_name(tmp_path):
    from testigo.core.models import Source

    Source.objects.create(name="Foro", kind="ngo_list").delete()
    path = write_csv(tmp_path / "a.csv", [["Nombre"], ["Ana Pérez"]])
    report = import_file(actor="test", path_or_file=path, source_name="Foro")
    assert not report.valid and report.validation.fatal.code == "source_deleted"
    assert not Record.all_objects.exists()


@pytest.mark.parametrize(
    ("given", "clean"),
    [
        ("../../etc/lista.csv", "lista.csv"),
        ("C:\\Users\\ana\\lista\x07.csv", "lista.csv"),
        ("\u202egnp.csv", "gnp.csv"),
        ("", "upload"),
    ],
)
def test_hostile_file_names_are_reduced_to_a_plain_name(given, clean):
    from testigo.imports.services import clean_file_name

    assert clean_file_name(given) == clean
