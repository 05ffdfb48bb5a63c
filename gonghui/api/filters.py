"""Filter sets for API lists. Filters narrow an already-scoped queryset and never look rows up
outside it, so a filter value cannot tell "exists elsewhere" from "does not exist"."""

from __future__ import annotations

import django_filters
from django import forms

from gonghui.members.models import Member


class IdFilter(django_filters.Filter):
    """An integer id compared as-is (a ModelChoiceFilter would validate it against every row)."""

    field_class = forms.IntegerField


class MemberFilter(django_filters.FilterSet):
    org_unit_id = IdFilter(field_name="org_unit_id", label="所在工会ID")

    class Meta:
        model = Member
        fields = ["kind", "status", "sex", "org_unit_id"]
