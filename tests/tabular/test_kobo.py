"""KoboToolbox/ODK exports: question names, select_multiple, and repeat groups as child rows."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from testigo.tabular import RowMapper, RowRef, TabularError, auto_mapping, open_table, validate

MAIN = "Registro de detenciones"
MAIN_HEADER = [
    "start",
    "grupo_victima/nombres",
    "grupo_victima/apellidos",
    "grupo_victima/cedula",
    "grupo_hecho/fecha_de_detencion",
    "grupo_hecho/estado",
    "grupo_hecho/hecho",
    "grupo_hecho/hecho/detencion",
    "grupo_hecho/hecho/tortura",
    "grupo_hecho/hecho/desaparicion",
    "meta/instanceID",
    "_id",
    "_uuid",
    "_submission_time",
    "_index",
]
SUBMITTED = datetime(2024, 9, 1, 10, 0)
MAIN_ROWS = [
    [SUBMITTED, "José Gregorio", "Pérez", 12345678, date(2024, 8, 15), "Lara",
     "detencion tortura", 1, 1, 0, "uuid:a1", 101, "a1", SUBMITTED, 1],
    [SUBMITTED, "María", "González", "V-13.456.789", "2024-08-03", "Miranda",
     "detencion", 1, 0, 0, "uuid:b2", 102, "b2", SUBMITTED, 2],
    [SUBMITTED, "Pedro", "Mora", "9876543", "2024-08-20", "Zulia",
     "desaparicion", 0, 0, 1, "uuid:c3", 103, "c3", SUBMITTED, 3],
]  # fmt: skip
REPEAT = "familiares"
REPEAT_HEADER = [
    "grupo_familia/familiares/parentesco",
    "grupo_familia/familiares/nombre_familiar",
    "_index",
    "_parent_table_name",
    "_parent_index",
    "_submission__uuid",
]
REPEAT_ROWS = [
    ["madre", "Ana Rodríguez", 1, MAIN, 1, "a1"],
    ["hermano", "Luis Pérez", 2, MAIN, 1, "a1"],
    ["esposa", "Rosa Mora", 3, MAIN, 3, "c3"],
]


@pytest.fixture
def kobo_xlsx(tmp_path, write_xlsx):
    return write_xlsx(
        tmp_path / "kobo.xlsx",
        {MAIN: [MAIN_HEADER, *MAIN_ROWS], REPEAT: [REPEAT_HEADER, *REPEAT_ROWS]},
    )


def read_all(path, **options):
    with open_table(path, **options) as table:
        return table, list(table)


def test_group_paths_become_question_names_and_meta_columns_keep_theirs(kobo_xlsx):
    table, rows = read_all(kobo_xlsx)
    assert table.kobo
    assert table.headers == [
        "start", "nombres", "apellidos", "cedula", "fecha_de_detencion", "estado", "hecho",
        "instanceID", "_id", "_uuid", "_submission_time", "_index",
    ]  # fmt: skip
    first = rows[0]
    assert first.values["nombres"] == "José Gregorio"
    assert first.values["cedula"] == "12345678"
    assert first.payload["grupo_victima/nombres"] == "José Gregorio"  # the raw row is kept


def test_select_multiple_option_columns_fold_into_the_question(kobo_xlsx):
    table, rows = read_all(kobo_xlsx)
    assert "hecho" in table.select_multiple
    main_rows = [r for r in rows if r.sheet == MAIN]
    assert [r.values["hecho"] for r in main_rows] == [
        "detencion tortura",
        "detencion",
        "desaparicion",
    ]
    assert "detencion" not in main_rows[0].values  # the 0/1 columns stay in the raw row only
    assert main_rows[0].payload["grupo_hecho/hecho/tortura"] == "1"


def test_select_multiple_is_rebuilt_from_0_1_columns_when_its_own_column_is_missing(tmp_path):
    path = tmp_path / "kobo.csv"
    path.write_text(
        "nombres;hecho/detencion;hecho/tortura;hecho/amenaza;_uuid\nAna;1;0;1;u1\nLuis;0;1;0;u2\n",
        encoding="utf-8",
    )
    table, rows = read_all(path)
    assert table.kobo and "hecho" in table.select_multiple
    assert [r.values["hecho"] for r in rows] == ["detencion amenaza", "tortura"]
    assert rows[0].values["tortura"] == "0"  # the option columns are kept too


def test_repeat_rows_follow_their_parent_and_are_linked_to_it(kobo_xlsx):
    table, rows = read_all(kobo_xlsx)
    assert table.repeat_sheets == {REPEAT: ["parentesco", "nombre_familiar", "_index",
                                            "_parent_table_name", "_parent_index",
                                            "_submission__uuid"]}  # fmt: skip
    assert [(r.sheet, r.number, r.parent) for r in rows] == [
        (MAIN, 2, None),
        (REPEAT, 2, RowRef(MAIN, 2)),
        (REPEAT, 3, RowRef(MAIN, 2)),
        (MAIN, 3, None),
        (MAIN, 4, None),
        (REPEAT, 4, RowRef(MAIN, 4)),
    ]
    assert rows[1].values["nombre_familiar"] == "Ana Rodríguez"
    assert table.rows_read == 6


def test_records_carry_their_repeat_rows_as_children(kobo_xlsx):
    with open_table(kobo_xlsx) as table:
        records = list(table.records())
    assert [r.number for r in records] == [2, 3, 4]
    assert [[c.values["parentesco"] for c in r.children or []] for r in records] == [
        ["madre", "hermano"], [], ["esposa"]
    ]  # fmt: skip


def test_a_record_fingerprint_changes_when_a_repeat_row_changes(kobo_xlsx, tmp_path, write_xlsx):
    changed = [[*REPEAT_ROWS[0][:1], "Ana R. de Pérez", *REPEAT_ROWS[0][2:]], *REPEAT_ROWS[1:]]
    other = write_xlsx(
        tmp_path / "kobo2.xlsx",
        {MAIN: [MAIN_HEADER, *MAIN_ROWS], REPEAT: [REPEAT_HEADER, *changed]},
    )
    prints = []
    for path in (kobo_xlsx, kobo_xlsx, other):
        with open_table(path) as table:
            prints.append([record.fingerprint() for record in table.records()])
    assert prints[0] == prints[1]
    assert prints[2][0] != prints[0][0] and prints[2][1:] == prints[0][1:]


def test_records_can_come_from_a_repeat_sheet_carrying_their_parents_values(tmp_path, write_xlsx):
    path = write_xlsx(
        tmp_path / "denuncias.xlsx",
        {
            "Denuncia": [
                ["fecha", "estado", "hecho", "_uuid", "_index"],
                ["2024-08-15", "Lara", "detencion", "a", 1],
                ["2024-08-16", "Zulia", "detencion", "b", 2],
                ["2024-08-17", "Falcón", "amenaza", "c", 3],
            ],
            "victimas": [
                ["victimas/nombres", "victimas/apellidos", "_index", "_parent_table_name",
                 "_parent_index"],
                ["Ana", "Pérez", 1, "Denuncia", 1],
                ["Luis", "Pérez", 2, "Denuncia", 1],
                ["Rosa", "Mora", 3, "Denuncia", 2],
            ],
        },
    )  # fmt: skip
    with open_table(path) as table:
        headers = table.record_headers("victimas")
        records = list(table.records("victimas"))
    assert headers[:3] == ["fecha", "estado", "hecho"] and "nombres" in headers
    assert [(r.sheet, r.number, r.values.get("nombres"), r.values["estado"]) for r in records] == [
        ("victimas", 2, "Ana", "Lara"),
        ("victimas", 3, "Luis", "Lara"),
        ("victimas", 4, "Rosa", "Zulia"),
        ("Denuncia", 4, None, "Falcón"),  # a submission listing nobody is still a record
    ]
    with (
        pytest.raises(TabularError, match="'Denuncia' is not a repeat-group sheet"),
        open_table(path) as table,
    ):
        table.records("Denuncia")


def test_a_repeat_row_whose_parent_is_missing_is_kept_and_reported(tmp_path, write_xlsx):
    rows = [*REPEAT_ROWS, ["tío", "Juan Díaz", 4, MAIN, 99, "zz"]]
    path = write_xlsx(
        tmp_path / "huerfano.xlsx",
        {MAIN: [MAIN_HEADER, *MAIN_ROWS], REPEAT: [REPEAT_HEADER, *rows]},
    )
    table, read = read_all(path)
    orphan = read[-1]
    assert (orphan.sheet, orphan.number, orphan.parent) == (REPEAT, 5, None)
    [problem] = [p for p in table.problems.items if p.code == "repeat_without_parent"]
    assert (problem.sheet, problem.row, problem.value, problem.severity) == (
        REPEAT,
        5,
        "99",
        "error",
    )


def test_a_question_name_used_in_two_groups_keeps_its_path(tmp_path):
    path = tmp_path / "dos.csv"
    path.write_text("victima/nombres,testigo/nombres,_uuid\nAna,Luis,u\n", encoding="utf-8")
    table, rows = read_all(path)
    assert table.headers == ["victima/nombres", "testigo/nombres", "_uuid"]
    assert rows[0].values["testigo/nombres"] == "Luis"


def test_a_kobo_export_maps_every_chosen_act_type(kobo_xlsx, reported_context, today):
    with open_table(kobo_xlsx) as table:
        headers = table.record_headers()
        mapping = auto_mapping(headers)
        mapper = RowMapper(mapping, reported_context, headers=headers, file=table.name,
                           select_multiple=table.select_multiple, today=today)  # fmt: skip
        mapped = list(mapper.map_rows(table.records()))
    assert mapping.rule_for("hecho") is not None and mapping.rule_for("nombres") is not None
    assert [m.act_types for m in mapped] == [
        ("arbitrary_detention", "torture"),
        ("arbitrary_detention",),
        ("enforced_disappearance",),
    ]
    assert mapped[0].fields.name is not None and mapped[0].fields.name.given_names == (
        "José",
        "Gregorio",
    )
    report = validate(kobo_xlsx, context=reported_context, today=today)
    assert report.kobo and report.records == 3 and report.rows_read == 6
