"""医疗互助 end to end, as real users in the browser: intake → SMS link → one-click application
→ automatic and two-level human review → bank batch file → bank return → 已到账.

Nothing of the app is replaced: the intake job, screening, the real critical-illness assessor
(gonghui.mutual_aid.assessment.service.default_assessor, trained at first use) and the SMS
reminders all run in the live server thread (no broker: jobs and on_commit work in-process;
SMS go to the in-memory backend the autouse fixture selects).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from gonghui.accounts.models import Role
from gonghui.accounts.sms import LocmemSmsBackend
from gonghui.conftest import World, make_user
from gonghui.core.validators import luhn_ok
from gonghui.members.models import Member
from gonghui.mutual_aid.engine.io import SETTLEMENT_OPTIONAL, SETTLEMENT_REQUIRED
from gonghui.mutual_aid.models import Claim, Enrolment, IntakeBatch, PayoutBatch, Plan, Settlement
from gonghui.mutual_aid.plans import consent_grant, plan_create
from gonghui.mutual_aid.tests.conftest import POLICY
from tests.browser.pages import PageFactory, has_horizontal_overflow, screenshot, sign_in, wait_for_charts

pytestmark = pytest.mark.browser

CSV_MIME = "text/csv"
HEADER = [*SETTLEMENT_REQUIRED, *SETTLEMENT_OPTIONAL]
LINK = re.compile(r"https?://\S+?/mutual-aid/c/[^/\s]+/")


@dataclass
class Flow:
    world: World
    plan: Plan
    worker_x: Member  # ordinary inpatient stay: decided by the engine alone
    worker_y: Member  # lung cancer: pathology report, district then city approval
    outsider: Member  # no consent: the intake counts the row and stores nothing
    today: dt.date


@pytest.fixture
def flow(live_world: World) -> Flow:
    """This year's plan (the shared 2026 policy, moved to the current year so the dates and
    the claim deadline hold whenever the suite runs), with critical illness needing a city
    review; enterprise A's members enrolled as renewals with live 医保 consent."""
    today = timezone.localdate()
    policy, found = re.subn(r"(?m)^year: 2026$", f"year: {today.year}", POLICY)
    assert found == 1
    plan = plan_create(
        actor=None,
        org_unit=live_world.district,
        policy_yaml=policy,
        second_level_benefits=["critical_illness"],
    )
    members = list(live_world.members_a)
    Enrolment.objects.bulk_create(
        Enrolment(
            plan=plan,
            member=m,
            item=item,
            start_date=dt.date(today.year, 1, 1),
            renewal=True,
            fee=Decimal("36"),
            org_unit=m.org_unit,
        )
        for m in members
        for item in ("selfpay", "critical", "female")
        if item != "female" or m.sex == "F"
    )
    for m in members:
        consent_grant(member=m, source="medical_insurance", actor=None)
    return Flow(live_world, plan, members[1], members[2], live_world.members_b[1], today)


# --- files ----------------------------------------------------------------------------------


def _settlement(setl_id: str, certno: str, *, end: dt.date, days: int, **over: str) -> dict[str, str]:
    row = dict.fromkeys(HEADER, "")
    row.update(
        setl_id=setl_id,
        certno=certno,
        psn_name="某某",
        med_type="21",
        hosp_lv="3",
        fixmedins_name="杭州市萧山区第一人民医院",
        begndate=(end - dt.timedelta(days=days)).isoformat(),
        enddate=end.isoformat(),
        medfee_sumamt="9000.00",
        fund_pay_sumamt="5000.00",
        hosp_part_amt="0",
        fulamt_ownpay_amt="0",
        overlmt_selfpay="0",
        preselfpay_amt="0",
        diag_codes="J18.9",
        diag_names="肺炎",
        refd_setl_flag="0",
        vali_flag="1",
    )
    row.update(over)
    return row


def _csv(rows: list[dict[str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=HEADER, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _bad_check_digit(certno: str) -> str:
    return certno[:17] + ("0" if certno[17] != "0" else "1")


def _card(first18: str) -> tuple[str, str]:
    """A Luhn-valid 19-digit card number and the same number with a wrong check digit."""
    good = next(first18 + d for d in "0123456789" if luhn_ok(first18 + d))
    return good, good[:18] + str((int(good[18]) + 1) % 10)


def _links_by_phone() -> dict[str, str]:
    found = {}
    for phone, text in LocmemSmsBackend.outbox:
        match = LINK.search(text)
        if match:
            found[phone] = match.group(0)
    return found


# --- steps ----------------------------------------------------------------------------------


def _upload_settlements(page: Page, name: str, content: bytes) -> None:
    page.get_by_label("医保结算数据").set_input_files({"name": name, "mimeType": CSV_MIME, "buffer": content})
    page.get_by_test_id("intake-submit").click()


def _apply(page: Page, card: str, bank: str) -> None:
    page.get_by_label("银行卡号").fill(card)
    page.get_by_label("开户行").fill(bank)
    page.get_by_test_id("apply-submit").click()


def _open_from_review_queue(page: Page, base_url: str, claim: Claim, shot: str = "") -> None:
    page.goto(f"{base_url}/mutual-aid/")
    page.get_by_test_id("review-link").click()
    expect(page.get_by_role("heading", name="待审核")).to_be_visible()
    expect(page.get_by_test_id("total-count")).to_have_text("共 1 条")
    row = page.get_by_test_id("list-table").locator("tbody tr", has_text=claim.member.name)
    expect(row).to_contain_text("审核中")
    if shot:
        screenshot(page, shot)
    row.get_by_role("link", name=f"#{claim.pk}").click()
    expect(page.get_by_test_id("review-actions")).to_be_visible()


def test_mutual_aid_claim_from_intake_to_bank(flow: Flow, base_url: str, open_page: PageFactory) -> None:
    world, today = flow.world, flow.today
    x, y = flow.worker_x, flow.worker_y

    # 1. The district admin uploads this year's settlements and watches the job finish.
    admin = open_page("desk")
    sign_in(admin, base_url, world.users["district_admin"])
    admin.goto(f"{base_url}/")
    admin.get_by_test_id("nav").get_by_role("link", name="医疗互助").click()
    admin.get_by_role("link", name="数据导入").click()
    expect(admin).to_have_url(f"{base_url}/mutual-aid/intake/")
    first_file = _csv(
        [
            _settlement("FLOW-X1", x.id_number, end=today, days=4),
            _settlement(
                "FLOW-Y1",
                y.id_number,
                end=today,
                days=12,
                medfee_sumamt="7000.00",
                diag_codes="C34.1",
                diag_names="右肺上叶肺癌",
                oprn_codes="32.4",
            ),
            _settlement("FLOW-N1", flow.outsider.id_number, end=today, days=3),
        ]
    )
    _upload_settlements(admin, "医保结算.csv", first_file)
    progress = admin.get_by_test_id("job-progress")
    expect(progress).to_have_attribute("data-status", "succeeded", timeout=30_000)
    expect(progress).to_contain_text("已完成")
    expect(progress.locator(".progress-bar")).to_have_text("100%")
    expect(progress).to_contain_text("读取 3 行：新增 2，重复 0，未授权跳过 1，错误 0；生成待申报 2 笔")
    assert set(Settlement.objects.values_list("setl_id", flat=True)) == {"FLOW-X1", "FLOW-Y1"}
    screenshot(admin, "ma-01-intake-done")
    progress.get_by_role("link", name="查看结果").click()
    expect(admin.get_by_role("heading", name=re.compile("导入批次"))).to_contain_text("已完成")
    screenshot(admin, "ma-02-intake-batch")

    # ... a second file with a bad ID check digit on its second data row imports nothing.
    admin.goto(f"{base_url}/mutual-aid/intake/")
    bad = _bad_check_digit(y.id_number)
    _upload_settlements(
        admin,
        "医保结算-2.csv",
        _csv(
            [
                _settlement("FLOW-X2", x.id_number, end=today, days=2),
                _settlement("FLOW-Y2", bad, end=today, days=2),
            ]
        ),
    )
    progress = admin.get_by_test_id("job-progress")
    expect(progress).to_have_attribute("data-status", "failed", timeout=30_000)
    expect(progress).to_contain_text("第 3 行「certno」")
    expect(progress).to_contain_text("校验位")
    assert Settlement.objects.count() == 2
    assert IntakeBatch.objects.get(filename="医保结算-2.csv").status == "failed"
    screenshot(admin, "ma-03-intake-failed")

    # 2. Screening texted both members a one-time link to their pre-filled application.
    claim_x = Claim.objects.get(member=x)
    claim_y = Claim.objects.get(member=y)
    assert (claim_x.status, claim_y.status) == ("candidate", "candidate")
    assert claim_x.notified_at is not None and claim_y.notified_at is not None
    links = _links_by_phone()
    assert set(links) == {x.phone, y.phone}
    assert all(link.startswith(f"{base_url}/mutual-aid/c/") for link in links.values())
    # inpatient (4000 − 1000) × 0.5 = 1500 plus a living allowance of 4 days × 100.
    assert claim_x.amount == Decimal("1900.00") and not claim_x.needs_review
    assert claim_y.needs_review and claim_y.approvals_needed == 2
    assert claim_y.lines.get(benefit="critical_illness").amount == Decimal("15000.00")

    # 3. Worker X, on the phone: the link signs them in on the pre-filled application.
    phone_x = open_page("phone")
    phone_x.goto(links[x.phone])
    expect(phone_x).to_have_url(f"{base_url}/mutual-aid/claims/{claim_x.pk}/")
    expect(phone_x.get_by_test_id("claim-status")).to_have_text("待申报")
    expect(phone_x.get_by_test_id("claim-amount")).to_have_text("¥1900.00")
    lines = phone_x.get_by_test_id("claim-lines").locator("li")
    expect(lines).to_have_count(2)
    expect(lines.filter(has_text="¥1500.00")).to_contain_text("政策范围内个人负担 ¥4000.00")
    expect(lines.filter(has_text="¥400.00")).to_contain_text("住院 4 天")
    assert not has_horizontal_overflow(phone_x)
    screenshot(phone_x, "ma-04-worker-x-prefilled")
    card, wrong_card = _card("621700123456789012")
    _apply(phone_x, wrong_card, "中国建设银行杭州萧山支行")
    expect(phone_x.get_by_test_id("error-bank_card")).to_have_text("银行卡号校验失败，请核对")
    expect(phone_x.get_by_test_id("claim-status")).to_have_text("待申报")
    screenshot(phone_x, "ma-05-worker-x-card-error")
    _apply(phone_x, card, "中国建设银行杭州萧山支行")
    expect(phone_x.get_by_test_id("claim-status")).to_have_text("已核准")
    claim_x.refresh_from_db()
    assert claim_x.status == "approved" and claim_x.decided_at is not None
    assert timezone.localdate(claim_x.decided_at) == today  # same day, no human
    assert claim_x.events.filter(kind="auto_approved", actor__isnull=True).exists()
    assert not has_horizontal_overflow(phone_x)
    expect(phone_x.get_by_test_id("claim-next")).to_contain_text(claim_x.bank_card_masked)
    screenshot(phone_x, "ma-06-worker-x-approved")
    response = phone_x.goto(links[x.phone])
    assert response is not None and response.status == 410
    expect(phone_x.get_by_test_id("link-invalid")).to_contain_text("链接无效或已使用")
    screenshot(phone_x, "ma-07-link-used")

    # 4. Worker Y applies, is asked for the pathology report and photographs it.
    phone_y = open_page("phone")
    phone_y.goto(links[y.phone])
    expect(phone_y.get_by_test_id("claim-status")).to_have_text("待申报")
    expect(phone_y.get_by_test_id("claim-amount")).to_have_text(f"¥{claim_y.amount}")
    expect(phone_y.get_by_test_id("claim-lines")).to_contain_text("¥15000.00")
    card_y, _ = _card("622848001234567890")
    _apply(phone_y, card_y, "中国农业银行杭州萧山支行")
    expect(phone_y.get_by_test_id("claim-status")).to_have_text("待补材料")
    missing = phone_y.get_by_test_id("missing-documents")
    expect(missing).to_contain_text("病理报告")
    assert not has_horizontal_overflow(phone_y)
    screenshot(phone_y, "ma-08-worker-y-documents")
    photo = phone_y.screenshot(type="jpeg", quality=60, clip={"x": 0, "y": 0, "width": 120, "height": 90})
    assert photo[:3] == b"\xff\xd8\xff"
    missing.locator("input[type=file]").set_input_files(
        {"name": "病理报告.jpg", "mimeType": "image/jpeg", "buffer": photo}
    )
    missing.get_by_role("button", name="上传").click()
    expect(phone_y.get_by_role("alert").filter(has_text="材料已上传")).to_be_visible()
    expect(phone_y.get_by_test_id("claim-status")).to_have_text("审核中")
    expect(phone_y.get_by_test_id("missing-documents")).to_have_count(0)
    expect(phone_y.get_by_test_id("my-documents")).to_contain_text("病理报告")
    assert not has_horizontal_overflow(phone_y)
    screenshot(phone_y, "ma-09-worker-y-in-review")

    # ... the district reviewer sees the engine's trace and the photo, and approves level 1.
    district_reviewer = make_user("district_reviewer", role=Role.REVIEWER, unit=world.district)
    desk_d = open_page("desk")
    sign_in(desk_d, base_url, district_reviewer)
    _open_from_review_queue(desk_d, base_url, claim_y, shot="ma-10-review-queue")
    trace = desk_d.get_by_test_id("trace-table")
    expect(trace).to_contain_text("FLOW-Y1")
    expect(trace).to_contain_text("恶性肿瘤")
    expect(trace).to_contain_text("病理报告")
    expect(trace).to_contain_text("15000.00")
    expect(desk_d.get_by_test_id("review-reasons")).to_be_visible()
    expect(desk_d.get_by_test_id("review-actions")).to_contain_text("第 1 / 2 级")
    document = desk_d.get_by_test_id("documents").get_by_role("link")
    expect(document).to_contain_text("病理报告")
    served = desk_d.request.get(f"{base_url}{document.get_attribute('href')}")
    assert served.ok and served.body() == photo
    screenshot(desk_d, "ma-11-review-district")
    desk_d.get_by_test_id("approve").click()
    expect(desk_d.get_by_role("alert").filter(has_text="已核准")).to_be_visible()
    expect(desk_d.get_by_test_id("claim-status")).to_have_text("审核中")
    expect(desk_d.get_by_test_id("review-actions")).to_have_count(0)  # level 2 is the city's

    # ... and a reviewer of the city union (the level above) approves level 2.
    city_reviewer = make_user("city_reviewer", role=Role.REVIEWER, unit=world.district.get_parent())
    desk_c = open_page("desk")
    sign_in(desk_c, base_url, city_reviewer)
    _open_from_review_queue(desk_c, base_url, claim_y)
    expect(desk_c.get_by_test_id("review-actions")).to_contain_text("第 2 / 2 级")
    desk_c.get_by_test_id("approve").click()
    expect(desk_c.get_by_test_id("claim-status")).to_have_text("已核准")
    claim_y.refresh_from_db()
    assert (claim_y.status, claim_y.approvals_done) == ("approved", 2)
    approvers = list(claim_y.events.filter(kind="approved").order_by("level").values_list("actor", flat=True))
    assert approvers == [district_reviewer.pk, city_reviewer.pk]
    screenshot(desk_c, "ma-12-review-city-approved")

    # 5. The district admin makes today's bank batch, downloads it and imports the return.
    admin.goto(f"{base_url}/mutual-aid/")
    admin.get_by_role("link", name="打款").click()
    expect(admin).to_have_url(f"{base_url}/mutual-aid/payouts/")
    create = admin.get_by_test_id("payout-create")
    expect(create).to_contain_text("2 笔待打款")
    create.click()
    total = claim_x.amount + claim_y.amount
    expect(admin.get_by_role("alert").filter(has_text="已生成打款批次")).to_contain_text(f"2 笔，{total} 元")
    batch = PayoutBatch.objects.get()
    with admin.expect_download() as download_info:
        admin.get_by_test_id("payout-xlsx").click()
    download = download_info.value
    assert download.suggested_filename == f"{batch.reference}.xlsx"
    sheet = load_workbook(io.BytesIO(download.path().read_bytes()), read_only=True).worksheets[0]
    header, *rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert header == ["户名", "账号", "开户行", "金额", "用途", "流水号"]
    by_name = {r[0]: r for r in rows}
    assert set(by_name) == {x.name, y.name}
    assert str(by_name[x.name][1]) == card and str(by_name[x.name][3]) == f"{claim_x.amount:.2f}"
    assert str(by_name[y.name][3]) == f"{claim_y.amount:.2f}"
    screenshot(admin, "ma-13-payout-batch")
    bank_return = "流水号,状态,说明\n" + "".join(f"{r[5]},成功,\n" for r in rows)
    admin.get_by_test_id("return-file").set_input_files(
        {"name": "回盘.csv", "mimeType": CSV_MIME, "buffer": bank_return.encode("gb18030")}
    )
    admin.get_by_test_id("return-submit").click()
    expect(admin.get_by_role("alert").filter(has_text="回盘完成")).to_contain_text("成功 2 笔，失败 0 笔")
    assert set(Claim.objects.values_list("status", flat=True)) == {"paid"}
    screenshot(admin, "ma-14-payout-returned")

    # 6. Worker X finds the money arrived under 医疗互助 → 我的申报.
    phone_x.goto(f"{base_url}/")
    phone_x.get_by_role("link", name="医疗互助").click()
    expect(phone_x).to_have_url(f"{base_url}/mutual-aid/")
    mine = phone_x.get_by_test_id("my-claims")
    expect(mine.get_by_test_id("claim-status")).to_have_text(["已到账"])
    expect(mine).to_contain_text("¥1900.00")
    assert not has_horizontal_overflow(phone_x)
    screenshot(phone_x, "ma-15-worker-x-home-paid")
    mine.get_by_role("link").first.click()
    expect(phone_x.get_by_test_id("claim-status")).to_have_text("已到账")
    screenshot(phone_x, "ma-16-worker-x-claim-paid")

    # The district's figures: both claims paid, one of the two decided with no human.
    admin.goto(f"{base_url}/mutual-aid/")
    expect(admin.get_by_test_id("automation-rate")).to_have_text("50.0%")
    wait_for_charts(admin, "chart-street", "chart-month", "chart-benefit", "chart-industry")
    screenshot(admin, "ma-17-dashboard")
