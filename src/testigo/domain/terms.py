"""Mapping free text from sources ("detenido", "Asesinado por colectivos") onto vocabulary codes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from testigo.domain.text import fold


@dataclass(frozen=True)
class TermLabels:
    code: str
    labels: tuple[str, ...]  # names in every language and synonyms


class TermMatcher:
    """Resolve free text to a term: an exact folded label first, then a label contained in the
    text ("asesinado por colectivos" → killing), then a close fuzzy match."""

    def __init__(self, terms: Iterable[TermLabels], *, min_score: float = 85) -> None:
        self.min_score = min_score
        self._by_label: dict[str, str] = {}
        for term in terms:
            for label in (term.code, *term.labels):
                key = fold(label.replace("_", " "))
                if key:
                    self._by_label.setdefault(key, term.code)
        # Longest labels first, so "violencia sexual" wins over "violencia".
        self._labels = sorted(self._by_label, key=len, reverse=True)

    def resolve(self, text: str) -> str | None:
        key = fold(text or "")
        if not key:
            return None
        if key in self._by_label:
            return self._by_label[key]
        padded = f" {key} "
        for label in self._labels:
            if f" {label} " in padded:
                return self._by_label[label]
        best = process.extractOne(key, self._labels, scorer=fuzz.ratio)
        if best and best[1] >= self.min_score:
            return self._by_label[best[0]]
        return None
