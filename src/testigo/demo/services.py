"""Loading the synthetic demo data set: idempotent, one transaction, audited."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from tqdm import tqdm

from testigo.audit.services import audit_record_created
from testigo.core.models import (
    DetentionFacility,
    PerpetratorBody,
    Place,
    Record,
    Source,
    VocabularyTerm,
)
from testigo.core.selectors import reported_context
from testigo.core.services import vocabularies_load
from testigo.countrypacks.packfile import pack_read
from testigo.countrypacks.services import pack_load
from testigo.demo.generator import generate
from testigo.demo.models import DemoDataset, TruthLink
from testigo.domain.reported import normalise_reported

DEMO_PACK = "ve"
ROLES = ("administrator", "analyst", "documenter", "lawyer", "viewer")
#: Demo users allowed to reveal protected identities (the viewer is not).
CLEARED_ROLES = ("administrator", "analyst", "documenter", "lawyer")


@dataclass(frozen=True)
class DemoLoadReport:
    created: bool
    records: int
    sources: int
    problems: int


def demo_load(
    *, n_records: int = 20_000, seed: int = 2024, progress: bool = False
) -> DemoLoadReport:
    """Load the pack, vocabularies and the synthetic data set, unless already loaded."""
    vocabularies_load()
    pack_load(DEMO_PACK)
    existing = DemoDataset.objects.filter(seed=seed, n_records=n_records).first()
    if existing is not None:
        return DemoLoadReport(False, existing.truth.count(), Source.objects.count(), 0)

    pack = pack_read(DEMO_PACK)
    dataset = generate(
        pack=pack.manifest, gazetteer_places=pack.places, n_records=n_records, seed=seed
    )
    context = reported_context(pack)
    places = dict(Place.objects.values_list("code", "id"))
    bodies = dict(PerpetratorBody.objects.values_list("code", "id"))
    facilities = dict(DetentionFacility.objects.values_list("code", "id"))
    terms = {
        (v, c): pk for pk, v, c in VocabularyTerm.objects.values_list("id", "vocabulary", "code")
    }

    with transaction.atomic():
        sources: dict[str, Source] = {}
        for demo_source in dataset.sources:
            source = Source.objects.filter(name=demo_source.name).first()
            if source is None:
                source = Source.objects.create(
                    name=demo_source.name,
                    kind=demo_source.kind,
                    reliability=demo_source.reliability,
                    credibility=demo_source.credibility,
                    obtained=None,
                    description="Synthetic demo source (not real data).",
                )
            sources[demo_source.key] = source
        row = DemoDataset.objects.create(seed=seed, n_records=n_records, summary={})
        records: list[Record] = []
        problems = 0
        iterator = tqdm(dataset.records, desc="records", unit="rec", disable=not progress)
        for demo_record in iterator:
            fields = normalise_reported(demo_record.raw, context)
            problems += len(fields.problems)
            name = fields.name
            records.append(
                Record(
                    source=sources[demo_record.source_key],
                    external_key=demo_record.record_key,
                    source_row=demo_record.row,
                    raw=dict(demo_record.raw),
                    given_names=" ".join(name.given_names) if name else "",
                    surnames=" ".join(name.surnames) if name else "",
                    sex=fields.sex,
                    birth_date=fields.birth_date,
                    age=fields.age,
                    national_id=fields.national_id,
                    act_type_id=terms.get(("act_type", fields.act_type or "")),
                    affiliation_id=terms.get(("affiliation", fields.affiliation or "")),
                    event_date=fields.event_date,
                    place_id=places.get(fields.place_code or ""),
                    perpetrator_body_id=bodies.get(fields.body_code or ""),
                    facility_id=facilities.get(fields.facility_code or ""),
                    detention_status=fields.detention_status,
                    problems=[p.__dict__ for p in fields.problems],
                )
            )
        for record in records:
            record.refresh_search_text()
        Record.objects.bulk_create(records, batch_size=2000)
        audit_record_created(records, actor="system:demo")
        TruthLink.objects.bulk_create(
            [
                TruthLink(
                    dataset=row,
                    record=record,
                    true_person_key=demo_record.true_person_key,
                    event_key=demo_record.event_key or "",
                )
                for record, demo_record in zip(records, dataset.records, strict=True)
            ],
            batch_size=5000,
        )
        row.summary = dataset.summary()
        row.save()
    return DemoLoadReport(True, len(records), len(sources), problems)


def demo_users_ensure() -> list[tuple[str, str, str]]:
    """Create one demo user per role (once) and return (role, username, password) for each.

    Passwords are random, kept only in ``<data dir>/demo-logins.txt`` (mode 0600) so they can be
    printed again; they are never committed anywhere.
    """
    logins_path = Path(settings.DATA_DIR) / "demo-logins.txt"
    known: dict[str, tuple[str, str, str]] = {}
    if logins_path.exists():
        for line in logins_path.read_text(encoding="utf-8").splitlines():
            role, username, password = line.split("\t")
            known[username] = (role, username, password)
    user_model = get_user_model()
    logins = []
    with transaction.atomic():
        for role in ROLES:
            group, _ = Group.objects.get_or_create(name=role)
            username = f"demo-{role}"
            user = user_model.objects.filter(username=username).first()
            if user is None or username not in known:
                password = secrets.token_urlsafe(12)
                if user is None:
                    user = user_model.objects.create_user(username=username, password=password)
                else:
                    user.set_password(password)
                user.is_staff = role == "administrator"
                user.is_superuser = role == "administrator"
                user.save()
                known[username] = (role, username, password)
            user.groups.add(group)
            if role in CLEARED_ROLES:
                user.user_permissions.add(
                    Permission.objects.get(
                        codename="reveal_identity", content_type__app_label="core"
                    )
                )
            logins.append(known[username])
    text = "".join("\t".join(login) + "\n" for login in logins)
    logins_path.touch(mode=0o600, exist_ok=True)
    logins_path.write_text(text, encoding="utf-8")
    return logins


def demo_cases_ensure() -> int:
    """Two demo case files, one assigned to the demo lawyer, with a few victims each (once)."""
    from testigo.core.models import Case, Violation

    if Case.all_objects.filter(reference__startswith="DEMO-").exists():
        return 0
    lawyer = get_user_model().objects.filter(username="demo-lawyer").first()
    created = 0
    with transaction.atomic():
        for reference, title, body, act, assign in (
            (
                "DEMO-ICC-001",
                "Detenciones arbitrarias postelectorales (ficticio)",
                "icc_otp",
                "arbitrary_detention",
                True,
            ),
            ("DEMO-IACHR-002", "Asesinatos en protestas (ficticio)", "iachr", "killing", False),
        ):
            case = Case.objects.create(reference=reference, title=title, target_body=body)
            violations = list(Violation.objects.filter(act_type__code=act).order_by("id")[:8])
            case.violations.add(*violations)
            case.clients.add(*{v.victim_id for v in violations})
            if assign and lawyer is not None:
                case.lawyers.add(lawyer)
            created += 1
    return created
