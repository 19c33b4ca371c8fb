"""Linkage in the database: run the engine over the records, turn clusters into persons and
violations, and apply people's review decisions. Every write is audited; merges are undoable.

Conservative by design: a run links records that are not yet linked and merges persons the
engine finds to be one, but never splits an existing person on its own — splitting is a human
decision (``review_decide`` with "not the same person").
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import pandas as pd
from django.conf import settings as django_settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from testigo.audit.services import Change, audit_record_created, audit_record_many
from testigo.core.models import Detention, Person, Record, Violation
from testigo.countrypacks.packfile import pack_read
from testigo.domain.dates import PartialDate, Precision
from testigo.domain.places import Gazetteer
from testigo.linkage import LinkResult, LinkSettings, link_records
from testigo.matching.models import LinkageRun, MatchDecision, PersonMerge, ReviewPair

DETENTION_ACTS = {"arbitrary_detention", "enforced_disappearance"}
SAME_EVENT_DAYS = 3  # records of one act this close in time describe one violation


def iso_partial(value: PartialDate | None) -> str:
    """The most specific ISO partial date a range still fits in ("2024-08", "2024", "")."""
    if value is None:
        return ""
    start, end = value.start, value.end
    if value.precision == Precision.DAY:
        return start.isoformat()
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.year:04d}-{start.month:02d}"
    if start.year == end.year:
        return f"{start.year:04d}"
    return ""


def records_frame(records: Sequence[Record]) -> pd.DataFrame:
    """Records in the linkage engine's table format (DESIGN.md §6)."""
    rows = []
    for r in records:
        place = r.place
        state = municipality = ""
        if place is not None:
            chain = [place, *([place.parent] if place.parent_id else [])]
            for node in chain:
                # Names, not our internal codes: the engine resolves names with the gazetteer.
                if node.level == "state":
                    state = node.name
                elif node.level == "municipality":
                    municipality = node.name
                    if node.parent_id and not state:
                        state = node.parent.name
        rows.append(
            {
                "record_id": str(r.pk),
                "source": str(r.source_id),
                "given_names": r.given_names,
                "family_names": r.surnames,
                "sex": r.sex,
                "birth_date": iso_partial(r.birth_date),
                "national_id": r.national_id,
                "state": state,
                "municipality": municipality,
                "event_date": iso_partial(r.event_date),
                "age": "" if r.age is None else str(r.age),
            }
        )
    return pd.DataFrame(rows, columns=[*rows[0].keys()] if rows else None)


def labels_frame() -> pd.DataFrame:
    """The newest match / non-match decision on each pair, for the engine to learn from."""
    latest: dict[tuple[int, int], str] = {}
    for d in MatchDecision.objects.order_by("id"):
        latest[tuple(sorted((d.record_a_id, d.record_b_id)))] = d.decision  # type: ignore[index]
    rows = [
        {"record_id_l": str(a), "record_id_r": str(b), "is_match": decision == "match"}
        for (a, b), decision in latest.items()
        if decision in ("match", "non_match")
    ]
    return pd.DataFrame(rows, columns=["record_id_l", "record_id_r", "is_match"])


ProgressFn = Callable[[str, float], None]


def linkage_run(
    *, settings: LinkSettings | None = None, progress: ProgressFn | None = None
) -> LinkageRun:
    """Link every live, current record; create or merge persons; queue uncertain pairs."""
    records = list(
        Record.objects.filter(superseded_by__isnull=True)
        .select_related("place__parent", "act_type", "source")
        .order_by("id")
    )
    if len(records) < 2:
        raise ValueError("linkage needs at least two records")
    pack = pack_read(django_settings.TESTIGO_COUNTRY_PACK)
    labels = labels_frame()
    result = link_records(
        records_frame(records),
        settings=settings or LinkSettings.from_env(),
        labels=labels if len(labels) else None,
        gazetteer=Gazetteer(pack.gazetteer_places()),
        id_format=pack.national_id_format(),
        progress=progress,
        origin="database records",
    )
    with transaction.atomic():
        return _apply(result, records)


def _apply(result: LinkResult, records: list[Record]) -> LinkageRun:
    by_id = {str(r.pk): r for r in records}
    confidence: dict[str, float] = {}
    merged = result.pairs[result.pairs["match_probability"] >= result.settings.match_threshold]
    for left, right, p in merged[["record_id_l", "record_id_r", "match_probability"]].itertuples(
        index=False
    ):
        for rid in (left, right):
            confidence[rid] = max(confidence.get(rid, 0.0), float(p))

    clusters: dict[str, list[Record]] = defaultdict(list)
    for record_id, person_id in result.clusters.itertuples(index=False):
        clusters[person_id].append(by_id[record_id])

    next_number = _next_pseudonym_number()
    new_persons: list[tuple[Person, list[Record]]] = []
    linked: list[tuple[Record, Person]] = []
    for members in clusters.values():
        existing = Counter(r.person_id for r in members if r.person_id)
        if not existing:
            person = Person(pseudonym_code=f"V-{next_number:05d}")
            next_number += 1
            _reconcile(person, members)
            new_persons.append((person, members))
            continue
        kept_id = existing.most_common(1)[0][0]
        kept = Person.objects.get(pk=kept_id)
        for other_id in existing:
            if other_id != kept_id:
                person_merge(kept=kept, absorbed=Person.objects.get(pk=other_id))
        linked.extend((r, kept) for r in members if r.person_id is None)

    persons = [p for p, _ in new_persons]
    for person in persons:
        person.refresh_search_text()
    Person.objects.bulk_create(persons, batch_size=2000)
    audit_record_created(persons)
    linked.extend((r, p) for p, members in new_persons for r in members)
    _link_records(linked, confidence)
    new_violations = _violations_for(linked)

    run = LinkageRun.objects.create(
        settings={
            "match_threshold": result.settings.match_threshold,
            "review_threshold": result.settings.review_threshold,
            "backend": result.settings.backend,
        },
        model=result.model,
        stats={**result.stats, "violations_created": new_violations},
        records=len(records),
        persons=Person.objects.count(),
    )
    _queue_reviews(run, result.review, by_id)
    return run


def _next_pseudonym_number() -> int:
    highest = 0
    for code in Person.all_objects.filter(pseudonym_code__startswith="V-").values_list(
        "pseudonym_code", flat=True
    ):
        highest = max(highest, int(code.split("-", 1)[1]))
    return highest + 1


def _most_common(values: Iterable[Any]) -> Any:
    counts = Counter(v for v in values if v not in (None, ""))
    return counts.most_common(1)[0][0] if counts else None


def _reconcile(person: Person, records: Sequence[Record]) -> None:
    """A person's attributes from their records: the most frequent value, the most precise
    date; each field remembers the record it came from."""
    provenance: dict[str, int] = {}
    for field in ("given_names", "surnames", "sex", "national_id"):
        # Prefer the fullest spelling among the most frequent folded forms.
        value = _most_common(getattr(r, field) for r in records)
        if value:
            candidates = [r for r in records if getattr(r, field) == value]
            setattr(person, field, value)
            provenance[field] = candidates[0].pk
    dated = [r for r in records if r.birth_date is not None]
    if dated:
        best = min(dated, key=lambda r: (r.birth_date.end - r.birth_date.start).days)
        person.birth_date = best.birth_date
        provenance["birth_date"] = best.pk
    person.provenance = provenance
    person.deceased = any(r.act_type and r.act_type.code == "killing" for r in records)


def _link_records(linked: list[tuple[Record, Person]], confidence: dict[str, float]) -> None:
    changes = []
    for record, person in linked:
        before = {"person_id": record.person_id, "link_confidence": record.link_confidence}
        record.person = person
        record.link_confidence = confidence.get(str(record.pk))
        changes.append(
            Change(
                "link",
                "core.record",
                str(record.pk),
                before,
                {"person_id": person.pk, "link_confidence": record.link_confidence},
            )
        )
    Record.objects.bulk_update(
        [r for r, _ in linked], ["person", "link_confidence"], batch_size=2000
    )
    audit_record_many(changes)


def _violations_for(linked: list[tuple[Record, Person]]) -> int:
    """Group each person's not-yet-attached records by act and nearby dates into violations."""
    by_person: dict[int, list[Record]] = defaultdict(list)
    for record, person in linked:
        if record.act_type_id:
            by_person[person.pk].append(record)
    attached = set(
        Violation.records.through.objects.filter(
            record_id__in=[r.pk for recs in by_person.values() for r in recs]
        ).values_list("record_id", flat=True)
    )
    plans: list[tuple[Violation, list[Record]]] = []
    for person_id, records in by_person.items():
        groups: dict[int, list[list[Record]]] = defaultdict(list)
        for record in sorted(
            (r for r in records if r.pk not in attached),
            key=lambda r: r.event_date.start if r.event_date else PartialDate.year(1900).start,
        ):
            same_act = groups[record.act_type_id]
            last = same_act[-1] if same_act else None
            if last is not None and _same_event(last[-1], record):
                last.append(record)
            else:
                same_act.append([record])
        for act_groups in groups.values():
            for group in act_groups:
                plans.append((_violation_from(person_id, group), group))
    violations = [v for v, _ in plans]
    Violation.objects.bulk_create(violations, batch_size=2000)
    audit_record_created(violations)
    through = Violation.records.through
    links = [through(violation_id=v.pk, record_id=r.pk) for v, group in plans for r in group]
    through.objects.bulk_create(links, batch_size=5000)
    bodies = Violation.perpetrator_bodies.through
    body_links = [
        bodies(violation_id=v.pk, perpetratorbody_id=b)
        for v, group in plans
        for b in {r.perpetrator_body_id for r in group if r.perpetrator_body_id}
    ]
    bodies.objects.bulk_create(body_links, batch_size=5000)
    audit_record_many(
        [
            Change(
                "m2m_add",
                "core.violation",
                str(v.pk),
                None,
                {"field": "records", "related": "core.record", "ids": [str(r.pk) for r in group]},
            )
            for v, group in plans
        ]
    )
    detentions = [
        Detention(
            person_id=v.victim_id,
            violation=v,
            start=v.date,
            arrest_place_id=v.place_id,
            detaining_body_id=_most_common(r.perpetrator_body_id for r in group),
            facility_id=_most_common(r.facility_id for r in group),
            status=_most_common(r.detention_status for r in group) or "held",
        )
        for v, group in plans
        if group[0].act_type.code in DETENTION_ACTS
    ]
    Detention.objects.bulk_create(detentions, batch_size=2000)
    audit_record_created(detentions)
    return len(violations)


def _same_event(a: Record, b: Record) -> bool:
    if a.event_date is None or b.event_date is None:
        return True
    gap = (b.event_date.start - a.event_date.end).days
    return gap <= SAME_EVENT_DAYS


def _violation_from(person_id: int, group: list[Record]) -> Violation:
    dated = [r.event_date for r in group if r.event_date is not None]
    date = min(dated, key=lambda d: (d.end - d.start).days) if dated else None
    sources = {r.source_id for r in group}
    return Violation(
        victim_id=person_id,
        act_type_id=group[0].act_type_id,
        date=date,
        place_id=_most_common(r.place_id for r in group),
        status=Violation.Status.CORROBORATED if len(sources) > 1 else Violation.Status.ALLEGED,
    )


def _queue_reviews(run: LinkageRun, review: pd.DataFrame, by_id: dict[str, Record]) -> None:
    ReviewPair.objects.filter(status=ReviewPair.Status.OPEN).update(
        status=ReviewPair.Status.OBSOLETE
    )
    pairs = [
        ReviewPair(
            run=run,
            record_a=by_id[left],
            record_b=by_id[right],
            probability=float(p),
            priority=float(priority),
        )
        for left, right, p, priority in review[
            ["record_id_l", "record_id_r", "match_probability", "priority"]
        ].itertuples(index=False)
    ]
    ReviewPair.objects.bulk_create(pairs, batch_size=2000)


# ---------------------------------------------------------------------------- merges and splits

_MOVABLE = (
    ("records", Record, "person_id"),
    ("violations", Violation, "victim_id"),
    ("detentions", Detention, "person_id"),
)


def person_merge(*, kept: Person, absorbed: Person) -> PersonMerge:
    """Move everything of ``absorbed`` to ``kept``; undo with :func:`person_merge_undo`."""
    if kept.pk == absorbed.pk:
        raise ValueError("a person cannot be merged into themselves")
    with transaction.atomic():
        moved: dict[str, list[int]] = {}
        for name, model, field in _MOVABLE:
            rows = list(model.objects.filter(**{field: absorbed.pk}))
            moved[name] = [row.pk for row in rows]
            for row in rows:
                setattr(row, field, kept.pk)
                row.save(update_fields=[field, "updated_at"])
        moved["cases"] = list(absorbed.cases.values_list("pk", flat=True))
        for case in absorbed.cases.all():
            case.clients.add(kept)
            case.clients.remove(absorbed)
        absorbed.merged_into = kept
        absorbed.save(update_fields=["merged_into", "updated_at"])
        absorbed.delete()
        return PersonMerge.objects.create(kept=kept, absorbed=absorbed, moved=moved)


def person_merge_undo(merge: PersonMerge) -> None:
    """Put back exactly what a merge moved."""
    if merge.undone_at is not None:
        raise ValueError("this merge was already undone")
    with transaction.atomic():
        absorbed = Person.all_objects.get(pk=merge.absorbed_id)
        absorbed.merged_into = None
        absorbed.deleted_at = None
        absorbed._audit_action = "restore"  # type: ignore[attr-defined]
        absorbed.save(update_fields=["merged_into", "deleted_at", "updated_at"])
        for name, model, field in _MOVABLE:
            for row in model.all_objects.filter(pk__in=merge.moved.get(name, [])):
                setattr(row, field, absorbed.pk)
                row.save(update_fields=[field, "updated_at"])
        for case_id in merge.moved.get("cases", []):
            case = merge.kept.cases.model.all_objects.get(pk=case_id)
            case.clients.add(absorbed)
            case.clients.remove(merge.kept)
        merge.undone_at = timezone.now()
        merge.save(update_fields=["undone_at", "updated_at"])


def person_split(*, person: Person, records: Sequence[Record]) -> Person:
    """Move some of a person's records (and their violations) to a new person."""
    if not records or any(r.person_id != person.pk for r in records):
        raise ValueError("the records to split off must belong to the person")
    if len(records) == person.records.count():
        raise ValueError("splitting off every record would leave an empty person")
    with transaction.atomic():
        number = _next_pseudonym_number()
        new = Person(pseudonym_code=f"V-{number:05d}")
        _reconcile(new, records)
        new.save()
        ids = [r.pk for r in records]
        for record in Record.objects.filter(pk__in=ids):
            record.person = new
            record.save(update_fields=["person", "updated_at"])
        for violation in Violation.objects.filter(victim=person, records__in=ids).distinct():
            if set(violation.records.values_list("pk", flat=True)) <= set(ids):
                violation.victim = new
                violation.save(update_fields=["victim", "updated_at"])
        return new


def review_decide(*, pair: ReviewPair, decision: str, user: Any, note: str = "") -> MatchDecision:
    """Record a decision on a pair and apply it: merge for a match, split for a non-match."""
    if decision not in MatchDecision.Decision.values:
        raise ValueError(f"unknown decision {decision!r}")
    with transaction.atomic():
        made = MatchDecision.objects.create(
            record_a=pair.record_a,
            record_b=pair.record_b,
            decision=decision,
            decided_by=user,
            note=note[:500],
        )
        pair.status = ReviewPair.Status.DECIDED
        pair.save(update_fields=["status", "updated_at"])
        a = Record.objects.select_related("person").get(pk=pair.record_a_id)
        b = Record.objects.select_related("person").get(pk=pair.record_b_id)
        if decision == "match" and a.person_id and b.person_id and a.person_id != b.person_id:
            kept, absorbed = sorted((a.person, b.person), key=lambda p: p.pseudonym_code)
            person_merge(kept=kept, absorbed=absorbed)
        elif decision == "non_match" and a.person_id and a.person_id == b.person_id:
            person_split(person=b.person, records=[b])
        return made


def distinct_victims() -> int:
    """How many distinct persons the records currently describe."""
    return Person.objects.filter(records__isnull=False).distinct().count()


def review_queue_stats() -> dict[str, int]:
    open_pairs = ReviewPair.objects.filter(status=ReviewPair.Status.OPEN)
    return {
        "open": open_pairs.count(),
        "decided": MatchDecision.objects.count(),
        "persons": distinct_victims(),
        "last_run": LinkageRun.objects.aggregate(m=Max("id"))["m"] or 0,
    }
