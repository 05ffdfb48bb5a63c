"""Group enrolment (集体参保) by form: /mutual-aid/enrolments/new/.

The page's dates are today's, so each test sets the 2026 plan's window explicitly (open:
2000..2100, closed: the year 2000). Fees from the policy: selfpay 36, critical 60, female 20
(女职工 only).
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from gonghui.audit.models import AuditEntry
from gonghui.conftest import PASSWORD, World
from gonghui.core.errors import DomainError
from gonghui.members.factories import build_member, save_members, zh_faker
from gonghui.members.models import Member
from gonghui.members.services import member_leave
from gonghui.mutual_aid import errors, selectors
from gonghui.mutual_aid.models import Enrolment, Plan
from gonghui.mutual_aid.plans import enrolment_create_group, plan_create
from gonghui.mutual_aid.tests.conftest import POLICY

pytestmark = pytest.mark.django_db
URL = "/mutual-aid/enrolments/new/"
SELFPAY = "住院和规定病种门诊自负医疗费互助"
CRITICAL = "重大疾病和住院生活补助互助"


def set_window(plan: Plan, *, open_: bool) -> None:
    plan.enrol_opens = dt.date(2000, 1, 1)
    plan.enrol_closes = dt.date(2100, 12, 31) if open_ else dt.date(2000, 12, 31)
    plan.save(update_fields=["enrol_opens", "enrol_closes"])


def login(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def enrol(member: Member, plan: Plan, item: str) -> Enrolment:
    return Enrolment.objects.create(
        plan=plan,
        member=member,
        item=item,
        start_date=dt.date(plan.year, 1, 1),
        fee=Decimal("36"),
        org_unit=member.org_unit,
    )


def offered(response: Any) -> set[int]:
    """Member ids the page offers as checkboxes."""
    page = response.context["page"]
    return {c.member.pk for c in page.candidates} if page else set()


def post(
    client: Client, plan: Plan, members: list[Any], items: list[str], follow: bool = False, **extra: Any
) -> Any:
    return client.post(URL, {"plan": plan.pk, "items": items, "members": members, **extra}, follow=follow)


def last_year_plan(world: World) -> Plan:
    return plan_create(
        actor=None, org_unit=world.district, policy_yaml=POLICY.replace("year: 2026", "year: 2025")
    )


def test_url_name() -> None:
    assert reverse("mutual_aid:enrolment_form") == URL


def test_enterprise_admin_enrols_two_of_their_members_in_two_items(world: World, plan: Plan) -> None:
    set_window(plan, open_=True)
    a0, a1, a2 = world.members_a
    enrol(a0, last_year_plan(world), "selfpay")  # a0 renews selfpay, joins critical
    client = login("enterprise_a_admin")
    page = client.get(URL, {"plan": plan.pk, "items": ["selfpay", "critical"]})
    assert page.status_code == 200
    # Only enterprise A's union: not B's members, not the flexible worker at community A.
    assert offered(page) == {a0.pk, a1.pk, a2.pk}
    body = page.content.decode()
    assert body.count('data-testid="member-checkbox"') == 3
    assert all(m.name not in body for m in world.members_b) and world.flexible_a.name not in body
    assert 'data-testid="enrolment-form"' in body and 'data-testid="enrolment-submit"' in body
    assert "36 元/人" in body and "60 元/人" in body and "每人互助金 96 元" in body
    marks = {c.member.pk: (c.renewal, c.first) for c in page.context["page"].candidates}
    assert marks[a0.pk] == ((SELFPAY,), (CRITICAL,)) and marks[a1.pk] == ((), (SELFPAY, CRITICAL))
    assert f"续保：{SELFPAY}；首次参保：{CRITICAL}" in body

    response = post(client, plan, [a0.pk, a1.pk], ["critical", "selfpay"], follow=True)
    assert response.redirect_chain == [(reverse("mutual_aid:enrolment_list"), 302)]
    assert [str(m) for m in response.context["messages"]] == [
        "已为 2 名会员办理参保，共 4 项，互助金合计 192.00 元"
    ]
    rows = {
        (e.member_id, e.item): (e.fee, e.renewal, e.start_date, e.org_unit_id, e.created_by)
        for e in Enrolment.objects.filter(plan=plan)
    }
    admin = world.users["enterprise_a_admin"]
    unit = world.unit_a().pk
    jan1 = dt.date(2026, 1, 1)
    assert rows == {
        (a0.pk, "selfpay"): (Decimal("36.00"), True, jan1, unit, admin),
        (a0.pk, "critical"): (Decimal("60.00"), False, jan1, unit, admin),
        (a1.pk, "selfpay"): (Decimal("36.00"), False, jan1, unit, admin),
        (a1.pk, "critical"): (Decimal("60.00"), False, jan1, unit, admin),
    }
    entry = AuditEntry.objects.get(action="mutual_aid.enrol")
    assert entry.actor == admin and entry.target_id == str(plan.pk)
    assert entry.after == {
        "members": 2,
        "items": ["selfpay", "critical"],
        "enrolments": 4,
        "fees": "192.00",
        "outside_window": False,
    }
    # Enrolled members are no longer offered for those items; a2 still is.
    again = client.get(URL, {"plan": plan.pk, "items": ["selfpay", "critical"]})
    assert offered(again) == {a2.pk}


def test_start_date_is_kept_and_must_fall_in_the_plan_year(world: World, plan: Plan) -> None:
    set_window(plan, open_=True)
    a0 = world.members_a[0]
    client = login("enterprise_a_admin")
    wrong = post(client, plan, [a0.pk], ["selfpay"], start_date="2027-03-01")
    assert wrong.status_code == 200
    assert wrong.context["form"].errors["start_date"] == ["保障开始日期应在计划年度 2026 年内"]
    assert 'data-testid="error-start_date"' in wrong.content.decode() and not Enrolment.objects.exists()
    assert post(client, plan, [a0.pk], ["selfpay"], start_date="2026-03-01").status_code == 302
    assert Enrolment.objects.get(member=a0).start_date == dt.date(2026, 3, 1)


def test_members_enrolled_in_any_chosen_item_or_not_eligible_are_not_offered(
    world: World, plan: Plan
) -> None:
    set_window(plan, open_=True)
    a0, a1, a2 = world.members_a
    enrol(a0, plan, "critical")
    cancelled = enrol(a1, plan, "selfpay")
    cancelled.cancelled_at = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
    cancelled.save(update_fields=["cancelled_at"])
    member_leave(actor=world.users["district_admin"], member=a2, on_date=dt.date(2025, 6, 1))
    client = login("street_a_admin")
    in_a = {world.flexible_a.pk, a1.pk}  # a2 has left; a1's selfpay was cancelled
    assert offered(client.get(URL, {"plan": plan.pk, "items": "selfpay"})) == in_a | {a0.pk}
    assert offered(client.get(URL, {"plan": plan.pk, "items": ["selfpay", "critical"]})) == in_a
    assert offered(client.get(URL, {"plan": plan.pk, "items": "critical"})) == in_a
    women = {m.pk for m in (a0, a1, world.flexible_a) if m.sex == "F"}
    assert offered(client.get(URL, {"plan": plan.pk, "items": "female"})) == women
    # Posting an already-enrolled member anyway: refused on the field, nothing written.
    refused = post(client, plan, [a0.pk, a1.pk], ["selfpay", "critical"])
    assert refused.status_code == 200 and refused.context["form"].errors["members"]
    assert Enrolment.objects.filter(cancelled_at__isnull=True).count() == 1
    # So is a leaver.
    assert post(client, plan, [a2.pk], ["critical"]).context["form"].errors["members"]
    assert not AuditEntry.objects.filter(action="mutual_aid.enrol").exists()


def test_first_visit_ticks_the_items_open_to_everyone_and_search_narrows(world: World, plan: Plan) -> None:
    set_window(plan, open_=True)
    client = login("street_a_admin")
    first = client.get(URL)
    assert first.status_code == 200
    assert [i.code for i in first.context["chosen"]] == ["selfpay", "critical"]  # not 女职工 only
    assert offered(first) == {*(m.pk for m in world.members_a), world.flexible_a.pk}
    a1 = world.members_a[1]
    by_name = client.get(URL, {"plan": plan.pk, "items": "selfpay", "q": a1.name})
    assert offered(by_name) == {m.pk for m in world.members_a if a1.name in m.name}
    by_id = client.get(URL, {"plan": plan.pk, "items": "selfpay", "q": a1.id_number})
    assert offered(by_id) == {a1.pk}
    nothing = client.get(URL, {"plan": plan.pk, "items": "selfpay", "q": world.members_b[0].id_number})
    assert offered(nothing) == set() and 'data-testid="no-candidates"' in nothing.content.decode()


def test_candidate_page_is_capped_and_says_so(world: World, plan: Plan) -> None:
    user = world.users["street_a_admin"]
    page = selectors.enrolment_candidate_page(user=user, plan=plan, items=["selfpay"], limit=2)
    assert len(page.candidates) == 2 and page.truncated
    whole = selectors.enrolment_candidate_page(user=user, plan=plan, items=["selfpay"], limit=4)
    assert len(whole.candidates) == 4 and not whole.truncated
    assert selectors.enrolment_candidate_page(user=user, plan=plan, items=["dental"]).candidates == []


def test_members_the_user_may_not_manage_are_refused_on_the_field(world: World, plan: Plan) -> None:
    set_window(plan, open_=True)
    client = login("enterprise_a_admin")
    a0, b0 = world.members_a[0], world.members_b[0]
    messages = {}
    for label, ids in {
        "other enterprise": [a0.pk, b0.pk],
        "missing": [987654],
        "flexible worker outside the enterprise": [world.flexible_a.pk],
    }.items():
        response = post(client, plan, ids, ["selfpay"])
        assert response.status_code == 200, label
        messages[label] = response.context["form"].errors["members"]
        assert 'data-testid="error-members"' in response.content.decode()
    # "Not yours" reads exactly like "does not exist".
    assert (
        messages["other enterprise"]
        == messages["missing"]
        == messages["flexible worker outside the enterprise"]
    )
    garbage = post(client, plan, ["abc"], ["selfpay"])
    assert garbage.status_code == 200 and garbage.context["form"].errors["members"] == [
        "所选会员无效，请刷新名单后重新选择"
    ]
    other_plan = plan_create(actor=None, org_unit=world.street_b, policy_yaml=POLICY)
    wrong_plan = post(client, other_plan, [a0.pk], ["selfpay"])
    assert wrong_plan.status_code == 200 and wrong_plan.context["form"].errors["plan"]
    unknown_item = post(client, plan, [a0.pk], ["dental"])
    assert unknown_item.status_code == 200 and unknown_item.context["form"].errors["items"]
    assert (
        not Enrolment.objects.exists() and not AuditEntry.objects.filter(action="mutual_aid.enrol").exists()
    )


def test_no_member_or_no_item_gives_field_errors(world: World, plan: Plan) -> None:
    set_window(plan, open_=True)
    client = login("enterprise_a_admin")
    no_member = post(client, plan, [], ["selfpay"])
    assert no_member.status_code == 200
    assert no_member.context["form"].errors == {"members": ["请至少勾选一名会员"]}
    assert 'data-testid="error-members"' in no_member.content.decode()
    no_item = post(client, plan, [world.members_a[0].pk], [])
    assert no_item.context["form"].errors == {"items": ["请至少勾选一个互助项目"]}
    assert 'data-testid="error-items"' in no_item.content.decode()
    # The ticked member stays ticked for the next try.
    assert no_item.context["ticked"] == {str(world.members_a[0].pk)}
    assert not Enrolment.objects.exists()


def test_outside_the_window_only_the_plans_admins_may_enrol_late(world: World, plan: Plan) -> None:
    set_window(plan, open_=False)
    a0, a1 = world.members_a[:2]
    street = login("street_a_admin")
    page = street.get(URL, {"plan": plan.pk, "items": "selfpay"})
    body = page.content.decode()
    assert 'data-testid="window-closed"' in body and "2000-01-01 至 2000-12-31" in body
    assert 'data-testid="outside-window"' not in body
    refused = post(street, plan, [a0.pk], ["selfpay"])
    assert refused.status_code == 200
    assert refused.context["form"].errors["start_date"] == ["参保窗口为 2000-01-01 至 2000-12-31"]
    forged = post(street, plan, [a0.pk], ["selfpay"], outside_window="on")
    assert forged.context["form"].errors["outside_window"] == [
        f"窗口外补录仅限{world.district.name}的管理员办理"
    ]
    assert not Enrolment.objects.exists()

    district = login("district_admin")
    assert (
        'data-testid="outside-window"'
        in district.get(URL, {"plan": plan.pk, "items": "selfpay"}).content.decode()
    )
    unticked = post(district, plan, [a0.pk], ["selfpay"])
    assert unticked.context["form"].errors["start_date"] and not Enrolment.objects.exists()
    late = post(district, plan, [a0.pk, a1.pk], ["selfpay"], outside_window="on")
    assert late.status_code == 302 and late["Location"] == reverse("mutual_aid:enrolment_list")
    assert set(Enrolment.objects.values_list("member_id", flat=True)) == {a0.pk, a1.pk}
    assert AuditEntry.objects.get(action="mutual_aid.enrol").after["outside_window"] is True


@pytest.mark.parametrize("username", ["worker_a", "nobody", "district_viewer", "street_a_reviewer"])
def test_users_who_may_not_manage_members_get_404(world: World, plan: Plan, username: str) -> None:
    set_window(plan, open_=True)
    client = login(username)
    assert client.get(URL).status_code == 404
    assert post(client, plan, [world.members_a[0].pk], ["selfpay"]).status_code == 404
    assert not Enrolment.objects.exists()


def test_anonymous_is_sent_to_login(world: World, plan: Plan) -> None:
    response = Client().get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")


def test_dashboard_and_list_link_to_the_form(world: World, plan: Plan) -> None:
    admin = login("district_admin")
    assert f'href="{URL}"' in admin.get("/mutual-aid/").content.decode()
    assert f'href="{URL}"' in admin.get("/mutual-aid/enrolments/").content.decode()
    assert f'href="{URL}"' not in login("district_viewer").get("/mutual-aid/").content.decode()


def test_service_refuses_members_outside_the_plans_union(world: World) -> None:
    street_plan = plan_create(actor=None, org_unit=world.street_b, policy_yaml=POLICY)
    set_window(street_plan, open_=True)
    # The page offers only members under the plan's union, even to a district admin.
    page = login("district_admin").get(URL, {"plan": street_plan.pk, "items": "selfpay"})
    assert offered(page) == {m.pk for m in world.members_b}
    with pytest.raises(DomainError) as exc:
        enrolment_create_group(
            actor=world.users["district_admin"],
            plan=street_plan,
            members=[world.members_a[0]],
            items=["selfpay"],
            today=dt.date(2025, 11, 1),
        )
    assert exc.value.code == errors.MEMBER_OUTSIDE_PLAN and exc.value.field == "members"
    assert not Enrolment.objects.exists()


def test_page_queries_do_not_grow_with_members(world: World, plan: Plan) -> None:
    set_window(plan, open_=True)
    client = login("district_admin")
    params = {"plan": plan.pk, "items": ["selfpay", "critical"]}

    def measure() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(URL, params)
        assert response.status_code == 200
        return len(ctx.captured_queries), len(offered(response))

    small, few = measure()
    rng, fake = random.Random(3), zh_faker(3)
    extra = save_members(
        [build_member(rng, fake, org_unit=world.unit_b(), employer=world.enterprise_b) for _ in range(12)]
    )
    last_year = last_year_plan(world)
    for member in extra[:6]:
        enrol(member, last_year, "selfpay")
    large, many = measure()
    assert many == few + 12
    assert large <= small, (small, large)


def test_enrolling_queries_do_not_grow_with_members(world: World, plan: Plan) -> None:
    set_window(plan, open_=True)
    client = login("district_admin")
    last_year = last_year_plan(world)
    for member in [*world.members_a, *world.members_b]:
        enrol(member, last_year, "selfpay")

    def measure(members: list[Member]) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert post(client, plan, [m.pk for m in members], ["selfpay"]).status_code == 302
        return len(ctx.captured_queries)

    one = measure(world.members_a[:1])
    six = measure([*world.members_a[1:], *world.members_b, world.flexible_a])
    assert Enrolment.objects.filter(plan=plan).count() == 7
    assert Enrolment.objects.filter(plan=plan, renewal=True).count() == 6  # the flexible worker is new
    assert six <= one, (one, six)
