"""A small, declarative list page: columns, filters, search and paging for one model.

Each list view is a :class:`Listing`; :func:`render_listing` does the rest, returning the whole
page or, for htmx requests, only the results table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from testigo.core.identity import Viewer, viewer

PAGE_SIZE = 50


@dataclass(frozen=True)
class Column:
    header: Any
    value: Callable[[Any, Viewer], Any]
    link: bool = False


@dataclass
class Listing:
    title: Any
    queryset: Callable[[HttpRequest], QuerySet[Any]]
    columns: list[Column]
    detail_url: str
    filter_form: type[forms.Form] | None = None
    apply_filters: Callable[[QuerySet[Any], dict[str, Any], Viewer], QuerySet[Any]] | None = None
    create_url: str | None = None
    can_create: Callable[[HttpRequest], bool] = field(default=lambda request: False)
    select_related: tuple[str, ...] = ()
    order_by: tuple[str, ...] = ("-id",)


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)


def render_listing(request: HttpRequest, listing: Listing) -> HttpResponse:
    who = viewer(request)
    form = (listing.filter_form or SearchForm)(request.GET or None)
    queryset = listing.queryset(request)
    if listing.select_related:
        queryset = queryset.select_related(*listing.select_related)
    if form.is_valid() and listing.apply_filters is not None:
        queryset = listing.apply_filters(queryset, form.cleaned_data, who)
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    # One row more than a page tells whether there is a next page, without counting millions.
    start = (page - 1) * PAGE_SIZE
    rows = list(queryset.order_by(*listing.order_by)[start : start + PAGE_SIZE + 1])
    has_next = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    table = [
        {
            "url": reverse(listing.detail_url, args=[row.pk]),
            "cells": [(column.value(row, who), column.link) for column in listing.columns],
        }
        for row in rows
    ]
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "listing": listing,
        "form": form,
        "headers": [column.header for column in listing.columns],
        "rows": table,
        "page": page,
        "has_next": has_next,
        "has_previous": page > 1,
        "query": params.urlencode(),
        "create_url": reverse(listing.create_url)
        if listing.create_url and listing.can_create(request)
        else None,
    }
    template = "ui/_table.html" if request.headers.get("HX-Request") else "ui/list.html"
    return render(request, template, context)
