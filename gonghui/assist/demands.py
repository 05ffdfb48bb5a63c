"""Write services of a demand's lifecycle in the 企业需求库 after 派单 (``matching.record_dispatch``):

    待对接 open → 已派单 matched → 服务中 in_service → 已解决 solved
    待对接 / 已派单 / 服务中 → 已关闭 closed

Staff reviewing the demand's union start the service; they or the enterprise contact who posted
the demand confirm it solved (the enterprise confirming its own problem) or close it with a
reason. Leaving the active states frees the place each dispatched craftsman had booked
(``Craftsman.open_requests``), in the same transaction.

A clinic question's demand follows its question (``clinic``) and is not moved here; the clinic
frees its places with ``release_capacity`` when the question closes.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from gonghui.accounts.models import User
from gonghui.assist import errors
from gonghui.assist.models import ClinicQuestion, Craftsman, Demand, Dispatch
from gonghui.assist.selectors_library import (
    DEMAND_CLOSABLE,
    DEMAND_SOLVABLE,
    DEMAND_STARTABLE,
    is_demand_creator,
    is_demand_staff,
)
from gonghui.audit.services import audit_record
from gonghui.core.errors import DomainError, PermissionDenied

S = Demand.Status

MAX_NOTE_CHARS = 2000
MAX_REASON_CHARS = 500


def _lock(demand: Demand) -> Demand:
    return Demand.objects.select_for_update(of=("self",)).select_related("org_unit").get(pk=demand.pk)


def _check(demand: Demand, *, allowed_from: frozenset[str], doing: str) -> None:
    """The transition is legal from the demand's status, and the clinic does not own it."""
    if ClinicQuestion.objects.filter(demand_id=demand.pk).exists():
        raise DomainError(errors.DEMAND_INVALID, f"该需求来自技术门诊，请在门诊问题中{doing}")
    if demand.status not in allowed_from:
        raise DomainError(
            errors.DEMAND_INVALID, f"需求当前状态为“{demand.get_status_display()}”，不能{doing}"
        )


def release_capacity(demand: Demand) -> list[int]:
    """Give back the place every dispatch of the demand booked and has not given back yet
    (never below 0); returns the craftsmen's ids. Craftsman rows are locked in id order first,
    so two demands released at once cannot deadlock on craftsmen they share. Called when a
    demand leaves the active states, here or by the clinic for its questions' demands."""
    pending = Dispatch.objects.filter(demand_id=demand.pk, released_at__isnull=True)
    ids = list(
        Craftsman.objects.select_for_update(of=("self",))
        .filter(pk__in=pending.values("craftsman_id"))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if ids:
        Craftsman.objects.filter(pk__in=ids).update(open_requests=Greatest(F("open_requests") - 1, 0))
        pending.update(released_at=timezone.now())
    return ids


def _audit(actor: User, action: str, demand: Demand, *, before: str, **after: Any) -> None:
    audit_record(
        actor=actor,
        action=f"assist.demand.{action}",
        target=demand,
        org_unit=demand.org_unit,
        before={"status": before},
        after={"status": demand.status, **after},
    )


def _finish(demand: Demand, *, to: str, note: str) -> list[int]:
    """Move a locked demand out of the active states, keep the note and free the capacity."""
    demand.status = to
    demand.resolution_note = note
    demand.closed_at = timezone.now()
    demand.save(update_fields=["status", "resolution_note", "closed_at", "updated_at"])
    return release_capacity(demand)


@transaction.atomic
def demand_start_service(*, demand: Demand, actor: User) -> Demand:
    """Staff reviewing the demand's union record that the dispatched craftsmen have started
    serving the enterprise (开始服务): 已派单 → 服务中."""
    locked = _lock(demand)
    if not is_demand_staff(actor, locked):
        raise PermissionDenied()
    _check(locked, allowed_from=DEMAND_STARTABLE, doing="开始服务")
    before = locked.status
    locked.status = S.IN_SERVICE
    locked.save(update_fields=["status", "updated_at"])
    _audit(actor, "start_service", locked, before=before)
    return locked


@transaction.atomic
def demand_mark_solved(*, demand: Demand, actor: User, note: str) -> Demand:
    """The enterprise contact who posted the demand, or staff reviewing its union, confirm the
    problem solved (确认已解决): 已派单 / 服务中 → 已解决, with an optional note (≤ 2000 chars);
    the dispatched craftsmen's places are freed."""
    locked = _lock(demand)
    if not (is_demand_staff(actor, locked) or is_demand_creator(actor, locked)):
        raise PermissionDenied()
    _check(locked, allowed_from=DEMAND_SOLVABLE, doing="确认已解决")
    note = (note or "").strip()
    if len(note) > MAX_NOTE_CHARS:
        raise DomainError(errors.DEMAND_INVALID, f"解决情况说明不能超过 {MAX_NOTE_CHARS} 字", field="note")
    before = locked.status
    freed = _finish(locked, to=S.SOLVED, note=note)
    _audit(actor, "solve", locked, before=before, note=note, freed_craftsmen=freed)
    return locked


@transaction.atomic
def demand_close(*, demand: Demand, actor: User, reason: str) -> Demand:
    """Staff reviewing the demand's union, or the enterprise contact who posted it, close a
    demand that will not be served (关闭需求: withdrawn, duplicate, solved otherwise):
    待对接 / 已派单 / 服务中 → 已关闭. The reason is required (≤ 500 chars); the dispatched
    craftsmen's places are freed."""
    locked = _lock(demand)
    if not (is_demand_staff(actor, locked) or is_demand_creator(actor, locked)):
        raise PermissionDenied()
    _check(locked, allowed_from=DEMAND_CLOSABLE, doing="关闭")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(errors.DEMAND_INVALID, "请填写关闭原因", field="reason")
    if len(reason) > MAX_REASON_CHARS:
        raise DomainError(errors.DEMAND_INVALID, f"关闭原因不能超过 {MAX_REASON_CHARS} 字", field="reason")
    before = locked.status
    freed = _finish(locked, to=S.CLOSED, note=reason)
    _audit(actor, "close", locked, before=before, reason=reason, freed_craftsmen=freed)
    return locked
