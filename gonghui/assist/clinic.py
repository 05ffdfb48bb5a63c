"""Write services of the 技术门诊 technical clinic.

An enterprise asks (a Demand plus its ClinicQuestion; the first answer is due in 3 working
days) → a dispatcher assigns experts or experts claim → assigned experts answer (response
hours recorded) → reminders one working day before the deadline, overdue flags after it →
the enterprise accepts one answer and rates it 1–5 (the craftsman's track record is
recomputed) → escalation to an on-site visit, a 揭榜挂帅 challenge or a studio project if
needed → closing puts a case with an accepted answer into the knowledge base.

Every write locks the question row, checks the transition and the actor, writes the audit row
and queues SMS with ``transaction.on_commit``. Pages, the API and batch jobs call these alike.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count
from django.utils import timezone

from gonghui.accounts.models import SmsMessage, User
from gonghui.accounts.services import sms_send
from gonghui.assist import errors, search
from gonghui.assist.challenges import challenge_create
from gonghui.assist.demands import release_capacity
from gonghui.assist.libraries import demand_create
from gonghui.assist.matching import has_conflict, record_dispatch
from gonghui.assist.models import (
    ClinicAnswer,
    ClinicAssignment,
    ClinicQuestion,
    Craftsman,
    Demand,
    DemandKind,
    SearchEntry,
    Urgency,
)
from gonghui.assist.selectors_clinic import (
    ANSWERABLE,
    CLAIMABLE,
    CLOSABLE,
    ESCALATABLE,
    UNANSWERED,
    craftsman_of,
    is_asker,
    is_dispatcher,
)
from gonghui.audit.services import audit_record
from gonghui.core.errors import DomainError, PermissionDenied
from gonghui.core.workdays import add_working_days, is_working_day, working_days_between
from gonghui.orgs.models import Enterprise

S = ClinicQuestion.Status
E = ClinicQuestion.Escalation
D = Demand.Status

FIRST_ANSWER_WORKING_DAYS = 3
MAX_EXPERTS = 5
MAX_ANSWER_CHARS = 5000
TENTH = Decimal("0.1")
HUNDREDTH = Decimal("0.01")

# The question's lifecycle; staying in ASSIGNED / ANSWERED is allowed (another expert joins,
# another answer arrives).
TRANSITIONS: dict[str, frozenset[str]] = {
    S.OPEN: frozenset({S.ASSIGNED, S.ESCALATED, S.CLOSED}),
    S.ASSIGNED: frozenset({S.ASSIGNED, S.ANSWERED, S.ESCALATED, S.CLOSED}),
    S.ANSWERED: frozenset({S.ANSWERED, S.ACCEPTED, S.ESCALATED, S.CLOSED}),
    S.ACCEPTED: frozenset({S.ESCALATED, S.CLOSED}),
    S.ESCALATED: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
}
# The demand of the 企业需求库 follows its clinic question.
DEMAND_STATUS: dict[str, str] = {
    S.OPEN: D.OPEN,
    S.ASSIGNED: D.MATCHED,
    S.ANSWERED: D.IN_SERVICE,
    S.ACCEPTED: D.SOLVED,
    S.ESCALATED: D.IN_SERVICE,
}


def _state_error(question: ClinicQuestion, doing: str) -> DomainError:
    return DomainError(errors.CLINIC_STATE, f"问题当前状态为“{question.get_status_display()}”，不能{doing}")


def _lock(question: ClinicQuestion) -> ClinicQuestion:
    return (
        ClinicQuestion.objects.select_for_update(of=("self",))
        .select_related("demand", "demand__enterprise", "demand__org_unit")
        .get(pk=question.pk)
    )


def _set_status(
    question: ClinicQuestion, to: str, *, doing: str, changes: dict[str, Any] | None = None
) -> str:
    """Check the transition and save status (plus ``changes``) and the demand's status.
    Returns the previous status. The question must be locked by the caller."""
    if to not in TRANSITIONS[question.status]:
        raise _state_error(question, doing)
    before = question.status
    question.status = to
    fields = ["status"]
    for name, value in (changes or {}).items():
        setattr(question, name, value)
        fields.append(name)
    question.save(update_fields=fields)
    demand_status = DEMAND_STATUS.get(to)
    if to == S.CLOSED:
        demand_status = D.SOLVED if question.answers.filter(accepted=True).exists() else D.CLOSED
    if demand_status and question.demand.status != demand_status:
        question.demand.status = demand_status
        question.demand.save(update_fields=["status", "updated_at"])
        if demand_status in (D.SOLVED, D.CLOSED):
            release_capacity(question.demand)  # the experts' places are free again
    return before


def _audit(
    actor: User | None, action: str, question: ClinicQuestion, *, before: str | None = None, **after: Any
) -> None:
    """The audit row of a clinic write: status before → after plus the action's facts."""
    audit_record(
        actor=actor,
        action=f"assist.clinic.{action}",
        target=question,
        org_unit=question.demand.org_unit,
        before={"status": before} if before else None,
        after={"status": question.status, **after},
    )


def _sms_later(user: User | None, text: str, purpose: str, dedup_key: str) -> None:
    """Text ``user`` once the transaction commits (nothing if they have no phone)."""
    phone = user.phone if user is not None and user.is_active else ""
    if not phone:
        return
    message = f"【{settings.SMS_SIGN_NAME}】{text}"
    transaction.on_commit(
        lambda: sms_send(phone=phone, text=message, purpose=purpose, dedup_key=dedup_key), robust=True
    )


def first_answer_due(asked_on: dt.date) -> dt.date:
    """The first answer is due on the 3rd working day after the day the question is asked."""
    return add_working_days(asked_on, FIRST_ANSWER_WORKING_DAYS)


@transaction.atomic
def clinic_ask(
    *,
    actor: User,
    enterprise: Enterprise,
    title: str,
    description: str,
    equipment_model: str = "",
    kind: str = DemandKind.BREAKTHROUGH,
    urgency: str = Urgency.NORMAL,
    confidential: bool = False,
    photos: Sequence[UploadedFile] = (),
    today: dt.date | None = None,
) -> ClinicQuestion:
    """An enterprise contact (or staff reviewing the enterprise's union, on its behalf) asks:
    a Demand of the 企业需求库 with its photos (checked by ``demand_create``) and the clinic
    question, its first answer due on the 3rd working day after today."""
    demand = demand_create(
        actor=actor,
        enterprise=enterprise,
        title=title,
        description=description,
        equipment_model=equipment_model,
        kind=kind,
        urgency=urgency,
        confidential=confidential,
        photos=photos,
    )
    asked_on = today or timezone.localdate()
    question = ClinicQuestion.objects.create(demand=demand, first_answer_due=first_answer_due(asked_on))
    _audit(
        actor,
        "ask",
        question,
        demand=demand.pk,
        confidential=confidential,
        urgency=urgency,
        first_answer_due=question.first_answer_due,
    )
    return question


def _add_expert(
    question: ClinicQuestion, *, craftsman: Craftsman, actor: User, claimed: bool, doing: str
) -> ClinicAssignment:
    """Shared checks of assign and claim on a locked question."""
    if question.status not in CLAIMABLE:
        raise _state_error(question, doing)
    if not craftsman.active:
        raise DomainError(errors.CLINIC_INVALID, f"{craftsman.name}已不在劳模工匠库中", field="craftsman")
    if has_conflict(craftsman, question.demand.enterprise_id):
        raise DomainError(
            errors.CLINIC_INVALID, f"{craftsman.name}与提问企业存在利益冲突，需回避", field="craftsman"
        )
    experts = list(question.assignments.values_list("craftsman_id", flat=True))
    if craftsman.pk in experts:
        raise DomainError(errors.CLINIC_INVALID, f"{craftsman.name}已在解答此问题", field="craftsman")
    if len(experts) >= MAX_EXPERTS:
        raise DomainError(errors.CLINIC_INVALID, f"每个问题最多 {MAX_EXPERTS} 位专家", field="craftsman")
    try:
        with transaction.atomic():
            assignment = ClinicAssignment.objects.create(
                question=question, craftsman=craftsman, claimed=claimed, assigned_by=actor
            )
    except IntegrityError as exc:  # a concurrent claim of the same expert won
        raise DomainError(errors.CLINIC_INVALID, f"{craftsman.name}已在解答此问题") from exc
    if question.status == S.OPEN:
        _set_status(question, S.ASSIGNED, doing=doing)
    return assignment


@transaction.atomic
def clinic_assign(
    *,
    question: ClinicQuestion,
    actor: User,
    craftsman: Craftsman,
    shown_rank: int | None = None,
    shown_score: float | None = None,
) -> ClinicAssignment:
    """A dispatcher (staff with review on the node) puts an expert on the question. The choice
    is kept as a Dispatch with the rank the suggestions showed (a labelled pair for the ranker)."""
    question = _lock(question)
    if not is_dispatcher(actor, question):
        raise PermissionDenied()
    before = question.status
    assignment = _add_expert(question, craftsman=craftsman, actor=actor, claimed=False, doing="分派专家")
    record_dispatch(
        demand=question.demand,
        craftsman=craftsman,
        actor=actor,
        shown_rank=shown_rank,
        shown_score=shown_score,
    )
    _audit(actor, "assign", question, before=before, craftsman=craftsman.pk, shown_rank=shown_rank)
    _sms_later(
        craftsman.user,
        f"技术门诊问题“{question.demand.title[:30]}”已分派给您，请于 {question.first_answer_due:%m月%d日} 前答复。",
        "clinic_assign",
        f"clinic-assign:{assignment.pk}",
    )
    return assignment


@transaction.atomic
def clinic_claim(*, question: ClinicQuestion, actor: User) -> ClinicAssignment:
    """An expert (a user with an active Craftsman record) takes an open, non-confidential
    question; confidential ones are only assigned by a dispatcher."""
    question = _lock(question)
    craftsman = craftsman_of(actor)
    if craftsman is None:
        raise PermissionDenied("只有劳模工匠可以认领问题")
    if question.demand.confidential:
        raise PermissionDenied("涉密问题由工会分派专家")
    if not craftsman.available:
        raise DomainError(errors.CLINIC_INVALID, "您当前设置为暂不接单")
    before = question.status
    assignment = _add_expert(question, craftsman=craftsman, actor=actor, claimed=True, doing="认领")
    _audit(actor, "claim", question, before=before, craftsman=craftsman.pk)
    return assignment


def response_hours(*, assignment: ClinicAssignment, question: ClinicQuestion, at: dt.datetime) -> Decimal:
    """Hours from the question reaching the expert to the answer: from the assignment for a
    dispatched expert, from the posting for a claimed question (open questions are on every
    expert's list from then on). One decimal."""
    start = question.demand.created_at if assignment.claimed else assignment.assigned_at
    seconds = max(0.0, (at - start).total_seconds())
    return (Decimal(seconds) / 3600).quantize(TENTH, rounding=ROUND_HALF_UP)


@transaction.atomic
def clinic_answer(*, question: ClinicQuestion, actor: User, text: str) -> ClinicAnswer:
    """An assigned expert answers (one answer per expert); the asker is told by SMS."""
    question = _lock(question)
    craftsman = craftsman_of(actor)
    assignment = (
        question.assignments.filter(craftsman_id=craftsman.pk).first() if craftsman is not None else None
    )
    if craftsman is None or assignment is None:
        raise PermissionDenied("只有分派或认领此问题的专家可以解答")
    if question.status not in ANSWERABLE:
        raise _state_error(question, "解答")
    text = text.strip()
    if not text:
        raise DomainError(errors.CLINIC_INVALID, "请填写解答内容", field="text")
    if len(text) > MAX_ANSWER_CHARS:
        raise DomainError(errors.CLINIC_INVALID, f"解答不超过 {MAX_ANSWER_CHARS} 字", field="text")
    if question.answers.filter(craftsman_id=craftsman.pk).exists():
        raise DomainError(errors.CLINIC_INVALID, "您已解答过此问题", field="text")
    answer = ClinicAnswer.objects.create(
        question=question,
        craftsman=craftsman,
        text=text,
        response_hours=response_hours(assignment=assignment, question=question, at=timezone.now()),
    )
    before = _set_status(question, S.ANSWERED, doing="解答")
    craftsman_track_record_recompute(craftsman_ids=[craftsman.pk])
    _audit(actor, "answer", question, before=before, answer=answer.pk, response_hours=answer.response_hours)
    _sms_later(
        question.demand.created_by,
        f"您的技术门诊问题“{question.demand.title[:30]}”已有专家{craftsman.name}解答，请登录查看并采纳。",
        "clinic_answer",
        f"clinic-answer:{answer.pk}",
    )
    return answer


@transaction.atomic
def clinic_accept(
    *, question: ClinicQuestion, actor: User, answer: ClinicAnswer, rating: int, comment: str = ""
) -> ClinicQuestion:
    """The asking enterprise accepts one answer and rates it 1–5; only one answer per question
    is ever accepted (also a database constraint). The expert's track record is recomputed."""
    question = _lock(question)
    if not is_asker(actor, question):
        raise PermissionDenied("只有提问企业可以采纳解答")
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise DomainError(errors.CLINIC_INVALID, "评分须为 1–5 的整数", field="rating")
    comment = comment.strip()
    if len(comment) > 300:
        raise DomainError(errors.CLINIC_INVALID, "评价不超过 300 字", field="rating_comment")
    if question.answers.filter(accepted=True).exists():
        raise DomainError(errors.CLINIC_STATE, "此问题已采纳过解答")
    if question.status != S.ANSWERED:
        raise _state_error(question, "采纳解答")
    chosen = (
        ClinicAnswer.objects.select_for_update(of=("self",)).filter(pk=answer.pk, question=question).first()
    )
    if chosen is None:
        raise DomainError(errors.CLINIC_INVALID, "解答不属于此问题", field="answer")
    chosen.accepted = True
    chosen.save(update_fields=["accepted"])
    before = _set_status(
        question, S.ACCEPTED, doing="采纳解答", changes={"rating": rating, "rating_comment": comment}
    )
    craftsman_track_record_recompute(craftsman_ids=[chosen.craftsman_id])
    _audit(
        actor,
        "accept",
        question,
        before=before,
        answer=chosen.pk,
        craftsman=chosen.craftsman_id,
        rating=rating,
    )
    return question


@dataclass(frozen=True, slots=True)
class TrackRecord:
    """A craftsman's derived clinic figures."""

    accepted_answers: int
    rating_avg: Decimal | None
    rating_count: int
    median_response_hours: Decimal | None


TRACK_RECORD_FIELDS = ["accepted_answers", "rating_avg", "rating_count", "median_response_hours"]


def track_records(craftsman_ids: Iterable[int]) -> dict[int, TrackRecord]:
    """The clinic track record of each craftsman, set-based (two queries for any number):
    accepted answers; the average and count of the ratings of questions where their answer
    was accepted; the median response hours over all their answers."""
    ids = sorted(set(craftsman_ids))
    accepted = {
        row["craftsman_id"]: row
        for row in ClinicAnswer.objects.filter(craftsman_id__in=ids, accepted=True)
        .values("craftsman_id")
        .annotate(n=Count("id"), rated=Count("question__rating"), avg=Avg("question__rating"))
        .order_by()
    }
    hours: dict[int, list[Decimal]] = defaultdict(list)
    for craftsman_id, value in ClinicAnswer.objects.filter(craftsman_id__in=ids).values_list(
        "craftsman_id", "response_hours"
    ):
        hours[craftsman_id].append(value)
    records: dict[int, TrackRecord] = {}
    for pk in ids:
        row = accepted.get(pk)
        rated = int(row["rated"]) if row else 0
        avg = row["avg"] if row else None
        records[pk] = TrackRecord(
            accepted_answers=int(row["n"]) if row else 0,
            rating_avg=Decimal(str(avg)).quantize(HUNDREDTH, rounding=ROUND_HALF_UP)
            if rated and avg is not None
            else None,
            rating_count=rated,
            median_response_hours=Decimal(statistics.median(hours[pk])).quantize(
                TENTH, rounding=ROUND_HALF_UP
            )
            if hours[pk]
            else None,
        )
    return records


def craftsman_track_record_recompute(*, craftsman_ids: Iterable[int]) -> int:
    """Recompute and store the derived track record of these craftsmen; returns how many rows
    changed. Idempotent; callers run it inside their transaction."""
    records = track_records(craftsman_ids)
    changed: list[Craftsman] = []
    for craftsman in Craftsman.objects.filter(pk__in=list(records)):
        record = records[craftsman.pk]
        values = {name: getattr(record, name) for name in TRACK_RECORD_FIELDS}
        if any(getattr(craftsman, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(craftsman, key, value)
            changed.append(craftsman)
    if changed:
        Craftsman.objects.bulk_update(changed, TRACK_RECORD_FIELDS)
    return len(changed)


@transaction.atomic
def clinic_escalate(*, question: ClinicQuestion, actor: User, to: str, comment: str = "") -> ClinicQuestion:
    """A dispatcher escalates a question a remote answer cannot settle: to an on-site visit, a
    揭榜挂帅 challenge (created in 需求征集 from the demand) or a studio project."""
    question = _lock(question)
    if not is_dispatcher(actor, question):
        raise PermissionDenied()
    if to not in E.values:
        raise DomainError(errors.CLINIC_INVALID, "请选择升级方式", field="to")
    if question.status not in ESCALATABLE:
        raise _state_error(question, "升级")
    challenge_id = None
    if to == E.CHALLENGE:
        demand = question.demand
        challenge = challenge_create(
            actor=actor,
            org_unit=demand.org_unit,
            title="",
            description="",
            demand=demand,
            confidentiality="涉密需求：发榜前须经工会审核脱敏" if demand.confidential else "",
        )
        challenge_id = challenge.pk
    if to == E.VISIT and question.demand.kind != DemandKind.ONSITE:
        question.demand.kind = DemandKind.ONSITE
        question.demand.save(update_fields=["kind", "updated_at"])
    before = _set_status(question, S.ESCALATED, doing="升级", changes={"escalated_to": to})
    _audit(actor, "escalate", question, before=before, to=to, challenge=challenge_id, comment=comment.strip())
    return question


def knowledge_text(*, question: ClinicQuestion, answer: ClinicAnswer) -> str:
    """What the knowledge base indexes for a case: the question and its accepted answer."""
    demand = question.demand
    return "\n".join(p for p in (demand.title, demand.equipment_model, demand.description, answer.text) if p)


def _index_case(question: ClinicQuestion, answer: ClinicAnswer) -> None:
    search.index_documents(
        SearchEntry.Kind.ANSWER, [(question.pk, knowledge_text(question=question, answer=answer))]
    )


@transaction.atomic
def clinic_close(*, question: ClinicQuestion, actor: User, comment: str = "") -> ClinicQuestion:
    """The dispatcher or the asking enterprise closes the question. A case with an accepted
    answer becomes knowledge: indexed (search kind "answer") and flagged ``in_knowledge_base``."""
    question = _lock(question)
    if not (is_dispatcher(actor, question) or is_asker(actor, question)):
        raise PermissionDenied()
    if question.status not in CLOSABLE:
        raise _state_error(question, "关闭")
    accepted = question.answers.filter(accepted=True).first()
    changes: dict[str, Any] = {"closed_at": timezone.now()}
    if accepted is not None:
        _index_case(question, accepted)
        changes["in_knowledge_base"] = True
    before = _set_status(question, S.CLOSED, doing="关闭", changes=changes)
    _audit(
        actor,
        "close",
        question,
        before=before,
        in_knowledge_base=accepted is not None,
        comment=comment.strip(),
    )
    return question


@dataclass(frozen=True, slots=True)
class ReminderRun:
    """What one reminder run did: unanswered questions due the next working day or overdue,
    and the SMS queued (none already sent today for that question and expert)."""

    questions: int
    messages: int


def reminder_due(question: ClinicQuestion, today: dt.date) -> bool:
    """Remind on working days from the working day before the deadline on, while unanswered."""
    return (
        question.status in UNANSWERED
        and is_working_day(today)
        and working_days_between(today, question.first_answer_due) <= 1
    )


def _reminder_key(question_id: int, craftsman_id: int, today: dt.date) -> str:
    return f"clinic-remind:{question_id}:{craftsman_id}:{today.isoformat()}"


@transaction.atomic
def clinic_send_reminders(*, today: dt.date) -> ReminderRun:
    """Text the assigned experts of every unanswered question due the next working day (or
    already overdue): once per question, expert and day however often it runs (the SMS
    outbox's dedup key)."""
    # A superset by calendar date; the working-day rule then decides exactly.
    horizon = add_working_days(today, 1)
    candidates = [
        q
        for q in ClinicQuestion.objects.filter(status__in=UNANSWERED, first_answer_due__lte=horizon)
        .select_related("demand")
        .prefetch_related("assignments__craftsman__user")
        .order_by("pk")
        if reminder_due(q, today)
    ]
    keys = [_reminder_key(q.pk, a.craftsman_id, today) for q in candidates for a in q.assignments.all()]
    already = set(SmsMessage.objects.filter(dedup_key__in=keys).values_list("dedup_key", flat=True))
    messages = 0
    for question in candidates:
        overdue = question.first_answer_due < today
        state = "已超期" if overdue else f"将于 {question.first_answer_due:%m月%d日} 到期"
        for assignment in question.assignments.all():
            user = assignment.craftsman.user
            key = _reminder_key(question.pk, assignment.craftsman_id, today)
            if key in already or user is None or not user.is_active or not user.phone:
                continue
            _sms_later(
                user,
                f"技术门诊问题“{question.demand.title[:30]}”首次答复{state}，请尽快解答。",
                "clinic_reminder",
                key,
            )
            messages += 1
    if candidates:
        ClinicQuestion.objects.filter(pk__in=[q.pk for q in candidates]).update(reminded_at=timezone.now())
    return ReminderRun(questions=len(candidates), messages=messages)
