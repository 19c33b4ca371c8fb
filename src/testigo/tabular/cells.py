"""Cell values as text, column letters, and spreadsheet formula injection.

Rows are always handed on as text: a reader turns each workbook cell into the string a person
sees, so that a value is stored exactly as the source gave it and every format behaves alike.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta
from decimal import Decimal

__all__ = [
    "FORMULA_STARTS",
    "cell_text",
    "clean_header",
    "column_letter",
    "looks_like_formula",
    "neutralise",
]

# OWASP "CSV Injection": cells starting with these are read as formulas by Excel, LibreOffice or
# Google Sheets. The full-width forms are included because some spreadsheet programs fold them.
FORMULA_STARTS = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")
_SIGNED_NUMBER = re.compile(r"[+-]\s*[0-9][0-9\s.,]*")  # "-5", "+58 412 555 1234"


def column_letter(index: int) -> str:
    """Spreadsheet letter of a 0-based column index: 0 → "A", 27 → "AB"."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _number_text(value: float) -> str:
    if value != value or value in (float("inf"), float("-inf")):  # NaN, infinities
        return str(value)
    # A cédula typed into Excel comes back as 12345678.0; a person sees 12345678.
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def cell_text(value: object) -> str:
    """The text a person sees in a workbook cell: None → "", 3.0 → "3", a date → "2024-08-15".

    Dates and date-times at midnight become ISO dates, which the date parser reads exactly;
    other date-times keep their time ("2024-08-15T10:30:00").
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _number_text(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    if isinstance(value, datetime):
        if value.time() == time(0, 0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def clean_header(text: str) -> str:
    """A header as written, trimmed and with runs of spaces (and line breaks) made single."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def looks_like_formula(text: str) -> bool:
    """True if a spreadsheet could run `text` as a formula ("=cmd|' /C calc'!A0", "@SUM(...)").

    Plain numbers and phone numbers ("-5", "+58 412 555 1234") are not flagged; `neutralise`
    still quotes them on export, as OWASP advises, because it cannot know the reader.
    """
    stripped = text.lstrip(" ")
    if not stripped or stripped[0] not in FORMULA_STARTS:
        return False
    return _SIGNED_NUMBER.fullmatch(stripped) is None


def neutralise(text: str) -> str:
    """Prefix a cell with a single quote when a spreadsheet could read it as a formula.

    OWASP's advice for CSV injection: any cell that starts (after spaces) with = + - @, a tab or
    a carriage return is written as ``'`` followed by the text, so it is shown, never evaluated.
    """
    stripped = text.lstrip(" ")
    if stripped and stripped[0] in FORMULA_STARTS:
        return "'" + text
    return text
