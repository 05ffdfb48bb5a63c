"""Reads of the member register, always through ``Member.objects.visible_to``."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Q

from gonghui.accounts.models import User
from gonghui.core.errors import NotFound
from gonghui.core.scoping import ScopedQuerySet, granted_paths
from gonghui.members.models import Member, MembershipEvent
from gonghui.orgs.industries import Industry
from gonghui.orgs.models import Enterprise, OrgUnit


def member_list(*, user: User | AnonymousUser) -> ScopedQuerySet[Member]:
    """Members in the user's subtrees (or the worker's own record); ciphertext not loaded."""
    return Member.objects.visible_to(user).select_related("org_unit", "employer").defer("id_number", "phone")


def member_get_for_user(*, user: User | AnonymousUser, member_id: int) -> Member:
    """One member; missing and not-yours raise the same NotFound."""
    member = (
        Member.objects.visible_to(user).select_related("org_unit", "employer").filter(pk=member_id).first()
    )
    if member is None:
        raise NotFound()
    return member


def member_history(*, member: Member) -> list[MembershipEvent]:
    """Join / transfer / leave events of an already-authorised member, oldest first."""
    return list(member.events.select_related("from_unit", "to_unit", "actor"))


def member_for_user(*, user: User) -> Member | None:
    """The member record bound to a worker's login, if any."""
    return Member.objects.filter(user=user).select_related("org_unit", "employer").first()


def dashboard_figures(*, user: User | AnonymousUser) -> dict[str, Any]:
    """Counts for the staff dashboard, and members per child node of the top granted node."""
    members = Member.objects.visible_to(user)
    totals = members.aggregate(
        total=Count("id"),
        active=Count("id", filter=Q(status=Member.Status.ACTIVE)),
        female=Count("id", filter=Q(sex="F", status=Member.Status.ACTIVE)),
        flexible=Count("id", filter=~Q(kind=Member.Kind.EMPLOYEE) & Q(status="active")),
    )
    units = OrgUnit.objects.visible_to(user)
    paths = granted_paths(user) if not user.is_superuser else []
    top = units.filter(path__in=paths).first() if paths else units.filter(depth=1).first()
    by_child: list[dict[str, Any]] = []
    if top is not None:
        children = list(top.get_children())
        counts: dict[str, int] = dict(
            members.filter(status="active")  # type: ignore[arg-type]
            .filter(org_unit__path__startswith=top.path)
            .values_list("org_unit__path")
            .annotate(n=Count("id"))
        )
        for child in children:
            n = sum(v for p, v in counts.items() if p.startswith(child.path))
            by_child.append({"name": child.name, "value": n})
    by_industry = list(
        members.filter(status="active", employer__isnull=False)
        .values("employer__industry")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    return {
        "totals": totals,
        "unit_count": units.count(),
        "enterprise_count": Enterprise.objects.visible_to(user).count(),
        "top_unit": top,
        "by_child": by_child,
        "by_industry": [
            {
                "name": Industry(r["employer__industry"]).label,
                "value": r["n"],
            }
            for r in by_industry
        ],
    }
