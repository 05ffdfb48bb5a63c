"""The shared list pattern: filters, sorting, pagination, xlsx export — one helper for all.

Views hand it an already-scoped queryset (from a selector); this module never widens it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from django.core.paginator import Paginator
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from gonghui.core.tabular import build_xlsx


@dataclass(frozen=True)
class Column:
    """A table column: ``attr`` is a dotted path (``org_unit.name``) or a callable."""

    label: str
    attr: str | Callable[[Any], Any]
    sort: str | None = None  # ORM ordering field when sortable
    link: bool = False  # render as a link to the row's get_absolute_url

    def value(self, obj: Any) -> Any:
        if callable(self.attr):
            return self.attr(obj)
        value: Any = obj
        for part in self.attr.split("."):
            if value is None:
                return ""
            display = getattr(value, f"get_{part}_display", None)
            value = display() if display is not None else getattr(value, part)
        return "" if value is None else value


def _export_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date | int | float | str):
        return value
    return str(value)


def render_list(
    request: HttpRequest,
    *,
    queryset: QuerySet[Any],
    columns: list[Column],
    title: str,
    filterset_class: type | None = None,
    export_name: str | None = None,
    per_page: int = 50,
    default_sort: str | None = None,
    extra: dict[str, Any] | None = None,
    template: str = "core/list.html",
) -> HttpResponse:
    """Full page, or the table fragment for htmx, or an xlsx download (``?export=xlsx``)."""
    filterset = None
    if filterset_class is not None:
        filterset = filterset_class(request.GET or None, queryset=queryset, request=request)
        queryset = filterset.qs if filterset.is_bound and filterset.is_valid() else queryset
    sortable = {c.sort for c in columns if c.sort}
    sort = request.GET.get("sort", "")
    if sort.lstrip("-") in sortable:
        queryset = queryset.order_by(sort, "pk")
    elif default_sort:
        queryset = queryset.order_by(default_sort, "pk")
    if export_name and request.GET.get("export") == "xlsx":
        rows: Iterator[list[Any]] = (
            [_export_value(c.value(obj)) for c in columns] for obj in queryset.iterator(2000)
        )
        content = build_xlsx([c.label for c in columns], rows, sheet_title=title)
        response = HttpResponse(
            content,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        filename = f"{export_name}-{timezone.localdate():%Y%m%d}.xlsx"
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
        return response
    paginator = Paginator(queryset, per_page)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    rows_out = [{"obj": obj, "cells": [c.value(obj) for c in columns], "url": _url(obj)} for obj in page]
    context = {
        "title": title,
        "columns": columns,
        "rows": rows_out,
        "page": page,
        "filter": filterset,
        "sort": sort,
        "query": query.urlencode(),
        "export_name": export_name,
        **(extra or {}),
    }
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.boosted:
        return render(request, "core/_table.html", context)
    return render(request, template, context)


def _url(obj: Model) -> str:
    getter = getattr(obj, "get_absolute_url", None)
    return getter() if getter else ""
