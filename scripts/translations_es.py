"""Fill empty Spanish entries of the gettext catalogue from a reviewed table, then compile it.

Run after `testigo makemessages -l es`: .venv/bin/python scripts/translations_es.py
Entries already translated are left as they are; anything still missing is listed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polib

PO = Path(__file__).resolve().parent.parent / "src/testigo/locale/es/LC_MESSAGES/django.po"

SPANISH = {
    "Record": "Registro",
    "Date with precision": "Fecha con precisión",
    "%(value)s is not a date with precision (e.g. 2024-08-15, 2024-08, 2024).": (
        "%(value)s no es una fecha con precisión (p. ej. 2024-08-15, 2024-08, 2024)."
    ),
    "name (Spanish)": "nombre (español)",
    "name (English)": "nombre (inglés)",
    "act type": "tipo de hecho",
    "affiliation": "perfil",
    "vocabulary": "vocabulario",
    "code": "código",
    "Rome Statute article": "artículo del Estatuto de Roma",
    "e.g. 7(1)(e)": "p. ej. 7(1)(e)",
    "HURIDOCS mt04 term": "término HURIDOCS mt04",
    "words sources use for this term, any language": (
        "palabras que usan las fuentes para este término, en cualquier idioma"
    ),
    "country": "país",
    "state": "estado",
    "municipality": "municipio",
    "parish": "parroquia",
    "name": "nombre",
    "level": "nivel",
    "country pack": "paquete de país",
    "military": "militar",
    "police": "policía",
    "intelligence": "inteligencia",
    "judicial or prosecutorial": "judicial o fiscal",
    "pro-government armed group": "grupo armado progubernamental",
    "executive": "ejecutivo",
    "other": "otro",
    "kind": "tipo",
    "NGO list": "lista de ONG",
    "testimony": "testimonio",
    "lawyer's dossier": "expediente de abogado/a",
    "media": "medios de comunicación",
    "official": "oficial",
    "open source": "fuente abierta",
    "intake submission": "denuncia recibida",
    "A — completely reliable": "A — totalmente fiable",
    "B — usually reliable": "B — normalmente fiable",
    "C — fairly reliable": "C — bastante fiable",
    "D — not usually reliable": "D — normalmente no fiable",
    "E — unreliable": "E — no fiable",
    "F — reliability cannot be judged": "F — no se puede juzgar la fiabilidad",
    "reliability": "fiabilidad",
    "credibility": "credibilidad",
    "1 confirmed … 6 cannot be judged": "1 confirmada … 6 no se puede juzgar",
    "date obtained": "fecha de obtención",
    "description": "descripción",
    "male": "hombre",
    "female": "mujer",
    "unknown": "desconocido",
    "held": "detenido/a",
    "disappeared": "desaparecido/a",
    "conditionally released": "excarcelado/a con medidas",
    "released": "liberado/a",
    "died in custody": "fallecido/a bajo custodia",
    "victim": "víctima",
    "witness": "testigo",
    "alleged perpetrator": "presunto responsable",
    "human-rights defender": "defensor/a de derechos humanos",
    "pseudonym code": "código seudónimo",
    "given names": "nombres",
    "surnames": "apellidos",
    "sex": "sexo",
    "birth date": "fecha de nacimiento",
    "national ID": "documento de identidad",
    "role": "rol",
    "identity protected": "identidad protegida",
    "shown by pseudonym unless cleared": "se muestra por seudónimo salvo autorización",
    "deceased": "fallecido/a",
    "provenance of reconciled fields": "procedencia de los campos conciliados",
    "key in the source": "clave en la fuente",
    "row id or key the source uses": "número de fila o clave que usa la fuente",
    "raw payload": "datos originales",
    "age at event": "edad en el momento del hecho",
    "date of the event": "fecha del hecho",
    "normalisation problems": "problemas de normalización",
    "title": "título",
    "date": "fecha",
    "alleged": "denunciada",
    "corroborated": "corroborada",
    "verified": "verificada",
    "An alleged perpetrator cannot be the victim.": (
        "Un presunto responsable no puede ser la víctima."
    ),
    "arrest date": "fecha de detención",
    "release or end date": "fecha de liberación o de fin",
    "charges": "cargos",
    "court": "tribunal",
    "The detention cannot end before it starts.": (
        "La detención no puede terminar antes de empezar."
    ),
    "A detention with an end date is not ongoing.": (
        "Una detención con fecha de fin no puede seguir en curso."
    ),
    "ICC Office of the Prosecutor": "Fiscalía de la CPI",
    "Inter-American Commission on Human Rights": "Comisión Interamericana de Derechos Humanos",
    "UN mechanisms": "mecanismos de la ONU",
    "domestic court": "tribunal nacional",
    "open": "abierto",
    "filed": "presentado",
    "closed": "cerrado",
    "reference": "referencia",
    "Country packs": "Paquetes de país",
}


def main() -> int:
    catalogue = polib.pofile(str(PO))
    missing = []
    for entry in catalogue:
        if entry.obsolete:
            continue
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
            entry.msgstr = ""
        if not entry.msgstr:
            if entry.msgid in SPANISH:
                entry.msgstr = SPANISH[entry.msgid]
            else:
                missing.append(entry.msgid)
    catalogue.save()
    catalogue.save_as_mofile(str(PO.with_suffix(".mo")))
    for msgid in missing:
        print(f"untranslated: {msgid!r}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
