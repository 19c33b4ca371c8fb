"""A source's mapping as the import reads it: `testigo.tabular.Mapping` plus the key column.

The YAML is the engine's (see `testigo.tabular.mapping`) with one more top-level key::

    key: Nº de caso        # the column holding the source's own id for each row

A row whose key was imported before becomes a new version of that record when it changed, and
nothing when it did not. Without ``key`` a KoboToolbox export is keyed by its ``_uuid``
column; any other file by row number, so a re-sorted file reads as changed rows.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from testigo.domain.text import fold
from testigo.tabular import Mapping, MappingError

KOBO_KEY = "_uuid"


@dataclass
class SourceMapping:
    mapping: Mapping = field(default_factory=Mapping)
    key: str | None = None

    @classmethod
    def from_dict(cls, data: Any, *, where: str = "mapping") -> SourceMapping:
        if not isinstance(data, dict):
            raise MappingError(f"{where}: the top level must be a mapping of keys to values")
        data = dict(data)
        key = data.pop("key", None)
        if key is not None and (not isinstance(key, str) or not key.strip()):
            raise MappingError(f"{where}: 'key' must name a column")
        return cls(Mapping.from_dict(data, where=where), key.strip() if key else None)

    @classmethod
    def from_yaml(cls, text: str, *, where: str = "mapping") -> SourceMapping:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise MappingError(f"{where}: not valid YAML ({exc})") from None
        return cls.from_dict(data if data is not None else {}, where=where)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> SourceMapping:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise MappingError(f"{path}: cannot be read ({exc})") from None
        return cls.from_yaml(text, where=str(path))

    def to_dict(self) -> dict[str, Any]:
        data = self.mapping.to_dict()
        if self.key:
            data = {"version": data.pop("version"), "key": self.key, **data}
        return data

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True, width=100)

    def key_header(self, headers: Sequence[str], *, kobo: bool = False) -> str | None:
        """The file's header that holds the key (exact, else after folding), or None for row
        numbers. Raises MappingError if the mapping names a key column the file does not have."""
        if self.key is None:
            return KOBO_KEY if kobo and KOBO_KEY in headers else None
        if self.key in headers:
            return self.key
        folded = fold(self.key)
        match = next((h for h in headers if fold(h) == folded), None)
        if match is None:
            raise MappingError(
                f"mapping: key names the column {self.key!r}, but the file does not have it"
            )
        return match
