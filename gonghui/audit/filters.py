from __future__ import annotations

import django_filters

from gonghui.audit.models import AuditEntry
from gonghui.core.filters import StyledFilterSet


class AuditFilter(StyledFilterSet):
    action = django_filters.CharFilter(label="动作", lookup_expr="startswith")
    target_type = django_filters.CharFilter(label="对象类型", lookup_expr="exact")
    actor = django_filters.CharFilter(label="操作人", field_name="actor__username")
    since = django_filters.DateFilter(
        label="起始日期",
        field_name="created_at",
        lookup_expr="date__gte",
        widget=django_filters.widgets.forms.DateInput(attrs={"type": "date"}),
    )
    until = django_filters.DateFilter(
        label="截止日期",
        field_name="created_at",
        lookup_expr="date__lte",
        widget=django_filters.widgets.forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = AuditEntry
        fields: list[str] = []
