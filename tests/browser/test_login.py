"""Logging in: SMS codes on a phone, the password lockout, the language switch."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from gonghui.conftest import PASSWORD, World
from tests.browser.pages import has_horizontal_overflow, screenshot, sign_in, submit_password_login

pytestmark = pytest.mark.browser

DESK_ONLY = {"组织", "企业", "会员", "审计", "任务"}


def _code_from(outbox: list[tuple[str, str]], phone: str) -> str:
    texts = [text for to, text in outbox if to == phone]
    assert len(texts) == 1, outbox
    found = re.search(r"验证码为 (\d{6})", texts[0])
    assert found is not None, texts[0]
    return found.group(1)


def test_worker_logs_in_by_sms_on_phone(
    live_world: World, base_url: str, phone_page: Page, sms_outbox: list[tuple[str, str]]
) -> None:
    """SMS code login on a phone lands on 我的 with the member card; no desk menu, no side-scroll."""
    page = phone_page
    worker = live_world.users["worker_a"]
    member = live_world.members_a[0]
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_test_id("tab-sms").click()
    expect(page.get_by_test_id("tab-sms")).to_have_class(re.compile(r"\bactive\b"))
    page.get_by_label("手机号").fill(worker.phone)
    page.get_by_test_id("send-code").click()
    expect(page.get_by_test_id("sms-status")).to_contain_text("验证码已发送")
    assert not has_horizontal_overflow(page)
    screenshot(page, "login-sms-phone")

    page.get_by_label("验证码").fill(_code_from(sms_outbox, worker.phone))
    page.get_by_test_id("login-submit").click()
    expect(page).to_have_url(f"{base_url}/members/me/")
    card = page.get_by_test_id("member-card")
    expect(card).to_be_visible()
    expect(card).to_contain_text(member.name)

    assert not has_horizontal_overflow(page)
    screenshot(page, "me-phone")

    page.get_by_role("button", name="菜单").click()  # the phone navbar starts collapsed
    expect(page.locator("#mainnav")).to_have_class(re.compile(r"\bcollapse show\b"))  # opened
    nav_links = page.get_by_test_id("nav").get_by_role("link")
    expect(nav_links.filter(has_text="我的")).to_be_visible()
    visible = {text.strip() for text in nav_links.all_inner_texts()}
    assert visible & DESK_ONLY == set(), visible
    assert not has_horizontal_overflow(page)
    screenshot(page, "me-phone-menu")


def test_password_lockout_after_five_failures(live_world: World, base_url: str, desk_page: Page) -> None:
    """After 5 wrong passwords even the right one is refused with the lockout message."""
    page = desk_page
    for attempt in range(5):
        submit_password_login(page, base_url, "street_a_admin", password=f"wrong-{attempt}")
        expect(page.get_by_test_id("form-errors")).to_have_text("用户名或密码错误")
    submit_password_login(page, base_url, "street_a_admin", password=PASSWORD)
    expect(page.get_by_test_id("form-errors")).to_contain_text("登录失败次数过多")
    expect(page.get_by_test_id("current-user")).to_have_count(0)
    screenshot(page, "login-locked")


def test_language_switch_to_english(live_world: World, base_url: str, desk_page: Page) -> None:
    """Choosing English in the selector serves pages with lang="en", and the choice sticks."""
    page = desk_page
    sign_in(page, base_url, live_world.users["district_admin"])
    page.goto(f"{base_url}/")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "zh-hans")
    with page.expect_navigation():
        page.get_by_label("Language").select_option("en")
    expect(html).to_have_attribute("lang", "en")
    expect(page.get_by_label("Language")).to_have_value("en")
    page.goto(f"{base_url}/members/")
    expect(html).to_have_attribute("lang", "en")
    screenshot(page, "members-english")
