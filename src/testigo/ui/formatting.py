"""Dates with precision as a person reads them, in the active language."""

from __future__ import annotations

from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _

from testigo.domain.dates import PartialDate, Precision


def partial_date_display(value: Any) -> str:
    """'15 de agosto de 2024', 'agosto de 2024', '2024', '11–20 ago. 2024 (aprox.)' …"""
    if value is None or value == "":
        return ""
    if not isinstance(value, PartialDate):
        return str(value)
    if value.precision == Precision.DAY:
        text = formats.date_format(value.start, "DATE_FORMAT")
    elif value.precision == Precision.MONTH:
        text = formats.date_format(value.start, "YEAR_MONTH_FORMAT")
    elif value.precision == Precision.YEAR:
        text = str(value.start.year)
    else:
        start = formats.date_format(value.start, "SHORT_DATE_FORMAT")
        end = formats.date_format(value.end, "SHORT_DATE_FORMAT")
        text = f"{start} – {end}"
    if value.approximate:
        text = _("around %(date)s") % {"date": text}
    return text
