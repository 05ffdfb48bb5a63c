"""The shared list pattern: filters, sorting, pagination, xlsx export — one helper for all.

Views hand it an already-scoped queryset (from a selector); this module never widens it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

from gonghui.core.http import download_response
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
            labels = _choice_labels(type(value), part, translation.get_language() or "")  # type: ignore[arg-type]
            value = getattr(value, part)
            if labels:
                value = labels.get(value, value)
        return "" if value is None else value


@lru_cache(maxsize=512)
def _choice_labels(model: type, name: str, language: str) -> dict[Any, str]:
    """Display labels of a field with choices, resolved once per language (``get_FOO_display``
    rebuilds the choices dict on every call, which dominated list rendering)."""
    try:
        field = model._meta.get_field(name)  # type: ignore[attr-defined]
    except Exception:  # not a model, or not a field (a property): no labels
        return {}
    choices = getattr(field, "flatchoices", None)
    return {key: str(label) for key, label in choices} if choices else {}


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
        return download_response(content, f"{export_name}-{timezone.localdate():%Y%m%d}.xlsx")
    paginator = Paginator(queryset, per_page)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    rows_out = [_row(obj, columns) for obj in page]
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


def _cell_text(value: Any) -> str:
    """A cell as text, escaped: dates ISO-like (as in the exports), times local."""
    if isinstance(value, str):
        return conditional_escape(value)
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | Decimal):
        return str(value)
    return conditional_escape(str(value))


def _row(obj: Model, columns: list[Column]) -> dict[str, Any]:
    """One table row rendered in Python: 50 rows × 10 columns through the template engine
    was most of a list page's CPU time (see docs/benchmarks.md)."""
    cells = [_cell_text(c.value(obj)) for c in columns]
    url = _url(obj)
    if url and cells:
        cells[0] = format_html('<a href="{}">{}</a>', url, mark_safe(cells[0]))
    return {"obj": obj, "url": url, "html": mark_safe("".join(f"<td>{c}</td>" for c in cells))}


def _url(obj: Model) -> str:
    getter = getattr(obj, "get_absolute_url", None)
    return getter() if getter else ""
