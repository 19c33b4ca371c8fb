"""Text folding shared by names, places and other fuzzy comparisons."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["fold", "strip_accents"]

# Apostrophe look-alikes that spreadsheets and keyboards produce; "´" must be mapped before
# decomposition or it turns into a space plus a combining accent.
_APOSTROPHES = str.maketrans(dict.fromkeys("\u2019\u2018\u02bc\u00b4`", "'"))
_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2212", "-"))
_NOT_WORD = re.compile(r"[^\w\s'-]|_")
# A hyphen or apostrophe is kept only between two word characters ("d'angelo", "maria-jose").
_LOOSE_JOINER = re.compile(r"(?<!\w)['-]|['-](?!\w)")


def strip_accents(text: str) -> str:
    """Remove diacritics but keep the base letters: "Mérida, Peña" -> "Merida, Pena"."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", bare)


# Names and places repeat across a list: an import folds the same words millions of times.
@lru_cache(maxsize=1 << 16)
def fold(text: str) -> str:
    """Fold text for comparison: no accents, case-folded, punctuation dropped, single spaces.

    Hyphens and apostrophes survive only inside words.

    >>> fold("  Edo. MÉRIDA — Pq. «El Llano»  ")
    'edo merida pq el llano'
    >>> fold("D’Ángelo  María-José")
    "d'angelo maria-jose"
    """
    folded = strip_accents(text).casefold().translate(_DASHES)
    folded = _NOT_WORD.sub(" ", folded)
    folded = _LOOSE_JOINER.sub(" ", folded)
    return " ".join(folded.split())
