"""Write services for innovation outcomes: filing, the review lifecycle, benefit calculation
and verification, grading, rewards, attachments, patents.

Every transition goes through ``_move``: row lock, allowed-transition check, history row,
audit row, in one transaction. Pages, the API and the demo seeder call these the same way.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from gonghui.accounts.models import User
from gonghui.accounts.permissions import can
from gonghui.audit.services import audit_record
from gonghui.core.errors import DomainError, PermissionDenied
from gonghui.core.workdays import add_working_days
from gonghui.innovation import errors
from gonghui.innovation.config import config_for
from gonghui.innovation.engine import (
    ADVANCED_OPERATION_METHOD,
    AWARD_LEVELS,
    INNOVATION_OUTCOME,
    Amount,
    FirstCompleter,
    GradingError,
    NominationFacts,
    PriorAward,
    check_eligibility,
    labour_time_saving,
    material_saving,
    net_yearly_benefit,
)
from gonghui.innovation.models import (
    BenefitLine,
    Nomination,
    Outcome,
    OutcomeAttachment,
    OutcomeMember,
    OutcomeTransition,
    Patent,
    RewardPayment,
    Studio,
)
from gonghui.members.models import Member
from gonghui.orgs.models import Enterprise, OrgUnit

S = Outcome.Status

# The lifecycle (spec: 草稿 → 提交 → 受理 → 评审 → 采纳实施/试行验证/存档备用/不采纳 → 实施 →
# 效益核算 → 核验 → 评级 → 奖励 → 归档). A shelved outcome may be taken back into review.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.SUBMITTED}),
    S.SUBMITTED: frozenset({S.ACCEPTED, S.DECLINED}),
    S.ACCEPTED: frozenset({S.IN_REVIEW}),
    S.IN_REVIEW: frozenset({S.ADOPTED, S.TRIAL, S.SHELVED, S.DECLINED}),
    S.TRIAL: frozenset({S.ADOPTED, S.SHELVED, S.DECLINED}),
    S.ADOPTED: frozenset({S.IMPLEMENTED}),
    S.IMPLEMENTED: frozenset({S.BENEFIT_CALCULATED}),
    S.BENEFIT_CALCULATED: frozenset({S.BENEFIT_CALCULATED, S.VERIFIED}),
    S.VERIFIED: frozenset({S.GRADED}),
    S.GRADED: frozenset({S.REWARDED, S.ARCHIVED}),
    S.REWARDED: frozenset({S.ARCHIVED}),
    S.SHELVED: frozenset({S.IN_REVIEW, S.ARCHIVED}),
    S.DECLINED: frozenset({S.ARCHIVED}),
    S.ARCHIVED: frozenset(),
}
DECISIONS = frozenset({S.ADOPTED, S.TRIAL, S.SHELVED, S.DECLINED})
NEEDS_REASON = frozenset({S.SHELVED, S.DECLINED})
# Statuses with a running deadline (受理 / 评审): overdue when due_on has passed.
DEADLINE_STATUSES = frozenset({S.SUBMITTED, S.ACCEPTED, S.IN_REVIEW})

MAX_ATTACHMENT_BYTES = {"photo": 10 * 1024 * 1024, "video": 200 * 1024 * 1024, "file": 20 * 1024 * 1024}
ATTACHMENT_TYPES = {
    "photo": {".jpg", ".jpeg", ".png", ".heic", ".webp"},
    "video": {".mp4", ".mov", ".m4v"},
    "file": {".pdf", ".docx", ".xlsx", ".pptx", ".dwg", ".zip"},
}
CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class TeamMemberInput:
    """A completer as filed: name and share (%); member when known (for rewards and rules)."""

    name: str
    share: Decimal
    member_id: int | None = None
    position: str = ""
    is_enterprise_head: bool = False
    has_senior_title: bool = False


@dataclass(frozen=True, slots=True)
class BenefitInput:
    """One calculator line: kind labour/material/other/cost and its parameters."""

    kind: str
    description: str
    params: dict[str, Any] = field(default_factory=dict)
    on: dt.date | None = None  # the date a cost was spent / a gain realised (default: first benefit)


def search_text_of(*parts: str) -> str:
    """The text searched for similar outcomes: NFKC (full-width → half-width), lower-case."""
    return unicodedata.normalize("NFKC", " ".join(p for p in parts if p)).lower()


def _is_staff_for(actor: User, action: str, outcome: Outcome) -> bool:
    return can(actor, action, outcome.org_unit)


def _require(actor: User, action: str, outcome: Outcome) -> None:
    if not _is_staff_for(actor, action, outcome):
        raise PermissionDenied()


def _move(
    *, outcome: Outcome, actor: User, to: str, comment: str = "", changes: dict[str, Any] | None = None
) -> Outcome:
    """Lock, check the transition, apply ``changes``, write history and audit. Caller is atomic."""
    locked = Outcome.objects.select_for_update().get(pk=outcome.pk)
    if to not in TRANSITIONS[locked.status]:
        raise DomainError(
            errors.OUTCOME_STATE,
            f"成果当前状态为“{locked.get_status_display()}”，不能转为“{S(to).label}”",  # type: ignore[attr-defined]
        )
    before = {"status": locked.status}
    from_status = locked.status
    locked.status = to
    fields = ["status", "updated_at"]
    for name, value in (changes or {}).items():
        setattr(locked, name, value)
        fields.append(name)
    locked.save(update_fields=fields)
    OutcomeTransition.objects.create(
        outcome=locked, from_status=from_status, to_status=to, actor=actor, comment=comment
    )
    audit_record(
        actor=actor,
        action=f"innovation.outcome.{to}",
        target=locked,
        org_unit=locked.org_unit,
        before=before,
        after={"status": to, **{k: v for k, v in (changes or {}).items() if k != "search_text"}},
    )
    return locked


def _validate_team(team: Sequence[TeamMemberInput]) -> None:
    if not team:
        raise DomainError(errors.SHARES_INVALID, "至少填写一名完成人（第一完成人）", field="team")
    names = [m.name.strip() for m in team]
    if any(not n for n in names):
        raise DomainError(errors.SHARES_INVALID, "完成人姓名不能为空", field="team")
    if len(set(names)) != len(names):
        raise DomainError(errors.SHARES_INVALID, "完成人重复", field="team")
    for index, m in enumerate(team, start=1):
        if m.share <= 0 or m.share > 100:
            raise DomainError(
                errors.SHARES_INVALID, f"第 {index} 位完成人的贡献占比须在 0–100 之间", field="team"
            )
    total = sum((m.share for m in team), Decimal(0))
    if total != 100:
        raise DomainError(errors.SHARES_INVALID, f"贡献占比合计为 {total}%，应为 100%", field="team")


@transaction.atomic
def outcome_create(
    *,
    actor: User,
    org_unit: OrgUnit,
    type: str,
    title: str,
    team: Sequence[TeamMemberInput],
    subtype: str = "",
    enterprise: Enterprise | None = None,
    situation: str = "",
    measures: str = "",
    effect: str = "",
    tags: Sequence[str] = (),
    estimated_benefit: Decimal | None = None,
    studio: Studio | None = None,
    submit: bool = False,
) -> Outcome:
    """File an outcome as a draft (or submit it at once). A worker files for their own union;
    staff may file on behalf of anyone in their subtree."""
    member = Member.objects.filter(user=actor).select_related("org_unit").first()
    own_union = member is not None and member.org_unit_id == org_unit.pk
    if not (own_union or can(actor, "review", org_unit)):
        raise PermissionDenied()
    if type not in Outcome.Type.values:
        raise DomainError(errors.OUTCOME_INVALID, "未知的成果类型", field="type")
    config = config_for(org_unit)
    if type == Outcome.Type.FIVE_SMALL:
        if subtype not in config.five_small_labels:
            raise DomainError(
                errors.OUTCOME_INVALID,
                f"五小类别须为：{'、'.join(config.five_small_labels)}",
                field="subtype",
            )
    else:
        subtype = ""
    title = title.strip()
    if not title:
        raise DomainError(errors.OUTCOME_INVALID, "成果名称不能为空", field="title")
    if estimated_benefit is not None and estimated_benefit < 0:
        raise DomainError(errors.OUTCOME_INVALID, "预计年效益不能为负数", field="estimated_benefit")
    _validate_team(team)
    if enterprise is None and member is not None and own_union:
        enterprise = member.employer
    outcome = Outcome.objects.create(
        type=type,
        subtype=subtype,
        title=title,
        org_unit=org_unit,
        enterprise=enterprise,
        industry=enterprise.industry if enterprise is not None else "",
        studio=studio,
        situation=situation,
        measures=measures,
        effect=effect,
        tags=[t.strip() for t in tags if t.strip()],
        estimated_benefit=estimated_benefit,
        proposer=actor,
        search_text=search_text_of(title, situation, measures, effect, " ".join(tags)),
    )
    OutcomeMember.objects.bulk_create(
        OutcomeMember(
            outcome=outcome,
            member_id=m.member_id,
            name=m.name.strip(),
            order=index,
            share=m.share,
            position=m.position,
            is_enterprise_head=m.is_enterprise_head,
            has_senior_title=m.has_senior_title,
        )
        for index, m in enumerate(team, start=1)
    )
    OutcomeTransition.objects.create(outcome=outcome, from_status="", to_status=S.DRAFT, actor=actor)
    audit_record(
        actor=actor,
        action="innovation.outcome.create",
        target=outcome,
        org_unit=org_unit,
        after={"type": type, "title": title},
    )
    if submit:
        outcome = outcome_submit(outcome=outcome, actor=actor)
    return outcome


@transaction.atomic
def outcome_submit(*, outcome: Outcome, actor: User, today: dt.date | None = None) -> Outcome:
    """The proposer (or staff) submits a draft; acceptance is due in N working days."""
    if actor.pk != outcome.proposer_id:
        _require(actor, "review", outcome)
    today = today or timezone.localdate()
    due = add_working_days(today, config_for(outcome.org_unit).acceptance_days)
    return _move(
        outcome=outcome,
        actor=actor,
        to=S.SUBMITTED,
        changes={"submitted_at": timezone.now(), "due_on": due},
    )


@transaction.atomic
def outcome_accept(
    *, outcome: Outcome, actor: User, comment: str = "", today: dt.date | None = None
) -> Outcome:
    """Staff accept (受理) a submitted outcome; the review is due in N working days."""
    _require(actor, "review", outcome)
    today = today or timezone.localdate()
    due = add_working_days(today, config_for(outcome.org_unit).review_days)
    return _move(outcome=outcome, actor=actor, to=S.ACCEPTED, comment=comment, changes={"due_on": due})


@transaction.atomic
def outcome_start_review(*, outcome: Outcome, actor: User, comment: str = "") -> Outcome:
    """An accepted outcome goes to review (评审), keeping the review deadline."""
    _require(actor, "review", outcome)
    return _move(outcome=outcome, actor=actor, to=S.IN_REVIEW, comment=comment)


@transaction.atomic
def outcome_decide(*, outcome: Outcome, actor: User, decision: str, reason: str = "") -> Outcome:
    """The review decision. 存档备用 and 不采纳 need a reason, which is texted to the proposer;
    a submitted outcome can also be declined without review (不予受理)."""
    _require(actor, "review", outcome)
    if decision not in DECISIONS:
        raise DomainError(errors.OUTCOME_INVALID, "未知的评审结论", field="decision")
    reason = reason.strip()
    if decision in NEEDS_REASON and not reason:
        raise DomainError(errors.REASON_REQUIRED, "存档备用或不采纳必须写明理由", field="reason")
    moved = _move(
        outcome=outcome,
        actor=actor,
        to=decision,
        comment=reason,
        changes={"decision_reason": reason, "due_on": None},
    )
    _notify_proposer(moved, decision, reason)
    return moved


def _notify_proposer(outcome: Outcome, decision: str, reason: str) -> None:
    """Tell the proposer the decision by SMS once the decision has committed."""
    proposer = User.objects.get(pk=outcome.proposer_id)
    if not proposer.phone:
        return
    from gonghui.accounts.services import sms_send

    label = S(decision).label
    text = f"【{settings.SMS_SIGN_NAME}】您提交的创新成果“{outcome.title[:30]}”评审结论：{label}。"
    if reason:
        text += f"理由：{reason[:60]}。可登录平台查看并回复。"
    phone = proposer.phone
    transaction.on_commit(
        lambda: sms_send(
            phone=phone,
            text=text,
            purpose="innovation_decision",
            dedup_key=f"inno-decision:{outcome.pk}:{decision}:{outcome.history.count()}",
        )
    )


@transaction.atomic
def outcome_record_reply(*, outcome: Outcome, actor: User, reply: str) -> Outcome:
    """The proposer answers a 存档备用 / 不采纳 decision; the reply is kept with the outcome."""
    locked = Outcome.objects.select_for_update().get(pk=outcome.pk)
    if actor.pk != locked.proposer_id:
        raise PermissionDenied()
    if locked.status not in NEEDS_REASON:
        raise DomainError(errors.OUTCOME_STATE, "只有存档备用或不采纳的成果可以回复")
    reply = reply.strip()
    if not reply:
        raise DomainError(errors.OUTCOME_INVALID, "回复内容不能为空", field="reply")
    locked.proposer_reply = reply
    locked.proposer_replied_at = timezone.now()
    locked.save(update_fields=["proposer_reply", "proposer_replied_at", "updated_at"])
    audit_record(
        actor=actor,
        action="innovation.outcome.reply",
        target=locked,
        org_unit=locked.org_unit,
        after={"reply": reply},
    )
    return locked


@transaction.atomic
def outcome_implement(
    *, outcome: Outcome, actor: User, implemented_on: dt.date, comment: str = ""
) -> Outcome:
    """An adopted outcome is put into use on ``implemented_on`` (not in the future)."""
    _require(actor, "review", outcome)
    if implemented_on > timezone.localdate():
        raise DomainError(errors.OUTCOME_INVALID, "实施日期不能晚于今天", field="implemented_on")
    return _move(
        outcome=outcome,
        actor=actor,
        to=S.IMPLEMENTED,
        comment=comment,
        changes={"implemented_on": implemented_on},
    )


def _decimal_param(params: dict[str, Any], name: str, label: str, row: int) -> Decimal:
    try:
        value = Decimal(str(params[name]))
    except (KeyError, InvalidOperation) as exc:
        raise DomainError(errors.BENEFIT_INVALID, f"第 {row} 行：{label}须为数字", field=name) from exc
    if not value.is_finite() or value < 0:
        raise DomainError(errors.BENEFIT_INVALID, f"第 {row} 行：{label}不能为负数", field=name)
    return value


def _line_amount(line: BenefitInput, row: int) -> tuple[Decimal, str]:
    """Amount and formula of one calculator line (engine calculators for labour and material)."""
    p = line.params
    try:
        if line.kind == BenefitLine.Kind.LABOUR:
            saving = labour_time_saving(
                hours_saved=_decimal_param(p, "hours_saved", "每次节约工时", row),
                hourly_cost=_decimal_param(p, "hourly_cost", "人工成本", row),
                times_per_year=_decimal_param(p, "times_per_year", "每年次数", row),
            )
            return saving.amount, saving.formula
        if line.kind == BenefitLine.Kind.MATERIAL:
            saving = material_saving(
                quantity=_decimal_param(p, "quantity", "年节约数量", row),
                unit_price=_decimal_param(p, "unit_price", "单价", row),
                unit=str(p.get("unit", ""))[:10],
            )
            return saving.amount, saving.formula
    except GradingError as exc:
        raise DomainError(errors.BENEFIT_INVALID, f"第 {row} 行：{exc}") from exc
    if line.kind in (BenefitLine.Kind.OTHER, BenefitLine.Kind.COST):
        amount = _decimal_param(p, "amount", "金额", row).quantize(CENT)
        return amount, f"{amount} 元"
    raise DomainError(errors.BENEFIT_INVALID, f"第 {row} 行：未知的效益类别", field="kind")


@transaction.atomic
def outcome_calculate_benefit(
    *, outcome: Outcome, actor: User, first_benefit_on: dt.date, lines: Sequence[BenefitInput]
) -> Outcome:
    """效益核算: net yearly benefit = savings in the 12 months from the first benefit − costs up
    to the window's end. Recalculating replaces the previous lines."""
    _require(actor, "review", outcome)
    if not lines:
        raise DomainError(errors.BENEFIT_INVALID, "至少填写一行效益明细", field="lines")
    if outcome.implemented_on and first_benefit_on < outcome.implemented_on:
        raise DomainError(
            errors.BENEFIT_INVALID, "首次产生效益日期不能早于实施日期", field="first_benefit_on"
        )
    computed: list[tuple[BenefitInput, Decimal, str]] = []
    gains: list[Amount] = []
    costs: list[Amount] = []
    for row, line in enumerate(lines, start=1):
        if not line.description.strip():
            raise DomainError(errors.BENEFIT_INVALID, f"第 {row} 行：说明不能为空", field="description")
        amount, formula = _line_amount(line, row)
        computed.append((line, amount, formula))
        item = Amount(label=line.description, amount=amount, on=line.on or first_benefit_on)
        (costs if line.kind == BenefitLine.Kind.COST else gains).append(item)
    result = net_yearly_benefit(first_benefit=first_benefit_on, gains=gains, costs=costs)
    BenefitLine.objects.filter(outcome=outcome).delete()
    BenefitLine.objects.bulk_create(
        BenefitLine(
            outcome=outcome,
            kind=line.kind,
            description=line.description.strip(),
            params={
                **{k: str(v) for k, v in line.params.items()},
                "formula": formula,
                "on": str(line.on or ""),
            },
            amount=amount,
        )
        for line, amount, formula in computed
    )
    return _move(
        outcome=outcome,
        actor=actor,
        to=S.BENEFIT_CALCULATED,
        comment="\n".join(result.lines),
        changes={"first_benefit_on": first_benefit_on, "calculated_benefit": result.net},
    )


@transaction.atomic
def outcome_verify_benefit(
    *,
    outcome: Outcome,
    actor: User,
    verified_by: str,
    verifier_name: str,
    amount: Decimal,
    comment: str = "",
) -> Outcome:
    """核验 by finance or a third party fixes the verified yearly benefit; the grade follows at
    once from the organisation's bands (评级), with its reward amount."""
    _require(actor, "review", outcome)
    if verified_by not in Outcome.Verifier.values:
        raise DomainError(errors.BENEFIT_INVALID, "核验方须为财务部门或第三方机构", field="verified_by")
    if not verifier_name.strip():
        raise DomainError(errors.BENEFIT_INVALID, "请填写核验单位或核验人", field="verifier_name")
    if not amount.is_finite():
        raise DomainError(errors.BENEFIT_INVALID, "核验金额无效", field="amount")
    amount = amount.quantize(CENT)
    moved = _move(
        outcome=outcome,
        actor=actor,
        to=S.VERIFIED,
        comment=comment or f"核验年效益 {amount} 元",
        changes={
            "verified_benefit": amount,
            "verified_by": verified_by,
            "verifier_name": verifier_name.strip(),
            "verified_at": timezone.now(),
        },
    )
    config = config_for(moved.org_unit)
    band = config.grades.grade(amount)
    if band is None:
        raise DomainError(errors.GRADE_MISSING, f"核验年效益 {amount} 元不在任何评级档次内")
    reward = config.rewards.get(band.code)
    return _move(
        outcome=moved,
        actor=actor,
        to=S.GRADED,
        comment=f"按核验年效益 {amount} 元评为{band.name}（评级标准：{config.source}）",
        changes={"grade": band.code, "grade_label": band.name, "reward_amount": reward},
    )


def reward_split(total: Decimal, team: Sequence[OutcomeMember]) -> list[tuple[OutcomeMember, Decimal]]:
    """Split a reward by shares, to the cent; the rounding remainder goes to the first completer."""
    shares = [(m, (total * m.share / 100).quantize(CENT, rounding=ROUND_DOWN)) for m in team]
    remainder = total - sum((amount for _, amount in shares), Decimal(0))
    first, first_amount = shares[0]
    shares[0] = (first, first_amount + remainder)
    return [(m, a) for m, a in shares if a > 0]


@transaction.atomic
def outcome_reward(*, outcome: Outcome, actor: User, paid_on: dt.date, note: str = "") -> Outcome:
    """Pay the grade's reward, split by the team's shares; paid exactly once (unique per
    recipient, and the status moves graded → rewarded under the row lock)."""
    _require(actor, "manage", outcome)
    locked = Outcome.objects.select_for_update().get(pk=outcome.pk)
    if locked.status != S.GRADED:
        raise DomainError(errors.OUTCOME_STATE, "只有已评级的成果可以发放奖励")
    if not locked.reward_amount:
        raise DomainError(errors.GRADE_MISSING, "该等级未设置奖励金额")
    if RewardPayment.objects.filter(outcome=locked).exists():
        raise DomainError(errors.REWARD_EXISTS, "该成果的奖励已发放")
    team = list(locked.team.all())
    payments = [
        RewardPayment(
            outcome=locked,
            recipient=m.name,
            member_id=m.member_id,
            amount=amount,
            paid_on=paid_on,
            note=note,
            created_by=actor,
        )
        for m, amount in reward_split(locked.reward_amount, team)
    ]
    RewardPayment.objects.bulk_create(payments)
    summary = "；".join(f"{p.recipient} {p.amount} 元" for p in payments)
    return _move(
        outcome=locked, actor=actor, to=S.REWARDED, comment=f"奖励 {locked.reward_amount} 元：{summary}"
    )


@transaction.atomic
def outcome_archive(*, outcome: Outcome, actor: User, comment: str = "") -> Outcome:
    """Archive (归档) a finished, shelved or declined outcome."""
    _require(actor, "review", outcome)
    return _move(outcome=outcome, actor=actor, to=S.ARCHIVED, comment=comment, changes={"due_on": None})


@transaction.atomic
def outcome_reopen(*, outcome: Outcome, actor: User, comment: str) -> Outcome:
    """A shelved (存档备用) outcome is taken back into review when its time has come."""
    _require(actor, "review", outcome)
    if not comment.strip():
        raise DomainError(errors.REASON_REQUIRED, "重新评审须说明原因", field="comment")
    return _move(outcome=outcome, actor=actor, to=S.IN_REVIEW, comment=comment)


def _can_edit(actor: User, outcome: Outcome) -> bool:
    return actor.pk == outcome.proposer_id or _is_staff_for(actor, "review", outcome)


@transaction.atomic
def outcome_attach(*, outcome: Outcome, actor: User, upload: UploadedFile) -> OutcomeAttachment:
    """Attach a photo, video or file (type by extension, size capped per kind)."""
    if not _can_edit(actor, outcome):
        raise PermissionDenied()
    name = Path(upload.name or "").name
    suffix = Path(name).suffix.lower()
    kind = next((k for k, types in ATTACHMENT_TYPES.items() if suffix in types), None)
    if kind is None:
        allowed = "、".join(sorted(t for types in ATTACHMENT_TYPES.values() for t in types))
        raise DomainError(
            errors.ATTACHMENT_INVALID,
            f"不支持的文件类型 {suffix or '(无扩展名)'}，可上传：{allowed}",
            field="file",
        )
    size = upload.size or 0
    if size == 0:
        raise DomainError(errors.ATTACHMENT_INVALID, "文件为空", field="file")
    if size > MAX_ATTACHMENT_BYTES[kind]:
        limit = MAX_ATTACHMENT_BYTES[kind] // (1024 * 1024)
        raise DomainError(errors.ATTACHMENT_INVALID, f"文件超过 {limit} MB", field="file")
    attachment = OutcomeAttachment.objects.create(
        outcome=outcome, kind=kind, file=upload, name=name[:200], size=size, uploaded_by=actor
    )
    audit_record(
        actor=actor,
        action="innovation.outcome.attach",
        target=outcome,
        org_unit=outcome.org_unit,
        after={"attachment": attachment.pk, "name": attachment.name},
    )
    return attachment


@transaction.atomic
def outcome_add_patent(
    *, outcome: Outcome, actor: User, number: str, kind: str, status: str, granted_on: dt.date | None = None
) -> Patent:
    """Record a patent of the outcome; a granted patent needs its grant date."""
    if not _can_edit(actor, outcome):
        raise PermissionDenied()
    number = number.strip().upper()
    if not number:
        raise DomainError(errors.OUTCOME_INVALID, "专利号不能为空", field="number")
    if kind not in Patent.Kind.values:
        raise DomainError(errors.OUTCOME_INVALID, "未知的专利类型", field="kind")
    if status not in Patent.Status.values:
        raise DomainError(errors.OUTCOME_INVALID, "未知的专利状态", field="status")
    if status == Patent.Status.GRANTED and granted_on is None:
        raise DomainError(errors.OUTCOME_INVALID, "已授权的专利须填写授权日期", field="granted_on")
    if Patent.objects.filter(number=number).exists():
        raise DomainError(errors.OUTCOME_INVALID, f"专利号 {number} 已登记", field="number")
    patent = Patent.objects.create(
        outcome=outcome, number=number, kind=kind, status=status, granted_on=granted_on
    )
    audit_record(
        actor=actor,
        action="innovation.outcome.patent",
        target=outcome,
        org_unit=outcome.org_unit,
        after={"patent": number, "status": status},
    )
    return patent


def is_overdue(outcome: Outcome, today: dt.date | None = None) -> bool:
    """Past its 受理/评审 deadline and still waiting."""
    today = today or timezone.localdate()
    return outcome.status in DEADLINE_STATUSES and outcome.due_on is not None and outcome.due_on < today


AWARDS = {"operation_method": ADVANCED_OPERATION_METHOD, "innovation_outcome": INNOVATION_OUTCOME}


def nomination_facts(*, outcome: Outcome, target_level: str, today: dt.date) -> NominationFacts:
    """The eligibility engine's inputs, read from the outcome, its team and its past awards.

    The level reached is the highest level it has been awarded at; a graded outcome has at
    least its enterprise's own award.
    """
    first = outcome.team.order_by("order").first()
    awarded = list(outcome.nominations.filter(status=Nomination.Status.AWARDED))
    prior = tuple(PriorAward(level=n.to_level, year=n.year, award=n.award) for n in awarded)
    levels = [n.to_level for n in awarded if n.to_level in AWARD_LEVELS]
    current = max(levels, key=AWARD_LEVELS.index) if levels else None
    if current is None and outcome.grade:
        current = "enterprise"
    return NominationFacts(
        outcome_type=outcome.type,
        evaluated_on=today,
        target_level=target_level,
        first_completer=FirstCompleter(
            is_enterprise_head=bool(first and first.is_enterprise_head),
            has_senior_title=bool(first and first.has_senior_title),
            position=(first.position or first.name) if first else "",
        ),
        proven_since=outcome.implemented_on,
        completed_on=outcome.implemented_on
        or (outcome.submitted_at.date() if outcome.submitted_at else None),
        current_level=current,
        prior_awards=prior,
        verified_yearly_benefit=outcome.verified_benefit,
    )


@transaction.atomic
def outcome_nominate(
    *, outcome: Outcome, actor: User, award: str, target_level: str, today: dt.date | None = None
) -> Nomination:
    """Put an outcome forward to the next level's award. Every rule is checked and stored with
    its explanation; an ineligible nomination is recorded as such (staff see why) and not sent."""
    _require(actor, "review", outcome)
    rules = AWARDS.get(award)
    if rules is None:
        raise DomainError(errors.OUTCOME_INVALID, "未知的奖项", field="award")
    if target_level not in AWARD_LEVELS:
        raise DomainError(errors.OUTCOME_INVALID, "未知的推荐层级", field="target_level")
    today = today or timezone.localdate()
    locked = Outcome.objects.select_for_update().get(pk=outcome.pk)
    facts = nomination_facts(outcome=locked, target_level=target_level, today=today)
    result = check_eligibility(rules, facts)
    nomination = Nomination.objects.create(
        outcome=locked,
        award=rules.code,
        from_level=facts.current_level or "",
        to_level=target_level,
        year=today.year,
        eligible=result.eligible,
        check_results=[
            {"code": r.code, "label": r.label, "passed": r.passed, "explanation": r.explanation}
            for r in result.results
        ],
        status=Nomination.Status.PROPOSED if result.eligible else Nomination.Status.INELIGIBLE,
        nominated_by=actor,
    )
    audit_record(
        actor=actor,
        action="innovation.outcome.nominate",
        target=locked,
        org_unit=locked.org_unit,
        after={"award": rules.code, "to": target_level, "eligible": result.eligible},
    )
    return nomination


@transaction.atomic
def nomination_record_result(*, nomination: Nomination, actor: User, awarded: bool) -> Nomination:
    """Record the upper level's result for a proposed nomination (awarded or not)."""
    locked = Nomination.objects.select_for_update().select_related("outcome__org_unit").get(pk=nomination.pk)
    _require(actor, "review", locked.outcome)
    if locked.status != Nomination.Status.PROPOSED:
        raise DomainError(errors.OUTCOME_STATE, "只有已推荐的申报可以登记结果")
    locked.status = Nomination.Status.AWARDED if awarded else Nomination.Status.NOT_AWARDED
    locked.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="innovation.nomination.result",
        target=locked.outcome,
        org_unit=locked.outcome.org_unit,
        after={"nomination": locked.pk, "status": locked.status},
    )
    return locked
