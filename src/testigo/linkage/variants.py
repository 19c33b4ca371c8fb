"""Spanish given-name variants, nicknames and a phonetic key for matching name units.

Two tools, both applied to one *name unit* ("José", "del Valle", "Pérez") after folding:

* `canonical_unit` maps nicknames, abbreviations and spelling variants to one form
  ("Chepe", "Pepe" -> "jose"; "Pancho", "Fco." -> "francisco"; "Ma.", "Mª" -> "maria") and drops
  particles ("de la Cruz" -> "cruz"), so that equal units compare equal.
* `phonetic_key` collapses the letter confusions of Venezuelan lists (b/v, s/z/c, y/ll/i,
  silent h, qu/k/c, doubled letters, "Jhon"/"John"/"Yon"), so "Yeferson" and "Jefferson",
  "Velásquez" and "Velázquez", "Yépez" and "Llepez" share a key. It is a blocking and comparison
  key, not a pronunciation.
"""

from __future__ import annotations

import re
from functools import lru_cache

from testigo.domain.names import PARTICLES
from testigo.domain.text import fold

__all__ = ["NICKNAMES", "canonical_unit", "phonetic_key"]

# Folded nickname, abbreviation or variant -> folded canonical given name. Kept small and
# unambiguous on purpose: "Beto" (Alberto or Roberto) and "Maite" (two names) are left out.
# fmt: off
NICKNAMES: dict[str, str] = {
    "chepe": "jose", "pepe": "jose", "jose": "jose", "jse": "jose", "jos": "jose",
    "pancho": "francisco", "paco": "francisco", "fco": "francisco", "frco": "francisco",
    "ma": "maria", "mari": "maria", "mria": "maria",
    "memo": "guillermo", "gmo": "guillermo", "guille": "guillermo",
    "nacho": "ignacio", "lucho": "luis", "chucho": "jesus", "chuy": "jesus", "jesu": "jesus",
    "tono": "antonio", "tonio": "antonio", "ant": "antonio", "anto": "antonio",
    "moncho": "ramon", "quique": "enrique", "kike": "enrique", "manolo": "manuel",
    "manu": "manuel", "rafa": "rafael", "goyo": "gregorio", "greg": "gregorio",
    "lupe": "guadalupe", "concha": "concepcion", "conchita": "concepcion", "pili": "pilar",
    "charo": "rosario", "chela": "graciela", "lola": "dolores", "lolita": "dolores",
    "pepa": "josefa", "pepita": "josefa", "chabela": "isabel", "isa": "isabel",
    "alex": "alejandro", "ale": "alejandra", "dani": "daniel", "migue": "miguel",
    "fer": "fernando", "nando": "fernando", "edu": "eduardo", "gaby": "gabriela",
    "gabi": "gabriela", "mayi": "mayerling", "yoli": "yolanda", "carmencita": "carmen",
    "juanca": "juan carlos", "joseg": "jose gregorio",
}
# fmt: on

_NON_LETTER = re.compile(r"[^a-z ]")
_REPEAT = re.compile(r"([a-z])\1+")
# Applied in order to a folded, particle-free word.
_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"ch", "1"),  # keep "ch" apart from c and h
        (r"sh", "s"),
        (r"ph", "f"),
        (r"th", "t"),
        (r"ll", "y"),
        (r"qu", "k"),
        (r"gu(?=[ei])", "2"),  # hard g before e/i, restored below
        (r"g(?=[ei])", "j"),
        (r"c(?=[ei])", "s"),
        (r"c", "k"),
        (r"z", "s"),
        (r"x", "ks"),
        (r"v", "b"),
        (r"w", "u"),
        (r"h", ""),
        (r"y(?=[aeiou])", "j"),  # consonant y: "Yeferson" ~ "Jefferson", "Yon" ~ "Jon"
        (r"y", "i"),  # vowel y: "Leidy" ~ "Leydi" ~ "Leidi"
    )
)


@lru_cache(maxsize=200_000)
def canonical_unit(unit: str) -> str:
    """Folded unit without particles, with nicknames and abbreviations mapped.

    >>> canonical_unit("Chepe"), canonical_unit("Ma."), canonical_unit("de la Cruz")
    ('jose', 'maria', 'cruz')
    """
    words = [w for w in fold(unit).replace("'", "").replace("-", " ").split() if w]
    kept = [w for w in words if w not in PARTICLES] or words
    text = " ".join(kept)
    return NICKNAMES.get(text, text)


@lru_cache(maxsize=200_000)
def phonetic_key(unit: str) -> str:
    """A key shared by spellings that Spanish speakers confuse.

    >>> phonetic_key("Velásquez") == phonetic_key("Velázquez") == phonetic_key("belasques")
    True
    >>> phonetic_key("Yeferson") == phonetic_key("Jefferson")
    True
    """
    text = _NON_LETTER.sub("", canonical_unit(unit).replace(" ", ""))
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return _REPEAT.sub(r"\1", text).replace("1", "ch").replace("2", "g")
