"""Filter sets of the mutual-aid lists; choices come from what the user may see."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet

from gonghui.core.filters import StyledFilterSet
from gonghui.mutual_aid import selectors
from gonghui.mutual_aid.models import Enrolment, Plan
from gonghui.mutual_aid.plans import policy_of
from gonghui.orgs.models import Enterprise, OrgUnit


def _plans(request: Any) -> QuerySet[Plan]:
    if request is None:
        return Plan.objects.none()
    return selectors.plan_list(user=request.user)


def _units(request: Any) -> QuerySet[OrgUnit]:
    if request is None:
        return OrgUnit.objects.none()
    return OrgUnit.objects.visible_to(request.user).exclude(level="enterprise")


def _enterprises(request: Any) -> QuerySet[Enterprise]:
    if request is None:
        return Enterprise.objects.none()
    return Enterprise.objects.visible_to(request.user).order_by("name")


def item_choices(plans: list[Plan]) -> list[tuple[str, str]]:
    """Item codes and names of the given plans' current policies (first name wins)."""
    names: dict[str, str] = {}
    for plan in plans:
        if plan.current_version is not None:
            for item in policy_of(plan.current_version).items:
                names.setdefault(item.code, item.name)
    return list(names.items())


class EnrolmentFilter(StyledFilterSet):
    plan = django_filters.ModelChoiceFilter(label="互助计划", queryset=_plans)
    item = django_filters.ChoiceFilter(label="互助项目", choices=[])
    unit = django_filters.ModelChoiceFilter(label="所属组织（含下级）", queryset=_units, method="in_subtree")
    enterprise = django_filters.ModelChoiceFilter(
        label="工作单位", queryset=_enterprises, field_name="member__employer"
    )
    renewal = django_filters.ChoiceFilter(label="续保/首次", choices=[("1", "续保"), ("0", "首次参保")])

    class Meta:
        model = Enrolment
        fields: list[str] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items = item_choices(list(_plans(self.request)))
        self.form.fields["item"].choices = [("", "全部"), *self.items]  # type: ignore[attr-defined]

    def in_subtree(self, queryset: QuerySet[Enrolment], name: str, value: OrgUnit) -> QuerySet[Enrolment]:
        return queryset.filter(org_unit__path__startswith=value.path)
