"""Staff pages for the record. Views parse input, check permission, call a selector or a
service, render. Every view is behind a capability check (see accounts/permissions.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Count, Model, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from testigo.accounts.permissions import Capability, can, require
from testigo.audit.models import AuditEntry
from testigo.audit.services import audit_record, object_type_of
from testigo.core import forms as core_forms
from testigo.core import selectors
from testigo.core.identity import Viewer, viewer
from testigo.core.listing import Column, Listing, SearchForm, render_listing
from testigo.core.models import (
    Person,
    Record,
    Source,
    Violation,
    VocabularyTerm,
)
from testigo.core.services import person_next_pseudonym
from testigo.ui.formatting import partial_date_display as show_date


def _audit_read(request: HttpRequest, obj: Model) -> None:
    """Sensitive reads are logged like changes."""
    audit_record(action="read", object_type=object_type_of(obj), object_id=str(obj.pk))


def _history(request: HttpRequest, obj: Model) -> list[AuditEntry]:
    """The object's changes, newest first, for those who edit or audit (not bare readers)."""
    if not (can(request.user, Capability.EDIT_RECORD) or can(request.user, Capability.VIEW_AUDIT)):
        return []
    return list(
        AuditEntry.objects.filter(object_type=object_type_of(obj), object_id=str(obj.pk))
        .exclude(action="read")
        .order_by("-seq")[:20]
    )


def _can_edit(request: HttpRequest) -> bool:
    return can(request.user, Capability.EDIT_RECORD)


def _act_choices() -> list[tuple[str, str]]:
    terms = VocabularyTerm.objects.filter(vocabulary="act_type")
    return [("", "—"), *((t.code, t.label) for t in terms)]


def _act_type_id(code: str) -> int:
    """The act type's id, so lists filter on the indexed column (``act_type_id = n``): joined
    on the code, SQLite reads every violation of the type before sorting (1.7 s p95)."""
    found = (
        VocabularyTerm.objects.filter(vocabulary="act_type", code=code)
        .values_list("id", flat=True)
        .first()
    )
    return -1 if found is None else found  # an unknown code matches nothing, not "no type"


#: Up to this many matching persons, a violation search looks their violations up by victim.
VICTIMS_BY_ID = 2000


def _victims_matching(query: str) -> Any:
    """The persons a name search matches. On PostgreSQL, a list of ids when there are few: the
    planner overestimates ``LIKE`` matches and otherwise walks every violation newest-first,
    testing each victim's name (0.4-0.7 s for a rare name). SQLite already runs the subquery
    first, and the extra round trip only costs it."""
    persons = selectors.search_filter(Person.objects.all(), query)
    if connection.vendor != "postgresql":
        return persons
    ids = list(persons.order_by().values_list("id", flat=True)[: VICTIMS_BY_ID + 1])
    return ids if len(ids) <= VICTIMS_BY_ID else persons


# ---------------------------------------------------------------------------- dashboard


DASHBOARD_CACHE_SECONDS = 60
#: Above this many violations the whole record's figures are cached (and the page says when
#: they were counted): counting millions of rows takes 0.5-1.4 s. Below it they are always fresh.
DASHBOARD_CACHE_FROM = 100_000


def _dashboard_figures(user: Any) -> tuple[dict[str, int], list[tuple[int, int]], Any]:
    """Totals, violations per act type (id, count), and when they were counted if cached.
    A compartment's figures are small and always fresh."""
    whole = can(user, Capability.VIEW_ALL)
    if whole and (cached := cache.get("testigo:dashboard")) is not None:
        return cached
    by_act = list(
        selectors.violations_visible_to(user)
        .order_by()
        .values_list("act_type_id")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    totals = {
        "records": selectors.records_visible_to(user).count(),
        "persons": selectors.persons_visible_to(user).count(),
        "violations": sum(n for _, n in by_act),
        "sources": selectors.sources_visible_to(user).count(),
    }
    if whole and totals["violations"] >= DASHBOARD_CACHE_FROM:
        cache.set("testigo:dashboard", (totals, by_act, timezone.now()), DASHBOARD_CACHE_SECONDS)
    return totals, by_act, None


@require(Capability.VIEW_RECORD)
def dashboard(request: HttpRequest) -> HttpResponse:
    figures, by_act, counted_at = _dashboard_figures(request.user)
    counts = {
        _("Records"): figures["records"],
        _("Persons"): figures["persons"],
        _("Violations"): figures["violations"],
        _("Sources"): figures["sources"],
    }
    labels = {t.pk: t.label for t in VocabularyTerm.objects.filter(vocabulary="act_type")}
    recent = AuditEntry.objects.filter(actor__startswith=f"user:{request.user.pk}:").order_by(
        "-seq"
    )[:10]
    return render(
        request,
        "core/dashboard.html",
        {
            "counts": counts,
            "by_act": [(labels.get(pk, "?"), n) for pk, n in by_act],
            "recent": recent,
            "counted_at": counted_at,
        },
    )


# ---------------------------------------------------------------------------- persons


class PersonFilter(SearchForm):
    role = forms.ChoiceField(
        label=gettext_lazy("role"), required=False, choices=[("", "—"), *Person.Role.choices]
    )
    sex = forms.ChoiceField(
        label=gettext_lazy("sex"),
        required=False,
        choices=[("", "—"), ("M", gettext_lazy("male")), ("F", gettext_lazy("female"))],
    )


def _person_filters(qs: QuerySet[Person], data: dict[str, Any], who: Viewer) -> QuerySet[Person]:
    if data.get("q"):
        query = data["q"].strip()
        if who.can_search_names():
            qs = selectors.search_filter(qs, query)
        else:
            qs = qs.filter(pseudonym_code__iexact=query)
    if data.get("role"):
        qs = qs.filter(role=data["role"])
    if data.get("sex"):
        qs = qs.filter(sex=data["sex"])
    return qs


PERSONS = Listing(
    title=gettext_lazy("Persons"),
    queryset=lambda request: selectors.persons_visible_to(request.user),
    columns=[
        Column(gettext_lazy("Person"), lambda p, who: who.person_label(p), link=True),
        Column(gettext_lazy("role"), lambda p, who: p.get_role_display()),
        Column(gettext_lazy("sex"), lambda p, who: p.get_sex_display()),
        Column(gettext_lazy("birth date"), lambda p, who: show_date(p.birth_date)),
    ],
    detail_url="core:person_detail",
    filter_form=PersonFilter,
    apply_filters=_person_filters,
    create_url="core:person_create",
    can_create=_can_edit,
    order_by=("pseudonym_code",),
)


@require(Capability.VIEW_RECORD)
def person_list(request: HttpRequest) -> HttpResponse:
    return render_listing(request, PERSONS)


FIELD_ROWS = [
    ("given_names", gettext_lazy("given names")),
    ("surnames", gettext_lazy("surnames")),
    ("sex", gettext_lazy("sex")),
    ("birth_date", gettext_lazy("birth date")),
    ("age", gettext_lazy("age at event")),
    ("national_id", gettext_lazy("national ID")),
    ("act_type", gettext_lazy("act type")),
    ("event_date", gettext_lazy("date of the event")),
    ("place", gettext_lazy("place")),
    ("perpetrator_body", gettext_lazy("alleged perpetrator")),
    ("facility", gettext_lazy("detention facility")),
    ("detention_status", gettext_lazy("detention status")),
]
IDENTIFYING = {"given_names", "surnames", "national_id", "birth_date"}


def _record_value(record: Record, name: str) -> str:
    value = getattr(record, name)
    if name == "sex":
        return record.get_sex_display() if value else ""
    if name == "detention_status":
        return record.get_detention_status_display() if value else ""
    if name in {"birth_date", "event_date"}:
        return show_date(value)
    return "" if value is None else str(value)


@require(Capability.VIEW_RECORD)
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(selectors.persons_visible_to(request.user), pk=pk)
    who = viewer(request)
    _audit_read(request, person)
    records = list(
        selectors.records_visible_to(request.user)
        .filter(person=person)
        .select_related("source", "act_type", "place", "perpetrator_body", "facility")
        .order_by("source__name", "id")
    )
    show_names = who.shows_name_of(person)
    comparison = []
    for name, label in FIELD_ROWS:
        if name in IDENTIFYING and not show_names:
            continue
        values = [_record_value(r, name) for r in records]
        given = {v for v in values if v}
        comparison.append({"label": label, "values": values, "differs": len(given) > 1})
    events: list[tuple[Any, str, str]] = []
    for violation in person.violations.select_related("act_type", "place"):
        events.append((violation.date, violation.act_type.label, str(violation.place or "")))
    for detention in person.detentions.select_related("facility"):
        events.append(
            (
                detention.start,
                _("Detention") + f" ({detention.get_status_display()})",
                str(detention.facility or ""),
            )
        )
    events.sort(key=lambda e: (e[0] is None, e[0].start if e[0] else None))
    events = [(show_date(when), what, where) for when, what, where in events]
    return render(
        request,
        "core/person_detail.html",
        {
            "person": person,
            "label": who.person_label(person),
            "show_names": show_names,
            "can_reveal": who.cleared and not show_names,
            "records": records,
            "comparison": comparison,
            "events": events,
            "violations": person.violations.select_related("act_type"),
            "can_edit": _can_edit(request),
            "history": _history(request, person),
        },
    )


@require_POST
@require(Capability.VIEW_RECORD)
def person_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(selectors.persons_visible_to(request.user), pk=pk)
    who = viewer(request)
    if not who.cleared:
        raise PermissionDenied
    reason = request.POST.get("reason", "").strip()[:500]
    if not reason:
        messages.error(request, _("Say why you need to see this identity."))
        return redirect("core:person_detail", pk=pk)
    audit_record(
        action="reveal",
        object_type=object_type_of(person),
        object_id=str(person.pk),
        after={"reason": reason},
    )
    who.reveal(person)
    messages.success(request, _("Identity revealed for this session. This has been logged."))
    return redirect("core:person_detail", pk=pk)


# ---------------------------------------------------------------------------- records


class RecordFilter(SearchForm):
    source = forms.ModelChoiceField(
        label=gettext_lazy("source"), required=False, queryset=Source.objects.all()
    )
    act_type = forms.ChoiceField(label=gettext_lazy("act type"), required=False, choices=[])
    unlinked = forms.BooleanField(label=gettext_lazy("not yet linked"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["act_type"].choices = _act_choices()


def _record_filters(qs: QuerySet[Record], data: dict[str, Any], who: Viewer) -> QuerySet[Record]:
    if data.get("q") and who.can_search_names():
        qs = selectors.search_filter(qs, data["q"])
    if data.get("source"):
        qs = qs.filter(source=data["source"])
    if data.get("act_type"):
        qs = qs.filter(act_type_id=_act_type_id(data["act_type"]))
    if data.get("unlinked"):
        qs = qs.filter(person__isnull=True)
    return qs


RECORDS = Listing(
    title=gettext_lazy("Records"),
    queryset=lambda request: selectors.records_visible_to(request.user),
    columns=[
        Column(gettext_lazy("Record"), lambda r, who: who.record_label(r), link=True),
        Column(gettext_lazy("source"), lambda r, who: r.source.name),
        Column(gettext_lazy("act type"), lambda r, who: r.act_type.label if r.act_type else ""),
        Column(gettext_lazy("date of the event"), lambda r, who: show_date(r.event_date)),
        Column(gettext_lazy("place"), lambda r, who: r.place.name if r.place else ""),
        Column(gettext_lazy("Person"), lambda r, who: r.person.pseudonym_code if r.person else "—"),
    ],
    detail_url="core:record_detail",
    filter_form=RecordFilter,
    apply_filters=_record_filters,
    select_related=("source", "act_type", "place", "person"),
)


@require(Capability.VIEW_RECORD)
def record_list(request: HttpRequest) -> HttpResponse:
    return render_listing(request, RECORDS)


@require(Capability.VIEW_RECORD)
def record_detail(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_object_or_404(
        selectors.records_visible_to(request.user).select_related("source", "person"), pk=pk
    )
    who = viewer(request)
    _audit_read(request, record)
    show = who.shows_name_of(record.person)
    raw = record.raw if show else {k: "•••" for k in record.raw}
    fields = [
        (label, _record_value(record, name))
        for name, label in FIELD_ROWS
        if show or name not in IDENTIFYING
    ]
    return render(
        request,
        "core/record_detail.html",
        {
            "record": record,
            "label": who.record_label(record),
            "raw": raw,
            "fields": fields,
            "can_edit": _can_edit(request) and show,
            "history": _history(request, record),
            "versions": Record.all_objects.filter(
                source=record.source, external_key=record.external_key
            ).order_by("version"),
        },
    )


# ---------------------------------------------------------------------------- violations etc.


class ViolationFilter(SearchForm):
    act_type = forms.ChoiceField(label=gettext_lazy("act type"), required=False, choices=[])
    status = forms.ChoiceField(
        label=gettext_lazy("status"),
        required=False,
        choices=[("", "—"), *Violation.Status.choices],
    )
    date_from = forms.CharField(label=gettext_lazy("from (YYYY-MM)"), required=False, max_length=10)
    date_to = forms.CharField(label=gettext_lazy("to (YYYY-MM)"), required=False, max_length=10)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["act_type"].choices = _act_choices()


def _violation_filters(
    qs: QuerySet[Violation], data: dict[str, Any], who: Viewer
) -> QuerySet[Violation]:
    if data.get("q"):
        query = data["q"].strip()
        if who.can_search_names():
            qs = qs.filter(victim__in=_victims_matching(query))
        else:
            qs = qs.filter(victim__pseudonym_code__iexact=query)
    if data.get("act_type"):
        qs = qs.filter(act_type_id=_act_type_id(data["act_type"]))
    if data.get("status"):
        qs = qs.filter(status=data["status"])
    if data.get("date_from"):
        qs = qs.filter(date__gte=data["date_from"])
    if data.get("date_to"):
        qs = qs.filter(date__lt=data["date_to"] + "~")  # "~" sorts after every EDTF suffix
    return qs


VIOLATIONS = Listing(
    title=gettext_lazy("Violations"),
    queryset=lambda request: selectors.violations_visible_to(request.user),
    columns=[
        Column("#", lambda v, who: v.pk, link=True),
        Column(gettext_lazy("victim"), lambda v, who: who.person_label(v.victim)),
        Column(gettext_lazy("act type"), lambda v, who: v.act_type.label),
        Column(gettext_lazy("date"), lambda v, who: show_date(v.date)),
        Column(gettext_lazy("place"), lambda v, who: v.place.name if v.place else ""),
        Column(gettext_lazy("status"), lambda v, who: v.get_status_display()),
    ],
    detail_url="core:violation_detail",
    filter_form=ViolationFilter,
    apply_filters=_violation_filters,
    create_url="core:violation_create",
    can_create=_can_edit,
    select_related=("victim", "act_type", "place"),
)


@require(Capability.VIEW_RECORD)
def violation_list(request: HttpRequest) -> HttpResponse:
    return render_listing(request, VIOLATIONS)


def _simple_filters(*fields: str) -> Callable[[QuerySet[Any], dict[str, Any], Viewer], Any]:
    def apply(qs: QuerySet[Any], data: dict[str, Any], who: Viewer) -> QuerySet[Any]:
        if data.get("q"):
            condition = Q()
            for field in fields:
                condition |= Q(**{f"{field}__icontains": data["q"]})
            qs = qs.filter(condition)
        return qs

    return apply


DETENTIONS = Listing(
    title=gettext_lazy("Detentions"),
    queryset=lambda request: selectors.detentions_visible_to(request.user),
    columns=[
        Column("#", lambda d, who: d.pk, link=True),
        Column(gettext_lazy("detained person"), lambda d, who: who.person_label(d.person)),
        Column(gettext_lazy("arrest date"), lambda d, who: show_date(d.start)),
        Column(gettext_lazy("facility"), lambda d, who: d.facility.name if d.facility else ""),
        Column(gettext_lazy("status"), lambda d, who: d.get_status_display()),
    ],
    detail_url="core:detention_detail",
    apply_filters=_simple_filters("person__pseudonym_code", "facility__name", "court"),
    create_url="core:detention_create",
    can_create=_can_edit,
    select_related=("person", "facility"),
)

INCIDENTS = Listing(
    title=gettext_lazy("Incidents"),
    queryset=lambda request: selectors.incidents_visible_to(request.user),
    columns=[
        Column(gettext_lazy("title"), lambda i, who: i.title, link=True),
        Column(gettext_lazy("date"), lambda i, who: show_date(i.date)),
        Column(gettext_lazy("place"), lambda i, who: i.place.name if i.place else ""),
    ],
    detail_url="core:incident_detail",
    apply_filters=_simple_filters("title", "description"),
    create_url="core:incident_create",
    can_create=_can_edit,
    select_related=("place",),
)

SOURCES = Listing(
    title=gettext_lazy("Sources"),
    queryset=lambda request: selectors.sources_visible_to(request.user),
    columns=[
        Column(gettext_lazy("name"), lambda s, who: s.name, link=True),
        Column(gettext_lazy("kind"), lambda s, who: s.get_kind_display()),
        Column(gettext_lazy("reliability"), lambda s, who: s.reliability),
        Column(gettext_lazy("credibility"), lambda s, who: s.credibility),
        Column(gettext_lazy("date obtained"), lambda s, who: show_date(s.obtained)),
    ],
    detail_url="core:source_detail",
    apply_filters=_simple_filters("name", "description"),
    create_url="core:source_create",
    can_create=_can_edit,
    order_by=("name",),
)

CASES = Listing(
    title=gettext_lazy("Cases"),
    queryset=lambda request: selectors.cases_visible_to(request.user),
    columns=[
        Column(gettext_lazy("reference"), lambda c, who: c.reference, link=True),
        Column(gettext_lazy("title"), lambda c, who: c.title),
        Column(gettext_lazy("target body"), lambda c, who: c.get_target_body_display()),
        Column(gettext_lazy("status"), lambda c, who: c.get_status_display()),
    ],
    detail_url="core:case_detail",
    apply_filters=_simple_filters("reference", "title"),
    create_url="core:case_create",
    can_create=lambda request: can(request.user, Capability.MANAGE_CASES),
    order_by=("reference",),
)


@require(Capability.VIEW_RECORD)
def detention_list(request: HttpRequest) -> HttpResponse:
    return render_listing(request, DETENTIONS)


@require(Capability.VIEW_RECORD)
def incident_list(request: HttpRequest) -> HttpResponse:
    return render_listing(request, INCIDENTS)


@require(Capability.VIEW_RECORD)
def source_list(request: HttpRequest) -> HttpResponse:
    return render_listing(request, SOURCES)


@require(Capability.VIEW_CASES)
def case_list(request: HttpRequest) -> HttpResponse:
    return render_listing(request, CASES)


def _detail(
    request: HttpRequest,
    obj: Model,
    title: str,
    fields: list[tuple[Any, Any]],
    edit_url: str | None,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    return render(
        request,
        "core/detail.html",
        {
            "object": obj,
            "title": title,
            "fields": fields,
            "edit_url": edit_url,
            "history": _history(request, obj),
            **(extra or {}),
        },
    )


@require(Capability.VIEW_RECORD)
def violation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    v = get_object_or_404(
        selectors.violations_visible_to(request.user).select_related("victim", "act_type"), pk=pk
    )
    who = viewer(request)
    fields = [
        (_("victim"), who.person_label(v.victim)),
        (_("act type"), f"{v.act_type.label} — {_('Rome Statute')} {v.act_type.rome_statute}"),
        (_("date"), show_date(v.date)),
        (_("place"), v.place),
        (_("alleged perpetrator"), ", ".join(str(b) for b in v.perpetrator_bodies.all())),
        (_("status"), v.get_status_display()),
        (_("description"), v.description),
        (_("records"), v.records.count()),
    ]
    edit = reverse("core:violation_edit", args=[v.pk]) if _can_edit(request) else None
    return _detail(request, v, _("Violation %(n)s") % {"n": v.pk}, fields, edit)


@require(Capability.VIEW_RECORD)
def detention_detail(request: HttpRequest, pk: int) -> HttpResponse:
    d = get_object_or_404(selectors.detentions_visible_to(request.user), pk=pk)
    who = viewer(request)
    low_high = d.duration_days()
    fields = [
        (_("detained person"), who.person_label(d.person)),
        (_("arrest date"), show_date(d.start)),
        (_("release or end date"), show_date(d.end)),
        (_("place"), d.arrest_place),
        (_("alleged perpetrator"), d.detaining_body),
        (_("facility"), d.facility),
        (_("charges"), ", ".join(d.charges)),
        (_("court"), d.court),
        (_("status"), d.get_status_display()),
        (_("days detained"), f"{low_high[0]}–{low_high[1]}" if low_high else ""),
    ]
    edit = reverse("core:detention_edit", args=[d.pk]) if _can_edit(request) else None
    return _detail(request, d, _("Detention %(n)s") % {"n": d.pk}, fields, edit)


@require(Capability.VIEW_RECORD)
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    i = get_object_or_404(selectors.incidents_visible_to(request.user), pk=pk)
    fields = [
        (_("date"), show_date(i.date)),
        (_("place"), i.place),
        (_("description"), i.description),
        (_("sources"), ", ".join(s.name for s in i.sources.all())),
        (_("violations"), i.violations.count()),
    ]
    edit = reverse("core:incident_edit", args=[i.pk]) if _can_edit(request) else None
    return _detail(request, i, i.title, fields, edit)


@require(Capability.VIEW_RECORD)
def source_detail(request: HttpRequest, pk: int) -> HttpResponse:
    s = get_object_or_404(selectors.sources_visible_to(request.user), pk=pk)
    fields = [
        (_("kind"), s.get_kind_display()),
        (_("reliability"), s.get_reliability_display()),
        (_("credibility"), s.credibility),
        (_("date obtained"), show_date(s.obtained)),
        (_("description"), s.description),
        (_("records"), s.records.count()),
    ]
    edit = reverse("core:source_edit", args=[s.pk]) if _can_edit(request) else None
    return _detail(request, s, s.name, fields, edit)


@require(Capability.VIEW_CASES)
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_object_or_404(selectors.cases_visible_to(request.user), pk=pk)
    who = viewer(request)
    may_manage = (
        can(request.user, Capability.MANAGE_CASES)
        or case.lawyers.filter(pk=request.user.pk).exists()
    )
    attach = core_forms.CaseAttachForm(request.POST or None)
    if request.method == "POST":
        if not may_manage:
            raise PermissionDenied
        if attach.is_valid():
            with transaction.atomic():
                if attach.cleaned_data.get("client"):
                    case.clients.add(attach.cleaned_data["client"])
                number = attach.cleaned_data.get("violation")
                if number:
                    violation = Violation.objects.filter(pk=number).first()
                    if violation is None:
                        messages.error(request, _("No violation has that number."))
                    else:
                        case.violations.add(violation)
            return redirect("core:case_detail", pk=case.pk)
    return render(
        request,
        "core/case_detail.html",
        {
            "case": case,
            "clients": [(p, who.person_label(p)) for p in case.clients.all()],
            "violations": [
                (v, who.person_label(v.victim))
                for v in case.violations.select_related("victim", "act_type")
            ],
            "lawyers": case.lawyers.all(),
            "attach": attach if may_manage else None,
            "edit_url": reverse("core:case_edit", args=[case.pk])
            if can(request.user, Capability.MANAGE_CASES)
            else None,
        },
    )


# ---------------------------------------------------------------------------- create and edit


def _edit(
    request: HttpRequest,
    form_class: type[forms.ModelForm],
    instance: Model | None,
    title: str,
    cancel_url: str,
    done: Callable[[Model], str],
    prepare: Callable[[Model], None] | None = None,
) -> HttpResponse:
    form = form_class(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            obj = form.save(commit=False)
            if prepare is not None:
                prepare(obj)
            obj.save()
            form.save_m2m()
        messages.success(request, _("Saved."))
        return redirect(done(obj))
    return render(request, "ui/form.html", {"form": form, "title": title, "cancel_url": cancel_url})


@require(Capability.EDIT_RECORD)
def person_create(request: HttpRequest) -> HttpResponse:
    def prepare(obj: Model) -> None:
        assert isinstance(obj, Person)
        obj.pseudonym_code = person_next_pseudonym()

    return _edit(
        request,
        core_forms.PersonForm,
        None,
        _("New person"),
        reverse("core:person_list"),
        lambda o: reverse("core:person_detail", args=[o.pk]),
        prepare,
    )


@require(Capability.EDIT_RECORD)
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(selectors.persons_visible_to(request.user), pk=pk)
    if not viewer(request).shows_name_of(person):
        messages.error(request, _("Reveal the identity before correcting it."))
        return redirect("core:person_detail", pk=pk)
    url = reverse("core:person_detail", args=[pk])
    return _edit(
        request, core_forms.PersonForm, person, _("Edit %(p)s") % {"p": person}, url, lambda o: url
    )


@require(Capability.EDIT_RECORD)
def record_edit(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_object_or_404(selectors.records_visible_to(request.user), pk=pk)
    if not viewer(request).shows_name_of(record.person):
        raise PermissionDenied
    url = reverse("core:record_detail", args=[pk])
    return _edit(
        request,
        core_forms.RecordForm,
        record,
        _("Correct record %(n)s") % {"n": pk},
        url,
        lambda o: url,
    )


def _make_edit_views(
    form_class: type[forms.ModelForm],
    queryset: Callable[[Any], QuerySet[Any]],
    list_url: str,
    detail_url: str,
    new_title: Any,
    edit_title: Any,
    capability: Capability = Capability.EDIT_RECORD,
) -> tuple[Callable[..., HttpResponse], Callable[..., HttpResponse]]:
    @require(capability)
    def create(request: HttpRequest) -> HttpResponse:
        return _edit(
            request,
            form_class,
            None,
            str(new_title),
            reverse(list_url),
            lambda o: reverse(detail_url, args=[o.pk]),
        )

    @require(capability)
    def edit(request: HttpRequest, pk: int) -> HttpResponse:
        obj = get_object_or_404(queryset(request.user), pk=pk)
        url = reverse(detail_url, args=[pk])
        return _edit(request, form_class, obj, str(edit_title) % {"n": pk}, url, lambda o: url)

    return create, edit


violation_create, violation_edit = _make_edit_views(
    core_forms.ViolationForm,
    selectors.violations_visible_to,
    "core:violation_list",
    "core:violation_detail",
    gettext_lazy("New violation"),
    gettext_lazy("Edit violation %(n)s"),
)
detention_create, detention_edit = _make_edit_views(
    core_forms.DetentionForm,
    selectors.detentions_visible_to,
    "core:detention_list",
    "core:detention_detail",
    gettext_lazy("New detention"),
    gettext_lazy("Edit detention %(n)s"),
)
incident_create, incident_edit = _make_edit_views(
    core_forms.IncidentForm,
    selectors.incidents_visible_to,
    "core:incident_list",
    "core:incident_detail",
    gettext_lazy("New incident"),
    gettext_lazy("Edit incident %(n)s"),
)
source_create, source_edit = _make_edit_views(
    core_forms.SourceForm,
    selectors.sources_visible_to,
    "core:source_list",
    "core:source_detail",
    gettext_lazy("New source"),
    gettext_lazy("Edit source %(n)s"),
)
case_create, case_edit = _make_edit_views(
    core_forms.CaseForm,
    selectors.cases_visible_to,
    "core:case_list",
    "core:case_detail",
    gettext_lazy("New case"),
    gettext_lazy("Edit case %(n)s"),
    Capability.MANAGE_CASES,
)


# ---------------------------------------------------------------------------- audit log


@require(Capability.VIEW_AUDIT)
def audit_list(request: HttpRequest) -> HttpResponse:
    entries = AuditEntry.objects.order_by("-seq")
    actor = request.GET.get("actor", "").strip()
    if actor:
        entries = entries.filter(actor__icontains=actor)
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    rows = list(entries[(page - 1) * 100 : page * 100 + 1])
    return render(
        request,
        "core/audit_list.html",
        {"entries": rows[:100], "page": page, "has_next": len(rows) > 100, "actor": actor},
    )
