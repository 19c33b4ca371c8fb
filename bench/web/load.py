"""Fill a fresh Testigo database with a realistic 1,000,000-violation record, quickly.

Shape (defaults): 400,000 persons (pseudonyms V-00001…, Spanish names, ``search_text`` from
:func:`testigo.domain.search.search_text`), 1,000,000 source records (each source's version of a
victim's name, with the misspellings sources make), 1,000,000 violations (act types from the
built-in vocabulary, EDTF partial dates clustered on the 2024 post-election crackdown, places from
the Venezuela pack), their perpetrator bodies and records, a detention for every arbitrary
detention, incidents, and 200 cases shared by 10 lawyers.

Rows go in with COPY on PostgreSQL and ``executemany`` on SQLite, not through the ORM, so the
bulk rows have **no audit entries** (the benchmark reads pages; it does not need the log). The
vocabularies, the country pack, users and cases are written through the services and are audited.

    .venv/bin/python bench/web/load.py --data-dir /tmp/x [--database-url URL] [--violations N]
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import random
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import django_setup, pg_create, sqlite_url

BENCH_PASSWORD_NOTE = "bench users have unusable passwords; sessions are created directly"
LAWYERS = 10
ELECTION_DAY = date(2024, 7, 28)
INAUGURATION_DAY = date(2025, 1, 10)
HISTORY_START = date(2014, 1, 1)
HISTORY_END = date(2026, 10, 31)

#: Share of violations by act type (the rest of the vocabulary gets a small share each).
ACT_WEIGHTS = {
    "arbitrary_detention": 44.0,
    "ill_treatment": 14.0,
    "torture": 10.0,
    "threat": 10.0,
    "persecution": 8.0,
    "enforced_disappearance": 6.0,
    "killing": 3.0,
    "sexual_violence": 2.0,
    "rape": 1.0,
}
SOURCES = (
    ("Foro Penal — lista de presos políticos", "ngo_list", "B", 2),
    ("Provea — informe anual", "ngo_list", "B", 2),
    ("Observatorio Venezolano de Conflictividad Social", "ngo_list", "B", 3),
    ("Justicia, Encuentro y Perdón", "ngo_list", "C", 3),
    ("Monitor de Víctimas", "media", "C", 3),
    ("Efecto Cocuyo", "media", "C", 3),
    ("Testimonios de familiares (intake)", "intake", "F", 6),
    ("Testimonios directos", "testimony", "C", 2),
    ("Expedientes de abogados defensores", "lawyer_dossier", "B", 2),
    ("Ministerio Público (comunicados)", "official", "E", 5),
    ("Redes sociales verificadas", "open_source", "D", 4),
    ("ACNUDH — Misión de determinación de los hechos", "ngo_list", "A", 2),
)
SOURCE_WEIGHTS = (22, 14, 10, 8, 8, 5, 9, 6, 6, 3, 6, 3)
STATUS_WEIGHTS = {"alleged": 60.0, "corroborated": 30.0, "verified": 10.0}


# ---------------------------------------------------------------------------- random helpers


class Pick:
    """A fixed weighted choice, faster than ``random.choices`` for millions of draws."""

    def __init__(self, items: Sequence[Any], weights: Sequence[float]) -> None:
        self.items = list(items)
        self.cum = list(itertools.accumulate(float(w) for w in weights))
        self.total = self.cum[-1]

    def __call__(self, rng: random.Random) -> Any:
        index = bisect.bisect_right(self.cum, rng.random() * self.total)
        return self.items[min(index, len(self.items) - 1)]


def zipf(n: int, exponent: float = 0.9) -> list[float]:
    return [1.0 / (rank + 1) ** exponent for rank in range(n)]


_SWAPS = (("z", "s"), ("s", "z"), ("v", "b"), ("b", "v"), ("ll", "y"), ("y", "ll"), ("h", ""))
_PLAIN = str.maketrans("áéíóúÁÉÍÓÚüÜ", "aeiouAEIOUuU")


def misspell(rng: random.Random, text: str) -> str:
    """Write ``text`` as a hurried source or a searching user might: accents dropped, one
    sound-alike letter swapped, sometimes a letter lost."""
    out = text.translate(_PLAIN) if rng.random() < 0.8 else text
    options = [
        (i, old, new)
        for old, new in _SWAPS
        for i in range(1, len(out))
        if out.lower().startswith(old, i)
    ]
    if options and rng.random() < 0.7:
        i, old, new = options[rng.randrange(len(options))]
        out = out[:i] + new + out[i + len(old) :]
    if rng.random() < 0.15 and len(out) > 5:
        i = rng.randrange(2, len(out) - 1)
        if out[i].isalpha():
            out = out[:i] + out[i + 1 :]
    return out


def event_day(rng: random.Random) -> date:
    """Two-thirds on the crackdown (peak after 28 Jul 2024, a spike on 10 Jan 2025); the rest
    spread over 2014–2026."""
    draw = rng.random()
    if draw < 0.55:
        return ELECTION_DAY + timedelta(days=min(int(rng.expovariate(1 / 25)), 400))
    if draw < 0.65:
        return INAUGURATION_DAY + timedelta(days=int(rng.gauss(0, 6)))
    span = (HISTORY_END - HISTORY_START).days
    return HISTORY_START + timedelta(days=rng.randrange(span))


def partial_date(rng: random.Random, day: date) -> Any:
    """The date as a source stated it: mostly a day, sometimes a month, a year or a range."""
    from testigo.domain.dates import PartialDate

    draw = rng.random()
    approximate = rng.random() < 0.04
    if draw < 0.72:
        return PartialDate.day(day.year, day.month, day.day, approximate=approximate)
    if draw < 0.90:
        return PartialDate.month(day.year, day.month, approximate=approximate)
    if draw < 0.95:
        return PartialDate.year(day.year, approximate=approximate)
    return PartialDate.range(day, day + timedelta(days=rng.randrange(1, 15)), approximate)


# ---------------------------------------------------------------------------- bulk writer


def batched(rows: Iterable[Any], size: int) -> Iterator[tuple[Any, ...]]:
    """Successive tuples of ``size`` rows (``itertools.batched`` is Python 3.12+)."""
    iterator = iter(rows)
    while batch := tuple(itertools.islice(iterator, size)):
        yield batch


class BulkWriter:
    """Writes rows straight into a model's table: COPY on PostgreSQL, executemany on SQLite.

    Columns not given get the field's default (or NULL), so fields other engineers add with a
    default do not break the loader.
    """

    def __init__(self) -> None:
        from django.db import connection

        self.connection = connection
        self.vendor = connection.vendor
        self.rows_written = 0

    def _defaults(self, model: Any, columns: Sequence[str]) -> tuple[list[str], list[Any]]:
        from django.db import models

        names: list[str] = []
        values: list[Any] = []
        for f in model._meta.concrete_fields:
            if f.column in columns or f.primary_key:
                continue
            if f.has_default():
                value = f.get_default()
                if isinstance(f, models.JSONField):
                    value = json.dumps(value)
                else:
                    value = f.get_db_prep_save(value, self.connection)
            elif f.null:
                value = None
            elif f.blank and isinstance(f, models.CharField | models.TextField):
                value = ""
            else:
                raise SystemExit(f"{model.__name__}.{f.name} has no default: update the loader")
            names.append(f.column)
            values.append(value)
        return names, values

    def write(self, model: Any, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        """Insert ``rows`` (values for ``columns``) into ``model``'s table; returns the count."""
        from django.db import transaction

        extra_names, extra_values = self._defaults(model, columns)
        names = [*columns, *extra_names]
        extra = tuple(extra_values)
        table = model._meta.db_table
        quoted = ", ".join(f'"{n}"' for n in names)
        count = 0
        self.connection.ensure_connection()
        raw = self.connection.connection
        with transaction.atomic():
            if self.vendor == "postgresql":
                with (
                    raw.cursor() as cursor,
                    cursor.copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy,
                ):
                    for row in rows:
                        copy.write_row((*row, *extra) if extra else row)
                        count += 1
            else:
                marks = ", ".join("?" * len(names))
                sql = f'INSERT INTO "{table}" ({quoted}) VALUES ({marks})'
                for batch in batched(rows, 20_000):
                    if extra:
                        batch = tuple((*row, *extra) for row in batch)
                    raw.executemany(sql, batch)
                    count += len(batch)
        self.rows_written += count
        return count


# ---------------------------------------------------------------------------- the data


@dataclass
class Vocab:
    """Ids of the reference rows the generated rows point to."""

    acts: dict[str, int]
    affiliations: list[int]
    places: list[int]
    place_pick: Pick
    bodies: list[int]
    facilities: list[int]
    sources: list[int]


@dataclass
class PersonRow:
    given: str
    surnames: str
    sex: str
    national_id: str
    birth: Any


@dataclass
class LoadReport:
    """What was loaded, how long it took."""

    database: str
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    users: dict[str, list[str]] = field(default_factory=dict)

    def lines(self) -> list[str]:
        total = sum(self.seconds.values())
        out = [f"loaded ({self.database}) in {total:,.0f} s — bulk rows have NO audit entries:"]
        for name, n in self.counts.items():
            out.append(f"  {name:<26} {n:>10,}")
        out.append("  phases: " + ", ".join(f"{k} {v:.0f} s" for k, v in self.seconds.items()))
        return out


def m2m(model: Any, name: str) -> tuple[Any, tuple[str, str]]:
    """The through model of ``model.name`` and its (this side, other side) columns."""
    f = model._meta.get_field(name)
    return f.remote_field.through, (f.m2m_column_name(), f.m2m_reverse_name())


def _reference_data() -> Vocab:
    """Vocabularies and the Venezuela pack through the services; sources through the ORM."""
    from testigo.audit.context import acting_as
    from testigo.core.models import DetentionFacility, PerpetratorBody, Place, Source
    from testigo.core.models import VocabularyTerm as Term
    from testigo.core.services import vocabularies_load
    from testigo.countrypacks.services import pack_load

    with acting_as("bench:web"):
        vocabularies_load()
        pack_load("ve")
        sources = []
        for name, kind, reliability, credibility in SOURCES:
            source, _ = Source.objects.get_or_create(
                name=name,
                defaults={"kind": kind, "reliability": reliability, "credibility": credibility},
            )
            sources.append(source.pk)
    acts = dict(Term.objects.filter(vocabulary="act_type").values_list("code", "id"))
    places = list(
        Place.objects.filter(level__in=["municipality", "parish"])
        .order_by("code")
        .values_list("id", "code")
    )
    # Caracas (VE-A) and the big states weigh more; otherwise a long tail.
    weights = [(8.0 if code.startswith(("VE-A/", "VE-M/", "VE-V/")) else 1.0) for _, code in places]
    return Vocab(
        acts=acts,
        affiliations=list(
            Term.objects.filter(vocabulary="affiliation").values_list("id", flat=True)
        ),
        places=[pk for pk, _ in places],
        place_pick=Pick([pk for pk, _ in places], weights),
        bodies=list(PerpetratorBody.objects.values_list("id", flat=True)),
        facilities=list(DetentionFacility.objects.values_list("id", flat=True)),
        sources=sources,
    )


def _persons(rng: random.Random, n: int) -> list[PersonRow]:
    from testigo.demo.generator import FEMALE_GIVEN_NAMES, MALE_GIVEN_NAMES, SURNAMES

    male = Pick(MALE_GIVEN_NAMES, zipf(len(MALE_GIVEN_NAMES)))
    female = Pick(FEMALE_GIVEN_NAMES, zipf(len(FEMALE_GIVEN_NAMES)))
    surname = Pick(SURNAMES, zipf(len(SURNAMES), 0.8))
    ids = rng.sample(range(3_000_000, 33_000_000), n)
    out = []
    for i in range(n):
        sex = "M" if rng.random() < 0.7 else ("F" if rng.random() < 0.95 else "")
        given = (female if sex == "F" else male)(rng)
        if rng.random() < 0.35:
            second = (female if sex == "F" else male)(rng)
            if second.split()[0] != given.split()[0]:
                given = f"{given} {second}"
        surnames = f"{surname(rng)} {surname(rng)}" if rng.random() < 0.85 else surname(rng)
        national_id = "" if rng.random() < 0.2 else f"{'V' if rng.random() < 0.97 else 'E'}{ids[i]}"
        birth = None
        if rng.random() < 0.8:
            born = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 58))
            birth = partial_date(rng, born)
        out.append(PersonRow(given, surnames, sex, national_id, birth))
    return out


def _victims(rng: random.Random, n_persons: int, n_violations: int) -> list[int]:
    """The victim of each violation: every person at least once, a few many times, shuffled."""
    counts = Pick([1, 2, 3, 4, 5, 6, 8, 12], [40, 24, 14, 9, 5, 4, 3, 1])
    victims: list[int] = list(range(1, n_persons + 1))
    while len(victims) < n_violations:
        person = rng.randrange(1, n_persons + 1)
        victims.extend([person] * (counts(rng) - 1 or 1))
    del victims[n_violations:]
    rng.shuffle(victims)
    return victims


def load(
    *,
    n_violations: int = 1_000_000,
    n_persons: int = 400_000,
    n_records: int = 1_000_000,
    n_cases: int = 200,
    seed: int = 2026,
    log: Callable[[str], None] = print,
) -> LoadReport:
    """Migrate a fresh database and fill it (Django must be set up). Deterministic per seed."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission
    from django.core.management import call_command
    from django.core.management.color import no_style
    from django.db import connection
    from django.utils import timezone

    import testigo.domain.search as search_module
    from testigo.audit.context import acting_as
    from testigo.core.models import (
        Case,
        Detention,
        Incident,
        Person,
        Record,
        Violation,
    )

    rng = random.Random(seed)
    report = LoadReport(database=connection.vendor)
    clock = time.perf_counter()

    def phase(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        report.seconds[name] = now - clock
        clock = now
        log(f"  … {name}: {report.seconds[name]:.1f} s")

    call_command("migrate", verbosity=0, interactive=False)
    if Person.all_objects.exists() or Violation.all_objects.exists():
        raise SystemExit("the loader needs an empty database")
    vocab = _reference_data()
    phase("migrate+reference")

    # The search key is computed per row with the app's own function; memoising the per-word
    # skeleton keeps the output identical and makes 1.4M keys affordable.
    uncached = search_module.skeleton
    search_module.skeleton = __import__("functools").lru_cache(maxsize=None)(uncached)
    search_text = search_module.search_text

    writer = BulkWriter()
    now = timezone.now()
    stamp = (
        now if connection.vendor == "postgresql" else connection.ops.adapt_datetimefield_value(now)
    )
    is_pg = connection.vendor == "postgresql"
    true, false = (True, False) if is_pg else (1, 0)

    if connection.vendor == "sqlite":
        connection.ensure_connection()
        raw = connection.connection
        raw.execute("PRAGMA foreign_keys=OFF")
        raw.execute("PRAGMA synchronous=OFF")
        raw.execute("PRAGMA cache_size=-262144")

    # Persons ------------------------------------------------------------------------------
    people = _persons(rng, n_persons)
    affiliation = Pick(
        [None, *vocab.affiliations], [80] + [20 / len(vocab.affiliations)] * len(vocab.affiliations)
    )
    role = Pick(["victim", "witness", "defender"], [97, 2, 1])

    def person_rows() -> Iterator[tuple[Any, ...]]:
        for pk, p in enumerate(people, start=1):
            code = f"V-{pk:05d}"
            yield (
                pk, stamp, stamp, None, code, p.given, p.surnames, p.sex,
                p.birth.to_edtf() if p.birth else None, p.national_id, affiliation(rng),
                role(rng), true if rng.random() < 0.9 else false, false, "{}",
                search_text(p.given, p.surnames, p.national_id, code),
            )  # fmt: skip

    person_columns = (
        "id", "created_at", "updated_at", "deleted_at", "pseudonym_code", "given_names",
        "surnames", "sex", "birth_date", "national_id", "affiliation_id", "role", "protected",
        "deceased", "provenance", "search_text",
    )  # fmt: skip
    report.counts["persons"] = writer.write(Person, person_columns, person_rows())
    phase("persons")

    # Violations, records, detentions --------------------------------------------------------
    victims = _victims(rng, n_persons, n_violations)
    act_pick = Pick(
        [vocab.acts[c] for c in vocab.acts],
        [ACT_WEIGHTS.get(c, 0.2) for c in vocab.acts],
    )
    detention_act = vocab.acts["arbitrary_detention"]
    status_pick = Pick(list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values()))
    source_pick = Pick(vocab.sources, SOURCE_WEIGHTS[: len(vocab.sources)])
    source_rows: dict[int, int] = dict.fromkeys(vocab.sources, 0)
    sha = {s: f"{s:064x}" for s in vocab.sources}
    n_incidents = max(1, n_violations // 500)
    incident_days = [event_day(rng) for _ in range(n_incidents)]
    incident_places = [vocab.place_pick(rng) for _ in range(n_incidents)]

    violations: list[tuple[Any, ...]] = []
    dates: list[Any] = []
    for pk, victim in enumerate(victims, start=1):
        act = act_pick(rng)
        incident = rng.randrange(n_incidents) if rng.random() < 0.2 else None
        if incident is not None:
            day, place = incident_days[incident], incident_places[incident]
        else:
            day, place = event_day(rng), vocab.place_pick(rng)
        when = partial_date(rng, day)
        dates.append(when)
        description = "" if rng.random() < 0.9 else "Según el testimonio de un familiar."
        violations.append(
            (
                pk, stamp, stamp, None, victim, act, None if incident is None else incident + 1,
                when.to_edtf(), place, status_pick(rng), description,
            )
        )  # fmt: skip

    incident_rows = (
        (i + 1, stamp, stamp, None, f"Protesta en {incident_days[i]:%d/%m/%Y}", "",
         incident_days[i].isoformat(), incident_places[i])
        for i in range(n_incidents)
    )  # fmt: skip
    report.counts["incidents"] = writer.write(
        Incident,
        (
            "id",
            "created_at",
            "updated_at",
            "deleted_at",
            "title",
            "description",
            "date",
            "place_id",
        ),
        incident_rows,
    )
    violation_columns = (
        "id", "created_at", "updated_at", "deleted_at", "victim_id", "act_type_id",
        "incident_id", "date", "place_id", "status", "description",
    )  # fmt: skip
    report.counts["violations"] = writer.write(Violation, violation_columns, violations)
    phase("violations")

    def body_rows() -> Iterator[tuple[int, int]]:
        for pk in range(1, n_violations + 1):
            draw = rng.random()
            if draw < 0.85:
                yield (pk, rng.choice(vocab.bodies))
            if draw < 0.1:
                yield (pk, rng.choice(vocab.bodies))

    seen: set[tuple[int, int]] = set()
    unique_bodies = (row for row in body_rows() if not (row in seen or seen.add(row)))
    report.counts["violation perpetrator bodies"] = writer.write(
        *m2m(Violation, "perpetrator_bodies"), unique_bodies
    )
    seen.clear()
    phase("perpetrator bodies")

    def record_rows() -> Iterator[tuple[Any, ...]]:
        for pk in range(1, n_records + 1):
            v = violations[(pk - 1) % n_violations]
            person = people[v[4] - 1]
            source = source_pick(rng)
            source_rows[source] += 1
            row = source_rows[source]
            given = misspell(rng, person.given) if rng.random() < 0.3 else person.given
            surnames = misspell(rng, person.surnames) if rng.random() < 0.3 else person.surnames
            if rng.random() < 0.15:
                surnames = surnames.split()[0]
            nid = person.national_id if rng.random() < 0.7 else ""
            when = dates[(pk - 1) % n_violations]
            age = None
            if person.birth is not None and rng.random() < 0.3:
                age = max(0, min(120, when.start.year - person.birth.start.year))
            facility = rng.choice(vocab.facilities) if v[5] == detention_act else None
            raw = {
                "nombres": given, "apellidos": surnames, "cedula": nid,
                "hecho": v[5], "fecha_hecho": str(when), "fila": row,
            }  # fmt: skip
            yield (
                pk, stamp, stamp, None, source, f"{source}-{row:07d}", 1, None, sha[source], row,
                json.dumps(raw, ensure_ascii=False), given, surnames, person.sex,
                person.birth.to_edtf() if person.birth else None, age, nid, None, v[5],
                when.to_edtf(), v[8], rng.choice(vocab.bodies) if rng.random() < 0.8 else None,
                facility, "held" if facility else "", "[]",
                v[4] if rng.random() < 0.97 else None, round(rng.uniform(0.8, 1.0), 3),
                search_text(given, surnames, nid),
            )  # fmt: skip

    record_columns = (
        "id", "created_at", "updated_at", "deleted_at", "source_id", "external_key", "version",
        "supersedes_id", "source_file_sha256", "source_row", "raw", "given_names", "surnames",
        "sex", "birth_date", "age", "national_id", "affiliation_id", "act_type_id",
        "event_date", "place_id", "perpetrator_body_id", "facility_id", "detention_status",
        "problems", "person_id", "link_confidence", "search_text",
    )  # fmt: skip
    report.counts["records"] = writer.write(Record, record_columns, record_rows())
    report.counts["violation records"] = writer.write(
        *m2m(Violation, "records"),
        ((((pk - 1) % n_violations) + 1, pk) for pk in range(1, n_records + 1)),
    )
    phase("records")

    statuses = Pick(
        ["held", "released", "conditionally_released", "disappeared", "died_in_custody"],
        [35, 30, 28, 6, 1],
    )

    def detention_rows() -> Iterator[tuple[Any, ...]]:
        pk = 0
        for v, when in zip(violations, dates, strict=True):
            if v[5] != detention_act:
                continue
            pk += 1
            status = statuses(rng)
            end = None
            if status in {"released", "conditionally_released", "died_in_custody"}:
                from testigo.domain.dates import PartialDate

                out = when.end + timedelta(days=rng.randrange(2, 400))
                end = PartialDate.day(out.year, out.month, out.day).to_edtf()
            charges = '["terrorismo", "incitación al odio"]' if rng.random() < 0.6 else "[]"
            yield (
                pk, stamp, stamp, None, v[4], v[0], when.to_edtf(), end, v[8],
                rng.choice(vocab.bodies), rng.choice(vocab.facilities), charges,
                "Tribunal de Control con competencia en terrorismo" if charges != "[]" else "",
                status,
            )  # fmt: skip

    detention_columns = (
        "id", "created_at", "updated_at", "deleted_at", "person_id", "violation_id", "start",
        "end", "arrest_place_id", "detaining_body_id", "facility_id", "charges", "court", "status",
    )  # fmt: skip
    report.counts["detentions"] = writer.write(Detention, detention_columns, detention_rows())
    phase("detentions")

    # Users and cases (through the ORM, audited) -----------------------------------------------
    user_model = get_user_model()
    reveal = Permission.objects.get(codename="reveal_identity", content_type__app_label="core")
    users: dict[str, list[str]] = {}
    with acting_as("bench:web"):
        for role_name, count in (
            ("analyst", 20),
            ("documenter", 10),
            ("viewer", 10),
            ("lawyer", LAWYERS),
        ):
            group, _ = Group.objects.get_or_create(name=role_name)
            for i in range(1, count + 1):
                user = user_model(username=f"bench-{role_name}-{i:02d}")
                user.set_unusable_password()
                user.save()
                user.groups.add(group)
                if role_name != "viewer":
                    user.user_permissions.add(reveal)
                users.setdefault(role_name, []).append(user.username)
    report.users = users
    lawyer_ids = list(
        user_model.objects.filter(username__startswith="bench-lawyer-")
        .order_by("username")
        .values_list("id", flat=True)
    )
    targets = ["icc_otp", "iachr", "un", "domestic"]
    with acting_as("bench:web"):
        cases = [
            Case.objects.create(
                reference=f"CASO-{i:04d}",
                title=f"Detenciones arbitrarias, expediente {i}",
                target_body=targets[i % 4],
            )
            for i in range(1, n_cases + 1)
        ]
    lawyer_rows, client_rows, case_violation_rows = [], [], []
    by_victim: dict[int, list[int]] = {}
    for v in violations:
        by_victim.setdefault(v[4], []).append(v[0])
    for index, case in enumerate(cases):
        lawyer_rows.append((case.pk, lawyer_ids[index % len(lawyer_ids)]))
        if rng.random() < 0.3:
            other = lawyer_ids[(index + 1 + rng.randrange(len(lawyer_ids) - 1)) % len(lawyer_ids)]
            lawyer_rows.append((case.pk, other))
        clients = rng.sample(range(1, n_persons + 1), rng.randint(5, 40))
        for person in clients:
            client_rows.append((case.pk, person))
            for violation in by_victim.get(person, []):
                case_violation_rows.append((case.pk, violation))
    report.counts["cases"] = len(cases)
    report.counts["case lawyers"] = writer.write(*m2m(Case, "lawyers"), lawyer_rows)
    report.counts["case clients"] = writer.write(*m2m(Case, "clients"), client_rows)
    report.counts["case violations"] = writer.write(*m2m(Case, "violations"), case_violation_rows)
    phase("users+cases")

    search_module.skeleton = uncached
    # Sequences past the explicit ids, then statistics for the planner.
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(
            no_style(), [Person, Record, Violation, Incident, Detention]
        ):
            cursor.execute(sql)
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        raw = connection.connection
        raw.autocommit = True
        raw.execute("VACUUM ANALYZE")
        raw.autocommit = False
    else:
        raw = connection.connection
        problems = raw.execute("PRAGMA foreign_key_check").fetchmany(5)
        if problems:
            raise SystemExit(f"foreign key problems in the loaded data: {problems}")
        raw.execute("PRAGMA foreign_keys=ON")
        raw.execute("PRAGMA synchronous=NORMAL")
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    phase("finish")
    connection.close()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--database-url", default=None, help="default: SQLite in the data dir")
    parser.add_argument("--violations", type=int, default=1_000_000)
    parser.add_argument("--persons", type=int, default=None, help="default: 40%% of violations")
    parser.add_argument("--records", type=int, default=None, help="default: = violations")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    url = args.database_url or sqlite_url(args.data_dir)
    if url.startswith("postgres"):
        pg_create(url)
    django_setup(args.data_dir, url)
    report = load(
        n_violations=args.violations,
        n_persons=args.persons or max(10, args.violations * 2 // 5),
        n_records=args.records or args.violations,
        seed=args.seed,
    )
    print("\n".join(report.lines()))


if __name__ == "__main__":
    main()
