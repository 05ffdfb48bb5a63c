"""Technical clinic services: the 3-working-day deadline, who may ask, claim, assign, answer,
accept and escalate, the derived track record, reminders and the knowledge base."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from gonghui.accounts.models import SmsMessage, User
from gonghui.assist import clinic as svc
from gonghui.assist import selectors_clinic as sel
from gonghui.assist.demo_clinic import drive, make_contact, make_expert
from gonghui.assist.models import (
    Challenge,
    ChallengeEvent,
    ClinicAnswer,
    ClinicQuestion,
    Craftsman,
    Demand,
    Dispatch,
    SearchEntry,
)
from gonghui.audit.models import AuditEntry
from gonghui.conftest import World
from gonghui.core.errors import DomainError, PermissionDenied

S = ClinicQuestion.Status
E = ClinicQuestion.Escalation
pytestmark = pytest.mark.django_db

CNC = {
    "title": "数控车床加工时出现伺服报警",
    "description": "CK6150 数控车床粗车时 X 轴频繁出现 SV0414 伺服报警，运行两小时后出现。",
    "equipment_model": "FANUC 0i-TF",
}
PLC = {
    "title": "PLC 与变频器通讯间歇中断",
    "description": "包装线 S7-1200 通过 Modbus 控制变频器，每天不定时通讯中断停机。",
    "equipment_model": "西门子 S7-1200",
}


@dataclass
class Clinic:
    world: World
    contact: User  # enterprise A's contact (the asker)
    colleague: User  # a second contact of enterprise A
    contact_b: User  # enterprise B's contact
    dispatcher: User  # street A reviewer: review on enterprise A's union
    expert: Craftsman  # CNC expert with a login and a phone
    expert2: Craftsman  # PLC expert with a login and a phone

    def ask(
        self, *, today: dt.date | None = None, confidential: bool = False, **fields: str
    ) -> ClinicQuestion:
        return svc.clinic_ask(
            actor=self.contact,
            enterprise=self.world.enterprise_a,
            confidential=confidential,
            today=today,
            **{**CNC, **fields},
        )


def build_clinic(world: World) -> Clinic:
    """Two contacts of enterprise A, one of B, the street A reviewer and two experts."""
    return Clinic(
        world=world,
        contact=make_contact(enterprise=world.enterprise_a, username="contact_a", phone="13900000021"),
        colleague=make_contact(enterprise=world.enterprise_a, username="colleague_a"),
        contact_b=make_contact(enterprise=world.enterprise_b, username="contact_b"),
        dispatcher=world.users["street_a_reviewer"],
        expert=make_expert(
            org_unit=world.district,
            name="钱卫国",
            username="expert1",
            phone="13900000031",
            honours=["全国劳动模范"],
            industry="C",
            trades=["数控车工"],
            skills=["数控车床故障诊断", "伺服调试"],
            equipment=["FANUC 0i-TF", "CK6150"],
            bio="擅长数控系统报警处理和伺服故障诊断。",
        ),
        expert2=make_expert(
            org_unit=world.district,
            name="孙丽娟",
            username="expert2",
            phone="13900000032",
            industry="C",
            trades=["电工"],
            skills=["PLC 编程", "变频器调试"],
            equipment=["西门子 S7-1200"],
            bio="擅长 PLC 程序诊断和变频器通讯故障排查。",
        ),
    )


@pytest.fixture
def clinic(world: World) -> Clinic:
    return build_clinic(world)


# --- asking and the deadline ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("asked_on", "due"),
    [
        (dt.date(2025, 6, 3), dt.date(2025, 6, 6)),  # Tue → Fri
        (dt.date(2025, 6, 5), dt.date(2025, 6, 10)),  # Thu → over the weekend → Tue
        (dt.date(2025, 6, 7), dt.date(2025, 6, 11)),  # asked on a Saturday: Mon, Tue, Wed
        # 国庆节、中秋节 10-01…10-08 off; Saturday 10-11 is a 调休 working day.
        (dt.date(2025, 9, 30), dt.date(2025, 10, 11)),
        # 春节 01-28…02-04 off; Sunday 01-26 is a 调休 working day.
        (dt.date(2025, 1, 24), dt.date(2025, 2, 5)),
    ],
)
def test_first_answer_is_due_in_three_working_days(clinic: Clinic, asked_on: dt.date, due: dt.date) -> None:
    question = clinic.ask(today=asked_on)
    assert question.first_answer_due == due
    demand = question.demand
    assert (question.status, demand.status) == (S.OPEN, Demand.Status.OPEN)
    assert demand.enterprise == clinic.world.enterprise_a and demand.org_unit == clinic.world.unit_a()
    assert demand.industry == clinic.world.enterprise_a.industry
    assert AuditEntry.objects.filter(action="assist.clinic.ask", target_id=str(question.pk)).exists()


def test_only_the_enterprise_or_its_staff_may_ask(clinic: Clinic) -> None:
    users = clinic.world.users
    for outsider in (clinic.contact_b, users["street_b_admin"], users["worker_a"], clinic.expert.user):
        with pytest.raises(PermissionDenied):
            svc.clinic_ask(actor=outsider, enterprise=clinic.world.enterprise_a, **CNC)  # type: ignore[arg-type]
    assert not ClinicQuestion.objects.exists()
    on_behalf = svc.clinic_ask(actor=clinic.dispatcher, enterprise=clinic.world.enterprise_a, **CNC)
    assert on_behalf.demand.created_by == clinic.dispatcher


def test_ask_validates_input(clinic: Clinic) -> None:
    with pytest.raises(DomainError) as exc:
        clinic.ask(title="  ")
    assert exc.value.field == "title"
    with pytest.raises(DomainError) as exc:
        svc.clinic_ask(actor=clinic.contact, enterprise=clinic.world.enterprise_a, urgency="panic", **CNC)
    assert exc.value.field == "urgency"
    assert not Demand.objects.exists()


# --- claim, assign, answer ------------------------------------------------------------------------


def test_expert_claims_an_open_question(clinic: Clinic) -> None:
    question = clinic.ask()
    assignment = svc.clinic_claim(question=question, actor=clinic.expert.user)  # type: ignore[arg-type]
    assert assignment.claimed and assignment.craftsman == clinic.expert
    question.refresh_from_db()
    assert (question.status, question.demand.status) == (S.ASSIGNED, Demand.Status.MATCHED)
    with pytest.raises(DomainError, match="已在解答"):
        svc.clinic_claim(question=question, actor=clinic.expert.user)  # type: ignore[arg-type]
    # A second expert may still join until an answer is accepted.
    svc.clinic_claim(question=question, actor=clinic.expert2.user)  # type: ignore[arg-type]
    assert question.assignments.count() == 2


def test_claim_refusals(clinic: Clinic) -> None:
    question = clinic.ask()
    for not_expert in (clinic.contact, clinic.dispatcher, clinic.world.users["worker_a"]):
        with pytest.raises(PermissionDenied):
            svc.clinic_claim(question=question, actor=not_expert)
    secret = clinic.ask(confidential=True)
    with pytest.raises(PermissionDenied, match="涉密"):
        svc.clinic_claim(question=secret, actor=clinic.expert.user)  # type: ignore[arg-type]
    # The asking enterprise is the expert's employer: a conflict of interest.
    Craftsman.objects.filter(pk=clinic.expert2.pk).update(enterprise=clinic.world.enterprise_a)
    with pytest.raises(DomainError, match="回避"):
        svc.clinic_claim(question=question, actor=clinic.expert2.user)  # type: ignore[arg-type]
    Craftsman.objects.filter(pk=clinic.expert.pk).update(available=False)
    with pytest.raises(DomainError, match="暂不接单"):
        svc.clinic_claim(question=question, actor=clinic.expert.user)  # type: ignore[arg-type]
    assert not question.assignments.exists()


@pytest.mark.parametrize(
    ("username", "allowed"),
    [
        ("street_a_reviewer", True),
        ("district_admin", True),
        ("enterprise_a_admin", True),
        ("superuser", True),
        ("district_viewer", False),  # view only
        ("street_b_admin", False),  # another subtree
        ("worker_a", False),
    ],
)
def test_who_may_assign(clinic: Clinic, username: str, allowed: bool) -> None:
    question = clinic.ask(confidential=True)
    actor = clinic.world.users[username]
    if not allowed:
        with pytest.raises(PermissionDenied):
            svc.clinic_assign(question=question, actor=actor, craftsman=clinic.expert)
        assert not question.assignments.exists() and not Dispatch.objects.exists()
        return
    assignment = svc.clinic_assign(question=question, actor=actor, craftsman=clinic.expert, shown_rank=2)
    assert not assignment.claimed and assignment.assigned_by == actor
    dispatch = Dispatch.objects.get()  # the dispatcher's choice is a labelled pair for the ranker
    assert (dispatch.craftsman, dispatch.shown_rank) == (clinic.expert, 2)


def test_contacts_and_experts_may_not_assign(clinic: Clinic) -> None:
    question = clinic.ask()
    for actor in (clinic.contact, clinic.expert.user):
        with pytest.raises(PermissionDenied):
            svc.clinic_assign(question=question, actor=actor, craftsman=clinic.expert)  # type: ignore[arg-type]


def test_assignment_texts_the_expert_after_commit(
    clinic: Clinic, sms_outbox: list[tuple[str, str]], django_capture_on_commit_callbacks
) -> None:
    question = clinic.ask(today=dt.date(2025, 6, 3))
    with django_capture_on_commit_callbacks(execute=True):
        svc.clinic_assign(question=question, actor=clinic.dispatcher, craftsman=clinic.expert)
    assert [phone for phone, _ in sms_outbox] == ["13900000031"]
    assert "06月06日" in sms_outbox[0][1] and "数控车床" in sms_outbox[0][1]


def test_only_an_assigned_expert_answers(clinic: Clinic) -> None:
    question = clinic.ask()
    with pytest.raises(PermissionDenied):  # nobody assigned yet
        svc.clinic_answer(question=question, actor=clinic.expert.user, text="答")  # type: ignore[arg-type]
    svc.clinic_assign(question=question, actor=clinic.dispatcher, craftsman=clinic.expert)
    for outsider in (clinic.expert2.user, clinic.contact, clinic.dispatcher):
        with pytest.raises(PermissionDenied):
            svc.clinic_answer(question=question, actor=outsider, text="答")  # type: ignore[arg-type]
    with pytest.raises(DomainError) as exc:
        svc.clinic_answer(question=question, actor=clinic.expert.user, text="  ")  # type: ignore[arg-type]
    assert exc.value.field == "text"
    answer = svc.clinic_answer(question=question, actor=clinic.expert.user, text="更换 X 轴动力线")  # type: ignore[arg-type]
    question.refresh_from_db()
    assert (question.status, question.demand.status) == (S.ANSWERED, Demand.Status.IN_SERVICE)
    assert answer.craftsman == clinic.expert and not answer.accepted
    with pytest.raises(DomainError, match="已解答过"):
        svc.clinic_answer(question=question, actor=clinic.expert.user, text="补充")  # type: ignore[arg-type]


def test_response_hours_from_assignment_or_posting(clinic: Clinic) -> None:
    now = timezone.now()
    dispatched = clinic.ask()
    assignment = svc.clinic_assign(question=dispatched, actor=clinic.dispatcher, craftsman=clinic.expert)
    Demand.objects.filter(pk=dispatched.demand_id).update(created_at=now - dt.timedelta(hours=30))
    type(assignment).objects.filter(pk=assignment.pk).update(assigned_at=now - dt.timedelta(hours=5))
    answer = svc.clinic_answer(question=dispatched, actor=clinic.expert.user, text="答")  # type: ignore[arg-type]
    assert answer.response_hours == Decimal("5.0")  # from the dispatch, not the posting

    claimed = clinic.ask()
    Demand.objects.filter(pk=claimed.demand_id).update(created_at=now - dt.timedelta(hours=26, minutes=15))
    svc.clinic_claim(question=claimed, actor=clinic.expert2.user)  # type: ignore[arg-type]
    answer2 = svc.clinic_answer(question=claimed, actor=clinic.expert2.user, text="答")  # type: ignore[arg-type]
    assert answer2.response_hours == Decimal("26.3")  # claimed: from the posting


def test_answer_texts_the_asker(
    clinic: Clinic, sms_outbox: list[tuple[str, str]], django_capture_on_commit_callbacks
) -> None:
    question = clinic.ask()
    svc.clinic_claim(question=question, actor=clinic.expert.user)  # type: ignore[arg-type]
    with django_capture_on_commit_callbacks(execute=True):
        svc.clinic_answer(question=question, actor=clinic.expert.user, text="答")  # type: ignore[arg-type]
    assert sms_outbox and sms_outbox[0][0] == "13900000021" and "钱卫国" in sms_outbox[0][1]


# --- accept and rate --------------------------------------------------------------------------------


def _answered(clinic: Clinic, *experts: Craftsman) -> ClinicQuestion:
    question = clinic.ask()
    for expert in experts or (clinic.expert,):
        svc.clinic_assign(question=question, actor=clinic.dispatcher, craftsman=expert)
        svc.clinic_answer(question=question, actor=expert.user, text=f"{expert.name}的解答")  # type: ignore[arg-type]
    question.refresh_from_db()
    return question


@pytest.mark.parametrize("rating", [0, 6, -1, True, "5", 4.5, None])
def test_rating_must_be_1_to_5(clinic: Clinic, rating: object) -> None:
    question = _answered(clinic)
    with pytest.raises(DomainError) as exc:
        svc.clinic_accept(
            question=question,
            actor=clinic.contact,
            answer=question.answers.get(),
            rating=rating,  # type: ignore[arg-type]
        )
    assert exc.value.field == "rating"
    question.refresh_from_db()
    assert question.status == S.ANSWERED and not question.answers.filter(accepted=True).exists()


def test_the_enterprise_accepts_one_answer_once(clinic: Clinic) -> None:
    question = _answered(clinic, clinic.expert, clinic.expert2)
    first, second = question.answers.order_by("pk")
    for outsider in (clinic.expert.user, clinic.dispatcher, clinic.contact_b):
        with pytest.raises(PermissionDenied):
            svc.clinic_accept(question=question, actor=outsider, answer=first, rating=5)  # type: ignore[arg-type]
    # A colleague (another contact of the asking enterprise) may accept.
    svc.clinic_accept(question=question, actor=clinic.colleague, answer=first, rating=4, comment="解决了")
    question.refresh_from_db()
    assert (question.status, question.rating, question.rating_comment) == (S.ACCEPTED, 4, "解决了")
    assert question.demand.status == Demand.Status.SOLVED
    with pytest.raises(DomainError, match="已采纳过"):
        svc.clinic_accept(question=question, actor=clinic.contact, answer=second, rating=5)
    assert list(question.answers.filter(accepted=True)) == [first]
    # The database keeps one accepted answer per question whatever the code does.
    with pytest.raises(IntegrityError), transaction.atomic():
        ClinicAnswer.objects.filter(pk=second.pk).update(accepted=True)


def test_accept_refuses_an_answer_of_another_question(clinic: Clinic) -> None:
    question = _answered(clinic)
    other = _answered(clinic)
    with pytest.raises(DomainError) as exc:
        svc.clinic_accept(question=question, actor=clinic.contact, answer=other.answers.get(), rating=5)
    assert exc.value.field == "answer"


def test_track_record_is_recomputed_from_answers(clinic: Clinic) -> None:
    """Expert 1 answers four questions (response hours 2, 5.5, 10, 30) and three of them are
    accepted with ratings 5, 4 and 2; expert 2 answers one of those too (12 h), not accepted.
    By hand: expert 1 — accepted 3, average (5 + 4 + 2) / 3 = 3.67, median (5.5 + 10) / 2 =
    7.75 → 7.8; expert 2 — accepted 0, no rating, median 12.0."""
    hours = [Decimal("2.0"), Decimal("5.5"), Decimal("10.0"), Decimal("30.0")]
    ratings = [5, 4, 2, None]
    questions = []
    for index, spent in enumerate(hours):
        experts = (clinic.expert, clinic.expert2) if index == 0 else (clinic.expert,)
        question = _answered(clinic, *experts)
        ClinicAnswer.objects.filter(question=question, craftsman=clinic.expert).update(response_hours=spent)
        ClinicAnswer.objects.filter(question=question, craftsman=clinic.expert2).update(response_hours=12)
        questions.append(question)
    for question, rating in zip(questions, ratings, strict=True):
        if rating is not None:
            answer = question.answers.get(craftsman=clinic.expert)
            svc.clinic_accept(question=question, actor=clinic.contact, answer=answer, rating=rating)
    svc.craftsman_track_record_recompute(craftsman_ids=[clinic.expert.pk, clinic.expert2.pk])
    one = Craftsman.objects.get(pk=clinic.expert.pk)
    assert (one.accepted_answers, one.rating_avg, one.rating_count, one.median_response_hours) == (
        3,
        Decimal("3.67"),
        3,
        Decimal("7.8"),
    )
    two = Craftsman.objects.get(pk=clinic.expert2.pk)
    assert (two.accepted_answers, two.rating_avg, two.rating_count, two.median_response_hours) == (
        0,
        None,
        0,
        Decimal("12.0"),
    )
    # Idempotent: a second run changes nothing.
    assert svc.craftsman_track_record_recompute(craftsman_ids=[clinic.expert.pk, clinic.expert2.pk]) == 0


def test_track_record_recompute_is_set_based(clinic: Clinic, django_assert_max_num_queries) -> None:
    others = [make_expert(org_unit=clinic.world.district, name=f"工匠{i}") for i in range(8)]
    ids = [clinic.expert.pk, clinic.expert2.pk, *[c.pk for c in others]]
    ClinicAnswer.objects.all().delete()
    Craftsman.objects.filter(pk__in=ids).update(accepted_answers=9)  # stale figures to reset
    with django_assert_max_num_queries(4):  # two reads, the rows, one bulk update
        assert svc.craftsman_track_record_recompute(craftsman_ids=ids) == len(ids)
    assert set(Craftsman.objects.filter(pk__in=ids).values_list("accepted_answers", flat=True)) == {0}


# --- reminders and overdue ---------------------------------------------------------------------------


def _remind(today: dt.date, capture) -> svc.ReminderRun:  # type: ignore[no-untyped-def]
    with capture(execute=True):
        return svc.clinic_send_reminders(today=today)


def test_reminders_go_out_once_a_day_from_the_day_before_the_deadline(
    clinic: Clinic, sms_outbox: list[tuple[str, str]], django_capture_on_commit_callbacks
) -> None:
    question = clinic.ask(today=dt.date(2025, 6, 2))  # Mon → due Thu 06-05
    assert question.first_answer_due == dt.date(2025, 6, 5)
    svc.clinic_assign(question=question, actor=clinic.dispatcher, craftsman=clinic.expert)
    unassigned = clinic.ask(today=dt.date(2025, 6, 2))
    capture = django_capture_on_commit_callbacks

    assert _remind(dt.date(2025, 6, 3), capture).questions == 0  # two working days left
    assert sms_outbox == []
    run = _remind(dt.date(2025, 6, 4), capture)  # the working day before the deadline
    assert (run.questions, run.messages) == (2, 1)  # the unassigned one has nobody to text
    assert [phone for phone, _ in sms_outbox] == ["13900000031"]
    assert "06月05日 到期" in sms_outbox[0][1]
    again = _remind(dt.date(2025, 6, 4), capture)  # rerun the same day: nothing new
    assert again.messages == 0 and len(sms_outbox) == 1
    assert _remind(dt.date(2025, 6, 5), capture).messages == 1  # due today
    assert _remind(dt.date(2025, 6, 7), capture).messages == 0  # Saturday: no texts
    assert not sel.is_overdue(question, dt.date(2025, 6, 5))
    assert sel.is_overdue(question, dt.date(2025, 6, 6)) and sel.is_overdue(unassigned, dt.date(2025, 6, 6))
    assert _remind(dt.date(2025, 6, 9), capture).messages == 1  # overdue
    assert "已超期" in sms_outbox[-1][1]
    assert len(sms_outbox) == 3
    assert SmsMessage.objects.filter(purpose="clinic_reminder").count() == 3
    question.refresh_from_db()
    assert question.reminded_at is not None
    # Once answered there is nothing to remind of, and it is no longer overdue.
    svc.clinic_answer(question=question, actor=clinic.expert.user, text="答")  # type: ignore[arg-type]
    question.refresh_from_db()
    assert _remind(dt.date(2025, 6, 10), capture).messages == 0
    assert not sel.is_overdue(question, dt.date(2025, 6, 10))


def test_reminder_day_follows_the_holiday_calendar(
    clinic: Clinic, sms_outbox: list[tuple[str, str]], django_capture_on_commit_callbacks
) -> None:
    question = clinic.ask(today=dt.date(2025, 9, 30))  # due Saturday 10-11 (调休 working day)
    svc.clinic_assign(question=question, actor=clinic.dispatcher, craftsman=clinic.expert)
    capture = django_capture_on_commit_callbacks
    assert _remind(dt.date(2025, 10, 8), capture).messages == 0  # holiday
    assert _remind(dt.date(2025, 10, 9), capture).messages == 0  # two working days left
    assert _remind(dt.date(2025, 10, 10), capture).messages == 1  # Friday before the make-up Saturday
    assert _remind(dt.date(2025, 10, 11), capture).messages == 1  # the make-up Saturday, due today


def test_reminders_command_and_task(
    clinic: Clinic, sms_outbox: list[tuple[str, str]], django_capture_on_commit_callbacks
) -> None:
    from io import StringIO

    from django.core.management import call_command

    from gonghui.assist.tasks_clinic import send_clinic_reminders

    question = clinic.ask(today=dt.date(2025, 6, 2))
    svc.clinic_assign(question=question, actor=clinic.dispatcher, craftsman=clinic.expert)
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("assist_clinic_reminders", "--date", "2025-06-04", stdout=out)
    assert "需提醒的问题 1 个，发送短信 1 条" in out.getvalue()
    with django_capture_on_commit_callbacks(execute=True):
        result = send_clinic_reminders.apply(kwargs={"today": "2025-06-04"}).get()
    assert result == {"questions": 1, "messages": 0}  # already sent today
    assert len(sms_outbox) == 1


# --- escalation and closing --------------------------------------------------------------------------


def test_escalation_to_a_challenge_creates_it_in_collection(clinic: Clinic) -> None:
    question = _answered(clinic)
    with pytest.raises(PermissionDenied):
        svc.clinic_escalate(question=question, actor=clinic.contact, to=E.CHALLENGE)
    with pytest.raises(DomainError) as exc:
        svc.clinic_escalate(question=question, actor=clinic.dispatcher, to="moon")
    assert exc.value.field == "to"
    moved = svc.clinic_escalate(
        question=question, actor=clinic.dispatcher, to=E.CHALLENGE, comment="需要联合攻关"
    )
    assert (moved.status, moved.escalated_to) == (S.ESCALATED, E.CHALLENGE)
    challenge = Challenge.objects.get()
    assert challenge.demand == question.demand and challenge.status == Challenge.Status.COLLECTING
    assert challenge.enterprise == clinic.world.enterprise_a and challenge.title == CNC["title"]
    assert ChallengeEvent.objects.filter(challenge=challenge, to_status=Challenge.Status.COLLECTING).exists()
    with pytest.raises(DomainError):
        svc.clinic_escalate(question=moved, actor=clinic.dispatcher, to=E.VISIT)


def test_escalation_to_a_visit_marks_the_demand_onsite(clinic: Clinic) -> None:
    question = clinic.ask()
    svc.clinic_escalate(question=question, actor=clinic.dispatcher, to=E.VISIT)
    question.refresh_from_db()
    assert question.demand.kind == "onsite" and question.demand.status == Demand.Status.IN_SERVICE
    assert not Challenge.objects.exists()


def test_closing_an_accepted_case_puts_it_in_the_knowledge_base(clinic: Clinic) -> None:
    question = clinic.ask(**PLC)
    drive(
        question,
        to=S.ACCEPTED,
        dispatcher=clinic.dispatcher,
        expert=clinic.expert2,
        answer_text="检查 RS485 总线两端终端电阻，屏蔽层单端接地，通讯线与动力线分槽敷设。",
    )
    assert not SearchEntry.objects.filter(kind="answer").exists()
    with pytest.raises(PermissionDenied):
        svc.clinic_close(question=question, actor=clinic.expert2.user)  # type: ignore[arg-type]
    closed = svc.clinic_close(question=question, actor=clinic.contact)
    assert closed.status == S.CLOSED and closed.in_knowledge_base and closed.closed_at is not None
    assert closed.demand.status == Demand.Status.SOLVED
    entry = SearchEntry.objects.get(kind="answer", object_id=question.pk)
    assert "终端" in entry.words
    found = sel.knowledge_search(user=clinic.contact_b, text="变频器通讯中断 终端电阻")
    assert [c.question_id for c in found] == [question.pk]
    assert "终端电阻" in found[0].answer and found[0].craftsman_name == "孙丽娟"
    assert found[0].reasons and found[0].reasons[0].startswith("相同关键词")
    with pytest.raises(DomainError):
        svc.clinic_close(question=closed, actor=clinic.contact)


def test_closing_without_an_accepted_answer_is_not_knowledge(clinic: Clinic) -> None:
    question = _answered(clinic)
    closed = svc.clinic_close(question=question, actor=clinic.dispatcher, comment="企业已自行解决")
    assert closed.status == S.CLOSED and not closed.in_knowledge_base
    assert closed.demand.status == Demand.Status.CLOSED
    assert not SearchEntry.objects.filter(kind="answer").exists()


def test_confidential_knowledge_stays_with_those_entitled(clinic: Clinic) -> None:
    question = clinic.ask(confidential=True, **PLC)
    drive(
        question, to=S.CLOSED, dispatcher=clinic.dispatcher, expert=clinic.expert2, answer_text="终端电阻接入"
    )
    text = "通讯中断 终端电阻"
    for entitled in (clinic.contact, clinic.colleague, clinic.expert2.user, clinic.dispatcher):
        assert [c.question_id for c in sel.knowledge_search(user=entitled, text=text)] == [question.pk]
    users = clinic.world.users
    for outsider in (clinic.contact_b, clinic.expert.user, users["street_b_admin"], users["nobody"]):
        assert sel.knowledge_search(user=outsider, text=text) == []


def test_suggested_experts_rank_the_matching_craftsman_first(clinic: Clinic) -> None:
    question = clinic.ask()
    suggested = sel.suggested_experts(question=question)
    assert suggested[0].craftsman_id == clinic.expert.pk and suggested[0].rank == 1
    assert suggested[0].reasons
    svc.clinic_assign(question=question, actor=clinic.dispatcher, craftsman=clinic.expert)
    assert clinic.expert.pk not in [s.craftsman_id for s in sel.suggested_experts(question=question)]


def test_demo_seeds_every_state_once(world: World) -> None:
    from io import StringIO

    from gonghui.assist.demo_clinic import STATUS_MIX, seed_clinic

    out = StringIO()
    created = seed_clinic(district=world.district, stdout=out)
    assert created == sum(n for _, n in STATUS_MIX) and "技术门诊" in out.getvalue()
    statuses = set(ClinicQuestion.objects.values_list("status", flat=True))
    assert statuses == set(S.values)
    assert set(ClinicQuestion.objects.exclude(escalated_to="").values_list("escalated_to", flat=True)) == set(
        E.values
    )
    assert (
        ClinicQuestion.objects.filter(in_knowledge_base=True).count()
        == SearchEntry.objects.filter(kind="answer").count()
        > 0
    )
    assert ClinicQuestion.objects.filter(demand__confidential=True).exists()
    today = timezone.localdate()
    assert any(sel.is_overdue(q, today) for q in ClinicQuestion.objects.all())
    assert Craftsman.objects.filter(accepted_answers__gt=0, median_response_hours__isnull=False).exists()
    assert Challenge.objects.count() == 1
    assert seed_clinic(district=world.district, stdout=out) == 0  # idempotent


def test_demo_uses_the_library_craftsmen_already_there(world: World) -> None:
    from io import StringIO

    from gonghui.assist.demo_clinic import seed_clinic

    existing = [
        make_expert(
            org_unit=world.district, name=f"库内工匠{i}", skills=["数控车床故障诊断"], equipment=["CK6150"]
        )
        for i in range(3)
    ]
    User.objects.create_user("craftsman")  # the demo login name is taken: another one is chosen
    seed_clinic(district=world.district, stdout=StringIO())
    assert not Craftsman.objects.exclude(pk__in=[c.pk for c in existing]).exists()
    assert all(c.user is not None for c in Craftsman.objects.all())
    assert ClinicAnswer.objects.values("craftsman").distinct().count() >= 1
