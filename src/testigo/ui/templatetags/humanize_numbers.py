"""Numbers as the user's language writes them (20.000 in Spanish, 20,000 in English)."""

from __future__ import annotations

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def thousands(value: int | float | None) -> str:
    if value is None:
        return ""
    return number_format(value, force_grouping=True)
