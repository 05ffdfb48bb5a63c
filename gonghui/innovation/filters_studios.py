"""Filter sets of the studio and alliance lists (they narrow an already scoped queryset)."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet

from gonghui.core.filters import StyledFilterSet
from gonghui.innovation.models import Alliance, Studio

STAR_CHOICES = [(str(n), f"{n} 星" if n else "未评星") for n in range(5, -1, -1)]


class StudioFilter(StyledFilterSet):
    name = django_filters.CharFilter(label="名称/领军人物", method="by_name")
    level = django_filters.ChoiceFilter(label="级别", choices=Studio.Level.choices)
    stars = django_filters.ChoiceFilter(label="星级", choices=STAR_CHOICES)
    status = django_filters.ChoiceFilter(label="状态", choices=Studio.Status.choices)
    field = django_filters.CharFilter(label="专业领域", lookup_expr="icontains")

    class Meta:
        model = Studio
        fields: list[str] = []

    def by_name(self, queryset: QuerySet[Studio], name: str, value: str) -> QuerySet[Studio]:
        return queryset.filter(Q(name__icontains=value) | Q(leader_name__icontains=value))


class AllianceFilter(StyledFilterSet):
    name = django_filters.CharFilter(label="名称", lookup_expr="icontains")
    field = django_filters.CharFilter(label="领域", lookup_expr="icontains")

    class Meta:
        model = Alliance
        fields: list[str] = []
