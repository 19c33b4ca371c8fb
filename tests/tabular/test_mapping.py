"""Mappings: YAML round trip, checks with clear errors, auto-placement and suggestions."""

from __future__ import annotations

import pytest

from testigo.tabular import (
    FIELDS,
    ColumnRule,
    Mapping,
    MappingError,
    RowMapper,
    auto_mapping,
    suggest_fields,
)

YAML = """\
version: 1
source: Foro Penal, lista agosto 2024
read: {encoding: latin-1, delimiter: ";", header_row: 3}
dayfirst: true
name_order: surnames_first
columns:
  Apellidos y nombres: full_name
  C.I.: national_id
  Fecha detención: {field: event_date, dayfirst: false}
  Tipo de hecho:
    field: act
    multiple: true
    values: {retenida en alcabala: arbitrary_detention}
  Observaciones: ignore
places:
  Falcón / Ciudad Fantasma: VE-I
accept: [place_partly_found]
"""


def test_a_mapping_survives_a_yaml_round_trip(tmp_path):
    mapping = Mapping.from_yaml(YAML)
    assert mapping.reader_options() == {"encoding": "latin-1", "delimiter": ";", "header_row": 3}
    assert mapping.rule_for("Fecha detención") == ColumnRule("Fecha detención", "event_date",
                                                             dayfirst=False)  # fmt: skip
    assert mapping.rule_for("tipo de HECHO").values == {
        "retenida en alcabala": "arbitrary_detention"
    }
    path = tmp_path / "foro.yaml"
    mapping.save(path)
    assert Mapping.load(path) == mapping
    assert "Fecha detención" in path.read_text(encoding="utf-8")  # written as UTF-8, readable


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("columns: {Nombre: nombre_completo}", "unknown field 'nombre_completo'; use one of"),
        ("colums: {}", "unknown key\\(s\\) 'colums'"),
        ("columns: {Fecha: {field: event_date, dayfirts: false}}", "unknown key\\(s\\) 'dayfirts'"),
        ("name_order: apellidos", "name_order must be one of auto, given_first, surnames_first"),
        ("version: 2", "version 2 is not supported"),
        ("read: {header_row: 0}", "header_row must be a row number"),
        ("columns: [Nombre]", "'columns' must map each header to a field"),
        ("columns: {a: b", "not valid YAML"),
    ],
)
def test_an_invalid_mapping_is_refused_naming_the_key(text, message):
    with pytest.raises(MappingError, match=message):
        Mapping.from_yaml(text, where="foro.yaml")


def test_a_value_table_or_place_with_an_unknown_code_is_refused(reported_context):
    bad_value = Mapping([ColumnRule("Hecho", "act", values={"detenido": "detencion_ilegal"})])
    with pytest.raises(MappingError, match="names 'detencion_ilegal', which is not a act code"):
        RowMapper(bad_value, reported_context, headers=["Hecho"])
    bad_place = Mapping(places={"Lara / Nowhere": "VE-ZZ"})
    with pytest.raises(MappingError, match="names 'VE-ZZ', not in the gazetteer"):
        RowMapper(bad_place, reported_context, headers=["Estado"])


def test_accepting_an_unknown_problem_code_is_refused(reported_context):
    with pytest.raises(MappingError, match="accept names unknown problem codes date_wrong"):
        RowMapper(Mapping(accept=["date_wrong"]), reported_context, headers=["Fecha"])


def test_reading_options_may_say_auto_or_tab():
    mapping = Mapping.from_yaml("read: {encoding: auto, delimiter: tab}")
    assert mapping.reader_options() == {"delimiter": "\t"}


def test_without_a_mapping_recognised_headers_are_placed_and_the_rest_listed(reported_context):
    headers = ["Nombres", "Apellidos", "Cédula", "Sexo", "Fecha de nacimiento",
               "Fecha de detención", "Estado", "Municipio", "Hecho", "Color favorito"]  # fmt: skip
    mapping = auto_mapping(headers)
    assert {r.column: r.field for r in mapping.columns} == {
        "Nombres": "given_names",
        "Apellidos": "surnames",
        "Cédula": "national_id",
        "Sexo": "sex",
        "Fecha de nacimiento": "birth_date",
        "Fecha de detención": "event_date",
        "Estado": "state",
        "Municipio": "municipality",
        "Hecho": "act",
    }
    mapper = RowMapper(mapping, reported_context, headers=headers)
    assert mapper.unmapped == ["Color favorito"]


def test_english_headers_are_recognised_too():
    mapping = auto_mapping(["Given names", "Surname", "Date of birth", "Date of arrest", "State"])
    assert [r.field for r in mapping.columns] == [
        "given_names", "surnames", "birth_date", "event_date", "state"
    ]  # fmt: skip


def test_suggestions_rank_fields_by_header_and_values(today):
    headers = ["C.I. del detenido", "fecha_detencion", "Género", "Columna 7", "Observaciones"]
    sample = [
        {"C.I. del detenido": "V-12.345.678", "fecha_detencion": "15/08/2024", "Género": "F",
         "Columna 7": "12/08/2024", "Observaciones": "sin contacto"},
        {"C.I. del detenido": "13456789", "fecha_detencion": "ago. 2024", "Género": "M",
         "Columna 7": "2024-08-01", "Observaciones": ""},
        {"C.I. del detenido": "9.876.543", "fecha_detencion": "2024", "Género": "Masculino",
         "Columna 7": "3 de agosto de 2024", "Observaciones": "liberado"},
    ]  # fmt: skip
    suggestions = suggest_fields(headers, sample, today=today)
    best = {header: (s[0].field, s[0].why) if s else None for header, s in suggestions.items()}
    assert best == {
        "C.I. del detenido": ("national_id", "header and values"),
        "fecha_detencion": ("event_date", "header and values"),
        "Género": ("sex", "header and values"),
        "Columna 7": ("event_date", "values"),
        "Observaciones": None,
    }
    assert all(s.field in FIELDS and 0 < s.score <= 100 for ss in suggestions.values() for s in ss)
    assert suggestions["Género"][0].score == 100
