"""Reads of the union tree and enterprises, always scoped by ``visible_to``."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, QuerySet

from gonghui.accounts.models import User
from gonghui.core.errors import NotFound
from gonghui.orgs.models import Enterprise, OrgUnit


def org_unit_list(*, user: User | AnonymousUser) -> QuerySet[OrgUnit]:
    """Nodes in the user's subtrees, in tree order (path)."""
    return OrgUnit.objects.visible_to(user).order_by("path")


def org_unit_get_for_user(*, user: User | AnonymousUser, unit_id: int) -> OrgUnit:
    """One node; missing and not-yours raise the same NotFound."""
    unit = org_unit_list(user=user).filter(pk=unit_id).first()
    if unit is None:
        raise NotFound()
    return unit


def org_unit_children(*, unit: OrgUnit) -> QuerySet[OrgUnit]:
    """Direct children of an authorised node with their member counts."""
    return unit.get_children().annotate(member_count=Count("members"))


def enterprise_list(*, user: User | AnonymousUser) -> QuerySet[Enterprise]:
    """Enterprises whose union lies in the user's subtrees."""
    return Enterprise.objects.visible_to(user).select_related("union")


def enterprise_get_for_user(*, user: User | AnonymousUser, enterprise_id: int) -> Enterprise:
    enterprise = enterprise_list(user=user).filter(pk=enterprise_id).first()
    if enterprise is None:
        raise NotFound()
    return enterprise
