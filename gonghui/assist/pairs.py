"""Write services for 师徒结对 (mentor–apprentice pairs): create within the mentor's capacity,
check-ins, completion with the level reached, ending with a reason.

Each change locks its row, checks the transition in ``PAIR_TRANSITIONS`` and the actor's
permission, and writes its audit row in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from gonghui.accounts.models import User
from gonghui.accounts.permissions import can
from gonghui.assist import errors
from gonghui.assist.models import Craftsman, MentorPair, PairCheckIn
from gonghui.audit.services import audit_record
from gonghui.core.errors import DomainError, PermissionDenied
from gonghui.members.models import Member
from gonghui.orgs.models import OrgUnit

P = MentorPair.Status

PAIR_TRANSITIONS: dict[str, frozenset[str]] = {
    P.ACTIVE: frozenset({P.COMPLETED, P.ENDED}),
    P.COMPLETED: frozenset(),
    P.ENDED: frozenset(),
}
# Skill levels in ascending order: a pair cannot "complete" at a lower level than it started.
LEVEL_ORDER: dict[str, int] = {code: rank for rank, code in enumerate(Craftsman.SkillLevel.values)}
CITY_PREFIX = 4  # GB/T 2260: the first 4 digits name the city (地级市)
MAX_PERIOD_DAYS = 3 * 366


def cross_region(*, mentor_region: str, division_code: str) -> bool:
    """Whether a pair crosses city borders: the mentor's region code and the apprentice's union
    division code differ in their first 4 digits. Unknown on either side is not cross-region."""
    mentor_region, division_code = mentor_region.strip(), division_code.strip()
    if len(mentor_region) < CITY_PREFIX or len(division_code) < CITY_PREFIX:
        return False
    return mentor_region[:CITY_PREFIX] != division_code[:CITY_PREFIX]


def division_code_of(unit: OrgUnit) -> str:
    """The unit's division code, or its nearest ancestor's (enterprise unions carry none)."""
    if unit.division_code:
        return unit.division_code
    prefixes = [unit.path[:end] for end in range(OrgUnit.steplen, len(unit.path), OrgUnit.steplen)]
    code = (
        OrgUnit.objects.filter(path__in=prefixes)
        .exclude(division_code="")
        .order_by("-depth")
        .values_list("division_code", flat=True)
        .first()
    )
    return code or ""


def _require_staff(actor: User, unit: OrgUnit) -> None:
    if not can(actor, "review", unit):
        raise PermissionDenied()


def _check_level(value: str, field: str, *, required: bool) -> str:
    value = value.strip()
    if not value:
        if required:
            raise DomainError(errors.PAIR_INVALID, "请选择技能等级", field=field)
        return ""
    if value not in LEVEL_ORDER:
        raise DomainError(errors.PAIR_INVALID, "未知的技能等级", field=field)
    return value


@transaction.atomic
def pair_create(
    *,
    actor: User,
    mentor: Craftsman,
    goals: str,
    starts_on: dt.date,
    ends_on: dt.date,
    apprentice: Member | None = None,
    apprentice_name: str = "",
    org_unit: OrgUnit | None = None,
    agreement: str = "",
    level_before: str = "",
) -> MentorPair:
    """Pair a mentor with an apprentice for a period. The mentor's active pairs may not exceed
    ``max_apprentices`` (the mentor row is locked so two pairings cannot both take the last
    place); cross-region is computed from the mentor's region and the apprentice's union."""
    if apprentice is not None:
        org_unit = apprentice.org_unit
        apprentice_name = apprentice_name.strip() or apprentice.name
    if org_unit is None:
        raise DomainError(errors.PAIR_INVALID, "请选择徒弟所在工会", field="org_unit")
    _require_staff(actor, org_unit)
    apprentice_name = apprentice_name.strip()
    if not apprentice_name or len(apprentice_name) > 50:
        raise DomainError(errors.PAIR_INVALID, "徒弟姓名不能为空且不超过50字", field="apprentice_name")
    goals = goals.strip()
    if not goals:
        raise DomainError(errors.PAIR_INVALID, "请填写培养目标", field="goals")
    if ends_on <= starts_on:
        raise DomainError(errors.PAIR_INVALID, "结束日期应晚于开始日期", field="ends_on")
    if (ends_on - starts_on).days > MAX_PERIOD_DAYS:
        raise DomainError(errors.PAIR_INVALID, "结对期限不超过 3 年", field="ends_on")
    level_before = _check_level(level_before, "level_before", required=False)
    locked = Craftsman.objects.select_for_update(of=("self",)).get(pk=mentor.pk)
    if not locked.active:
        raise DomainError(errors.PAIR_INVALID, f"{locked.name} 已不在库，不能带徒", field="mentor")
    active = MentorPair.objects.filter(mentor=locked, status=P.ACTIVE)
    if apprentice is not None and active.filter(apprentice=apprentice).exists():
        raise DomainError(errors.PAIR_INVALID, f"{apprentice_name} 已与该师傅结对", field="apprentice")
    taken = active.count()
    if taken >= locked.max_apprentices:
        raise DomainError(
            errors.PAIR_INVALID,
            f"{locked.name} 可带徒 {locked.max_apprentices} 人，目前已带 {taken} 人，名额已满",
            field="mentor",
        )
    pair = MentorPair.objects.create(
        mentor=locked,
        apprentice=apprentice,
        apprentice_name=apprentice_name,
        org_unit=org_unit,
        agreement=agreement.strip(),
        goals=goals,
        starts_on=starts_on,
        ends_on=ends_on,
        level_before=level_before,
        cross_region=cross_region(mentor_region=locked.region, division_code=division_code_of(org_unit)),
    )
    audit_record(
        actor=actor,
        action="assist.pair.create",
        target=pair,
        org_unit=org_unit,
        after={
            "mentor": locked.pk,
            "apprentice": apprentice_name,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "cross_region": pair.cross_region,
        },
    )
    return pair


def _move(*, pair: MentorPair, actor: User, to: str, changes: dict[str, Any], reason: str = "") -> MentorPair:
    """Lock, check permission and transition, apply ``changes``, audit. Caller is atomic."""
    locked = MentorPair.objects.select_for_update(of=("self",)).select_related("org_unit").get(pk=pair.pk)
    _require_staff(actor, locked.org_unit)
    if to not in PAIR_TRANSITIONS[locked.status]:
        raise DomainError(
            errors.PAIR_INVALID,
            f"结对当前状态为“{locked.get_status_display()}”，不能转为“{P(to).label}”",  # type: ignore[attr-defined]
        )
    before = {"status": locked.status}
    locked.status = to
    for name, value in changes.items():
        setattr(locked, name, value)
    locked.save(update_fields=["status", *changes])
    audit_record(
        actor=actor,
        action=f"assist.pair.{to}",
        target=locked,
        org_unit=locked.org_unit,
        before=before,
        after={"status": to, **changes, **({"reason": reason} if reason else {})},
    )
    return locked


def _checkin_allowed(actor: User, pair: MentorPair) -> bool:
    """Staff of the apprentice's union, or the mentor themself."""
    return can(actor, "review", pair.org_unit) or (
        pair.mentor.user_id is not None and pair.mentor.user_id == actor.pk
    )


@transaction.atomic
def pair_check_in(*, actor: User, pair: MentorPair, on: dt.date, note: str) -> PairCheckIn:
    """Record what was taught on a day of an active pair (within the period, not in the future)."""
    locked = (
        MentorPair.objects.select_for_update(of=("self",))
        .select_related("org_unit", "mentor")
        .get(pk=pair.pk)
    )
    if not _checkin_allowed(actor, locked):
        raise PermissionDenied()
    if locked.status != P.ACTIVE:
        raise DomainError(errors.PAIR_INVALID, "只有结对中的师徒可以登记带教记录")
    note = note.strip()
    if not note:
        raise DomainError(errors.PAIR_INVALID, "请填写带教内容", field="note")
    if on > timezone.localdate():
        raise DomainError(errors.PAIR_INVALID, "日期不能晚于今天", field="on")
    if on < locked.starts_on:
        raise DomainError(errors.PAIR_INVALID, "日期早于结对开始日期", field="on")
    checkin = PairCheckIn.objects.create(pair=locked, on=on, note=note)
    audit_record(
        actor=actor,
        action="assist.pair.check_in",
        target=locked,
        org_unit=locked.org_unit,
        after={"on": on, "note": note[:200]},
    )
    return checkin


@transaction.atomic
def pair_complete(*, actor: User, pair: MentorPair, level_after: str) -> MentorPair:
    """出师: the apprentice completes at the level reached (not below the level at the start)."""
    level_after = _check_level(level_after, "level_after", required=True)
    current = MentorPair.objects.only("level_before").get(pk=pair.pk)
    if current.level_before and LEVEL_ORDER[level_after] < LEVEL_ORDER[current.level_before]:
        raise DomainError(errors.PAIR_INVALID, "出师等级不能低于结对前等级", field="level_after")
    return _move(pair=pair, actor=actor, to=P.COMPLETED, changes={"level_after": level_after})


@transaction.atomic
def pair_end(*, actor: User, pair: MentorPair, reason: str) -> MentorPair:
    """解除结对 with a reason, kept as the pair's last check-in (and in the audit row); the
    mentor's place becomes free."""
    reason = reason.strip()
    if not reason:
        raise DomainError(errors.PAIR_INVALID, "请填写解除原因", field="reason")
    ended = _move(pair=pair, actor=actor, to=P.ENDED, changes={}, reason=reason)
    PairCheckIn.objects.create(pair=ended, on=timezone.localdate(), note=f"解除结对：{reason}")
    return ended
