"""集体参保 by form, as an enterprise union's staff use it: on the desk they pick the plan and
items, tick members and enrol them; on a phone the same page fits the screen and the members
just enrolled are no longer offered."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from gonghui.conftest import World
from gonghui.mutual_aid.models import Enrolment
from gonghui.mutual_aid.plans import plan_create
from gonghui.mutual_aid.tests.conftest import POLICY
from tests.browser.pages import PageFactory, has_horizontal_overflow, screenshot, sign_in

pytestmark = pytest.mark.browser


def test_enterprise_union_enrols_members_by_form(
    live_world: World, base_url: str, open_page: PageFactory
) -> None:
    today = timezone.localdate()
    policy, found = re.subn(r"(?m)^year: 2026$", f"year: {today.year}", POLICY)
    assert found == 1
    plan = plan_create(actor=None, org_unit=live_world.district, policy_yaml=policy)
    plan.enrol_opens, plan.enrol_closes = today - dt.timedelta(days=1), today + dt.timedelta(days=30)
    plan.save(update_fields=["enrol_opens", "enrol_closes"])
    admin = live_world.users["enterprise_a_admin"]
    first, second, third = live_world.members_a

    desk = open_page("desk")
    sign_in(desk, base_url, admin)
    desk.goto(f"{base_url}/mutual-aid/enrolments/")
    desk.get_by_role("link", name="表单参保").click()
    expect(desk.get_by_test_id("candidate-list")).to_contain_text(first.name)
    expect(desk.get_by_test_id("candidate-list")).not_to_contain_text(live_world.members_b[0].name)
    # Only the selfpay item (36 yuan a person), for two of the three members.
    for box in desk.get_by_test_id("item-checkbox").all():
        box.set_checked(box.get_attribute("value") == "selfpay")
    desk.get_by_test_id("enrolment-pick-submit").click()
    desk.locator(f"#member-{first.pk}").check()
    desk.locator(f"#member-{second.pk}").check()
    screenshot(desk, "mutual-aid-desk-enrolment-form")
    desk.get_by_test_id("enrolment-submit").click()
    expect(desk.locator(".alert-success")).to_contain_text("2 名会员")
    expect(desk.locator(".alert-success")).to_contain_text("72")
    enrolled = set(Enrolment.objects.filter(plan=plan).values_list("member_id", "item"))
    assert enrolled == {(first.pk, "selfpay"), (second.pk, "selfpay")}

    phone = open_page("phone")
    sign_in(phone, base_url, admin)
    phone.goto(f"{base_url}/mutual-aid/enrolments/new/?plan={plan.pk}&items=selfpay")
    candidates = phone.get_by_test_id("candidate-list")
    expect(candidates).to_contain_text(third.name)
    expect(candidates).not_to_contain_text(first.name)
    assert not has_horizontal_overflow(phone)
    screenshot(phone, "mutual-aid-phone-enrolment-form")
