"""The staff dashboard: figures from the database, the ECharts chart, desk navigation, assets."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Request, Response, expect

from gonghui.conftest import World
from gonghui.members.models import Member
from gonghui.orgs.models import Enterprise
from tests.browser.pages import login_as, screenshot, sign_in, wait_for_charts

pytestmark = pytest.mark.browser


def _active_members_under(path: str) -> int:
    return Member.objects.filter(status=Member.Status.ACTIVE, org_unit__path__startswith=path).count()


def test_district_admin_dashboard_matches_database(live_world: World, base_url: str, desk_page: Page) -> None:
    """Password login lands on the dashboard; figures and chart bars equal the database counts."""
    page = desk_page
    page.goto(f"{base_url}/accounts/login/?mode=sms")
    page.get_by_test_id("tab-password").click()
    expect(page).to_have_url(re.compile(r"mode=password"))
    screenshot(page, "login-desk")
    login_as(page, base_url, "district_admin")
    expect(page).to_have_url(f"{base_url}/")

    district = live_world.district
    expect(page.get_by_test_id("scope-name")).to_have_text(district.name)
    expect(page.get_by_test_id("stat-active")).to_have_text(str(_active_members_under(district.path)))
    enterprises = Enterprise.objects.filter(union__path__startswith=district.path).count()
    expect(page.get_by_test_id("stat-enterprises")).to_have_text(str(enterprises))

    expect(page.locator("#chart-units canvas").first).to_be_visible()
    bars = page.evaluate(
        """() => {
            const option = echarts.getInstanceByDom(document.getElementById('chart-units')).getOption();
            return {names: option.xAxis[0].data, values: option.series[0].data};
        }"""
    )
    streets = [live_world.street_a, live_world.street_b]
    assert bars == {
        "names": [s.name for s in streets],
        "values": [_active_members_under(s.path) for s in streets],
    }

    nav = page.get_by_test_id("nav").get_by_role("link").all_inner_texts()
    assert {"组织", "企业", "会员", "审计"} <= {item.strip() for item in nav}
    wait_for_charts(page, "chart-units", "chart-industry")
    screenshot(page, "dashboard-district-admin")


def test_dashboard_static_assets_all_load(live_world: World, base_url: str, desk_page: Page) -> None:
    """Every request the dashboard makes (CSS, JS, icon fonts) is answered 200 by the app itself."""
    page = desk_page
    sign_in(page, base_url, live_world.users["district_admin"])
    responses: list[Response] = []
    failed: list[Request] = []
    page.on("response", lambda response: responses.append(response))
    page.on("requestfailed", lambda request: failed.append(request))
    page.goto(f"{base_url}/")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.fonts.ready.then(() => document.fonts.status)") == "loaded"

    assert not failed, [f"{r.url}: {r.failure}" for r in failed]
    bad = [f"{r.status} {r.url}" for r in responses if r.status >= 400]
    assert not bad, bad
    static = {urlsplit(r.url).path: r.status for r in responses if "/static/" in r.url}
    expected = [
        "/static/vendor/bootstrap/bootstrap.min.css",
        "/static/vendor/bootstrap-icons/bootstrap-icons.min.css",
        "/static/vendor/bootstrap-icons/fonts/bootstrap-icons.woff2",
        "/static/css/gonghui.css",
        "/static/vendor/bootstrap/bootstrap.bundle.min.js",
        "/static/vendor/htmx/htmx.min.js",
        "/static/vendor/echarts/echarts.min.js",
        "/static/js/charts.js",
    ]
    assert [path for path in expected if path not in static] == []
    assert {path: status for path, status in static.items() if status != 200} == {}
