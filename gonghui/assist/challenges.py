"""Write services for open challenges (揭榜挂帅).

需求征集 → 工会审核/脱敏 → 发榜 → 揭榜 (teams assembled online) → 资格审查 → 评审/答辩 (the
innovation rubric and panel engine, reused) → 公示 (5 working days) → 签约 (milestones with
payment points) → 实施 (check-ins; several teams in parallel) ⇄ 中期检查 → 验收 (pass / extend /
fail) → the result enters the outcome library and its benefit is tracked for 12 months.
Ends: 流榜 (nobody applied by the deadline), 撤榜 (withdrawn by the union), 终止 (terminated).

Every status change goes through ``_move``: the row is locked, the move is checked against
``TRANSITIONS``, a ``ChallengeEvent`` and an audit row are written, in one transaction; a
refused move raises ``DomainError(CHALLENGE_STATE)`` and changes nothing. Team, score,
milestone and benefit writes lock the challenge row too, so they serialise with its moves.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from gonghui.accounts.models import Role, RoleGrant, User
from gonghui.accounts.permissions import can
from gonghui.assist import errors
from gonghui.assist.libraries import region_of_unit
from gonghui.assist.models import (
    BenefitRecord,
    Challenge,
    ChallengeEvent,
    ChallengeScore,
    ChallengeTeam,
    Craftsman,
    Demand,
    LibraryOutcome,
    Milestone,
    TeamPosition,
)
from gonghui.audit.services import audit_record
from gonghui.core.errors import DomainError, PermissionDenied
from gonghui.core.workdays import add_working_days
from gonghui.innovation.engine import Rubric as EngineRubric
from gonghui.innovation.engine import RubricError, aggregate_panel, score_sheet
from gonghui.innovation.evaluations import engine_rubric
from gonghui.innovation.models import Rubric
from gonghui.orgs.models import Enterprise, OrgUnit

S = Challenge.Status
T = ChallengeTeam.Status
M = Milestone.Status

# The one table of allowed moves. 撤榜 is possible until the contract is signed, 终止 after it;
# 中期检查 returns to 实施 when passed; 验收 "extend" goes back to 实施 with a new milestone.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.COLLECTING: frozenset({S.VETTING, S.WITHDRAWN}),
    S.VETTING: frozenset({S.PUBLISHED, S.COLLECTING, S.WITHDRAWN}),
    S.PUBLISHED: frozenset({S.QUALIFYING, S.UNCLAIMED, S.WITHDRAWN}),
    S.QUALIFYING: frozenset({S.REVIEWING, S.WITHDRAWN}),
    S.REVIEWING: frozenset({S.PUBLICITY, S.WITHDRAWN}),
    S.PUBLICITY: frozenset({S.CONTRACTED, S.REVIEWING, S.WITHDRAWN}),
    S.CONTRACTED: frozenset({S.IMPLEMENTING, S.TERMINATED}),
    S.IMPLEMENTING: frozenset({S.MIDTERM, S.ACCEPTANCE, S.TERMINATED}),
    S.MIDTERM: frozenset({S.IMPLEMENTING, S.TERMINATED}),
    S.ACCEPTANCE: frozenset({S.PASSED, S.IMPLEMENTING, S.FAILED}),
    S.PASSED: frozenset(),
    S.FAILED: frozenset(),
    S.UNCLAIMED: frozenset(),
    S.WITHDRAWN: frozenset(),
    S.TERMINATED: frozenset(),
}
ENDED = frozenset({S.PASSED, S.FAILED, S.UNCLAIMED, S.WITHDRAWN, S.TERMINATED})
EDITABLE = frozenset({S.COLLECTING, S.VETTING})
# Milestone check-ins and confirmations run while the work is going on.
WORKING = frozenset({S.IMPLEMENTING, S.MIDTERM})
# Teams that took part in the review (their sheets count in the ranking).
REVIEWED_TEAMS = frozenset({T.QUALIFIED, T.SELECTED, T.NOT_SELECTED})
# Teams that hold a place on a challenge (a craftsman is in at most one per challenge).
PUBLICITY_WORKING_DAYS = 5
BENEFIT_MONTHS = 12
# A panel smaller than this cannot rank teams for 公示 (评审专家不少于 3 人).
MIN_JUDGES = 3
MAX_POSITIONS = 12
CENT = Decimal("0.01")

# Fields 发榜 needs, with their labels (checked together so staff see every gap at once).
PUBLISH_REQUIRED: tuple[tuple[str, str], ...] = (
    ("description", "需求描述"),
    ("acceptance_criteria", "验收标准"),
    ("deadline", "揭榜截止日期"),
    ("budget", "经费预算"),
    ("ip_terms", "知识产权约定"),
    ("confidentiality", "保密要求"),
    ("conditions", "揭榜条件"),
)
EDITABLE_FIELDS = frozenset(
    {
        "title",
        "description",
        "acceptance_criteria",
        "deadline",
        "budget",
        "reward",
        "ip_terms",
        "confidentiality",
        "conditions",
        "enterprise",
        "rubric",
    }
)

# The default rubric of a challenge's 评审/答辩 (stored as an innovation Rubric, weights = 100).
DEFAULT_RUBRIC_NAME = "揭榜挂帅评审细则（默认）"
DEFAULT_RUBRIC_CRITERIA: list[dict[str, Any]] = [
    {
        "code": "feasibility",
        "label": "技术方案可行性",
        "weight": "30",
        "anchors": {
            "1": "方案不完整，关键技术路线不清",
            "3": "方案可行，关键难点有对策",
            "5": "方案完整先进，已有验证",
        },
    },
    {
        "code": "innovation",
        "label": "创新性与先进性",
        "weight": "20",
        "anchors": {"1": "沿用常规做法", "3": "对现有方法有明显改进", "5": "思路原创，行业内领先"},
    },
    {
        "code": "team",
        "label": "团队能力与业绩",
        "weight": "20",
        "anchors": {"1": "缺少相关经验", "3": "有同类项目经验", "5": "有多项同类攻关成功业绩"},
    },
    {
        "code": "schedule",
        "label": "进度与经费合理性",
        "weight": "15",
        "anchors": {"1": "进度与经费安排不合理", "3": "基本合理", "5": "节点清晰，经费测算有据"},
    },
    {
        "code": "defence",
        "label": "答辩表现",
        "weight": "15",
        "anchors": {"1": "未能回答评委提问", "3": "能回答大部分提问", "5": "答辩准确有说服力"},
    },
]


@dataclass(frozen=True, slots=True)
class PositionInput:
    """An open position of a team: the role and the skills wanted."""

    role: str
    skills_wanted: str = ""


@dataclass(frozen=True, slots=True)
class MilestoneInput:
    """A contract milestone of a selected team, with its date and payment point."""

    team_id: int
    title: str
    due_on: dt.date
    payment: Decimal = Decimal(0)


# --- helpers -------------------------------------------------------------------------------


def _today(today: dt.date | None) -> dt.date:
    return today or timezone.localdate()


def _label(status: str) -> str:
    return str(S(status).label)


def _lock(challenge: Challenge) -> Challenge:
    return Challenge.objects.select_for_update(of=("self",)).select_related("org_unit").get(pk=challenge.pk)


def _require_staff(actor: User, challenge: Challenge, action: str = "review") -> None:
    """Staff of the challenge's union (or above); everyone else is refused."""
    if not can(actor, action, challenge.org_unit):
        raise PermissionDenied()


def _check(locked: Challenge, to: str) -> None:
    if to not in TRANSITIONS[locked.status]:
        raise DomainError(
            errors.CHALLENGE_STATE,
            f"榜单当前状态为“{_label(locked.status)}”，不能转为“{_label(to)}”",
        )


def _move(
    *,
    locked: Challenge,
    actor: User | None,
    to: str,
    comment: str = "",
    changes: dict[str, Any] | None = None,
) -> Challenge:
    """Check the move on the locked row, apply ``changes``, write history and audit.

    The caller holds the row lock (``_lock``) inside its transaction. ``actor`` None is the
    scheduled job (流榜): neither the history nor the audit row names a person.
    """
    _check(locked, to)
    from_status = locked.status
    locked.status = to
    fields = ["status", "updated_at"]
    for name, value in (changes or {}).items():
        setattr(locked, name, value)
        fields.append(name)
    locked.save(update_fields=fields)
    ChallengeEvent.objects.create(
        challenge=locked,
        from_status=from_status,
        to_status=to,
        actor=actor,
        comment=comment,
    )
    audit_record(
        actor=actor,
        action=f"assist.challenge.{to}",
        target=locked,
        org_unit=locked.org_unit,
        before={"status": from_status},
        after={"status": to, **(changes or {}), **({"comment": comment} if comment else {})},
    )
    return locked


def _note(*, locked: Challenge, actor: User, action: str, comment: str, after: dict[str, Any]) -> None:
    """A history line that is not a move (a check-in, a confirmation, a desensitising edit)."""
    ChallengeEvent.objects.create(
        challenge=locked, from_status=locked.status, to_status=locked.status, actor=actor, comment=comment
    )
    audit_record(
        actor=actor, action=f"assist.challenge.{action}", target=locked, org_unit=locked.org_unit, after=after
    )


def _reason(reason: str, message: str) -> str:
    reason = reason.strip()
    if not reason:
        raise DomainError(errors.CHALLENGE_INVALID, message, field="reason")
    return reason


def craftsman_of(user: User) -> Craftsman | None:
    """The active library entry the user logs in as, if any."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Craftsman.objects.filter(user_id=user.pk, active=True).first()


def _require_craftsman(actor: User) -> Craftsman:
    craftsman = craftsman_of(actor)
    if craftsman is None:
        raise DomainError(errors.TEAM_INVALID, "只有劳模工匠资源库中的工匠可以揭榜组队")
    return craftsman


def is_judge_for(user: User, challenge: Challenge) -> bool:
    """A judge (专家评委) granted on the challenge's union or an ancestor sits on its panel."""
    if not getattr(user, "is_authenticated", False):
        return False
    paths = RoleGrant.objects.filter(user_id=user.pk, role=Role.JUDGE, revoked_at__isnull=True).values_list(
        "org_unit__path", flat=True
    )
    return any(challenge.org_unit.path.startswith(path) for path in paths)


def team_member_ids(team: ChallengeTeam) -> set[int]:
    """Craftsman ids of the team: the leader and every filled position."""
    ids = set(team.positions.exclude(craftsman=None).values_list("craftsman_id", flat=True))
    ids.add(team.leader_id)
    return ids


def _team_of(challenge: Challenge, craftsman: Craftsman) -> ChallengeTeam | None:
    """The team this craftsman is in on this challenge (at most one)."""
    return (
        ChallengeTeam.objects.filter(challenge=challenge)
        .filter(Q(leader=craftsman) | Q(positions__craftsman=craftsman))
        .distinct()
        .first()
    )


def _open_for_teams(locked: Challenge, today: dt.date) -> None:
    """Teams form and apply while the challenge is published and its deadline has not passed."""
    if locked.status != S.PUBLISHED:
        raise DomainError(errors.CHALLENGE_STATE, f"榜单当前状态为“{_label(locked.status)}”，不能揭榜组队")
    if locked.deadline is not None and today > locked.deadline:
        raise DomainError(errors.CHALLENGE_STATE, f"揭榜已于 {locked.deadline:%Y-%m-%d} 截止")


def _clean_positions(positions: Sequence[PositionInput]) -> list[PositionInput]:
    cleaned = []
    for number, p in enumerate(positions, start=1):
        role = p.role.strip()
        if not role:
            raise DomainError(errors.TEAM_INVALID, f"第 {number} 个岗位名称不能为空", field="positions")
        if len(role) > 60 or len(p.skills_wanted) > 200:
            raise DomainError(errors.TEAM_INVALID, f"第 {number} 个岗位名称或专长过长", field="positions")
        cleaned.append(PositionInput(role=role, skills_wanted=p.skills_wanted.strip()))
    return cleaned


# --- 需求征集 / 审核脱敏 / 发榜 -----------------------------------------------------------------


@transaction.atomic
def challenge_create(
    *,
    actor: User,
    org_unit: OrgUnit,
    title: str,
    description: str,
    enterprise: Enterprise | None = None,
    demand: Demand | None = None,
    **terms: Any,
) -> Challenge:
    """需求征集: staff of a union record an enterprise's problem as a challenge (possibly from a
    demand or an escalated clinic question); terms may be filled in now or while vetting."""
    if not can(actor, "review", org_unit):
        raise PermissionDenied()
    unknown = set(terms) - EDITABLE_FIELDS
    if unknown:
        raise DomainError(errors.CHALLENGE_INVALID, f"未知字段：{'、'.join(sorted(unknown))}")
    if demand is not None:
        enterprise = enterprise or demand.enterprise
        title = title or demand.title
        description = description or demand.description
    title, description = title.strip(), description.strip()
    if not title:
        raise DomainError(errors.CHALLENGE_INVALID, "榜单名称不能为空", field="title")
    if not description:
        raise DomainError(errors.CHALLENGE_INVALID, "需求描述不能为空", field="description")
    if enterprise is not None and not enterprise.union.path.startswith(org_unit.path):
        raise DomainError(errors.CHALLENGE_INVALID, "需求企业不在本工会范围内", field="enterprise")
    _validate_terms(terms, org_unit)
    challenge = Challenge.objects.create(
        org_unit=org_unit,
        enterprise=enterprise,
        demand=demand,
        title=title[:160],
        description=description,
        created_by=actor,
        **terms,
    )
    ChallengeEvent.objects.create(challenge=challenge, from_status="", to_status=S.COLLECTING, actor=actor)
    audit_record(
        actor=actor,
        action="assist.challenge.create",
        target=challenge,
        org_unit=org_unit,
        after={"title": challenge.title, "demand": demand},
    )
    return challenge


def _validate_terms(terms: Mapping[str, Any], org_unit: OrgUnit) -> None:
    for name in ("budget", "reward"):
        value = terms.get(name)
        if value is not None and (not isinstance(value, Decimal) or not value.is_finite() or value < 0):
            label = "经费预算" if name == "budget" else "奖励"
            raise DomainError(errors.CHALLENGE_INVALID, f"{label}须为不小于 0 的金额", field=name)
    rubric = terms.get("rubric")
    if rubric is not None:
        if not org_unit.path.startswith(rubric.org_unit.path):
            raise DomainError(errors.CHALLENGE_INVALID, "评审细则须为本工会或上级工会制定的", field="rubric")
        engine_rubric(rubric)
    for name in ("title", "description"):
        if name in terms and not str(terms[name] or "").strip():
            raise DomainError(errors.CHALLENGE_INVALID, "榜单名称和需求描述不能为空", field=name)


@transaction.atomic
def challenge_edit(*, challenge: Challenge, actor: User, **changes: Any) -> Challenge:
    """Edit the description and terms while collecting or vetting; 工会审核 is where staff
    remove confidential details (脱敏) before the challenge is published."""
    locked = _lock(challenge)
    _require_staff(actor, locked)
    if locked.status not in EDITABLE:
        raise DomainError(errors.CHALLENGE_STATE, "发榜后不能再修改榜单内容")
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise DomainError(errors.CHALLENGE_INVALID, f"未知字段：{'、'.join(sorted(unknown))}")
    _validate_terms(changes, locked.org_unit)
    enterprise = changes.get("enterprise")
    if enterprise is not None and not enterprise.union.path.startswith(locked.org_unit.path):
        raise DomainError(errors.CHALLENGE_INVALID, "需求企业不在本工会范围内", field="enterprise")
    changed = {k: v for k, v in changes.items() if getattr(locked, k) != v}
    if not changed:
        return locked
    before = {k: getattr(locked, k) for k in changed}
    for name, value in changed.items():
        setattr(locked, name, value.strip() if isinstance(value, str) else value)
    locked.save(update_fields=[*changed, "updated_at"])
    labels = "、".join(str(getattr(Challenge._meta.get_field(k), "verbose_name", k)) for k in changed)
    ChallengeEvent.objects.create(
        challenge=locked,
        from_status=locked.status,
        to_status=locked.status,
        actor=actor,
        comment=f"修改：{labels}"
        + ("（审核脱敏）" if "description" in changed and locked.status == S.VETTING else ""),
    )
    audit_record(
        actor=actor,
        action="assist.challenge.edit",
        target=locked,
        org_unit=locked.org_unit,
        before=before,
        after={k: getattr(locked, k) for k in changed},
    )
    return locked


@transaction.atomic
def challenge_submit_for_vetting(*, challenge: Challenge, actor: User, comment: str = "") -> Challenge:
    """需求征集 → 工会审核: the collected need goes to the union for vetting and 脱敏."""
    locked = _lock(challenge)
    _require_staff(actor, locked)
    return _move(locked=locked, actor=actor, to=S.VETTING, comment=comment)


@transaction.atomic
def challenge_return(*, challenge: Challenge, actor: User, reason: str) -> Challenge:
    """工会审核 → 需求征集: sent back to collect more from the enterprise (reason required)."""
    locked = _lock(challenge)
    _require_staff(actor, locked)
    _check(locked, S.COLLECTING)
    return _move(
        locked=locked, actor=actor, to=S.COLLECTING, comment=_reason(reason, "退回须说明需补充的内容")
    )


def missing_for_publish(challenge: Challenge, today: dt.date) -> list[tuple[str, str]]:
    """(field, message) for every term 发榜 still needs; empty when publishable."""
    missing: list[tuple[str, str]] = []
    for name, label in PUBLISH_REQUIRED:
        value = getattr(challenge, name)
        if value is None or (isinstance(value, str) and not value.strip()):
            missing.append((name, f"{label}未填写"))
    if challenge.budget is not None and challenge.budget <= 0:
        missing.append(("budget", "经费预算须大于 0"))
    if challenge.deadline is not None and challenge.deadline <= today:
        missing.append(("deadline", "揭榜截止日期须晚于今天"))
    return missing


@transaction.atomic
def challenge_publish(
    *, challenge: Challenge, actor: User, comment: str = "", today: dt.date | None = None
) -> Challenge:
    """工会审核 → 发榜: every term is required (description, acceptance criteria, deadline after
    today, budget, IP terms, confidentiality, conditions); the reward may be nil."""
    locked = _lock(challenge)
    _require_staff(actor, locked)
    _check(locked, S.PUBLISHED)
    missing = missing_for_publish(locked, _today(today))
    if missing:
        raise DomainError(
            errors.CHALLENGE_INVALID, "不能发榜：" + "；".join(m for _, m in missing), field=missing[0][0]
        )
    return _move(locked=locked, actor=actor, to=S.PUBLISHED, comment=comment)


@transaction.atomic
def challenge_withdraw(*, challenge: Challenge, actor: User, reason: str) -> Challenge:
    """撤榜: the union withdraws the challenge before a contract is signed (reason required)."""
    locked = _lock(challenge)
    _require_staff(actor, locked)
    _check(locked, S.WITHDRAWN)
    return _move(locked=locked, actor=actor, to=S.WITHDRAWN, comment=_reason(reason, "撤榜须说明理由"))


@transaction.atomic
def challenge_terminate(*, challenge: Challenge, actor: User, reason: str) -> Challenge:
    """终止: a contracted challenge is stopped (reason required); unpaid milestones lapse."""
    locked = _lock(challenge)
    _require_staff(actor, locked)
    _check(locked, S.TERMINATED)
    return _move(locked=locked, actor=actor, to=S.TERMINATED, comment=_reason(reason, "终止须说明理由"))


# --- 揭榜: teams --------------------------------------------------------------------------------


@transaction.atomic
def team_create(
    *,
    challenge: Challenge,
    actor: User,
    name: str,
    leader_role: str = "负责人",
    plan: str = "",
    positions: Sequence[PositionInput] = (),
    today: dt.date | None = None,
) -> ChallengeTeam:
    """揭榜: a craftsman forms a team and leads it, filling the first position; the other
    positions stay open for craftsmen to join. A person alone is a team of one."""
    locked = _lock(challenge)
    leader = _require_craftsman(actor)
    _open_for_teams(locked, _today(today))
    if _team_of(locked, leader) is not None:
        raise DomainError(errors.TEAM_INVALID, "您已在本榜单的一个团队中，每位工匠只能加入一个团队")
    name = name.strip()
    if not name:
        raise DomainError(errors.TEAM_INVALID, "团队名称不能为空", field="name")
    if len(name) > 100:
        raise DomainError(errors.TEAM_INVALID, "团队名称过长", field="name")
    if ChallengeTeam.objects.filter(challenge=locked, name=name).exists():
        raise DomainError(errors.TEAM_INVALID, f"本榜单已有名为“{name}”的团队", field="name")
    cleaned = _clean_positions([PositionInput(leader_role or "负责人"), *positions])
    if len(cleaned) > MAX_POSITIONS:
        raise DomainError(errors.TEAM_INVALID, f"一个团队最多 {MAX_POSITIONS} 个岗位", field="positions")
    team = ChallengeTeam.objects.create(challenge=locked, name=name, leader=leader, plan=plan.strip())
    TeamPosition.objects.bulk_create(
        TeamPosition(
            team=team,
            role=p.role,
            skills_wanted=p.skills_wanted,
            craftsman=leader if index == 0 else None,
        )
        for index, p in enumerate(cleaned)
    )
    audit_record(
        actor=actor,
        action="assist.challenge.team_create",
        target=locked,
        org_unit=locked.org_unit,
        after={"team": team.pk, "name": name, "open_positions": [p.role for p in cleaned[1:]]},
    )
    return team


def _lock_team(team: ChallengeTeam) -> tuple[Challenge, ChallengeTeam]:
    locked = _lock(team.challenge)
    return locked, ChallengeTeam.objects.select_for_update(of=("self",)).get(pk=team.pk)


def _require_leader(actor: User, team: ChallengeTeam) -> Craftsman:
    craftsman = craftsman_of(actor)
    if craftsman is None or craftsman.pk != team.leader_id:
        raise PermissionDenied("只有团队负责人可以办理")
    return craftsman


def _forming(team: ChallengeTeam) -> None:
    if team.status != T.FORMING:
        raise DomainError(errors.TEAM_INVALID, f"团队已{team.get_status_display()}，不能再调整成员")  # type: ignore[attr-defined]


@transaction.atomic
def team_join(*, position: TeamPosition, actor: User, today: dt.date | None = None) -> TeamPosition:
    """A craftsman takes an open position of a forming team (one team per challenge)."""
    team = position.team
    locked, team = _lock_team(team)
    craftsman = _require_craftsman(actor)
    _open_for_teams(locked, _today(today))
    _forming(team)
    slot = TeamPosition.objects.select_for_update(of=("self",)).get(pk=position.pk)
    if slot.craftsman_id is not None:
        raise DomainError(errors.TEAM_INVALID, f"岗位“{slot.role}”已有人，请选择其他空缺岗位")
    current = _team_of(locked, craftsman)
    if current is not None:
        raise DomainError(
            errors.TEAM_INVALID, f"您已在本榜单的团队“{current.name}”中，每位工匠只能加入一个团队"
        )
    slot.craftsman = craftsman
    slot.save(update_fields=["craftsman"])
    audit_record(
        actor=actor,
        action="assist.challenge.team_join",
        target=locked,
        org_unit=locked.org_unit,
        after={"team": team.pk, "position": slot.pk, "role": slot.role, "craftsman": craftsman.pk},
    )
    return slot


@transaction.atomic
def team_leave(*, position: TeamPosition, actor: User, today: dt.date | None = None) -> TeamPosition:
    """A member leaves a forming team; the position opens again. The leader cannot leave."""
    locked, team = _lock_team(position.team)
    craftsman = _require_craftsman(actor)
    _open_for_teams(locked, _today(today))
    _forming(team)
    slot = TeamPosition.objects.select_for_update(of=("self",)).get(pk=position.pk)
    if slot.craftsman_id != craftsman.pk:
        raise PermissionDenied()
    if craftsman.pk == team.leader_id:
        raise DomainError(errors.TEAM_INVALID, "负责人不能退出自己的团队")
    slot.craftsman = None
    slot.save(update_fields=["craftsman"])
    audit_record(
        actor=actor,
        action="assist.challenge.team_leave",
        target=locked,
        org_unit=locked.org_unit,
        after={"team": team.pk, "position": slot.pk},
    )
    return slot


@transaction.atomic
def team_add_position(
    *, team: ChallengeTeam, actor: User, role: str, skills_wanted: str = "", today: dt.date | None = None
) -> TeamPosition:
    """The leader opens another position while the team is forming."""
    locked, team = _lock_team(team)
    _require_leader(actor, team)
    _open_for_teams(locked, _today(today))
    _forming(team)
    (cleaned,) = _clean_positions([PositionInput(role, skills_wanted)])
    if team.positions.count() >= MAX_POSITIONS:
        raise DomainError(errors.TEAM_INVALID, f"一个团队最多 {MAX_POSITIONS} 个岗位", field="role")
    slot = TeamPosition.objects.create(team=team, role=cleaned.role, skills_wanted=cleaned.skills_wanted)
    audit_record(
        actor=actor,
        action="assist.challenge.team_position",
        target=locked,
        org_unit=locked.org_unit,
        after={"team": team.pk, "position": slot.pk, "role": slot.role},
    )
    return slot


@transaction.atomic
def team_remove_position(*, position: TeamPosition, actor: User, today: dt.date | None = None) -> None:
    """The leader drops a position nobody took (so the team can apply without it)."""
    locked, team = _lock_team(position.team)
    _require_leader(actor, team)
    _open_for_teams(locked, _today(today))
    _forming(team)
    slot = TeamPosition.objects.select_for_update(of=("self",)).get(pk=position.pk)
    if slot.craftsman_id is not None:
        raise DomainError(errors.TEAM_INVALID, "只能删除空缺岗位")
    audit_record(
        actor=actor,
        action="assist.challenge.team_position_remove",
        target=locked,
        org_unit=locked.org_unit,
        before={"team": team.pk, "position": slot.pk, "role": slot.role},
    )
    slot.delete()


@transaction.atomic
def team_apply(
    *, team: ChallengeTeam, actor: User, plan: str | None = None, today: dt.date | None = None
) -> ChallengeTeam:
    """The leader applies (揭榜) with the technical plan, once every position is filled."""
    locked, team = _lock_team(team)
    _require_leader(actor, team)
    _open_for_teams(locked, _today(today))
    _forming(team)
    if plan is not None:
        team.plan = plan.strip()
    if not team.plan:
        raise DomainError(errors.TEAM_INVALID, "揭榜须提交技术方案", field="plan")
    vacant = list(team.positions.filter(craftsman=None).values_list("role", flat=True))
    if vacant:
        raise DomainError(
            errors.TEAM_INVALID,
            f"还有岗位空缺：{'、'.join(vacant)}；请等待工匠加入或删除该岗位后再揭榜",
            field="positions",
        )
    team.status = T.APPLIED
    team.save(update_fields=["status", "plan"])
    members = team.positions.select_related("craftsman").order_by("pk")
    _note(
        locked=locked,
        actor=actor,
        action="team_apply",
        comment=f"{team.name} 揭榜：" + "、".join(f"{p.role} {p.craftsman}" for p in members),
        after={"team": team.pk, "name": team.name},
    )
    return team


# --- 流榜 / 资格审查 --------------------------------------------------------------------------


def _applied_count(locked: Challenge) -> int:
    return ChallengeTeam.objects.filter(challenge=locked).exclude(status=T.FORMING).count()


@transaction.atomic
def challenge_close_unclaimed(
    *, challenge: Challenge, actor: User | None, today: dt.date | None = None
) -> Challenge:
    """流榜: the deadline has passed and no team applied (teams still forming do not count)."""
    locked = _lock(challenge)
    if actor is not None:
        _require_staff(actor, locked)
    _check(locked, S.UNCLAIMED)
    today = _today(today)
    if locked.deadline is None or today <= locked.deadline:
        raise DomainError(errors.CHALLENGE_STATE, "揭榜尚未截止，不能流榜")
    if _applied_count(locked):
        raise DomainError(errors.CHALLENGE_STATE, "已有团队揭榜，应进行资格审查")
    return _move(
        locked=locked,
        actor=actor,
        to=S.UNCLAIMED,
        comment=f"揭榜截止（{locked.deadline:%Y-%m-%d}）无团队揭榜，流榜",
    )


def challenges_close_expired(*, today: dt.date | None = None) -> list[Challenge]:
    """The daily job: every published challenge past its deadline with no applicant → 流榜.
    Idempotent (a second run finds nothing); each challenge moves in its own transaction."""
    today = _today(today)
    candidates = (
        Challenge.objects.filter(status=S.PUBLISHED, deadline__lt=today)
        .exclude(teams__status__in=[s for s in T.values if s != T.FORMING])
        .order_by("pk")
    )
    closed = []
    for challenge in candidates:
        try:
            closed.append(challenge_close_unclaimed(challenge=challenge, actor=None, today=today))
        except DomainError:
            continue  # a team applied or staff acted in between: nothing to do
    return closed


@transaction.atomic
def challenge_start_qualification(
    *, challenge: Challenge, actor: User, comment: str = "", today: dt.date | None = None
) -> Challenge:
    """揭榜截止 → 资格审查: once the deadline has passed, with at least one applied team.
    Teams still forming at the deadline are left out."""
    locked = _lock(challenge)
    _require_staff(actor, locked)
    _check(locked, S.QUALIFYING)
    today = _today(today)
    if locked.deadline is None or today <= locked.deadline:
        raise DomainError(errors.CHALLENGE_STATE, f"揭榜截止日期（{locked.deadline}）之后才能开始资格审查")
    if not _applied_count(locked):
        raise DomainError(errors.CHALLENGE_STATE, "没有团队揭榜，应作流榜处理")
    return _move(locked=locked, actor=actor, to=S.QUALIFYING, comment=comment)


@transaction.atomic
def team_qualify(*, team: ChallengeTeam, actor: User, qualified: bool, note: str) -> ChallengeTeam:
    """资格审查: staff pass or fail each applied team with a note (shown to the team); a
    decision can be changed until the review starts."""
    locked, team = _lock_team(team)
    _require_staff(actor, locked)
    if locked.status != S.QUALIFYING:
        raise DomainError(
            errors.CHALLENGE_STATE, f"榜单当前状态为“{_label(locked.status)}”，不在资格审查阶段"
        )
    if team.status not in (T.APPLIED, T.QUALIFIED, T.DISQUALIFIED):
        raise DomainError(errors.TEAM_INVALID, "只有已揭榜的团队可以进行资格审查")
    note = note.strip()
    if not note:
        raise DomainError(errors.TEAM_INVALID, "请填写资格审查意见", field="note")
    before = {"status": team.status, "note": team.qualification_note}
    team.status = T.QUALIFIED if qualified else T.DISQUALIFIED
    team.qualification_note = note[:300]
    team.save(update_fields=["status", "qualification_note"])
    _note(
        locked=locked,
        actor=actor,
        action="team_qualify",
        comment=f"资格审查：{team.name} {team.get_status_display()}（{team.qualification_note}）",  # type: ignore[attr-defined]
        after={"team": team.pk, **before, "to": team.status},
    )
    return team


# --- 评审/答辩 --------------------------------------------------------------------------------


def default_rubric(*, org_unit: OrgUnit, actor: User | None = None) -> Rubric:
    """The union's default challenge rubric (created once, reused by later challenges)."""
    rubric = Rubric.objects.filter(org_unit=org_unit, name=DEFAULT_RUBRIC_NAME).order_by("pk").first()
    if rubric is None:
        rubric = Rubric.objects.create(
            org_unit=org_unit, name=DEFAULT_RUBRIC_NAME, criteria=DEFAULT_RUBRIC_CRITERIA
        )
        engine_rubric(rubric)
        audit_record(actor=actor, action="innovation.rubric.create", target=rubric, org_unit=org_unit)
    return rubric


@transaction.atomic
def challenge_start_review(
    *, challenge: Challenge, actor: User, rubric: Rubric | None = None, comment: str = ""
) -> Challenge:
    """资格审查 → 评审/答辩: every applied team has been decided and at least one passed. The
    rubric is the one chosen (an innovation rubric of this union or above), else the default."""
    locked = _lock(challenge)
    _require_staff(actor, locked)
    _check(locked, S.REVIEWING)
    teams = list(ChallengeTeam.objects.filter(challenge=locked).exclude(status=T.FORMING))
    pending = [t.name for t in teams if t.status == T.APPLIED]
    if pending:
        raise DomainError(errors.CHALLENGE_STATE, f"还有团队未完成资格审查：{'、'.join(pending)}")
    if not any(t.status == T.QUALIFIED for t in teams):
        raise DomainError(errors.CHALLENGE_STATE, "没有通过资格审查的团队，不能进入评审；可撤榜")
    chosen = rubric or locked.rubric
    if chosen is None:
        chosen = default_rubric(org_unit=locked.org_unit, actor=actor)
    elif not locked.org_unit.path.startswith(chosen.org_unit.path):
        raise DomainError(errors.CHALLENGE_INVALID, "评审细则须为本工会或上级工会制定的", field="rubric")
    engine_rubric(chosen)
    return _move(locked=locked, actor=actor, to=S.REVIEWING, comment=comment, changes={"rubric": chosen})


def _parse_scores(raw: Mapping[str, Any], rubric: EngineRubric) -> dict[str, int]:
    scores: dict[str, int] = {}
    for criterion in rubric.criteria:
        value = raw.get(criterion.code)
        try:
            number = int(str(value))
        except (TypeError, ValueError) as exc:
            raise DomainError(
                errors.CHALLENGE_INVALID, f"请为“{criterion.name}”打分（1–5）", field=criterion.code
            ) from exc
        scores[criterion.code] = number
    unknown = sorted(set(raw) - set(rubric.codes))
    if unknown:
        raise DomainError(errors.CHALLENGE_INVALID, f"未知的评分项：{'、'.join(unknown)}", field=unknown[0])
    return scores


@transaction.atomic
def challenge_score_submit(*, team: ChallengeTeam, actor: User, scores: Mapping[str, Any]) -> ChallengeScore:
    """A judge scores a qualified team with the challenge's rubric (1–5 per criterion, the
    innovation engine's sheet); resubmitting replaces the sheet. A judge who is in the team
    may not score it. The ranking is recomputed at once."""
    locked, team = _lock_team(team)
    if not is_judge_for(actor, locked):
        raise PermissionDenied("只有本榜单的评审专家可以评分")
    if locked.status != S.REVIEWING:
        raise DomainError(errors.CHALLENGE_STATE, f"榜单当前状态为“{_label(locked.status)}”，不在评审阶段")
    if team.status != T.QUALIFIED:
        raise DomainError(errors.TEAM_INVALID, "只能为通过资格审查的团队评分")
    craftsman = craftsman_of(actor)
    if craftsman is not None and craftsman.pk in team_member_ids(team):
        raise DomainError(errors.TEAM_INVALID, "您是该团队成员，须回避评分")
    assert locked.rubric is not None  # set when the review started
    rubric = engine_rubric(locked.rubric)
    parsed = _parse_scores(scores, rubric)
    try:
        sheet = score_sheet(rubric, judge=str(actor.pk), entry=team.name, scores=parsed)
    except RubricError as exc:
        raise DomainError(errors.CHALLENGE_INVALID, str(exc), field=exc.criterion) from exc
    existing = ChallengeScore.objects.filter(team=team, judge=actor).first()
    before = {"scores": existing.scores, "total": existing.total} if existing else {}
    row, _ = ChallengeScore.objects.update_or_create(
        team=team, judge=actor, defaults={"scores": parsed, "total": sheet.total}
    )
    audit_record(
        actor=actor,
        action="assist.challenge.score",
        target=locked,
        org_unit=locked.org_unit,
        before=before,
        after={"team": team.pk, "scores": parsed, "total": sheet.total},
    )
    store_ranking(challenge=locked)
    return row


def judge_codes(rows: Sequence[ChallengeScore]) -> dict[int, str]:
    """Judges are named by seat in the order they first scored (``1号`` …), as on the
    innovation panels; the explanation never shows their names to teams."""
    first: dict[int, int] = {}
    for row in rows:
        first[row.judge_id] = min(first.get(row.judge_id, row.pk), row.pk)
    ordered = sorted(first, key=lambda judge_id: first[judge_id])
    return {judge_id: f"{seat}号" for seat, judge_id in enumerate(ordered, start=1)}


def store_ranking(*, challenge: Challenge) -> None:
    """Aggregate the judges' sheets with the engine's ``aggregate_panel`` (trimmed mean from 5
    judges, z-scores when judges scored different teams) and store score, rank and the
    explanation on each reviewed team. Called inside the scoring transaction."""
    if challenge.rubric is None:
        return
    rubric = engine_rubric(challenge.rubric)
    teams = list(ChallengeTeam.objects.filter(challenge=challenge, status__in=REVIEWED_TEAMS))
    rows = list(ChallengeScore.objects.filter(team__in=teams).order_by("pk"))
    codes = judge_codes(rows)
    by_team = {t.pk: t for t in teams}
    sheets = [
        score_sheet(rubric, judge=codes[r.judge_id], entry=by_team[r.team_id].name, scores=r.scores)
        for r in rows
    ]
    panel = aggregate_panel(rubric, sheets)
    results = {r.entry: r for r in panel.results}
    for team in teams:
        result = results.get(team.name)
        team.score = result.score if result else None
        team.rank = result.rank if result else None
        team.explanation = [*result.explanation, *panel.notes] if result else []
    ChallengeTeam.objects.bulk_update(teams, ["score", "rank", "explanation"])


@transaction.atomic
def challenge_publicize(
    *,
    challenge: Challenge,
    actor: User,
    selected: Sequence[ChallengeTeam],
    comment: str = "",
    today: dt.date | None = None,
) -> Challenge:
    """评审 → 公示 for 5 working days: staff select one or more ranked teams (several may work
    in parallel); the other qualified teams are not selected. Each selected team needs sheets
    from at least ``MIN_JUDGES`` judges."""
    locked = _lock(challenge)
    _require_staff(actor, locked)
    _check(locked, S.PUBLICITY)
    if not selected:
        raise DomainError(errors.CHALLENGE_INVALID, "请选择中榜团队", field="teams")
    store_ranking(challenge=locked)
    teams = {t.pk: t for t in ChallengeTeam.objects.filter(challenge=locked, status=T.QUALIFIED)}
    chosen_ids = {t.pk for t in selected}
    strangers = chosen_ids - set(teams)
    if strangers:
        raise DomainError(errors.CHALLENGE_INVALID, "只能选择本榜单通过资格审查的团队", field="teams")
    judged: defaultdict[int, int] = defaultdict(int)
    for team_id in ChallengeScore.objects.filter(team_id__in=chosen_ids).values_list("team_id", flat=True):
        judged[team_id] += 1
    short = [teams[pk].name for pk in sorted(chosen_ids) if judged[pk] < MIN_JUDGES]
    if short:
        raise DomainError(
            errors.CHALLENGE_STATE, f"以下团队评分专家不足 {MIN_JUDGES} 人：{'、'.join(short)}", field="teams"
        )
    for team in teams.values():
        team.status = T.SELECTED if team.pk in chosen_ids else T.NOT_SELECTED
    ChallengeTeam.objects.bulk_update(list(teams.values()), ["status"])
    ends = add_working_days(_today(today), PUBLICITY_WORKING_DAYS)
    names = "、".join(teams[pk].name for pk in sorted(chosen_ids, key=lambda pk: (teams[pk].rank or 999, pk)))
    return _move(
        locked=locked,
        actor=actor,
        to=S.PUBLICITY,
        comment=(comment + "\n" if comment else "") + f"拟中榜：{names}；公示至 {ends:%Y-%m-%d}",
        changes={"publicity_ends_on": ends},
    )


@transaction.atomic
def challenge_reopen_review(*, challenge: Challenge, actor: User, reason: str) -> Challenge:
    """公示 → 评审: an objection raised during 公示 is upheld; the selection is undone."""
    locked = _lock(challenge)
    _require_staff(actor, locked)
    _check(locked, S.REVIEWING)
    reason = _reason(reason, "重新评审须说明异议及处理意见")
    ChallengeTeam.objects.filter(challenge=locked, status__in=[T.SELECTED, T.NOT_SELECTED]).update(
        status=T.QUALIFIED
    )
    return _move(
        locked=locked, actor=actor, to=S.REVIEWING, comment=reason, changes={"publicity_ends_on": None}
    )


# --- 签约 / 实施 / 中期检查 -------------------------------------------------------------------


@transaction.atomic
def challenge_contract(
    *,
    challenge: Challenge,
    actor: User,
    milestones: Sequence[MilestoneInput],
    comment: str = "",
    today: dt.date | None = None,
) -> Challenge:
    """公示 → 签约 after the publicity period has ended: every selected team gets at least one
    milestone with a date after today and a payment point; payments stay within the budget."""
    locked = _lock(challenge)
    _require_staff(actor, locked)
    _check(locked, S.CONTRACTED)
    today = _today(today)
    if locked.publicity_ends_on is None or today <= locked.publicity_ends_on:
        raise DomainError(errors.CHALLENGE_STATE, f"公示期至 {locked.publicity_ends_on} 结束后才能签约")
    selected = {t.pk: t for t in ChallengeTeam.objects.filter(challenge=locked, status=T.SELECTED)}
    rows = []
    total = Decimal(0)
    for number, m in enumerate(milestones, start=1):
        if m.team_id not in selected:
            raise DomainError(
                errors.CHALLENGE_INVALID, f"第 {number} 个里程碑：团队不是中榜团队", field="milestones"
            )
        title = m.title.strip()
        if not title:
            raise DomainError(
                errors.CHALLENGE_INVALID, f"第 {number} 个里程碑名称不能为空", field="milestones"
            )
        if m.due_on <= today:
            raise DomainError(
                errors.CHALLENGE_INVALID, f"第 {number} 个里程碑的计划日期须晚于今天", field="milestones"
            )
        if not m.payment.is_finite() or m.payment < 0:
            raise DomainError(
                errors.CHALLENGE_INVALID, f"第 {number} 个里程碑的付款金额不能为负数", field="milestones"
            )
        total += m.payment
        rows.append(
            Milestone(
                challenge=locked,
                team=selected[m.team_id],
                title=title[:120],
                due_on=m.due_on,
                payment=m.payment.quantize(CENT),
            )
        )
    without = [t.name for pk, t in selected.items() if not any(m.team_id == pk for m in milestones)]
    if without:
        raise DomainError(
            errors.CHALLENGE_INVALID, f"中榜团队须至少有一个里程碑：{'、'.join(without)}", field="milestones"
        )
    if locked.budget is not None and total > locked.budget:
        raise DomainError(
            errors.CHALLENGE_INVALID,
            f"付款合计 {total} 元超出经费预算 {locked.budget} 元",
            field="milestones",
        )
    Milestone.objects.bulk_create(rows)
    summary = "；".join(f"{r.team.name}：{r.title} {r.due_on:%Y-%m-%d} 付款 {r.payment} 元" for r in rows)
    return _move(
        locked=locked, actor=actor, to=S.CONTRACTED, comment=(comment + "\n" if comment else "") + summary
    )


@transaction.atomic
def challenge_start_implementation(*, challenge: Challenge, actor: User, comment: str = "") -> Challenge:
    """签约 → 实施."""
    locked = _lock(challenge)
    _require_staff(actor, locked)
    return _move(locked=locked, actor=actor, to=S.IMPLEMENTING, comment=comment)


def _lock_milestone(milestone: Milestone) -> tuple[Challenge, Milestone]:
    locked = _lock(milestone.challenge)
    return locked, Milestone.objects.select_for_update(of=("self",)).select_related("team").get(
        pk=milestone.pk
    )


@transaction.atomic
def milestone_check_in(*, milestone: Milestone, actor: User, report: str) -> Milestone:
    """A member of the team reports a milestone done (again, after a refused report)."""
    locked, row = _lock_milestone(milestone)
    craftsman = craftsman_of(actor)
    if craftsman is None or craftsman.pk not in team_member_ids(row.team):
        raise PermissionDenied("只有该团队成员可以报告里程碑")
    if locked.status not in WORKING:
        raise DomainError(errors.CHALLENGE_STATE, f"榜单当前状态为“{_label(locked.status)}”，不能报告里程碑")
    if row.status not in (M.PENDING, M.FAILED):
        raise DomainError(errors.CHALLENGE_STATE, f"里程碑已{row.get_status_display()}")  # type: ignore[attr-defined]
    report = report.strip()
    if not report:
        raise DomainError(errors.CHALLENGE_INVALID, "请填写进展报告", field="report")
    row.status = M.CHECKED_IN
    row.report = report
    row.checked_at = timezone.now()
    row.save(update_fields=["status", "report", "checked_at"])
    _note(
        locked=locked,
        actor=actor,
        action="milestone_check_in",
        comment=f"{row.team.name} 报告里程碑“{row.title}”：{report[:200]}",
        after={"milestone": row.pk},
    )
    return row


@transaction.atomic
def milestone_confirm(*, milestone: Milestone, actor: User, passed: bool, note: str = "") -> Milestone:
    """Staff confirm a reported milestone (its payment point falls due) or refuse it with a
    note; a refused milestone can be reported again."""
    locked, row = _lock_milestone(milestone)
    _require_staff(actor, locked)
    if locked.status not in WORKING:
        raise DomainError(errors.CHALLENGE_STATE, f"榜单当前状态为“{_label(locked.status)}”，不能确认里程碑")
    if row.status != M.CHECKED_IN:
        raise DomainError(errors.CHALLENGE_STATE, "只有已报告的里程碑可以确认")
    note = note.strip()
    if not passed and not note:
        raise DomainError(errors.CHALLENGE_INVALID, "不通过须说明理由", field="note")
    row.status = M.PASSED if passed else M.FAILED
    row.save(update_fields=["status"])
    verdict = f"确认，付款节点 {row.payment} 元" if passed else "不通过"
    _note(
        locked=locked,
        actor=actor,
        action="milestone_confirm",
        comment=f"{row.team.name} 里程碑“{row.title}”{verdict}" + (f"：{note}" if note else ""),
        after={"milestone": row.pk, "status": row.status},
    )
    return row


@transaction.atomic
def challenge_start_midterm(*, challenge: Challenge, actor: User, comment: str = "") -> Challenge:
    """实施 → 中期检查."""
    locked = _lock(challenge)
    _require_staff(actor, locked)
    return _move(locked=locked, actor=actor, to=S.MIDTERM, comment=comment)


@transaction.atomic
def challenge_finish_midterm(*, challenge: Challenge, actor: User, passed: bool, comment: str) -> Challenge:
    """中期检查 passed → back to 实施; failed → 终止 (the finding is the reason)."""
    locked = _lock(challenge)
    _require_staff(actor, locked)
    to = S.IMPLEMENTING if passed else S.TERMINATED
    _check(locked, to)
    comment = _reason(comment, "请填写中期检查意见")
    return _move(
        locked=locked, actor=actor, to=to, comment=f"中期检查{'通过' if passed else '不通过'}：{comment}"
    )


# --- 验收 ----------------------------------------------------------------------------------


@transaction.atomic
def challenge_request_acceptance(*, challenge: Challenge, actor: User, comment: str = "") -> Challenge:
    """实施 → 验收 once every milestone of every team has been confirmed."""
    locked = _lock(challenge)
    _require_staff(actor, locked)
    _check(locked, S.ACCEPTANCE)
    open_ = list(
        Milestone.objects.filter(challenge=locked).exclude(status=M.PASSED).values_list("title", flat=True)
    )
    if open_:
        raise DomainError(errors.CHALLENGE_STATE, f"还有里程碑未确认：{'、'.join(open_)}")
    return _move(locked=locked, actor=actor, to=S.ACCEPTANCE, comment=comment)


@transaction.atomic
def challenge_pass(
    *,
    challenge: Challenge,
    actor: User,
    comment: str,
    outcome_title: str = "",
    tags: Sequence[str] = (),
) -> Challenge:
    """验收通过: the result enters the outcome library (source 揭榜挂帅) and is linked as the
    challenge's result; its benefit is then tracked month by month for 12 months."""
    locked = _lock(challenge)
    _require_staff(actor, locked)
    _check(locked, S.PASSED)
    comment = _reason(comment, "请填写验收意见")
    teams = list(ChallengeTeam.objects.filter(challenge=locked, status=T.SELECTED).order_by("rank", "pk"))
    enterprise = locked.enterprise
    outcome = LibraryOutcome.objects.create(
        title=(outcome_title.strip() or locked.title)[:160],
        type="揭榜挂帅成果",
        industry=enterprise.industry if enterprise is not None else "",
        region=region_of_unit(locked.org_unit),
        description=(
            f"{locked.description}\n\n验收标准：{locked.acceptance_criteria}\n验收意见：{comment}\n"
            f"揭榜团队：{'、'.join(t.name for t in teams)}"
        ),
        tags=[t.strip() for t in tags if t.strip()][:10],
        org_unit=locked.org_unit,
        source=LibraryOutcome.Source.CHALLENGE,
    )
    from gonghui.assist import matching  # the matching index: reuse before solving again

    matching.index_outcomes([outcome])
    audit_record(
        actor=actor,
        action="assist.library.create",
        target=outcome,
        org_unit=locked.org_unit,
        after={"source": "challenge", "challenge": locked.pk},
    )
    return _move(
        locked=locked, actor=actor, to=S.PASSED, comment=comment, changes={"result_outcome": outcome}
    )


@transaction.atomic
def challenge_extend(
    *,
    challenge: Challenge,
    actor: User,
    team: ChallengeTeam,
    title: str,
    due_on: dt.date,
    reason: str,
    payment: Decimal = Decimal(0),
    today: dt.date | None = None,
) -> Challenge:
    """验收 → 延期: a new milestone (date after today) for a selected team, back to 实施."""
    locked = _lock(challenge)
    _require_staff(actor, locked)
    _check(locked, S.IMPLEMENTING)
    reason = _reason(reason, "延期须说明理由")
    if team.challenge_id != locked.pk or team.status != T.SELECTED:
        raise DomainError(errors.CHALLENGE_INVALID, "只能为本榜单的中榜团队延期", field="team")
    if due_on <= _today(today):
        raise DomainError(errors.CHALLENGE_INVALID, "新的里程碑日期须晚于今天", field="due_on")
    if not payment.is_finite() or payment < 0:
        raise DomainError(errors.CHALLENGE_INVALID, "付款金额不能为负数", field="payment")
    title = title.strip() or "延期整改"
    Milestone.objects.create(
        challenge=locked, team=team, title=title[:120], due_on=due_on, payment=payment.quantize(CENT)
    )
    return _move(
        locked=locked,
        actor=actor,
        to=S.IMPLEMENTING,
        comment=f"验收延期：{reason}；新里程碑“{title}” {due_on:%Y-%m-%d}",
    )


@transaction.atomic
def challenge_fail(*, challenge: Challenge, actor: User, reason: str) -> Challenge:
    """验收不通过 (reason required)."""
    locked = _lock(challenge)
    _require_staff(actor, locked)
    _check(locked, S.FAILED)
    return _move(locked=locked, actor=actor, to=S.FAILED, comment=_reason(reason, "验收不通过须说明理由"))


# --- 12-month benefit tracking -----------------------------------------------------------


def first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def accepted_on(challenge: Challenge) -> dt.date | None:
    """The day the challenge passed acceptance (from its history), None before that."""
    event = challenge.events.filter(to_status=S.PASSED).order_by("at").first()
    return timezone.localdate(event.at) if event is not None else None


def benefit_months(challenge: Challenge) -> list[dt.date]:
    """The 12 tracked months: from the month after acceptance (验收后次月起 12 个月)."""
    accepted = accepted_on(challenge)
    if accepted is None:
        return []
    start = add_months(first_of_month(accepted), 1)
    return [add_months(start, i) for i in range(BENEFIT_MONTHS)]


@transaction.atomic
def benefit_record(
    *, challenge: Challenge, actor: User, month: dt.date, amount: Decimal, today: dt.date | None = None
) -> BenefitRecord:
    """Record (or correct) one month's benefit of a passed challenge's result. Only the 12
    months after acceptance are tracked, and only months that have begun; when all 12 are in,
    their sum becomes the library entry's verified yearly benefit."""
    locked = _lock(challenge)
    _require_staff(actor, locked)
    if locked.status != S.PASSED:
        raise DomainError(errors.CHALLENGE_STATE, "验收通过后才能登记效益")
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount < 0:
        raise DomainError(errors.CHALLENGE_INVALID, "效益金额须为不小于 0 的数字", field="amount")
    month = first_of_month(month)
    months = benefit_months(locked)
    if month not in months:
        raise DomainError(
            errors.CHALLENGE_INVALID,
            f"只跟踪验收后 12 个月（{months[0]:%Y-%m} 至 {months[-1]:%Y-%m}）的效益",
            field="month",
        )
    if month > first_of_month(_today(today)):
        raise DomainError(errors.CHALLENGE_INVALID, f"{month:%Y-%m} 尚未到来，不能登记效益", field="month")
    existing = BenefitRecord.objects.filter(challenge=locked, month=month).first()
    before = {"amount": existing.amount} if existing else {}
    record, _ = BenefitRecord.objects.update_or_create(
        challenge=locked, month=month, defaults={"amount": amount.quantize(CENT)}
    )
    recorded = list(BenefitRecord.objects.filter(challenge=locked).values_list("amount", flat=True))
    if len(recorded) == BENEFIT_MONTHS and locked.result_outcome_id is not None:
        LibraryOutcome.objects.filter(pk=locked.result_outcome_id).update(
            verified_benefit=sum(recorded, Decimal(0))
        )
    audit_record(
        actor=actor,
        action="assist.challenge.benefit",
        target=locked,
        org_unit=locked.org_unit,
        before=before,
        after={"month": f"{month:%Y-%m}", "amount": record.amount},
    )
    return record
