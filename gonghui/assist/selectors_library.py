"""Reads of the three libraries, always through ``visible_to``.

- Craftsmen and library outcomes: staff see their subtree's libraries; a craftsman sees their
  own record. (Matching searches the whole library on purpose — see ``matching`` — but returns
  only the public profile; the records themselves are read here.)
- Demands: staff their subtree; an enterprise contact the demands they posted; a craftsman
  the demands dispatched to them (confidential ones included: they were assigned).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from gonghui.accounts.models import Role, RoleGrant, User
from gonghui.accounts.permissions import can, is_staff_somewhere
from gonghui.assist.matching import MatchRow, match_demand
from gonghui.assist.models import (
    ClinicQuestion,
    Craftsman,
    Demand,
    Dispatch,
    LibraryOutcome,
    ServiceActivity,
)
from gonghui.core.errors import NotFound
from gonghui.orgs.models import Enterprise

_DS = Demand.Status
# Where each step of a demand's lifecycle may start from (the services in ``demands``).
DEMAND_STARTABLE = frozenset({_DS.MATCHED})
DEMAND_SOLVABLE = frozenset({_DS.MATCHED, _DS.IN_SERVICE})
DEMAND_CLOSABLE = frozenset({_DS.OPEN, _DS.MATCHED, _DS.IN_SERVICE})


def craftsman_list(*, user: User | AnonymousUser) -> QuerySet[Craftsman]:
    """Craftsmen the user may see (staff: their subtree's library; a craftsman: themself)."""
    return Craftsman.objects.visible_to(user).select_related("org_unit", "studio")


def craftsman_get_for_user(*, user: User | AnonymousUser, craftsman_id: int) -> Craftsman:
    """One craftsman; missing and not-visible raise the same NotFound."""
    found = craftsman_list(user=user).select_related("enterprise", "user").filter(pk=craftsman_id).first()
    if found is None:
        raise NotFound()
    return found


def craftsman_track_record(
    *, user: User | AnonymousUser, craftsman: Craftsman, limit: int = 20
) -> dict[str, Any]:
    """The derived track record shown on the detail page: the figures on the record plus the
    recent dispatches (only to demands the viewer may see) and service activities."""
    dispatches = (
        Dispatch.objects.filter(craftsman=craftsman, demand__in=demand_list(user=user).values("pk"))
        .select_related("demand__enterprise", "dispatched_by")
        .order_by("-created_at", "-pk")[:limit]
    )
    activities = (
        ServiceActivity.objects.visible_to(user)
        .filter(craftsmen=craftsman)
        .select_related("enterprise")
        .order_by("-held_on", "-pk")[:limit]
    )
    return {
        "dispatches": list(dispatches),
        "dispatch_count": Dispatch.objects.filter(craftsman=craftsman).count(),
        "activities": list(activities),
    }


def outcome_list(*, user: User | AnonymousUser) -> QuerySet[LibraryOutcome]:
    """Library outcomes the user may see (staff: their subtree's library)."""
    return LibraryOutcome.objects.visible_to(user).select_related("org_unit")


def outcome_get_for_user(*, user: User | AnonymousUser, outcome_id: int) -> LibraryOutcome:
    """One library outcome; missing and not-visible raise the same NotFound."""
    found = outcome_list(user=user).select_related("innovation_outcome").filter(pk=outcome_id).first()
    if found is None:
        raise NotFound()
    return found


def demand_list(*, user: User | AnonymousUser) -> QuerySet[Demand]:
    """Demands the user may see: staff their subtree, contacts their own, craftsmen the ones
    dispatched to them."""
    visible = Demand.objects.visible_to(user)
    if getattr(user, "is_authenticated", False) and hasattr(user, "craftsman"):
        dispatched = Demand.objects.filter(dispatches__craftsman__user_id=int(user.pk or 0)).values("pk")
        visible = Demand.objects.filter(Q(pk__in=visible.values("pk")) | Q(pk__in=dispatched))
    return visible.select_related("enterprise", "org_unit")


def demand_get_for_user(*, user: User | AnonymousUser, demand_id: int) -> Demand:
    """One demand; missing and not-visible raise the same NotFound."""
    found = demand_list(user=user).select_related("created_by").filter(pk=demand_id).first()
    if found is None:
        raise NotFound()
    return found


def contact_enterprises(*, user: User | AnonymousUser) -> QuerySet[Enterprise]:
    """Enterprises the user is the contact of (role enterprise_contact on their union)."""
    if not getattr(user, "is_authenticated", False):
        return Enterprise.objects.none()
    union_ids = RoleGrant.objects.filter(
        user_id=int(user.pk or 0), role=Role.ENTERPRISE_CONTACT, revoked_at__isnull=True
    ).values("org_unit_id")
    return Enterprise.objects.filter(union_id__in=union_ids).select_related("union").order_by("name", "pk")


def demand_enterprises(*, user: User | AnonymousUser) -> QuerySet[Enterprise]:
    """Enterprises the user may post a demand for: their own as contact, or any in the
    subtrees they review (staff posting on an enterprise's behalf)."""
    own = contact_enterprises(user=user).values("pk")
    reviewed = Enterprise.objects.visible_to(user, "review").values("pk")
    return (
        Enterprise.objects.filter(Q(pk__in=own) | Q(pk__in=reviewed))
        .select_related("union")
        .order_by("name", "pk")
    )


def is_craftsman(user: User | AnonymousUser) -> bool:
    """Has a craftsman record or the craftsman role."""
    if not getattr(user, "is_authenticated", False):
        return False
    return (
        hasattr(user, "craftsman")
        or RoleGrant.objects.filter(
            user_id=int(user.pk or 0), role=Role.CRAFTSMAN, revoked_at__isnull=True
        ).exists()
    )


@dataclass(frozen=True, slots=True)
class RankedCraftsman:
    """A match row for the demand page: its rank, whether the viewer may open the record,
    whether it was already dispatched."""

    rank: int
    row: MatchRow
    record: Craftsman | None
    dispatched: bool


@dataclass(frozen=True, slots=True)
class RankedOutcome:
    rank: int
    row: MatchRow
    record: LibraryOutcome | None


def demand_matches(*, user: User | AnonymousUser, demand: Demand, limit: int = 10) -> dict[str, Any]:
    """Ranked craftsmen and outcomes for a demand with their scores and reasons, plus what the
    page needs around them (links only to records the viewer may see), in a fixed number of
    queries."""
    craftsmen = match_demand(demand=demand, kind="craftsman", limit=limit)
    outcomes = match_demand(demand=demand, kind="outcome", limit=limit)
    visible_craftsmen = {c.pk: c for c in craftsman_list(user=user).filter(pk__in=[r.id for r in craftsmen])}
    visible_outcomes = {o.pk: o for o in outcome_list(user=user).filter(pk__in=[r.id for r in outcomes])}
    dispatched = set(Dispatch.objects.filter(demand=demand).values_list("craftsman_id", flat=True))
    return {
        "ranked_craftsmen": [
            RankedCraftsman(rank, row, visible_craftsmen.get(row.id), row.id in dispatched)
            for rank, row in enumerate(craftsmen, start=1)
        ],
        "ranked_outcomes": [
            RankedOutcome(rank, row, visible_outcomes.get(row.id))
            for rank, row in enumerate(outcomes, start=1)
        ],
    }


def is_demand_staff(user: User | AnonymousUser, demand: Demand) -> bool:
    """Staff reviewing the demand's union dispatch, start the service, solve and close it."""
    return can(user, "review", demand.org_unit)


def is_demand_creator(user: User | AnonymousUser, demand: Demand) -> bool:
    """Who posted the demand (usually the enterprise contact) may confirm it solved or close it."""
    return bool(
        getattr(user, "is_authenticated", False) and user.is_active and demand.created_by_id == user.pk
    )


def demand_detail(*, user: User | AnonymousUser, demand: Demand) -> dict[str, Any]:
    """Photos, dispatches, the clinic question the demand belongs to (if any) and which steps
    the viewer may take: dispatch and start the service (staff reviewing the union), confirm
    solved and close (that staff or the demand's creator). A clinic question's demand is moved
    by its question, so none of the lifecycle steps is offered here."""
    staff = is_demand_staff(user, demand)
    may_finish = staff or is_demand_creator(user, demand)
    clinic_question_id = (
        ClinicQuestion.objects.filter(demand_id=demand.pk).values_list("pk", flat=True).first()
    )
    own_lifecycle = clinic_question_id is None
    return {
        "photos": list(demand.photos.all().order_by("pk")),
        "dispatches": list(
            demand.dispatches.select_related("craftsman", "dispatched_by").order_by("created_at")
        ),
        "can_dispatch": staff,
        "clinic_question_id": clinic_question_id,
        "can_start": own_lifecycle and staff and demand.status in DEMAND_STARTABLE,
        "can_solve": own_lifecycle and may_finish and demand.status in DEMAND_SOLVABLE,
        "can_close": own_lifecycle and may_finish and demand.status in DEMAND_CLOSABLE,
    }


def home_figures(*, user: User | AnonymousUser) -> dict[str, Any]:
    """Counts for the staff hub (each through its scoped list)."""
    if not is_staff_somewhere(user):
        return {}
    demands = demand_list(user=user)
    return {
        "craftsman_count": craftsman_list(user=user).filter(active=True).count(),
        "outcome_count": outcome_list(user=user).filter(active=True).count(),
        "demand_count": demands.count(),
        "open_demand_count": demands.filter(status=Demand.Status.OPEN).count(),
    }
