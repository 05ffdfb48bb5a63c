"""Write services for evaluations and live roadshows (评审 / 路演): rubrics, panels, conflicts of
interest, the host's running order and timers, judges' scores, closing and amending results.

The ranking itself is the pure engine's ``aggregate_panel``; this module only feeds it the
stored sheets and stores what it returns (score, rank, explanation) on each entry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from gonghui.accounts.models import Role, RoleGrant, User
from gonghui.accounts.permissions import can
from gonghui.audit.services import audit_record
from gonghui.core.errors import DomainError, NotFound, PermissionDenied
from gonghui.innovation import errors
from gonghui.innovation.engine import (
    DEFAULT_RUBRIC,
    Criterion,
    RubricError,
    aggregate_panel,
    score_sheet,
)
from gonghui.innovation.engine import (
    Rubric as EngineRubric,
)
from gonghui.innovation.models import Assignment, Entry, Evaluation, Outcome, PanelJudge, Rubric
from gonghui.orgs.models import OrgUnit

E = Evaluation.Status
P = Evaluation.Phase
# Outcomes that may take part in an evaluation: accepted and not yet decided, or decided and
# going on to later rounds (a roadshow often ranks implemented, verified outcomes).
ELIGIBLE_STATUSES = frozenset(
    {
        Outcome.Status.ACCEPTED,
        Outcome.Status.IN_REVIEW,
        Outcome.Status.ADOPTED,
        Outcome.Status.TRIAL,
        Outcome.Status.IMPLEMENTED,
        Outcome.Status.BENEFIT_CALCULATED,
        Outcome.Status.VERIFIED,
        Outcome.Status.GRADED,
        Outcome.Status.REWARDED,
    }
)


def criteria_to_json(rubric: EngineRubric) -> list[dict[str, Any]]:
    return [
        {
            "code": c.code,
            "label": c.name,
            "weight": str(c.weight),
            "anchors": {str(k): v for k, v in c.anchors.items()},
        }
        for c in rubric.criteria
    ]


def engine_rubric(rubric: Rubric) -> EngineRubric:
    """The stored rubric as the engine's validated ``Rubric``."""
    try:
        return EngineRubric(
            code=str(rubric.pk),
            name=rubric.name,
            criteria=tuple(
                Criterion(
                    code=str(item["code"]),
                    name=str(item["label"]),
                    weight=Decimal(str(item["weight"])),
                    anchors={int(k): str(v) for k, v in (item.get("anchors") or {}).items()},
                )
                for item in rubric.criteria
            ),
        )
    except (KeyError, TypeError, ValueError) as exc:
        message = str(exc) if isinstance(exc, RubricError) else "评分细则格式无效"
        raise DomainError(errors.EVALUATION_INVALID, message, field="criteria") from exc


@transaction.atomic
def rubric_create(
    *, actor: User, org_unit: OrgUnit, name: str, criteria: list[dict[str, Any]] | None = None
) -> Rubric:
    """A rubric as data (criteria, weights summing to 100, 1/3/5 anchors); default: the spec's."""
    if not can(actor, "manage", org_unit):
        raise PermissionDenied()
    rubric = Rubric(
        org_unit=org_unit, name=name.strip(), criteria=criteria or criteria_to_json(DEFAULT_RUBRIC)
    )
    if not rubric.name:
        raise DomainError(errors.EVALUATION_INVALID, "评分细则名称不能为空", field="name")
    rubric.save()
    engine_rubric(rubric)  # validate; the atomic block rolls the row back on error
    audit_record(actor=actor, action="innovation.rubric.create", target=rubric, org_unit=org_unit)
    return rubric


def _judge_users_ok(users: Sequence[User]) -> None:
    ids = {u.pk for u in users}
    judges = set(
        RoleGrant.objects.filter(user_id__in=ids, role=Role.JUDGE, revoked_at__isnull=True).values_list(
            "user_id", flat=True
        )
    )
    missing = [str(u) for u in users if u.pk not in judges]
    if missing:
        raise DomainError(errors.EVALUATION_INVALID, f"{'、'.join(missing)} 不是专家评委", field="judges")


@transaction.atomic
def evaluation_create(
    *,
    actor: User,
    org_unit: OrgUnit,
    title: str,
    rubric: Rubric,
    held_on: dt.date,
    outcomes: Sequence[Outcome],
    judges: Sequence[tuple[User, str]],
    kind: str = Evaluation.Kind.ROADSHOW,
    blind: bool = False,
    venue: str = "",
    presentation_seconds: int = 300,
    qa_seconds: int = 180,
) -> Evaluation:
    """Set up an evaluation: the running order is the order of ``outcomes``; every judge is
    assigned to every entry until a conflict of interest excuses them."""
    if not can(actor, "manage", org_unit):
        raise PermissionDenied()
    if not title.strip():
        raise DomainError(errors.EVALUATION_INVALID, "名称不能为空", field="title")
    if not outcomes:
        raise DomainError(errors.EVALUATION_INVALID, "至少选择一个参评成果", field="outcomes")
    if len({o.pk for o in outcomes}) != len(outcomes):
        raise DomainError(errors.EVALUATION_INVALID, "参评成果重复", field="outcomes")
    if not judges:
        raise DomainError(errors.EVALUATION_INVALID, "至少选择一名评委", field="judges")
    if len({u.pk for u, _ in judges}) != len(judges):
        raise DomainError(errors.EVALUATION_INVALID, "评委重复", field="judges")
    if not (60 <= presentation_seconds <= 3600 and 0 <= qa_seconds <= 3600):
        raise DomainError(
            errors.EVALUATION_INVALID, "陈述时长须在 1–60 分钟之间", field="presentation_seconds"
        )
    for outcome in outcomes:
        if not outcome.org_unit.path.startswith(org_unit.path):
            raise DomainError(
                errors.EVALUATION_INVALID, f"成果“{outcome.title}”不属于本工会", field="outcomes"
            )
        if outcome.status not in ELIGIBLE_STATUSES:
            raise DomainError(
                errors.EVALUATION_INVALID,
                f"成果“{outcome.title}”当前状态为{outcome.get_status_display()}，不能参评",  # type: ignore[attr-defined]
                field="outcomes",
            )
    _judge_users_ok([u for u, _ in judges])
    engine_rubric(rubric)
    evaluation = Evaluation.objects.create(
        org_unit=org_unit,
        title=title.strip(),
        kind=kind,
        rubric=rubric,
        blind=blind,
        held_on=held_on,
        venue=venue,
        presentation_seconds=presentation_seconds,
        qa_seconds=qa_seconds,
        created_by=actor,
    )
    entries = Entry.objects.bulk_create(
        Entry(evaluation=evaluation, outcome=o, order=i, code=f"项目 {i:02d}")
        for i, o in enumerate(outcomes, 1)
    )
    panel = PanelJudge.objects.bulk_create(
        PanelJudge(evaluation=evaluation, user=u, title=t, seat=i) for i, (u, t) in enumerate(judges, 1)
    )
    Assignment.objects.bulk_create(Assignment(judge=j, entry=e) for j in panel for e in entries)
    audit_record(
        actor=actor,
        action="innovation.evaluation.create",
        target=evaluation,
        org_unit=org_unit,
        after={"entries": len(entries), "judges": len(panel), "blind": blind},
    )
    return evaluation


def _lock(evaluation: Evaluation) -> Evaluation:
    return Evaluation.objects.select_for_update().get(pk=evaluation.pk)


@transaction.atomic
def evaluation_start(*, evaluation: Evaluation, actor: User) -> Evaluation:
    """Open the session: judges can score, the screen page shows the running order."""
    if not can(actor, "manage", evaluation.org_unit):
        raise PermissionDenied()
    locked = _lock(evaluation)
    if locked.status != E.PREPARING:
        raise DomainError(errors.EVALUATION_STATE, "评审已开始或已结束")
    locked.status = E.LIVE
    locked.current_entry = locked.entries.order_by("order").first()
    locked.phase = P.IDLE
    locked.phase_started_at = None
    locked.save(update_fields=["status", "current_entry", "phase", "phase_started_at"])
    audit_record(actor=actor, action="innovation.evaluation.start", target=locked, org_unit=locked.org_unit)
    return locked


@transaction.atomic
def roadshow_set_phase(*, evaluation: Evaluation, actor: User, entry: Entry, phase: str) -> Evaluation:
    """The host moves the screen to an entry and a phase (陈述 / 答辩 / 打分); the timer restarts."""
    if not can(actor, "manage", evaluation.org_unit):
        raise PermissionDenied()
    locked = _lock(evaluation)
    if locked.status != E.LIVE:
        raise DomainError(errors.EVALUATION_STATE, "评审未在进行中")
    if entry.evaluation_id != locked.pk:
        raise NotFound()
    if phase not in P.values:
        raise DomainError(errors.EVALUATION_INVALID, "未知的环节", field="phase")
    locked.current_entry = entry
    locked.phase = phase
    locked.phase_started_at = timezone.now()
    locked.save(update_fields=["current_entry", "phase", "phase_started_at"])
    return locked


@transaction.atomic
def judge_declare_conflict(*, assignment: Assignment, actor: User, reason: str) -> Assignment:
    """A judge declares a conflict of interest (e.g. same enterprise, former apprentice) and is
    excused (回避) from the entry; any score already given is withdrawn."""
    # Lock only the assignment: judges scoring at once must not queue on the evaluation row.
    locked = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("judge", "entry__evaluation")
        .get(pk=assignment.pk)
    )
    evaluation = locked.entry.evaluation
    if locked.judge.user_id != actor.pk and not can(actor, "manage", evaluation.org_unit):
        raise PermissionDenied()
    if evaluation.status == E.CLOSED:
        raise DomainError(errors.EVALUATION_STATE, "评审已结束，不能再申报回避")
    if not reason.strip():
        raise DomainError(errors.REASON_REQUIRED, "请说明回避理由", field="reason")
    before = {"excused": locked.excused, "scores": locked.scores}
    locked.excused = True
    locked.conflict_reason = reason.strip()[:200]
    locked.scores = None
    locked.total = None
    locked.submitted_at = None
    locked.save(update_fields=["excused", "conflict_reason", "scores", "total", "submitted_at"])
    audit_record(
        actor=actor,
        action="innovation.evaluation.recuse",
        target=evaluation,
        org_unit=evaluation.org_unit,
        before=before,
        after={"assignment": locked.pk, "reason": locked.conflict_reason},
    )
    return locked


def _parse_scores(raw: Mapping[str, Any], rubric: EngineRubric) -> dict[str, int]:
    scores: dict[str, int] = {}
    for criterion in rubric.criteria:
        value = raw.get(criterion.code)
        try:
            number = int(str(value))
        except (TypeError, ValueError) as exc:
            raise DomainError(
                errors.SCORE_INVALID, f"请为“{criterion.name}”打分（1–5）", field=criterion.code
            ) from exc
        if not 1 <= number <= 5:
            raise DomainError(
                errors.SCORE_INVALID, f"“{criterion.name}”的分值须在 1–5 之间", field=criterion.code
            )
        scores[criterion.code] = number
    unknown = sorted(set(raw) - set(rubric.codes))
    if unknown:
        raise DomainError(errors.SCORE_INVALID, f"未知的评分项：{'、'.join(unknown)}", field=unknown[0])
    return scores


@transaction.atomic
def score_submit(
    *, assignment: Assignment, actor: User, scores: Mapping[str, Any], reason: str = ""
) -> Assignment:
    """A judge scores an entry (1–5 per criterion) while the session is live; resubmitting
    replaces the sheet. After the session closed a change needs a reason, is audited and the
    results are recomputed."""
    # Lock only the assignment: judges scoring at once must not queue on the evaluation row.
    locked = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("judge", "entry__evaluation__rubric")
        .get(pk=assignment.pk)
    )
    evaluation = locked.entry.evaluation
    if locked.judge.user_id != actor.pk:
        raise PermissionDenied()
    if locked.excused:
        raise DomainError(errors.JUDGE_EXCUSED, "您已回避该项目，不能评分")
    if evaluation.status == E.PREPARING:
        raise DomainError(errors.EVALUATION_STATE, "评审尚未开始")
    closed = evaluation.status == E.CLOSED
    if closed and not reason.strip():
        raise DomainError(errors.REASON_REQUIRED, "评审已结束，修改评分须说明理由", field="reason")
    rubric = engine_rubric(evaluation.rubric)
    parsed = _parse_scores(scores, rubric)
    sheet = score_sheet(rubric, judge=str(locked.judge.seat), entry=str(locked.entry_id), scores=parsed)
    before = {"scores": locked.scores, "total": locked.total}
    locked.scores = parsed
    locked.total = sheet.total
    locked.submitted_at = timezone.now()
    fields = ["scores", "total", "submitted_at"]
    if closed:
        locked.amended_reason = reason.strip()[:200]
        fields.append("amended_reason")
    locked.save(update_fields=fields)
    if closed:
        audit_record(
            actor=actor,
            action="innovation.evaluation.amend",
            target=evaluation,
            org_unit=evaluation.org_unit,
            before=before,
            after={"assignment": locked.pk, "scores": parsed, "total": sheet.total, "reason": reason},
        )
        _store_results(_lock(evaluation))
    return locked


def _store_results(evaluation: Evaluation) -> None:
    """Aggregate the stored sheets with the engine and write score, rank and explanation."""
    rubric = engine_rubric(evaluation.rubric)
    assignments = list(
        Assignment.objects.filter(entry__evaluation=evaluation)
        .select_related("judge", "entry")
        .order_by("entry__order", "judge__seat")
    )
    # The engine names entries in its explanation lines ("与 项目 02 同分 …"): give it the
    # running-order code people see, not the database id.
    sheets = [
        score_sheet(rubric, judge=f"{a.judge.seat}号", entry=a.entry.code, scores=a.scores)
        for a in assignments
        if a.scores is not None and not a.excused
    ]
    excused = [(f"{a.judge.seat}号", a.entry.code) for a in assignments if a.excused]
    panel = aggregate_panel(rubric, sheets, excused=excused)
    by_entry = {r.entry: r for r in panel.results}
    entries = list(evaluation.entries.all())
    for entry in entries:
        result = by_entry.get(entry.code)
        entry.final_score = result.score if result else None
        entry.rank = result.rank if result else None
        entry.explanation = list(result.explanation) + list(panel.notes) if result else ["无有效评分"]
    Entry.objects.bulk_update(entries, ["final_score", "rank", "explanation"])
    methods = {r.method for r in panel.results}
    method = "z_score+" if panel.normalised else ""
    evaluation.method = method + ("/".join(sorted(methods)) if methods else "")
    evaluation.save(update_fields=["method"])


@transaction.atomic
def evaluation_close(*, evaluation: Evaluation, actor: User) -> Evaluation:
    """Close the session: results are computed and locked; later score changes need a reason."""
    if not can(actor, "manage", evaluation.org_unit):
        raise PermissionDenied()
    locked = _lock(evaluation)
    if locked.status != E.LIVE:
        raise DomainError(errors.EVALUATION_STATE, "只有进行中的评审可以结束")
    pending = Assignment.objects.filter(entry__evaluation=locked, excused=False, scores__isnull=True).count()
    locked.status = E.CLOSED
    locked.closed_at = timezone.now()
    locked.phase = P.IDLE
    locked.save(update_fields=["status", "closed_at", "phase"])
    _store_results(locked)
    audit_record(
        actor=actor,
        action="innovation.evaluation.close",
        target=locked,
        org_unit=locked.org_unit,
        after={"unscored": pending, "method": locked.method},
    )
    return locked
