"""Turning one source row (column name → text, as reported) into normalised record fields.

Used by the demo loader and by imports. Column names are recognised in Spanish and English;
a value that cannot be read is kept in the raw row and listed as a problem, never guessed.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field

from testigo.domain.dates import DateParseError, PartialDate, age_to_birth_range, parse_partial_date
from testigo.domain.names import NameParseError, PersonName, parse_full_name, split_names
from testigo.domain.national_ids import (
    NationalIdError,
    NationalIdFormat,
    is_missing_marker,
    normalize_national_id,
)
from testigo.domain.places import Gazetteer
from testigo.domain.terms import TermMatcher
from testigo.domain.text import fold

#: Recognised column headers (folded) → canonical field.
HEADER_ALIASES: dict[str, str] = {}
for _field, _names in {
    "full_name": [
        "nombre completo",
        "nombre y apellido",
        "nombres y apellidos",
        "nombre",
        "full name",
        "name",
        "victima",
        "victim",
    ],
    "full_name_surnames_first": ["apellidos y nombres", "apellidos nombres", "apellidos, nombres"],
    "given_names": ["nombres", "nombre(s)", "given names", "first names", "first name"],
    "surnames": [
        "apellidos",
        "apellido",
        "apellido(s)",
        "surnames",
        "surname",
        "last name",
        "family names",
    ],
    "sex": ["sexo", "genero", "sex", "gender"],
    "birth_date": [
        "fecha de nacimiento",
        "fecha nacimiento",
        "f. nacimiento",
        "nacimiento",
        "birth date",
        "date of birth",
        "dob",
    ],
    "age": ["edad", "age"],
    "national_id": [
        "cedula",
        "cedula de identidad",
        "c.i.",
        "ci",
        "documento",
        "national id",
        "id number",
    ],
    "state": ["estado", "entidad", "state"],
    "municipality": ["municipio", "municipality"],
    "parish": ["parroquia", "parish"],
    "act": ["hecho", "tipo de hecho", "violacion", "act", "act type", "violation"],
    "event_date": [
        "fecha del hecho",
        "fecha de detencion",
        "fecha de la detencion",
        "fecha",
        "fecha hecho",
        "event date",
        "date of arrest",
        "date",
    ],
    "body": [
        "cuerpo",
        "cuerpo de seguridad",
        "organismo",
        "perpetrador",
        "presunto responsable",
        "perpetrator",
        "body",
    ],
    "facility": [
        "centro de reclusion",
        "centro reclusion",
        "lugar de reclusion",
        "centro de detencion",
        "detention facility",
        "facility",
    ],
    "status": ["situacion", "estatus", "status"],
    "affiliation": ["perfil", "afiliacion", "ocupacion", "affiliation", "profile"],
}.items():
    for _name in _names:
        HEADER_ALIASES[fold(_name)] = _field

SEX_VALUES = {
    "m": "M", "masculino": "M", "hombre": "M", "h": "M", "male": "M", "man": "M",
    "f": "F", "femenino": "F", "mujer": "F", "female": "F", "woman": "F",
}  # fmt: skip

STATUS_VALUES = {
    "detenido": "held", "detenida": "held", "preso": "held", "presa": "held", "held": "held",
    "privado de libertad": "held", "privada de libertad": "held", "en custodia": "held",
    "desaparecido": "disappeared", "desaparecida": "disappeared", "disappeared": "disappeared",
    "paradero desconocido": "disappeared",
    "libertad condicional": "conditionally_released", "medida cautelar": "conditionally_released",
    "medidas cautelares": "conditionally_released", "excarcelado": "conditionally_released",
    "excarcelada": "conditionally_released", "conditionally released": "conditionally_released",
    "liberado": "released", "liberada": "released", "en libertad": "released",
    "released": "released", "libre": "released",
    "fallecido en custodia": "died_in_custody", "murio en custodia": "died_in_custody",
    "died in custody": "died_in_custody",
}  # fmt: skip

#: Status words that say the person is not in detention at all (e.g. killed): no status, no problem.
NOT_A_DETENTION_STATUS = {"fallecido", "fallecida", "asesinado", "asesinada", "deceased", "killed"}


@functools.lru_cache(maxsize=4096)
def canonical_field(header: str) -> str | None:
    """The field a column header stands for, or ``None`` when it is not recognised."""
    return HEADER_ALIASES.get(fold(header.replace("_", " ")))


@dataclass(frozen=True)
class Problem:
    field: str
    value: str
    reason: str


@dataclass
class ReportedFields:
    """What a source said about one person, normalised. Empty means the source did not say."""

    name: PersonName | None = None
    sex: str = ""
    birth_date: PartialDate | None = None
    age: int | None = None
    national_id: str = ""
    place_code: str | None = None
    act_type: str | None = None
    event_date: PartialDate | None = None
    body_code: str | None = None
    facility_code: str | None = None
    detention_status: str = ""
    affiliation: str | None = None
    problems: list[Problem] = field(default_factory=list)
    unrecognised_columns: list[str] = field(default_factory=list)


@dataclass
class ReportedContext:
    """What a country pack and the vocabularies give the normaliser."""

    id_format: NationalIdFormat
    gazetteer: Gazetteer
    act_types: TermMatcher
    bodies: TermMatcher
    facilities: TermMatcher
    affiliations: TermMatcher | None = None
    _place_cache: dict[tuple[str, str, str], str | None] = field(default_factory=dict)

    def resolve_place(self, state: str, municipality: str, parish: str) -> str | None:
        key = (state, municipality, parish)
        if key not in self._place_cache:
            self._place_cache[key] = self._resolve_place(state, municipality, parish)
        return self._place_cache[key]

    def _resolve_place(self, state: str, municipality: str, parish: str) -> str | None:
        code: str | None = None
        if state:
            # Few, distinct state names: a looser threshold still cannot pick the wrong one.
            match = self.gazetteer.resolve(state, level="state", min_score=70)
            code = match.place.code if match else None
        for text, level in ((municipality, "municipality"), (parish, "parish")):
            if not text:
                continue
            match = self.gazetteer.resolve(text, level=level, within=code)
            if match is None and code is None:
                match = self.gazetteer.resolve(text, level=level)
            if match is None:
                break
            code = match.place.code
        return code


def normalise_reported(row: Mapping[str, str], context: ReportedContext) -> ReportedFields:
    """Normalise one row. Problems are collected, never raised."""
    values: dict[str, str] = {}
    out = ReportedFields()
    for header, raw_value in row.items():
        canonical = canonical_field(header)
        if canonical is None:
            out.unrecognised_columns.append(header)
            continue
        text = (raw_value or "").strip()
        if text and canonical not in values:
            values[canonical] = text

    def problem(name: str, reason: str) -> None:
        out.problems.append(Problem(name, values.get(name, ""), reason))

    try:
        if "given_names" in values or "surnames" in values:
            out.name = split_names(values.get("given_names", ""), values.get("surnames", ""))
        elif "full_name_surnames_first" in values:
            out.name = parse_full_name(values["full_name_surnames_first"], order="surnames_first")
        elif "full_name" in values:
            out.name = parse_full_name(values["full_name"])
    except NameParseError as exc:
        problem("full_name", str(exc))

    if "sex" in values:
        out.sex = SEX_VALUES.get(fold(values["sex"]), "")
        if not out.sex:
            problem("sex", "not a recognised sex")

    if "event_date" in values:
        try:
            out.event_date = parse_partial_date(values["event_date"])
        except DateParseError as exc:
            problem("event_date", str(exc))
    if "birth_date" in values:
        try:
            out.birth_date = parse_partial_date(values["birth_date"])
        except DateParseError as exc:
            problem("birth_date", str(exc))
    if "age" in values:
        try:
            age = int(values["age"].lower().replace("años", "").replace("years", "").strip())
            if not 0 <= age <= 120:
                raise ValueError
            out.age = age
            if out.birth_date is None and out.event_date is not None:
                out.birth_date = age_to_birth_range(age, out.event_date)
        except ValueError:
            problem("age", "not an age in years")

    if "national_id" in values and not is_missing_marker(values["national_id"]):
        try:
            out.national_id = str(normalize_national_id(values["national_id"], context.id_format))
        except NationalIdError as exc:
            problem("national_id", str(exc))

    if any(k in values for k in ("state", "municipality", "parish")):
        out.place_code = context.resolve_place(
            values.get("state", ""), values.get("municipality", ""), values.get("parish", "")
        )
        if out.place_code is None:
            problem("state", "place not found in the gazetteer")

    for name, matcher, attr in (
        ("act", context.act_types, "act_type"),
        ("body", context.bodies, "body_code"),
        ("facility", context.facilities, "facility_code"),
        ("affiliation", context.affiliations, "affiliation"),
    ):
        if name in values and matcher is not None:
            code = matcher.resolve(values[name])
            setattr(out, attr, code)
            if code is None:
                problem(name, "no matching term")

    if "status" in values and fold(values["status"]) not in NOT_A_DETENTION_STATUS:
        out.detention_status = STATUS_VALUES.get(fold(values["status"]), "")
        if not out.detention_status:
            problem("status", "not a recognised detention status")
    return out
