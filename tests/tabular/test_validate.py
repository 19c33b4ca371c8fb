"""The dry run on a messy Spanish list: every problem with file, row, column, value and reason;
mixed dates, one full-name column, place typos; then a fixed mapping makes it valid."""

from __future__ import annotations

import json

import pytest

from testigo.domain.reported import HEADER_ALIASES
from testigo.tabular import Mapping, RowMapper, auto_mapping, open_table, preview, validate

FORMATS = ["latin-1;csv", "utf-16,csv", "utf-8-sig\tcsv", "xlsx", "ods"]


@pytest.fixture(params=FORMATS)
def messy_file(request, tmp_path, messy_rows, write_csv, write_xlsx, write_ods):
    kind = request.param
    if kind == "xlsx":
        return write_xlsx(tmp_path / "lista.xlsx", {"Hoja1": messy_rows})
    if kind == "ods":
        return write_ods(tmp_path / "lista.ods", {"Hoja1": messy_rows})
    encoding, delimiter = kind[:-4], kind[-4]
    return write_csv(tmp_path / "lista.csv", messy_rows, encoding=encoding, delimiter=delimiter)


def test_the_dry_run_names_file_row_column_value_and_reason_for_each_problem(
    messy_file, reported_context, today
):
    report = validate(messy_file, context=reported_context, today=today)
    assert not report.valid
    assert (report.records, report.records_with_errors, report.errors) == (6, 1, 2)
    problems = [(p.row, p.column, p.value, p.code, p.severity) for p in report.problems]
    assert problems == [
        (1, None, "Listado de detenidos - actualizado al 31/08/2024", "title_row", "warning"),
        (7, "Observaciones", '=HYPERLINK("http://x")', "formula_text", "warning"),
        (8, "Fecha de detención", "03/04/2025", "date_ambiguous", "warning"),
        (9, "Fecha de detención", "30/02/2024", "date_unreadable", "error"),
        (9, "Tipo de hecho", "retenida en alcabala", "act_unmatched", "error"),
        (9, "Municipio", "Ciudad Fantasma", "place_partly_found", "warning"),
    ]
    assert {p.file for p in report.problems} == {messy_file.name}
    by_code = {p.code: p.reason for p in report.problems}
    assert by_code["date_unreadable"] == "there is no day 30 in month 2 of 2024 (read as day first)"
    assert by_code["date_ambiguous"] == (
        "ambiguous: read day first as 2025-04-03; month first it would be 2025-03-04"
    )
    assert by_code["place_partly_found"].startswith(
        "municipality not found in the gazetteer; only Falcón was; nearest: Sucre (VE-I/sucre"
    )


def test_the_report_is_machine_readable(messy_file, reported_context, today):
    report = validate(messy_file, context=reported_context, today=today)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["valid"] is False
    assert data["problems"][3] == {
        "file": messy_file.name,
        "row": 9,
        "column": "Fecha de detención",
        "value": "30/02/2024",
        "reason": "there is no day 30 in month 2 of 2024 (read as day first)",
        "code": "date_unreadable",
        "severity": "error",
        "sheet": "Hoja1" if messy_file.suffix in (".xlsx", ".ods") else None,
    }
    assert data["mapped"]["Apellidos y nombres"] == "full_name_surnames_first"
    assert data["unmapped"] == data["unmapped_with_data"] == ["Observaciones"]
    assert data["unresolved_places"][0]["key"] == "falcon / ciudad fantasma"
    assert data["unmatched_values"] == [
        {"field": "act", "column": "Tipo de hecho", "value": "retenida en alcabala", "count": 1,
         "rows": [9]}
    ]  # fmt: skip


def mapped_rows(path, context, today, mapping=None):
    with open_table(path, **(mapping.reader_options() if mapping else {})) as table:
        mapping = mapping or auto_mapping(table.headers)
        mapper = RowMapper(mapping, context, headers=table.headers, file=table.name, today=today)
        return list(mapper.map_rows(table)), mapper


def test_mixed_date_formats_in_one_column_are_each_read_with_their_precision(
    messy_file, reported_context, today
):
    rows, _ = mapped_rows(messy_file, reported_context, today)
    dates = [(str(m.fields.event_date) if m.fields.event_date else None) for m in rows]
    assert dates == [
        "2024-08-15",  # 15/08/2024
        "2024-08-03",  # 2024-08-03 (ISO)
        "2024-08",  # agosto 2024 (a month)
        "2024-08-11/2024-08-20~",  # mediados de agosto de 2024 (approximate)
        "2025-04-03",  # 03/04/2025, day first, and reported as ambiguous
        None,  # 30/02/2024 does not exist
    ]


def test_a_full_name_column_written_surnames_first_is_split(messy_file, reported_context, today):
    rows, _ = mapped_rows(messy_file, reported_context, today)
    names = [(m.fields.name.given_names, m.fields.name.surnames) for m in rows if m.fields.name]
    assert names[:3] == [
        (("José", "Gregorio"), ("Pérez", "Rodríguez")),
        (("María", "del Valle"), ("González", "de Méndez")),
        (("Pedro", "Luis"), ("Mora",)),
    ]


def test_place_typos_resolve_and_unknown_places_wait_for_a_person_with_candidates(
    messy_file, reported_context, today
):
    rows, mapper = mapped_rows(messy_file, reported_context, today)
    assert [m.fields.place_code for m in rows] == [
        "VE-K/iribarren",  # Lara / Iribaren
        "VE-M/sucre",
        "VE-V/maracaibo",  # Zulai / Maracaibo
        "VE-G/valencia",
        "VE-A/libertador",
        "VE-I",  # Falcón / Ciudad Fantasma: only the state is known
    ]
    [place] = mapper.unresolved_places()
    assert (place.text, place.resolved, place.count, place.rows) == (
        "Falcón / Ciudad Fantasma", "VE-I", 1, [9]
    )  # fmt: skip
    assert [c.code for c in place.candidates][:1] == ["VE-I/sucre"]
    assert all(c.level == "municipality" for c in place.candidates)


def test_fixing_the_mapping_makes_the_file_valid(messy_file, reported_context, today, tmp_path):
    headers = ["Apellidos y nombres", "C.I.", "Sexo", "Fecha de detención", "Estado"]
    mapping = auto_mapping([*headers, "Municipio", "Tipo de hecho"])
    text = mapping.to_yaml().replace(
        "  Tipo de hecho: act\n",
        "  Tipo de hecho:\n    field: act\n"
        "    values: {retenida en alcabala: arbitrary_detention}\n",
    )
    text += "places:\n  Falcón / Ciudad Fantasma: VE-I/miranda\naccept: [date_unreadable]\n"
    fixed = Mapping.from_yaml(text)
    report = validate(messy_file, context=reported_context, mapping=fixed, today=today)
    assert report.valid, report.problems
    assert report.problem_counts["date_unreadable"] == 1  # accepted: now a warning
    rows, _ = mapped_rows(messy_file, reported_context, today, fixed)
    assert rows[-1].fields.place_code == "VE-I/miranda"
    assert rows[-1].act_types == ("arbitrary_detention",)
    assert report.unresolved_places == []


def test_a_month_first_column_is_detected_and_read_with_dayfirst_false(
    tmp_path, reported_context, today
):
    path = tmp_path / "us.csv"
    path.write_text("Name,Date of arrest\nAna Pérez,08/13/2024\nLuis Díaz,08/03/2024\n", "utf-8")
    report = validate(path, context=reported_context, today=today)
    assert [p.code for p in report.problems] == ["date_order", "date_unreadable", "date_ambiguous"]
    assert "set dayfirst: false" in report.problems[0].reason
    assert report.problems[1].reason.endswith("read month first it would be 2024-08-13")
    mapping = Mapping.from_yaml("columns: {Name: full_name, Date of arrest: {field: event_date, "
                                "dayfirst: false}}")  # fmt: skip
    rows, _ = mapped_rows(path, reported_context, today, mapping)
    assert [str(m.fields.event_date) for m in rows] == ["2024-08-13", "2024-08-03"]


def test_several_act_types_in_one_cell_are_all_kept(tmp_path, reported_context, today):
    path = tmp_path / "actos.csv"
    path.write_text("Nombre,Hecho\nAna Pérez,detención y tortura; amenazas\n", "utf-8")
    mapping = Mapping.from_yaml("columns: {Nombre: full_name, Hecho: {field: act, multiple: true}}")
    [row], _ = mapped_rows(path, reported_context, today, mapping)
    assert row.act_types == ("arbitrary_detention", "torture", "threat")
    assert row.fields.act_type == "arbitrary_detention"


def test_a_mapped_column_missing_from_the_file_is_reported(tmp_path, reported_context, today):
    path = tmp_path / "x.csv"
    path.write_text("Nombre,Estado\nAna Pérez,Lara\n", "utf-8")
    mapping = Mapping.from_yaml("columns: {Nombre: full_name, Cédula: national_id}")
    report = validate(path, context=reported_context, mapping=mapping, today=today)
    assert [(p.column, p.code, p.severity) for p in report.problems] == [
        ("Cédula", "column_missing", "warning")
    ]
    assert report.unmapped == ["Estado"]


def test_a_preview_shows_the_first_rows_and_a_suggestion_per_column(messy_file, today):
    shown = preview(messy_file, rows=2, today=today)
    assert shown.header_row == 3 and shown.row_numbers == [4, 5]
    assert shown.rows[0]["Apellidos y nombres"] == "PÉREZ RODRÍGUEZ JOSÉ GREGORIO"
    assert shown.mapped["Tipo de hecho"] == "act"
    assert shown.suggestions["C.I."][0].field == "national_id"
    assert [p.code for p in shown.problems] == ["title_row"]
    assert json.loads(json.dumps(shown.to_dict()))["headers"][0] == "Apellidos y nombres"


#: Canonical texts that exercise each group the mapper normalises once per distinct text, and
#: the order of problems across groups (a bad name, sex, date, age, ID, place, act, status).
TRICKY = [
    {"full_name": "123", "sex": "X", "event_date": "32/13/2024", "age": "200",
     "national_id": "abc", "state": "Atlántida", "municipality": "Nada", "act": "zzz",
     "status": "quién sabe"},
    {"given_names": "Ana", "surnames": "Pérez", "sex": "F", "event_date": "2024-08",
     "age": "30", "national_id": "V-12.345.678", "state": "Lara", "municipality": "Iribaren",
     "act": "detenida", "status": "detenida"},
    {"full_name_surnames_first": "PÉREZ ANA", "sex": "F", "age": "30", "state": "Lara",
     "status": "fallecida", "birth_date": "1990"},
    {"event_date": "2024-08-03", "national_id": "no posee", "municipality": "Sucre",
     "act": "desaparecida", "body": "SEBIN", "facility": "El Helicoide", "affiliation": "x"},
    {},
]  # fmt: skip


def test_the_mapper_normalises_exactly_as_the_domain_normaliser_does(reported_context):
    from testigo.countrypacks.packfile import pack_read
    from testigo.demo.generator import RAW_COLUMNS, generate
    from testigo.domain.reported import canonical_field, normalise_reported

    pack = pack_read("ve")
    generated = generate(pack=pack.manifest, gazetteer_places=pack.places, n_records=1500)
    demo = []
    for record in generated.records:
        texts = {}
        for column in RAW_COLUMNS:
            name, text = canonical_field(column), str(record.raw.get(column) or "").strip()
            if name and text and name not in texts:
                texts[name] = text
        demo.append(texts)
    mapper = RowMapper(auto_mapping([]), reported_context, headers=[])
    key = {name: alias for alias, name in reversed(list(HEADER_ALIASES.items()))}
    # Twice over: the second pass reads what the mapper remembered.
    for texts in [*TRICKY, *demo, *TRICKY, *demo]:
        direct = normalise_reported({key[n]: t for n, t in texts.items()}, reported_context)
        assert mapper._normalise(texts) == direct, texts
