from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet

from gonghui.core.filters import StyledFilterSet
from gonghui.orgs.industries import Industry
from gonghui.orgs.models import Enterprise, OrgUnit


class OrgUnitFilter(StyledFilterSet):
    q = django_filters.CharFilter(label="名称/区划代码", method="search")
    level = django_filters.ChoiceFilter(label="层级", choices=OrgUnit.Level.choices)

    class Meta:
        model = OrgUnit
        fields: list[str] = []

    def search(self, queryset: QuerySet[OrgUnit], name: str, value: str) -> QuerySet[OrgUnit]:
        return queryset.filter(Q(name__contains=value) | Q(division_code__startswith=value))


class EnterpriseFilter(StyledFilterSet):
    q = django_filters.CharFilter(label="名称/信用代码", method="search")
    industry = django_filters.ChoiceFilter(label="行业门类", choices=Industry.choices)
    size = django_filters.ChoiceFilter(label="规模", choices=Enterprise.Size.choices)

    class Meta:
        model = Enterprise
        fields: list[str] = []

    def search(self, queryset: QuerySet[Enterprise], name: str, value: str) -> QuerySet[Enterprise]:
        return queryset.filter(Q(name__contains=value) | Q(uscc=value.upper()))
