from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from gonghui.core.crypto import blind_index
from gonghui.core.filters import StyledFilterSet
from gonghui.core.validators import normalise_id_number
from gonghui.members.models import Member
from gonghui.orgs.models import OrgUnit


def _units(request):  # type: ignore[no-untyped-def]
    if request is None:
        return OrgUnit.objects.none()
    return OrgUnit.objects.visible_to(request.user).exclude(level="enterprise")


class MemberFilter(StyledFilterSet):
    q = django_filters.CharFilter(label="姓名/身份证号", method="search")
    unit = django_filters.ModelChoiceFilter(label="所属组织（含下级）", queryset=_units, method="in_subtree")
    kind = django_filters.ChoiceFilter(label="会员类型", choices=Member.Kind.choices)
    status = django_filters.ChoiceFilter(label="状态", choices=Member.Status.choices)
    sex = django_filters.ChoiceFilter(label="性别", choices=Member.Sex.choices)

    class Meta:
        model = Member
        fields: list[str] = []

    def search(self, queryset: QuerySet[Member], name: str, value: str) -> QuerySet[Member]:
        value = value.strip()
        if len(value) == 18:  # a full ID number: exact match through the blind index
            return queryset.filter(id_number_index=blind_index(normalise_id_number(value)))
        return queryset.filter(name__contains=value)

    def in_subtree(self, queryset: QuerySet[Member], name: str, value: OrgUnit) -> QuerySet[Member]:
        return queryset.filter(org_unit__path__startswith=value.path)
