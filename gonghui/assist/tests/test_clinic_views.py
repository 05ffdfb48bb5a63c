"""Technical clinic pages: who sees which question (confidential ones included), the list by
role with its query-count guard, asking with photos on the phone form, the actions from the
question page and the knowledge base search."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from gonghui.accounts.models import User
from gonghui.assist import clinic as svc
from gonghui.assist.demo_clinic import drive, make_contact
from gonghui.assist.models import ClinicQuestion, DemandPhoto
from gonghui.assist.tests.test_clinic import CNC, PLC, Clinic, build_clinic
from gonghui.conftest import World

S = ClinicQuestion.Status
pytestmark = pytest.mark.django_db
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def clinic(world: World) -> Clinic:
    return build_clinic(world)


def _client(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _user(clinic: Clinic, who: str) -> User:
    named = {
        "contact": clinic.contact,
        "colleague": clinic.colleague,
        "contact_b": clinic.contact_b,
        "expert": clinic.expert.user,
        "assigned_expert": clinic.expert2.user,
    }
    return named.get(who) or clinic.world.users[who]  # type: ignore[return-value]


# Who sees an open public question and an open confidential one (expert2 is assigned to both).
MATRIX = [
    ("contact", True, True),
    ("colleague", True, True),
    ("assigned_expert", True, True),
    ("expert", True, False),  # may claim public questions; confidential ones are not shown
    ("street_a_reviewer", True, True),
    ("district_viewer", True, True),
    ("enterprise_a_admin", True, True),
    ("superuser", True, True),
    ("contact_b", False, False),
    ("street_b_admin", False, False),
    ("worker_a", False, False),
    ("nobody", False, False),
]


@pytest.mark.parametrize(("who", "sees_public", "sees_secret"), MATRIX)
def test_question_scoping(clinic: Clinic, who: str, sees_public: bool, sees_secret: bool) -> None:
    public = clinic.ask()
    secret = clinic.ask(confidential=True, title="涉密工艺参数异常")
    for question in (public, secret):
        svc.clinic_assign(question=question, actor=clinic.dispatcher, craftsman=clinic.expert2)
    client = _client(_user(clinic, who))
    for question, visible in ((public, sees_public), (secret, sees_secret)):
        response = client.get(reverse("assist:clinic_detail", args=[question.pk]))
        assert response.status_code == (200 if visible else 404), question.demand.title
    listed = client.get(reverse("assist:clinic_list")).content.decode()
    assert ("涉密工艺参数异常" in listed) == sees_secret
    assert (CNC["title"] in listed) == sees_public


@pytest.mark.parametrize("who", ["contact_b", "street_b_admin", "nobody"])
def test_actions_on_an_invisible_question_are_404_and_change_nothing(clinic: Clinic, who: str) -> None:
    question = clinic.ask(confidential=True)
    client = _client(_user(clinic, who))
    for action in ("claim", "assign", "close", "escalate"):
        response = client.post(reverse("assist:clinic_action", args=[question.pk, action]), {"to": "visit"})
        assert response.status_code == 404
    question.refresh_from_db()
    assert question.status == S.OPEN and not question.assignments.exists()


def test_anonymous_is_sent_to_login(clinic: Clinic) -> None:
    question = clinic.ask()
    for url in (
        reverse("assist:clinic_list"),
        reverse("assist:clinic_detail", args=[question.pk]),
        reverse("assist:clinic_knowledge"),
    ):
        assert _client(None).get(url).status_code == 302


def test_staff_queue_flags_overdue_and_filters(clinic: Clinic) -> None:
    late = clinic.ask(today=dt.date(2025, 6, 2), title="早已超期的问题")
    clinic.ask(title="刚提的问题")
    client = _client(clinic.dispatcher)
    page = client.get(reverse("assist:clinic_list")).content.decode()
    assert f"{late.first_answer_due:%Y-%m-%d}（已超期）" in page
    assert 'data-testid="overdue-count"' in page
    overdue = client.get(reverse("assist:clinic_list"), {"overdue": "true"}).content.decode()
    assert "早已超期的问题" in overdue and "刚提的问题" not in overdue
    export = client.get(reverse("assist:clinic_list"), {"export": "xlsx"})
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxml")


def test_expert_home_lists_open_and_own_questions(clinic: Clinic) -> None:
    mine = clinic.ask(title="我认领的问题")
    svc.clinic_claim(question=mine, actor=clinic.expert.user)  # type: ignore[arg-type]
    clinic.ask(title="可以认领的问题")
    clinic.ask(title="涉密的问题", confidential=True)
    page = _client(clinic.expert.user).get(reverse("assist:clinic_list")).content.decode()
    own = page.split('data-testid="my-questions"')[1].split('data-testid="open-questions"')[0]
    open_ = page.split('data-testid="open-questions"')[1]
    assert "我认领的问题" in own and "可以认领的问题" not in own
    assert "可以认领的问题" in open_ and "我认领的问题" not in open_ and "涉密的问题" not in page


def _count_list_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("assist:clinic_list"))
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("who", ["street_a_reviewer", "expert", "contact"])
def test_clinic_list_queries_do_not_grow_with_rows(clinic: Clinic, who: str) -> None:
    def add(n: int) -> None:
        for i in range(n):
            question = clinic.ask(title=f"问题 {ClinicQuestion.objects.count()} {i}")
            if i % 2:
                svc.clinic_assign(question=question, actor=clinic.dispatcher, craftsman=clinic.expert2)
                svc.clinic_answer(question=question, actor=clinic.expert2.user, text="答")  # type: ignore[arg-type]
            if who == "expert" and i % 3 == 0:
                svc.clinic_claim(question=question, actor=clinic.expert.user)  # type: ignore[arg-type]

    client = _client(_user(clinic, who))
    add(2)
    few = _count_list_queries(client)
    add(10)
    assert _count_list_queries(client) == few


def test_contact_asks_with_a_photo_and_sees_suggestions(clinic: Clinic) -> None:
    solved = clinic.ask(**PLC)
    drive(
        solved,
        to=S.CLOSED,
        dispatcher=clinic.dispatcher,
        expert=clinic.expert2,
        answer_text="检查 RS485 终端电阻和屏蔽层接地。",
    )
    client = _client(clinic.contact)
    form = client.get(reverse("assist:clinic_ask")).content.decode()
    assert 'type="hidden" name="enterprise"' in form  # one enterprise: nothing to choose
    similar = client.get(
        reverse("assist:clinic_similar"), {"title": "变频器通讯中断", "description": "Modbus"}
    )
    assert PLC["title"] in similar.content.decode()
    response = client.post(
        reverse("assist:clinic_ask"),
        {
            "enterprise": clinic.world.enterprise_a.pk,
            "title": "变频器通讯经常中断",
            "description": "S7-1200 控制的变频器通讯中断",
            "equipment_model": "S7-1200",
            "kind": "breakthrough",
            "urgency": "high",
            "photos": [SimpleUploadedFile("fault.png", PNG, content_type="image/png")],
        },
    )
    question = ClinicQuestion.objects.exclude(pk=solved.pk).get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "assist:clinic_detail", args=[question.pk]
    )
    assert question.demand.urgency == "high" and question.demand.photos.count() == 1
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="similar-cases"' in page and PLC["title"] in page
    assert 'data-testid="suggested-experts"' in page and "孙丽娟" in page
    photo = DemandPhoto.objects.get()
    assert client.get(reverse("assist:clinic_photo", args=[photo.pk])).status_code == 200
    assert _client(clinic.contact_b).get(reverse("assist:clinic_photo", args=[photo.pk])).status_code == 404


def test_ask_rejects_a_file_that_is_not_a_photo(clinic: Clinic) -> None:
    response = _client(clinic.contact).post(
        reverse("assist:clinic_ask"),
        {
            "title": "问题",
            "description": "描述",
            "kind": "breakthrough",
            "urgency": "normal",
            "enterprise": clinic.world.enterprise_a.pk,
            "photos": [SimpleUploadedFile("virus.exe", b"MZ", content_type="application/octet-stream")],
        },
    )
    assert response.status_code == 200 and "exe" in response.content.decode()
    assert not ClinicQuestion.objects.exists()


def test_only_enterprise_contacts_get_the_ask_form(clinic: Clinic) -> None:
    assert _client(clinic.expert.user).get(reverse("assist:clinic_ask")).status_code == 404
    contact_of_two = make_contact(enterprise=clinic.world.enterprise_b, username="group_contact")
    from gonghui.accounts.models import Role, RoleGrant

    RoleGrant.objects.create(
        user=contact_of_two, role=Role.ENTERPRISE_CONTACT, org_unit=clinic.world.unit_a()
    )
    form = _client(contact_of_two).get(reverse("assist:clinic_ask")).content.decode()
    assert '<select name="enterprise"' in form  # two enterprises: the contact picks one


def test_whole_flow_through_the_pages(clinic: Clinic) -> None:
    question = clinic.ask(**PLC)
    url = lambda action: reverse("assist:clinic_action", args=[question.pk, action])  # noqa: E731
    detail = reverse("assist:clinic_detail", args=[question.pk])
    expert = _client(clinic.expert2.user)
    page = expert.get(detail).content.decode()
    assert 'data-testid="do-claim"' in page and 'data-testid="do-answer"' not in page
    expert.post(url("claim"))
    page = expert.get(detail).content.decode()
    assert 'data-testid="do-answer"' in page
    expert.post(url("answer"), {"text": "终端电阻两端都要接入。"})
    dispatcher = _client(clinic.dispatcher)
    page = dispatcher.get(detail).content.decode()
    assert 'data-testid="do-assign"' in page and 'data-testid="do-escalate"' in page
    dispatcher.post(url("assign"), {"craftsman": clinic.expert.pk})
    contact = _client(clinic.contact)
    answer = question.answers.get()
    bad = contact.post(url("accept"), {"answer": answer.pk, "rating": "9"}, follow=True)
    assert "评分" in bad.content.decode()
    contact.post(url("accept"), {"answer": answer.pk, "rating": "4", "rating_comment": "有效"})
    contact.post(url("close"))
    question.refresh_from_db()
    assert (question.status, question.rating, question.in_knowledge_base) == (S.CLOSED, 4, True)
    assert question.assignments.count() == 2
    knowledge = _client(clinic.contact_b).get(reverse("assist:clinic_knowledge"), {"q": "终端电阻"})
    assert PLC["title"] in knowledge.content.decode()
    latest = _client(clinic.world.users["worker_a"]).get(reverse("assist:clinic_knowledge"))
    assert PLC["title"] in latest.content.decode()


def test_refused_action_shows_the_reason(clinic: Clinic) -> None:
    question = clinic.ask()
    response = _client(clinic.contact).post(
        reverse("assist:clinic_action", args=[question.pk, "escalate"]), {"to": "visit"}, follow=True
    )
    assert "无权" in response.content.decode()
    question.refresh_from_db()
    assert question.status == S.OPEN
    unknown = _client(clinic.dispatcher).post(reverse("assist:clinic_action", args=[question.pk, "teleport"]))
    assert unknown.status_code == 404
