"""Search keys that forgive how Spanish names get misspelt.

A name is folded (no accents, lower case) and reduced to a *skeleton* in which letters that
sound alike in Venezuelan Spanish collapse (b/v, s/z/c before e,i, y/ll, silent h, qu/k, g/gu
before e,i) and doubled letters merge. "Gonzalez", "Gonsales" and "GONZÁLEZ" share one skeleton.
"""

from __future__ import annotations

import re

from testigo.domain.text import fold

_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"ll", "y"),
        (r"qu(?=[ei])", "k"),
        (r"gu(?=[ei])", "g"),
        (r"c(?=[ei])", "s"),
        (r"c", "k"),
        (r"q", "k"),
        (r"z", "s"),
        (r"v", "b"),
        (r"w", "u"),
        (r"x", "ks"),
        (r"(?<![cs])h", ""),
        (r"i(?=[aeou])", "y"),
        (r"([a-z])\1+", r"\1"),
    )
)


def skeleton(word: str) -> str:
    """The sound-alike skeleton of one folded word."""
    out = fold(word).replace(" ", "")
    for pattern, replacement in _RULES:
        out = pattern.sub(replacement, out)
    return out


def search_text(*parts: str) -> str:
    """The stored search key: each word's skeleton, space separated, plus digits as they are."""
    words: list[str] = []
    for part in parts:
        words.extend(_id_digits(part or ""))
        for word in fold(part or "").split():
            if any(ch.isdigit() for ch in word):
                continue
            key = skeleton(word)
            if key:
                words.append(key)
    return " " + " ".join(words) + " "


def _id_digits(text: str) -> list[str]:
    """Digit runs of an ID as people write them ("V-12.345.678" → "12345678")."""
    return [re.sub(r"\D", "", m) for m in re.findall(r"\d[\d.\s-]*\d|\d", text)]


def query_keys(query: str) -> list[str]:
    """Keys to look for: the skeleton of each query word (digits of IDs kept whole)."""
    keys = [digits for digits in _id_digits(query) if len(digits) >= 4]
    for word in fold(query).split():
        if any(ch.isdigit() for ch in word):
            continue
        key = skeleton(word)
        if key:
            keys.append(key)
    return keys
