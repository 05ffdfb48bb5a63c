"""Innovation studios in the browser: the district admin rates a stocked studio through its
page, sees the stars, reads the score sheet (total and stars known in advance), and opens the
innovation statistics dashboard."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from gonghui.conftest import World
from gonghui.innovation.models import Studio
from gonghui.innovation.studios import studio_create
from gonghui.innovation.tests.test_studios import FULL_POINTS, FULL_SCORE, FULL_YEAR, YEAR, build_year
from tests.browser.pages import screenshot, sign_in, wait_for_charts

pytestmark = pytest.mark.browser


def _stocked_studio(world: World) -> Studio:
    """Street A's studio with a full year (70.66 points → 3★, see test_studios) and some of
    last year's outcomes; a second, unrated studio in street B."""
    admin = world.users["district_admin"]
    studio = studio_create(
        actor=admin,
        org_unit=world.unit_a(),
        enterprise=world.enterprise_a,
        name="张工创新工作室",
        leader_name="张工",
        leader_title="省级工匠",
        level=Studio.Level.DISTRICT,
        field="数控加工",
        founded_on=dt.date(2022, 3, 1),
        space_sqm=120,
        equipment="五轴加工中心、三坐标测量仪",
        rules="工作室管理办法、安全操作规程",
        plans=f"{YEAR} 年课题：刀具寿命预测、夹具快换",
    )
    build_year(world, studio, YEAR, **FULL_YEAR)
    build_year(world, studio, YEAR - 1, evidence=False, core=0, filed=3)
    studio_create(
        actor=admin,
        org_unit=world.unit_b(),
        enterprise=world.enterprise_b,
        name="李师傅创新工作室",
        leader_name="李师傅",
        level=Studio.Level.ENTERPRISE,
        field="电气维修",
        founded_on=dt.date(2023, 5, 1),
    )
    return studio


def test_district_admin_rates_a_studio_and_reads_the_score_sheet(
    live_world: World, base_url: str, desk_page: Page
) -> None:
    studio = _stocked_studio(live_world)
    page = desk_page
    sign_in(page, base_url, live_world.users["district_admin"])
    page.goto(f"{base_url}/innovation/studios/")
    page.get_by_test_id("list-table").get_by_role("link", name=studio.name).click()
    expect(page.get_by_test_id("studio-stars")).to_have_text("未评星")
    expect(page.get_by_test_id("ratings")).to_contain_text("尚未评定")

    page.get_by_test_id("rate-button").click()
    expect(page.locator(".alert-success")).to_contain_text(f"{YEAR} 年度评定完成：{FULL_SCORE} 分，★★★")
    row = page.get_by_test_id(f"rating-{YEAR}")
    expect(row.get_by_test_id("rating-score")).to_have_text(str(FULL_SCORE))
    expect(row.get_by_test_id("rating-stars")).to_have_text("★★★")
    expect(page.get_by_test_id("studio-stars")).to_have_text("★★★")
    expect(page.get_by_test_id("rate-button")).to_have_text(f"评定 {YEAR} 年度星级")
    screenshot(page, "innovation-studio-detail")

    page.get_by_test_id(f"sheet-{YEAR}").click()
    expect(page.get_by_test_id("sheet-total")).to_have_text(str(FULL_SCORE))
    expect(page.get_by_test_id("score-total")).to_have_text(str(FULL_SCORE))
    expect(page.get_by_test_id("sheet-stars")).to_have_text("★★★")
    expect(page.get_by_test_id("threshold-reached")).to_have_text("≥70 ✓")
    expect(page.get_by_test_id("line-points")).to_have_text(FULL_POINTS)
    expect(page.get_by_test_id("gate-table").locator("tbody tr")).to_have_count(6)
    screenshot(page, "innovation-studio-score-sheet")

    page.goto(f"{base_url}/innovation/statistics/")
    expect(page.get_by_test_id("kpi-submitted-value")).to_have_text("5")
    expect(page.get_by_test_id("kpi-verified_value-value")).to_have_text("24.00")
    wait_for_charts(page, "chart-node", "chart-month", "chart-type", "chart-industry", "chart-studios")
    months = page.evaluate(
        """() => echarts.getInstanceByDom(document.getElementById('chart-month'))
            .getOption().series.map(s => s.data.reduce((a, b) => a + b, 0))"""
    )
    assert months == [5, 3]
    screenshot(page, "innovation-statistics")


def test_district_admin_convenes_an_alliance_across_streets(
    live_world: World, base_url: str, desk_page: Page
) -> None:
    studio = _stocked_studio(live_world)
    page = desk_page
    sign_in(page, base_url, live_world.users["district_admin"])
    page.goto(f"{base_url}/innovation/alliances/")
    page.get_by_test_id("alliance-create").click()
    form = page.get_by_test_id("alliance-form")
    form.get_by_label("联盟名称").fill("示范区数控加工创新工作室联盟")
    form.get_by_label("领域").fill("数控加工")
    form.get_by_label("牵头工会").select_option(label=live_world.district.name)
    form.get_by_label("成员工作室").select_option(label=["李师傅创新工作室"])
    form.get_by_label("牵头工作室").select_option(label=studio.name)
    form.get_by_role("button", name="成立").click()

    expect(page.get_by_test_id("stat-studios")).to_have_text("2")
    expect(page.get_by_test_id("stat-enterprises")).to_have_text("2")
    project = page.get_by_test_id("form-project")
    project.get_by_label("项目名称").fill("五轴加工精度联合攻关")
    project.get_by_label("参与工作室（至少两个）").select_option(label=[studio.name])
    project.get_by_role("button", name="添加项目").click()
    expect(page.get_by_test_id("error-project-studios")).to_have_text("联合项目至少需要两个工作室")
    project = page.get_by_test_id("form-project")
    project.get_by_label("参与工作室（至少两个）").select_option(label=[studio.name, "李师傅创新工作室"])
    project.get_by_role("button", name="添加项目").click()
    expect(page.get_by_test_id("projects")).to_contain_text("五轴加工精度联合攻关")
    expect(page.get_by_test_id("stat-projects")).to_have_text("1")
    resource = page.get_by_test_id("form-resource")
    resource.get_by_label("提供方").select_option(label="李师傅创新工作室")
    resource.get_by_label("类别").select_option(label="共享专家")
    resource.get_by_label("名称").fill("李师傅（高级技师）")
    resource.get_by_role("button", name="登记共享").click()
    expect(page.get_by_test_id("resources")).to_contain_text("李师傅（高级技师）")
    screenshot(page, "innovation-alliance-detail")
