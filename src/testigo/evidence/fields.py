"""Model fields whose values the database only ever holds sealed (DESIGN.md §5: a seized server
reveals nothing identifying).

In Python the value is plain text (or a dict); in the database it is ``tg1:…``, sealed with the
evidence store's record key (:class:`testigo.blobstore.RecordCipher`, derived from the key that
the master key protects), bound to the column it belongs to. Consequences:

* the database cannot search or sort on these columns (filter on the evidence ID, hashes,
  description or links instead); a lookup on one raises :class:`FieldError`;
* an empty string stays empty, so "no device recorded" is visible, but nothing else is;
* the audit log's snapshot of such a field is ``sealed:<keyed digest>``, enough to see that the
  value changed and never the value itself;
* a row written before sealing (plain text) is still read; the next save seals it;
* reading needs the master key: without it, loading an item raises instead of showing a
  placeholder that a later save could write back over the real value.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core.exceptions import FieldError
from django.db import models

from testigo.blobstore import RecordCipher, is_sealed


def _cipher() -> RecordCipher:
    from testigo.evidence.store import get_store

    return get_store().records


class _NoLookups:
    """A sealed column matches nothing in SQL: refuse lookups loudly rather than find nothing."""

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)  # type: ignore[misc]
        raise FieldError(
            f"{self.name} is sealed in the database and cannot be "  # type: ignore[attr-defined]
            f"filtered on ({lookup_name}); filter in Python after loading"
        )


class SealedTextField(_NoLookups, models.TextField):
    """Text sealed at rest. ``max_length`` limits what forms accept (the column is unbounded)."""

    description = "Text sealed with the evidence record key"

    def __init__(self, *args: Any, multiline: bool = False, **kwargs: Any) -> None:
        self.multiline = multiline
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.multiline:
            kwargs["multiline"] = True
        return name, path, args, kwargs

    @property
    def seal_context(self) -> str:
        return f"{self.model._meta.label_lower}.{self.name}"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or not is_sealed(value):
            return value  # empty, or written before the column was sealed
        return _cipher().open(value, context=self.seal_context)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return _cipher().seal(value, context=self.seal_context)

    def value_to_string(self, obj: models.Model) -> str:
        value = self.value_from_object(obj)
        if not value:
            return ""
        return "sealed:" + _cipher().fingerprint(str(value), context=self.seal_context)

    def formfield(self, **kwargs: Any) -> Any:
        if not self.multiline:
            kwargs.setdefault("widget", forms.TextInput)
        return super().formfield(**kwargs)


class SealedJSONField(_NoLookups, models.TextField):
    """A JSON document (a dict) sealed at rest; not editable in forms."""

    description = "JSON sealed with the evidence record key"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("editable", False)
        kwargs.setdefault("default", dict)
        super().__init__(*args, **kwargs)

    @property
    def seal_context(self) -> str:
        return f"{self.model._meta.label_lower}.{self.name}"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return None
        if value == "":
            return {}
        if is_sealed(value):
            value = _cipher().open(value, context=self.seal_context)
        return json.loads(value)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.from_db_value(value, None, None)
        return value

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return None
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
        return _cipher().seal(text, context=self.seal_context)

    def value_to_string(self, obj: models.Model) -> str:
        value = self.value_from_object(obj)
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
        return "sealed:" + _cipher().fingerprint(text, context=self.seal_context)
