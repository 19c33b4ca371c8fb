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


@register.filter
def partial_date(value: object) -> str:
    """A date with precision in the user's language."""
    from testigo.ui.formatting import partial_date_display

    return partial_date_display(value)
