"""Evidence pages: upload, list, detail with links and custody timeline, preview and download.

Views parse, check permission, call a service or selector and render. Who sees an item follows
the case compartments (:func:`~testigo.evidence.selectors.evidence_visible_to`); anything
outside them answers 404.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import RequestDataTooBig, TooManyFilesSent
from django.db import transaction
from django.db.models import Q
from django.http import (
    HttpRequest,
    HttpResponse,
    JsonResponse,
    QueryDict,
    StreamingHttpResponse,
)
from django.http.multipartparser import MultiPartParserError
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from testigo.accounts.permissions import Capability, can, require
from testigo.audit.services import audit_record, object_type_of
from testigo.blobstore import (
    BlobStoreError,
    IntegrityError,
    MediaError,
    Redactor,
    can_strip,
    refusal_reason,
)
from testigo.core import selectors as core_selectors
from testigo.core.identity import Viewer, viewer
from testigo.core.listing import Column, Listing, render_listing
from testigo.core.models import Person
from testigo.evidence import forms as evidence_forms
from testigo.evidence import services
from testigo.evidence.models import EvidenceItem
from testigo.evidence.selectors import custody_events_of, evidence_visible_to, name_variants
from testigo.evidence.store import evidence_config, get_store
from testigo.evidence.streaming import (
    RangeNotSatisfiable,
    open_range,
    parse_range,
    preview_kind,
    renders_inline,
)
from testigo.evidence.uploads import EncryptingUploadHandler, StoredUpload

logger = logging.getLogger(__name__)


def _redactor(item: EvidenceItem, who: Viewer) -> Redactor:
    """Hides the names of protected persons tied to the item from viewers not shown them."""
    people: list[Person] = list(item.persons.all())
    if item.acquired_from_person is not None:
        people.append(item.acquired_from_person)
    names = {
        variant: person.pseudonym_code
        for person in people
        if not who.shows_name_of(person)
        for variant in name_variants(person)
    }
    return Redactor(names)


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


# ---------------------------------------------------------------------------- list


def _filters(qs: Any, data: dict[str, Any], who: Viewer) -> Any:
    if data.get("q"):
        # Original names are sealed in the database (evidence.fields): not searchable there.
        text = data["q"].strip()
        qs = qs.filter(
            Q(code__iexact=text)
            | Q(description__icontains=text)
            | Q(sha256__startswith=text.lower().removeprefix("sha256:"))
        )
    media = data.get("media")
    if media == "application/pdf":
        qs = qs.filter(media_type=media)
    elif media:
        qs = qs.filter(media_type__startswith=f"{media}/")
    if data.get("originals"):
        qs = qs.filter(derived_from__isnull=True)
    return qs


EVIDENCE = Listing(
    title=gettext_lazy("Evidence"),
    queryset=lambda request: (
        evidence_visible_to(request.user)
        .select_related("acquired_from_person")
        .prefetch_related("persons")
    ),
    columns=[
        Column(gettext_lazy("evidence ID"), lambda e, who: e.code, link=True),
        Column(
            gettext_lazy("original file name"),
            lambda e, who: _redactor(e, who)(e.original_name),
        ),
        Column(gettext_lazy("media type"), lambda e, who: e.media_type),
        Column(gettext_lazy("size"), lambda e, who: _size(e.size)),
        Column(
            gettext_lazy("acquired at"), lambda e, who: e.acquired_at.strftime("%Y-%m-%d %H:%M")
        ),
        Column(
            gettext_lazy("copy"),
            lambda e, who: _("original") if e.is_original else _("working copy"),
        ),
    ],
    detail_url="evidence:item_detail",
    filter_form=evidence_forms.EvidenceFilter,
    apply_filters=_filters,
    create_url="evidence:upload",
    can_create=lambda request: can(request.user, Capability.EDIT_RECORD),
    order_by=("-id",),
)


@require(Capability.VIEW_RECORD)
def item_list(request: HttpRequest) -> HttpResponse:
    return render_listing(request, EVIDENCE)


# ---------------------------------------------------------------------------- upload


def _accept(request: HttpRequest) -> HttpResponse:
    return HttpResponse()


def _csrf_refusal(request: HttpRequest, *, body_parsed: bool) -> HttpResponse | None:
    """Django's CSRF check, run by hand so that it can come before the body is read.

    The page's script sends the token in the X-CSRFToken header; the check then runs with an
    empty POST so that a forged upload is refused before one byte reaches the store. A form
    posted without script carries the token in the body and is checked after parsing.
    """
    middleware = CsrfViewMiddleware(_accept)
    if body_parsed:
        return middleware.process_view(request, None, (), {})
    if settings.CSRF_HEADER_NAME not in request.META:
        return None
    request._post, request._files = QueryDict(), MultiValueDict()  # type: ignore[attr-defined]
    try:
        return middleware.process_view(request, None, (), {})
    finally:
        del request._post, request._files  # type: ignore[attr-defined]


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _upload_failed(
    request: HttpRequest, message: str, status: int, form: Any = None
) -> HttpResponse:
    if _wants_json(request):
        errors = form.errors.get_json_data() if form is not None else {}
        return JsonResponse({"error": message, "fields": errors}, status=status)
    return render(
        request,
        "evidence/upload.html",
        {"form": form or _acquisition_form(request), "error": message},
        status=status,
    )


def _acquisition_form(request: HttpRequest, data: Any = None) -> evidence_forms.AcquisitionForm:
    cases = (
        core_selectors.cases_visible_to(request.user)
        if can(request.user, Capability.VIEW_CASES)
        else None
    )
    return evidence_forms.AcquisitionForm(data, cases=cases)


@csrf_exempt  # checked in the view, before the body is read: see _csrf_refusal
@transaction.non_atomic_requests  # a long upload must not hold the database's write lock
@require(Capability.EDIT_RECORD)
def upload(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return render(
            request,
            "evidence/upload.html",
            {"form": _acquisition_form(request), "demo_key": _demo_key_notice(request)},
        )
    refused = _csrf_refusal(request, body_parsed=False)
    if refused is not None:
        return refused
    try:
        store = get_store()
    except BlobStoreError as exc:
        logger.error("evidence store unavailable: %s", exc)
        return _upload_failed(
            request, _("The evidence store is not available; the server log says why."), 503
        )
    handler = EncryptingUploadHandler(request, store)
    request.upload_handlers = [handler]
    try:
        uploads = [f for f in request.FILES.getlist("file") if isinstance(f, StoredUpload)]
        data = request.POST
    except (MultiPartParserError, RequestDataTooBig, TooManyFilesSent, OSError) as exc:
        handler.abort()
        logger.warning("evidence upload failed: %s", exc)
        return _upload_failed(request, _("The upload did not complete. Nothing was recorded."), 400)
    except BlobStoreError as exc:
        handler.abort()
        logger.error("evidence upload could not be stored: %s", exc)
        return _upload_failed(
            request, _("The file could not be stored; the server log says why."), 507
        )
    refused = _csrf_refusal(request, body_parsed=True)
    if refused is not None:
        return refused
    # Past this point a refused form leaves the content in the store with no record of it;
    # `evidence verify` lists it as unreferenced, and the next upload of it reuses it.
    form = _acquisition_form(request, data)
    if not uploads:
        return _upload_failed(request, _("Choose a file to upload."), 400, form)
    if not form.is_valid():
        return _upload_failed(request, _("Please correct the errors below."), 400, form)
    values = dict(form.cleaned_data)
    case = values.pop("case", None)
    with transaction.atomic():
        items = [
            services.evidence_add(
                actor=request.user,
                stored=up.stored,
                filename=up.name or "file",
                case=case,
                store=store,
                **values,
            )
            for up in uploads
        ]
    if _wants_json(request):
        return JsonResponse(
            {
                "items": [
                    {
                        "id": item.code,
                        "sha256": item.sha256,
                        "url": reverse("evidence:item_detail", args=[item.pk]),
                        "duplicate": not item.is_new,  # type: ignore[attr-defined]
                    }
                    for item in items
                ]
            },
            status=201,
        )
    for item in items:
        if item.is_new:  # type: ignore[attr-defined]
            messages.success(request, _("Stored as %(code)s.") % {"code": item.code})
        else:
            messages.info(
                request,
                _("This content is already stored as %(code)s; the new acquisition was recorded.")
                % {"code": item.code},
            )
    if len(items) == 1:
        return redirect("evidence:item_detail", pk=items[0].pk)
    return redirect("evidence:item_list")


def _demo_key_notice(request: HttpRequest) -> bool:
    """Administrators are told while the store runs on the demo passphrase."""
    if not can(request.user, Capability.MANAGE_USERS):
        return False
    try:
        return evidence_config().uses_demo_passphrase
    except BlobStoreError:
        return False


# ---------------------------------------------------------------------------- detail


def _visible_item(request: HttpRequest, pk: int) -> EvidenceItem:
    return get_object_or_404(
        evidence_visible_to(request.user).select_related(
            "acquired_from_person", "derived_from", "acquired_by"
        ),
        pk=pk,
    )


def _link_form(request: HttpRequest, data: Any = None) -> evidence_forms.LinkForm:
    user = request.user
    return evidence_forms.LinkForm(
        data,
        cases=core_selectors.cases_visible_to(user),
        violations=core_selectors.violations_visible_to(user),
        incidents=core_selectors.incidents_visible_to(user),
        sources=core_selectors.sources_visible_to(user),
    )


def _links(request: HttpRequest, item: EvidenceItem, who: Viewer) -> dict[str, list[Any]]:
    user = request.user
    origin = item.derived_from or item
    return {
        "cases": list(origin.cases.filter(pk__in=core_selectors.cases_visible_to(user))),
        "persons": [
            (p, who.person_label(p))
            for p in origin.persons.filter(pk__in=core_selectors.persons_visible_to(user))
        ],
        "violations": list(
            origin.violations.filter(
                pk__in=core_selectors.violations_visible_to(user)
            ).select_related("act_type")
        ),
        "incidents": list(
            origin.incidents.filter(pk__in=core_selectors.incidents_visible_to(user))
        ),
        "sources": list(origin.sources.filter(pk__in=core_selectors.sources_visible_to(user))),
    }


def _metadata_summary(metadata: dict[str, Any]) -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = []
    if metadata.get("captured_at"):
        rows.append((_("captured at"), metadata["captured_at"]))
    gps = metadata.get("gps") or {}
    if gps.get("latitude") is not None and gps.get("longitude") is not None:
        rows.append((_("GPS position"), f"{gps['latitude']:.5f}, {gps['longitude']:.5f}"))
    exif = metadata.get("exif") or {}
    camera = " ".join(str(exif[k]) for k in ("Make", "Model") if exif.get(k))
    if camera:
        rows.append((_("camera"), camera))
    pdf = metadata.get("pdf") or {}
    if pdf.get("pages"):
        rows.append((_("pages"), pdf["pages"]))
    av = metadata.get("av") or {}
    if av.get("duration_seconds"):
        rows.append((_("duration (seconds)"), round(av["duration_seconds"], 1)))
    if metadata.get("extension_matches") is False:
        rows.append((_("warning"), _("the file name's extension does not match its content")))
    return rows


@require(Capability.VIEW_RECORD)
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = _visible_item(request, pk)
    who = viewer(request)
    redact = _redactor(item, who)
    audit_record(action="read", object_type=object_type_of(item), object_id=str(item.pk))
    editor = can(request.user, Capability.EDIT_RECORD)
    stripped = None
    if item.is_original:
        stripped = item.derivatives.filter(transformation="strip-metadata").first()
    kind = preview_kind(item.media_type)

    return render(
        request,
        "evidence/item_detail.html",
        {
            "item": item,
            "name": redact(item.original_name),
            "acquired_from": redact(item.acquired_from),
            "acquired_from_person": who.person_label(item.acquired_from_person)
            if item.acquired_from_person
            else "",
            "size": _size(item.size),
            "links": _links(request, item, who),
            "events": [
                (event, redact(event.from_party), redact(event.to_party))
                for event in custody_events_of(item)
            ],
            "metadata_rows": _metadata_summary(item.metadata),
            "metadata_json": json.dumps(
                item.metadata, indent=2, ensure_ascii=False, sort_keys=True
            ),
            "preview": kind if request.GET.get("preview") else "",
            "can_preview": bool(kind),
            "can_edit": editor,
            "link_form": _link_form(request) if editor else None,
            "transfer_form": evidence_forms.TransferForm() if editor else None,
            "stripped": stripped,
            "can_strip": editor
            and item.is_original
            and stripped is None
            and can_strip(item.media_type),
            "strip_refused": item.is_original and bool(refusal_reason(item.media_type)),
        },
    )


@require_POST
@require(Capability.EDIT_RECORD)
def item_link(request: HttpRequest, pk: int) -> HttpResponse:
    item = _visible_item(request, pk)
    form = _link_form(request, request.POST)
    if form.is_valid():
        services.evidence_link(actor=request.user, item=item, **form.cleaned_data)
        messages.success(request, _("Linked."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect("evidence:item_detail", pk=item.pk)


@require_POST
@require(Capability.EDIT_RECORD)
def item_transfer(request: HttpRequest, pk: int) -> HttpResponse:
    item = _visible_item(request, pk)
    form = evidence_forms.TransferForm(request.POST)
    if form.is_valid():
        services.evidence_transfer(actor=request.user, item=item, **form.cleaned_data)
        messages.success(request, _("Transfer recorded in the chain of custody."))
    else:
        messages.error(request, _("Say to whom the item was handed, and why."))
    return redirect("evidence:item_detail", pk=item.pk)


@require_POST
@require(Capability.EDIT_RECORD)
def item_strip(request: HttpRequest, pk: int) -> HttpResponse:
    item = _visible_item(request, pk)
    try:
        copy = services.evidence_derive_stripped(actor=request.user, item=item)
    except MediaError as exc:
        messages.error(request, _("No stripped copy could be made: %(e)s") % {"e": exc})
        return redirect("evidence:item_detail", pk=item.pk)
    messages.success(request, _("Working copy without metadata: %(code)s.") % {"code": copy.code})
    return redirect("evidence:item_detail", pk=copy.pk)


# ---------------------------------------------------------------------------- content


def _integrity_failure(item: EvidenceItem, exc: Exception) -> HttpResponse:
    logger.error("evidence %s failed its integrity check: %s", item.code, exc)
    return HttpResponse(
        _("The stored copy of %(code)s fails its integrity check; it was not served.")
        % {"code": item.code},
        status=500,
        content_type="text/plain; charset=utf-8",
    )


def _serve(request: HttpRequest, item: EvidenceItem, *, download: bool) -> HttpResponse:
    inline = not download and renders_inline(item.media_type)
    try:
        wanted = parse_range(request.headers.get("Range"), item.size)
    except RangeNotSatisfiable:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{item.size}"
        return response
    default_purpose = "download" if download else "preview in the browser"
    purpose = (request.GET.get("purpose") or default_purpose).strip()[:500]
    try:
        # A media player fetches many ranges; the view is recorded once, at its first byte.
        stream = services.evidence_open(
            actor=request.user,
            item=item,
            purpose=purpose,
            download=download,
            record=wanted is None or wanted[0] == 0,
        )
    except IntegrityError as exc:
        return _integrity_failure(item, exc)
    except BlobStoreError as exc:
        logger.error("evidence %s could not be read: %s", item.code, exc)
        return HttpResponse(
            _("The evidence store is not available."),
            status=503,
            content_type="text/plain; charset=utf-8",
        )
    start, end = wanted if wanted is not None else (0, item.size - 1)
    length = max(0, end - start + 1)
    try:
        content = open_range(stream, start, length)
    except IntegrityError as exc:
        return _integrity_failure(item, exc)
    response = StreamingHttpResponse(
        content,
        status=206 if wanted is not None else 200,
        content_type=item.media_type if inline else "application/octet-stream",
    )
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    if wanted is not None:
        response["Content-Range"] = f"bytes {start}-{end}/{item.size}"
    response["Content-Disposition"] = content_disposition_header(not inline, item.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    if item.media_type != "application/pdf":
        # Opened on its own, the file still may not run anything or fetch from elsewhere.
        response["Content-Security-Policy"] = (
            "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'"
        )
    return response


@xframe_options_sameorigin  # the PDF preview is framed by the item's page
@transaction.non_atomic_requests
@require(Capability.VIEW_RECORD)
def item_content(request: HttpRequest, pk: int) -> HttpResponse:
    return _serve(request, _visible_item(request, pk), download=False)


@transaction.non_atomic_requests
@require(Capability.VIEW_RECORD)
def item_download(request: HttpRequest, pk: int) -> HttpResponse:
    return _serve(request, _visible_item(request, pk), download=True)
