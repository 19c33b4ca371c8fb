"""The import wizard and the list exports. Views parse, check permission, call a service or a
selector, render; every page works without JavaScript (htmx only spares the progress page its
reloads).

Wizard: upload → map the columns (with a preview and suggestions) → check (a background task)
→ the report: problems, places and values to decide → import (a background task) → done.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, RequestDataTooBig, TooManyFilesSent
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from testigo.accounts.permissions import Capability, require
from testigo.audit.services import audit_record, object_type_of
from testigo.core.identity import Viewer, viewer
from testigo.core.listing import Column, Listing, SearchForm
from testigo.core.models import Record, Source, Violation
from testigo.core.views import RECORDS, VIOLATIONS
from testigo.imports import selectors, services, storage
from testigo.imports.forms import (
    FIELD_LABELS,
    DecisionsForm,
    MappingForm,
    UploadForm,
    problem_label,
)
from testigo.imports.mapfile import SourceMapping
from testigo.imports.models import ImportBatch
from testigo.tabular import MappingError, TabularError, export_rows, preview

logger = logging.getLogger(__name__)

#: Uploads larger than this are refused (the command line takes files of any size).
MAX_UPLOAD_BYTES = int(getattr(settings, "TESTIGO_IMPORT_MAX_UPLOAD_BYTES", 200 << 20))
SHOWN_PROBLEMS = 200
PREVIEW_ROWS = 10


def _batch(request: HttpRequest, pk: int) -> ImportBatch:
    return get_object_or_404(selectors.batches_visible_to(request.user), pk=pk)


def _labelled(problems: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**p, "label": problem_label(p.get("code", ""))} for p in problems]


# ---------------------------------------------------------------------------- list and upload


@require(Capability.EDIT_RECORD)
def batch_list(request: HttpRequest) -> HttpResponse:
    batches = selectors.batches_visible_to(request.user).exclude(
        status=ImportBatch.Status.DISCARDED
    )[:100]
    return render(request, "imports/batch_list.html", {"batches": batches})


def _csrf_refused(request: HttpRequest) -> bool:
    """Django's CSRF check, run by hand once our upload handler has read the body (the
    middleware would have read it first, with Django's handlers, into /tmp)."""
    check = CsrfViewMiddleware(lambda r: HttpResponse())
    return check.process_view(request, None, (), {}) is not None


def _discard_unused(kept: storage.KeptFile | None) -> None:
    """Remove a file this request kept, unless a batch refers to the same content."""
    if kept is None or not kept.new:
        return
    if not ImportBatch.all_objects.filter(sha256=kept.sha256).exists():
        storage.file_discard(kept.sha256)


@csrf_exempt  # checked by hand below, once the body is read by our own upload handler
@transaction.non_atomic_requests  # a long upload must not hold the database's write lock
@require(Capability.EDIT_RECORD)
def upload(request: HttpRequest) -> HttpResponse:
    context: dict[str, Any] = {"source_names": UploadForm.source_names()}
    if request.method != "POST":
        context["form"] = UploadForm(initial={"source": request.GET.get("source", "")})
        return render(request, "imports/upload.html", context)
    # Stream the file straight into the imports folder: nothing in /tmp (see storage).
    handler = storage.KeepingUploadHandler(request, field="file", max_bytes=MAX_UPLOAD_BYTES)
    request.upload_handlers = [handler]
    try:
        data, files = request.POST, request.FILES
    except (MultiPartParserError, RequestDataTooBig, TooManyFilesSent, OSError):
        handler.abort()
        logger.warning("an import upload did not complete", exc_info=True)
        context["form"] = UploadForm()
        context["error"] = _("The upload did not complete. Nothing was kept.")
        return render(request, "imports/upload.html", context, status=400)
    upload_file = files.get("file")
    kept = upload_file.kept if isinstance(upload_file, storage.KeptUpload) else None
    if _csrf_refused(request):
        _discard_unused(kept)
        raise PermissionDenied
    form = UploadForm(data, files)
    if handler.too_large:
        form.add_error(
            "file",
            _("The file is larger than %(mb)s MB: import it with the command line instead.")
            % {"mb": MAX_UPLOAD_BYTES >> 20},
        )
    if kept is not None and kept.size == 0:
        form.add_error("file", _("The file is empty."))
    if not form.is_valid() or kept is None:
        _discard_unused(kept)
        context["form"] = form
        return render(request, "imports/upload.html", context, status=400)
    with transaction.atomic():
        batch = services.batch_upload(
            actor=request.user,
            kept=kept,
            file_name=upload_file.name or "upload",
            source_name=form.cleaned_data["source"],
        )
    return redirect("imports:batch_mapping", pk=batch.pk)


# ---------------------------------------------------------------------------- mapping


def _initial_fields(batch_mapping: SourceMapping | None, shown: Any) -> dict[str, str]:
    """Each header's field as the form starts: the batch's mapping, else the automatic one,
    else a strong suggestion."""
    if batch_mapping is not None:
        return {
            header: rule.field
            for header in shown.headers
            if (rule := batch_mapping.mapping.rule_for(header)) is not None
        }
    initial = dict(shown.mapped)
    taken = set(initial.values())
    for header in shown.headers:
        best = (shown.suggestions.get(header) or [None])[0]
        strong = best is not None and best.score >= 85 and best.field not in taken
        if header not in initial and strong:
            initial[header] = best.field
            taken.add(best.field)
    return initial


@require(Capability.EDIT_RECORD)
def batch_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    if batch.status in (ImportBatch.Status.DONE, ImportBatch.Status.DISCARDED) or batch.is_running:
        return redirect("imports:batch_detail", pk=pk)
    try:
        current = services.batch_mapping(batch)
    except MappingError:
        current = None
    reader = current.mapping if current else None
    error = None
    shown = None
    try:
        with storage.file_open(batch.sha256) as stream:
            shown = preview(stream, mapping=reader, name=batch.file_name, rows=PREVIEW_ROWS)
    except TabularError as exc:
        error = {"label": problem_label(exc.code), "reason": str(exc)}
    except storage.StorageError as exc:
        raise Http404(str(exc)) from None
    headers = shown.headers if shown else []
    form = MappingForm(
        request.POST or None,
        headers=headers,
        sheets=shown.sheets if shown else [],
        initial_fields=_initial_fields(current, shown) if shown else {},
        initial=MappingForm.initial_for(current),
    )
    if request.method == "POST" and form.is_valid():
        services.batch_mapping_set(
            actor=request.user, batch=batch, mapping=form.to_mapping(current)
        )
        if shown is None:  # the file could not be read: try again with the new reading options
            return redirect("imports:batch_mapping", pk=pk)
        services.batch_check_start(actor=request.user, batch=batch)
        return redirect("imports:batch_detail", pk=pk)
    columns = []
    if shown is not None:
        for header, field in form.column_fields():
            columns.append(
                {
                    "header": header,
                    "field": field,
                    "samples": [row.get(header, "") for row in shown.rows[:3]],
                    "suggestions": [
                        {"label": FIELD_LABELS.get(s.field, s.field), "score": round(s.score)}
                        for s in shown.suggestions.get(header, [])
                    ],
                }
            )
    return render(
        request,
        "imports/mapping.html",
        {
            "batch": batch,
            "form": form,
            "preview": shown,
            "preview_rows": [
                (number, [row.get(h, "") for h in headers])
                for number, row in zip(shown.row_numbers, shown.rows, strict=True)
            ]
            if shown
            else [],
            "columns": columns,
            "error": error,
            "problems": _labelled([p.to_dict() for p in shown.problems]) if shown else [],
        },
    )


# ---------------------------------------------------------------------------- status and report


def _progress_context(batch: ImportBatch) -> dict[str, Any]:
    live = storage.progress_read(batch.pk) or {}
    fraction = live.get("fraction")
    if fraction is None:
        fraction = batch.progress
    return {
        "batch": batch,
        "percent": round(100 * min(max(float(fraction or 0.0), 0.0), 1.0)),
        "rows": live.get("rows", 0),
        "phase": live.get("phase", ""),
    }


@require(Capability.EDIT_RECORD)
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    report = batch.report or {}
    problems = report.get("problems", [])
    fatal = report.get("fatal")
    context = {
        **_progress_context(batch),
        "report": report,
        "fatal": _labelled([fatal])[0] if fatal else None,
        "problems": _labelled(problems[:SHOWN_PROBLEMS]),
        "more_problems": max(0, len(problems) - SHOWN_PROBLEMS),
        "mapped": [
            (header, FIELD_LABELS.get(field, field))
            for header, field in report.get("mapped", {}).items()
        ],
        "records": selectors.batch_records(batch) if batch.status == "done" else [],
        "who": viewer(request),
        "decisions": len(report.get("unresolved_places", []))
        + len(report.get("unmatched_values", [])),
    }
    if batch.status == ImportBatch.Status.DONE and batch.source_id:
        context["records_url"] = reverse("core:record_list") + f"?source={batch.source_id}"
        context["mapping"] = getattr(batch.source, "import_mapping", None)
    context["record_rows"] = [
        (record, context["who"].record_label(record)) for record in context["records"]
    ]
    return render(request, "imports/batch_detail.html", context)


@transaction.non_atomic_requests  # polled while an import holds SQLite's write lock
@require(Capability.EDIT_RECORD)
def batch_progress(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    response = render(request, "imports/_progress.html", _progress_context(batch))
    if not batch.is_running and request.headers.get("HX-Request"):
        response["HX-Redirect"] = reverse("imports:batch_detail", args=[pk])
    return response


@require(Capability.EDIT_RECORD)
def batch_decisions(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    report = batch.report or {}
    form = DecisionsForm(
        request.POST or None,
        places=report.get("unresolved_places", []),
        values=report.get("unmatched_values", []),
    )
    if request.method == "POST":
        if batch.is_running or batch.status in ("done", "discarded"):
            return redirect("imports:batch_detail", pk=pk)
        if form.is_valid():
            places, values = form.decisions()
            services.batch_decisions_apply(
                actor=request.user, batch=batch, places=places, values=values
            )
            services.batch_check_start(actor=request.user, batch=batch)
            return redirect("imports:batch_detail", pk=pk)
    return render(
        request,
        "imports/decisions.html",
        {
            "batch": batch,
            "form": form,
            "field_labels": FIELD_LABELS,
            "value_rows": [
                (value, FIELD_LABELS.get(value["field"], value["field"]), field)
                for value, field in form.value_rows()
            ],
        },
    )


@require_POST
@require(Capability.EDIT_RECORD)
def batch_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    try:
        services.batch_import_start(
            actor=request.user, batch=batch, save_mapping=bool(request.POST.get("save_mapping"))
        )
    except ValueError:
        messages.error(request, _("Only a checked file without errors can be imported."))
    return redirect("imports:batch_detail", pk=pk)


@require_POST
@require(Capability.EDIT_RECORD)
def batch_discard(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    try:
        services.batch_discard(actor=request.user, batch=batch)
    except ValueError:
        messages.error(request, _("An imported or running file cannot be discarded."))
        return redirect("imports:batch_detail", pk=pk)
    messages.success(request, _("Discarded. Nothing was imported."))
    return redirect("imports:batch_list")


def _file_response(path: Any, filename: str, content_type: str) -> FileResponse:
    stream = open(path, "rb")  # noqa: SIM115 - FileResponse closes it
    response = FileResponse(stream, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@require(Capability.EDIT_RECORD)
def batch_problems(request: HttpRequest, pk: int) -> HttpResponse:
    """Every problem of the last check as CSV (injection-safe), with its meaning."""
    batch = _batch(request, pk)
    report = batch.report or {}
    rows = [*([report["fatal"]] if report.get("fatal") else []), *report.get("problems", [])]
    columns = ["file", "sheet", "row", "column", "value", "reason", "code", "severity", "meaning"]
    with storage.scratch_dir() as folder:
        path = folder / "problems.csv"
        export_rows(
            ({**{c: p.get(c) for c in columns[:-1]}, "meaning": problem_label(p["code"])}
             for p in rows),
            path,
            "csv",
            columns=columns,
        )  # fmt: skip
        return _file_response(path, f"{batch.file_name}.problems.csv", CONTENT_TYPES["csv"])


@require(Capability.EDIT_RECORD)
def mapping_detail(request: HttpRequest, pk: int) -> HttpResponse:
    saved = get_object_or_404(selectors.mappings_visible_to(request.user), pk=pk)
    try:
        text = SourceMapping.from_dict(saved.mapping).to_yaml()
    except MappingError:
        text = json.dumps(saved.mapping, ensure_ascii=False, indent=2)
    if request.GET.get("download"):
        response = HttpResponse(text, content_type="application/yaml; charset=utf-8")
        response["Content-Disposition"] = content_disposition_header(
            True, f"{saved.source.name}.mapping.yaml"
        )
        return response
    return render(request, "imports/mapping_detail.html", {"saved": saved, "text": text})


# ---------------------------------------------------------------------------- exports


ExtraColumns = Callable[[dict[str, Any]], list[Column]]


def _export(request: HttpRequest, listing: Listing, extra: ExtraColumns, kind: str) -> HttpResponse:
    """The list page's rows, filtered as on the page, as CSV or XLSX (formulas neutralised).

    Sensitive: the export is written to the audit log with its filters and row count.
    """
    fmt = request.GET.get("format", "csv")
    if fmt not in CONTENT_TYPES:
        raise Http404
    who = viewer(request)
    params = request.GET.copy()
    for name in ("format", "page"):
        params.pop(name, None)
    form = (listing.filter_form or SearchForm)(params or None)
    queryset = listing.queryset(request)
    if listing.select_related:
        queryset = queryset.select_related(*listing.select_related)
    data: dict[str, Any] = {}
    if form.is_valid() and listing.apply_filters is not None:
        data = form.cleaned_data
        queryset = listing.apply_filters(queryset, data, who)
    columns = [Column("id", lambda obj, who: obj.pk), *listing.columns, *extra(data)]
    headers = [str(column.header) for column in columns]
    count = 0

    def rows() -> Iterator[dict[str, Any]]:
        nonlocal count
        for obj in queryset.order_by(*listing.order_by).iterator(chunk_size=2000):
            count += 1
            yield dict(zip(headers, (c.value(obj, who) for c in columns), strict=True))

    with storage.scratch_dir() as folder:
        path = folder / f"{kind}.{fmt}"
        try:
            export_rows(rows(), path, fmt, columns=headers, sheet_title=str(listing.title))
        except TabularError as exc:  # a text too long for an XLSX cell
            messages.error(request, str(exc))
            return redirect(reverse(f"core:{kind[:-1]}_list") + "?" + params.urlencode())
        audit_record(
            action="export",
            object_type=object_type_of(Record if kind == "records" else Violation),
            object_id="list",
            after={
                "format": fmt,
                "filters": {k: str(v) for k, v in data.items() if v not in (None, "", False)},
                "rows": count,
            },
        )
        return _file_response(path, f"testigo-{kind}.{fmt}", CONTENT_TYPES[fmt])


def _as_reported(header: str) -> Column:
    """A column of the raw rows, masked where the viewer may not see the person's identity."""

    def value(record: Record, who: Viewer) -> Any:
        if not who.shows_name_of(record.person):
            return "•••"
        return record.raw.get(header, "")

    return Column(_("as reported: %(column)s") % {"column": header}, value)


def _record_columns(data: dict[str, Any]) -> list[Column]:
    columns = [
        Column(gettext_lazy("row in the source"), lambda r, who: r.source_row),
        Column(gettext_lazy("version"), lambda r, who: r.version),
        Column(gettext_lazy("source file SHA-256"), lambda r, who: r.source_file_sha256),
    ]
    source = data.get("source")
    if isinstance(source, Source):
        # One source: its rows as reported, under the headers of its latest import.
        latest = (
            ImportBatch.objects.filter(source=source, status=ImportBatch.Status.DONE)
            .order_by("-id")
            .first()
        )
        headers = (latest.report.get("headers") if latest else None) or []
        columns += [_as_reported(h) for h in headers]
    return columns


@require(Capability.VIEW_RECORD)
def record_export(request: HttpRequest) -> HttpResponse:
    return _export(request, RECORDS, _record_columns, "records")


@require(Capability.VIEW_RECORD)
def violation_export(request: HttpRequest) -> HttpResponse:
    return _export(request, VIOLATIONS, lambda data: [], "violations")
