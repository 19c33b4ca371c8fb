"""Model fields for domain value types."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from testigo.domain.dates import DateParseError, PartialDate, parse_partial_date


class PartialDateFormField(forms.CharField):
    """Accepts what people type ("15/08/2024", "agosto 2024", "mediados de agosto de 2024") as
    well as EDTF, and gives a :class:`PartialDate`."""

    def to_python(self, value: Any) -> PartialDate | None:  # type: ignore[override]
        if isinstance(value, PartialDate):
            return value
        text = super().to_python(value)
        if not text:
            return None
        try:
            return PartialDate.from_edtf(text)
        except ValueError:
            pass
        try:
            return parse_partial_date(text)
        except DateParseError as exc:
            raise ValidationError(str(exc), code="invalid") from exc

    def prepare_value(self, value: Any) -> Any:
        return value.to_edtf() if isinstance(value, PartialDate) else value

    def run_validators(self, value: Any) -> None:
        super().run_validators(value.to_edtf() if isinstance(value, PartialDate) else value)


class PartialDateField(models.CharField):
    """A date with its precision (day, month, year or range), stored as an EDTF string.

    EDTF strings ("2024-08-15", "2024-08", "2024", "2024-08-11/2024-08-20~") sort by their
    start date, so range filters and ordering work on the stored text.
    """

    description = _("Date with precision")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 32)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if kwargs.get("max_length") == 32:
            del kwargs["max_length"]
        return name, path, args, kwargs

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return None
        return PartialDate.from_edtf(value)

    def to_python(self, value: Any) -> PartialDate | None:
        if value is None or isinstance(value, PartialDate):
            return value
        if value == "":
            return None
        try:
            return PartialDate.from_edtf(str(value))
        except ValueError as exc:
            raise ValidationError(
                _("%(value)s is not a date with precision (e.g. 2024-08-15, 2024-08, 2024)."),
                code="invalid",
                params={"value": value},
            ) from exc

    def get_prep_value(self, value: Any) -> str | None:
        value = self.to_python(value)
        return None if value is None else value.to_edtf()

    def run_validators(self, value: Any) -> None:
        super().run_validators(value.to_edtf() if isinstance(value, PartialDate) else value)

    def formfield(self, **kwargs: Any) -> Any:
        return super().formfield(**{"form_class": PartialDateFormField, **kwargs})

    def value_to_string(self, obj: models.Model) -> str:
        value = self.value_from_object(obj)
        return "" if value is None else value.to_edtf()
