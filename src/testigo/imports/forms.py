"""The wizard's forms: upload, column mapping, and a person's decisions on places and values.

Labels for the engine's fields and problem codes live here too, so that every page and export
shows them in the reader's language.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from testigo.core.models import (
    DetentionFacility,
    DetentionStatus,
    PerpetratorBody,
    Source,
    VocabularyTerm,
)
from testigo.countrypacks.packfile import pack_read
from testigo.imports.mapfile import SourceMapping
from testigo.imports.services import pack_code
from testigo.tabular import FIELDS, IGNORE, ColumnRule, Mapping
from testigo.tabular.transform import PROBLEM_SEVERITY

FIELD_LABELS: dict[str, Any] = {
    "full_name": _("full name (given names first)"),
    "full_name_surnames_first": _("full name (surnames first)"),
    "given_names": _("given names"),
    "surnames": _("surnames"),
    "sex": _("sex"),
    "birth_date": _("birth date"),
    "age": _("age"),
    "national_id": _("national ID"),
    "state": _("state"),
    "municipality": _("municipality"),
    "parish": _("parish"),
    "act": _("act type"),
    "event_date": _("date of the event"),
    "body": _("alleged perpetrator (body)"),
    "facility": _("detention facility"),
    "status": _("detention status"),
    "affiliation": _("affiliation"),
    IGNORE: _("ignore (not listed)"),
}

#: Problem code → what it means, in the reader's language. The engine's own reason (English,
#: with the details: dates, nearest places) is shown beside it.
PROBLEM_LABELS: dict[str, Any] = {
    "unreadable": _("The file cannot be read."),
    "empty_file": _("The file is empty."),
    "unknown_encoding": _(
        "The text encoding is unknown or mixed: save the file as “CSV UTF-8”, or choose its "
        "encoding below."
    ),
    "malformed_file": _("The file is damaged, or is not the format its name says."),
    "unsafe_file": _(
        "Refused: the workbook would unpack to far more than its size (a possible zip bomb)."
    ),
    "unsupported_format": _(
        "A format Testigo cannot read (an old .xls or a protected workbook): save it as .xlsx "
        "or CSV."
    ),
    "duplicate_columns": _("Two columns have the same name: rename one and upload again."),
    "row_limit": _("The file has more rows than allowed: split it."),
    "invalid_mapping": _("The mapping is not valid."),
    "source_deleted": _("This source was deleted: restore it, or import under another name."),
    "no_rows": _("The file has a header but no data rows."),
    "title_row": _("Taken as a title above the header, not as data."),
    "too_many_cells": _("More cells than the header has columns (a delimiter inside a value?)."),
    "value_without_header": _("A value in a column without a header (kept in the raw row)."),
    "sheet_not_read": _("This sheet was not read."),
    "repeat_without_parent": _("A repeat-group row whose parent row is missing."),
    "row_not_imported": _("Not imported: the records come from another sheet."),
    "name_unreadable": _("The name cannot be read."),
    "date_unreadable": _("Not a date, or a date that does not exist."),
    "date_ambiguous": _("Ambiguous date: day and month could be the other way round."),
    "date_order": _("The dates in this column read better month first."),
    "age_invalid": _("Not an age in years."),
    "national_id_invalid": _("Not a valid national ID."),
    "place_not_found": _("Place not found in the gazetteer."),
    "place_partly_found": _("Only part of the place was found in the gazetteer."),
    "act_unmatched": _("No act type matches this text."),
    "term_unmatched": _("No vocabulary term matches this text."),
    "sex_unknown": _("Not a recognised sex."),
    "status_unknown": _("Not a recognised detention status."),
    "invalid_value": _("This value cannot be read."),
    "formula_text": _("Looks like a spreadsheet formula: stored as text, neutralised on export."),
    "column_missing": _("The mapping names a column the file does not have."),
    "key_missing": _("The key column is empty in this row."),
    "duplicate_key": _("The same key as an earlier row: each key must name one row."),
    "more_act_types": _("The source reports more act types; the record keeps the first."),
}

#: Error codes a source may accept as warnings (the value stays in the raw row).
ACCEPTABLE = [code for code, level in PROBLEM_SEVERITY.items() if level == "error"]

ENCODINGS = [
    ("", _("detect")),
    ("utf-8", "UTF-8"),
    ("windows-1252", "Windows-1252"),
    ("latin-1", "Latin-1 (ISO 8859-1)"),
    ("utf-16", "UTF-16"),
    ("utf-16-le", "UTF-16 LE"),
    ("utf-16-be", "UTF-16 BE"),
    ("cp850", "DOS (CP850)"),
    ("mac_roman", "Mac Roman"),
]
DELIMITERS = [("", _("detect")), (",", ","), (";", ";"), ("tab", _("tab")), ("|", "|")]
NAME_ORDERS = [
    ("auto", _("work it out")),
    ("given_first", _("given names first")),
    ("surnames_first", _("surnames first (“PÉREZ JOSÉ”)")),
]


def problem_label(code: str) -> str:
    return str(PROBLEM_LABELS.get(code, ""))


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"), help_text=_("CSV, XLSX or ODS, or a KoboToolbox export")
    )
    source = forms.CharField(
        label=_("Source"),
        max_length=200,
        help_text=_("an existing source, or the name of a new one"),
    )

    def clean_source(self) -> str:
        name = " ".join(self.cleaned_data["source"].split())
        if not name:
            raise forms.ValidationError(_("Name the source."))
        return name

    @staticmethod
    def source_names() -> list[str]:
        return list(Source.objects.order_by("name").values_list("name", flat=True)[:500])


class MappingForm(forms.Form):
    """One choice per column, plus the key column and the reading options.

    Column fields are named ``col_0``, ``col_1``… in header order (headers can be any text).
    """

    key = forms.ChoiceField(label=_("Key column"), required=False)
    dayfirst = forms.BooleanField(
        label=_("Dates are written day first (15/08/2024)"), required=False
    )
    name_order = forms.ChoiceField(label=_("Full names are written"), choices=NAME_ORDERS)
    act_multiple = forms.BooleanField(
        label=_("The act column may hold several acts (“detención y tortura”)"), required=False
    )
    accept = forms.MultipleChoiceField(
        label=_("Accept these problems as warnings (the value stays in the raw row)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    encoding = forms.ChoiceField(label=_("Text encoding (CSV)"), choices=ENCODINGS, required=False)
    delimiter = forms.ChoiceField(label=_("Delimiter (CSV)"), choices=DELIMITERS, required=False)
    sheet = forms.ChoiceField(label=_("Sheet"), required=False)
    header_row = forms.IntegerField(label=_("Header row"), required=False, min_value=1)

    def __init__(
        self,
        *args: Any,
        headers: list[str],
        sheets: list[str],
        initial_fields: dict[str, str],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.headers = headers
        choices = [("", _("— keep in the raw row only —"))] + [
            (name, FIELD_LABELS[name]) for name in (*FIELDS, IGNORE)
        ]
        for index, header in enumerate(headers):
            self.fields[f"col_{index}"] = forms.ChoiceField(
                label=header, choices=choices, required=False
            )
            self.initial.setdefault(f"col_{index}", initial_fields.get(header, ""))
        self.fields["key"].choices = [("", _("the row number"))] + [(h, h) for h in headers]
        self.fields["accept"].choices = [(code, PROBLEM_LABELS[code]) for code in ACCEPTABLE]
        self.fields["sheet"].choices = [("", _("the first"))] + [(s, s) for s in sheets]
        if not sheets:
            del self.fields["sheet"]

    def column_fields(self) -> list[tuple[str, forms.BoundField]]:
        return [(header, self[f"col_{i}"]) for i, header in enumerate(self.headers)]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        used: dict[str, str] = {}
        for index, header in enumerate(self.headers):
            name = data.get(f"col_{index}") or ""
            if name and name != IGNORE:
                if name in used:
                    self.add_error(
                        f"col_{index}",
                        _("“%(other)s” is already mapped to this field.") % {"other": used[name]},
                    )
                used[name] = header
        return data

    def to_mapping(self, previous: SourceMapping | None) -> SourceMapping:
        """The mapping chosen, keeping what the previous one had beyond these choices (value
        tables, per-column date orders, decided places)."""
        data = self.cleaned_data
        old = previous.mapping if previous else Mapping()
        rules = []
        for index, header in enumerate(self.headers):
            name = data.get(f"col_{index}") or ""
            if not name:
                continue
            before = old.rule_for(header)
            rule = ColumnRule(header, name)
            if before is not None and before.field == name:
                rule.values, rule.dayfirst, rule.name_order = (
                    dict(before.values),
                    before.dayfirst,
                    before.name_order,
                )
            rule.multiple = name == "act" and data.get("act_multiple", False)
            rules.append(rule)
        mapping = Mapping(
            columns=rules,
            source=old.source,
            dayfirst=bool(data.get("dayfirst")),
            name_order=data.get("name_order") or "auto",
            places=dict(old.places),
            accept=list(data.get("accept") or []),
            encoding=data.get("encoding") or None,
            delimiter={"tab": "\t"}.get(data.get("delimiter") or "", data.get("delimiter") or None),
            sheet=data.get("sheet") or None,
            header_row=data.get("header_row") or None,
            records_sheet=old.records_sheet,
        )
        return SourceMapping(mapping, data.get("key") or None)

    @staticmethod
    def initial_for(mapping: SourceMapping | None) -> dict[str, Any]:
        if mapping is None:
            return {"dayfirst": True, "name_order": "auto"}
        m = mapping.mapping
        return {
            "key": mapping.key or "",
            "dayfirst": m.dayfirst,
            "name_order": m.name_order,
            "act_multiple": any(r.field == "act" and r.multiple for r in m.columns),
            "accept": list(m.accept),
            "encoding": m.encoding or "",
            "delimiter": {"\t": "tab"}.get(m.delimiter or "", m.delimiter or ""),
            "sheet": m.sheet or "",
            "header_row": m.header_row,
        }


def vocabulary_choices(field: str) -> list[tuple[str, str]]:
    """The codes a value of `field` can be mapped to, labelled in the reader's language."""
    if field in ("act", "affiliation"):
        vocabulary = "act_type" if field == "act" else "affiliation"
        return [(t.code, t.label) for t in VocabularyTerm.objects.filter(vocabulary=vocabulary)]
    if field == "body":
        return [(b.code, b.label) for b in PerpetratorBody.objects.all()]
    if field == "facility":
        return [(f.code, f.name) for f in DetentionFacility.objects.all()]
    if field == "sex":
        return [("M", str(_("male"))), ("F", str(_("female")))]
    if field == "status":
        return [(value, str(label)) for value, label in DetentionStatus.choices]
    return []


class DecisionsForm(forms.Form):
    """The unresolved-places queue and the values no vocabulary term matched.

    ``place_<i>`` picks a candidate (or another gazetteer code in ``place_<i>_other``);
    ``value_<i>`` picks the term a text stands for. Left empty, the value stays unresolved.
    """

    def __init__(
        self,
        *args: Any,
        places: list[dict[str, Any]],
        values: list[dict[str, Any]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.places, self.values = places, values
        for i, place in enumerate(places):
            choices = [
                (c["code"], f"{c['name']} ({c['code']})") for c in place.get("candidates", [])
            ]
            self.fields[f"place_{i}"] = forms.ChoiceField(
                label=place["text"],
                choices=[("", _("leave unresolved")), *choices],
                required=False,
                widget=forms.RadioSelect,
            )
            self.fields[f"place_{i}_other"] = forms.CharField(
                label=_("or another place code"), required=False, max_length=120
            )
        for i, value in enumerate(values):
            self.fields[f"value_{i}"] = forms.ChoiceField(
                label=value["value"],
                choices=[("", _("leave unmatched")), *vocabulary_choices(value["field"])],
                required=False,
            )

    def place_rows(self) -> list[tuple[dict[str, Any], forms.BoundField, forms.BoundField]]:
        return [
            (place, self[f"place_{i}"], self[f"place_{i}_other"])
            for i, place in enumerate(self.places)
        ]

    def value_rows(self) -> list[tuple[dict[str, Any], forms.BoundField]]:
        return [(value, self[f"value_{i}"]) for i, value in enumerate(self.values)]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        gazetteer = pack_read(pack_code()).gazetteer_places() if self.places else []
        codes = {place.code for place in gazetteer}
        for i in range(len(self.places)):
            other = (data.get(f"place_{i}_other") or "").strip()
            if other and other not in codes:
                self.add_error(
                    f"place_{i}_other", _("No place has the code %(code)s.") % {"code": other}
                )
        return data

    def decisions(self) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
        """(place key → code, column → {text → code}) for what was decided."""
        data = self.cleaned_data
        places: dict[str, str] = {}
        for i, place in enumerate(self.places):
            code = (data.get(f"place_{i}_other") or "").strip() or data.get(f"place_{i}") or ""
            if code:
                places[place["text"]] = code
        values: dict[str, dict[str, str]] = {}
        for i, value in enumerate(self.values):
            code = data.get(f"value_{i}") or ""
            if code:
                values.setdefault(value["column"], {})[value["value"]] = code
        return places, values
