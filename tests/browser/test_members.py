"""The member register in the browser: scoping, htmx filtering, export, reveal, import jobs."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import Workbook, load_workbook
from playwright.sync_api import Page, expect

from gonghui.audit.models import AuditEntry
from gonghui.conftest import World
from gonghui.core.validators import id_number_check_char
from gonghui.members.models import Member
from gonghui.members.services import MEMBER_IMPORT_COLUMNS
from tests.browser.pages import PageFactory, first_column, screenshot, sign_in

pytestmark = pytest.mark.browser

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _street_members(world: World, street: str = "a") -> list[Member]:
    unit = world.street_a if street == "a" else world.street_b
    return list(Member.objects.filter(org_unit__path__startswith=unit.path).order_by("pk"))


def _id_number(first17: str, *, valid: bool = True) -> str:
    check = id_number_check_char(first17)
    if not valid:
        check = "0" if check != "0" else "1"
    return first17 + check


def _import_workbook(rows: list[list[str]]) -> bytes:
    """An xlsx with the template's Chinese headers and the given data rows."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(list(MEMBER_IMPORT_COLUMNS))
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_street_admin_sees_only_own_street(live_world: World, base_url: str, desk_page: Page) -> None:
    """The list holds street A exactly; the htmx filter narrows it; street B's URL is a friendly 404."""
    page = desk_page
    sign_in(page, base_url, live_world.users["street_a_admin"])
    page.goto(f"{base_url}/members/")
    own = _street_members(live_world, "a")
    others = _street_members(live_world, "b")
    expect(page.get_by_test_id("total-count")).to_have_text(f"共 {len(own)} 条")
    assert sorted(first_column(page)) == sorted(m.name for m in own)
    content = page.content()
    assert [m.name for m in others if m.name in content] == []
    screenshot(page, "members-street-a")

    target = own[1]
    expected = [m.name for m in own if target.name in m.name]
    page.evaluate("window.__sameDocument = true")
    with page.expect_response(
        lambda r: "/members/?" in r.url and r.request.headers.get("hx-request") == "true"
    ) as answer:
        page.get_by_label("姓名/身份证号").fill(target.name)
        page.get_by_test_id("filters").get_by_role("button", name="筛选").click()
    assert answer.value.ok
    expect(page.get_by_test_id("total-count")).to_have_text(f"共 {len(expected)} 条")
    assert sorted(first_column(page)) == sorted(expected)
    assert page.evaluate("window.__sameDocument") is True  # swapped by htmx, not reloaded
    expect(page).to_have_url(re.compile(r"[?&]q="))

    response = page.goto(f"{base_url}/members/{others[0].pk}/")
    assert response is not None and response.status == 404
    expect(page.get_by_test_id("error-404")).to_be_visible()
    assert others[0].name not in page.content()
    screenshot(page, "error-404")


def test_members_export_contains_only_own_street(live_world: World, base_url: str, desk_page: Page) -> None:
    """The xlsx export downloads street A's members exactly, with masked ID numbers."""
    page = desk_page
    sign_in(page, base_url, live_world.users["street_a_admin"])
    page.goto(f"{base_url}/members/")
    with page.expect_download() as download_info:
        page.get_by_test_id("export-xlsx").click()
    download = download_info.value
    assert download.suggested_filename.startswith("members-")
    assert download.suggested_filename.endswith(".xlsx")

    sheet = load_workbook(io.BytesIO(download.path().read_bytes()), read_only=True).worksheets[0]
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert header[:2] == ["姓名", "身份证号"]
    own = _street_members(live_world, "a")
    assert sorted(row[0] for row in rows) == sorted(m.name for m in own)
    full_numbers = {m.id_number for m in Member.objects.all()}
    assert [row[1] for row in rows if row[1] in full_numbers] == []  # masked, never in full


def test_reveal_id_number_is_audited_and_admin_only(
    live_world: World, base_url: str, open_page: PageFactory
) -> None:
    """An admin's 查看完整 shows the full ID and writes the audit; a viewer has no such button."""
    member = live_world.members_a[0]
    admin_page = open_page("desk")
    sign_in(admin_page, base_url, live_world.users["street_a_admin"])
    admin_page.goto(f"{base_url}/members/{member.pk}/")
    expect(admin_page.locator("#id-number")).to_have_text(member.id_number_masked)
    audit = AuditEntry.objects.filter(action="member.reveal_id_number", target_id=str(member.pk))
    assert not audit.exists()
    screenshot(admin_page, "member-detail")

    admin_page.get_by_test_id("reveal-id").click()
    expect(admin_page.get_by_test_id("revealed-id_number")).to_have_text(member.id_number)
    entry = audit.get()
    assert entry.actor == live_world.users["street_a_admin"]

    viewer_page = open_page("desk")
    sign_in(viewer_page, base_url, live_world.users["district_viewer"])
    viewer_page.goto(f"{base_url}/members/{member.pk}/")
    expect(viewer_page.locator("#id-number")).to_have_text(member.id_number_masked)
    expect(viewer_page.get_by_test_id("reveal-id")).to_have_count(0)
    assert member.id_number not in viewer_page.content()


def test_member_import_reports_bad_row_then_skips_it(
    live_world: World, base_url: str, desk_page: Page
) -> None:
    """A bad check digit fails the whole import naming row and column; skipping imports the rest."""
    page = desk_page
    uscc = live_world.enterprise_a.uscc
    rows = [
        ["导入甲", _id_number("33010919850315123"), "13911110001", "正式职工", uscc, "", "2024-01-15"],
        ["导入乙", _id_number("33010919860416124", valid=False), "", "正式职工", uscc, "", "2024-01-15"],
        ["导入丙", _id_number("33010919870517125"), "", "灵活就业", uscc, "", "2024-02-01"],
        ["导入丁", _id_number("33010919880618126"), "", "正式职工", uscc, "", "2024-03-01"],
    ]
    content = _import_workbook(rows)
    before = Member.objects.count()

    sign_in(page, base_url, live_world.users["street_a_admin"])
    page.goto(f"{base_url}/members/import/")
    file_input = page.get_by_label("会员名单")
    file_input.set_input_files({"name": "members.xlsx", "mimeType": XLSX_MIME, "buffer": content})
    page.get_by_role("button", name="上传并导入").click()
    progress = page.get_by_test_id("job-progress")
    expect(progress).to_have_attribute("data-status", "failed")
    expect(progress).to_contain_text("第 3 行「身份证号」")
    expect(progress).to_contain_text("校验位")
    assert Member.objects.count() == before
    screenshot(page, "member-import-failed")

    page.get_by_label("会员名单").set_input_files(
        {"name": "members.xlsx", "mimeType": XLSX_MIME, "buffer": content}
    )
    page.get_by_label("跳过有错误的行").check()
    page.get_by_role("button", name="上传并导入").click()
    progress = page.get_by_test_id("job-progress")
    expect(progress).to_have_attribute("data-status", "succeeded")
    expect(progress).to_contain_text("已完成")
    expect(progress.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100")
    expect(progress.locator(".progress-bar")).to_have_text("100%")
    expect(progress).to_contain_text("新增 3 人")
    imported = Member.objects.filter(name__startswith="导入").values_list("name", flat=True)
    assert sorted(imported) == sorted(["导入甲", "导入丙", "导入丁"])
    assert Member.objects.count() == before + 3
    screenshot(page, "member-import-succeeded")
