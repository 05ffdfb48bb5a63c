"""A demand's lifecycle after 派单 (``demands``): 开始服务, 确认已解决 and 关闭需求 — legal and
illegal transitions, who may take each step, capacity booked by a dispatch and freed when the
demand is solved or closed, audit rows, and the buttons of the demand page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import reverse

from gonghui.accounts.models import User
from gonghui.assist import clinic as clinic_svc
from gonghui.assist import demands as svc
from gonghui.assist import libraries, matching
from gonghui.assist.models import Craftsman, Demand, Dispatch
from gonghui.assist.tests.test_libraries import contact_of, post_demand
from gonghui.audit.models import AuditEntry
from gonghui.conftest import World
from gonghui.core.errors import DomainError, PermissionDenied

pytestmark = pytest.mark.django_db

S = Demand.Status
SPINDLE = "擅长数控车床主轴异响、主轴发热故障维修，熟悉FANUC系统。"


@pytest.fixture
def craftsmen(world: World) -> list[Craftsman]:
    """Three craftsmen of the district's library, each with 3 places a month."""
    admin = world.users["district_admin"]
    return [
        libraries.craftsman_create(
            actor=admin, org_unit=world.district, name=name, bio=SPINDLE, industry="C", monthly_capacity=3
        )
        for name in ("陈建国", "李春华", "王立新")
    ]


@pytest.fixture
def contact(world: World) -> User:
    return contact_of(world)


def _dispatch(world: World, demand: Demand, *craftsmen: Craftsman) -> None:
    for craftsman in craftsmen:
        matching.record_dispatch(demand=demand, craftsman=craftsman, actor=world.users["street_a_reviewer"])


def _booked(*craftsmen: Craftsman) -> list[int]:
    ids = [c.pk for c in craftsmen]
    booked = dict(Craftsman.objects.filter(pk__in=ids).values_list("pk", "open_requests"))
    return [booked[pk] for pk in ids]


def _state(demand: Demand, craftsmen: list[Craftsman]) -> dict[str, Any]:
    """Everything a refused step must leave as it was: the demand row, the bookings, the log."""
    return {
        "demand": model_to_dict(Demand.objects.get(pk=demand.pk)),
        "booked": _booked(*craftsmen),
        "audits": AuditEntry.objects.count(),
    }


# --- capacity ----------------------------------------------------------------------------------


def test_dispatch_books_a_place_of_the_craftsman(
    world: World, craftsmen: list[Craftsman], contact: User
) -> None:
    first, second, _ = craftsmen
    demand = post_demand(world, contact)
    _dispatch(world, demand, first)
    first.refresh_from_db()
    assert (first.open_requests, first.capacity_left) == (1, 2)
    assert _booked(second) == [0]  # only the dispatched craftsman is booked
    audit = AuditEntry.objects.get(action="assist.demand.dispatch")
    assert audit.after["open_requests"] == 1
    # A refused dispatch (the same craftsman again) books nothing.
    with pytest.raises(DomainError, match="已向"):
        _dispatch(world, demand, first)
    assert _booked(first) == [1]


def test_a_full_craftsman_may_be_overbooked_up_to_the_column_limit(
    world: World, craftsmen: list[Craftsman], contact: User
) -> None:
    first, second, _ = craftsmen
    Craftsman.objects.filter(pk=first.pk).update(open_requests=3)  # full: capacity_left 0
    Craftsman.objects.filter(pk=second.pk).update(open_requests=matching.MAX_OPEN_REQUESTS)
    _dispatch(world, post_demand(world, contact), first, second)
    first.refresh_from_db()
    assert (first.open_requests, first.capacity_left) == (4, 0)
    assert _booked(second) == [32767]  # capped, not an overflow error


def test_the_whole_path_frees_every_dispatched_craftsman(
    world: World, craftsmen: list[Craftsman], contact: User
) -> None:
    """open → matched → in_service → solved: both dispatched craftsmen get their place back; one
    of them had been corrected to 0 by hand meanwhile and stays at 0; the third is untouched."""
    first, second, bystander = craftsmen
    elsewhere = post_demand(world, contact, title="另一条需求")
    _dispatch(world, elsewhere, first, bystander)  # first: booked twice in all; bystander: once
    demand = post_demand(world, contact)
    assert demand.status == S.OPEN
    _dispatch(world, demand, first, second)
    demand.refresh_from_db()
    assert demand.status == S.MATCHED and _booked(first, second, bystander) == [2, 1, 1]
    started = svc.demand_start_service(demand=demand, actor=world.users["street_a_reviewer"])
    assert started.status == S.IN_SERVICE and Demand.objects.get(pk=demand.pk).status == S.IN_SERVICE
    assert _booked(first, second) == [2, 1]  # serving still holds the places
    Craftsman.objects.filter(pk=second.pk).update(open_requests=0)
    solved = svc.demand_mark_solved(demand=demand, actor=contact, note="  更换主轴轴承后异响消除  ")
    row = Demand.objects.get(pk=demand.pk)
    assert (row.status, row.resolution_note) == (S.SOLVED, "更换主轴轴承后异响消除")
    assert row.closed_at is not None and solved.closed_at == row.closed_at
    assert _booked(first, second, bystander) == [1, 0, 1]
    first.refresh_from_db()
    assert first.capacity_left == 2


@pytest.mark.parametrize("dispatched", [False, True], ids=["from_open", "from_matched"])
def test_close_with_a_reason(
    world: World, craftsmen: list[Craftsman], contact: User, dispatched: bool
) -> None:
    demand = post_demand(world, contact)
    if dispatched:
        _dispatch(world, demand, craftsmen[0], craftsmen[1])
        assert _booked(*craftsmen[:2]) == [1, 1]
    closed = svc.demand_close(demand=demand, actor=world.users["street_a_admin"], reason=" 企业已自行解决 ")
    row = Demand.objects.get(pk=demand.pk)
    assert closed.status == row.status == S.CLOSED
    assert row.resolution_note == "企业已自行解决" and row.closed_at is not None
    assert _booked(*craftsmen) == [0, 0, 0]
    audit = AuditEntry.objects.get(action="assist.demand.close")
    assert audit.before == {"status": S.MATCHED if dispatched else S.OPEN}
    assert audit.after["reason"] == "企业已自行解决"
    assert sorted(audit.after["freed_craftsmen"]) == (
        sorted([craftsmen[0].pk, craftsmen[1].pk]) if dispatched else []
    )


@pytest.mark.parametrize(
    ("reason", "message"), [("", "请填写关闭原因"), ("  \n ", "请填写关闭原因"), ("因" * 501, "500")]
)
def test_close_needs_a_reason(
    world: World, craftsmen: list[Craftsman], contact: User, reason: str, message: str
) -> None:
    demand = post_demand(world, contact)
    _dispatch(world, demand, craftsmen[0])
    before = _state(demand, craftsmen)
    with pytest.raises(DomainError) as caught:
        svc.demand_close(demand=demand, actor=contact, reason=reason)
    assert caught.value.field == "reason" and message in caught.value.message
    assert _state(demand, craftsmen) == before


def test_solve_note_is_optional_but_bounded(world: World, craftsmen: list[Craftsman], contact: User) -> None:
    demand = post_demand(world, contact)
    _dispatch(world, demand, craftsmen[0])
    before = _state(demand, craftsmen)
    with pytest.raises(DomainError) as caught:
        svc.demand_mark_solved(demand=demand, actor=contact, note="好" * 2001)
    assert caught.value.field == "note" and _state(demand, craftsmen) == before
    svc.demand_mark_solved(demand=demand, actor=contact, note="")
    row = Demand.objects.get(pk=demand.pk)
    assert (row.status, row.resolution_note, _booked(craftsmen[0])) == (S.SOLVED, "", [0])


# --- illegal transitions -----------------------------------------------------------------------


def _drive(world: World, demand: Demand, to: str, craftsman: Craftsman) -> None:
    """Bring a fresh demand to ``to`` through the services."""
    staff = world.users["street_a_reviewer"]
    if to == S.OPEN:
        return
    if to == S.CLOSED:
        svc.demand_close(demand=demand, actor=staff, reason="重复提交")
        return
    _dispatch(world, demand, craftsman)
    if to in (S.IN_SERVICE, S.SOLVED):
        svc.demand_start_service(demand=demand, actor=staff)
    if to == S.SOLVED:
        svc.demand_mark_solved(demand=demand, actor=staff, note="已解决")


START = "start"
SOLVE = "solve"
CLOSE = "close"


def _step(step: str) -> Callable[..., Demand]:
    return {
        START: lambda **kw: svc.demand_start_service(**kw),
        SOLVE: lambda **kw: svc.demand_mark_solved(note="再次确认", **kw),
        CLOSE: lambda **kw: svc.demand_close(reason="再次关闭", **kw),
    }[step]


@pytest.mark.parametrize(
    ("status", "step", "shown"),
    [
        (S.OPEN, START, "待对接"),
        (S.IN_SERVICE, START, "服务中"),
        (S.SOLVED, START, "已解决"),
        (S.CLOSED, START, "已关闭"),
        (S.OPEN, SOLVE, "待对接"),
        (S.SOLVED, SOLVE, "已解决"),
        (S.CLOSED, SOLVE, "已关闭"),
        (S.SOLVED, CLOSE, "已解决"),
        (S.CLOSED, CLOSE, "已关闭"),
    ],
)
def test_illegal_transitions_are_refused_and_change_nothing(
    world: World, craftsmen: list[Craftsman], contact: User, status: str, step: str, shown: str
) -> None:
    demand = post_demand(world, contact)
    _drive(world, demand, status, craftsmen[0])
    assert Demand.objects.get(pk=demand.pk).status == status
    before = _state(demand, craftsmen)
    with pytest.raises(DomainError) as caught:
        _step(step)(demand=demand, actor=world.users["district_admin"])
    assert caught.value.code == "demand_invalid"
    assert f"需求当前状态为“{shown}”" in caught.value.message
    assert _state(demand, craftsmen) == before


def test_a_solved_or_closed_demand_is_freed_only_once(
    world: World, craftsmen: list[Craftsman], contact: User
) -> None:
    """The capacity is freed on leaving the active states, not again on a refused retry."""
    other = post_demand(world, contact, title="仍在服务的需求")
    _dispatch(world, other, craftsmen[0])
    demand = post_demand(world, contact)
    _dispatch(world, demand, craftsmen[0])
    svc.demand_close(demand=demand, actor=contact, reason="不再需要")
    assert _booked(craftsmen[0]) == [1]  # the other demand's booking is kept
    for retry in (SOLVE, CLOSE):
        with pytest.raises(DomainError):
            _step(retry)(demand=demand, actor=contact)
    assert _booked(craftsmen[0]) == [1]


# --- who may take each step --------------------------------------------------------------------


@pytest.mark.parametrize("who", ["street_b_admin", "worker_a", "district_viewer", "nobody"])
@pytest.mark.parametrize("step", [START, SOLVE, CLOSE])
def test_outsiders_are_refused(
    world: World, craftsmen: list[Craftsman], contact: User, who: str, step: str
) -> None:
    """Another street's staff, a worker, a viewer (sees but does not act) and a user without
    roles change nothing."""
    demand = post_demand(world, contact)
    _dispatch(world, demand, craftsmen[0])
    before = _state(demand, craftsmen)
    with pytest.raises(PermissionDenied):
        _step(step)(demand=demand, actor=world.users[who])
    assert _state(demand, craftsmen) == before


def test_the_creating_contact_solves_and_closes_but_does_not_start_service(
    world: World, craftsmen: list[Craftsman], contact: User
) -> None:
    demand = post_demand(world, contact)
    _dispatch(world, demand, craftsmen[0])
    before = _state(demand, craftsmen)
    with pytest.raises(PermissionDenied):
        svc.demand_start_service(demand=demand, actor=contact)
    assert _state(demand, craftsmen) == before
    svc.demand_mark_solved(demand=demand, actor=contact, note="问题已解决")
    assert Demand.objects.get(pk=demand.pk).status == S.SOLVED
    another = post_demand(world, contact, title="第二条需求")
    svc.demand_close(demand=another, actor=contact, reason="重复提交")
    assert Demand.objects.get(pk=another.pk).status == S.CLOSED


def test_a_colleague_contact_who_did_not_post_it_is_refused(
    world: World, craftsmen: list[Craftsman], contact: User
) -> None:
    """Solving and closing belong to whoever posted the demand, not every contact of the enterprise."""
    demand = post_demand(world, contact)
    colleague = contact_of(world, username="contact_a2")
    for step in (SOLVE, CLOSE):
        with pytest.raises(PermissionDenied):
            _step(step)(demand=demand, actor=colleague)
    assert Demand.objects.get(pk=demand.pk).status == S.OPEN


def test_staff_of_the_union_and_above_may_take_every_step(
    world: World, craftsmen: list[Craftsman], contact: User
) -> None:
    """Review on the demand's union (the enterprise's own union) or any ancestor is enough."""
    demand = post_demand(world, contact)
    _dispatch(world, demand, craftsmen[0])
    svc.demand_start_service(demand=demand, actor=world.users["enterprise_a_admin"])
    svc.demand_mark_solved(demand=demand, actor=world.users["district_admin"], note="")
    assert Demand.objects.get(pk=demand.pk).status == S.SOLVED
    another = post_demand(world, contact, title="第二条需求")
    svc.demand_close(demand=another, actor=world.users["superuser"], reason="重复提交")
    assert Demand.objects.get(pk=another.pk).status == S.CLOSED


def test_audit_rows(world: World, craftsmen: list[Craftsman], contact: User) -> None:
    staff = world.users["street_a_reviewer"]
    demand = post_demand(world, contact)
    _dispatch(world, demand, craftsmen[0], craftsmen[1])
    svc.demand_start_service(demand=demand, actor=staff)
    svc.demand_mark_solved(demand=demand, actor=contact, note="振纹消除")
    start = AuditEntry.objects.get(action="assist.demand.start_service")
    assert (start.actor, start.target_id, start.org_unit_id) == (staff, str(demand.pk), demand.org_unit_id)
    assert (start.before, start.after) == ({"status": "matched"}, {"status": "in_service"})
    solve = AuditEntry.objects.get(action="assist.demand.solve")
    assert solve.actor == contact and solve.before == {"status": "in_service"}
    assert solve.after["status"] == "solved" and solve.after["note"] == "振纹消除"
    assert sorted(solve.after["freed_craftsmen"]) == sorted([craftsmen[0].pk, craftsmen[1].pk])


def test_a_clinic_question_demand_follows_its_question(
    world: World, craftsmen: list[Craftsman], contact: User
) -> None:
    """The clinic moves its demand itself: the lifecycle steps here refuse it, but an expert put
    on the question books a place like any dispatch, freed once when the clinic closes it."""
    question = clinic_svc.clinic_ask(
        actor=contact, enterprise=world.enterprise_a, title="主轴异响", description="CK6150 主轴高速异响"
    )
    dispatcher = world.users["street_a_reviewer"]
    clinic_svc.clinic_assign(question=question, actor=dispatcher, craftsman=craftsmen[0])
    demand = Demand.objects.get(pk=question.demand_id)
    assert demand.status == S.MATCHED and _booked(craftsmen[0]) == [1]
    before = _state(demand, craftsmen)
    for step in (START, SOLVE, CLOSE):
        with pytest.raises(DomainError, match="技术门诊"):
            _step(step)(demand=demand, actor=dispatcher)
    assert _state(demand, craftsmen) == before

    clinic_svc.clinic_close(question=question, actor=dispatcher, comment="企业自行解决")
    demand.refresh_from_db()
    assert demand.status == S.CLOSED and _booked(craftsmen[0]) == [0]
    assert Dispatch.objects.get(demand=demand).released_at is not None
    # Freed once: a second release finds nothing pending and leaves other bookings alone.
    Craftsman.objects.filter(pk=craftsmen[0].pk).update(open_requests=2)
    assert svc.release_capacity(demand) == [] and _booked(craftsmen[0]) == [2]


# --- the demand page ---------------------------------------------------------------------------


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _url(name: str, demand: Demand) -> str:
    return reverse(f"assist:{name}", args=[demand.pk])


def test_staff_start_and_solve_from_the_page(world: World, craftsmen: list[Craftsman], contact: User) -> None:
    demand = post_demand(world, contact)
    client = _client(world.users["street_a_reviewer"])
    page = client.get(demand.get_absolute_url()).content.decode()
    assert 'data-testid="do-start-service"' not in page and 'data-testid="do-solve"' not in page
    assert 'data-testid="do-close"' in page  # an open demand may be closed
    _dispatch(world, demand, craftsmen[0])
    page = client.get(demand.get_absolute_url()).content.decode()
    assert 'data-testid="do-start-service"' in page and 'data-testid="do-solve"' in page
    response = client.post(_url("demand_start_service", demand), follow=True)
    assert response.redirect_chain == [(demand.get_absolute_url(), 302)]
    page = response.content.decode()
    assert "已开始服务" in page and "服务中" in page
    assert Demand.objects.get(pk=demand.pk).status == S.IN_SERVICE
    assert 'data-testid="do-start-service"' not in page
    response = client.post(_url("demand_solve", demand), {"note": "更换轴承后正常"}, follow=True)
    page = response.content.decode()
    assert "已确认问题解决" in page and 'data-testid="resolution-note"' in page and "更换轴承后正常" in page
    assert 'data-testid="closed-at"' in page and 'data-testid="demand-actions"' not in page
    assert Demand.objects.get(pk=demand.pk).status == S.SOLVED
    assert _booked(craftsmen[0]) == [0]


def test_the_contact_closes_from_the_page_but_cannot_start(
    world: World, craftsmen: list[Craftsman], contact: User
) -> None:
    demand = post_demand(world, contact)
    _dispatch(world, demand, craftsmen[0])
    client = _client(contact)
    page = client.get(demand.get_absolute_url()).content.decode()
    assert 'data-testid="do-solve"' in page and 'data-testid="do-close"' in page
    assert 'data-testid="do-start-service"' not in page
    # Posting anyway: refused with the message, nothing changed.
    page = client.post(_url("demand_start_service", demand), follow=True).content.decode()
    assert "无权执行此操作" in page and Demand.objects.get(pk=demand.pk).status == S.MATCHED
    # A blank reason is refused with the service's message.
    page = client.post(_url("demand_close", demand), {"reason": "  "}, follow=True).content.decode()
    assert "请填写关闭原因" in page and Demand.objects.get(pk=demand.pk).status == S.MATCHED
    response = client.post(_url("demand_close", demand), {"reason": "设备已报废，不再需要"}, follow=True)
    page = response.content.decode()
    assert response.status_code == 200 and "需求已关闭" in page and "设备已报废，不再需要" in page
    row = Demand.objects.get(pk=demand.pk)
    assert (row.status, row.resolution_note) == (S.CLOSED, "设备已报废，不再需要")
    assert _booked(craftsmen[0]) == [0]


@pytest.mark.parametrize("name", ["demand_start_service", "demand_solve", "demand_close"])
def test_the_actions_are_404_for_who_cannot_see_the_demand(
    world: World, craftsmen: list[Craftsman], contact: User, name: str
) -> None:
    """Like 派单: another street's staff, a worker and a user without roles get 404 (missing and
    not-yours alike); a viewer who sees the demand is sent back with the refusal; GET is 405;
    anonymous users go to the login page."""
    demand = post_demand(world, contact)
    _dispatch(world, demand, craftsmen[0])
    before = _state(demand, craftsmen)
    form = {"note": "越权", "reason": "越权关闭"}
    for who in ("street_b_admin", "worker_a", "nobody"):
        client = _client(world.users[who])
        assert client.post(_url(name, demand), form).status_code == 404
        assert client.post(reverse(f"assist:{name}", args=[987654]), form).status_code == 404
    viewer = _client(world.users["district_viewer"])
    response = viewer.post(_url(name, demand), form, follow=True)
    assert response.redirect_chain == [(demand.get_absolute_url(), 302)]
    assert "无权执行此操作" in response.content.decode()
    assert _client(world.users["street_a_reviewer"]).get(_url(name, demand)).status_code == 405
    anonymous = Client().post(_url(name, demand), form)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    assert _state(demand, craftsmen) == before


def test_a_clinic_demand_page_links_to_its_question(world: World, contact: User) -> None:
    question = clinic_svc.clinic_ask(
        actor=contact, enterprise=world.enterprise_a, title="主轴异响", description="CK6150 主轴高速异响"
    )
    page = _client(contact).get(reverse("assist:demand_detail", args=[question.demand_id])).content.decode()
    assert 'data-testid="clinic-link"' in page and reverse("assist:clinic_detail", args=[question.pk]) in page
    assert 'data-testid="demand-actions"' not in page
