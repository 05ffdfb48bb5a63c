"""Typed helpers shared by the browser tests (login, screenshots, table reading)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from django.conf import settings
from django.test import Client
from playwright.sync_api import Page, expect

from gonghui.accounts.models import User
from gonghui.conftest import PASSWORD

Kind = Literal["desk", "phone"]
PageFactory = Callable[[Kind], Page]  # the ``open_page`` fixture

SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
LOGIN_PATH = "/accounts/login/"
ACTIVE = re.compile(r"\bactive\b")


def open_password_tab(page: Page, base_url: str) -> None:
    """Be on the login page with the 密码登录 tab active (clicking it only when needed)."""
    if LOGIN_PATH not in page.url:
        page.goto(f"{base_url}{LOGIN_PATH}")
    tab = page.get_by_test_id("tab-password")
    if not ACTIVE.search(tab.get_attribute("class") or ""):
        tab.click()
    expect(tab).to_have_class(ACTIVE)


def submit_password_login(page: Page, base_url: str, username: str, password: str = PASSWORD) -> None:
    """Fill and submit the password form (no outcome asserted)."""
    open_password_tab(page, base_url)
    page.get_by_label("用户名").fill(username)
    page.get_by_label(re.compile(r"^密码\s*\*?$")).fill(password)
    page.get_by_test_id("login-submit").click()


def login_as(page: Page, base_url: str, username: str) -> None:
    """Password login through the form that must succeed (the user's name shows in the navbar)."""
    submit_password_login(page, base_url, username)
    expect(page.get_by_test_id("current-user")).to_have_text(username)


def sign_in(page: Page, base_url: str, user: User) -> None:
    """Start signed in via a session cookie; the login form itself has its own tests."""
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    page.context.add_cookies([{"name": name, "value": client.cookies[name].value, "url": base_url}])


def wait_for_charts(page: Page, *element_ids: str) -> None:
    """Wait until the ECharts instances in these elements have drawn and finished animating."""
    page.wait_for_function(
        """ids => ids.every(id => {
            const chart = window.echarts && echarts.getInstanceByDom(document.getElementById(id));
            return chart && chart.getZr().animation.isFinished();
        })""",
        arg=list(element_ids),
    )


def screenshot(page: Page, name: str) -> Path:
    """Full-page PNG in test-artifacts/screenshots/<name>.png."""
    path = SCREENSHOT_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def first_column(page: Page) -> list[str]:
    """Texts of the first cell of every row of the list table (the name column)."""
    cells = page.get_by_test_id("list-table").locator("tbody tr td:first-child")
    return [text.strip() for text in cells.all_inner_texts()]


def has_horizontal_overflow(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth > window.innerWidth"))
